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

mod activities;
mod agents;
mod audit;
mod changes;
mod codec;
mod conversations;
mod customers;
mod listing;
mod messages;
mod outbox;
mod owned;
mod stats;
mod statuses;
mod table;
mod tickets;

use codec::*;
pub(crate) use table::sdk_error;
use table::*;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long customer data and proof are kept (DynamoDB TTL on `expires_at`).
    retention: crate::ports::store::Retention,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: crate::ports::store::Retention::default(),
        }
    }

    pub fn with_retention(mut self, retention: crate::ports::store::Retention) -> Self {
        self.retention = retention;
        self
    }
}

/// The GSI over `queue_key` (`<status>#<team>`) and `ticket_id`.
pub const QUEUE_INDEX: &str = "queue";
/// The GSI over `assignee` and `updated_at`.
pub const ASSIGNEE_INDEX: &str = "assignee";
/// The GSI over `wa_id` and `ticket_id`: a customer's tickets (export and erasure).
pub const CUSTOMER_INDEX: &str = "customer";

#[async_trait]
impl TicketStore for DynamoStore {
    async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        DynamoStore::seen(self, wamid).await
    }

    async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        DynamoStore::conversation(self, key).await
    }

    async fn open_ticket(
        &self,
        ticket: &Ticket,
        replacing: Option<TicketId>,
        first: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        DynamoStore::open_ticket(self, ticket, replacing, first).await
    }

    async fn append_inbound(
        &self,
        read: &Conversation,
        message: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        DynamoStore::append_inbound(self, read, message).await
    }

    async fn mark_enqueued(&self, seen: &SeenMessage) -> Result<(), StoreError> {
        DynamoStore::mark_enqueued(self, seen).await
    }

    async fn record_outbound(&self, message: &MessageRecord) -> Result<WriteOutcome, StoreError> {
        DynamoStore::record_outbound(self, message).await
    }

    async fn apply_status(&self, update: &StatusUpdate<'_>) -> Result<StatusOutcome, StoreError> {
        DynamoStore::apply_status(self, update).await
    }

    async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        DynamoStore::save_profile_name(self, wa_id, name, at).await
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        DynamoStore::ticket(self, id).await
    }

    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        DynamoStore::messages(self, id).await
    }

    async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        DynamoStore::customer(self, wa_id).await
    }

    async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError> {
        DynamoStore::update_customer(self, read, customer).await
    }

    async fn search(
        &self,
        key: &super::search::SearchKey,
        limit: u32,
    ) -> Result<Vec<super::search::SearchHit>, StoreError> {
        DynamoStore::search(self, key, limit).await
    }

    async fn message(
        &self,
        ticket: TicketId,
        sent_at: Timestamp,
        wamid: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError> {
        DynamoStore::message(self, ticket, sent_at, wamid).await
    }

    async fn commit_bot_turn(&self, turn: &BotTurnWrite<'_>) -> Result<TurnOutcome, StoreError> {
        DynamoStore::commit_bot_turn(self, turn).await
    }

    async fn outbox(
        &self,
        ticket: TicketId,
        inbound: &Wamid,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        DynamoStore::outbox(self, ticket, inbound).await
    }

    async fn complete_outbox(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), StoreError> {
        DynamoStore::complete_outbox(self, entry, sent).await
    }

    async fn save_outbox_payload(
        &self,
        entry: &OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError> {
        DynamoStore::save_outbox_payload(self, entry, payload).await
    }

    async fn attach_media(
        &self,
        message: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError> {
        DynamoStore::attach_media(self, message, media).await
    }

    async fn customer_tickets(&self, wa_id: &WaId) -> Result<Vec<Ticket>, StoreError> {
        DynamoStore::customer_tickets(self, wa_id).await
    }

    async fn erase_ticket(&self, ticket: &Ticket) -> Result<usize, StoreError> {
        DynamoStore::erase_ticket(self, ticket).await
    }

    async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        DynamoStore::erase_customer(self, wa_id).await
    }

    async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        DynamoStore::consent(self, wa_id).await
    }

    async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        DynamoStore::set_consent(self, wa_id, consent).await
    }

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        DynamoStore::agents(self).await
    }

    async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        DynamoStore::add_agent(self, agent).await
    }

    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        DynamoStore::claim_agent(self, id, now).await
    }

    async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        DynamoStore::release_agent(self, id).await
    }

    async fn release_agent_once(&self, entry: &OutboxEntry, id: &str) -> Result<(), StoreError> {
        DynamoStore::release_agent_once(self, entry, id).await
    }

    async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
        DynamoStore::update_agent(self, agent).await
    }

    async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError> {
        DynamoStore::set_presence(self, id, online, capacity).await
    }

    async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        DynamoStore::activities(self, id).await
    }

    async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        DynamoStore::list_tickets(self, index, limit, after).await
    }

    async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        DynamoStore::record_stats(self, event).await
    }

    async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        DynamoStore::stats(self, day).await
    }

    async fn record_audit(&self, record: &super::AuditRecord) -> Result<(), StoreError> {
        DynamoStore::record_audit(self, record).await
    }

    async fn audit(&self, day: &str) -> Result<Vec<super::AuditRecord>, StoreError> {
        DynamoStore::audit(self, day).await
    }

    async fn change_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<super::changes::ChangeMarks, StoreError> {
        self.read_marks(ticket).await
    }

    async fn claim_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        self.claim_read(ticket, message_key).await
    }

    async fn release_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError> {
        self.release_read(ticket, message_key).await
    }

    async fn owned_docs(
        &self,
        kind: super::OwnedKind,
        owner: &str,
    ) -> Result<Vec<super::OwnedDoc>, StoreError> {
        DynamoStore::owned_docs(self, kind, owner).await
    }

    async fn put_owned_doc(&self, doc: &super::OwnedDoc) -> Result<super::OwnedWrite, StoreError> {
        DynamoStore::put_owned_doc(self, doc).await
    }

    async fn delete_owned_doc(
        &self,
        kind: super::OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<super::OwnedWrite, StoreError> {
        DynamoStore::delete_owned_doc(self, kind, owner, id, version).await
    }

    fn retention(&self) -> Option<crate::ports::store::Retention> {
        Some(self.retention)
    }
}
