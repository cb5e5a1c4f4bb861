//! Configuration documents in the helpdesk table (README "Data model"):
//!
//! | item | PK | SK |
//! |---|---|---|
//! | head | `CONFIG#<kind>` | `HEAD` (`latest`, `published`, `published_at`, `published_by`) |
//! | version | `CONFIG#<kind>` | `V#<10-digit version>` (body, author, at, note, origin) |
//! | audit | `AUDIT#<day>` | `CFG#<time>#<kind>#<version>#<action>` (beside the data-request audit's `REC#` items) |
//!
//! Every change is one `TransactWriteItems`: the version item (only if absent), the head
//! (only if `latest`/`published` is still what the caller saw) and the audit entry, so a
//! change and its audit happen together or not at all.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use jiff::Timestamp;

use super::{
    CheckedBody, ConfigAction, ConfigAuditEntry, ConfigDocs, ConfigDocsError, NewVersion,
    PublishPlan, audit_entry, describe_conflict, empty_head, memory::seed_version, plan_publish,
    rollback_version,
};
use crate::domain::config_doc::{ConfigHead, ConfigKind, ConfigVersion, VersionOrigin};
use crate::ports::store::{StoreError, sdk_error, sortable_time};

type Item = HashMap<String, AttributeValue>;

const HEAD_SK: &str = "HEAD";

#[derive(Debug, Clone)]
pub struct DynamoConfigDocs {
    client: Client,
    table: String,
}

impl DynamoConfigDocs {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, ConfigDocsError> {
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

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Moves the head: `set` (an update expression) only if `condition` holds.
    fn update_head(
        &self,
        kind: ConfigKind,
        set: &str,
        condition: &str,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("PK", s(pk(kind)))
            .key("SK", s(HEAD_SK))
            .update_expression(set)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Runs a transaction: `true` when written, `false` when cancelled (a condition did not
    /// hold, or another transaction touched the same items at the same time).
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, ConfigDocsError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se)) if se.err().is_transaction_canceled_exception() => {
                Ok(false)
            }
            Err(e) => Err(sdk_error("TransactWriteItems", e).into()),
        }
    }

    /// After a cancelled write based on `base` (latest for a save, published for a publish):
    /// a conflict if the document moved (read again, consistently), else a race with another
    /// transaction, worth another try.
    async fn after_cancel(
        &self,
        kind: ConfigKind,
        base: u32,
        moved: impl Fn(&ConfigHead) -> bool,
    ) -> ConfigDocsError {
        let head = match self.head(kind).await {
            Ok(head) => head.unwrap_or_else(|| empty_head(kind)),
            Err(e) => return e,
        };
        if moved(&head) {
            return describe_conflict(self, kind, base, head).await;
        }
        StoreError::Contended(format!("configuration document {kind}")).into()
    }

    /// Writes `version` as the new latest (and, with `publish`, the live one) if the latest is
    /// still `version.based_on`, with its audit entry.
    async fn write_version(
        &self,
        version: &ConfigVersion,
        publish: bool,
        entry: &ConfigAuditEntry,
    ) -> Result<ConfigVersion, ConfigDocsError> {
        let kind = version.kind;
        let base = version.based_on;
        let mut set = "SET latest = :new, kind = :kind, entity = :entity".to_owned();
        let mut values: Item = [
            (":new".to_owned(), n(version.version)),
            (":kind".to_owned(), s(kind.as_str())),
            (":entity".to_owned(), s("config_head")),
        ]
        .into();
        if publish {
            set.push_str(", published = :new, published_at = :at, published_by = :by");
            values.insert(":at".into(), s(sortable_time(version.at)));
            values.insert(":by".into(), s(&version.author));
        }
        let condition = if base == 0 {
            "attribute_not_exists(PK)"
        } else {
            values.insert(":base".into(), n(base));
            "latest = :base"
        };
        let items = vec![
            self.put(version_item(version), Some("attribute_not_exists(PK)"))?,
            self.update_head(kind, &set, condition, values)?,
            self.put(audit_item(entry), None)?,
        ];
        if self.transact(items).await? {
            Ok(version.clone())
        } else {
            Err(self.after_cancel(kind, base, |h| h.latest != base).await)
        }
    }
}

#[async_trait]
impl ConfigDocs for DynamoConfigDocs {
    async fn head(&self, kind: ConfigKind) -> Result<Option<ConfigHead>, ConfigDocsError> {
        self.get(pk(kind), HEAD_SK.to_owned())
            .await?
            .map(|item| head_from(kind, &item))
            .transpose()
            .map_err(Into::into)
    }

    async fn version(
        &self,
        kind: ConfigKind,
        version: u32,
    ) -> Result<Option<ConfigVersion>, ConfigDocsError> {
        self.get(pk(kind), version_sk(version))
            .await?
            .map(|item| version_from(kind, &item))
            .transpose()
            .map_err(Into::into)
    }

