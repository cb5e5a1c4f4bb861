//! DynamoDB adapter: one table, `PK`/`SK` string keys, TTL attribute `expires_at` (see the data
//! model in the design notes). Multi-item writes are transactions whose conditions make
//! concurrent or repeated deliveries safe.

use crate::platform::aws::{SdkFailure, sdk_failure};
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use jiff::Timestamp;

use super::memory::errors_json;
use super::{
    Activity, Agent, BotTurnWrite, Customer, Delivery, Direction, EARLY_STATUS_RETENTION,
    MessageRecord, OutboxEntry, OutboxKind, SEEN_RETENTION, SeenMessage, StatsEvent, StatsRow,
    StatusOutcome, StoreError, TicketIndex, TicketPage, TicketStore, TurnOutcome, WriteOutcome,
    activity_sort_key, message_sort_key, outbox_sort_key, sortable_time,
};
use crate::app::intake::webhook::plan::StatusUpdate;
use crate::domain::bot::{HandoffReason, Priority};
use crate::domain::ids::{ConversationKey, PhoneNumberId, TicketId, WaId, Wamid};
use crate::domain::ticket::{Conversation, Ticket, TicketStatus};

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long customer data and proof are kept (DynamoDB TTL on `expires_at`).
    retention: super::Retention,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: super::Retention::default(),
        }
    }

    pub fn with_retention(mut self, retention: super::Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The TTL of conversation data (tickets, messages, notes, conversations, profiles) that
    /// last changed at `from`.
    fn expires_at(&self, from: Timestamp) -> AttributeValue {
        n(self.retention.data_until(from).as_second())
    }

    /// The TTL of proof (consent, audit) recorded at `from`.
    fn proof_expires_at(&self, from: Timestamp) -> AttributeValue {
        n(self.retention.proof_until(from).as_second())
    }

    /// A message item that expires after the retention period.
    fn message_item(&self, m: &MessageRecord) -> Item {
        let mut item = message_item_fields(m);
        item.insert("expires_at".into(), self.expires_at(m.sent_at));
        item
    }

    /// An activity item (notes may hold personal data) that expires like messages.
    fn activity_item(&self, a: &Activity) -> Item {
        let mut item = activity_item_fields(a);
        item.insert("expires_at".into(), self.expires_at(a.at));
        item
    }

    /// Deletes items by key, 25 at a time; what DynamoDB leaves unprocessed is sent again.
    async fn delete_keys(&self, keys: Vec<(String, String)>) -> Result<usize, StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let count = keys.len();
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|(pk, sk)| {
                    DeleteRequest::builder()
                        .set_key(Some(values([("PK", s(pk)), ("SK", s(sk))])))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(|e| StoreError::Rejected(e.to_string()))
                })
                .collect::<Result<_, _>>()?;
            for _ in 0..8 {
                if requests.is_empty() {
                    break;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            if !requests.is_empty() {
                return Err(StoreError::Throttled("deleting items".into()));
            }
        }
        Ok(count)
    }

    fn put(
        &self,
        item: Item,
        condition: &str,
        values: Option<Item>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<Option<String>>>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(se)) if se.err().is_transaction_canceled_exception() => {
                let codes = match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(e) => e
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                };
                Ok(Some(codes))
            }
            Err(e) => Err(sdk_error("TransactWriteItems", e)),
        }
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`, read with `read`.
    async fn query_all<T>(
        &self,
        pk: String,
        prefix: &str,
        read: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(read(&item.map_err(|e| sdk_error("Query", e))?)?);
        }
        Ok(out)
    }

    /// Keeps a status for a message not recorded yet (`WAMID#<wamid>`/`STATUS`), the best
    /// state only, until [`EARLY_STATUS_RETENTION`] has passed.
    async fn hold_status(&self, wamid: &Wamid, delivery: &Delivery) -> Result<(), StoreError> {
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
    async fn apply_held_status(&self, message: &MessageRecord) -> Result<(), StoreError> {
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
    async fn set_delivery(
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
            Ok(_) => Ok(StatusOutcome::Applied),
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

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out.item)
    }
}

