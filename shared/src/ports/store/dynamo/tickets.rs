use super::outbox::outbox_item;
use super::*;

impl DynamoStore {
    pub(super) async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.get(ticket_pk(id), "META")
            .await?
            .as_ref()
            .map(ticket_from)
            .transpose()
    }

    /// The turn's ticket write: every attribute a turn may change set (or removed), if the
    /// ticket is still at the version the turn read.
    fn turn_ticket_update(&self, turn: &BotTurnWrite<'_>) -> Result<TransactWriteItem, StoreError> {
        let t = turn.ticket;
        let mut sets = vec![
            "updated_at = :now".to_owned(),
            "version = :version".to_owned(),
            "expires_at = :expires".to_owned(),
        ];
        let mut removes = Vec::new();
        let mut vals = values([
            (":now", ts(turn.now)),
            (":expires", self.expires_at(turn.now)),
            (":version", n(t.version)),
            (":expected", n(t.version.saturating_sub(1))),
        ]);
        // Names go through placeholders: `status` is a DynamoDB reserved word.
        let mut names = HashMap::new();
        for (name, value) in ticket_bot_fields(t) {
            names.insert(format!("#{name}"), name.to_owned());
            match value {
                Some(v) => {
                    sets.push(format!("#{name} = :{name}"));
                    vals.insert(format!(":{name}"), v);
                }
                None => removes.push(format!("#{name}")),
            }
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(values([
                ("PK", s(ticket_pk(t.id))),
                ("SK", s("META")),
            ])))
            .update_expression(expression)
            .condition_expression("version = :expected")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(vals))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub(super) async fn commit_bot_turn(
        &self,
        turn: &BotTurnWrite<'_>,
    ) -> Result<TurnOutcome, StoreError> {
        let t = turn.ticket;
        let mut items = vec![self.turn_ticket_update(turn)?];
        if let Some(message) = turn.message {
            let handled = Update::builder()
                .table_name(&self.table)
                .set_key(Some(values([
                    ("PK", s(ticket_pk(t.id))),
                    ("SK", s(message_sort_key(message.sent_at, &message.wamid))),
                ])))
                .update_expression("SET bot_handled_at = :now")
                .condition_expression(
                    "attribute_exists(PK) AND attribute_not_exists(bot_handled_at)",
                )
                .set_expression_attribute_values(Some(values([(":now", ts(turn.now))])))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().update(handled).build());
        }
        for entry in turn.outbox {
            items.push(self.put(
                outbox_item(entry, turn.now),
                "attribute_not_exists(PK)",
                None,
            )?);
        }
        for activity in turn.activity {
            items.push(self.put(
                self.activity_item(activity),
                "attribute_not_exists(PK)",
                None,
            )?);
        }
        items.extend(self.tag_index_writes(turn)?);
        items.extend(self.order_items(t, turn.now)?);
        let failed = |codes: &[Option<String>], i: usize| {
            codes.get(i).and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed")
        };
        Ok(match self.transact(items).await? {
            None => TurnOutcome::Committed,
            Some(codes) if turn.message.is_some() && failed(&codes, 1) => {
                TurnOutcome::AlreadyHandled
            }
            Some(_) => TurnOutcome::Conflict,
        })
    }

    pub(super) async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CUSTOMER_INDEX)
            .key_condition_expression("wa_id = :w")
            .expression_attribute_values(":w", s(wa_id.as_str()))
            .into_paginator()
            .items()
            .send();
        let mut ids = Vec::new();
        while let Some(item) = pages.next().await {
            ids.push(
                Reader(&item.map_err(|e| sdk_error("Query", e))?)
                    .parse("ticket_id", |v| TicketId::parse(v).ok())?,
            );
        }
        // The index is eventually consistent: read each ticket itself.
        let mut tickets = Vec::new();
        for id in ids {
            if let Some(t) = self.ticket(id).await? {
                tickets.push(t);
            }
        }
        Ok(tickets)
    }

    pub(super) async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
        let pk = ticket_pk(ticket.id);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(&pk))
            .projection_expression("PK, SK, wamid")
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut keys = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| sdk_error("Query", e))?;
            let r = Reader(&item);
            if let Some(wamid) = r.opt("wamid")? {
                keys.push((format!("WAMID#{wamid}"), "SEEN".to_owned()));
            }
            let sk = r.str("SK")?;
            // A back reference: the order item it points at goes too.
            if let Some(order) = sk.strip_prefix(crate::ports::store::search::ORDER_REF_PREFIX) {
                let (item, _) = crate::ports::store::search::order_items(order, ticket.id);
                keys.push((item.pk, item.sk));
            }
            keys.push((pk.clone(), sk.to_owned()));
        }
        if let Some(open) = self.conversation(&ticket.key).await?
            && open.ticket_id == ticket.id
        {
            keys.push((conversation_pk(&ticket.key), "OPEN".to_owned()));
        }
        // The tag index items live in the tags' partitions, not the ticket's.
        keys.extend(ticket.tags.iter().map(|tag| tag_index_key(tag, ticket.id)));
        self.delete_keys(keys).await
    }

    /// The tag index items a change writes: one put per tag the ticket has, with the TTL the
    /// ticket gets in the same transaction (so a ticket still changing after the retention
    /// period stays in its tags' filters, as it stays in the order index), one delete per tag
    /// it lost. At most `MAX_TAGS_PER_TICKET` puts.
    fn tag_index_writes(
        &self,
        turn: &BotTurnWrite<'_>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let t = turn.ticket;
        let mut items = Vec::new();
        for tag in &t.tags {
            let (pk, sk) = tag_index_key(tag, t.id);
            let item = values([
                ("PK", s(pk)),
                ("SK", s(sk)),
                ("entity", s("ticket_tag")),
                ("tag", s(tag)),
                ("ticket_id", s(t.id.to_string())),
                ("expires_at", self.expires_at(turn.now)),
            ]);
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for tag in turn.tags_before.iter().filter(|tag| !t.tags.contains(tag)) {
            let (pk, sk) = tag_index_key(tag, t.id);
            let delete = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(values([("PK", s(pk)), ("SK", s(sk))])))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(items)
    }
}

