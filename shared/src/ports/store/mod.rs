//! The ticket store port: tickets, their messages, open conversations, idempotency records and
//! customer profiles. Written in domain terms so the DynamoDB adapter and the in-memory adapter
//! give the same guarantees (conditional writes, atomic multi-item writes).

mod activity;
mod audit;
pub mod changes;
mod dynamo;
mod memory;
mod messages;
mod outbox;
mod owned;
pub(crate) mod query;
pub mod search;
mod stats;

pub use activity::{Activity, ActivityKind, SlaMark, activity_sort_key};
pub use audit::{AuditAction, AuditRecord, audit_sort_key};
pub(crate) use dynamo::sdk_error;
pub use dynamo::{ASSIGNEE_INDEX, CUSTOMER_INDEX, DynamoStore, QUEUE_INDEX};
pub use memory::MemoryStore;
pub use messages::{
    Delivery, Direction, EARLY_STATUS_RETENTION, MessageRecord, SeenMessage, StatusOutcome,
    WriteOutcome, message_sort_key,
};
pub use outbox::{OutboxEntry, OutboxKind, outbox_log_key, outbox_sort_key};
pub use owned::{OwnedDoc, OwnedKind, OwnedWrite, agent_owner, team_owner};
pub use query::{InvalidCursor, MAX_QUERIES, TicketFilter, TicketIndex, TicketPage, TicketQuery};
pub use stats::{StatsEvent, StatsRow};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::app::intake::webhook::plan::StatusUpdate;
pub use crate::domain::agent::Agent;
use crate::domain::ids::{ConversationKey, TicketId, WaId, Wamid};
pub use crate::domain::retention::{DEFAULT_PROOF_RETENTION, DEFAULT_RETENTION, Retention};
use crate::domain::ticket::{Conversation, Ticket};

/// How long a wamid is remembered. Meta retries a webhook for up to 7 days.
pub const SEEN_RETENTION: SignedDuration = SignedDuration::from_hours(8 * 24);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the store is throttling requests ({0})")]
    Throttled(String),
    #[error("the store could not be reached or failed ({0})")]
    Unavailable(String),
    #[error("the store rejected the request ({0})")]
    Rejected(String),
    #[error("a stored item is not in the expected shape ({0})")]
    Corrupt(String),
    #[error("another writer kept winning the race for {0}")]
    Contended(String),
}

impl StoreError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled(_) | Self::Unavailable(_) | Self::Contended(_)
        )
    }
}

/// A ticket change to store atomically (a bot turn, an agent action, an SLA stage, a routed
/// handoff): the ticket as it is now, the customer message marked handled, the activity and the
/// outbox; only if the ticket is still at the version it was read at.
#[derive(Debug, Clone)]
pub struct TicketChangeWrite<'a> {
    /// The ticket after the change; its `version` is the read version plus one.
    pub ticket: &'a Ticket,
    /// The customer message this turn answers (marked handled), if any.
    pub message: Option<&'a MessageRecord>,
    pub outbox: &'a [OutboxEntry],
    /// Entries for the ticket's activity log (notes, assignments, ...), new ones only.
    pub activity: &'a [Activity],
    /// The ticket's tags as read: the tag index items of tags added since are written, those
    /// of tags removed deleted, in the same transaction.
    pub tags_before: &'a [String],
    pub now: Timestamp,
}

/// The former name of [`TicketChangeWrite`] (the adapters still use it).
pub type BotTurnWrite<'a> = TicketChangeWrite<'a>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    Committed,
    /// The message was handled before (a redelivery): nothing was written.
    AlreadyHandled,
    /// The ticket changed since it was read: read again and decide again.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub wa_id: WaId,
    /// The name the customer gave themselves in WhatsApp.
    pub profile_name: Option<String>,
    /// When `profile_name` was last seen.
    pub updated_at: Timestamp,
    /// What agents keep about the customer (name, language, tier, e-mail, custom fields, tags).
    #[serde(default, flatten)]
    pub profile: crate::domain::customer::Profile,
    /// Incremented by every change of the profile or of a name; edits condition on it.
    #[serde(default)]
    pub version: u64,
    /// When the customer's newest ticket opened (search results are ordered by it).
    #[serde(default)]
    pub last_ticket_at: Option<Timestamp>,
}

