//! The local runner's HTTP server: the webhook at `/webhook` (the same path as in AWS), the agent
//! API under `/api`, the simulated WhatsApp (see [`crate::simulator`]), the `/simulator` and
//! `/console` pages and, with in-memory adapters, a JSON view of what is stored and queued at
//! `/dev/state` and the demo agents' keys at `/dev/demo-keys`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use helpdesk::api::{AgentApi, ApiRequest, Role};
use helpdesk::notify::MemoryNotifier;
use helpdesk::queue::MemoryQueue;
use helpdesk::store::{MemoryStore, TicketStore};
use helpdesk::timers::MemoryTimers;
use helpdesk::webhook::{MAX_BODY_BYTES, WebhookHandler};
use serde_json::json;

use crate::pages;
use crate::simulator::Simulator;

/// What the server inspects in in-memory mode.
#[derive(Clone)]
pub struct MemoryView {
    pub store: Arc<MemoryStore>,
    pub queue: Arc<MemoryQueue>,
    pub handoffs: Arc<MemoryQueue>,
    /// SLA timers waiting to fire, and the alerts sent.
    pub timers: Arc<MemoryTimers>,
    pub notifier: Arc<MemoryNotifier>,
    /// Customers' media as the helpdesk keeps them (S3 in AWS).
    pub media: Arc<helpdesk::media::MemoryMediaStore>,
}

/// A demo agent the console offers at login.
#[derive(Debug, Clone)]
pub struct DemoKey {
    pub agent: String,
    pub role: Role,
    pub key: String,
}

#[derive(Clone)]
struct AppState {
    webhook: Arc<WebhookHandler>,
    api: Option<Arc<AgentApi>>,
    memory: Option<MemoryView>,
    /// The demo agents' API keys (empty when `HELPDESK_API_KEYS` configures real ones).
    demo_keys: Vec<DemoKey>,
}

pub fn router(
    webhook: Arc<WebhookHandler>,
    api: Option<Arc<AgentApi>>,
    memory: Option<MemoryView>,
    demo_keys: Vec<DemoKey>,
    simulator: &Arc<Simulator>,
) -> Router {
    Router::new()
        .route("/webhook", get(webhook_route).post(webhook_route))
        .route("/api/{*path}", any(api_route))
        .route("/dev/state", get(state_route))
        .route("/dev/demo-keys", get(demo_keys_route))
        .route("/dev/media/{*key}", get(media_route))
        // Our handler answers 413 itself; let slightly larger bodies reach it.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES + 64 * 1024))
        .with_state(AppState {
            webhook,
            api,
            memory,
            demo_keys,
        })
        .merge(simulator.routes())
        .merge(pages::routes())
}

/// The agent API under `/api` (in AWS it has its own HttpApi; the paths after `/api` match).
async fn api_route(
    State(app): State<AppState>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(api) = app.api else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_available", "message": "the agent API is not configured"})),
        )
            .into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let response = api
        .handle(&ApiRequest {
            method: method.as_str(),
            path: &format!("/{path}"),
            query: query.as_deref(),
            authorization: header("authorization"),
            idempotency_key: header("idempotency-key"),
            claims: None,
            body: &body,
        })
        .await;
    (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(response.body),
    )
        .into_response()
}

async fn webhook_route(
    State(app): State<AppState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.webhook
        .handle(&method, query.as_deref(), &headers, &body)
        .await
        .into_response()
}

/// A kept media file (the link the agent API gives locally; S3 presigned links in AWS).
async fn media_route(State(app): State<AppState>, Path(key): Path<String>) -> Response {
    let found = app
        .memory
        .as_ref()
        .and_then(|m| m.media.get(&format!("media/{key}")));
    match found {
        Some((bytes, mime)) => ([(axum::http::header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": "no such media"})),
        )
            .into_response(),
    }
}

async fn state_route(State(app): State<AppState>) -> Response {
    let Some(memory) = app.memory else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            Json(json!({"error": "not_available", "message": "/dev/state shows in-memory state only"})),
        )
            .into_response();
    };
    let mut tickets = Vec::new();
    for ticket in memory.store.tickets() {
        let messages = memory.store.messages(ticket.id).await.unwrap_or_default();
        tickets.push(json!({ "ticket": ticket, "messages": messages }));
    }
    let inbound: Vec<helpdesk::queue::InboundQueueItem> = memory.queue.peek_as();
    let handoffs: Vec<helpdesk::handoff::HandoffItem> = memory.handoffs.peek_as();
    let timers: Vec<_> = memory
        .timers
        .armed()
        .into_iter()
        .map(|t| json!({ "name": t.name.as_str(), "due_at": t.due_at }))
        .collect();
    Json(json!({
        "tickets": tickets,
        "inbound_queue": inbound,
        "handoff_queue": handoffs,
        "sla_timers": timers,
        "notifications": memory.notifier.sent(),
        "agents": memory.store.agents().await.unwrap_or_default(),
    }))
    .into_response()
}

/// `[{agent, role, key}]`: the demo agents the console offers (in-memory mode without
/// `HELPDESK_API_KEYS` only).
async fn demo_keys_route(State(app): State<AppState>) -> Response {
    match Some(app.demo_keys).filter(|keys| !keys.is_empty()) {
        Some(keys) => Json(json!(
            keys.iter()
                .map(|k| json!({ "agent": k.agent, "role": k.role.as_str(), "key": k.key }))
                .collect::<Vec<_>>()
        ))
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({
                "error": "not_available",
                "message": "demo keys exist only without HELPDESK_API_KEYS; sign in with your key",
            })),
        )
            .into_response(),
    }
}

pub async fn serve(addr: SocketAddr, app: Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
