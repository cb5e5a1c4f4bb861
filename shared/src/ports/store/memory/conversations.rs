use super::*;

impl MemoryStore {
    pub(super) async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        Ok(self.begin()?.seen.get(wamid).cloned())
    }

    pub(super) async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(self.begin()?.conversations.get(key).cloned())
    }

    pub(super) async fn open_ticket(
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

    pub(super) async fn append_inbound(
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

    pub(super) async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
        if let Some(s) = self.begin()?.seen.get_mut(&seen.wamid) {
            s.enqueued = true;
        }
        Ok(())
    }
}
