//! The route table, what every request goes through before a handler (authentication, body
//! size, query string, JSON body) and how refusals become HTTP answers. A new endpoint is one
//! handler in the file of its resource and one line in [`AgentApi::route`].

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{error, warn};

use super::desk::{AgentError, IdempotencyKey};
use super::{AgentApi, Caller};
use crate::app::analytics::AnalyticsError;
use crate::app::privacy::PrivacyError;
use crate::ports::store::StoreError;

/// Largest request body.
pub const MAX_BODY: usize = 64 * 1024;

/// A request, as any HTTP front end gives it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    /// Claims API Gateway's JWT authorizer verified.
    pub claims: Option<&'a HashMap<String, String>>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    /// A file to save (a CSV export): the body is its text.
    pub download: Option<Download>,
}

/// What makes an answer a file the browser saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub content_type: &'static str,
    /// `[A-Za-z0-9._-]` only, so the header needs no quoting rules.
    pub filename: String,
}

impl ApiResponse {
    /// 200 with `body` as JSON.
    pub(super) fn ok(body: impl Serialize) -> Result<Self, ApiError> {
        Self::with_status(200, body)
    }

    /// 200 with a plain-text body (a TOML export): a JSON string, sent as its text.
    pub(super) fn text(text: String) -> Result<Self, ApiError> {
        Ok(Self {
            status: 200,
            body: Value::String(text),
            download: None,
        })
    }

    /// 200 with a CSV file named `filename` to download.
    pub(super) fn csv(text: String, filename: String) -> Result<Self, ApiError> {
        Ok(Self {
            status: 200,
            body: Value::String(text),
            download: Some(Download {
                content_type: "text/csv; charset=utf-8",
                filename,
            }),
        })
    }

    /// `Content-Disposition` of a download (`attachment; filename="..."`).
    pub fn content_disposition(&self) -> Option<String> {
        self.download
            .as_ref()
            .map(|d| format!("attachment; filename=\"{}\"", d.filename))
    }

    /// The content type to send: a download's, a string body is plain text, everything else
    /// JSON.
    pub fn content_type(&self) -> &'static str {
        if let Some(d) = &self.download {
            d.content_type
        } else if self.body.is_string() {
            "text/plain; charset=utf-8"
        } else {
            "application/json"
        }
    }

    /// The bytes to send (the text itself for a plain-text answer).
    pub fn body_text(&self) -> String {
        match &self.body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// 201 with `body` (what was created) as JSON.
    pub(super) fn created(body: impl Serialize) -> Result<Self, ApiError> {
        Self::with_status(201, body)
    }

    fn with_status(status: u16, body: impl Serialize) -> Result<Self, ApiError> {
        match serde_json::to_value(body) {
            Ok(body) => Ok(Self {
                status,
                body,
                download: None,
            }),
            Err(e) => {
                error!(error = %e, "agent API: answer not serializable");
                Err(ApiError::new(
                    500,
                    "internal",
                    "the answer could not be written",
                ))
            }
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub extra: Option<ErrorExtra>,
}

/// What a refusal carries besides its message, to act on it without another request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorExtra {
    /// A version conflict: the ticket's version now.
    CurrentVersion(u64),
    /// Outside the 24 h window: the templates that may be sent instead (approved ones).
    Templates(Vec<super::TemplateView>),
    /// Fields at the top level of the body (the admin area's 409 `current_version, diff` and
    /// 422 `field, line, problem`).
    #[serde(untagged)]
    Detail(serde_json::Map<String, Value>),
}

/// The JSON body of every refusal.
#[derive(Serialize)]
struct ErrorBody<'e> {
    error: &'static str,
    message: &'e str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: &'e BTreeMap<String, String>,
    #[serde(flatten)]
    extra: &'e Option<ErrorExtra>,
}

