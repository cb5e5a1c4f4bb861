use super::*;

impl MemoryStore {
    pub(super) async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.begin()?.tickets.get(&id).cloned())
    }

    pub(super) async fn commit_bot_turn(
        &self,
        turn: &BotTurnWrite<'_>,
    ) -> Result<TurnOutcome, StoreError> {
        let mut state = self.begin()?;
        let key = turn.message.map(|m| message_sort_key(m.sent_at, &m.wamid));
        if let Some(refused) = refusal(&state, turn, key.as_deref())? {
            return Ok(refused);
        }
        state.tickets.insert(turn.ticket.id, turn.ticket.clone());
        state.changes.touch(turn.ticket.id);
        retag(&mut state, turn);
        index_order(&mut state, turn.ticket);
        mark_handled(&mut state, turn, key.as_deref());
        append_outbox_and_activity(&mut state, turn);
        Ok(TurnOutcome::Committed)
    }

    pub(super) async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
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

    pub(super) async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
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

    pub(super) async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .activities
            .get(&id)
            .map(|log| log.values().cloned().collect())
            .unwrap_or_default())
    }
}

/// Why a bot turn is not written: its message is handled already, the ticket changed since it
/// was read, or this change is stored already.
fn refusal(
    state: &State,
    turn: &BotTurnWrite<'_>,
    key: Option<&str>,
) -> Result<Option<TurnOutcome>, StoreError> {
    if let (Some(key), Some(m)) = (key, turn.message) {
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
            return Ok(Some(TurnOutcome::AlreadyHandled));
        }
    }
    match state.tickets.get(&turn.ticket.id) {
        Some(current) if current.version + 1 == turn.ticket.version => {}
        Some(_) => return Ok(Some(TurnOutcome::Conflict)),
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
    Ok(taken.then_some(TurnOutcome::Conflict))
}

/// The tag index follows the ticket's tags: out of the tags it lost, into those it has.
fn retag(state: &mut State, turn: &BotTurnWrite<'_>) {
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
}

/// A ticket about an order becomes findable by the order number.
fn index_order(state: &mut State, ticket: &Ticket) {
    if let Some(order) = search::ticket_order(ticket) {
        let (item, back) = search::order_items(&order, ticket.id);
        state.index.insert(item, SearchHit::Ticket(ticket.id));
        state.index.insert(back, SearchHit::Ticket(ticket.id));
    }
}

fn mark_handled(state: &mut State, turn: &BotTurnWrite<'_>, key: Option<&str>) {
    if let Some(key) = key
        && let Some(m) = state
            .messages
            .get_mut(&turn.ticket.id)
            .and_then(|all| all.get_mut(key))
    {
        m.handled_at = Some(turn.now);
    }
}

fn append_outbox_and_activity(state: &mut State, turn: &BotTurnWrite<'_>) {
    let outbox = state.outbox.entry(turn.ticket.id).or_default();
    for entry in turn.outbox {
        outbox.insert(outbox_sort_key(&entry.inbound, entry.seq), entry.clone());
    }
    let log = state.activities.entry(turn.ticket.id).or_default();
    for activity in turn.activity {
        log.insert(activity_sort_key(activity), activity.clone());
    }
}
