//! The data-request audit log (exports and erasures).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::sortable_time;

/// What a data request did: one entry of the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Export,
    Erase,
    /// An admin invited an agent (`customer` holds `agent:<id>`).
    AgentInvited,
    /// An admin changed an agent's teams, languages, capacity or role.
    AgentChanged,
    /// An admin deactivated an agent; `detail` counts the tickets put back in the queue.
    AgentDeactivated,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Erase => "erase",
            Self::AgentInvited => "agent_invited",
            Self::AgentChanged => "agent_changed",
            Self::AgentDeactivated => "agent_deactivated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "export" => Some(Self::Export),
            "erase" => Some(Self::Erase),
            "agent_invited" => Some(Self::AgentInvited),
            "agent_changed" => Some(Self::AgentChanged),
            "agent_deactivated" => Some(Self::AgentDeactivated),
            _ => None,
        }
    }
}

/// Who exported or erased which customer, and when. Stored under the day (`AUDIT#<day>`), not
/// under the customer, and naming the customer only by [`WaId::digest`]: erasing the customer
/// leaves it, and it reveals no number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Unique (a ULID): a repeated write of the same record changes nothing.
    pub id: String,
    pub at: Timestamp,
    /// An agent id (API), or `cli:<name>` (the runner's `gdpr` command).
    pub actor: String,
    pub action: AuditAction,
    /// The customer's digest (`c:` and 16 hex digits).
    pub customer: String,
    /// What the request found or removed (counts), for the reader.
    pub detail: String,
}

impl AuditRecord {
    /// The UTC day the record is filed under, `YYYY-MM-DD`.
    pub fn day(&self) -> String {
        self.at.strftime("%Y-%m-%d").to_string()
    }
}

/// The sort key of an audit record within its day (`AUDIT#<day>`): `REC#<time>#<id>`.
pub fn audit_sort_key(record: &AuditRecord) -> String {
    format!("REC#{}#{}", sortable_time(record.at), record.id)
}