impl ApiError {
    pub(super) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            extra: None,
        }
    }

    /// 400: `field` of the request is wrong, `problem` says how.
    pub(super) fn field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let mut e = Self::new(400, "invalid_request", format!("{field}: {problem}"));
        e.fields.insert(field.to_owned(), problem);
        e
    }

    pub(super) fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, "not_found", what)
    }

    pub(super) fn forbidden(why: impl Into<String>) -> Self {
        Self::new(403, "forbidden", why)
    }

    fn into_response(self) -> ApiResponse {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
            fields: &self.fields,
            extra: &self.extra,
        };
        ApiResponse {
            status: self.status,
            body: serde_json::to_value(&body).unwrap_or_else(|e| {
                error!(error = %e, "agent API: refusal not serializable");
                serde_json::json!({ "error": self.code, "message": self.message })
            }),
            download: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            warn!(error = %e, "agent API: store busy");
            Self::new(503, "unavailable", "the ticket store is busy; try again")
        } else {
            error!(error = %e, "agent API: store failed");
            Self::new(500, "internal", "the ticket store failed")
        }
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::NotFound(id) => Self::not_found(format!("no ticket {id}")),
            AgentError::Conflict { current, .. } => {
                let mut err = Self::new(409, "version_conflict", e.to_string());
                err.extra = Some(ErrorExtra::CurrentVersion(current));
                err
            }
            AgentError::Unavailable(m) => Self::new(409, "agent_unavailable", m),
            AgentError::Invalid { field, ref problem } => {
                let mut err = Self::new(400, "invalid_request", e.to_string());
                if let Some(field) = field {
                    err.fields.insert(field.to_owned(), problem.clone());
                }
                err
            }
            AgentError::OutsideServiceWindow => {
                Self::new(422, "outside_service_window", e.to_string())
            }
            AgentError::NoConsent => Self::new(422, "no_consent", e.to_string()),
            AgentError::NoAttachment(_) => {
                let mut err = Self::not_found(e.to_string());
                err.fields
                    .insert("attachment".to_owned(), "no such upload".to_owned());
                err
            }
            AgentError::AttachmentRefused(_) => {
                let mut err = Self::new(422, "attachment_refused", e.to_string());
                err.fields.insert("attachment".to_owned(), e.to_string());
                err
            }
            AgentError::MediaUnavailable(ref m) => {
                warn!(error = %m, "agent API: media store failed");
                Self::new(503, "unavailable", "the media store is busy; try again")
            }
            AgentError::KeyReused(_) => {
                let mut err = Self::new(422, "idempotency_key_reused", e.to_string());
                err.fields.insert(
                    "Idempotency-Key".to_owned(),
                    "was used for another request".to_owned(),
                );
                err
            }
            AgentError::Failed(h) if h.is_retryable() => {
                warn!(error = %h, "agent API: action stored, sending failed");
                Self::new(
                    503,
                    "delivery_pending",
                    "the change is stored but not everything was sent; repeat the request with the same Idempotency-Key to finish it",
                )
            }
            AgentError::Failed(h) => {
                error!(error = %h, "agent API: action failed");
                Self::new(500, "internal", "the action failed")
            }
        }
    }
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::Invalid { field, problem } => Self::field(field, problem),
            AnalyticsError::Store(s) => s.into(),
        }
    }
}

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> Self {
        match e {
            PrivacyError::Store(s) => s.into(),
            PrivacyError::Media(m) => {
                warn!(error = %m, "media store failed during a data request");
                Self::new(
                    503,
                    "unavailable",
                    "the media store failed; repeat the request",
                )
            }
        }
    }
}

/// One authenticated request, as its handler gets it.
pub(super) struct Call<'r, 'a> {
    pub caller: Caller,
    pub query: Query,
    pub request: &'r ApiRequest<'a>,
    /// The path's segments (`/tickets/T1/reply`: `tickets`, `T1`, `reply`).
    pub segments: Vec<&'a str>,
}

impl Call<'_, '_> {
    /// The JSON body as `T`; a bad body is a 400 naming the field serde names.
    pub fn body<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ApiError> {
        parse_body(self.request.body)
    }

