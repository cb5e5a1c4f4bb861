//! The webhook endpoint, independent of how HTTP arrives (API Gateway through lambda_http, or
//! the local runner's server): `GET` answers Meta's verification challenge, `POST` takes
//! notifications.

use std::time::Instant;

use http::{HeaderMap, Method, Response, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;
use tracing::{error, info, warn};

use super::plan::plan;
use super::signature::SignatureVerifier;
use crate::app::intake::Intake;
use crate::platform::metrics::{Count, Metrics};

/// Meta sends at most 3 MB per webhook.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// Meta's challenge is a number; anything this long is not one.
const MAX_CHALLENGE_LEN: usize = 256;
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

pub struct WebhookHandler {
    intake: Intake,
    verifier: SignatureVerifier,
    verify_token: SecretString,
    metrics: Metrics,
}

impl WebhookHandler {
    pub fn new(intake: Intake, app_secret: &SecretString, verify_token: SecretString) -> Self {
        Self {
            intake,
            verifier: SignatureVerifier::new(app_secret),
            verify_token,
            metrics: Metrics::off(),
        }
    }

    /// One metric line per notification: messages in, duplicates, time to answer.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one request. `query` is the raw query string, `body` the raw body bytes.
    pub async fn handle(
        &self,
        method: &Method,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response<String> {
        match *method {
            Method::GET => self.verify_subscription(query),
            Method::POST => {
                let started = Instant::now();
                let response = self.notification(headers, body).await;
                self.metrics.ack_latency(started.elapsed());
                self.metrics.flush();
                response
            }
            _ => {
                let mut response = error_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "use GET or POST",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, http::HeaderValue::from_static("GET, POST"));
                response
            }
        }
    }

    fn verify_subscription(&self, query: Option<&str>) -> Response<String> {
        let (mut mode, mut token, mut challenge) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "hub.mode" => mode = Some(v),
                "hub.verify_token" => token = Some(v),
                "hub.challenge" => challenge = Some(v),
                _ => {}
            }
        }
        let (Some(mode), Some(token), Some(challenge)) = (mode, token, challenge) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                "missing_parameter",
                "hub.mode, hub.verify_token and hub.challenge are required",
            );
        };
        if challenge.is_empty()
            || challenge.len() > MAX_CHALLENGE_LEN
            || !challenge.bytes().all(|b| b.is_ascii_graphic())
        {
            return error_response(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "hub.challenge is not a valid challenge",
            );
        }
        let token_ok: bool = token
            .as_bytes()
            .ct_eq(self.verify_token.expose_secret().as_bytes())
            .into();
        if mode != "subscribe" || !token_ok {
            warn!(mode = %mode, "webhook verification refused");
            return error_response(
                StatusCode::FORBIDDEN,
                "verification_failed",
                "hub.mode or hub.verify_token is wrong",
            );
        }
        info!("webhook verification accepted");
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(challenge.into_owned())
            .unwrap_or_default()
    }

    async fn notification(&self, headers: &HeaderMap, body: &[u8]) -> Response<String> {
        let started = Instant::now();
        if body.len() > MAX_BODY_BYTES {
            warn!(bytes = body.len(), "webhook body too large");
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &format!(
                    "body is {} bytes, at most {MAX_BODY_BYTES} are accepted",
                    body.len()
                ),
            );
        }
        let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
        if let Err(e) = self.verifier.verify(signature, body) {
            warn!(reason = %e, "webhook signature rejected");
            return error_response(
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                &e.to_string(),
            );
        }
        let plan = match plan(body) {
            Ok(plan) => plan,
            Err(e) => {
                // The answer tells the sender everything; the log keeps no value from the body.
                warn!(reason = %e.redacted(), "webhook payload rejected");
                return error_response(StatusCode::BAD_REQUEST, "invalid_payload", &e.to_string());
            }
        };
        for e in &plan.webhook_errors {
            warn!(
                code = e.code,
                title = e.title.as_ref().map(|t| t.as_str()),
                "Meta reported an error in the webhook"
            );
        }
        let report = self.intake.ingest(&plan).await;
        self.metrics.add(Count::MessagesIn, report.stored);
        self.metrics
            .add(Count::DuplicateMessages, report.duplicates);
        let s = &plan.summary;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &report.error {
            None => {
                info!(
                    entries = s.entries,
                    changes = s.changes,
                    ignored_changes = s.ignored_changes,
                    unreadable_template_updates = s.unreadable_template_updates,
                    messages = s.messages,
                    stored = report.stored,
                    duplicates = report.duplicates,
                    tickets_opened = report.tickets_opened,
                    enqueued = report.enqueued,
                    statuses = s.statuses,
                    statuses_applied = report.statuses_applied,
                    statuses_unknown = report.statuses_unknown,
                    statuses_held = report.statuses_held,
                    statuses_ignored = s.ignored_statuses,
                    elapsed_ms,
                    status = 200,
                    "webhook handled"
                );
                json_response(
                    StatusCode::OK,
                    json!({"status": "received", "messages": s.messages, "statuses": s.statuses}),
                )
            }
            Some(e) => {
                let status = if e.is_retryable() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                error!(
                    error = %e, retryable = e.is_retryable(), messages = s.messages, stored = report.stored,
                    duplicates = report.duplicates, enqueued = report.enqueued, elapsed_ms,
                    status = status.as_u16(), "webhook not fully handled; Meta will deliver it again"
                );
                error_response(
                    status,
                    "not_stored",
                    "not every message could be stored and queued; deliver again",
                )
            }
        }
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<String> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .unwrap_or_default()
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response<String> {
    json_response(status, json!({"error": code, "message": message}))
}

#[cfg(test)]
mod tests;