    async fn history(
        &self,
        kind: ConfigKind,
        limit: usize,
    ) -> Result<Vec<ConfigVersion>, ConfigDocsError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        while out.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(pk(kind)))
                .expression_attribute_values(":prefix", s("V#"))
                .scan_index_forward(false)
                .limit(
                    i32::try_from(limit - out.len())
                        .unwrap_or(i32::MAX)
                        .min(100),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for item in page.items() {
                out.push(version_from(kind, item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn save(&self, new: &NewVersion) -> Result<ConfigVersion, ConfigDocsError> {
        let version = ConfigVersion {
            kind: new.kind(),
            version: new.based_on + 1,
            based_on: new.based_on,
            body: new.body.as_str().to_owned(),
            author: new.author.clone(),
            at: new.at,
            note: new.note.clone(),
            origin: VersionOrigin::Save,
        };
        let entry = audit_entry(&version, ConfigAction::Save, &version.note);
        self.write_version(&version, false, &entry).await
    }

    async fn publish(
        &self,
        kind: ConfigKind,
        version: u32,
        expected: Option<u32>,
        actor: &str,
        at: Timestamp,
    ) -> Result<ConfigHead, ConfigDocsError> {
        let Some(target) = self.version(kind, version).await? else {
            return Err(ConfigDocsError::NotFound { kind, version });
        };
        let head = self.head(kind).await?.unwrap_or_else(|| empty_head(kind));
        let (head, entry) = match plan_publish(&target, head, expected, actor, at)? {
            PublishPlan::Stale(head) => {
                return Err(describe_conflict(self, kind, expected.unwrap_or(0), head).await);
            }
            PublishPlan::Unchanged(head) => return Ok(head),
            PublishPlan::Publish { head, audit } => (head, audit),
        };
        let mut values: Item = [
            (":v".to_owned(), n(version)),
            (":at".to_owned(), s(sortable_time(at))),
            (":by".to_owned(), s(actor)),
        ]
        .into();
        let condition = match expected {
            Some(p) => {
                values.insert(":expected".into(), n(p));
                "attribute_exists(PK) AND published = :expected AND latest >= :v"
            }
            None => "attribute_exists(PK) AND attribute_not_exists(published) AND latest >= :v",
        };
        let items = vec![
            self.update_head(
                kind,
                "SET published = :v, published_at = :at, published_by = :by",
                condition,
                values,
            )?,
            self.put(audit_item(&entry), None)?,
        ];
        if self.transact(items).await? {
            Ok(head)
        } else {
            Err(self
                .after_cancel(kind, expected.unwrap_or(0), |h| h.published != expected)
                .await)
        }
    }

    async fn rollback(
        &self,
        kind: ConfigKind,
        to: u32,
        based_on: u32,
        actor: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<ConfigVersion, ConfigDocsError> {
        let Some(old) = self.version(kind, to).await? else {
            return Err(ConfigDocsError::NotFound { kind, version: to });
        };
        let (version, entry) = rollback_version(old, based_on, actor, note, at)?;
        self.write_version(&version, true, &entry).await
    }

    async fn seed(&self, body: &CheckedBody, at: Timestamp) -> Result<bool, ConfigDocsError> {
        let kind = body.kind();
        let version = seed_version(body, at);
        let head: Item = [
            ("PK".to_owned(), s(pk(kind))),
            ("SK".to_owned(), s(HEAD_SK)),
            ("entity".to_owned(), s("config_head")),
            ("kind".to_owned(), s(kind.as_str())),
            ("latest".to_owned(), n(1)),
            ("published".to_owned(), n(1)),
            ("published_at".to_owned(), s(sortable_time(at))),
            ("published_by".to_owned(), s(&version.author)),
        ]
        .into();
        let entry = audit_entry(&version, ConfigAction::Seed, &version.note);
        let items = vec![
            self.put(head, Some("attribute_not_exists(PK)"))?,
            self.put(version_item(&version), Some("attribute_not_exists(PK)"))?,
            self.put(audit_item(&entry), None)?,
        ];
        if self.transact(items).await? {
            return Ok(true);
        }
        // Another starter won: the document is there, which is all a seed wants.
        if self.head(kind).await?.is_some() {
            Ok(false)
        } else {
            Err(StoreError::Contended(format!("seeding {kind}")).into())
        }
    }

    async fn audit(&self, day: &str) -> Result<Vec<ConfigAuditEntry>, ConfigDocsError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(format!("AUDIT#{day}")))
            .expression_attribute_values(":prefix", s("CFG#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(audit_from(&item.map_err(|e| sdk_error("Query", e))?)?);
        }
        Ok(out)
    }
}

fn pk(kind: ConfigKind) -> String {
    format!("CONFIG#{}", kind.as_str())
}

/// Zero-padded so versions sort as strings.
fn version_sk(version: u32) -> String {
    format!("V#{version:010}")
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn version_item(v: &ConfigVersion) -> Item {
    let mut item: Item = [
        ("PK".to_owned(), s(pk(v.kind))),
        ("SK".to_owned(), s(version_sk(v.version))),
        ("entity".to_owned(), s("config_version")),
        ("kind".to_owned(), s(v.kind.as_str())),
        ("version".to_owned(), n(v.version)),
        ("based_on".to_owned(), n(v.based_on)),
        ("body".to_owned(), s(&v.body)),
        ("author".to_owned(), s(&v.author)),
        ("at".to_owned(), s(sortable_time(v.at))),
        ("note".to_owned(), s(&v.note)),
    ]
    .into();
    let origin = match v.origin {
        VersionOrigin::Seed => "seed",
        VersionOrigin::Save => "save",
        VersionOrigin::Rollback { from } => {
            item.insert("rollback_of".into(), n(from));
            "rollback"
        }
    };
    item.insert("origin".into(), s(origin));
    item
}

fn audit_item(e: &ConfigAuditEntry) -> Item {
    [
        ("PK".to_owned(), s(format!("AUDIT#{}", e.day()))),
        (
            "SK".to_owned(),
            s(format!(
                "CFG#{}#{}#{:010}#{}",
                sortable_time(e.at),
                e.kind.as_str(),
                e.version,
                e.action.as_str()
            )),
        ),
        ("entity".to_owned(), s("config_audit")),
        ("at".to_owned(), s(sortable_time(e.at))),
        ("actor".to_owned(), s(&e.actor)),
        ("kind".to_owned(), s(e.kind.as_str())),
        ("action".to_owned(), s(e.action.as_str())),
        ("version".to_owned(), n(e.version)),
        ("note".to_owned(), s(&e.note)),
    ]
    .into()
}

/// Reads typed attributes, naming a corrupt item's attribute.
struct Reader<'a>(&'a Item);

impl Reader<'_> {
    fn opt(&self, name: &str) -> Result<Option<&str>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(corrupt(name, "is not a string")),
        }
    }

    fn str(&self, name: &str) -> Result<&str, StoreError> {
        self.opt(name)?.ok_or_else(|| corrupt(name, "is missing"))
    }

    fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.str(name)?
            .parse()
            .map_err(|_| corrupt(name, "is not a time"))
    }

    fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        self.opt(name)?.map(|_| self.time(name)).transpose()
    }

    fn opt_num(&self, name: &str) -> Result<Option<u32>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| corrupt(name, "is not a version number")),
            Some(_) => Err(corrupt(name, "is not a number")),
        }
    }

    fn num(&self, name: &str) -> Result<u32, StoreError> {
        self.opt_num(name)?
            .ok_or_else(|| corrupt(name, "is missing"))
    }
}