    /// [`body`](Self::body), where an empty body means `T::default()`.
    pub fn body_or_default<T: Default + for<'de> Deserialize<'de>>(&self) -> Result<T, ApiError> {
        if self.request.body.is_empty() {
            Ok(T::default())
        } else {
            self.body()
        }
    }

    /// The request's `Idempotency-Key` with a SHA-256 of who sent what: caller, method, path
    /// and body (JSON read and written back, so spacing and key order do not make another
    /// request).
    pub fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        use sha2::Digest;
        let key = self.request.idempotency_key?;
        let body = match serde_json::from_slice::<Value>(self.request.body) {
            Ok(json) => json.to_string().into_bytes(),
            Err(_) => self.request.body.to_vec(),
        };
        let mut digest = sha2::Sha256::new();
        for part in [
            self.caller.agent.as_bytes(),
            self.request.method.as_bytes(),
            self.segments.join("/").as_bytes(),
            &body,
        ] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part);
        }
        Some(IdempotencyKey {
            key,
            request: digest.finalize().into(),
        })
    }
}

impl AgentApi {
    /// Answers one request; a refusal is an answer too.
    pub async fn handle(&self, req: &ApiRequest<'_>) -> ApiResponse {
        let response = match self.accept(req) {
            Ok(call) => self.route(&call).await,
            Err(e) => Err(e),
        };
        // What the request counted (tickets assigned from the queue, failed sends): one line.
        self.desk.metrics().flush();
        response.unwrap_or_else(ApiError::into_response)
    }

