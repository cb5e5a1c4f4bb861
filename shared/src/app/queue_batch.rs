//! The loop every queue consumer runs over a batch within the invocation's deadline: records it
//! leaves no time for are not started but delivered again, a failed record is delivered again,
//! and on a FIFO queue so is every later record of its message group (order is kept).

use std::collections::HashSet;
use std::future::Future;

use tracing::{error, warn};

use crate::app::outbox::HandlerError;
use crate::platform::deadline::Deadline;

/// One SQS record as a consumer function receives it.
#[derive(Debug, Clone)]
pub struct QueueRecord {
    pub message_id: String,
    pub group_id: Option<String>,
    pub body: String,
}

/// A message received from a queue as its consumer sees it: SQS FIFO and the memory queue
/// name a delivered message by its deduplication id.
impl From<crate::ports::queue::QueueMessage> for QueueRecord {
    fn from(m: crate::ports::queue::QueueMessage) -> Self {
        Self {
            message_id: m.dedup_id,
            group_id: Some(m.group_id),
            body: m.body,
        }
    }
}

impl QueueRecord {
    /// The records of a Lambda SQS event.
    pub fn from_event(event: aws_lambda_events::event::sqs::SqsEvent) -> Vec<Self> {
        event
            .records
            .into_iter()
            .map(|r| Self {
                message_id: r.message_id.unwrap_or_default(),
                group_id: r.attributes.get("MessageGroupId").cloned(),
                body: r.body.unwrap_or_default(),
            })
            .collect()
    }

    /// The partial batch response that makes SQS deliver `failed` again.
    pub fn batch_response(failed: Vec<String>) -> aws_lambda_events::event::sqs::SqsBatchResponse {
        let mut response = aws_lambda_events::event::sqs::SqsBatchResponse::default();
        response.set_failures(failed);
        response
    }
}

/// Whether a failed record holds back the later records of its message group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A FIFO queue: a group's records are handled in order.
    PerGroup,
    /// A standard queue: records are independent.
    None,
}

/// Handles `records` one by one with `handle` within `deadline` (set as the current one, so
/// outside calls deep in the handler are bounded by it) and returns the ids of the records to
/// deliver again. `failure` is the log message of a record not handled.
pub async fn handle_records<'a, F, Fut>(
    records: &'a [QueueRecord],
    deadline: Deadline,
    order: Order,
    failure: &'static str,
    mut handle: F,
) -> Vec<String>
where
    F: FnMut(&'a QueueRecord) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let work = async {
        let mut failed = Vec::new();
        let mut blocked: HashSet<String> = HashSet::new();
        for (n, record) in records.iter().enumerate() {
            if !deadline.allows_start() {
                warn!(
                    left = records.len() - n,
                    "too little time left before the deadline; the rest of the batch is delivered again"
                );
                failed.extend(records[n..].iter().map(|r| r.message_id.clone()));
                break;
            }
            let group = record.group_id.clone().unwrap_or_default();
            if order == Order::PerGroup && blocked.contains(&group) {
                failed.push(record.message_id.clone());
                continue;
            }
            if let Err(e) = handle(record).await {
                // Poison goes to the dead-letter queue after the queue's receive limit.
                error!(message_id = %record.message_id, error = %e, retryable = e.is_retryable(), "{failure}");
                failed.push(record.message_id.clone());
                blocked.insert(group);
            }
        }
        failed
    };
    deadline.scope(work).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(id: &str, group: &str) -> QueueRecord {
        QueueRecord {
            message_id: id.into(),
            group_id: Some(group.into()),
            body: id.into(),
        }
    }

    async fn fail_b(r: &QueueRecord) -> Result<(), HandlerError> {
        if r.body == "b" {
            Err(HandlerError::Poison("b".into()))
        } else {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_record_holds_back_the_rest_of_its_group_on_a_fifo_queue() {
        let records = [
            record("a", "1"),
            record("b", "1"),
            record("c", "1"),
            record("d", "2"),
        ];
        let failed = handle_records(&records, Deadline::none(), Order::PerGroup, "x", fail_b).await;
        assert_eq!(failed, ["b", "c"]);
    }

    #[tokio::test]
    async fn on_a_standard_queue_only_the_failed_record_comes_again() {
        let records = [record("a", "1"), record("b", "1"), record("c", "1")];
        let failed = handle_records(&records, Deadline::none(), Order::None, "x", fail_b).await;
        assert_eq!(failed, ["b"]);
    }

    #[tokio::test]
    async fn records_without_time_left_are_not_started_but_delivered_again() {
        let records = [record("a", "1"), record("b", "2")];
        let mut started = 0;
        let failed = handle_records(
            &records,
            Deadline::after(Duration::from_secs(1)),
            Order::None,
            "x",
            |_| {
                started += 1;
                async { Ok(()) }
            },
        )
        .await;
        assert_eq!(started, 0);
        assert_eq!(failed, ["a", "b"]);
    }

    #[tokio::test]
    async fn the_handler_runs_with_the_batch_deadline_as_the_current_one() {
        let records = [record("a", "1")];
        let deadline = Deadline::after(Duration::from_secs(600));
        let failed = handle_records(&records, deadline, Order::None, "x", |_| async move {
            assert_eq!(Deadline::current(), deadline);
            Ok(())
        })
        .await;
        assert!(failed.is_empty());
    }
}
