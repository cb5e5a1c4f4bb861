//! The ticket store port: tickets, their messages, open conversations, idempotency records and
//! customer profiles. Written in domain terms so the DynamoDB adapter and the in-memory adapter
//! give the same guarantees (conditional writes, atomic multi-item writes).

mod dynamo;
mod memory;

pub use dynamo::{ASSIGNEE_INDEX, CUSTOMER_INDEX, DynamoStore, QUEUE_INDEX};
pub use memory::MemoryStore;

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::app::intake::webhook::plan::StatusUpdate;
pub use crate::domain::agent::Agent;
use crate::domain::ids::{ConversationKey, TicketId, WaId, Wamid};
pub use crate::domain::retention::{DEFAULT_PROOF_RETENTION, DEFAULT_RETENTION, Retention};
use crate::domain::ticket::{Conversation, Ticket};
use crate::domain::whatsapp::DeliveryState;

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
            _ => None,
        }
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
    pub now: Timestamp,
}

/// The former name of [`TicketChangeWrite`] (the adapters still use it).
pub type BotTurnWrite<'a> = TicketChangeWrite<'a>;

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
}

/// The sort key of an activity item: `ACT#<time>#<id>`.
pub fn activity_sort_key(activity: &Activity) -> String {
    format!("ACT#{}#{}", sortable_time(activity.at), activity.id)
}

/// A ticket listing partition (DynamoDB: a GSI partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketIndex {
    /// Tickets in one status and team, oldest first (the work queue).
    Queue {
        status: crate::domain::ticket::TicketStatus,
        team: Option<String>,
    },
    /// One agent's tickets, most recently changed first.
    Assignee(String),
}

impl TicketIndex {
    /// The queue index key of a ticket: `<status>#<team or ->`.
    pub fn queue_key(status: crate::domain::ticket::TicketStatus, team: Option<&str>) -> String {
        format!("{}#{}", status.as_str(), team.unwrap_or("-"))
    }
}

/// One page of a listing; `next` continues it (opaque to callers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub next: Option<String>,
}

/// Counter increments for the analytics of one day, applied once per `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsEvent {
    /// What happened, uniquely (`<ticket>#<what>#<when>`): a repeat is ignored.
    pub key: String,
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Spreads writes of one day over several items.
    pub shard: u8,
    /// `all`, `team:<id>`, `agent:<id>`: every scope gets the same increments.
    pub scopes: Vec<String>,
    /// Counter name (`[a-z0-9_]`) to increment.
    pub counters: BTreeMap<String, i64>,
}

/// The counters of one scope on one day, summed over shards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsRow {
    pub day: String,
    pub scope: String,
    pub counters: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    Committed,
    /// The message was handled before (a redelivery): nothing was written.
    AlreadyHandled,
    /// The ticket changed since it was read: read again and decide again.
    Conflict,
}

/// What a data request did: one entry of the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Export,
    Erase,
    /// An admin invited an agent (`customer` holds `agent:<id>`).
    AgentInvited,
    /// An admin changed an agent's teams, languages, capacity or role.
    AgentChanged,
    /// An admin deactivated an agent; `detail` counts the tickets put back in the queue.
    AgentDeactivated,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Erase => "erase",
            Self::AgentInvited => "agent_invited",
            Self::AgentChanged => "agent_changed",
            Self::AgentDeactivated => "agent_deactivated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "export" => Some(Self::Export),
            "erase" => Some(Self::Erase),
            "agent_invited" => Some(Self::AgentInvited),
            "agent_changed" => Some(Self::AgentChanged),
            "agent_deactivated" => Some(Self::AgentDeactivated),
            _ => None,
        }
    }
}

/// Who exported or erased which customer, and when. Stored under the day (`AUDIT#<day>`), not
/// under the customer, and naming the customer only by [`WaId::digest`]: erasing the customer
/// leaves it, and it reveals no number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Unique (a ULID): a repeated write of the same record changes nothing.
    pub id: String,
    pub at: Timestamp,
    /// An agent id (API), or `cli:<name>` (the runner's `gdpr` command).
    pub actor: String,
    pub action: AuditAction,
    /// The customer's digest (`c:` and 16 hex digits).
    pub customer: String,
    /// What the request found or removed (counts), for the reader.
    pub detail: String,
}

impl AuditRecord {
    /// The UTC day the record is filed under, `YYYY-MM-DD`.
    pub fn day(&self) -> String {
        self.at.strftime("%Y-%m-%d").to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub wa_id: WaId,
    pub profile_name: Option<String>,
    pub updated_at: Timestamp,
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

    /// Records what became of a message's media.
    async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError>;

    /// Every ticket of a customer (any business number).
    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError>;

    /// Deletes a ticket with everything on it (messages, notes, outbox, idempotency records,
    /// its open conversation); returns how many items went.
    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError>;

    /// Deletes the customer's profile and consent record.
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

/// The sort key of an audit record within its day (`AUDIT#<day>`): `REC#<time>#<id>`.
pub fn audit_sort_key(record: &AuditRecord) -> String {
    format!("REC#{}#{}", sortable_time(record.at), record.id)
}

/// Fixed-width UTC time with milliseconds, so stored times sort as strings.
pub fn sortable_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The sort key of a message item: `MSG#<time>#<wamid>`.
pub fn message_sort_key(sent_at: Timestamp, wamid: &Wamid) -> String {
    format!("MSG#{}#{}", sortable_time(sent_at), wamid.as_str())
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
