//! Sending on WhatsApp: message builders that enforce the Cloud API's limits, the client port
//! with the Cloud API adapter (reqwest, rustls) and an in-memory adapter, error classes, retry
//! with backoff and jitter, and the 24-hour customer service window.

mod cloud;
mod memory;
pub mod templates;

pub use cloud::{CALL_TIMEOUT, CloudApi, CloudApiConfig, multipart_body};
pub use memory::{MemoryWhatsApp, SentMessage, UploadedMedia};
pub use templates::{CreatedTemplate, GraphTemplates, MemoryTemplates, MessageTemplates};

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tracing::{error, warn};

use crate::domain::ids::{PhoneNumberId, WaId, Wamid};
pub use crate::domain::whatsapp::{
    BuildError, Choice, MediaKind, OutboundBody, SERVICE_WINDOW, Template, service_window_open,
};
use crate::platform::metrics::{Metrics, SendFailure};

/// The Cloud API's wire format of a message; what a message may hold is in the domain.
impl OutboundBody {
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
            Self::QuotedText { body, reply_to } => {
                v["context"] = json!({ "message_id": reply_to });
                (
                    "text",
                    json!({ "body": body, "preview_url": body.contains("https://") }),
                )
            }
            Self::Reaction { message_id, emoji } => (
                "reaction",
                json!({ "message_id": message_id, "emoji": emoji }),
            ),
            Self::Media {
                kind,
                id,
                caption,
                filename,
            } => {
                let mut media = json!({ "id": id });
                if let Some(caption) = caption {
                    media["caption"] = json!(caption);
                }
                if let (MediaKind::Document, Some(name)) = (kind, filename) {
                    media["filename"] = json!(name);
                }
                (kind.as_str(), media)
            }
        };
        v["type"] = json!(kind);
        v[kind] = content;
        v
    }
}

/// The `Code` dimension of a failed send: Meta's error code, `5xx` for a server error without
/// one, `network` for a timeout or connection failure, `invalid` for a message we refused.
impl SendFailure for WhatsAppError {
    fn failure_code(&self) -> String {
        match self {
            WhatsAppError::RateLimited { code, .. } | WhatsAppError::Unauthorized { code, .. }
                if *code != 0 =>
            {
                code.to_string()
            }
            WhatsAppError::RateLimited { .. } => "429".into(),
            WhatsAppError::Unauthorized { .. } => "401".into(),
            WhatsAppError::ReEngagementRequired { .. } | WhatsAppError::OutsideServiceWindow => {
                "131047".into()
            }
            WhatsAppError::Transient { status: 0, .. } => "network".into(),
            WhatsAppError::Transient { status, code, .. }
            | WhatsAppError::Rejected { status, code, .. } => match (status, code) {
                (500.., 0) => "5xx".into(),
                (_, 0) => status.to_string(),
                _ => code.to_string(),
            },
            WhatsAppError::Invalid(_) => "invalid".into(),
        }
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

    /// Uploads a file to the Cloud API's media store: the media id to send it by (Meta keeps
    /// it 30 days).
    async fn upload_media(
        &self,
        from: &PhoneNumberId,
        file: &MediaUpload<'_>,
    ) -> Result<String, WhatsAppError>;

    /// Marks an inbound message as read (blue ticks).
    async fn mark_read(&self, from: &PhoneNumberId, wamid: &Wamid) -> Result<(), WhatsAppError>;

    /// Marks an inbound message read and shows the customer "typing…" (until the reply is
    /// sent, at most 25 s): what an agent opening the conversation does. Never the bot's.
    async fn mark_read_typing(
        &self,
        from: &PhoneNumberId,
        wamid: &Wamid,
    ) -> Result<(), WhatsAppError>;
}

/// A file for [`WhatsAppClient::upload_media`].
#[derive(Debug, Clone, Copy)]
pub struct MediaUpload<'a> {
    pub bytes: &'a [u8],
    pub mime_type: &'a str,
    pub file_name: &'a str,
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
