//! The small values a configuration names: languages, ticket priorities, handoff reasons.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Normal, Self::High, Self::Urgent]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Why the bot hands a ticket to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    Urgent,
    Complaint,
    Request,
    FailedAttempts,
    BotTimeLimit,
    Media,
    OrderLookupFailed,
    /// Fraud or account misuse: its own team and SLA (category "fraud").
    Fraud,
}

impl HandoffReason {
    const ALL: [Self; 8] = [
        Self::Urgent,
        Self::Fraud,
        Self::Complaint,
        Self::Request,
        Self::FailedAttempts,
        Self::BotTimeLimit,
        Self::Media,
        Self::OrderLookupFailed,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Complaint => "complaint",
            Self::Request => "request",
            Self::FailedAttempts => "failed_attempts",
            Self::BotTimeLimit => "bot_time_limit",
            Self::Media => "media",
            Self::OrderLookupFailed => "order_lookup_failed",
            Self::Fraud => "fraud",
        }
    }
}
