//! The outbox: steps a ticket change decided, stored with it and done afterwards.

use serde::{Deserialize, Serialize};

use crate::domain::ids::{TicketId, Wamid};

/// Something to do after a bot turn is stored: a WhatsApp message to send, or a handoff to
/// queue. Stored with the turn (the outbox), done afterwards, so a crash or a redelivery finishes
/// what was decided and never decides twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub ticket_id: TicketId,
    /// The customer message this answers.
    pub inbound: Wamid,
    /// Order within the turn.
    pub seq: u8,
    pub kind: OutboxKind,
    /// JSON: an `OutboundBody` or a `HandoffItem`.
    pub payload: String,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    WhatsApp,
    Handoff,
    Timer,
    Notify,
    /// Analytics counters (a `StatsEvent`).
    Stats,
    /// A slot of agent capacity to give back (a `CapacityRelease`), once.
    Release,
    /// A ticket event for integrations (a `TicketEvent`), published to the event bus.
    Event,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WhatsApp => "whatsapp",
            Self::Handoff => "handoff",
            Self::Timer => "timer",
            Self::Notify => "notify",
            Self::Stats => "stats",
            Self::Release => "release",
            Self::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "whatsapp" => Some(Self::WhatsApp),
            "handoff" => Some(Self::Handoff),
            "timer" => Some(Self::Timer),
            "notify" => Some(Self::Notify),
            "stats" => Some(Self::Stats),
            "release" => Some(Self::Release),
            "event" => Some(Self::Event),
            _ => None,
        }
    }
}

/// The sort key of an outbox entry: `OUT#<key>#<seq, three digits>` (sorts in order).
pub fn outbox_sort_key(inbound: &Wamid, seq: u8) -> String {
    format!("OUT#{}#{seq:03}", inbound.as_str())
}

/// How errors and logs name an outbox entry: its sort key with the wamid's digest
/// (`OUT#w:…#001`), never the wamid, which carries the customer's number.
pub fn outbox_log_key(inbound: &Wamid, seq: u8) -> String {
    format!("OUT#{}#{seq:03}", inbound.log_ref())
}
