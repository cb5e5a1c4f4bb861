use super::*;

impl MemoryStore {
    pub(super) async fn record_outbound(
        &self,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let mut state = self.begin()?;
        if state.seen.contains_key(&message.wamid) {
            return Ok(WriteOutcome::Duplicate);
        }
        insert_message(&mut state, message);
        Ok(WriteOutcome::Written)
    }

    pub(super) async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        Ok(self
            .begin()?
            .messages
            .get(&id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    pub(super) async fn message(
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

    pub(super) async fn attach_media(
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

pub(super) fn insert_message(state: &mut State, message: &MessageRecord) {
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
