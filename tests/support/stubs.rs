//! Local HTTP stand-ins for the outside APIs: the WhatsApp Cloud API and the shop's order API.
//! They listen on loopback, record what they receive and answer from a script.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
    /// The stub answered 200 (a message WhatsApp would deliver).
    pub accepted: bool,
}

#[derive(Default)]
struct Script {
    received: Vec<Received>,
    answers: VecDeque<(u16, Value)>,
    sent: u64,
    /// Media by id: (MIME type, bytes); the stub's own url serves the download.
    media: Vec<(String, String, Vec<u8>)>,
    base: String,
    /// Media ids whose download was asked for (with a token or not).
    downloads: Vec<String>,
    /// How long every message send and mark-read takes to be answered (a slow Cloud API).
    delay: std::time::Duration,
    /// Files the helpdesk uploaded to the media endpoint: (Content-Type header, raw body).
    uploads: Vec<(String, Vec<u8>)>,
}

/// The WhatsApp Cloud API: `POST /{version}/{phone_number_id}/messages`.
#[derive(Clone)]
pub struct WhatsAppStub {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl WhatsAppStub {
    pub async fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new()
            .route("/{version}/{number}/messages", post(messages))
            .route("/{version}/{number}/media", post(media_upload))
            .route("/{version}/{media_id}", get(media_lookup))
            .route("/download/{media_id}", get(media_download))
            .with_state(script.clone());
        let url = serve(app).await;
        script.lock().unwrap().base = url.clone();
        Self { url, script }
    }

    /// A customer's upload, fetchable by `id` as from Meta's media endpoint.
    pub fn add_media(&self, id: &str, mime_type: &str, bytes: &[u8]) {
        self.script.lock().unwrap().media.push((
            id.to_owned(),
            mime_type.to_owned(),
            bytes.to_vec(),
        ));
    }

    /// The next message sends get these answers (status, JSON body), in order.
    pub fn answer_next(&self, answers: impl IntoIterator<Item = (u16, Value)>) {
        self.script.lock().unwrap().answers.extend(answers);
    }

    /// Every later `messages` call (sends and mark-read) is answered only after `delay`.
    pub fn answer_slowly(&self, delay: std::time::Duration) {
        self.script.lock().unwrap().delay = delay;
    }

    /// The media uploads received: their Content-Type header and raw (multipart) body.
    pub fn uploads(&self) -> Vec<(String, Vec<u8>)> {
        self.script.lock().unwrap().uploads.clone()
    }

    /// The media ids whose file was downloaded.
    pub fn downloads(&self) -> Vec<String> {
        self.script.lock().unwrap().downloads.clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Messages accepted for customers (mark-read calls and refused attempts left out).
    pub fn sent(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.accepted && r.body.get("status").is_none())
            .map(|r| r.body)
            .collect()
    }

    /// The text a customer reads in each sent message.
    pub fn texts(&self) -> Vec<String> {
        self.sent()
            .iter()
            .map(|b| {
                b["text"]["body"]
                    .as_str()
                    .or(b["interactive"]["body"]["text"].as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }
}

async fn messages(
    State(script): State<Arc<Mutex<Script>>>,
    Path((version, number)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let delay = script.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let mut s = script.lock().unwrap();
    let refusal = if body.get("status").is_some() {
        None
    } else {
        s.answers.pop_front().filter(|(status, _)| *status != 200)
    };
    s.received.push(Received {
        path: format!("/{version}/{number}/messages"),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.clone(),
        accepted: refusal.is_none(),
    });
    if body.get("status").is_some() {
        return Json(json!({"success": true})).into_response();
    }
    if let Some((status, answer)) = refusal {
        return (StatusCode::from_u16(status).unwrap(), Json(answer)).into_response();
    }
    s.sent += 1;
    let id = format!("wamid.stub{:04}", s.sent);
    Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}], "messages": [{"id": id}]}))
        .into_response()
}

/// `POST /{version}/{phone-number-id}/media`: keeps the upload, answers `{id}` as Meta does.
async fn media_upload(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if headers.get("authorization").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut s = script.lock().unwrap();
    s.uploads.push((content_type, body.to_vec()));
    Json(json!({"id": format!("stub-media-{}", s.uploads.len())})).into_response()
}

/// `GET /{version}/{media-id}`: the url (on this stub), type, size and hex SHA-256, as Meta gives.
async fn media_lookup(
    State(script): State<Arc<Mutex<Script>>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if headers.get("authorization").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let s = script.lock().unwrap();
    match s.media.iter().find(|(m, _, _)| *m == id) {
        Some((_, mime, bytes)) => {
            use sha2::Digest;
            Json(json!({
                "messaging_product": "whatsapp",
                "id": id,
                "url": format!("{}/download/{id}", s.base),
                "mime_type": mime,
                "file_size": bytes.len(),
                "sha256": hex::encode(sha2::Sha256::digest(bytes)),
            }))
            .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": 100, "message": "unknown media"}})),
        )
            .into_response(),
    }
}

async fn media_download(
    State(script): State<Arc<Mutex<Script>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut s = script.lock().unwrap();
    s.downloads.push(id.clone());
    if headers.get("authorization").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match s.media.iter().find(|(m, _, _)| *m == id) {
        Some((_, mime, bytes)) => ([("content-type", mime.clone())], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One order of the stand-in shop, with whose it is.
#[derive(Debug, Clone)]
pub struct StubOrder {
    pub id: String,
    /// The WhatsApp id the order was placed with.
    pub wa_id: String,
    pub postcode: String,
    /// The 200 answer: `{"order_id","status","carrier","tracking_url","eta"}`.
    pub body: Value,
}

/// The shop, as the README's order API contract describes it: `POST /orders/lookup` answers
/// 200 with the order when the customer's number (or the postcode) is on it, 403 when not,
/// 404 for an unknown number; or scripted failures.
#[derive(Clone)]
pub struct OrderStub {
    pub url: String,
    script: Arc<Mutex<Shop>>,
}

#[derive(Default)]
struct Shop {
    orders: Vec<StubOrder>,
    failures: VecDeque<u16>,
    lookups: Vec<(Option<String>, Value)>,
}

impl OrderStub {
    pub async fn start(orders: Vec<StubOrder>) -> Self {
        let script = Arc::new(Mutex::new(Shop {
            orders,
            ..Shop::default()
        }));
        let app = Router::new()
            .route("/orders/lookup", post(order))
            .with_state(script.clone());
        let url = serve(app).await;
        Self { url, script }
    }

    /// The next requests fail with these statuses.
    pub fn fail_next(&self, statuses: impl IntoIterator<Item = u16>) {
        self.script.lock().unwrap().failures.extend(statuses);
    }

    pub fn requests(&self) -> usize {
        self.script.lock().unwrap().lookups.len()
    }

    /// Every lookup received: the Authorization header and the JSON body.
    pub fn lookups(&self) -> Vec<(Option<String>, Value)> {
        self.script.lock().unwrap().lookups.clone()
    }
}

async fn order(
    State(script): State<Arc<Mutex<Shop>>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let mut s = script.lock().unwrap();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.lookups.push((authorization, request.clone()));
    if let Some(status) = s.failures.pop_front() {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let Some(order) = s
        .orders
        .iter()
        .find(|o| request["order_id"] == o.id.as_str())
    else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response();
    };
    let by_number = request["customer"]["wa_id"] == order.wa_id.as_str();
    let by_postcode = request["postcode"] == order.postcode.as_str();
    if by_number || by_postcode {
        Json(order.body.clone()).into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "not_customer"})),
        )
            .into_response()
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
