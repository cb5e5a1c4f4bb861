//! Small documents an agent or a team owns: saved queue views and personal canned responses.
//! Each is versioned like the configuration: a create only if the id is free, an edit or a
//! delete only at the version the editor read (a stale edit is refused, never merged).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What an owned document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnedKind {
    /// A saved queue filter (`GET /views`).
    View,
    /// An agent's own canned response.
    Canned,
}

impl OwnedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Canned => "canned",
        }
    }
}

/// Who owns a document: `agent:<id>` or `team:<name>`.
pub fn agent_owner(agent: &str) -> String {
    format!("agent:{agent}")
}

/// See [`agent_owner`].
pub fn team_owner(team: &str) -> String {
    format!("team:{team}")
}

/// One owned document; `body` is the document's JSON (the store does not read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedDoc {
    pub kind: OwnedKind,
    pub owner: String,
    pub id: String,
    /// 1 when created, +1 with every edit.
    pub version: u64,
    pub body: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// Whether a conditional write of an owned document happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedWrite {
    Written,
    /// The id is taken (a create) or the document is not at the version expected (an edit, a
    /// delete): read it again.
    Conflict,
}