/// The tag index item of `ticket` under `tag`: `TAG#<tag>` / `TICKET#<id>` (ids are ULIDs, so
/// a tag's partition lists its tickets oldest first).
pub(super) fn tag_index_key(tag: &str, ticket: TicketId) -> (String, String) {
    (format!("TAG#{tag}"), ticket_pk(ticket))
}

pub(super) fn ticket_item(t: &Ticket) -> Item {
    let mut item = values([
        ("PK", s(ticket_pk(t.id))),
        ("SK", s("META")),
        ("entity", s("ticket")),
        ("ticket_id", s(t.id.to_string())),
        ("phone_number_id", s(t.key.phone_number_id.as_str())),
        ("wa_id", s(t.key.wa_id.as_str())),
        ("status", s(t.status.as_str())),
        ("created_at", ts(t.created_at)),
        ("updated_at", ts(t.updated_at)),
        ("opened_by", s(t.opened_by.as_str())),
        ("last_inbound_at", ts(t.last_inbound_at)),
        ("inbound_count", n(t.inbound_count)),
        ("version", n(t.version)),
    ]);
    if let Some(name) = &t.customer_name {
        item.insert("customer_name".into(), s(name));
    }
    item.extend(
        ticket_bot_fields(t)
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))),
    );
    item
}

