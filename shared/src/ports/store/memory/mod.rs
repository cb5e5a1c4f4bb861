//! In-memory ticket store with the same conditional semantics as the DynamoDB adapter. Used by
//! the local runner and unit tests; faults can be injected to exercise retry paths.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;

use super::search::{self, IndexKey, SearchHit, SearchKey};
use super::{
    Activity, Agent, BotTurnWrite, Customer, Delivery, Direction, MessageRecord, OutboxEntry,
    SeenMessage, StatsEvent, StatsRow, StatusOutcome, StoreError, TicketIndex, TicketPage,
    TicketStore, TurnOutcome, WriteOutcome, activity_sort_key, message_sort_key, outbox_sort_key,
};
use crate::app::intake::webhook::plan::StatusUpdate;
use crate::domain::ids::{ConversationKey, TicketId, WaId, Wamid};
use crate::domain::ticket::{Conversation, Ticket};

mod agents;
mod audit;
mod changes;
mod conversations;
mod customers;
mod listing;
mod messages;
mod outbox;
mod owned;
mod stats;
mod statuses;
mod tickets;

use messages::insert_message;
pub(super) use statuses::errors_json;

#[derive(Debug, Default)]
struct State {
    tickets: HashMap<TicketId, Ticket>,
    messages: HashMap<TicketId, BTreeMap<String, MessageRecord>>,
    conversations: HashMap<ConversationKey, Conversation>,
    seen: HashMap<Wamid, SeenMessage>,
    customers: HashMap<WaId, Customer>,
    consents: HashMap<WaId, crate::domain::consent::Consent>,
    outbox: HashMap<TicketId, BTreeMap<String, OutboxEntry>>,
    agents: BTreeMap<String, Agent>,
    activities: HashMap<TicketId, BTreeMap<String, Activity>>,
    /// Delivery statuses that arrived before their outbound message was recorded.
    early_statuses: HashMap<Wamid, Delivery>,
    /// (day, scope) -> counters.
    stats: BTreeMap<(String, String), BTreeMap<String, i64>>,
    stats_applied: HashSet<String>,
    /// (day, `<time>#<id>`) -> record: not keyed by customer, so erasure leaves it.
    audit: BTreeMap<(String, String), super::AuditRecord>,
    /// The live console's change counters, bumped with every ticket change under this lock.
    changes: super::changes::ChangeLog,
    /// Per ticket: the sort key of the last customer message shown "read" by an agent.
    agent_read: HashMap<TicketId, String>,
    /// The tag index: tag -> the tickets carrying it (DynamoDB: `TAG#<tag>` items).
    tags: BTreeMap<String, BTreeSet<TicketId>>,
    /// (kind, owner) -> id -> saved views and personal canned responses.
    owned: BTreeMap<(super::OwnedKind, String), BTreeMap<String, super::OwnedDoc>>,
    /// The search index (`search`), by the keys DynamoDB gives its items.
    index: BTreeMap<IndexKey, SearchHit>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Scripted outcomes of the next calls: `None` passes, `Some` fails.
    faults: Mutex<VecDeque<Option<StoreError>>>,
    /// Conversation writes still to lose to an imagined concurrent writer.
    races: std::sync::atomic::AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `errors.len()` store calls fail with these errors, in order.
    pub fn inject_faults(&self, errors: impl IntoIterator<Item = StoreError>) {
        lock(&self.faults).extend(errors.into_iter().map(Some));
    }

    /// The next `passes` store calls succeed, then the following ones fail with `errors`: a
    /// failure at any chosen point of a handler's work (sweep `passes` to try every point).
    pub fn fail_after(&self, passes: usize, errors: impl IntoIterator<Item = StoreError>) {
        let mut faults = lock(&self.faults);
        faults.extend(std::iter::repeat_n(None, passes));
        faults.extend(errors.into_iter().map(Some));
    }

    /// The next `n` conversation writes (`open_ticket`, `append_inbound`) lose the race to a
    /// writer nobody sees: they write nothing and answer `ConversationMoved`, as DynamoDB does
    /// when another request changed the conversation first.
    pub fn lose_races(&self, n: usize) {
        self.races.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }

    fn lost_race(&self) -> bool {
        self.races
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok()
    }

    /// Drops scripted faults that did not happen yet.
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Every ticket, oldest first.
    pub fn tickets(&self) -> Vec<Ticket> {
        let mut all: Vec<Ticket> = lock(&self.state).tickets.values().cloned().collect();
        all.sort_by_key(|t| t.id);
        all
    }

    fn begin(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        if let Some(Some(fault)) = lock(&self.faults).pop_front() {
            return Err(fault);
        }
        Ok(lock(&self.state))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryStore {
    /// Every search index item held (tests: erasure leaves none of a customer's).
    pub fn index_items(&self) -> Vec<(String, String)> {
        lock(&self.state)
            .index
            .keys()
            .map(|k| (k.pk.clone(), k.sk.clone()))
            .collect()
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        MemoryStore::seen(self, wamid).await
    }

    async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        MemoryStore::conversation(self, key).await
    }

    async fn open_ticket(
        &self,
        ticket: &Ticket,
        replacing: Option<TicketId>,
        first: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        MemoryStore::open_ticket(self, ticket, replacing, first).await
    }

    async fn append_inbound(
        &self,
        read: &Conversation,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        MemoryStore::append_inbound(self, read, message).await
    }

    async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
        MemoryStore::mark_enqueued(self, seen).await
    }

    async fn record_outbound(&self, message: &MessageRecord) -> Result<WriteOutcome, StoreError> {
        MemoryStore::record_outbound(self, message).await
    }