fn corrupt(name: &str, problem: &str) -> StoreError {
    StoreError::Corrupt(format!("configuration attribute {name} {problem}"))
}

fn head_from(kind: ConfigKind, item: &Item) -> Result<ConfigHead, StoreError> {
    let r = Reader(item);
    Ok(ConfigHead {
        kind,
        latest: r.num("latest")?,
        published: r.opt_num("published")?,
        published_at: r.opt_time("published_at")?,
        published_by: r.opt("published_by")?.map(str::to_owned),
    })
}

fn version_from(kind: ConfigKind, item: &Item) -> Result<ConfigVersion, StoreError> {
    let r = Reader(item);
    let origin = match r.str("origin")? {
        "seed" => VersionOrigin::Seed,
        "save" => VersionOrigin::Save,
        "rollback" => VersionOrigin::Rollback {
            from: r.num("rollback_of")?,
        },
        _ => return Err(corrupt("origin", "has an unknown value")),
    };
    Ok(ConfigVersion {
        kind,
        version: r.num("version")?,
        based_on: r.num("based_on")?,
        body: r.str("body")?.to_owned(),
        author: r.str("author")?.to_owned(),
        at: r.time("at")?,
        note: r.opt("note")?.unwrap_or_default().to_owned(),
        origin,
    })
}

fn audit_from(item: &Item) -> Result<ConfigAuditEntry, StoreError> {
    let r = Reader(item);
    Ok(ConfigAuditEntry {
        at: r.time("at")?,
        actor: r.str("actor")?.to_owned(),
        kind: ConfigKind::parse(r.str("kind")?).ok_or_else(|| corrupt("kind", "is unknown"))?,
        action: ConfigAction::parse(r.str("action")?)
            .ok_or_else(|| corrupt("action", "is unknown"))?,
        version: r.num("version")?,
        note: r.opt("note")?.unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_strings_in_number_order() {
        assert!(version_sk(9) < version_sk(10));
        assert!(version_sk(99) < version_sk(100));
    }

    #[test]
    fn a_version_item_reads_back_as_it_was_written() {
        let body = CheckedBody::check(
            ConfigKind::Templates,
            crate::domain::templates::DEFAULT_TEMPLATES,
            "t",
        )
        .unwrap();
        let mut v = seed_version(&body, "2026-11-30T10:00:00Z".parse().unwrap());
        v.origin = VersionOrigin::Rollback { from: 3 };
        assert_eq!(version_from(v.kind, &version_item(&v)).unwrap(), v);
        let e = audit_entry(&v, ConfigAction::Rollback, "to v3");
        assert_eq!(audit_from(&audit_item(&e)).unwrap(), e);
    }
}
