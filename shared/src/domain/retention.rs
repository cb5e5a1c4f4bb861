//! How long what the helpdesk holds about customers is kept: conversation data from its last
//! change, proof (consent, the data-request audit) from when it was recorded. Settings read it
//! from the environment; the store sets each item's expiry from it.

use jiff::{SignedDuration, Timestamp};

/// How long conversation data (tickets, messages, notes, open conversations, customer
/// profiles) is kept after its last change unless configured (`HELPDESK_RETENTION_DAYS`).
pub const DEFAULT_RETENTION: SignedDuration = SignedDuration::from_hours(365 * 24);

/// How long proof (consent records, the data-request audit) is kept unless configured
/// (`HELPDESK_PROOF_RETENTION_DAYS`): three years, the regular limitation period for claims
/// (§ 195 BGB), during which we may have to show that a message was sent with consent or that an
/// erasure was done.
pub const DEFAULT_PROOF_RETENTION: SignedDuration = SignedDuration::from_hours(3 * 365 * 24);

/// How long the table keeps what it holds about customers (DynamoDB TTL on `expires_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Conversation data, counted from each item's last change.
    pub data: SignedDuration,
    /// Consent records and audit records, counted from when they were recorded.
    pub proof: SignedDuration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            data: DEFAULT_RETENTION,
            proof: DEFAULT_PROOF_RETENTION,
        }
    }
}

impl Retention {
    /// When conversation data last changed at `from` expires.
    pub fn data_until(&self, from: Timestamp) -> Timestamp {
        from.saturating_add(self.data).unwrap_or(Timestamp::MAX)
    }

    /// When proof recorded at `from` expires.
    pub fn proof_until(&self, from: Timestamp) -> Timestamp {
        from.saturating_add(self.proof).unwrap_or(Timestamp::MAX)
    }
}