    async fn apply_status(&self, update: &StatusUpdate<'_>) -> Result<StatusOutcome, StoreError> {
        MemoryStore::apply_status(self, update).await
    }

    async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        MemoryStore::save_profile_name(self, wa_id, name, at).await
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        MemoryStore::ticket(self, id).await
    }

    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        MemoryStore::messages(self, id).await
    }

    async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        MemoryStore::customer(self, wa_id).await
    }

    async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError> {
        MemoryStore::update_customer(self, read, customer).await
    }

    async fn search(&self, key: &SearchKey, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        MemoryStore::search(self, key, limit).await
    }

    async fn message(
        &self,
        ticket: TicketId,
        sent_at: Timestamp,
        wamid: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError> {
        MemoryStore::message(self, ticket, sent_at, wamid).await
    }

    async fn commit_bot_turn(&self, turn: &BotTurnWrite<'_>) -> Result<TurnOutcome, StoreError> {
        MemoryStore::commit_bot_turn(self, turn).await
    }

    async fn outbox(
        &self,
        ticket: TicketId,
        inbound: &Wamid,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        MemoryStore::outbox(self, ticket, inbound).await
    }

    async fn complete_outbox(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), StoreError> {
        MemoryStore::complete_outbox(self, entry, sent).await
    }

    async fn save_outbox_payload(
        &self,
        entry: &OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError> {
        MemoryStore::save_outbox_payload(self, entry, payload).await
    }

    async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError> {
        MemoryStore::attach_media(self, message, media).await
    }

    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
        MemoryStore::customer_tickets(self, wa_id).await
    }

    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
        MemoryStore::erase_ticket(self, ticket).await
    }

    async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        MemoryStore::erase_customer(self, wa_id).await
    }

    async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        MemoryStore::consent(self, wa_id).await
    }

    async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        MemoryStore::set_consent(self, wa_id, consent).await
    }

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        MemoryStore::agents(self).await
    }

    async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        MemoryStore::add_agent(self, agent).await
    }

    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        MemoryStore::claim_agent(self, id, now).await
    }

    async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        MemoryStore::release_agent(self, id).await
    }

    async fn release_agent_once(&self, entry: &OutboxEntry, id: &str) -> Result<(), StoreError> {
        MemoryStore::release_agent_once(self, entry, id).await
    }

    async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
        MemoryStore::update_agent(self, agent).await
    }

    async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError> {
        MemoryStore::set_presence(self, id, online, capacity).await
    }

    async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        MemoryStore::activities(self, id).await
    }

    async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        MemoryStore::list_tickets(self, index, limit, after).await
    }

    async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        MemoryStore::record_stats(self, event).await
    }

    async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        MemoryStore::stats(self, day).await
    }

    async fn record_audit(&self, record: &super::AuditRecord) -> Result<(), StoreError> {
        MemoryStore::record_audit(self, record).await
    }

    async fn audit(&self, day: &str) -> Result<Vec<super::AuditRecord>, StoreError> {
        MemoryStore::audit(self, day).await
    }

    async fn change_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<super::changes::ChangeMarks, StoreError> {
        MemoryStore::change_marks(self, ticket).await
    }

    async fn claim_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        MemoryStore::claim_agent_read(self, ticket, message_key).await
    }

    async fn release_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError> {
        MemoryStore::release_agent_read(self, ticket, message_key).await
    }

    async fn owned_docs(
        &self,
        kind: super::OwnedKind,
        owner: &str,
    ) -> Result<Vec<super::OwnedDoc>, StoreError> {
        MemoryStore::owned_docs(self, kind, owner).await
    }

    async fn put_owned_doc(&self, doc: &super::OwnedDoc) -> Result<super::OwnedWrite, StoreError> {
        MemoryStore::put_owned_doc(self, doc).await
    }

    async fn delete_owned_doc(
        &self,
        kind: super::OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<super::OwnedWrite, StoreError> {
        MemoryStore::delete_owned_doc(self, kind, owner, id, version).await
    }

    fn retention(&self) -> Option<super::Retention> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::OutboxKind;

    const WAMID: &str = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=";

    fn message() -> MessageRecord {
        let at = Timestamp::from_second(1_795_510_800).unwrap();
        MessageRecord::inbound_text(TicketId::new(at), Wamid::parse(WAMID).unwrap(), "Hallo", at)
    }

    fn shows_digest_not_wamid(error: &StoreError) {
        let text = error.to_string();
        let digest = Wamid::parse(WAMID).unwrap().log_ref().to_string();
        assert!(text.contains(&digest), "{text}");
        assert!(!text.contains("HBgN") && !text.contains("wamid."), "{text}");
    }

    #[tokio::test]
    async fn corrupt_item_errors_name_the_wamid_by_its_digest() {
        let store = MemoryStore::new();
        let m = message();
        let missing_message = store
            .attach_media(
                &m,
                &crate::ports::media::MediaRecord {
                    key: None,
                    mime_type: None,
                    size: None,
                    refused: Some("too large".into()),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(missing_message, StoreError::Corrupt(_)));
        shows_digest_not_wamid(&missing_message);
        let entry = OutboxEntry {
            ticket_id: m.ticket_id,
            inbound: m.wamid.clone(),
            seq: 1,
            kind: OutboxKind::WhatsApp,
            payload: "{}".into(),
            done: false,
        };
        let missing_entry = store.complete_outbox(&entry, None).await.unwrap_err();
        assert!(matches!(missing_entry, StoreError::Corrupt(_)));
        shows_digest_not_wamid(&missing_entry);
        assert!(
            missing_entry.to_string().contains("OUT#w:"),
            "{missing_entry}"
        );
    }
}
