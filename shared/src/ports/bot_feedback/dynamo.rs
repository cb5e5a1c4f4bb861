//! Bot feedback in the helpdesk table:
//!
//! | item | PK | SK |
//! |---|---|---|
//! | unrecognised message | `UNREC#<day>` | `<time>#<message key digest>` (text, id, guesses, miss; TTL `expires_at` like messages) |
//! | intent counts | `BOTSTAT#<day>` | `<intent>` (`contained`, `handed_off`, added atomically; TTL like messages) |
//! | message counted | `BOTCOUNTED#<message key digest>` | `counted` (written in the same transaction as the count, only if absent: a message counts once; TTL like messages) |

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

use super::{BotFeedback, day_of};
use crate::domain::retention::Retention;
use crate::domain::unrecognised::{IntentCounts, Outcome, Unrecognised};
use crate::ports::store::{StoreError, sdk_error, sortable_time};

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct DynamoBotFeedback {
    client: Client,
    table: String,
    retention: Retention,
}

impl DynamoBotFeedback {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: Retention::default(),
        }
    }

    /// Kept as long as messages.
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    fn expires_at(&self, from: jiff::Timestamp) -> AttributeValue {
        n(self.retention.data_until(from).as_second())
    }

    async fn query_all(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl BotFeedback for DynamoBotFeedback {
    async fn record(&self, key: &str, item: &Unrecognised) -> Result<(), StoreError> {
        let key_digest = key_digest(key);
        let guesses = serde_json::to_string(&item.guesses)
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        let miss = serde_json::to_value(item.miss)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("UNREC#{}", day_of(item.at))))
            .item("SK", s(format!("{}#{key_digest}", sortable_time(item.at))))
            .item("id", s(&item.id))
            .item("text", s(&item.text))
            .item("guesses", s(guesses))
            .item("miss", s(miss))
            .item("at", s(item.at.to_string()))
            .item("expires_at", self.expires_at(item.at))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn unrecognised(&self, days: &[String]) -> Result<Vec<Unrecognised>, StoreError> {
        let mut out = Vec::new();
        for day in days {
            for item in self.query_all(format!("UNREC#{day}")).await? {
                let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                let (Some(id), Some(text), Some(at)) = (get("id"), get("text"), get("at")) else {
                    continue;
                };
                let Ok(at) = at.parse() else { continue };
                let guesses = get("guesses")
                    .and_then(|g| serde_json::from_str(&g).ok())
                    .unwrap_or_default();
                let Some(miss) = get("miss")
                    .and_then(|m| serde_json::from_value(serde_json::Value::String(m)).ok())
                else {
                    continue;
                };
                out.push(Unrecognised {
                    id,
                    text,
                    guesses,
                    miss,
                    at,
                });
            }
        }
        Ok(out)
    }

    async fn count(
        &self,
        key: &str,
        at: jiff::Timestamp,
        intent: &str,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let field = match outcome {
            Outcome::Contained => "contained",
            Outcome::HandedOff => "handed_off",
        };
        let rejected = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Rejected(e.to_string());
        let marker = Put::builder()
            .table_name(&self.table)
            .item("PK", s(format!("BOTCOUNTED#{}", key_digest(key))))
            .item("SK", s("counted"))
            .item("expires_at", self.expires_at(at))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(rejected)?;
        let add = Update::builder()
            .table_name(&self.table)
            .key("PK", s(format!("BOTSTAT#{}", day_of(at))))
            .key("SK", s(intent))
            .update_expression(format!("ADD {field} :one SET expires_at = :exp"))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", self.expires_at(at))
            .build()
            .map_err(rejected)?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(marker).build())
            .transact_items(TransactWriteItem::builder().update(add).build())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_transaction_canceled_exception() => {
                let TransactWriteItemsError::TransactionCanceledException(e) = se.err() else {
                    return Err(StoreError::Contended("bot intent count".into()));
                };
                // The marker exists: this message was counted before.
                if e.cancellation_reasons()
                    .iter()
                    .any(|r| r.code() == Some("ConditionalCheckFailed"))
                {
                    Ok(())
                } else {
                    Err(StoreError::Contended("bot intent count".into()))
                }
            }
            Err(e) => Err(sdk_error("TransactWriteItems", e)),
        }
    }

    async fn counts(&self, days: &[String]) -> Result<BTreeMap<String, IntentCounts>, StoreError> {
        let mut out: BTreeMap<String, IntentCounts> = BTreeMap::new();
        for day in days {
            for item in self.query_all(format!("BOTSTAT#{day}")).await? {
                let Some(intent) = item.get("SK").and_then(|v| v.as_s().ok()) else {
                    continue;
                };
                let num = |k: &str| {
                    item.get(k)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                let e = out.entry(intent.clone()).or_default();
                e.contained += num("contained");
                e.handed_off += num("handed_off");
            }
        }
        Ok(out)
    }
}

/// A message key as it is kept: a digest, so no raw message id lands in the table's keys.
fn key_digest(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
