use super::*;

impl MemoryStore {
    pub(super) async fn apply_status(
        &self,
        update: &StatusUpdate<'_>,
    ) -> Result<StatusOutcome, StoreError> {
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
}

/// Meta's error objects of a failed status, as stored.
pub(in crate::ports::store) fn errors_json(update: &StatusUpdate<'_>) -> Option<String> {
    (!update.errors.is_empty()).then(|| serde_json::to_string(&update.errors).unwrap_or_default())
}
