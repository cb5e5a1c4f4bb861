use super::tickets::ticket_item;
use super::*;

impl DynamoStore {
    pub(super) async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        self.get(seen_pk(wamid), "SEEN")
            .await?
            .as_ref()
            .map(seen_from)
            .transpose()
    }

    pub(super) async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        self.get(conversation_pk(key), "OPEN")
            .await?
            .as_ref()
            .map(|item| conversation_from(key, item))
            .transpose()
    }

    pub(super) async fn open_ticket(
        &self,
        ticket: &Ticket,
        replacing: Option<TicketId>,
        first: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let conversation = values([
            ("PK", s(conversation_pk(&ticket.key))),
            ("SK", s("OPEN")),
            ("entity", s("conversation")),
            ("ticket_id", s(ticket.id.to_string())),
            ("opened_at", ts(ticket.created_at)),
            ("last_customer_at", ts(first.sent_at)),
            ("expires_at", self.expires_at(first.sent_at)),
        ]);
        let mut ticket_item = ticket_item(ticket);
        ticket_item.insert("expires_at".into(), self.expires_at(ticket.updated_at));
        let conversation_put = match replacing {
            None => self.put(conversation, "attribute_not_exists(PK)", None)?,
            Some(old) => self.put(
                conversation,
                "ticket_id = :old",
                Some(values([(":old", s(old.to_string()))])),
            )?,
        };
        let mut items = vec![
            self.put(seen_item(first), "attribute_not_exists(PK)", None)?,
            conversation_put,
            self.put(ticket_item, "attribute_not_exists(PK)", None)?,
            self.put(self.message_item(first), "attribute_not_exists(PK)", None)?,
        ];
        items.extend(self.new_ticket_customer_items(ticket)?);
        Ok(match self.transact(items).await? {
            None => WriteOutcome::Written,
            Some(codes) => classify_cancel(&codes),
        })
    }

    pub(super) async fn append_inbound(
        &self,
        read: &Conversation,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        let advances = message.sent_at > read.last_customer_at;
        let conversation_key = values([("PK", s(conversation_pk(&read.key))), ("SK", s("OPEN"))]);
        let conversation_item = if advances {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(conversation_key))
                .update_expression("SET last_customer_at = :new, expires_at = :expires")
                .condition_expression("ticket_id = :tid AND last_customer_at = :read")
                .set_expression_attribute_values(Some(values([
                    (":new", ts(message.sent_at)),
                    (":expires", self.expires_at(message.sent_at)),
                    (":tid", s(read.ticket_id.to_string())),
                    (":read", ts(read.last_customer_at)),
                ])))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            TransactWriteItem::builder().update(update).build()
        } else {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(conversation_key))
                .condition_expression("ticket_id = :tid")
                .set_expression_attribute_values(Some(values([(
                    ":tid",
                    s(read.ticket_id.to_string()),
                )])))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            TransactWriteItem::builder().condition_check(check).build()
        };
        let mut set =
            "SET updated_at = :now, version = version + :one, expires_at = :expires".to_owned();
        let mut ticket_values = values([
            (":now", ts(message.recorded_at)),
            (":one", n(1)),
            (":expires", self.expires_at(message.recorded_at)),
        ]);
        if advances {
            set.push_str(", last_inbound_at = :last");
            ticket_values.insert(":last".into(), ts(message.sent_at));
        }
        let ticket_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(values([
                ("PK", s(ticket_pk(read.ticket_id))),
                ("SK", s("META")),
            ])))
            .update_expression(format!("{set} ADD inbound_count :one"))
            .condition_expression("attribute_exists(PK)")
            .set_expression_attribute_values(Some(ticket_values))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        let items = vec![
            self.put(seen_item(message), "attribute_not_exists(PK)", None)?,
            conversation_item,
            TransactWriteItem::builder().update(ticket_update).build(),
            self.put(self.message_item(message), "attribute_not_exists(PK)", None)?,
        ];
        match self.transact(items).await? {
            None => Ok(WriteOutcome::Written),
            Some(codes)
                if codes.get(2).and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") =>
            {
                Err(StoreError::Corrupt(format!(
                    "conversation points at missing ticket {}",
                    read.ticket_id
                )))
            }
            Some(codes) => Ok(classify_cancel(&codes)),
        }
    }

    pub(super) async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(seen_pk(&seen.wamid)))
            .key("SK", s("SEEN"))
            .update_expression("SET enqueued = :yes")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        condition_held("UpdateItem", result).map(|_| ())
    }
}

pub(super) fn seen_item(m: &MessageRecord) -> Item {
    let expires = m
        .recorded_at
        .saturating_add(SEEN_RETENTION)
        .unwrap_or(m.recorded_at);
    values([
        ("PK", s(seen_pk(&m.wamid))),
        ("SK", s("SEEN")),
        ("entity", s("seen")),
        ("wamid", s(m.wamid.as_str())),
        ("ticket_id", s(m.ticket_id.to_string())),
        ("direction", s(m.direction.as_str())),
        ("sent_at", ts(m.sent_at)),
        ("enqueued", AttributeValue::Bool(false)),
        ("expires_at", n(expires.as_second())),
    ])
}

pub(super) fn seen_from(item: &Item) -> Result<SeenMessage, StoreError> {
    let r = Reader(item);
    Ok(SeenMessage {
        wamid: r.parse("wamid", |v| Wamid::parse(v).ok())?,
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        direction: r.parse("direction", Direction::parse)?,
        sent_at: r.time("sent_at")?,
        enqueued: r.bool("enqueued"),
    })
}

pub(super) fn conversation_from(
    key: &ConversationKey,
    item: &Item,
) -> Result<Conversation, StoreError> {
    let r = Reader(item);
    Ok(Conversation {
        key: key.clone(),
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        opened_at: r.time("opened_at")?,
        last_customer_at: r.time("last_customer_at")?,
    })
}
