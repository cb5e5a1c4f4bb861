//! Owned documents (saved views, personal canned responses): `OWNED#<kind>#<owner>` / `<id>`,
//! the body as JSON, conditional on the version. They name agents and teams, never customers,
//! and so do not expire.

use super::*;
use crate::ports::store::{OwnedDoc, OwnedKind, OwnedWrite};

fn owned_pk(kind: OwnedKind, owner: &str) -> String {
    format!("OWNED#{}#{owner}", kind.as_str())
}

fn written(held: bool) -> OwnedWrite {
    if held {
        OwnedWrite::Written
    } else {
        OwnedWrite::Conflict
    }
}

impl DynamoStore {
    pub(super) async fn owned_docs(
        &self,
        kind: OwnedKind,
        owner: &str,
    ) -> Result<Vec<OwnedDoc>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(owned_pk(kind, owner)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut docs = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| sdk_error("Query", e))?;
            let r = Reader(&item);
            docs.push(OwnedDoc {
                kind,
                owner: owner.to_owned(),
                id: r.str("SK")?.to_owned(),
                version: r.num("version")?,
                body: r.str("body")?.to_owned(),
                updated_at: r.time("updated_at")?,
                updated_by: r.str("updated_by")?.to_owned(),
            });
        }
        Ok(docs)
    }

    pub(super) async fn put_owned_doc(&self, doc: &OwnedDoc) -> Result<OwnedWrite, StoreError> {
        let item = values([
            ("PK", s(owned_pk(doc.kind, &doc.owner))),
            ("SK", s(&doc.id)),
            ("entity", s(format!("owned_{}", doc.kind.as_str()))),
            ("owner", s(&doc.owner)),
            ("version", n(doc.version)),
            ("body", s(&doc.body)),
            ("updated_at", ts(doc.updated_at)),
            ("updated_by", s(&doc.updated_by)),
        ]);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = if doc.version <= 1 {
            put.condition_expression("attribute_not_exists(PK)")
        } else {
            put.condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(doc.version - 1))
        };
        condition_held("PutItem", put.send().await).map(written)
    }

    pub(super) async fn delete_owned_doc(
        &self,
        kind: OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<OwnedWrite, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(owned_pk(kind, owner)))
            .key("SK", s(id))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(version))
            .send()
            .await;
        condition_held("DeleteItem", result).map(written)
    }
}
