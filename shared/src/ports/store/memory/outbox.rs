use super::*;
use crate::ports::store::outbox_log_key;

impl MemoryStore {
    pub(super) async fn outbox(
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

    pub(super) async fn complete_outbox(
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
                outbox_log_key(&entry.inbound, entry.seq)
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

    pub(super) async fn save_outbox_payload(
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
                outbox_log_key(&entry.inbound, entry.seq)
            ))),
        }
    }
}