/// The ticket attributes a bot turn writes; `None` means the attribute is removed.
pub(super) fn ticket_bot_fields(t: &Ticket) -> [(&'static str, Option<AttributeValue>); 17] {
    let json = |v: Option<String>| v.map(s);
    [
        ("status", Some(s(t.status.as_str()))),
        (
            "bot_state",
            t.bot
                .as_ref()
                .and_then(|b| serde_json::to_string(b).ok())
                .map(s),
        ),
        ("priority", t.priority.map(|p| s(p.as_str()))),
        ("handoff_reason", t.handoff_reason.map(|r| s(r.as_str()))),
        ("resolved_at", t.resolved_at.map(ts)),
        (
            "resolved_by_bot",
            Some(AttributeValue::Bool(t.resolved_by_bot)),
        ),
        (
            "sla",
            t.sla
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok())
                .map(s),
        ),
        ("team", t.team.as_ref().map(s)),
        // The assignee index (sparse: only assigned tickets) sorts by `updated_at`.
        ("assignee", t.assignee.as_ref().map(s)),
        ("category", t.category.as_ref().map(s)),
        ("handed_off_at", t.handed_off_at.map(ts)),
        ("first_response_at", t.first_response_at.map(ts)),
        (
            "csat",
            json(t.csat.and_then(|c| serde_json::to_string(&c).ok())),
        ),
        ("csat_asked_at", t.csat_asked_at.map(ts)),
        (
            "watchers",
            json(
                (!t.watchers.is_empty())
                    .then(|| serde_json::to_string(&t.watchers).ok())
                    .flatten(),
            ),
        ),
        (
            "tags",
            json(
                (!t.tags.is_empty())
                    .then(|| serde_json::to_string(&t.tags).ok())
                    .flatten(),
            ),
        ),
        // The queue index: status and team, sorted by ticket id (creation order).
        (
            "queue_key",
            Some(s(TicketIndex::queue_key(t.status, t.team.as_deref()))),
        ),
    ]
}

pub(super) fn ticket_from(item: &Item) -> Result<Ticket, StoreError> {
    let r = Reader(item);
    Ok(Ticket {
        id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        key: ConversationKey {
            phone_number_id: r.parse("phone_number_id", |v| PhoneNumberId::parse(v).ok())?,
            wa_id: r.parse("wa_id", |v| WaId::parse(v).ok())?,
        },
        status: r.parse("status", TicketStatus::parse)?,
        customer_name: r.owned("customer_name")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        opened_by: r.parse("opened_by", |v| Wamid::parse(v).ok())?,
        last_inbound_at: r.time("last_inbound_at")?,
        inbound_count: r.num("inbound_count")?,
        version: r.num("version")?,
        bot: r
            .opt("bot_state")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute bot_state: {e}")))
            })
            .transpose()?,
        priority: r
            .opt("priority")?
            .map(|_| r.parse("priority", Priority::parse))
            .transpose()?,
        handoff_reason: r
            .opt("handoff_reason")?
            .map(|_| r.parse("handoff_reason", HandoffReason::parse))
            .transpose()?,
        resolved_at: r
            .opt("resolved_at")?
            .map(|_| r.time("resolved_at"))
            .transpose()?,
        resolved_by_bot: r.bool("resolved_by_bot"),
        sla: r
            .opt("sla")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute sla: {e}")))
            })
            .transpose()?,
        team: r.owned("team")?,
        assignee: r.owned("assignee")?,
        category: r.owned("category")?,
        handed_off_at: r.opt_time("handed_off_at")?,
        first_response_at: r.opt_time("first_response_at")?,
        csat: r
            .opt("csat")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute csat: {e}")))
            })
            .transpose()?,
        csat_asked_at: r.opt_time("csat_asked_at")?,
        watchers: r
            .opt("watchers")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute watchers: {e}")))
            })
            .transpose()?
            .unwrap_or_default(),
        tags: r
            .opt("tags")?
            .map(|v| {
                serde_json::from_str(v)
                    .map_err(|e| StoreError::Corrupt(format!("attribute tags: {e}")))
            })
            .transpose()?
            .unwrap_or_default(),
    })
}
