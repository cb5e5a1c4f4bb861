//! What the bot puts on `handoff.fifo` when a person must take over.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::bot::{HandoffReason, Priority};
use crate::domain::ids::{ConversationKey, TicketId, Wamid};
use crate::domain::ticket::Ticket;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffItem {
    pub v: u8,
    pub ticket_id: TicketId,
    pub key: ConversationKey,
    pub reason: HandoffReason,
    pub priority: Priority,
    pub requested_at: Timestamp,
    /// What triggered this handoff, unique among the ticket's handoffs: the customer message
    /// whose bot turn handed over, or the timer key (`sla.<timer>`) at the bot's time limit.
    /// Routing and the queue deduplicate by it, so it must never name an earlier handoff (a
    /// ticket is handed over again after a resolution or a new question).
    pub inbound: Wamid,
    /// Where the full history is: the ticket's partition (`TICKET#<id>`).
    pub transcript: String,
}

impl HandoffItem {
    pub const VERSION: u8 = 1;

    /// The handoff of `ticket`, triggered by `inbound` (see the field).
    pub fn for_ticket(
        ticket: &Ticket,
        reason: HandoffReason,
        priority: Priority,
        requested_at: Timestamp,
        inbound: Wamid,
    ) -> Self {
        Self {
            v: Self::VERSION,
            ticket_id: ticket.id,
            key: ticket.key.clone(),
            reason,
            priority,
            requested_at,
            inbound,
            transcript: format!("TICKET#{}", ticket.id),
        }
    }
}
