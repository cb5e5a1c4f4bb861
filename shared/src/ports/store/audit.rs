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
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Erase => "erase",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "export" => Some(Self::Export),
            "erase" => Some(Self::Erase),
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
