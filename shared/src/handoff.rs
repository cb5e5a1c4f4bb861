//! What the bot puts on `handoff.fifo` when a person must take over.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::bot::{HandoffReason, Priority};
use crate::ids::{ConversationKey, TicketId, Wamid};
use crate::queue::QueueMessage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffItem {
    pub v: u8,
    pub ticket_id: TicketId,
    pub key: ConversationKey,
    pub reason: HandoffReason,
    pub priority: Priority,
    pub requested_at: Timestamp,
    /// The customer message that triggered it.
    pub inbound: Wamid,
    /// Where the full history is: the ticket's partition (`TICKET#<id>`).
    pub transcript: String,
}

impl HandoffItem {
    pub const VERSION: u8 = 1;

    /// Grouped per conversation (order), deduplicated per triggering message.
    pub fn to_message(&self) -> QueueMessage {
        QueueMessage::new(
            self.key.group_id(),
            format!(
                "{}-{}",
                self.ticket_id,
                self.inbound.as_str().chars().take(90).collect::<String>()
            ),
            self,
        )
    }
}
