use super::*;
use crate::ports::store::search::{self, IndexKey, SearchHit, SearchKey};

/// Tries of a profile-name change that keeps losing the race with another writer.
const NAME_TRIES: usize = 3;

impl DynamoStore {
    pub(super) async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        // The common case, one write: the name is the one stored (nothing to index).
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(customer_pk(wa_id)))
            .key("SK", s("PROFILE"))
            .update_expression("SET updated_at = :at, expires_at = :expires")
            .condition_expression("profile_name = :name AND updated_at <= :at")
            .set_expression_attribute_values(Some(values([
                (":name", s(name)),
                (":at", ts(at)),
                (":expires", self.expires_at(at)),
            ])))
            .send()
            .await;
        if condition_held("UpdateItem", result)? {
            return Ok(());
        }
        // A new name (or a newer one stored): the profile and its name items change together.
        for _ in 0..NAME_TRIES {
            let read = self.customer(wa_id).await?;
            if read.as_ref().is_some_and(|c| c.updated_at > at) {
                return Ok(());
            }
            let mut after = read
                .clone()
                .unwrap_or_else(|| Customer::new(wa_id.clone(), at));
            after.profile_name = Some(name.to_owned());
            after.updated_at = at;
            after.version += 1;
            let (condition, mut vals) = version_condition(read.as_ref());
            vals.extend(values([
                (":name", s(name)),
                (":at", ts(at)),
                (":version", n(after.version)),
                (":expires", self.expires_at(at)),
            ]));
            let update = self.profile_update(
                wa_id,
                "profile_name = :name, updated_at = :at, version = :version, \
                 expires_at = :expires",
                Some(condition),
                vals,
            )?;
            let mut items = vec![update];
            items.extend(self.name_index_changes(read.as_ref(), &after, at)?);
            if self.transact(items).await?.is_none() {
                return Ok(());
            }
        }
        Err(StoreError::Contended(format!(
            "the profile of customer {}",
            wa_id.digest()
        )))
    }

    pub(super) async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError> {
        let profile = serde_json::to_string(&customer.profile)
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        let (condition, mut vals) = version_condition(read);
        let now = customer.updated_at;
        vals.extend(values([
            (":profile", s(profile)),
            (":version", n(customer.version)),
            (":now", ts(now)),
            (":expires", self.expires_at(now)),
        ]));
        let update = self.profile_update(
            &customer.wa_id,
            "agent_profile = :profile, version = :version, \
             updated_at = if_not_exists(updated_at, :now), expires_at = :expires",
            Some(condition),
            vals,
        )?;
        let mut items = vec![update];
        items.extend(self.name_index_changes(read, customer, now)?);
        // Cancelled: the condition failed or a concurrent write touched the same items.
        Ok(self.transact(items).await?.is_none())
    }

    /// An update of the customer's `PROFILE` item setting `sets` (and who it is), if
    /// `condition` holds.
    fn profile_update(
        &self,
        wa_id: &WaId,
        sets: &str,
        condition: Option<&str>,
        mut vals: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        vals.extend(values([
            (":entity", s("customer")),
            (":wa_id", s(wa_id.as_str())),
        ]));
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(values([
                ("PK", s(customer_pk(wa_id))),
                ("SK", s("PROFILE")),
            ])))
            .update_expression(format!("SET entity = :entity, wa_id = :wa_id, {sets}"))
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_values(Some(vals))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The puts and deletes that move the customer's name items from `before`'s words to
    /// `after`'s.
    fn name_index_changes(
        &self,
        before: Option<&Customer>,
        after: &Customer,
        at: Timestamp,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let old = before.map(Customer::search_words).unwrap_or_default();
        let new = after.search_words();
        let mut items = Vec::new();
        for word in old.iter().filter(|w| !new.contains(w)) {
            let key = search::name_item(word, &after.wa_id);
            let delete = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(values([("PK", s(key.pk)), ("SK", s(key.sk))])))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        for word in new.iter().filter(|w| !old.contains(w)) {
            items.push(self.index_put(
                search::name_item(word, &after.wa_id),
                &SearchHit::Customer(after.wa_id.clone()),
                at,
            )?);
        }
        Ok(items)
    }

    /// An index item pointing at `hit` (unconditional: writing it twice is writing it once).
    pub(super) fn index_put(
        &self,
        key: IndexKey,
        hit: &SearchHit,
        at: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = values([
            ("PK", s(key.pk)),
            ("SK", s(key.sk)),
            ("entity", s("search")),
            ("expires_at", self.expires_at(at)),
        ]);
        // Not `wa_id` / `ticket_id`: those would put the item into the customer and queue
        // indexes.
        match hit {
            SearchHit::Customer(wa_id) => item.insert("hit_wa_id".into(), s(wa_id.as_str())),
            SearchHit::Ticket(id) => item.insert("hit_ticket".into(), s(id.to_string())),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) async fn search(
        &self,
        key: &SearchKey,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some((pk, prefix)) = key.range() else {
            return Ok(Vec::new());
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(pk));
        // DynamoDB refuses an empty key value: no prefix, the whole partition.
        query = if prefix.is_empty() {
            query.key_condition_expression("PK = :pk")
        } else {
            query
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":prefix", s(prefix))
        };
        query = query
            .projection_expression("hit_wa_id, hit_ticket")
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        if let SearchKey::Order(_) = key {
            // Newest ticket first (ticket ids sort by time).
            query = query.scan_index_forward(false);
        }
        let out = query.send().await.map_err(|e| sdk_error("Query", e))?;
        let mut hits = Vec::new();
        for item in out.items() {
            let r = Reader(item);
            if let Some(wa_id) = r.opt("hit_wa_id")? {
                hits.push(SearchHit::Customer(WaId::parse(wa_id).map_err(|_| {
                    StoreError::Corrupt("a search item names no valid customer".into())
                })?));
            } else if let Some(id) = r.opt("hit_ticket")? {
                hits.push(SearchHit::Ticket(TicketId::parse(id).map_err(|_| {
                    StoreError::Corrupt("a search item names no valid ticket".into())
                })?));
            }
        }
        Ok(hits)
    }

    pub(super) async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        let Some(item) = self.get(customer_pk(wa_id), "PROFILE").await? else {
            return Ok(None);
        };
        let r = Reader(&item);
        let profile = match r.opt("agent_profile")? {
            None => Default::default(),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                StoreError::Corrupt(format!("attribute agent_profile is not a profile: {e}"))
            })?,
        };
        Ok(Some(Customer {
            wa_id: wa_id.clone(),
            profile_name: r.owned("profile_name")?,
            updated_at: r.time("updated_at")?,
            profile,
            version: match item.get("version") {
                None => 0,
                Some(_) => r.num("version")?,
            },
            last_ticket_at: r.opt_time("last_ticket_at")?,
        }))
    }

    pub(super) async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        let mut keys = vec![
            (customer_pk(wa_id), "PROFILE".to_owned()),
            (customer_pk(wa_id), "CONSENT".to_owned()),
        ];
        let phone = search::phone_item(wa_id);
        keys.push((phone.pk, phone.sk));
        // The name items go with the profile that lists them; a repeated erasure (the profile
        // gone) has nothing left to find.
        if let Some(customer) = self.customer(wa_id).await? {
            for word in customer.search_words() {
                let key = search::name_item(&word, wa_id);
                keys.push((key.pk, key.sk));
            }
        }
        self.delete_keys(keys).await
    }

    pub(super) async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        let Some(item) = self.get(customer_pk(wa_id), "CONSENT").await? else {
            return Ok(None);
        };
        let r = Reader(&item);
        Ok(Some(crate::domain::consent::Consent {
            opted_in: r.bool("opted_in"),
            at: r.time("at")?,
            source: r.str("source")?.to_owned(),
        }))
    }

    pub(super) async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(values([
                ("PK", s(customer_pk(wa_id))),
                ("SK", s("CONSENT")),
                ("entity", s("consent")),
                ("opted_in", AttributeValue::Bool(consent.opted_in)),
                ("at", ts(consent.at)),
                ("source", s(&consent.source)),
                ("expires_at", self.proof_expires_at(consent.at)),
            ])))
            .condition_expression("attribute_not_exists(PK) OR #at <= :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", ts(consent.at))
            .send()
            .await;
        // A newer record is stored already.
        condition_held("PutItem", result).map(|_| ())
    }

    /// The customer-side writes of a new ticket: the phone item, and the profile's newest
    /// ticket time (created with the first ticket).
    pub(super) fn new_ticket_customer_items(
        &self,
        ticket: &Ticket,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let wa_id = &ticket.key.wa_id;
        let at = ticket.created_at;
        let phone = self.index_put(
            search::phone_item(wa_id),
            &SearchHit::Customer(wa_id.clone()),
            at,
        )?;
        let update = self.profile_update(
            wa_id,
            "last_ticket_at = :at, updated_at = if_not_exists(updated_at, :at), \
             expires_at = :expires",
            None,
            values([(":at", ts(at)), (":expires", self.expires_at(at))]),
        )?;
        Ok(vec![phone, update])
    }

    /// The order items of a ticket the bot found an order on.
    pub(super) fn order_items(
        &self,
        ticket: &Ticket,
        at: Timestamp,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let Some(order) = search::ticket_order(ticket) else {
            return Ok(Vec::new());
        };
        let (item, back) = search::order_items(&order, ticket.id);
        let hit = SearchHit::Ticket(ticket.id);
        Ok(vec![
            self.index_put(item, &hit, at)?,
            self.index_put(back, &hit, at)?,
        ])
    }
}

/// The condition that the profile is still as read (`None`: not stored), with its values.
fn version_condition(read: Option<&Customer>) -> (&'static str, Item) {
    match read {
        None => ("attribute_not_exists(PK)", Item::new()),
        Some(c) if c.version == 0 => ("attribute_not_exists(version)", Item::new()),
        Some(c) => (
            "version = :read_version",
            values([(":read_version", n(c.version))]),
        ),
    }
}
