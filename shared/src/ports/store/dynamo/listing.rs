use super::tickets::ticket_from;
use super::*;

impl DynamoStore {
    pub(super) async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
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
