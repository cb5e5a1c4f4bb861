use super::*;

impl DynamoStore {
    /// Keeps a status for a message not recorded yet (`WAMID#<wamid>`/`STATUS`), the best
    /// state only, until [`EARLY_STATUS_RETENTION`] has passed.
    pub(super) async fn hold_status(
        &self,
        wamid: &Wamid,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        let expires = Timestamp::now()
            .saturating_add(EARLY_STATUS_RETENTION)
            .unwrap_or(Timestamp::MAX);
        let mut expression = "SET entity = :entity, delivery = :state, delivery_rank = :rank, \
             delivery_at = :at, expires_at = :expires"
            .to_owned();
        let mut vals = values([
            (":entity", s("early_status")),
            (":state", s(delivery.state.as_str())),
            (":rank", n(delivery.state.rank())),
            (":at", ts(delivery.at)),
            (":expires", n(expires.as_second())),
        ]);
        match &delivery.errors {
            Some(errors) => {
                expression.push_str(", delivery_errors = :errors");
                vals.insert(":errors".into(), s(errors));
            }
            None => expression.push_str(" REMOVE delivery_errors"),
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(seen_pk(wamid)))
            .key("SK", s(EARLY_STATUS_SK))
            .update_expression(expression)
            .condition_expression("attribute_not_exists(delivery_rank) OR delivery_rank < :rank")
            .set_expression_attribute_values(Some(vals))
            .send()
            .await;
        // A failed condition: an equal or better state is kept already.
        condition_held("UpdateItem", result).map(|_| ())
    }

    /// Applies the status kept for `message` before it was recorded, if any, and drops it.
    pub(super) async fn apply_held_status(
        &self,
        message: &MessageRecord,
    ) -> Result<(), StoreError> {
        if message.direction != Direction::Outbound {
            return Ok(());
        }
        let Some(item) = self.get(seen_pk(&message.wamid), EARLY_STATUS_SK).await? else {
            return Ok(());
        };
        let r = Reader(&item);
        let delivery = Delivery {
            state: r.parse("delivery", |v| {
                serde_json::from_value(serde_json::Value::String(v.to_owned())).ok()
            })?,
            at: r.time("delivery_at")?,
            errors: r.owned("delivery_errors")?,
        };
        self.set_delivery(&seen_of_record(message), &delivery)
            .await?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(seen_pk(&message.wamid)))
            .key("SK", s(EARLY_STATUS_SK))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }

    /// Records `delivery` on the outbound message `seen` names, never going backwards.
    pub(super) async fn set_delivery(
        &self,
        seen: &SeenMessage,
        delivery: &Delivery,
    ) -> Result<StatusOutcome, StoreError> {
        let mut expression =
            "SET delivery = :state, delivery_rank = :rank, delivery_at = :at".to_owned();
        let mut vals = values([
            (":state", s(delivery.state.as_str())),
            (":rank", n(delivery.state.rank())),
            (":at", ts(delivery.at)),
        ]);
        if let Some(errors) = &delivery.errors {
            expression.push_str(", delivery_errors = :errors");
            vals.insert(":errors".into(), s(errors));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(ticket_pk(seen.ticket_id)))
            .key("SK", s(message_sort_key(seen.sent_at, &seen.wamid)))
            .update_expression(expression)
            .condition_expression("attribute_exists(PK) AND (attribute_not_exists(delivery_rank) OR delivery_rank < :rank)")
            .set_expression_attribute_values(Some(vals))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => {
                self.touch(&[seen.ticket_id]).await;
                Ok(StatusOutcome::Applied)
            }
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                let existed = match se.err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item().is_some(),
                    _ => false,
                };
                Ok(if existed {
                    StatusOutcome::Superseded
                } else {
                    StatusOutcome::UnknownMessage
                })
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    pub(super) async fn apply_status(
        &self,
        update: &StatusUpdate<'_>,
    ) -> Result<StatusOutcome, StoreError> {
        let delivery = Delivery {
            state: update.state,
            at: update.at,
            errors: errors_json(update),
        };
        let Some(seen) = self.seen(&update.wamid).await? else {
            // Meta can report on a message before its sender has recorded it: keep the status.
            self.hold_status(&update.wamid, &delivery).await?;
            // The sender may have recorded it meanwhile and looked for kept statuses before this
            // one was written: look again (both sides write, then read, so one sees the other).
            return match self.seen(&update.wamid).await? {
                Some(seen) if seen.direction == Direction::Outbound => {
                    self.set_delivery(&seen, &delivery).await
                }
                _ => Ok(StatusOutcome::Held),
            };
        };
        if seen.direction != Direction::Outbound {
            return Ok(StatusOutcome::UnknownMessage);
        }
        self.set_delivery(&seen, &delivery).await
    }
}

/// The sort key of a status kept for a message not recorded yet (beside its `SEEN` record).
pub(super) const EARLY_STATUS_SK: &str = "STATUS";

/// Where a message's idempotency record points.
pub(super) fn seen_of_record(m: &MessageRecord) -> SeenMessage {
    SeenMessage {
        wamid: m.wamid.clone(),
        ticket_id: m.ticket_id,
        direction: m.direction,
        sent_at: m.sent_at,
        enqueued: false,
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::whatsapp::DeliveryState;

    #[test]
    pub(super) fn delivery_state_round_trips_through_its_stored_form() {
        for state in [
            DeliveryState::Sent,
            DeliveryState::Delivered,
            DeliveryState::Read,
            DeliveryState::Failed,
        ] {
            let parsed: DeliveryState =
                serde_json::from_value(serde_json::Value::String(state.as_str().to_owned()))
                    .unwrap();
            assert_eq!(parsed, state);
        }
    }
}
