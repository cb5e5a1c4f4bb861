use super::*;

impl DynamoStore {
    pub(super) async fn record_audit(
        &self,
        record: &crate::ports::store::AuditRecord,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(values([
                ("PK", s(format!("AUDIT#{}", record.day()))),
                ("SK", s(crate::ports::store::audit_sort_key(record))),
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

    pub(super) async fn audit(
        &self,
        day: &str,
    ) -> Result<Vec<crate::ports::store::AuditRecord>, StoreError> {
        self.query_all(format!("AUDIT#{day}"), "REC#", audit_from)
            .await
    }
}

pub(super) fn audit_from(item: &Item) -> Result<crate::ports::store::AuditRecord, StoreError> {
    let r = Reader(item);
    Ok(crate::ports::store::AuditRecord {
        id: r.str("audit_id")?.to_owned(),
        at: r.time("at")?,
        actor: r.str("actor")?.to_owned(),
        action: r.parse("action", crate::ports::store::AuditAction::parse)?,
        customer: r.str("customer")?.to_owned(),
        detail: r.str("detail")?.to_owned(),
    })
}
