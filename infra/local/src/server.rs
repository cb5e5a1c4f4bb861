//! The local runner's HTTP server: the webhook at `/webhook` (the same path as in AWS), the agent
//! API under `/api`, the simulated WhatsApp (see [`crate::simulator`]), the `/simulator` and
//! `/console` pages and, with in-memory adapters, a JSON view of what is stored and queued at
//! `/dev/state`, the ticket events at `/dev/events` and the demo agents' keys at `/dev/demo-keys`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use helpdesk::app::agent_api::{AgentApi, ApiRequest, Role};
use helpdesk::app::intake::webhook::{MAX_BODY_BYTES, WebhookHandler};
use helpdesk::ports::notify::MemoryNotifier;
use helpdesk::ports::queue::MemoryQueue;
use helpdesk::ports::store::{MemoryStore, TicketStore};
use helpdesk::ports::timers::MemoryTimers;
use serde_json::json;

use crate::pages;
use crate::safety::{RequestGuard, guard};
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
    pub media: Arc<helpdesk::ports::media::MemoryMediaStore>,
    /// Ticket events as EventBridge would have received them (`/dev/events`).
    pub events: Arc<helpdesk::ports::events::MemoryEventBus>,
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
    requests: RequestGuard,
) -> Router {
    Router::new()
        .route("/webhook", get(webhook_route).post(webhook_route))
        .route("/api/{*path}", any(api_route))
        .route("/dev/state", get(state_route))
        .route("/dev/demo-keys", get(demo_keys_route))
        .route("/dev/events", get(events_route))
        .route("/dev/media/{*key}", get(media_route))
        .route("/dev/outbound/{*key}", get(outbound_media_route))
        // Our handler answers 413 itself; let slightly larger bodies reach it.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES + 64 * 1024))
        // Agents' files, as S3 takes a presigned PUT (up to WhatsApp's largest, a document).
        .route(
            "/uploads/{*key}",
            axum::routing::put(upload_route).layer(DefaultBodyLimit::max(
                usize::try_from(helpdesk::domain::attachment::MediaKind::Document.max_bytes())
                    .unwrap_or(usize::MAX),
            )),
        )
        .with_state(AppState {
            webhook,
            api,
            memory,
            demo_keys,
        })
        .merge(simulator.routes())
        .merge(pages::routes())
        .merge(crate::shop::routes(
            helpdesk::ports::orders::MemoryOrders::demo(),
        ))
        // Every route: only requests addressed to this runner, `/dev` writes as JSON from its
        // own pages (see [`crate::safety`]).
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(requests),
            guard,
        ))
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
    let mut answer = (
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(axum::http::header::CONTENT_TYPE, response.content_type())],
        response.body_text(),
    )
        .into_response();
    if let Some(value) = response
        .content_disposition()
        .and_then(|d| axum::http::HeaderValue::from_str(&d).ok())
    {
        answer
            .headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    answer
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
    kept_file(&app, &format!("media/{key}"))
}

/// A file an agent sent (kept under `outbound/`).
async fn outbound_media_route(State(app): State<AppState>, Path(key): Path<String>) -> Response {
    kept_file(&app, &format!("outbound/{key}"))
}

/// `PUT /uploads/{key}?expires=&signature=`: an agent's file to the URL the agent API gave,
/// refused (403, as S3 does) unless it is the type and size the URL was signed for, in time.
async fn upload_route(
    State(app): State<AppState>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(memory) = app.memory else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_available", "message": "uploads go to S3 with --aws"})),
        )
            .into_response();
    };
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match memory.media.accept_upload(
        &key,
        query.as_deref().unwrap_or(""),
        content_type,
        &body,
        jiff::Timestamp::now(),
    ) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "upload_refused", "message": e.to_string()})),
        )
            .into_response(),
    }
}

fn kept_file(app: &AppState, key: &str) -> Response {
    let found = app.memory.as_ref().and_then(|m| m.media.get(key));
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
    let inbound: Vec<helpdesk::ports::queue::InboundQueueItem> = memory.queue.peek_as();
    let handoffs: Vec<helpdesk::domain::handoff::HandoffItem> = memory.handoffs.peek_as();
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

/// `{"source", "events": [{id, detail_type, time, detail}]}`: the ticket events published so
/// far, oldest first, as a rule on the EventBridge bus would receive them (in-memory mode; in
/// AWS subscribe to the bus, see README "Integrations"). `?ticket=<id>` keeps one ticket's.
async fn events_route(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(memory) = app.memory else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_available", "message": "/dev/events shows in-memory events only; in AWS subscribe to the event bus"})),
        )
            .into_response();
    };
    let ticket = ticket_param(query.as_deref());
    let events: Vec<_> = memory
        .events
        .published()
        .into_iter()
        .filter(|e| {
            ticket
                .as_deref()
                .is_none_or(|t| e.detail["ticket_id"].as_str() == Some(t))
        })
        .collect();
    Json(json!({ "source": helpdesk::ports::events::SOURCE, "events": events })).into_response()
}

/// The `ticket` parameter of a query string.
fn ticket_param(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "ticket")
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
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

/// What the start banner tells.
pub struct Banner<'a> {
    /// Where the runner listens, and where it is reached (a wildcard address on loopback).
    pub addr: SocketAddr,
    pub here: SocketAddr,
    pub aws: bool,
    /// `/dev/state` and `/dev/whatsapp` answer (in-memory mode only).
    pub in_memory: bool,
    pub agent_api: bool,
    pub demo_keys: &'a [DemoKey],
    pub graph_version: &'a str,
    pub phone_number_id: &'a str,
    /// The public local app secret and verify token (in-memory mode only).
    pub local_secrets: (&'a str, &'a str),
}

