//! Notifying people (managers, the assigned agent) of SLA warnings and breaches: a port with an
//! SNS adapter (e-mail subscriptions on the topic, filtered by the `audience` attribute) and an
//! in-memory adapter.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::ids::TicketId;
use crate::domain::sla::Target;
use crate::platform::aws::{SdkFailure, sdk_failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Managers,
    /// The assigned agent, or the ticket's team when nobody is assigned.
    Assignee,
    /// Every agent of `team` (an escalation found nobody free there to take the ticket).
    Team,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Managers => "managers",
            Self::Assignee => "assignee",
            Self::Team => "team",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub audience: Audience,
    /// `sla_warning`, `sla_breach`, `sla_escalation`.
    pub kind: String,
    pub ticket_id: TicketId,
    /// The SLA target concerned, for SLA alerts.
    pub target: Option<Target>,
    /// Escalation level (1 = the breach); 0 otherwise.
    pub level: u8,
    pub due_at: Option<Timestamp>,
    /// The agent addressed (assignment notices).
    pub agent: Option<String>,
    pub team: Option<String>,
    pub priority: Option<String>,
    /// A line a person reads (no customer data).
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("the notification service is throttling ({0})")]
    Throttled(String),
    #[error("the notification service failed ({0})")]
    Unavailable(String),
    #[error("the notification service refused ({0})")]
    Rejected(String),
}

impl NotifyError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Rejected(_))
    }
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError>;
}

/// SNS: one topic; subscriptions choose their audience with a filter policy on `audience`.
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| NotifyError::Rejected(e.to_string()))
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, n: &Notification) -> Result<(), NotifyError> {
        let subject = format!(
            "[helpdesk] {} {} ticket {}",
            n.kind.replace('_', " "),
            n.target.map(Target::as_str).unwrap_or_default(),
            n.ticket_id
        );
        let body = serde_json::to_string_pretty(n).unwrap_or_default();
        // Subscriptions filter on these: `audience` (managers, assignee, team), `agent`, `team`.
        let mut attributes = std::collections::HashMap::from([
            ("audience".to_owned(), attribute(n.audience.as_str())?),
            ("kind".to_owned(), attribute(&n.kind)?),
        ]);
        if let Some(agent) = &n.agent {
            attributes.insert("agent".to_owned(), attribute(agent)?);
        }
        if let Some(team) = &n.team {
            attributes.insert("team".to_owned(), attribute(team)?);
        }
        let result = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject.chars().take(99).collect::<String>())
            .message(format!("{}\n\n{body}", n.summary))
            .set_message_attributes(Some(attributes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let SdkFailure { code, detail } = sdk_failure("Publish", e);
                Err(match code.as_deref() {
                    Some("Throttled" | "ThrottlingException") => NotifyError::Throttled(detail),
                    Some("InternalError" | "KMSThrottling" | "KMSDisabled") | None => {
                        NotifyError::Unavailable(detail)
                    }
                    Some(_) => NotifyError::Rejected(detail),
                })
            }
        }
    }
}

/// Keeps notifications in memory (local runner, tests).
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    sent: Mutex<Vec<Notification>>,
}

impl MemoryNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<Notification> {
        lock(&self.sent).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn notify(&self, n: &Notification) -> Result<(), NotifyError> {
        lock(&self.sent).push(n.clone());
        Ok(())
    }
}
