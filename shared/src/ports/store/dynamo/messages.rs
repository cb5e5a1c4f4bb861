use super::conversations::seen_item;
use super::*;

impl DynamoStore {
    /// A message item that expires after the retention period.
    pub(super) fn message_item(&self, m: &MessageRecord) -> Item {
        let mut item = message_item_fields(m);
        item.insert("expires_at".into(), self.expires_at(m.sent_at));
        item
    }

    pub(super) async fn record_outbound(
        &self,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let items = vec![
            self.put(seen_item(message), "attribute_not_exists(PK)", None)?,
            self.put(self.message_item(message), "attribute_not_exists(PK)", None)?,
        ];
        Ok(match self.transact(items).await? {
            None => {
                self.apply_held_status(message).await?;
                WriteOutcome::Written
            }
            Some(codes) => match classify_cancel(&codes) {
                WriteOutcome::Duplicate => WriteOutcome::Duplicate,
                _ => {
                    return Err(StoreError::Contended(format!(
                        "outbound message {}",
                        message.wamid
                    )));
                }
            },
        })
    }

    pub(super) async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        self.query_all(ticket_pk(id), "MSG#", message_from).await
    }

    pub(super) async fn message(
        &self,
        ticket: TicketId,
        sent_at: Timestamp,
        wamid: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError> {
        self.get(ticket_pk(ticket), &message_sort_key(sent_at, wamid))
            .await?
            .as_ref()
            .map(message_from)
            .transpose()
    }

    pub(super) async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(ticket_pk(message.ticket_id)))
            .key("SK", s(message_sort_key(message.sent_at, &message.wamid)))
            .update_expression("SET media = :media")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(
                ":media",
                s(serde_json::to_string(media).unwrap_or_default()),
            )
            .send()
            .await;
        if condition_held("UpdateItem", result)? {
            self.touch(&[message.ticket_id]).await;
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "message {} is not on ticket {}",
                message.wamid, message.ticket_id
            )))
        }
    }
}

pub(super) fn message_item_fields(m: &MessageRecord) -> Item {
    let mut item = values([
        ("PK", s(ticket_pk(m.ticket_id))),
        ("SK", s(message_sort_key(m.sent_at, &m.wamid))),
        ("entity", s("message")),
        ("ticket_id", s(m.ticket_id.to_string())),
        ("wamid", s(m.wamid.as_str())),
        ("direction", s(m.direction.as_str())),
        ("sent_at", ts(m.sent_at)),
        ("recorded_at", ts(m.recorded_at)),
        ("kind", s(&m.kind)),
        ("content", s(&m.content)),
    ]);
    for (name, value) in [
        ("text", &m.text),
        ("media_id", &m.media_id),
        ("context_id", &m.context_id),
        ("profile_name", &m.profile_name),
    ] {
        if let Some(v) = value {
            item.insert(name.into(), s(v));
        }
    }
    if let Some(agent) = &m.sent_by {
        item.insert("sent_by".into(), s(agent));
    }
    if let Some(media) = m.media.as_ref().and_then(|v| serde_json::to_string(v).ok()) {
        item.insert("media".into(), s(media));
    }
    if let Some(at) = m.handled_at {
        item.insert("bot_handled_at".into(), ts(at));
    }
    if let Some(d) = &m.delivery {
        item.insert("delivery".into(), s(d.state.as_str()));
        item.insert("delivery_rank".into(), n(d.state.rank()));
        item.insert("delivery_at".into(), ts(d.at));
        if let Some(e) = &d.errors {
            item.insert("delivery_errors".into(), s(e));
        }
    }
    item
}

pub(super) fn message_from(item: &Item) -> Result<MessageRecord, StoreError> {
    let r = Reader(item);
    let delivery = match r.opt("delivery")? {
        None => None,
        Some(_) => Some(Delivery {
            state: r.parse("delivery", |v| {
                serde_json::from_value(serde_json::Value::String(v.to_owned())).ok()
            })?,
            at: r.time("delivery_at")?,
            errors: r.owned("delivery_errors")?,
        }),
    };
    Ok(MessageRecord {
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        wamid: r.parse("wamid", |v| Wamid::parse(v).ok())?,
        direction: r.parse("direction", Direction::parse)?,
        sent_at: r.time("sent_at")?,
        recorded_at: r.time("recorded_at")?,
        kind: r.str("kind")?.to_owned(),
        text: r.owned("text")?,
        media_id: r.owned("media_id")?,
        content: r.str("content")?.to_owned(),
        context_id: r.owned("context_id")?,
        profile_name: r.owned("profile_name")?,
        delivery,
        handled_at: r
            .opt("bot_handled_at")?
            .map(|_| r.time("bot_handled_at"))
            .transpose()?,
        media: r
            .opt("media")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute media: {e}")))
            })
            .transpose()?,
        sent_by: r.owned("sent_by")?,
    })
}
