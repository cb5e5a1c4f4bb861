//! The change feed's items in the table (see `ports::store::changes`):
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | desk counter | `CHANGES` | `DESK` | `seq` (ADD 1 per committed ticket change) |
//! | ticket counter | `TICKET#<id>` | `CHANGES` | `seq`, `expires_at` (erased with the ticket) |
//! | agent read mark | `TICKET#<id>` | `AGENT_READ` | `message_key`: the last customer message shown "read" |
//!
//! The counters are bumped after the commit (one UpdateItem each, 1 WCU), never inside the
//! ticket's transaction: the desk counter would make every two concurrent transactions conflict.

use aws_sdk_dynamodb::types::TransactWriteItem;
use jiff::Timestamp;
use tracing::warn;

use super::{DynamoStore, condition_held, n, s, sdk_error, ticket_pk};
use crate::domain::ids::TicketId;
use crate::ports::store::StoreError;
use crate::ports::store::changes::{AGENT_READ_SK, ChangeMarks};

const DESK_PK: &str = "CHANGES";
const DESK_SK: &str = "DESK";
const TICKET_SK: &str = "CHANGES";

/// The tickets a transaction writes (puts, updates, deletes in a `TICKET#` partition).
pub(super) fn tickets_written(items: &[TransactWriteItem]) -> Vec<TicketId> {
    let mut out: Vec<TicketId> = Vec::new();
    for item in items {
        let pk = item
            .put()
            .and_then(|p| p.item().get("PK"))
            .or_else(|| item.update().and_then(|u| u.key().get("PK")))
            .or_else(|| item.delete().and_then(|d| d.key().get("PK")))
            .and_then(|v| v.as_s().ok());
        if let Some(id) = pk
            .and_then(|pk| pk.strip_prefix("TICKET#"))
            .and_then(|id| TicketId::parse(id).ok())
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

impl DynamoStore {
    /// Bumps the desk counter and each ticket's counter after a committed change. A failure is
    /// logged, not returned: the change itself is stored, and failing it would make the caller
    /// retry a write that is done (the console's slow full refresh covers a lost bump).
    pub(super) async fn touch(&self, tickets: &[TicketId]) {
        if tickets.is_empty() {
            return;
        }
        let desk = self.bump(DESK_PK.to_owned(), DESK_SK, None);
        let expires = self.expires_at(Timestamp::now());
        let each = futures::future::join_all(
            tickets
                .iter()
                .map(|t| self.bump(ticket_pk(*t), TICKET_SK, Some(expires.clone()))),
        );
        let (desk, each) = tokio::join!(desk, each);
        for e in std::iter::once(desk).chain(each).filter_map(Result::err) {
            warn!(error = %e, "could not bump a change counter; consoles see the change later");
        }
    }

    async fn bump(
        &self,
        pk: String,
        sk: &str,
        expires: Option<aws_sdk_dynamodb::types::AttributeValue>,
    ) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(pk))
            .key("SK", s(sk))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":entity", s("changes"));
        update = match expires {
            Some(at) => update
                .update_expression("SET entity = :entity, expires_at = :expires ADD seq :one")
                .expression_attribute_values(":expires", at),
            None => update.update_expression("SET entity = :entity ADD seq :one"),
        };
        update
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("UpdateItem", e))
    }

    async fn seq(&self, pk: String, sk: &str) -> Result<u64, StoreError> {
        match self.get(pk, sk).await? {
            None => Ok(0),
            Some(item) => super::Reader(&item).num("seq"),
        }
    }

    pub(super) async fn read_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<ChangeMarks, StoreError> {
        let desk = self.seq(DESK_PK.to_owned(), DESK_SK);
        match ticket {
            None => Ok(ChangeMarks {
                desk: desk.await?,
                ticket: None,
            }),
            Some(t) => {
                let (desk, ticket) = tokio::try_join!(desk, self.seq(ticket_pk(t), TICKET_SK))?;
                Ok(ChangeMarks {
                    desk,
                    ticket: Some(ticket),
                })
            }
        }
    }

    pub(super) async fn claim_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(ticket_pk(ticket)))
            .key("SK", s(AGENT_READ_SK))
            .update_expression("SET entity = :entity, message_key = :key, expires_at = :expires")
            .condition_expression("attribute_not_exists(message_key) OR message_key < :key")
            .expression_attribute_values(":entity", s("agent_read"))
            .expression_attribute_values(":key", s(message_key))
            .expression_attribute_values(":expires", self.expires_at(Timestamp::now()))
            .send()
            .await;
        condition_held("UpdateItem", result)
    }

    pub(super) async fn release_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(ticket_pk(ticket)))
            .key("SK", s(AGENT_READ_SK))
            .condition_expression("message_key = :key")
            .expression_attribute_values(":key", s(message_key))
            .send()
            .await;
        // A later claim replaced it: that one stays.
        condition_held("DeleteItem", result).map(|_| ())
    }
}
