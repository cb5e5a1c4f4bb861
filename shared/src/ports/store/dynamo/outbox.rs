use super::conversations::seen_item;
use super::*;

impl DynamoStore {
    pub(super) async fn outbox(
        &self,
        ticket: TicketId,
        inbound: &Wamid,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.query_all(
            ticket_pk(ticket),
            &format!("OUT#{}#", inbound.as_str()),
            outbox_from,
        )
        .await
    }

    pub(super) async fn complete_outbox(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), StoreError> {
        let done = Update::builder()
            .table_name(&self.table)
            .set_key(Some(values([
                ("PK", s(ticket_pk(entry.ticket_id))),
                ("SK", s(outbox_sort_key(&entry.inbound, entry.seq))),
            ])))
            .update_expression("SET done = :yes")
            .condition_expression("done = :no")
            .set_expression_attribute_values(Some(values([
                (":yes", AttributeValue::Bool(true)),
                (":no", AttributeValue::Bool(false)),
            ])))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        let mut items = vec![TransactWriteItem::builder().update(done).build()];
        if let Some(message) = sent {
            items.push(self.put(seen_item(message), "attribute_not_exists(PK)", None)?);
            items.push(self.put(self.message_item(message), "attribute_not_exists(PK)", None)?);
        }
        match self.transact(items).await? {
            None => match sent {
                Some(message) => self.apply_held_status(message).await,
                None => Ok(()),
            },
            // Done before (a retry after the write succeeded): only a kept status may be left
            // to apply, if the first try failed after its write.
            Some(codes)
                if codes.first().and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") =>
            {
                match sent {
                    Some(message) => self.apply_held_status(message).await,
                    None => Ok(()),
                }
            }
            Some(_) => Err(StoreError::Contended(format!(
                "outbox entry {}",
                crate::ports::store::outbox_log_key(&entry.inbound, entry.seq)
            ))),
        }
    }
}

impl DynamoStore {
    pub(super) async fn save_outbox_payload(
        &self,
        entry: &OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(ticket_pk(entry.ticket_id)))
            .key("SK", s(outbox_sort_key(&entry.inbound, entry.seq)))
            .update_expression("SET payload = :payload")
            .condition_expression("attribute_exists(PK) AND done = :no")
            .expression_attribute_values(":payload", s(payload))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .send()
            .await;
        // A failed condition: done meanwhile (or gone with an erased ticket); nothing to keep.
        super::table::condition_held("UpdateItem", result).map(|_| ())
    }
}

pub(super) fn outbox_item(e: &OutboxEntry, now: Timestamp) -> Item {
    values([
        ("PK", s(ticket_pk(e.ticket_id))),
        ("SK", s(outbox_sort_key(&e.inbound, e.seq))),
        ("entity", s("outbox")),
        ("ticket_id", s(e.ticket_id.to_string())),
        ("inbound", s(e.inbound.as_str())),
        ("seq", n(e.seq)),
        ("kind", s(e.kind.as_str())),
        ("payload", s(&e.payload)),
        ("done", AttributeValue::Bool(e.done)),
        ("created_at", ts(now)),
        // Kept a while for inspection, then removed by TTL.
        (
            "expires_at",
            n(now
                .saturating_add(OUTBOX_RETENTION)
                .unwrap_or(now)
                .as_second()),
        ),
    ])
}

pub(super) fn outbox_from(item: &Item) -> Result<OutboxEntry, StoreError> {
    let r = Reader(item);
    Ok(OutboxEntry {
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        inbound: r.parse("inbound", |v| Wamid::parse(v).ok())?,
        seq: u8::try_from(r.num("seq")?)
            .map_err(|_| StoreError::Corrupt("attribute seq is too large".into()))?,
        kind: r.parse("kind", OutboxKind::parse)?,
        payload: r.str("payload")?.to_owned(),
        done: r.bool("done"),
    })
}

/// How long done (or stuck) outbox entries stay in the table.
pub(super) const OUTBOX_RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);
