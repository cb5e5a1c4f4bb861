use super::*;

impl DynamoStore {
    /// An activity item (notes may hold personal data) that expires like messages.
    pub(super) fn activity_item(&self, a: &Activity) -> Item {
        let mut item = activity_item_fields(a);
        item.insert("expires_at".into(), self.expires_at(a.at));
        item
    }

    pub(super) async fn activities(&self, id: TicketId) -> Result<Vec<Activity>, StoreError> {
        self.query_all(ticket_pk(id), "ACT#", activity_from).await
    }
}

pub(super) fn activity_item_fields(a: &Activity) -> Item {
    values([
        ("PK", s(ticket_pk(a.ticket_id))),
        ("SK", s(activity_sort_key(a))),
        ("entity", s("activity")),
        ("data", s(serde_json::to_string(a).unwrap_or_default())),
    ])
}

pub(super) fn activity_from(item: &Item) -> Result<Activity, StoreError> {
    serde_json::from_str(Reader(item).str("data")?)
        .map_err(|e| StoreError::Corrupt(format!("attribute data of an activity: {e}")))
}
