//! Sending on WhatsApp: message builders that enforce the Cloud API's limits, the client port
//! with the Cloud API adapter (reqwest, rustls) and an in-memory adapter, error classes, retry
//! with backoff and jitter, and the 24-hour customer service window.

mod cloud;
mod memory;

pub use cloud::{CALL_TIMEOUT, CloudApi, CloudApiConfig};
pub use memory::{MemoryWhatsApp, SentMessage};

use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{error, warn};

use crate::domain::bot::config::{
    MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_LIST_ROWS, MAX_ROW_TITLE, MAX_TEXT,
};
use crate::domain::ids::{PhoneNumberId, WaId, Wamid};
use crate::platform::metrics::Metrics;

/// Free-form messages are allowed for 24 hours after the customer's last message.
pub const SERVICE_WINDOW: SignedDuration = SignedDuration::from_hours(24);
const MAX_ID: usize = 256;
const MAX_BODY_INTERACTIVE: usize = 1024;

/// Whether a free-form (non-template) message may be sent now.
pub fn service_window_open(last_customer_message_at: Timestamp, now: Timestamp) -> bool {
    now.duration_since(last_customer_message_at) < SERVICE_WINDOW
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("text is empty")]
    Empty,
    #[error("{what} is {len} characters, the limit is {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what}: {count} given, {min}-{max} allowed")]
    Count {
        what: &'static str,
        count: usize,
        min: usize,
        max: usize,
    },
}

/// An approved message template (the only kind allowed outside the service window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub language: String,
    /// Template components (parameters), as the Cloud API takes them.
    #[serde(default)]
    pub components: Vec<Value>,
}

/// A selectable option: a reply button or a list row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundBody {
    Text {
        body: String,
    },
    Buttons {
        body: String,
        buttons: Vec<Choice>,
    },
    List {
        body: String,
        button: String,
        rows: Vec<Choice>,
    },
    Template(Template),
}

impl OutboundBody {
    pub fn is_template(&self) -> bool {
        matches!(self, Self::Template(_))
    }

    /// The text a person reads (a template shows its name).
    pub fn body(&self) -> &str {
        match self {
            Self::Text { body } | Self::Buttons { body, .. } | Self::List { body, .. } => body,
            Self::Template(t) => &t.name,
        }
    }

    /// The text for the transcript.
    pub fn text(&self) -> String {
        match self {
            Self::Template(t) => format!("[template {}]", t.name),
            other => other.body().to_owned(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Buttons { .. } => "buttons",
            Self::List { .. } => "list",
            Self::Template(_) => "template",
        }
    }

    /// Checks the Cloud API limits (text 4096, ≤3 buttons of ≤20 characters, ≤10 list rows of
    /// ≤24, ids ≤256).
    pub fn validate(&self) -> Result<(), BuildError> {
        let len = |s: &str| s.chars().count();
        let check = |what: &'static str, s: &str, max: usize| {
            if s.trim().is_empty() {
                Err(BuildError::Empty)
            } else if len(s) > max {
                Err(BuildError::TooLong {
                    what,
                    len: len(s),
                    max,
                })
            } else {
                Ok(())
            }
        };
        let choices = |what: &'static str, list: &[Choice], max_count: usize, max_title: usize| {
            if list.is_empty() || list.len() > max_count {
                return Err(BuildError::Count {
                    what,
                    count: list.len(),
                    min: 1,
                    max: max_count,
                });
            }
            for c in list {
                check("choice id", &c.id, MAX_ID)?;
                check("choice title", &c.title, max_title)?;
            }
            Ok(())
        };
        match self {
            Self::Text { body } => check("text", body, MAX_TEXT),
            Self::Buttons { body, buttons } => {
                check("interactive body", body, MAX_BODY_INTERACTIVE)?;
                choices("buttons", buttons, MAX_BUTTONS, MAX_BUTTON_TITLE)
            }
            Self::List { body, button, rows } => {
                check("interactive body", body, MAX_BODY_INTERACTIVE)?;
                check("list button", button, MAX_BUTTON_TITLE)?;
                choices("list rows", rows, MAX_LIST_ROWS, MAX_ROW_TITLE)
            }
            Self::Template(t) => check("template name", &t.name, 512),
        }
    }

    /// The Cloud API request body for sending this to `to`.
    pub fn to_request(&self, to: &WaId) -> Value {
        let mut v = json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to.as_str() });
        let (kind, content) = match self {
            Self::Text { body } => (
                "text",
                json!({ "body": body, "preview_url": body.contains("https://") }),
            ),
            Self::Buttons { body, buttons } => (
                "interactive",
                json!({
                    "type": "button",
                    "body": { "text": body },
                    "action": { "buttons": buttons.iter().map(|b| json!({"type": "reply", "reply": {"id": b.id, "title": b.title}})).collect::<Vec<_>>() },
                }),
            ),
            Self::List { body, button, rows } => (
                "interactive",
                json!({
                    "type": "list",
                    "body": { "text": body },
                    "action": {
                        "button": button,
                        "sections": [{ "rows": rows.iter().map(|r| json!({"id": r.id, "title": r.title})).collect::<Vec<_>>() }],
                    },
                }),
            ),
            Self::Template(t) => (
                "template",
                json!({ "name": t.name, "language": { "code": t.language }, "components": t.components }),
            ),
        };
        v["type"] = json!(kind);
        v[kind] = content;
        v
    }
}

