//! EventBridge Scheduler adapter: one `at()` schedule per timer in our group, FlexibleTimeWindow
//! OFF, deleted after it fires, targeting a queue with the timer payload as Input. A delivery
//! the Scheduler cannot make is retried for an hour, then put on the schedules' dead-letter queue
//! (alarmed), so no fired timer is dropped silently.

use crate::platform::aws::{SdkFailure, sdk_failure};
use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};

use super::{ArmOutcome, Timer, TimerError, TimerName, Timers, at_expression};

/// Where fired timers go.
#[derive(Debug, Clone)]
pub struct SchedulerTarget {
    pub group: String,
    /// ARN of the queue that receives the payload.
    pub queue_arn: String,
    /// Role the scheduler assumes to send to that queue (and to the dead-letter queue).
    pub role_arn: String,
    /// Standard SQS queue for fired timers the Scheduler could not deliver.
    pub dead_letter_arn: Option<String>,
}

/// How long the Scheduler keeps trying to deliver a fired timer before it goes to the
/// dead-letter queue. An hour, not the Scheduler's default day: an SLA warning a day late is
/// no warning, and the DLQ's alarm tells the operators within the hour that timers are not
/// arriving (a redrive still delivers them; the handler re-reads the ticket).
pub const DELIVERY_MAX_AGE_SECONDS: i32 = 3_600;
/// The Scheduler's most retries within that time.
pub const DELIVERY_MAX_RETRIES: i32 = 185;

#[derive(Debug, Clone)]
pub struct SchedulerTimers {
    client: Client,
    target: SchedulerTarget,
}

impl SchedulerTimers {
    pub fn new(client: Client, target: SchedulerTarget) -> Self {
        Self { client, target }
    }
}

fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> TimerError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let SdkFailure { code, detail } = sdk_failure(operation, err);
    match code.as_deref() {
        Some("ThrottlingException") => TimerError::Throttled(detail),
        Some("InternalServerException" | "ServiceUnavailable") => TimerError::Unavailable(detail),
        Some(_) => TimerError::Rejected(detail),
        None => TimerError::Unavailable(detail),
    }
}

#[async_trait]
impl Timers for SchedulerTimers {
    async fn arm(&self, timer: &Timer) -> Result<ArmOutcome, TimerError> {
        let retry = RetryPolicy::builder()
            .maximum_event_age_in_seconds(DELIVERY_MAX_AGE_SECONDS)
            .maximum_retry_attempts(DELIVERY_MAX_RETRIES)
            .build();
        let target = Target::builder()
            .arn(&self.target.queue_arn)
            .role_arn(&self.target.role_arn)
            .input(&timer.payload)
            .retry_policy(retry)
            .set_dead_letter_config(
                self.target
                    .dead_letter_arn
                    .as_ref()
                    .map(|arn| DeadLetterConfig::builder().arn(arn).build()),
            )
            .build()
            .map_err(|e| TimerError::Rejected(e.to_string()))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| TimerError::Rejected(e.to_string()))?;
        let result = self
            .client
            .create_schedule()
            .name(timer.name.as_str())
            .group_name(&self.target.group)
            .schedule_expression(at_expression(timer.due_at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match result {
            Ok(_) => Ok(ArmOutcome::Armed),
            Err(SdkError::ServiceError(se)) if se.err().is_conflict_exception() => {
                Ok(ArmOutcome::AlreadyArmed)
            }
            Err(e) => Err(sdk_error("CreateSchedule", e)),
        }
    }

    async fn disarm(&self, name: &TimerName) -> Result<(), TimerError> {
        let result = self
            .client
            .delete_schedule()
            .name(name.as_str())
            .group_name(&self.target.group)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_resource_not_found_exception() => Ok(()),
            Err(e) => Err(sdk_error("DeleteSchedule", e)),
        }
    }
}
