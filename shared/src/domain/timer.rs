//! A timer as the domain plans it: a deterministic name and when it is due (SLA deadlines, the
//! bot's time limits). The timers port (`ports::timers`) arms and disarms them.

use jiff::Timestamp;

/// Scheduler names: 1–64 characters of `[0-9A-Za-z-_.]`.
pub const MAX_NAME_LEN: usize = 64;

/// A timer name outside the scheduler's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timer name {0:?} is not 1-64 characters of letters, digits, '-', '_' or '.'")]
pub struct InvalidTimerName(pub String);

/// A validated timer name, deterministic for what it times so a retry cannot arm a second timer.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TimerName(String);

impl TryFrom<String> for TimerName {
    type Error = InvalidTimerName;
    fn try_from(s: String) -> Result<Self, InvalidTimerName> {
        Self::parse(&s)
    }
}

impl From<TimerName> for String {
    fn from(n: TimerName) -> String {
        n.0
    }
}

impl TimerName {
    pub fn parse(s: &str) -> Result<Self, InvalidTimerName> {
        let ok = !s.is_empty()
            && s.len() <= MAX_NAME_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidTimerName(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A timer: at `due_at`, deliver `payload` (JSON) to the timer target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timer {
    pub name: TimerName,
    pub due_at: Timestamp,
    pub payload: String,
}
