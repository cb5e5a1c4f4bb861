//! The time an invocation has left. Lambda stops a function at its timeout and, for a queue
//! consumer, a batch cut short that way is redelivered whole (healthy records with it) and
//! counts towards the dead-letter queue. So a handler knows its deadline: it starts no record
//! it cannot finish ([`Deadline::allows_start`]) and bounds every wait on an outside API by the
//! time left ([`within`]), retries included.
//!
//! The deadline of the running invocation is task-local ([`Deadline::scope`]): it bounds calls
//! made deep in the outbox and the WhatsApp client without threading it through every
//! signature. Outside a scope there is no deadline (tests, the local runner).

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Kept free at the end of an invocation: for the writes after the last outside call (marking
/// an outbox entry done, the batch response, the metrics line).
pub const FINISH_MARGIN: Duration = Duration::from_secs(3);

/// The least time a record needs to be worth starting: one whole Cloud API attempt (the 10 s
/// HTTP timeout of [`crate::ports::whatsapp::CloudApi`]) and [`FINISH_MARGIN`], plus a little for the
/// store. A record started later would have its first send cut short, and a send cut short
/// may have reached the customer although we count it failed.
pub const START_RESERVE: Duration = Duration::from_secs(15);

tokio::task_local! {
    static CURRENT: Deadline;
}

/// When the running invocation must be done; `None`: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No limit.
    pub const fn none() -> Self {
        Self(None)
    }

    /// `after` from now.
    pub fn after(after: Duration) -> Self {
        Self(Some(Instant::now() + after))
    }

    /// From Lambda's context deadline (milliseconds since the Unix epoch).
    pub fn from_epoch_millis(millis: u64) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let left = Duration::from_millis(millis).saturating_sub(now);
        Self::after(left)
    }

    /// The deadline of the invocation this task runs for (none outside a [`Deadline::scope`]).
    pub fn current() -> Self {
        CURRENT.try_with(|d| *d).unwrap_or_default()
    }

    /// Runs `work` with this deadline as the current one.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// The time left before the deadline (`None`: unlimited).
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// The time left for outside calls: what remains minus [`FINISH_MARGIN`].
    pub fn usable(&self) -> Option<Duration> {
        self.remaining().map(|r| r.saturating_sub(FINISH_MARGIN))
    }

    /// Whether a new record may still be started ([`START_RESERVE`] left).
    pub fn allows_start(&self) -> bool {
        self.remaining().is_none_or(|r| r >= START_RESERVE)
    }

    /// Whether a wait of `pause` followed by an attempt of at least `attempt` still fits.
    pub fn fits(&self, pause: Duration, attempt: Duration) -> bool {
        self.usable().is_none_or(|u| u >= pause + attempt)
    }
}

/// The current deadline was reached before `work` finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the invocation's time ran out (deadline less {FINISH_MARGIN:?})")]
pub struct OutOfTime;

/// Runs `work`, giving up when the current deadline (less [`FINISH_MARGIN`]) arrives.
pub async fn within<F: Future>(work: F) -> Result<F::Output, OutOfTime> {
    match Deadline::current().usable() {
        None => Ok(work.await),
        Some(usable) if usable.is_zero() => Err(OutOfTime),
        Some(usable) => tokio::time::timeout(usable, work)
            .await
            .map_err(|_| OutOfTime),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outside_a_scope_there_is_no_limit() {
        assert_eq!(Deadline::current(), Deadline::none());
        assert!(Deadline::current().allows_start());
        assert_eq!(within(async { 7 }).await, Ok(7));
    }

    #[tokio::test]
    async fn a_wait_longer_than_the_time_left_is_cut_at_the_margin() {
        let deadline = Deadline::after(FINISH_MARGIN + Duration::from_millis(200));
        let started = Instant::now();
        let result = deadline
            .scope(within(tokio::time::sleep(Duration::from_secs(30))))
            .await;
        assert_eq!(result, Err(OutOfTime));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn no_record_starts_with_less_than_the_reserve_left() {
        assert!(Deadline::after(START_RESERVE + Duration::from_secs(1)).allows_start());
        assert!(!Deadline::after(START_RESERVE - Duration::from_secs(1)).allows_start());
        assert!(
            !Deadline::from_epoch_millis(0).allows_start(),
            "a past deadline"
        );
    }

    #[test]
    fn lambdas_epoch_deadline_becomes_the_time_left() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let millis = u64::try_from((now + Duration::from_secs(60)).as_millis()).unwrap();
        let left = Deadline::from_epoch_millis(millis).remaining().unwrap();
        assert!(left > Duration::from_secs(58) && left <= Duration::from_secs(60));
    }
}