/// What a cancelled transaction means, from the per-item reasons (in item order; every
/// transaction here puts the idempotency record first).
fn classify_cancel(codes: &[Option<String>]) -> WriteOutcome {
    if codes.first().and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") {
        WriteOutcome::Duplicate
    } else {
        // The conversation moved, a concurrent transaction touched the same items, or the
        // emulator gave no reasons: in every case, read again and decide again.
        WriteOutcome::ConversationMoved
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ts(t: Timestamp) -> AttributeValue {
    s(sortable_time(t))
}

fn ticket_pk(id: TicketId) -> String {
    format!("TICKET#{id}")
}

fn conversation_pk(key: &ConversationKey) -> String {
    format!(
        "CONV#{}#{}",
        key.phone_number_id.as_str(),
        key.wa_id.as_str()
    )
}

fn seen_pk(wamid: &Wamid) -> String {
    format!("WAMID#{}", wamid.as_str())
}

/// The sort key of a status kept for a message not recorded yet (beside its `SEEN` record).
const EARLY_STATUS_SK: &str = "STATUS";

/// Where a message's idempotency record points.
fn seen_of_record(m: &MessageRecord) -> SeenMessage {
    SeenMessage {
        wamid: m.wamid.clone(),
        ticket_id: m.ticket_id,
        direction: m.direction,
        sent_at: m.sent_at,
        enqueued: false,
    }
}

fn customer_pk(wa_id: &WaId) -> String {
    format!("CUST#{}", wa_id.as_str())
}

fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn ticket_item(t: &Ticket) -> Item {
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
fn ticket_bot_fields(t: &Ticket) -> [(&'static str, Option<AttributeValue>); 16] {
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
        // The queue index: status and team, sorted by ticket id (creation order).
        (
            "queue_key",
            Some(s(TicketIndex::queue_key(t.status, t.team.as_deref()))),
        ),
    ]
}

fn message_item_fields(m: &MessageRecord) -> Item {
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

fn seen_item(m: &MessageRecord) -> Item {
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

/// Reads typed attributes, reporting a corrupt item by attribute name.
struct Reader<'a>(&'a Item);

impl Reader<'_> {
    fn opt(&self, name: &str) -> Result<Option<&str>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(StoreError::Corrupt(format!(
                "attribute {name} is not a string"
            ))),
        }
    }

    fn str(&self, name: &str) -> Result<&str, StoreError> {
        self.opt(name)?
            .ok_or_else(|| StoreError::Corrupt(format!("attribute {name} is missing")))
    }

    fn parse<T>(&self, name: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<T, StoreError> {
        let raw = self.str(name)?;
        f(raw).ok_or_else(|| StoreError::Corrupt(format!("attribute {name} has an invalid value")))
    }

    fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.parse(name, |v| v.parse().ok())
    }

    fn num(&self, name: &str) -> Result<u64, StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::N(v)) => v.parse().map_err(|_| {
                StoreError::Corrupt(format!("attribute {name} is not a whole number"))
            }),
            _ => Err(StoreError::Corrupt(format!(
                "attribute {name} is missing or not a number"
            ))),
        }
    }

    fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        self.opt(name)?.map(|_| self.time(name)).transpose()
    }

    fn bool(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(AttributeValue::Bool(true)))
    }

    fn owned(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.opt(name)?.map(str::to_owned))
    }
}

fn ticket_from(item: &Item) -> Result<Ticket, StoreError> {
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
    })
}

fn activity_item_fields(a: &Activity) -> Item {
    values([
        ("PK", s(ticket_pk(a.ticket_id))),
        ("SK", s(activity_sort_key(a))),
        ("entity", s("activity")),
        ("data", s(serde_json::to_string(a).unwrap_or_default())),
    ])
}

fn activity_from(item: &Item) -> Result<Activity, StoreError> {
    serde_json::from_str(Reader(item).str("data")?)
        .map_err(|e| StoreError::Corrupt(format!("attribute data of an activity: {e}")))
}

