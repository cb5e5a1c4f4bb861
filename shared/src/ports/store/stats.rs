//! Analytics counters: increments applied once per event, summed per scope and day.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counter increments for the analytics of one day, applied once per `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsEvent {
    /// What happened, uniquely (`<ticket>#<what>#<when>`): a repeat is ignored.
    pub key: String,
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Spreads writes of one day over several items.
    pub shard: u8,
    /// `all`, `team:<id>`, `agent:<id>`: every scope gets the same increments.
    pub scopes: Vec<String>,
    /// Counter name (`[a-z0-9_]`) to increment.
    pub counters: BTreeMap<String, i64>,
}

/// The counters of one scope on one day, summed over shards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsRow {
    pub day: String,
    pub scope: String,
    pub counters: BTreeMap<String, i64>,
}
