//! Ticket events for integrations: what a ticket change means to a CRM or a BI tool (opened,
//! handed over, assigned, replied, resolved, SLA warning and breach, rated), decided from the
//! change itself (the ticket before and after, the facts counted, the activity logged) and
//! stored as outbox steps with it, so an event is published once the change is stored, never
//! for a change that was not, and with the same id however often the step is redone.
//!
//! The detail (schema version [`SCHEMA_VERSION`]) carries no message text and no phone number:
//! the customer is the pseudonymous digest audit records use (`c:` + 16 hex digits of SHA-256 of
//! the number), which a CRM can compute from the numbers it holds to match its contacts.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::analytics::Fact;
use crate::domain::ids::TicketId;
use crate::domain::sla::Target;
use crate::domain::ticket::Ticket;
use crate::ports::events::BusEvent;
use crate::ports::store::{Activity, ActivityKind, OutboxEntry};

/// The version of the detail's shape: added fields keep it, a renamed or removed one raises it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new ticket, or a new question on a resolved one (the bot took it).
    Opened,
    /// The bot (or its time limit) passed the ticket to a person.
    HandedOver,
    /// An agent got the ticket (routing, a colleague, a supervisor, an escalation).
    Assigned,
    /// An agent wrote to the customer (a message or a template).
    Replied,
    Resolved,
    /// An SLA target is close to its deadline.
    SlaWarning,
    /// An SLA target missed its deadline (`sla.level` 1), or a later escalation level (2+).
    SlaBreached,
    /// The customer rated the support (1-5).
    Rated,
}

impl EventKind {
    pub const ALL: [Self; 8] = [
        Self::Opened,
        Self::HandedOver,
        Self::Assigned,
        Self::Replied,
        Self::Resolved,
        Self::SlaWarning,
        Self::SlaBreached,
        Self::Rated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::HandedOver => "handed_over",
            Self::Assigned => "assigned",
            Self::Replied => "replied",
            Self::Resolved => "resolved",
            Self::SlaWarning => "sla_warning",
            Self::SlaBreached => "sla_breached",
            Self::Rated => "rated",
        }
    }

    /// The EventBridge `detail-type`: `ticket.<kind>`.
    pub fn detail_type(self) -> String {
        format!("ticket.{}", self.as_str())
    }
}

/// Which SLA target a warning or breach is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDetail {
    pub target: Target,
    /// 0 the warning, 1 the breach, 2 and up the escalation levels.
    pub level: u8,
    pub due_at: Timestamp,
}

/// One event as the outbox stores it (its id comes from the outbox entry when published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub kind: EventKind,
    pub ticket_id: TicketId,
    pub occurred_at: Timestamp,
    /// An agent id, or `bot`, `routing`, `sla`.
    pub actor: String,
    /// The ticket after the change.
    pub status: String,
    pub priority: Option<String>,
    pub team: Option<String>,
    pub assignee: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    /// Why the bot handed over (`handed_over`).
    pub handoff_reason: Option<String>,
    /// The customer's digest (`c:` + 16 hex digits), never the number.
    pub customer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaDetail>,
    /// The rating (`rated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// Whether the bot resolved it without a person (`resolved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by_bot: Option<bool>,
}

/// What a ticket change means to subscribers, in the order it happened: `before` and `after`
/// the change, the analytics `facts` it counted and the `activity` it logged, by `actor`.
pub fn derive(
    before: &Ticket,
    after: &Ticket,
    facts: &[Fact],
    activity: &[Activity],
    actor: &str,
    now: Timestamp,
) -> Vec<TicketEvent> {
    let event = |kind: EventKind| TicketEvent {
        kind,
        ticket_id: after.id,
        occurred_at: now,
        actor: actor.to_owned(),
        status: after.status.as_str().to_owned(),
        priority: after.priority.map(|p| p.as_str().to_owned()),
        team: after.team.clone(),
        assignee: after.assignee.clone(),
        category: after.category.clone(),
        language: after
            .bot
            .as_ref()
            .and_then(|b| b.language)
            .map(|l| l.code().to_owned()),
        handoff_reason: None,
        customer: after.key.wa_id.digest(),
        sla: None,
        score: None,
        resolved_by_bot: None,
    };
    let mut events = Vec::new();
    if facts.contains(&Fact::Opened) {
        events.push(event(EventKind::Opened));
    }
    if facts.contains(&Fact::HandedOff) {
        events.push(TicketEvent {
            handoff_reason: after.handoff_reason.map(|r| r.as_str().to_owned()),
            ..event(EventKind::HandedOver)
        });
    }
    if after.assignee.is_some() && after.assignee != before.assignee {
        events.push(event(EventKind::Assigned));
    }
    for entry in activity {
        let kind = match entry.kind {
            ActivityKind::Replied | ActivityKind::TemplateSent => EventKind::Replied,
            ActivityKind::SlaWarning => EventKind::SlaWarning,
            ActivityKind::SlaBreach | ActivityKind::SlaEscalation => EventKind::SlaBreached,
            _ => continue,
        };
        events.push(TicketEvent {
            sla: entry.sla.as_ref().map(|m| SlaDetail {
                target: m.target,
                level: m.level,
                due_at: m.due_at,
            }),
            ..event(kind)
        });
    }
    if facts.contains(&Fact::Resolved) {
        events.push(TicketEvent {
            resolved_by_bot: Some(after.resolved_by_bot),
            ..event(EventKind::Resolved)
        });
    }
    for fact in facts {
        if let Fact::Rated(score) = fact {
            events.push(TicketEvent {
                score: Some(*score),
                ..event(EventKind::Rated)
            });
        }
    }
    events
}

/// The id of the event an outbox entry publishes: the same for every attempt (the entry is
/// named by the ticket, its change's key and its place), different for every other entry. Hex
/// of a SHA-256 because the key can be a wamid, which carries the customer's number.
pub fn event_id(entry: &OutboxEntry) -> String {
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    digest.update(entry.ticket_id.to_string().as_bytes());
    digest.update([0]);
    digest.update(entry.inbound.as_str().as_bytes());
    digest.update([0, entry.seq]);
    hex::encode(&digest.finalize()[..16])
}

/// The event subscribers get for `event`, stored as `entry`.
pub fn bus_event(entry: &OutboxEntry, event: &TicketEvent) -> BusEvent {
    let id = event_id(entry);
    let mut detail = serde_json::to_value(event).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut detail {
        map.remove("kind");
        map.insert("schema_version".into(), json!(SCHEMA_VERSION));
        map.insert("event_id".into(), json!(id));
        map.insert("type".into(), json!(event.kind.as_str()));
    }
    BusEvent {
        id,
        detail_type: event.kind.detail_type(),
        time: event.occurred_at,
        detail,
    }
}

#[cfg(test)]
mod tests;