    /// Who calls, and whether the request is readable at all.
    fn accept<'r, 'a>(&self, req: &'r ApiRequest<'a>) -> Result<Call<'r, 'a>, ApiError> {
        let caller = self
            .auth
            .caller(req.authorization, req.claims)
            .ok_or_else(|| ApiError::new(401, "unauthorized", "a valid token is required"))?;
        if req.body.len() > MAX_BODY {
            return Err(ApiError::new(
                413,
                "too_large",
                format!("the body may have at most {MAX_BODY} bytes"),
            ));
        }
        let segments = req
            .path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Call {
            caller,
            query: Query::parse(req.query)?,
            request: req,
            segments,
        })
    }

    /// The route table: one line per endpoint (README: Agent API).
    async fn route(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        self.refuse_deactivated(&call.caller).await?;
        self.read_live_config().await;
        let method = call.request.method;
        match (method, call.segments.as_slice()) {
            ("GET", ["me"]) => self.me(call).await,
            ("GET", ["tickets"]) => self.list(call).await,
            ("GET", ["tickets", "export.csv"]) => self.export_tickets(call).await,
            ("GET", ["tickets", id]) => self.detail(call, id).await,
            ("GET", ["changes"]) => self.changes(call).await,
            ("POST", ["tickets", id, "read"]) => self.open_conversation(call, id).await,
            ("POST", ["tickets", id, "attachments"]) => self.attachment_upload(call, id).await,
            ("POST", ["tickets", id, action]) => self.act(call, id, action).await,
            ("PATCH", ["tickets", id]) => self.act(call, id, "update").await,
            ("GET", ["agents"]) => self.agents().await,
            ("POST", ["agents"]) => self.invite_agent(call).await,
            ("PATCH", ["agents", id]) => self.edit_agent(call, id).await,
            ("POST", ["agents", id, "deactivate"]) => self.deactivate_agent(call, id).await,
            ("PUT", ["agents", id, "presence"]) => self.presence(call, id).await,
            ("GET", ["templates"]) => self.templates(call).await,
            ("POST", ["templates"]) => self.submit_template(call).await,
            ("POST", ["templates", "sync"]) => self.sync_templates(call).await,
            ("GET", ["canned"]) => self.canned(call).await,
            ("POST", ["canned"]) => self.create_canned(call).await,
            ("PUT", ["canned", id]) => self.edit_canned(call, id).await,
            ("DELETE", ["canned", id]) => self.delete_canned(call, id).await,
            ("GET", ["views"]) => self.saved_views(call).await,
            ("POST", ["views"]) => self.create_view(call).await,
            ("PUT", ["views", id]) => self.edit_view(call, id).await,
            ("DELETE", ["views", id]) => self.delete_view(call, id).await,
            ("GET", ["analytics"]) => self.analytics(call).await,
            ("GET", ["search"]) => self.search(call).await,
            ("GET", ["customers", wa_id]) => self.customer_view(call, wa_id).await,
            ("PATCH", ["customers", wa_id]) => self.edit_customer(call, wa_id).await,
            ("GET", ["customers", wa_id, "history"]) => self.customer_history(call, wa_id).await,
            ("PUT", ["customers", wa_id, "tags", tag]) => {
                self.customer_tag(call, wa_id, tag, true).await
            }
            ("DELETE", ["customers", wa_id, "tags", tag]) => {
                self.customer_tag(call, wa_id, tag, false).await
            }
            ("GET", ["analytics", "export.csv"]) => self.export_analytics(call).await,
            ("PUT", ["customers", wa_id, "consent"]) => self.set_consent(call, wa_id).await,
            ("GET", ["customers", wa_id, "export"]) => self.export(call, wa_id).await,
            ("DELETE", ["customers", wa_id]) => self.erase(call, wa_id).await,
            ("GET", ["audit"]) => self.audit(call).await,
            ("GET", ["config", "audit"]) => self.config_audit(call).await,
            ("POST", ["config", "bot", "try"]) => self.config_try_bot(call).await,
            ("POST", ["config", "sla", "preview"]) => self.config_sla_preview(call).await,
            ("GET", ["config", kind]) => self.config_get(call, kind).await,
            ("GET", ["config", kind, "versions"]) => self.config_versions(call, kind).await,
            ("GET", ["config", kind, "versions", v]) => self.config_version(call, kind, v).await,
            ("GET", ["config", kind, "diff"]) => self.config_diff(call, kind).await,
            ("GET", ["config", kind, "export"]) => self.config_export(call, kind).await,
            ("PUT", ["config", kind, "draft"]) => self.config_save_draft(call, kind).await,
            ("POST", ["config", kind, "publish"]) => self.config_publish(call, kind).await,
            ("POST", ["config", kind, "rollback"]) => self.config_rollback(call, kind).await,
            ("GET", ["bot", "unrecognised"]) => self.bot_unrecognised(call).await,
            ("POST", ["bot", "unrecognised", id, "adopt"]) => self.bot_adopt(call, id).await,
            _ => Err(unrouted(call)),
        }
    }

    /// The views read the SLA policies without I/O: they are brought up to the published
    /// ones (a cached read unless the check interval passed); likewise the routing's teams
    /// (who owns a ticket without a team).
    async fn read_live_config(&self) {
        self.desk.sla_now().await;
        self.routing_teams().await;
    }
}

/// No route: 405 for a path we serve with another method, else 404.
fn unrouted(call: &Call<'_, '_>) -> ApiError {
    let method = call.request.method;
    match call.segments.as_slice() {
        [
            "me" | "tickets" | "agents" | "templates" | "canned" | "views" | "analytics"
            | "customers" | "config" | "bot" | "search",
            ..,
        ] => ApiError::new(
            405,
            "method_not_allowed",
            format!("{method} {} is not supported", call.request.path),
        ),
        _ => ApiError::not_found(format!("no route {}", call.request.path)),
    }
}

/// A query string, parsed once; a repeated key is refused.
pub(super) struct Query(BTreeMap<String, String>);

impl Query {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::field(&k, "is given twice"));
            }
        }
        Ok(Self(map))
    }

    /// The parameter's value; an empty one counts as not given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Refuses parameters the endpoint does not know (a typo would otherwise filter nothing).
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::field(
                k,
                format!("is not a known parameter ({})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        // serde names the field in messages such as "missing field `text`".
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("missing field")
                    || message.starts_with("unknown field")
                    || message.starts_with("duplicate field")
            })
            .unwrap_or("body");
        let mut err = ApiError::new(400, "invalid_request", format!("the JSON body: {message}"));
        err.fields.insert(field.to_owned(), message);
        err
    })
}
