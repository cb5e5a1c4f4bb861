//! What every SQS-consumer Lambda binary does around its handler: logging, the AWS clients and
//! the handler built once at start (a bad configuration stops the start with the problem named),
//! then each event's records handled and the failed ones reported for redelivery.

use std::future::Future;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

use crate::app::bot_reply::QueueRecord;
use crate::platform::config::Env;
use crate::platform::deadline::Deadline;
use crate::platform::wiring::{AwsClients, StartError};

/// A queue consumer: handles a batch before `deadline` and returns the ids of the records to
/// deliver again (those it failed and those it left no time for).
#[async_trait]
pub trait BatchHandler: Send + Sync {
    async fn handle_batch(&self, records: &[QueueRecord], deadline: Deadline) -> Vec<String>;
}

#[async_trait]
impl BatchHandler for crate::app::bot_reply::BotReply {
    async fn handle_batch(&self, records: &[QueueRecord], deadline: Deadline) -> Vec<String> {
        self.handle_batch_until(records, deadline).await
    }
}

#[async_trait]
impl BatchHandler for crate::app::agent_handoff::Router {
    async fn handle_batch(&self, records: &[QueueRecord], deadline: Deadline) -> Vec<String> {
        self.handle_batch_until(records, deadline).await
    }
}

#[async_trait]
impl BatchHandler for crate::app::sla_breach::SlaBreach {
    async fn handle_batch(&self, records: &[QueueRecord], deadline: Deadline) -> Vec<String> {
        self.handle_batch_until(records, deadline).await
    }
}

/// Runs an SQS consumer Lambda (ReportBatchItemFailures) around the handler `build` makes from
/// the process environment and the AWS clients.
pub async fn serve_sqs<H, F, Fut>(build: F) -> Result<(), Error>
where
    H: BatchHandler,
    F: FnOnce(Env, AwsClients) -> Fut,
    Fut: Future<Output = Result<H, StartError>>,
{
    crate::platform::telemetry::init();
    let aws = AwsClients::new(&crate::platform::wiring::sdk_config().await);
    let handler = build(Env::from_process(), aws).await.inspect_err(
        |e| tracing::error!(error = %e, "configuration is invalid; refusing to start"),
    )?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // Lambda's deadline for this invocation: records left without time are redelivered
        // instead of the whole batch timing out.
        let deadline = Deadline::from_epoch_millis(event.context.deadline);
        let failed = handler
            .handle_batch(&QueueRecord::from_event(event.payload), deadline)
            .await;
        Ok::<_, Error>(QueueRecord::batch_response(failed))
    }))
    .await
}
