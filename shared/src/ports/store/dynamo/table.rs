use super::*;

impl DynamoStore {
    /// Deletes items by key, 25 at a time; what DynamoDB leaves unprocessed is sent again.
    pub(super) async fn delete_keys(
        &self,
        keys: Vec<(String, String)>,
    ) -> Result<usize, StoreError> {
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

    pub(super) fn put(
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

    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<Option<String>>>, StoreError> {
        // Every ticket change is one of these transactions (or `set_delivery`, `attach_media`):
        // the live console's counters move after each committed one.
        let tickets = super::changes::tickets_written(&items);
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => {
                self.touch(&tickets).await;
                Ok(None)
            }
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
    pub(super) async fn query_all<T>(
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

    pub(super) async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
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
pub(super) fn classify_cancel(codes: &[Option<String>]) -> WriteOutcome {
    if codes.first().and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") {
        WriteOutcome::Duplicate
    } else {
        // The conversation moved, a concurrent transaction touched the same items, or the
        // emulator gave no reasons: in every case, read again and decide again.
        WriteOutcome::ConversationMoved
    }
}

/// Whether a conditional write was made: `false` when its condition did not hold, which for
/// these writes means the work was done before (or, for a claim, that there is no room).
pub(super) fn condition_held<O, E, R>(
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

/// Maps an SDK failure to a store error, classified by whether a retry can help (every DynamoDB
/// adapter of the crate uses this one mapping).
pub(crate) fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn a_failed_idempotency_condition_means_duplicate() {
        let codes = vec![
            Some("ConditionalCheckFailed".to_owned()),
            Some("None".to_owned()),
        ];
        assert_eq!(classify_cancel(&codes), WriteOutcome::Duplicate);
    }

    #[test]
    pub(super) fn any_other_cancellation_means_read_again() {
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
}