impl Customer {
    /// A customer nothing is known about yet.
    pub fn new(wa_id: WaId, at: Timestamp) -> Self {
        Self {
            wa_id,
            profile_name: None,
            updated_at: at,
            profile: crate::domain::customer::Profile::default(),
            version: 0,
            last_ticket_at: None,
        }
    }

    /// The name to show: the one agents gave, else WhatsApp's profile name.
    pub fn display_name(&self) -> Option<&str> {
        self.profile
            .name
            .as_deref()
            .or(self.profile_name.as_deref())
    }

    /// The words the customer is found by (see [`search`]).
    pub fn search_words(&self) -> Vec<String> {
        search::customer_words(self.profile_name.as_deref(), self.profile.name.as_deref())
    }
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError>;

    async fn conversation(&self, key: &ConversationKey)
    -> Result<Option<Conversation>, StoreError>;

    /// Atomically: opens `ticket`, points the conversation at it (only if the conversation is
    /// still absent, or still points at `replacing`), stores `first` and its idempotency record.
    async fn open_ticket(
        &self,
        ticket: &Ticket,
        replacing: Option<TicketId>,
        first: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError>;

    /// Atomically: stores `message` on the ticket `read` points at, with its idempotency record,
    /// counts it on the ticket and moves the conversation's last customer time forward, only if
    /// the conversation is still as `read`.
    async fn append_inbound(
        &self,
        read: &Conversation,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError>;

    /// Notes that `seen`'s message is on the bot queue.
    async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError>;

    /// Stores a message we sent, with its idempotency record (for delivery statuses), and
    /// applies a delivery status that arrived before it (see [`StatusOutcome::Held`]).
    async fn record_outbound(&self, message: &MessageRecord) -> Result<WriteOutcome, StoreError>;

    /// Records a delivery status on the outbound message it names, never going backwards; for a
    /// message not recorded yet, keeps it (the best state) until the message is recorded.
    async fn apply_status(&self, update: &StatusUpdate<'_>) -> Result<StatusOutcome, StoreError>;

    async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;

    /// The ticket's messages, oldest first.
    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError>;

    async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError>;

    /// Stores an agent's change of `customer`'s profile (fields, tags, name) with its name
    /// index items, only if the customer is still as `read` (`None`: no profile stored yet);
    /// `customer.version` is the read version plus one. False when someone changed it first.
    async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError>;

    /// What the search index holds under `key`: at most `limit` items (see [`search`]).
    async fn search(
        &self,
        key: &search::SearchKey,
        limit: u32,
    ) -> Result<Vec<search::SearchHit>, StoreError>;

    /// One message of a ticket.
    async fn message(
        &self,
        ticket: TicketId,
        sent_at: Timestamp,
        wamid: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError>;

    /// Stores a ticket change atomically, if the ticket is still at `ticket.version - 1`, the
    /// message (if any) not yet handled and none of its outbox or activity ids stored.
    async fn commit_bot_turn(
        &self,
        turn: &TicketChangeWrite<'_>,
    ) -> Result<TurnOutcome, StoreError>;

    /// The outbox of the turn that answered `inbound`, in order.
    async fn outbox(
        &self,
        ticket: TicketId,
        inbound: &Wamid,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Marks an outbox entry done; for a WhatsApp entry, atomically with the message sent (and
    /// then applies a delivery status that overtook it, like `record_outbound`).
    async fn complete_outbox(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), StoreError>;

    /// Keeps what a pending outbox entry learnt before its effect (the media id of an uploaded
    /// attachment) in its payload, so a retry uses it instead of doing that step again. An
    /// entry done meanwhile is left as it is.
    async fn save_outbox_payload(
        &self,
        entry: &OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError>;

    /// Records what became of a message's media.
    async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError>;

    /// Every ticket of a customer (any business number), oldest first.
    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError>;

    /// Deletes a ticket with everything on it (messages, notes, outbox, idempotency records,
    /// its open conversation, its tag index items); returns how many items went.
    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError>;

    /// Deletes the customer's profile and consent record, and their search index items.
    async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError>;

    /// The customer's consent to business-initiated messages, if ever recorded.
    async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError>;

    /// Records consent given or withdrawn; an older record never replaces a newer one.
    async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError>;

    /// Every agent.
    async fn agents(&self) -> Result<Vec<Agent>, StoreError>;

    /// Adds an agent unless one with that id exists (profiles change through the agent API).
    async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError>;

    /// Takes one unit of the agent's capacity, if the agent is online and has some left.
    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Gives one unit of capacity back (a ticket left the agent).
    async fn release_agent(&self, id: &str) -> Result<(), StoreError>;

    /// Gives back the unit of agent `id`'s capacity that the outbox `entry` (an
    /// [`OutboxKind::Release`]) stands for and marks the entry done, in one write: however often
    /// it is repeated (a retry after a failure or a timeout), the slot comes back once. An agent
    /// with no load left (or none at all) only has the entry marked done.
    async fn release_agent_once(&self, entry: &OutboxEntry, id: &str) -> Result<(), StoreError>;

    /// Replaces an agent's profile (name, teams, languages, capacity, deactivation), keeping
    /// their load, presence and last assignment as stored; a deactivated agent is set offline.
    /// `None` if there is no such agent.
    async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError>;

    /// Sets an agent's presence and/or capacity; `None` if there is no such agent.
    async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError>;

    /// The ticket's activity log (notes, assignments, ...), oldest first.
    async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError>;

    /// One page of tickets of `index`, continuing after `after` (a previous page's `next`).
    async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError>;

    /// Applies `event`'s increments, once: a repeated key changes nothing.
    async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError>;

    /// Every scope's counters of one day.
    async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError>;

    /// Files a data-request audit record; a repeat (same id) changes nothing. Kept for the proof
    /// retention, whatever is erased.
    async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError>;

    /// The audit records of one UTC day (`YYYY-MM-DD`), oldest first.
    async fn audit(&self, day: &str) -> Result<Vec<AuditRecord>, StoreError>;

    /// How long this store keeps customer data (`None`: until erased).
    fn retention(&self) -> Option<Retention>;

    /// The change counters now: the desk's, and `ticket`'s when asked (0 for a ticket that
    /// never changed). Every committed ticket change bumps both (see [`changes`]).
    async fn change_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<changes::ChangeMarks, StoreError>;

    /// Claims showing the customer "read" for their message `message_key` (its sort key) of
    /// `ticket`: true once per message, false when it or a later message was claimed already.
    async fn claim_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError>;

    /// The documents of `kind` that `owner` owns, by id.
    async fn owned_docs(&self, kind: OwnedKind, owner: &str) -> Result<Vec<OwnedDoc>, StoreError>;

    /// Stores `doc`: at version 1 only if its id is free for the owner, later versions only if
    /// the stored one is `doc.version - 1`.
    async fn put_owned_doc(&self, doc: &OwnedDoc) -> Result<OwnedWrite, StoreError>;

    /// Deletes an owned document if it is at `version`.
    async fn delete_owned_doc(
        &self,
        kind: OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<OwnedWrite, StoreError>;

    /// Gives a claim back (the mark-read could not be sent), unless a later one replaced it.
    async fn release_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError>;
}

/// Fixed-width UTC time with milliseconds, so stored times sort as strings.
pub fn sortable_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_are_fixed_width_and_sort_like_time() {
        let a: Timestamp = "2026-11-01T08:00:00Z".parse().unwrap();
        let b: Timestamp = "2026-11-01T08:00:00.5Z".parse().unwrap();
        assert_eq!(sortable_time(a), "2026-11-01T08:00:00.000Z");
        assert_eq!(sortable_time(b), "2026-11-01T08:00:00.500Z");
        assert!(sortable_time(a) < sortable_time(b));
        assert_eq!(sortable_time(a).parse::<Timestamp>().unwrap(), a);
    }
}
