//! SQS FIFO adapter: SendMessageBatch in chunks of ten, in order.

use crate::platform::aws::{SdkFailure, sdk_failure};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::{MAX_BATCH, Queue, QueueError, QueueMessage};

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

fn sdk_error<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let SdkFailure { code, detail } = sdk_failure("SendMessageBatch", err);
    match code.as_deref() {
        Some("ThrottlingException" | "RequestThrottled" | "KmsThrottled") => {
            QueueError::Throttled(detail)
        }
        Some("InternalError" | "ServiceUnavailable" | "KmsUnavailable") => {
            QueueError::Unavailable(detail)
        }
        Some(_) => QueueError::Rejected(detail),
        None => QueueError::Unavailable(detail),
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, items: &[QueueMessage]) -> Result<(), QueueError> {
        for chunk in items.chunks(MAX_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&item.body)
                        .message_group_id(&item.group_id)
                        .message_deduplication_id(&item.dedup_id)
                        .build()
                        .map_err(|e| QueueError::Rejected(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(sdk_error)?;
            let failed = out.failed();
            if !failed.is_empty() {
                let retryable = failed.iter().all(|f| !f.sender_fault());
                let detail = failed
                    .iter()
                    .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(QueueError::PartialFailure {
                    failed: failed.len(),
                    total: chunk.len(),
                    detail,
                    retryable,
                });
            }
        }
        Ok(())
    }
}