/// Reads `STATS#<day>` items (`SCOPE#<scope>#<shard>`), to be summed per scope.
fn stats_from(item: &Item) -> Result<StatsRow, StoreError> {
    let r = Reader(item);
    let day = r.str("day")?.to_owned();
    let scope = r.str("scope")?.to_owned();
    let mut counters = BTreeMap::new();
    for (name, value) in item {
        if let Some(counter) = name.strip_prefix("c_")
            && let AttributeValue::N(v) = value
        {
            let v: i64 = v.parse().map_err(|_| {
                StoreError::Corrupt(format!("counter {name} is not a whole number"))
            })?;
            counters.insert(counter.to_owned(), v);
        }
    }
    Ok(StatsRow {
        day,
        scope,
        counters,
    })
}

/// A listing position as DynamoDB gives it (`LastEvaluatedKey`), as text.
fn encode_position(key: &Item) -> Option<String> {
    let map: BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
        .collect();
    serde_json::to_string(&map).ok()
}

fn decode_position(text: &str) -> Result<Item, StoreError> {
    let map: BTreeMap<String, String> = serde_json::from_str(text)
        .map_err(|_| StoreError::Rejected("the listing position is not valid".into()))?;
    Ok(map.into_iter().map(|(k, v)| (k, s(v))).collect())
}

fn message_from(item: &Item) -> Result<MessageRecord, StoreError> {
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

fn outbox_item(e: &OutboxEntry, now: Timestamp) -> Item {
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

fn outbox_from(item: &Item) -> Result<OutboxEntry, StoreError> {
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
const OUTBOX_RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

/// All agents share one partition: listing them is one query.
const AGENTS_PK: &str = "AGENTS";

fn agent_from(item: &Item) -> Result<Agent, StoreError> {
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

fn seen_from(item: &Item) -> Result<SeenMessage, StoreError> {
    let r = Reader(item);
    Ok(SeenMessage {
        wamid: r.parse("wamid", |v| Wamid::parse(v).ok())?,
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        direction: r.parse("direction", Direction::parse)?,
        sent_at: r.time("sent_at")?,
        enqueued: r.bool("enqueued"),
    })
}

fn conversation_from(key: &ConversationKey, item: &Item) -> Result<Conversation, StoreError> {
    let r = Reader(item);
    Ok(Conversation {
        key: key.clone(),
        ticket_id: r.parse("ticket_id", |v| TicketId::parse(v).ok())?,
        opened_at: r.time("opened_at")?,
        last_customer_at: r.time("last_customer_at")?,
    })
}

/// Whether a conditional write was made: `false` when its condition did not hold, which for
/// these writes means the work was done before (or, for a claim, that there is no room).
fn condition_held<O, E, R>(
    operation: &str,
    result: Result<O, SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(se))
            if se.err().code() == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_error(operation, e)),
    }
}

/// Maps an SDK failure to a store error, classified by whether a retry can help.
fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let SdkFailure { code, detail } = sdk_failure(operation, err);
    match code.as_deref() {
        Some(
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded",
        ) => StoreError::Throttled(detail),
        Some("InternalServerError" | "ServiceUnavailable" | "TransactionConflictException") => {
            StoreError::Unavailable(detail)
        }
        Some(_) => StoreError::Rejected(detail),
        // Timeouts, connection failures, unparseable responses.
        None => StoreError::Unavailable(detail),
    }
}

