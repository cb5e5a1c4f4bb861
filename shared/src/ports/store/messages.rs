//! What the store keeps of a message: the record on its ticket, its delivery state and its
//! idempotency record, and the outcomes of writing them.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::sortable_time;
use crate::domain::ids::{TicketId, Wamid};
use crate::domain::whatsapp::{DeliveryState, OutboundBody};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Self::Inbound),
            "outbound" => Some(Self::Outbound),
            _ => None,
        }
    }
}

/// One message on a ticket, either direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub ticket_id: TicketId,
    pub wamid: Wamid,
    pub direction: Direction,
    /// Inbound: the customer's send time (Meta's timestamp). Outbound: when we sent it.
    pub sent_at: Timestamp,
    /// When we stored it.
    pub recorded_at: Timestamp,
    /// The content type tag (`text`, `image`, `button_reply`, ...).
    pub kind: String,
    /// Readable text (body, caption, button title), if any.
    pub text: Option<String>,
    /// Cloud API media id, for media messages.
    pub media_id: Option<String>,
    /// The full typed content as JSON.
    pub content: String,
    /// The message this one replies to (WhatsApp `context.id`).
    pub context_id: Option<String>,
    /// The customer's WhatsApp profile name when the message arrived.
    pub profile_name: Option<String>,
    pub delivery: Option<Delivery>,
    /// Inbound: when the bot (or the agent routing) took this message into account.
    pub handled_at: Option<Timestamp>,
    /// Inbound media as we keep it (stored copy or why not).
    #[serde(default)]
    pub media: Option<crate::ports::media::MediaRecord>,
    /// Outbound: the agent who wrote it (`None`: the bot).
    #[serde(default)]
    pub sent_by: Option<String>,
}

impl MessageRecord {
    /// A text the customer sent on `ticket_id`, sent and recorded at `at`: not yet handled,
    /// no media, no reply context. The content is what intake stores for a text (the same
    /// `{"type":"text","body":..}` as a text we send).
    pub fn inbound_text(ticket_id: TicketId, wamid: Wamid, body: &str, at: Timestamp) -> Self {
        Self::text(ticket_id, wamid, Direction::Inbound, body, at)
    }

    /// A text the bot sent on `ticket_id` at `at` (recorded at once), no delivery status yet.
    pub fn outbound_text(ticket_id: TicketId, wamid: Wamid, body: &str, at: Timestamp) -> Self {
        Self::text(ticket_id, wamid, Direction::Outbound, body, at)
    }

    fn text(
        ticket_id: TicketId,
        wamid: Wamid,
        direction: Direction,
        body: &str,
        at: Timestamp,
    ) -> Self {
        Self {
            ticket_id,
            wamid,
            direction,
            sent_at: at,
            recorded_at: at,
            kind: "text".into(),
            text: Some(body.into()),
            media_id: None,
            // A text body is one string: it serializes.
            content: serde_json::to_string(&OutboundBody::Text { body: body.into() })
                .unwrap_or_else(|_| "{}".to_owned()),
            context_id: None,
            profile_name: None,
            delivery: None,
            handled_at: None,
            media: None,
            sent_by: None,
        }
    }
}

/// What Meta last told us about an outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub state: DeliveryState,
    pub at: Timestamp,
    /// Meta's `errors[]` for a failed message, as JSON.
    pub errors: Option<String>,
}

/// The idempotency record of a wamid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenMessage {
    pub wamid: Wamid,
    pub ticket_id: TicketId,
    pub direction: Direction,
    pub sent_at: Timestamp,
    /// Inbound only: the bot queue has it. A stored but not enqueued message is enqueued again
    /// when Meta redelivers it.
    pub enqueued: bool,
}

/// The result of a write guarded by conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The wamid is already stored: nothing was written.
    Duplicate,
    /// The conversation changed since it was read (another message opened or joined a ticket):
    /// nothing was written; read again and decide again.
    ConversationMoved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Applied,
    /// We never sent (or no longer remember) that message.
    UnknownMessage,
    /// An equal or later state is already recorded.
    Superseded,
    /// The message is not recorded yet (Meta's status can overtake our write of the message
    /// we sent): the status is kept and applied when the message is recorded.
    Held,
}

/// How long a status that overtook its message is kept waiting for it. The message is recorded
/// right after the send; one never recorded (a crash between send and write) is sent again
/// under a new wamid, so its early status is only kept until DynamoDB's TTL removes it.
pub const EARLY_STATUS_RETENTION: SignedDuration = SignedDuration::from_hours(24);

/// The sort key of a message item: `MSG#<time>#<wamid>`.
pub fn message_sort_key(sent_at: Timestamp, wamid: &Wamid) -> String {
    format!("MSG#{}#{}", sortable_time(sent_at), wamid.as_str())
}
