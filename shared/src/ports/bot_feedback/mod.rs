//! The bot's learning material (`domain::unrecognised`): the messages it did not understand, that
//! failed or were handed over, scrubbed, and how conversations per intent ended. Kept like
//! messages (the same retention); read by the admin area's `GET /bot/unrecognised`.

pub mod dynamo;
pub mod memory;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::domain::unrecognised::{IntentCounts, Outcome, Unrecognised};
use crate::ports::store::StoreError;

pub use dynamo::DynamoBotFeedback;
pub use memory::MemoryBotFeedback;

/// Days the list looks back.
pub const LOOKBACK_DAYS: usize = 30;

#[async_trait]
pub trait BotFeedback: Send + Sync {
    /// Keeps `item` under `key` (the message it came from: a redelivery writes the same item
    /// again, not a second one), filed under its UTC day.
    async fn record(&self, key: &str, item: &Unrecognised) -> Result<(), StoreError>;

    /// The recorded messages of the UTC days `days` (`YYYY-MM-DD`).
    async fn unrecognised(&self, days: &[String]) -> Result<Vec<Unrecognised>, StoreError>;

    /// Counts one bot turn with `intent` that ended as `outcome`, filed under `at`'s UTC day,
    /// once per `key` (the message it came from): a redelivered or re-decided message is not
    /// counted again.
    async fn count(
        &self,
        key: &str,
        at: jiff::Timestamp,
        intent: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError>;

    /// The counts per intent over `days`.
    async fn counts(&self, days: &[String]) -> Result<BTreeMap<String, IntentCounts>, StoreError>;
}

/// The UTC day a time is filed under.
pub fn day_of(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// The last `n` UTC days up to `now`, oldest first.
pub fn last_days(now: jiff::Timestamp, n: usize) -> Vec<String> {
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let mut days: Vec<String> = (0..n as i64)
        .filter_map(|k| today.checked_sub(jiff::ToSpan::days(k)).ok())
        .map(|d| d.to_string())
        .collect();
    days.reverse();
    days
}
