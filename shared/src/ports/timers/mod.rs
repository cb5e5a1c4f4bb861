//! The timers port: one one-shot timer per deadline (EventBridge Scheduler `at()` schedules in
//! AWS). Arming the same name twice is harmless; disarming a timer that is gone is success.

mod memory;
mod scheduler;

pub use memory::MemoryTimers;
pub use scheduler::{SchedulerTarget, SchedulerTimers};

use async_trait::async_trait;
use jiff::Timestamp;

pub use crate::domain::timer::{InvalidTimerName, MAX_NAME_LEN, Timer, TimerName};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimerError {
    #[error("timer name {0:?} is not 1-64 characters of letters, digits, '-', '_' or '.'")]
    InvalidName(String),
    #[error("the scheduler is throttling requests ({0})")]
    Throttled(String),
    #[error("the scheduler could not be reached or failed ({0})")]
    Unavailable(String),
    #[error("the scheduler rejected the request ({0})")]
    Rejected(String),
}

impl TimerError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled(_) | Self::Unavailable(_))
    }
}

impl From<InvalidTimerName> for TimerError {
    fn from(e: InvalidTimerName) -> Self {
        Self::InvalidName(e.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmOutcome {
    Armed,
    /// A timer with that name exists already (a retry): left as it is.
    AlreadyArmed,
}

#[async_trait]
pub trait Timers: Send + Sync {
    async fn arm(&self, timer: &Timer) -> Result<ArmOutcome, TimerError>;
    async fn disarm(&self, name: &TimerName) -> Result<(), TimerError>;
}

/// Scheduler's one-shot expression: `at(yyyy-mm-ddThh:mm:ss)`, UTC, whole seconds (rounded up,
/// so a timer never fires before its deadline).
pub fn at_expression(due_at: Timestamp) -> String {
    let secs = if due_at.subsec_nanosecond() > 0 {
        due_at.as_second() + 1
    } else {
        due_at.as_second()
    };
    let whole = Timestamp::from_second(secs).unwrap_or(due_at);
    format!("at({})", whole.strftime("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expression_is_utc_whole_seconds_never_early() {
        assert_eq!(
            at_expression("2026-03-29T01:30:00Z".parse().unwrap()),
            "at(2026-03-29T01:30:00)"
        );
        assert_eq!(
            at_expression("2026-03-29T01:30:00.2Z".parse().unwrap()),
            "at(2026-03-29T01:30:01)"
        );
    }

    #[test]
    fn timer_names_fit_the_scheduler_rules() {
        assert!(TimerName::parse("sla-01JDQ0000000000000000000AA-first_response-3").is_ok());
        assert!(TimerName::parse("").is_err());
        assert!(TimerName::parse("has space").is_err());
        assert!(TimerName::parse("sla#1").is_err());
        assert!(TimerName::parse(&"a".repeat(65)).is_err());
    }
}