/// A failed Cloud API call, classified by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatsAppError {
    /// 130429 (throughput), 131056 (pair rate), 131048 (spam rate), HTTP 429: wait and retry.
    #[error("rate limited (code {code}): {message}")]
    RateLimited { code: i64, message: String },
    /// 131047: more than 24 h since the customer's last message; only a template may be sent.
    #[error("outside the customer service window (code 131047): {message}")]
    ReEngagementRequired { message: String },
    /// 190 or HTTP 401/403: the access token is expired or invalid. Needs a person.
    #[error("access token rejected (code {code}): {message}")]
    Unauthorized { code: i64, message: String },
    /// 5xx, codes 1/2/131000, timeouts and connection failures: retry.
    #[error("WhatsApp is unavailable (HTTP {status}, code {code}): {message}")]
    Transient {
        status: u16,
        code: i64,
        message: String,
    },
    /// Anything else Meta refuses (bad parameters, 131026 undeliverable, 132000 template
    /// parameters): retrying the same request will not help.
    #[error("WhatsApp refused the message (HTTP {status}, code {code}): {message}")]
    Rejected {
        status: u16,
        code: i64,
        message: String,
    },
    /// Our own guard: a free-form message outside the 24 h window.
    #[error("a free-form message outside the 24 h customer service window; send a template")]
    OutsideServiceWindow,
    #[error("message not sendable: {0}")]
    Invalid(#[from] BuildError),
}

impl WhatsAppError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient { .. })
    }

    pub fn needs_template(&self) -> bool {
        matches!(
            self,
            Self::ReEngagementRequired { .. } | Self::OutsideServiceWindow
        )
    }

    /// Classifies a Graph API error answer.
    pub fn classify(status: u16, code: i64, message: String) -> Self {
        match code {
            130429 | 131056 | 131048 | 4 | 80007 => Self::RateLimited { code, message },
            131047 => Self::ReEngagementRequired { message },
            190 => Self::Unauthorized { code, message },
            1 | 2 | 131000 => Self::Transient {
                status,
                code,
                message,
            },
            _ if status == 429 => Self::RateLimited { code, message },
            _ if status == 401 || status == 403 => Self::Unauthorized { code, message },
            _ if status >= 500 => Self::Transient {
                status,
                code,
                message,
            },
            _ => Self::Rejected {
                status,
                code,
                message,
            },
        }
    }
}

#[async_trait]
pub trait WhatsAppClient: Send + Sync {
    /// Sends `body` to `to` from our number `from`; returns the new message's wamid.
    async fn send(
        &self,
        from: &PhoneNumberId,
        to: &WaId,
        body: &OutboundBody,
    ) -> Result<Wamid, WhatsAppError>;

    /// Marks an inbound message as read (blue ticks).
    async fn mark_read(&self, from: &PhoneNumberId, wamid: &Wamid) -> Result<(), WhatsAppError>;
}

/// A retry is only made when at least this much time is left for it after its pause (before
/// the invocation's deadline): a shorter attempt would mostly time out.
pub const MIN_ATTEMPT: Duration = Duration::from_secs(2);

/// Retries with exponential backoff and full jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base: Duration::from_millis(400),
            max: Duration::from_secs(6),
        }
    }
}

impl RetryPolicy {
    /// The longest one send can take with every retry, when each attempt may take `call`.
    pub fn worst_case(&self, call: Duration) -> Duration {
        let pauses: Duration = (1..self.attempts).map(|a| self.delay_ceiling(a)).sum();
        call * self.attempts + pauses
    }

    /// The longest pause before retry `attempt` (1-based): min(max, base·2^(attempt-1)).
    pub fn delay_ceiling(&self, attempt: u32) -> Duration {
        self.base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max)
    }

    /// The pause before retry `attempt` (1-based): random in [0, min(max, base·2^(attempt-1))].
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.delay_ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(if nanos == 0 { 0 } else { jitter() % nanos })
    }
}

fn jitter() -> u64 {
    // Good enough for spreading retries: no crypto, no extra dependency.
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// Sends with retries on rate limits and transient failures. Logs an access-token failure at
/// error level (the alarm's filter) and never retries it. Every failed call is counted in
/// `metrics` by its error code (the `SendFailures` metric).
pub async fn send_with_retry(
    client: &dyn WhatsAppClient,
    policy: RetryPolicy,
    metrics: &Metrics,
    from: &PhoneNumberId,
    to: &WaId,
    body: &OutboundBody,
) -> Result<Wamid, WhatsAppError> {
    body.validate()?;
    let deadline = crate::platform::deadline::Deadline::current();
    let mut attempt = 1;
    loop {
        // An attempt cut short by the invocation's deadline counts as a timeout: whether Meta
        // got it is unknown, as with the HTTP client's own timeout.
        let result = crate::platform::deadline::within(client.send(from, to, body))
            .await
            .unwrap_or_else(|_| {
                Err(WhatsAppError::Transient {
                    status: 0,
                    code: 0,
                    message: "timed out at the invocation's deadline".into(),
                })
            });
        if let Err(e) = &result {
            metrics.send_failure(e);
        }
        match result {
            Ok(wamid) => return Ok(wamid),
            Err(e)
                if e.is_retryable()
                    && attempt < policy.attempts
                    && !deadline.fits(policy.delay_ceiling(attempt), MIN_ATTEMPT) =>
            {
                warn!(error = %e, attempt, "WhatsApp send failed; no time left to retry before the deadline");
                return Err(e);
            }
            Err(e) if e.is_retryable() && attempt < policy.attempts => {
                let pause = policy.delay(attempt);
                warn!(error = %e, attempt, pause_ms = pause.as_millis() as u64, "WhatsApp send failed; retrying");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(e @ WhatsAppError::Unauthorized { .. }) => {
                error!(alarm = "whatsapp_auth", error = %e, "WhatsApp access token rejected; rotate WHATSAPP_ACCESS_TOKEN");
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
