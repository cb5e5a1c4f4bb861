//! The queue port: FIFO queues that carry work between functions, in order per message group
//! (SQS FIFO). `inbound.fifo` hands each new customer message to the bot (group = conversation,
//! dedup id = wamid); `handoff.fifo` hands tickets to the routing function.

mod memory;
mod sqs;

pub use memory::MemoryQueue;
pub use sqs::SqsQueue;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::handoff::HandoffItem;
use crate::domain::ids::{ConversationKey, TicketId, Wamid};

/// A handoff as it goes on `handoff.fifo`.
impl HandoffItem {
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

/// SQS accepts at most 10 entries per SendMessageBatch.
pub const MAX_BATCH: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is throttling requests ({0})")]
    Throttled(String),
    #[error("the queue could not be reached or failed ({0})")]
    Unavailable(String),
    #[error("the queue rejected {failed} of {total} messages ({detail})")]
    PartialFailure {
        failed: usize,
        total: usize,
        detail: String,
        retryable: bool,
    },
    #[error("the queue rejected the request ({0})")]
    Rejected(String),
}

impl QueueError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Throttled(_) | Self::Unavailable(_) => true,
            Self::PartialFailure { retryable, .. } => *retryable,
            Self::Rejected(_) => false,
        }
    }
}

/// One unit of work for the bot: a stored customer message. Versioned so consumers can reject
/// what they do not understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundQueueItem {
    pub v: u8,
    pub ticket_id: TicketId,
    pub wamid: Wamid,
    pub key: ConversationKey,
    pub sent_at: Timestamp,
    /// This message opened the ticket.
    pub opened_ticket: bool,
}

impl InboundQueueItem {
    pub const VERSION: u8 = 1;

    pub fn group_id(&self) -> String {
        self.key.group_id()
    }

    pub fn dedup_id(&self) -> &str {
        self.wamid.as_str()
    }

    pub fn to_message(&self) -> QueueMessage {
        QueueMessage::new(self.group_id(), self.dedup_id(), self)
    }
}

/// One message for a FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub group_id: String,
    pub dedup_id: String,
    pub body: String,
}

impl QueueMessage {
    pub fn new(
        group_id: impl Into<String>,
        dedup_id: impl Into<String>,
        body: &impl Serialize,
    ) -> Self {
        Self {
            group_id: group_id.into(),
            dedup_id: dedup_id.into(),
            body: serde_json::to_string(body).expect("queue items serialize"),
        }
    }

    /// The body as `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends messages in order: messages of one group must be given in the order consumers
    /// should see them. Succeeds only if every message was accepted.
    async fn send(&self, messages: &[QueueMessage]) -> Result<(), QueueError>;
}
