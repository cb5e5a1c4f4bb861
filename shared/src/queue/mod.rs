//! The inbound queue port: hands each new customer message to the bot, in order per
//! conversation (SQS FIFO, MessageGroupId = conversation, MessageDeduplicationId = wamid).

mod memory;
mod sqs;

pub use memory::MemoryQueue;
pub use sqs::SqsQueue;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ConversationKey, TicketId, Wamid};

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

    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("queue items serialize")
    }
}

#[async_trait]
pub trait InboundQueue: Send + Sync {
    /// Sends items in order. Items of one group must be given in the order the bot should see
    /// them. Succeeds only if every item was accepted.
    async fn send(&self, items: &[InboundQueueItem]) -> Result<(), QueueError>;
}
