//! A ticket's activity log: notes and what people, the routing and timers did.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::sortable_time;
use crate::domain::ids::TicketId;

/// One entry of a ticket's activity log: an internal note or something a person, the routing
/// or a timer did. Customers never see these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub ticket_id: TicketId,
    /// Unique within the ticket (a ULID), so a retried write cannot add it twice.
    pub id: String,
    pub at: Timestamp,
    /// An agent id, or `routing`, `bot`, `sla`.
    pub actor: String,
    pub kind: ActivityKind,
    pub text: Option<String>,
    /// Agents named with `@id` in a note.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// The ticket version the change that logged this entry wrote; entries of one millisecond
    /// (a tag and its untag, a reply and the assignment it brings) sort by it, so they are
    /// listed in the order they happened, not by the random part of two request keys.
    #[serde(default)]
    pub ticket_version: u64,
    /// The SLA stage an `sla_*` entry records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaMark>,
}

/// Which SLA target a warning, breach or escalation entry is about, and how far it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaMark {
    pub target: crate::domain::sla::Target,
    /// 0 for the warning, 1 for the breach, 2 and up for the escalation levels.
    pub level: u8,
    /// When the target was (or is) due.
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Note,
    /// An agent wrote to the customer (the message itself is on the ticket).
    Replied,
    Assigned,
    Unassigned,
    Priority,
    Category,
    Pending,
    Resolved,
    Reopened,
    TemplateSent,
    /// An SLA target is close to its deadline (`sla` says which).
    SlaWarning,
    /// An SLA target missed its deadline; `text` says who was told.
    SlaBreach,
    /// A later escalation level; `text` says what it changed (priority, team, agent).
    SlaEscalation,
    /// The ticket was taken from the agent in `text` by the actor (a colleague taking it over,
    /// a supervisor reassigning it); that agent was told.
    TakenOver,
    /// An agent reacted to a customer message with the emoji in `text` (the reaction itself is
    /// on the ticket).
    Reacted,
    /// A tag (in `text`) was put on the ticket.
    Tagged,
    /// A tag (in `text`) was taken off the ticket.
    Untagged,
}

/// The sort key of an activity item: `ACT#<time>#<ticket version>#<id>`.
pub fn activity_sort_key(activity: &Activity) -> String {
    format!(
        "ACT#{}#{:012}#{}",
        sortable_time(activity.at),
        activity.ticket_version,
        activity.id
    )
}
