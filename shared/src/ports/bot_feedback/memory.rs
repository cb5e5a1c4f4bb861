//! Bot feedback in memory (tests, the local runner without emulators).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{BotFeedback, day_of};
use crate::domain::unrecognised::{IntentCounts, Outcome, Unrecognised};
use crate::ports::store::StoreError;

#[derive(Debug, Default)]
pub struct MemoryBotFeedback {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// (day, key) -> item.
    items: BTreeMap<(String, String), Unrecognised>,
    /// (day, intent) -> counts.
    counts: BTreeMap<(String, String), IntentCounts>,
    /// The message keys already counted.
    counted: std::collections::HashSet<String>,
}

impl MemoryBotFeedback {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl BotFeedback for MemoryBotFeedback {
    async fn record(&self, key: &str, item: &Unrecognised) -> Result<(), StoreError> {
        self.lock()
            .items
            .insert((day_of(item.at), key.to_owned()), item.clone());
        Ok(())
    }

    async fn unrecognised(&self, days: &[String]) -> Result<Vec<Unrecognised>, StoreError> {
        let s = self.lock();
        Ok(s.items
            .iter()
            .filter(|((day, _), _)| days.contains(day))
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn count(
        &self,
        key: &str,
        at: jiff::Timestamp,
        intent: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        if !s.counted.insert(key.to_owned()) {
            return Ok(());
        }
        let c = s.counts.entry((day_of(at), intent.to_owned())).or_default();
        match outcome {
            Outcome::Contained => c.contained += 1,
            Outcome::HandedOff => c.handed_off += 1,
        }
        Ok(())
    }

    async fn counts(&self, days: &[String]) -> Result<BTreeMap<String, IntentCounts>, StoreError> {
        let s = self.lock();
        let mut out: BTreeMap<String, IntentCounts> = BTreeMap::new();
        for ((day, intent), c) in &s.counts {
            if days.contains(day) {
                let e = out.entry(intent.clone()).or_default();
                e.contained += c.contained;
                e.handed_off += c.handed_off;
            }
        }
        Ok(out)
    }
}