/// The lines the runner prints at start: pages, endpoints, keys and what to try. Only what
/// answers in this mode is suggested (`/dev/state` answers 404 with `--aws`).
pub fn banner(b: &Banner<'_>) -> String {
    let mut out = String::new();
    pages(&mut out, b);
    endpoints(&mut out, b);
    api_and_keys(&mut out, b);
    what_to_try(&mut out, b);
    out
}

/// The mode, and the two pages to open.
fn pages(out: &mut String, b: &Banner<'_>) {
    use std::fmt::Write;
    let (addr, here) = (b.addr, b.here);
    let mode = if b.aws {
        "AWS endpoints from the environment"
    } else {
        "in-memory store and queue"
    };
    let _ = writeln!(out, "helpdesk listening on http://{addr} ({mode})\n");
    let _ = writeln!(
        out,
        "  WhatsApp simulator  http://{here}/simulator   (chat as a customer)"
    );
    let _ = writeln!(
        out,
        "  agent console       http://{here}/console     (work the tickets)\n"
    );
}

/// The webhook, the simulated Cloud API and shop, and where the state is seen.
fn endpoints(out: &mut String, b: &Banner<'_>) {
    use std::fmt::Write;
    let (addr, here) = (b.addr, b.here);
    let _ = writeln!(
        out,
        "  webhook   http://{addr}/webhook   (GET verification, POST notifications)"
    );
    let _ = writeln!(
        out,
        "  cloud API http://{here}/graph/{}/{}/messages (simulated; statuses go to the webhook)",
        b.graph_version, b.phone_number_id
    );
    let _ = writeln!(
        out,
        "  shop      http://{here}/shop/orders/lookup (the demo shop's order API)"
    );
    if b.in_memory {
        let _ = writeln!(
            out,
            "  state     http://{addr}/dev/state (tickets, messages, queues)"
        );
        let _ = writeln!(
            out,
            "  whatsapp  http://{addr}/dev/whatsapp (what the bot sent; demo orders 100234, 100235, 100236)"
        );
        let _ = writeln!(
            out,
            "  events    http://{here}/events (ticket events an integration receives; JSON at /dev/events)"
        );
        let (secret, token) = b.local_secrets;
        let _ = writeln!(
            out,
            "  app secret {secret:?}, verify token {token:?} unless set in the environment"
        );
    } else {
        let _ = writeln!(
            out,
            "  state     in the DynamoDB table of HELPDESK_TABLE (tickets, messages, agents)"
        );
    }
}

/// The agent API and the keys to call it with.
fn api_and_keys(out: &mut String, b: &Banner<'_>) {
    use std::fmt::Write;
    let addr = b.addr;
    if b.agent_api {
        let _ = writeln!(
            out,
            "  agent API http://{addr}/api/tickets (Authorization: Bearer <key>)"
        );
        for k in b.demo_keys {
            let _ = writeln!(
                out,
                "    {:<6} {:<10} key {}",
                k.agent,
                k.role.as_str(),
                k.key
            );
        }
        if b.aws && b.demo_keys.is_empty() {
            let _ = writeln!(
                out,
                "    keys from HELPDESK_API_KEYS (or start with --demo-agents for maria, tom, alex, ada)"
            );
        }
    }
}

/// Commands to try from another terminal.
fn what_to_try(out: &mut String, b: &Banner<'_>) {
    use std::fmt::Write;
    let addr = b.addr;
    let _ = writeln!(out, "Try, from another terminal:");
    let _ = writeln!(
        out,
        "  cargo run -q -p helpdesk-local -- say \"Wo ist mein Paket?\""
    );
    let _ = writeln!(
        out,
        "  cargo run -q -p helpdesk-local -- send tests/fixtures/all_message_types.json"
    );
    if b.in_memory {
        let _ = writeln!(out, "  curl -s http://{addr}/dev/state");
    }
    if let Some(k) = b.demo_keys.first() {
        let _ = writeln!(
            out,
            "  curl -s -H 'Authorization: Bearer {}' http://{addr}/api/tickets",
            k.key
        );
    }
}

pub async fn serve(addr: SocketAddr, app: Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner_for(aws: bool, demo_keys: &[DemoKey]) -> String {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        banner(&Banner {
            addr,
            here: addr,
            aws,
            in_memory: !aws,
            agent_api: true,
            demo_keys,
            graph_version: "v23.0",
            phone_number_id: "1065",
            local_secrets: ("local-app-secret", "local-verify-token"),
        })
    }

    #[test]
    fn the_aws_banner_suggests_no_dev_state_and_no_public_secret() {
        let text = banner_for(true, &[]);
        assert!(!text.contains("/dev/state"), "{text}");
        assert!(!text.contains("local-app-secret"), "{text}");
        assert!(text.contains("--demo-agents"), "{text}");
    }

    #[test]
    fn the_in_memory_banner_shows_the_state_and_the_demo_keys() {
        let keys = [DemoKey {
            agent: "maria".into(),
            role: Role::Supervisor,
            key: "demo-maria".into(),
        }];
        let text = banner_for(false, &keys);
        assert!(
            text.contains("curl -s http://127.0.0.1:8080/dev/state"),
            "{text}"
        );
        assert!(text.contains("demo-maria"), "{text}");
    }
}