#[async_trait]
impl TicketStore for DynamoStore {
    async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        self.get(seen_pk(wamid), "SEEN")
            .await?
            .as_ref()
            .map(seen_from)
            .transpose()
    }

    async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        self.get(conversation_pk(key), "OPEN")
            .await?
            .as_ref()
            .map(|item| conversation_from(key, item))
            .transpose()
    }

    async fn open_ticket(
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
        let items = vec![
            self.put(seen_item(first), "attribute_not_exists(PK)", None)?,
            conversation_put,
            self.put(ticket_item, "attribute_not_exists(PK)", None)?,
            self.put(self.message_item(first), "attribute_not_exists(PK)", None)?,
        ];
        Ok(match self.transact(items).await? {
            None => WriteOutcome::Written,
            Some(codes) => classify_cancel(&codes),
        })
    }

    async fn append_inbound(
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

    async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
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

    async fn record_outbound(&self, message: &MessageRecord) -> Result<WriteOutcome, StoreError> {
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

    async fn apply_status(&self, update: &StatusUpdate<'_>) -> Result<StatusOutcome, StoreError> {
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

    async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(customer_pk(wa_id)))
            .key("SK", s("PROFILE"))
            .update_expression(
                "SET entity = :entity, wa_id = :wa_id, profile_name = :name, updated_at = :at, \
                 expires_at = :expires",
            )
            .condition_expression("attribute_not_exists(updated_at) OR updated_at <= :at")
            .set_expression_attribute_values(Some(values([
                (":entity", s("customer")),
                (":wa_id", s(wa_id.as_str())),
                (":name", s(name)),
                (":at", ts(at)),
                (":expires", self.expires_at(at)),
            ])))
            .send()
            .await;
        // A newer name is stored already.
        condition_held("UpdateItem", result).map(|_| ())
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.get(ticket_pk(id), "META")
            .await?
            .as_ref()
            .map(ticket_from)
            .transpose()
    }

    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        self.query_all(ticket_pk(id), "MSG#", message_from).await
    }

    async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        let Some(item) = self.get(customer_pk(wa_id), "PROFILE").await? else {
            return Ok(None);
        };
        let r = Reader(&item);
        Ok(Some(Customer {
            wa_id: wa_id.clone(),
            profile_name: r.owned("profile_name")?,
            updated_at: r.time("updated_at")?,
        }))
    }

    async fn message(
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

    async fn commit_bot_turn(&self, turn: &BotTurnWrite<'_>) -> Result<TurnOutcome, StoreError> {
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
        let ticket_update = Update::builder()
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
        let mut items = vec![TransactWriteItem::builder().update(ticket_update).build()];
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

    async fn outbox(
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

    async fn complete_outbox(
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
                super::outbox_log_key(&entry.inbound, entry.seq)
            ))),
        }
    }

    async fn attach_media(
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
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "message {} is not on ticket {}",
                message.wamid, message.ticket_id
            )))
        }
    }

    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
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

    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
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
            keys.push((pk.clone(), r.str("SK")?.to_owned()));
        }
        if let Some(open) = self.conversation(&ticket.key).await?
            && open.ticket_id == ticket.id
        {
            keys.push((conversation_pk(&ticket.key), "OPEN".to_owned()));
        }
        self.delete_keys(keys).await
    }

    async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        self.delete_keys(vec![
            (customer_pk(wa_id), "PROFILE".to_owned()),
            (customer_pk(wa_id), "CONSENT".to_owned()),
        ])
        .await
    }

    async fn consent(
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

    async fn set_consent(
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

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        self.query_all(AGENTS_PK.to_owned(), "AGENT#", agent_from)
            .await
    }

    async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
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

    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
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

    async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
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

    async fn release_agent_once(&self, entry: &OutboxEntry, id: &str) -> Result<(), StoreError> {
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

    async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
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

    async fn set_presence(
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

    async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        self.query_all(ticket_pk(id), "ACT#", activity_from).await
    }

    async fn list_tickets(
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

    async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        let expires = Timestamp::now()
            .saturating_add(jiff::SignedDuration::from_hours(STATS_RETENTION_DAYS * 24))
            .unwrap_or(Timestamp::MAX);
        let marker = values([
            ("PK", s(format!("STATSEV#{}", event.key))),
            ("SK", s("DONE")),
            ("entity", s("stats_event")),
            ("expires_at", n(expires.as_second())),
        ]);
        let mut items = vec![self.put(marker, "attribute_not_exists(PK)", None)?];
        let mut names = HashMap::new();
        let mut vals = values([(":day", s(&event.day))]);
        let mut adds = Vec::new();
        for (i, (name, by)) in event.counters.iter().enumerate() {
            names.insert(format!("#c{i}"), format!("c_{name}"));
            vals.insert(format!(":v{i}"), n(by));
            adds.push(format!("#c{i} :v{i}"));
        }
        if adds.is_empty() {
            return Ok(());
        }
        for scope in &event.scopes {
            let mut vals = vals.clone();
            vals.insert(":scope".into(), s(scope));
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(values([
                    ("PK", s(format!("STATS#{}", event.day))),
                    ("SK", s(format!("SCOPE#{scope}#{}", event.shard))),
                ])))
                .update_expression(format!(
                    "SET #day = :day, #scope = :scope ADD {}",
                    adds.join(", ")
                ))
                .set_expression_attribute_names(Some({
                    let mut names = names.clone();
                    names.insert("#day".into(), "day".into());
                    names.insert("#scope".into(), "scope".into());
                    names
                }))
                .set_expression_attribute_values(Some(vals))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        match self.transact(items).await? {
            None => Ok(()),
            // Counted before (a retried outbox entry).
            Some(codes)
                if codes.first().and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") =>
            {
                Ok(())
            }
            Some(_) => Err(StoreError::Contended(format!("stats of {}", event.day))),
        }
    }

    async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        let shards = self
            .query_all(format!("STATS#{day}"), "SCOPE#", stats_from)
            .await?;
        let mut rows: BTreeMap<String, StatsRow> = BTreeMap::new();
        for shard in shards {
            let row = rows.entry(shard.scope.clone()).or_insert_with(|| StatsRow {
                day: shard.day.clone(),
                scope: shard.scope.clone(),
                counters: BTreeMap::new(),
            });
            for (name, v) in shard.counters {
                *row.counters.entry(name).or_default() += v;
            }
        }
        Ok(rows.into_values().collect())
    }

    async fn record_audit(&self, record: &super::AuditRecord) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(values([
                ("PK", s(format!("AUDIT#{}", record.day()))),
                ("SK", s(super::audit_sort_key(record))),
                ("entity", s("audit")),
                ("audit_id", s(&record.id)),
                ("at", ts(record.at)),
                ("actor", s(&record.actor)),
                ("action", s(record.action.as_str())),
                ("customer", s(&record.customer)),
                ("detail", s(&record.detail)),
                ("expires_at", self.proof_expires_at(record.at)),
            ])))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        // Filed before (a retried request): the first record stands.
        condition_held("PutItem", result).map(|_| ())
    }

    async fn audit(&self, day: &str) -> Result<Vec<super::AuditRecord>, StoreError> {
        self.query_all(format!("AUDIT#{day}"), "REC#", audit_from)
            .await
    }

    fn retention(&self) -> Option<super::Retention> {
        Some(self.retention)
    }
}

