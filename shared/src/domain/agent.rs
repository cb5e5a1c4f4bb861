//! Who works tickets: an agent's profile (teams, languages, capacity, presence) and what they may
//! do in the agent API (their role). Assignment (`app::agent_handoff::assign`) and the agent API
//! both speak this vocabulary.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::bot::Lang;

/// A person who works tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub teams: Vec<String>,
    pub languages: Vec<Lang>,
    /// Open tickets the agent can hold at once.
    pub capacity: u32,
    /// Open tickets the agent holds now.
    pub load: u32,
    pub online: bool,
    pub last_assigned_at: Option<Timestamp>,
    /// When an admin deactivated the agent: they no longer sign in, act or get tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<Timestamp>,
}

impl Agent {
    /// Online with a free slot: a ticket may be claimed for them.
    pub fn has_room(&self) -> bool {
        self.online && self.load < self.capacity && self.deactivated_at.is_none()
    }

    /// Speaks `language`; an unknown language is anyone's.
    pub fn speaks(&self, language: Option<Lang>) -> bool {
        language.is_none_or(|l| self.languages.contains(&l))
    }
}

/// What an agent may do in the agent API (README: Roles); ordered, each role may do what the
/// ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works their own tickets and their teams' queues.
    Agent,
    /// Sees and assigns every ticket, reads analytics, sets capacities.
    Supervisor,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Self::Agent),
            "supervisor" => Some(Self::Supervisor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    pub fn sees_everything(self) -> bool {
        self >= Self::Supervisor
    }
}
