//! Ticket events for integrations (a CRM, a BI tool): a port with an EventBridge adapter
//! (`PutEvents` on the stack's bus) and an in-memory adapter (the local runner's `/dev/events`
//! and the tests).
//!
//! The EventBridge adapter speaks the JSON API directly (SigV4, see
//! [`crate::ports::aws_json`]) rather than through `aws-sdk-eventbridge`: one operation does not
//! justify an SDK crate of 60+ operations in the four functions that flush outboxes (measured:
//! 110 s of compile time on a 2-core machine, debug, for that crate alone).

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::ports::aws_json::{AwsJsonApi, AwsJsonFailure};

/// The `source` of every event the helpdesk publishes (what a rule matches on).
pub const SOURCE: &str = "helpdesk";

/// One event to publish.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusEvent {
    /// Stable across redeliveries (the outbox entry's id); also `detail.event_id`, because
    /// EventBridge gives each `PutEvents` entry an id of its own: subscribers dedupe on this one.
    pub id: String,
    /// `ticket.opened`, `ticket.resolved`, ...
    pub detail_type: String,
    pub time: Timestamp,
    /// The JSON object subscribers get as `detail`.
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventBusError {
    #[error("the event bus is unavailable ({0})")]
    Unavailable(String),
    #[error("the event bus refused the event ({0})")]
    Rejected(String),
}

impl EventBusError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Where ticket events go.
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &BusEvent) -> Result<(), EventBusError>;
}

/// Keeps what was published, in order (every publish, repeats included, as a subscriber would
/// receive them); can be made to fail.
#[derive(Debug, Default)]
pub struct MemoryEventBus {
    published: Mutex<Vec<BusEvent>>,
    failures: Mutex<Vec<EventBusError>>,
}

impl MemoryEventBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn published(&self) -> Vec<BusEvent> {
        lock(&self.published).clone()
    }

    /// The next `errors.len()` publishes fail with these errors, in order.
    pub fn inject_faults(&self, errors: impl IntoIterator<Item = EventBusError>) {
        let mut failures = lock(&self.failures);
        failures.extend(errors);
        failures.reverse();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl EventBus for MemoryEventBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), EventBusError> {
        if let Some(e) = lock(&self.failures).pop() {
            return Err(e);
        }
        lock(&self.published).push(event.clone());
        Ok(())
    }
}

/// An EventBridge event bus (its name or ARN).
#[derive(Debug)]
pub struct EventBridgeBus {
    api: AwsJsonApi,
    bus: String,
}

impl EventBridgeBus {
    /// Over the environment's credentials and region; the endpoint is
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE` if set, else the SDK configuration's endpoint override
    /// (`AWS_ENDPOINT_URL`: an emulator), else the regional one.
    pub fn new(sdk: &aws_config::SdkConfig, bus: &str) -> Result<Self, EventBusError> {
        let api = AwsJsonApi::new(
            sdk,
            "events",
            "application/x-amz-json-1.1",
            &["AWS_ENDPOINT_URL_EVENTBRIDGE"],
            |region, sdk_endpoint| match sdk_endpoint {
                Some(endpoint) => endpoint.to_owned(),
                None => format!("https://events.{region}.amazonaws.com/"),
            },
        )
        .map_err(|e| EventBusError::Rejected(e.to_string()))?;
        Ok(Self {
            api,
            bus: bus.to_owned(),
        })
    }

    /// The `PutEvents` request of one event.
    pub fn request(&self, event: &BusEvent) -> Value {
        json!({
            "Entries": [{
                "Source": SOURCE,
                "DetailType": event.detail_type,
                "Detail": event.detail.to_string(),
                "EventBusName": self.bus,
                "Time": event.time.as_second(),
            }]
        })
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, event: &BusEvent) -> Result<(), EventBusError> {
        let answer = self
            .api
            .call("AWSEvents.PutEvents", &self.request(event))
            .await
            .map_err(|e| match e {
                AwsJsonFailure::Unreachable(m) => EventBusError::Unavailable(m),
                AwsJsonFailure::Local(m) => EventBusError::Rejected(m),
                AwsJsonFailure::Service { status, kind, .. }
                    if status >= 500
                        || matches!(
                            kind.as_str(),
                            "ThrottlingException" | "InternalException" | "InternalFailure"
                        ) =>
                {
                    EventBusError::Unavailable(format!("PutEvents: {status} {kind}"))
                }
                other => EventBusError::Rejected(format!("PutEvents: {other}")),
            })?;
        entry_outcome(&answer)
    }
}

/// The outcome of the one entry of a `PutEvents` answer: a failed entry (the call itself
/// succeeded) is retryable when EventBridge says it was throttled or failed inside.
pub fn entry_outcome(answer: &Value) -> Result<(), EventBusError> {
    if answer["FailedEntryCount"].as_u64().unwrap_or(0) == 0 {
        return Ok(());
    }
    let entry = &answer["Entries"][0];
    let code = entry["ErrorCode"].as_str().unwrap_or("unknown");
    let message = entry["ErrorMessage"].as_str().unwrap_or_default();
    let detail = format!("PutEvents entry: {code} {message}");
    if matches!(code, "ThrottlingException" | "InternalFailure" | "unknown") {
        Err(EventBusError::Unavailable(detail))
    } else {
        Err(EventBusError::Rejected(detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_entry_is_retryable_only_when_eventbridge_was_throttled_or_failed_inside() {
        assert_eq!(
            entry_outcome(&json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]})),
            Ok(())
        );
        let throttled = json!({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]});
        assert!(entry_outcome(&throttled).unwrap_err().is_retryable());
        let refused =
            json!({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "AccessDeniedException"}]});
        assert!(!entry_outcome(&refused).unwrap_err().is_retryable());
    }

    #[tokio::test]
    async fn the_memory_bus_keeps_every_publish_and_fails_when_told() {
        let bus = MemoryEventBus::new();
        let event = BusEvent {
            id: "e1".into(),
            detail_type: "ticket.opened".into(),
            time: Timestamp::UNIX_EPOCH,
            detail: json!({"event_id": "e1"}),
        };
        bus.inject_faults([EventBusError::Unavailable("down".into())]);
        assert!(bus.publish(&event).await.is_err());
        bus.publish(&event).await.unwrap();
        bus.publish(&event).await.unwrap();
        assert_eq!(bus.published().len(), 2);
    }
}