fn audit_from(item: &Item) -> Result<super::AuditRecord, StoreError> {
    let r = Reader(item);
    Ok(super::AuditRecord {
        id: r.str("audit_id")?.to_owned(),
        at: r.time("at")?,
        actor: r.str("actor")?.to_owned(),
        action: r.parse("action", super::AuditAction::parse)?,
        customer: r.str("customer")?.to_owned(),
        detail: r.str("detail")?.to_owned(),
    })
}

/// The GSI over `queue_key` (`<status>#<team>`) and `ticket_id`.
pub const QUEUE_INDEX: &str = "queue";
/// The GSI over `assignee` and `updated_at`.
pub const ASSIGNEE_INDEX: &str = "assignee";
/// The GSI over `wa_id` and `ticket_id`: a customer's tickets (export and erasure).
pub const CUSTOMER_INDEX: &str = "customer";
/// Analytics events are remembered (for idempotency) this long.
const STATS_RETENTION_DAYS: i64 = 400;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::whatsapp::DeliveryState;

    #[test]
    fn a_failed_idempotency_condition_means_duplicate() {
        let codes = vec![
            Some("ConditionalCheckFailed".to_owned()),
            Some("None".to_owned()),
        ];
        assert_eq!(classify_cancel(&codes), WriteOutcome::Duplicate);
    }

    #[test]
    fn any_other_cancellation_means_read_again() {
        for codes in [
            vec![
                Some("None".to_owned()),
                Some("ConditionalCheckFailed".to_owned()),
            ],
            vec![Some("TransactionConflict".to_owned()), None],
            vec![],
        ] {
            assert_eq!(classify_cancel(&codes), WriteOutcome::ConversationMoved);
        }
    }

    #[test]
    fn delivery_state_round_trips_through_its_stored_form() {
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
