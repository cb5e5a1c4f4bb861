use super::*;

impl DynamoStore {
    pub(super) async fn save_profile_name(
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

    pub(super) async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
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

    pub(super) async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        self.delete_keys(vec![
            (customer_pk(wa_id), "PROFILE".to_owned()),
            (customer_pk(wa_id), "CONSENT".to_owned()),
        ])
        .await
    }

    pub(super) async fn consent(
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

    pub(super) async fn set_consent(
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
}
