use super::tickets::ticket_from;
use super::*;

impl DynamoStore {
    pub(super) async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        if let TicketIndex::Tag(tag) = index {
            return self.list_tagged(tag, limit, after).await;
        }
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .limit(i32::try_from(limit.clamp(1, 100)).unwrap_or(100))
            .set_exclusive_start_key(after.map(decode_position).transpose()?);
        let query = match index {
            TicketIndex::Queue { status, team } => query
                .index_name(QUEUE_INDEX)
                .key_condition_expression("queue_key = :k")
                .expression_attribute_values(
                    ":k",
                    s(TicketIndex::queue_key(*status, team.as_deref())),
                ),
            TicketIndex::Assignee(agent) => query
                .index_name(ASSIGNEE_INDEX)
                .key_condition_expression("assignee = :k")
                .expression_attribute_values(":k", s(agent))
                .scan_index_forward(false),
            TicketIndex::Tag(_) => unreachable!("listed by list_tagged"),
        };
        let out = query.send().await.map_err(|e| sdk_error("Query", e))?;
        Ok(TicketPage {
            tickets: out
                .items()
                .iter()
                .map(ticket_from)
                .collect::<Result<_, _>>()?,
            next: out.last_evaluated_key().and_then(encode_position),
        })
    }
}

impl DynamoStore {
    /// One page of the tickets carrying `tag`: a query of the tag's index items (small: key,
    /// tag, ticket id), then the tickets they name in one `BatchGetItem` (consistent reads).
    /// An index item whose ticket is gone (expired by TTL) is skipped.
    async fn list_tagged(
        &self,
        tag: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(format!("TAG#{tag}")))
            .limit(i32::try_from(limit.clamp(1, 100)).unwrap_or(100))
            .set_exclusive_start_key(after.map(decode_position).transpose()?)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let ids: Vec<TicketId> = out
            .items()
            .iter()
            .map(|item| Reader(item).parse("ticket_id", |v| TicketId::parse(v).ok()))
            .collect::<Result<_, _>>()?;
        let mut found = self.tickets_by_id(&ids).await?;
        Ok(TicketPage {
            // In index order (ticket ids: creation order).
            tickets: ids.iter().filter_map(|id| found.remove(id)).collect(),
            next: out.last_evaluated_key().and_then(encode_position),
        })
    }

    /// The tickets of `ids` that exist (at most 100: one `BatchGetItem`, unprocessed keys
    /// asked again).
    async fn tickets_by_id(
        &self,
        ids: &[TicketId],
    ) -> Result<HashMap<TicketId, Ticket>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let keys: Vec<Item> = ids
            .iter()
            .map(|id| values([("PK", s(ticket_pk(*id))), ("SK", s("META"))]))
            .collect();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?,
        );
        let mut rounds = 0;
        while let Some(request) = pending.take() {
            rounds += 1;
            if rounds > 5 {
                return Err(StoreError::Throttled(
                    "BatchGetItem left keys unprocessed five times".into(),
                ));
            }
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", e))?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                let ticket = ticket_from(item)?;
                found.insert(ticket.id, ticket);
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        Ok(found)
    }
}

/// A listing position as DynamoDB gives it (`LastEvaluatedKey`), as text.
pub(super) fn encode_position(key: &Item) -> Option<String> {
    let map: BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
        .collect();
    serde_json::to_string(&map).ok()
}

pub(super) fn decode_position(text: &str) -> Result<Item, StoreError> {
    let map: BTreeMap<String, String> = serde_json::from_str(text)
        .map_err(|_| StoreError::Rejected("the listing position is not valid".into()))?;
    Ok(map.into_iter().map(|(k, v)| (k, s(v))).collect())
}
