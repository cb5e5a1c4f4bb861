use super::*;

impl DynamoStore {
    pub(super) async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        self.query_all(AGENTS_PK.to_owned(), "AGENT#", agent_from)
            .await
    }

    pub(super) async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        let profile = agent_profile(agent);
        let mut item = values([
            ("PK", s(AGENTS_PK)),
            ("SK", s(format!("AGENT#{}", agent.id))),
            ("entity", s("agent")),
            ("agent_id", s(&agent.id)),
            ("profile", s(profile)),
            ("capacity", n(agent.capacity)),
            ("load", n(agent.load)),
            ("online", AttributeValue::Bool(agent.online)),
        ]);
        if let Some(at) = agent.last_assigned_at {
            item.insert("last_assigned_at".into(), ts(at));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        condition_held("PutItem", result).map(|_| ())
    }

    pub(super) async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(AGENTS_PK))
            .key("SK", s(format!("AGENT#{id}")))
            .update_expression("SET #load = #load + :one, last_assigned_at = :now")
            .condition_expression("#online = :yes AND #load < #capacity")
            .expression_attribute_names("#online", "online")
            .expression_attribute_names("#load", "load")
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", ts(now))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        condition_held("UpdateItem", result)
    }

    pub(super) async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(AGENTS_PK))
            .key("SK", s(format!("AGENT#{id}")))
            .update_expression("SET #load = #load - :one")
            .condition_expression("#load > :zero")
            .expression_attribute_names("#load", "load")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        condition_held("UpdateItem", result).map(|_| ())
    }

    pub(super) async fn release_agent_once(
        &self,
        entry: &OutboxEntry,
        id: &str,
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
        let release = Update::builder()
            .table_name(&self.table)
            .set_key(Some(values([
                ("PK", s(AGENTS_PK)),
                ("SK", s(format!("AGENT#{id}"))),
            ])))
            .update_expression("SET #load = #load - :one")
            .condition_expression("#load > :zero")
            .expression_attribute_names("#load", "load")
            .set_expression_attribute_values(Some(values([(":one", n(1)), (":zero", n(0))])))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        let items = vec![
            TransactWriteItem::builder().update(done).build(),
            TransactWriteItem::builder().update(release).build(),
        ];
        let failed = |codes: &[Option<String>], i: usize| {
            codes.get(i).and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed")
        };
        match self.transact(items).await? {
            None => Ok(()),
            // Given back before (a retry after the write succeeded): nothing more to do.
            Some(codes) if failed(&codes, 0) => Ok(()),
            // No load left to give back (presence reset, agent removed): the step is done.
            Some(codes) if failed(&codes, 1) => self.complete_outbox(entry, None).await,
            // No wamid in the message: errors reach the logs.
            Some(_) => Err(StoreError::Contended(format!(
                "the capacity release of ticket {} (outbox entry {})",
                entry.ticket_id, entry.seq
            ))),
        }
    }

    pub(super) async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(AGENTS_PK))
            .key("SK", s(format!("AGENT#{}", agent.id)))
            .condition_expression("attribute_exists(PK)")
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .expression_attribute_names("#profile", "profile")
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":profile", s(agent_profile(agent)))
            .expression_attribute_values(":capacity", n(agent.capacity));
        let mut expression = "SET #profile = :profile, #capacity = :capacity".to_owned();
        if agent.deactivated_at.is_some() {
            expression.push_str(", #online = :offline");
            update = update
                .expression_attribute_names("#online", "online")
                .expression_attribute_values(":offline", AttributeValue::Bool(false));
        }
        match update.update_expression(expression).send().await {
            Ok(out) => out.attributes().map(agent_from).transpose(),
            Err(SdkError::ServiceError(se))
                if se.err().code() == Some("ConditionalCheckFailedException") =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    pub(super) async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError> {
        let mut sets = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(AGENTS_PK))
            .key("SK", s(format!("AGENT#{id}")))
            .condition_expression("attribute_exists(PK)")
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if let Some(online) = online {
            sets.push("#online = :online");
            update = update
                .expression_attribute_names("#online", "online")
                .expression_attribute_values(":online", AttributeValue::Bool(online));
        }
        if let Some(capacity) = capacity {
            sets.push("#capacity = :capacity");
            update = update
                .expression_attribute_names("#capacity", "capacity")
                .expression_attribute_values(":capacity", n(capacity));
        }
        if sets.is_empty() {
            return Ok(self.agents().await?.into_iter().find(|a| a.id == id));
        }
        match update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
        {
            Ok(out) => out.attributes().map(agent_from).transpose(),
            Err(SdkError::ServiceError(se))
                if se.err().code() == Some("ConditionalCheckFailedException") =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }
}

/// All agents share one partition: listing them is one query.
pub(super) const AGENTS_PK: &str = "AGENTS";

pub(super) fn agent_from(item: &Item) -> Result<Agent, StoreError> {
    #[derive(serde::Deserialize)]
    struct Profile {
        name: String,
        teams: Vec<String>,
        languages: Vec<crate::domain::bot::Lang>,
        #[serde(default)]
        deactivated_at: Option<Timestamp>,
    }
    let r = Reader(item);
    let profile: Profile = serde_json::from_str(r.str("profile")?)
        .map_err(|e| StoreError::Corrupt(format!("attribute profile: {e}")))?;
    Ok(Agent {
        id: r.str("agent_id")?.to_owned(),
        name: profile.name,
        teams: profile.teams,
        languages: profile.languages,
        capacity: u32::try_from(r.num("capacity")?).unwrap_or(u32::MAX),
        load: u32::try_from(r.num("load")?).unwrap_or(u32::MAX),
        online: r.bool("online"),
        last_assigned_at: r
            .opt("last_assigned_at")?
            .map(|_| r.time("last_assigned_at"))
            .transpose()?,
        deactivated_at: profile.deactivated_at,
    })
}

/// The `profile` attribute of an agent item: what admins edit, one JSON document.
fn agent_profile(agent: &Agent) -> String {
    serde_json::json!({
        "name": agent.name,
        "teams": agent.teams,
        "languages": agent.languages,
        "deactivated_at": agent.deactivated_at,
    })
    .to_string()
}
