//! In-memory timers: armed timers wait in a map until [`MemoryTimers::take_due`] hands them to
//! whatever plays the scheduler (the local runner's pump, a test).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;

use super::{ArmOutcome, Timer, TimerError, TimerName, Timers};

#[derive(Debug, Default)]
pub struct MemoryTimers {
    armed: Mutex<BTreeMap<TimerName, Timer>>,
    /// Scripted outcomes of the next calls: `None` passes, `Some` fails.
    faults: Mutex<VecDeque<Option<TimerError>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryTimers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn inject_faults(&self, errors: impl IntoIterator<Item = TimerError>) {
        lock(&self.faults).extend(errors.into_iter().map(Some));
    }

    /// The next `passes` calls succeed, then the following ones fail with `errors`.
    pub fn fail_after(&self, passes: usize, errors: impl IntoIterator<Item = TimerError>) {
        let mut faults = lock(&self.faults);
        faults.extend(std::iter::repeat_n(None, passes));
        faults.extend(errors.into_iter().map(Some));
    }

    pub fn armed(&self) -> Vec<Timer> {
        lock(&self.armed).values().cloned().collect()
    }

    /// Removes and returns the timers due at `now`, earliest first (what a one-shot schedule
    /// with ActionAfterCompletion DELETE does when it fires).
    pub fn take_due(&self, now: Timestamp) -> Vec<Timer> {
        let mut armed = lock(&self.armed);
        let due: Vec<TimerName> = armed
            .values()
            .filter(|t| t.due_at <= now)
            .map(|t| t.name.clone())
            .collect();
        let mut fired: Vec<Timer> = due.iter().filter_map(|n| armed.remove(n)).collect();
        fired.sort_by_key(|t| t.due_at);
        fired
    }

    fn fault(&self) -> Result<(), TimerError> {
        lock(&self.faults).pop_front().flatten().map_or(Ok(()), Err)
    }
}

#[async_trait]
impl Timers for MemoryTimers {
    async fn arm(&self, timer: &Timer) -> Result<ArmOutcome, TimerError> {
        self.fault()?;
        let mut armed = lock(&self.armed);
        if armed.contains_key(&timer.name) {
            return Ok(ArmOutcome::AlreadyArmed);
        }
        armed.insert(timer.name.clone(), timer.clone());
        Ok(ArmOutcome::Armed)
    }

    async fn disarm(&self, name: &TimerName) -> Result<(), TimerError> {
        self.fault()?;
        lock(&self.armed).remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(name: &str, due: &str) -> Timer {
        Timer {
            name: TimerName::parse(name).unwrap(),
            due_at: due.parse().unwrap(),
            payload: "{}".into(),
        }
    }

    #[tokio::test]
    async fn arming_twice_keeps_one_timer_and_due_timers_fire_once() {
        let timers = MemoryTimers::new();
        assert_eq!(
            timers.arm(&timer("a", "2026-11-01T09:00:00Z")).await,
            Ok(ArmOutcome::Armed)
        );
        assert_eq!(
            timers.arm(&timer("a", "2026-11-01T09:00:00Z")).await,
            Ok(ArmOutcome::AlreadyArmed)
        );
        timers
            .arm(&timer("b", "2026-11-01T10:00:00Z"))
            .await
            .unwrap();
        assert!(
            timers
                .take_due("2026-11-01T08:59:59Z".parse().unwrap())
                .is_empty()
        );
        let fired = timers.take_due("2026-11-01T09:00:00Z".parse().unwrap());
        assert_eq!(fired.len(), 1);
        assert!(
            timers
                .take_due("2026-11-01T09:30:00Z".parse().unwrap())
                .is_empty()
        );
    }

    #[tokio::test]
    async fn disarming_a_missing_timer_is_success() {
        let timers = MemoryTimers::new();
        assert_eq!(
            timers.disarm(&TimerName::parse("gone").unwrap()).await,
            Ok(())
        );
    }
}
