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

fn seen_of(message: &MessageRecord) -> SeenMessage {
    SeenMessage {
        wamid: message.wamid.clone(),
        ticket_id: message.ticket_id,
        direction: message.direction,
        sent_at: message.sent_at,
        enqueued: false,
    }
}

fn insert_message(state: &mut State, message: &MessageRecord) {
    let mut message = message.clone();
    if message.direction == Direction::Outbound
        && let Some(early) = state.early_statuses.remove(&message.wamid)
        && message
            .delivery
            .as_ref()
            .is_none_or(|d| d.state < early.state)
    {
        // Meta's status overtook our write of the message: it applies now.
        message.delivery = Some(early);
    }
    state.seen.insert(message.wamid.clone(), seen_of(&message));
    state.changes.touch(message.ticket_id);
    state
        .messages
        .entry(message.ticket_id)
        .or_default()
        .insert(message_sort_key(message.sent_at, &message.wamid), message);
}

/// Moves the customer's name items from the words of `before` to those of `after`.
fn reindex_name(state: &mut State, before: Option<&Customer>, after: &Customer) {
    let old = before.map(Customer::search_words).unwrap_or_default();
    let new = after.search_words();
    for word in old.iter().filter(|w| !new.contains(w)) {
        state.index.remove(&search::name_item(word, &after.wa_id));
    }
    for word in &new {
        state.index.insert(
            search::name_item(word, &after.wa_id),
            SearchHit::Customer(after.wa_id.clone()),
        );
    }
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
        Ok(self.begin()?.seen.get(wamid).cloned())
    }

    async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self.begin()?.conversations.get(key).cloned())
    }

    async fn open_ticket(
        &self,
        ticket: &Ticket,
        replacing: Option<TicketId>,
        first: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let mut state = self.begin()?;
        if state.seen.contains_key(&first.wamid) {
            return Ok(WriteOutcome::Duplicate);
        }
        if self.lost_race() {
            return Ok(WriteOutcome::ConversationMoved);
        }
        let current = state.conversations.get(&ticket.key).map(|c| c.ticket_id);
        if current != replacing {
            return Ok(WriteOutcome::ConversationMoved);
        }
        if state.tickets.contains_key(&ticket.id) {
            return Err(StoreError::Rejected(format!(
                "ticket {} exists already",
                ticket.id
            )));
        }
        state.conversations.insert(
            ticket.key.clone(),
            Conversation {
                key: ticket.key.clone(),
                ticket_id: ticket.id,
                opened_at: ticket.created_at,
                last_customer_at: first.sent_at,
            },
        );
        state.tickets.insert(ticket.id, ticket.clone());
        insert_message(&mut state, first);
        // The customer becomes findable by number with their first ticket.
        let wa_id = &ticket.key.wa_id;
        state.index.insert(
            search::phone_item(wa_id),
            SearchHit::Customer(wa_id.clone()),
        );
        let customer = state
            .customers
            .entry(wa_id.clone())
            .or_insert_with(|| Customer::new(wa_id.clone(), ticket.created_at));
        customer.last_ticket_at = Some(ticket.created_at);
        Ok(WriteOutcome::Written)
    }

    async fn append_inbound(
        &self,
        read: &Conversation,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let mut state = self.begin()?;
        if state.seen.contains_key(&message.wamid) {
            return Ok(WriteOutcome::Duplicate);
        }
        if self.lost_race() {
            return Ok(WriteOutcome::ConversationMoved);
        }
        let advances = message.sent_at > read.last_customer_at;
        match state.conversations.get(&read.key) {
            Some(c)
                if c.ticket_id == read.ticket_id
                    && (!advances || c.last_customer_at == read.last_customer_at) => {}
            _ => return Ok(WriteOutcome::ConversationMoved),
        }
        let ticket = state.tickets.get_mut(&read.ticket_id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "conversation points at missing ticket {}",
                read.ticket_id
            ))
        })?;
        ticket.inbound_count += 1;
        ticket.version += 1;
        ticket.updated_at = message.recorded_at;
        if advances {
            ticket.last_inbound_at = message.sent_at;
            if let Some(c) = state.conversations.get_mut(&read.key) {
                c.last_customer_at = message.sent_at;
            }
        }
        insert_message(&mut state, message);
        Ok(WriteOutcome::Written)
    }

    async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
        if let Some(s) = self.begin()?.seen.get_mut(&seen.wamid) {
            s.enqueued = true;
        }
        Ok(())
    }

    async fn record_outbound(&self, message: &MessageRecord) -> Result<WriteOutcome, StoreError> {
        let mut state = self.begin()?;
        if state.seen.contains_key(&message.wamid) {
            return Ok(WriteOutcome::Duplicate);
        }
        insert_message(&mut state, message);
        Ok(WriteOutcome::Written)
    }

    async fn apply_status(&self, update: &StatusUpdate<'_>) -> Result<StatusOutcome, StoreError> {
        let mut state = self.begin()?;
        let Some(seen) = state.seen.get(&update.wamid).cloned() else {
            let delivery = Delivery {
                state: update.state,
                at: update.at,
                errors: errors_json(update),
            };
            let held = state.early_statuses.entry(update.wamid.clone());
            match held {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    if e.get().state < delivery.state {
                        e.insert(delivery);
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(delivery);
                }
            }
            return Ok(StatusOutcome::Held);
        };
        if seen.direction != Direction::Outbound {
            return Ok(StatusOutcome::UnknownMessage);
        }
        let key = message_sort_key(seen.sent_at, &seen.wamid);
        let Some(message) = state
            .messages
            .get_mut(&seen.ticket_id)
            .and_then(|m| m.get_mut(&key))
        else {
            return Ok(StatusOutcome::UnknownMessage);
        };
        if message
            .delivery
            .as_ref()
            .is_some_and(|d| d.state >= update.state)
        {
            return Ok(StatusOutcome::Superseded);
        }
        message.delivery = Some(Delivery {
            state: update.state,
            at: update.at,
            errors: errors_json(update),
        });
        state.changes.touch(seen.ticket_id);
        Ok(StatusOutcome::Applied)
    }

    async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let before = state.customers.get(wa_id).cloned();
        // Like DynamoDB's condition: an older name never replaces a newer one.
        if before.as_ref().is_some_and(|c| c.updated_at > at) {
            return Ok(());
        }
        let mut after = before
            .clone()
            .unwrap_or_else(|| Customer::new(wa_id.clone(), at));
        after.updated_at = at;
        if after.profile_name.as_deref() != Some(name) {
            after.profile_name = Some(name.to_owned());
            after.version += 1;
        }
        reindex_name(&mut state, before.as_ref(), &after);
        state.customers.insert(wa_id.clone(), after);
        Ok(())
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.begin()?.tickets.get(&id).cloned())
    }

    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        Ok(self
            .begin()?
            .messages
            .get(&id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        Ok(self.begin()?.customers.get(wa_id).cloned())
    }

    async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        let current = state.customers.get(&customer.wa_id);
        let unchanged = match (read, current) {
            (None, None) => true,
            (Some(r), Some(c)) => r.version == c.version,
            _ => false,
        };
        if !unchanged || self.lost_race() {
            return Ok(false);
        }
        let before = current.cloned();
        let mut after = customer.clone();
        // The store keeps what it owns: the WhatsApp name and the ticket times.
        if let Some(b) = &before {
            after.profile_name = b.profile_name.clone();
            after.updated_at = b.updated_at;
            after.last_ticket_at = b.last_ticket_at;
        }
        reindex_name(&mut state, before.as_ref(), &after);
        state.customers.insert(customer.wa_id.clone(), after);
        Ok(true)
    }

    async fn search(&self, key: &SearchKey, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let Some((pk, prefix)) = key.range() else {
            return Ok(Vec::new());
        };
        let state = self.begin()?;
        let from = IndexKey {
            pk: pk.clone(),
            sk: prefix.clone(),
        };
        Ok(state
            .index
            .range(from..)
            .take_while(|(k, _)| k.pk == pk && k.sk.starts_with(&prefix))
            .take(limit as usize)
            .map(|(_, hit)| hit.clone())
            .collect())
    }

    async fn message(
        &self,
        ticket: TicketId,
        sent_at: Timestamp,
        wamid: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .messages
            .get(&ticket)
            .and_then(|m| m.get(&message_sort_key(sent_at, wamid)))
            .cloned())
    }

    async fn commit_bot_turn(&self, turn: &BotTurnWrite<'_>) -> Result<TurnOutcome, StoreError> {
        let mut state = self.begin()?;
        let key = turn.message.map(|m| message_sort_key(m.sent_at, &m.wamid));
        if let (Some(key), Some(m)) = (&key, turn.message) {
            let Some(message) = state
                .messages
                .get(&turn.ticket.id)
                .and_then(|all| all.get(key))
            else {
                return Err(StoreError::Corrupt(format!(
                    "message {} is not on ticket {}",
                    m.wamid, turn.ticket.id
                )));
            };
            if message.handled_at.is_some() {
                return Ok(TurnOutcome::AlreadyHandled);
            }
        }
        match state.tickets.get(&turn.ticket.id) {
            Some(current) if current.version + 1 == turn.ticket.version => {}
            Some(_) => return Ok(TurnOutcome::Conflict),
            None => {
                return Err(StoreError::Corrupt(format!(
                    "ticket {} is missing",
                    turn.ticket.id
                )));
            }
        }
        // Like DynamoDB's `attribute_not_exists`: an outbox entry or activity already stored
        // means this change is not new, and nothing is written.
        let taken = state.outbox.get(&turn.ticket.id).is_some_and(|o| {
            turn.outbox
                .iter()
                .any(|e| o.contains_key(&outbox_sort_key(&e.inbound, e.seq)))
        }) || state.activities.get(&turn.ticket.id).is_some_and(|log| {
            turn.activity
                .iter()
                .any(|a| log.contains_key(&activity_sort_key(a)))
        });
        if taken {
            return Ok(TurnOutcome::Conflict);
        }
        state.tickets.insert(turn.ticket.id, turn.ticket.clone());
        state.changes.touch(turn.ticket.id);
        for gone in turn
            .tags_before
            .iter()
            .filter(|t| !turn.ticket.tags.contains(t))
        {
            if let Some(tickets) = state.tags.get_mut(gone) {
                tickets.remove(&turn.ticket.id);
                if tickets.is_empty() {
                    state.tags.remove(gone);
                }
            }
        }
        for tag in &turn.ticket.tags {
            state
                .tags
                .entry(tag.clone())
                .or_default()
                .insert(turn.ticket.id);
        }
        if let Some(order) = search::ticket_order(turn.ticket) {
            let (item, back) = search::order_items(&order, turn.ticket.id);
            state.index.insert(item, SearchHit::Ticket(turn.ticket.id));
            state.index.insert(back, SearchHit::Ticket(turn.ticket.id));
        }
        if let Some(key) = &key
            && let Some(m) = state
                .messages
                .get_mut(&turn.ticket.id)
                .and_then(|all| all.get_mut(key))
        {
            m.handled_at = Some(turn.now);
        }
        let outbox = state.outbox.entry(turn.ticket.id).or_default();
        for entry in turn.outbox {
            outbox.insert(outbox_sort_key(&entry.inbound, entry.seq), entry.clone());
        }
        let log = state.activities.entry(turn.ticket.id).or_default();
        for activity in turn.activity {
            log.insert(activity_sort_key(activity), activity.clone());
        }
        Ok(TurnOutcome::Committed)
    }

    async fn outbox(
        &self,
        ticket: TicketId,
        inbound: &Wamid,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .outbox
            .get(&ticket)
            .map(|o| {
                o.values()
                    .filter(|e| e.inbound == *inbound)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn complete_outbox(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = outbox_sort_key(&entry.inbound, entry.seq);
        let Some(stored) = state
            .outbox
            .get_mut(&entry.ticket_id)
            .and_then(|o| o.get_mut(&key))
        else {
            return Err(StoreError::Corrupt(format!(
                "outbox entry {} is missing",
                super::outbox_log_key(&entry.inbound, entry.seq)
            )));
        };
        if stored.done {
            return Ok(());
        }
        stored.done = true;
        if let Some(message) = sent
            && !state.seen.contains_key(&message.wamid)
        {
            insert_message(&mut state, message);
        }
        Ok(())
    }

    async fn save_outbox_payload(
        &self,
        entry: &OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = outbox_sort_key(&entry.inbound, entry.seq);
        match state
            .outbox
            .get_mut(&entry.ticket_id)
            .and_then(|o| o.get_mut(&key))
        {
            Some(stored) if !stored.done => {
                stored.payload = payload.to_owned();
                Ok(())
            }
            Some(_) => Ok(()),
            None => Err(StoreError::Corrupt(format!(
                "outbox entry {} is missing",
                super::outbox_log_key(&entry.inbound, entry.seq)
            ))),
        }
    }

    async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let stored = state
            .messages
            .get_mut(&message.ticket_id)
            .and_then(|all| all.get_mut(&message_sort_key(message.sent_at, &message.wamid)))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "message {} is not on ticket {}",
                    message.wamid, message.ticket_id
                ))
            })?;
        stored.media = Some(media.clone());
        state.changes.touch(message.ticket_id);
        Ok(())
    }

    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
        let state = self.begin()?;
        let mut tickets: Vec<Ticket> = state
            .tickets
            .values()
            .filter(|t| &t.key.wa_id == wa_id)
            .cloned()
            .collect();
        tickets.sort_by_key(|t| t.id);
        Ok(tickets)
    }

    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
        let mut state = self.begin()?;
        let messages = state.messages.remove(&ticket.id).unwrap_or_default();
        let mut count = messages.len();
        for m in messages.values() {
            count += usize::from(state.seen.remove(&m.wamid).is_some());
        }
        count += state.outbox.remove(&ticket.id).map_or(0, |o| o.len());
        count += state.activities.remove(&ticket.id).map_or(0, |a| a.len());
        count += usize::from(state.tickets.remove(&ticket.id).is_some());
        for tickets in state.tags.values_mut() {
            count += usize::from(tickets.remove(&ticket.id));
        }
        state.tags.retain(|_, tickets| !tickets.is_empty());
        // The ticket's order items, found through its back references.
        let back_prefix = format!("TICKET#{}", ticket.id);
        let refs: Vec<IndexKey> = state
            .index
            .keys()
            .filter(|k| k.pk == back_prefix)
            .cloned()
            .collect();
        for back in refs {
            if let Some(order) = back.sk.strip_prefix(search::ORDER_REF_PREFIX) {
                let (item, _) = search::order_items(order, ticket.id);
                count += usize::from(state.index.remove(&item).is_some());
            }
            count += usize::from(state.index.remove(&back).is_some());
        }
        if state
            .conversations
            .get(&ticket.key)
            .is_some_and(|c| c.ticket_id == ticket.id)
        {
            state.conversations.remove(&ticket.key);
            count += 1;
        }
        Ok(count)
    }

    async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        let mut state = self.begin()?;
        let mut count = usize::from(state.index.remove(&search::phone_item(wa_id)).is_some());
        if let Some(customer) = state.customers.remove(wa_id) {
            count += 1;
            for word in customer.search_words() {
                count += usize::from(
                    state
                        .index
                        .remove(&search::name_item(&word, wa_id))
                        .is_some(),
                );
            }
        }
        Ok(count + usize::from(state.consents.remove(wa_id).is_some()))
    }

    async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        Ok(self.begin()?.consents.get(wa_id).cloned())
    }

    async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let newer = state.consents.get(wa_id).is_some_and(|c| c.at > consent.at);
        if !newer {
            state.consents.insert(wa_id.clone(), consent.clone());
        }
        Ok(())
    }

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        Ok(self.begin()?.agents.values().cloned().collect())
    }

    async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        self.begin()?
            .agents
            .entry(agent.id.clone())
            .or_insert_with(|| agent.clone());
        Ok(())
    }

    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        match state.agents.get_mut(id) {
            Some(a) if a.has_room() => {
                a.load += 1;
                a.last_assigned_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        if let Some(a) = self.begin()?.agents.get_mut(id) {
            a.load = a.load.saturating_sub(1);
        }
        Ok(())
    }

    async fn release_agent_once(&self, entry: &OutboxEntry, id: &str) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = outbox_sort_key(&entry.inbound, entry.seq);
        let stored = state
            .outbox
            .get_mut(&entry.ticket_id)
            .and_then(|o| o.get_mut(&key))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "outbox entry {} is missing",
                    super::outbox_log_key(&entry.inbound, entry.seq)
                ))
            })?;
        if stored.done {
            return Ok(());
        }
        stored.done = true;
        if let Some(a) = state.agents.get_mut(id) {
            a.load = a.load.saturating_sub(1);
        }
        Ok(())
    }

    async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
        let mut state = self.begin()?;
        Ok(state.agents.get_mut(&agent.id).map(|a| {
            a.name.clone_from(&agent.name);
            a.teams.clone_from(&agent.teams);
            a.languages.clone_from(&agent.languages);
            a.capacity = agent.capacity;
            a.deactivated_at = agent.deactivated_at;
            if a.deactivated_at.is_some() {
                a.online = false;
            }
            a.clone()
        }))
    }

    async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError> {
        let mut state = self.begin()?;
        Ok(state.agents.get_mut(id).map(|a| {
            if let Some(online) = online {
                a.online = online;
            }
            if let Some(capacity) = capacity {
                a.capacity = capacity;
            }
            a.clone()
        }))
    }

    async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .activities
            .get(&id)
            .map(|log| log.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        let state = self.begin()?;
        // Sort keys as the DynamoDB indexes have them: the queue by ticket id (oldest first),
        // an agent's tickets by last change (newest first).
        let mut keyed: Vec<(String, &Ticket)> = state
            .tickets
            .values()
            .filter_map(|t| match index {
                TicketIndex::Queue { status, team } => (t.status == *status
                    && t.team.as_deref() == team.as_deref())
                .then(|| (t.id.to_string(), t)),
                TicketIndex::Tag(tag) => state
                    .tags
                    .get(tag)
                    .is_some_and(|tickets| tickets.contains(&t.id))
                    .then(|| (t.id.to_string(), t)),
                TicketIndex::Assignee(agent) => (t.assignee.as_deref() == Some(agent.as_str()))
                    .then(|| {
                        (
                            format!("{}#{}", super::sortable_time(t.updated_at), t.id),
                            t,
                        )
                    }),
            })
            .collect();
        let newest_first = matches!(index, TicketIndex::Assignee(_));
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if newest_first {
            keyed.reverse();
        }
        let rest: Vec<_> = keyed
            .into_iter()
            .filter(|(k, _)| match after {
                None => true,
                Some(a) if newest_first => k.as_str() < a,
                Some(a) => k.as_str() > a,
            })
            .collect();
        let limit = limit.max(1) as usize;
        let next = (rest.len() > limit).then(|| rest[limit - 1].0.clone());
        Ok(TicketPage {
            tickets: rest
                .into_iter()
                .take(limit)
                .map(|(_, t)| t.clone())
                .collect(),
            next,
        })
    }

    async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        if !state.stats_applied.insert(event.key.clone()) {
            return Ok(());
        }
        for scope in &event.scopes {
            let counters = state
                .stats
                .entry((event.day.clone(), scope.clone()))
                .or_default();
            for (name, by) in &event.counters {
                *counters.entry(name.clone()).or_default() += by;
            }
        }
        Ok(())
    }

    async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .stats
            .iter()
            .filter(|((d, _), _)| d == day)
            .map(|((day, scope), counters)| StatsRow {
                day: day.clone(),
                scope: scope.clone(),
                counters: counters.clone(),
            })
            .collect())
    }

    async fn record_audit(&self, record: &super::AuditRecord) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = (record.day(), super::audit_sort_key(record));
        state.audit.entry(key).or_insert_with(|| record.clone());
        Ok(())
    }

    async fn audit(&self, day: &str) -> Result<Vec<super::AuditRecord>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .audit
            .iter()
            .filter(|((d, _), _)| d == day)
            .map(|(_, r)| r.clone())
            .collect())
    }

    /// The in-memory store forgets everything at exit and nothing before.
    async fn change_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<super::changes::ChangeMarks, StoreError> {
        Ok(self.begin()?.changes.marks(ticket))
    }

    async fn claim_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        match state.agent_read.get(&ticket) {
            Some(claimed) if claimed.as_str() >= message_key => Ok(false),
            _ => {
                state.agent_read.insert(ticket, message_key.to_owned());
                Ok(true)
            }
        }
    }

    async fn release_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        if state.agent_read.get(&ticket).map(String::as_str) == Some(message_key) {
            state.agent_read.remove(&ticket);
        }
        Ok(())
    }

    async fn owned_docs(
        &self,
        kind: super::OwnedKind,
        owner: &str,
    ) -> Result<Vec<super::OwnedDoc>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .owned
            .get(&(kind, owner.to_owned()))
            .map(|docs| docs.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn put_owned_doc(&self, doc: &super::OwnedDoc) -> Result<super::OwnedWrite, StoreError> {
        let mut state = self.begin()?;
        let docs = state
            .owned
            .entry((doc.kind, doc.owner.clone()))
            .or_default();
        let stored = docs.get(&doc.id).map(|d| d.version);
        let expected = (doc.version > 1).then(|| doc.version - 1);
        if stored != expected {
            return Ok(super::OwnedWrite::Conflict);
        }
        docs.insert(doc.id.clone(), doc.clone());
        Ok(super::OwnedWrite::Written)
    }

    async fn delete_owned_doc(
        &self,
        kind: super::OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<super::OwnedWrite, StoreError> {
        let mut state = self.begin()?;
        let docs = state.owned.entry((kind, owner.to_owned())).or_default();
        if docs.get(id).map(|d| d.version) != Some(version) {
            return Ok(super::OwnedWrite::Conflict);
        }
        docs.remove(id);
        Ok(super::OwnedWrite::Written)
    }

    fn retention(&self) -> Option<super::Retention> {
        None
    }
}

/// Meta's error objects of a failed status, as stored.
pub(super) fn errors_json(update: &StatusUpdate<'_>) -> Option<String> {
    (!update.errors.is_empty()).then(|| serde_json::to_string(&update.errors).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::OutboxKind;

    const WAMID: &str = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=";

    fn message() -> MessageRecord {
        let at = Timestamp::from_second(1_795_510_800).unwrap();
        MessageRecord {
            ticket_id: TicketId::new(at),
            wamid: Wamid::parse(WAMID).unwrap(),
            direction: Direction::Inbound,
            sent_at: at,
            recorded_at: at,
            kind: "text".into(),
            text: Some("Hallo".into()),
            media_id: None,
            content: "{}".into(),
            context_id: None,
            profile_name: None,
            delivery: None,
            handled_at: None,
            media: None,
            sent_by: None,
        }
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
