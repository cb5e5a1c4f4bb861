//! A simulated WhatsApp for the local runner: the Cloud API the helpdesk sends to (served under
//! `/graph`, so the real [`helpdesk::ports::whatsapp::CloudApi`] client talks to it exactly as to
//! Meta), and the customers' phones the `/simulator` page shows (JSON under `/dev/simulator`).
//!
//! Like Meta, it answers a send with the new message's wamid and then calls the helpdesk's
//! webhook, signed with the app secret, with the statuses `sent` and `delivered`, and `read` once
//! the customer has the chat open (the page polls it). A customer's message goes to the webhook
//! in Meta's format; a file the customer attaches stays here and the webhook carries its media id,
//! to be fetched with `GET /graph/{version}/{media-id}` and the download URL it returns.
//!
//! | method | path | |
//! |---|---|---|
//! | POST | `/graph/{version}/{phone-number-id}/messages` | send (text, interactive, template) or mark read |
//! | POST | `/graph/{version}/{phone-number-id}/media` | a file the helpdesk uploads (multipart), to send by its id |
//! | GET | `/graph/{version}/{media-id}` | media URL, type, SHA-256, size |
//! | GET | `/graph/media/{media-id}/download` | the file |
//! | POST | `/dev/simulator/messages` | a customer writes, taps or attaches |
//! | GET | `/dev/simulator/chat?wa_id=&seen=` | a customer's chat as the phone shows it |
//! | GET | `/dev/simulator/chats` | every customer who wrote, newest first |
//! | GET | `/dev/simulator/media/{media-id}` | a customer's file, for the page |
//! | GET | `/dev/whatsapp` | everything the helpdesk sent (the `say` command reads it) |
//! | GET, POST | `/graph/{version}/{waba-id}/message_templates` | the account's templates (see `templates`) |
//! | GET | `/dev/templates` | the account's templates with their status |
//! | POST | `/dev/templates/{id}/status` `{event, reason?}` | Meta's review decides; fires the status webhook |

mod graph;
mod inbound;
mod routes;
mod templates;

pub use graph::{GraphError, GraphRequest};
pub use inbound::{
    BusinessNumber, CustomerContent, CustomerMessage, InputError, MAX_MEDIA_BYTES, ReplyKind,
    Upload, UploadKind,
};
use routes::{
    authorized, chat, chats, customer_writes, graph_download, graph_media, graph_messages,
    graph_upload, input_error, page_media, sent_by_business,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use base64::Engine;
use bytes::Bytes;
use helpdesk::app::intake::webhook::SignatureVerifier;
use helpdesk::app::intake::webhook::sample::{SampleStatus, status_notification};
use helpdesk::domain::ids::WaId;
use helpdesk::domain::templates::TemplateCatalog;
use helpdesk::ports::clock::Clock;
use helpdesk::ports::whatsapp::OutboundBody;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::warn;

/// How the simulator reaches the helpdesk and presents itself.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The helpdesk's webhook, e.g. `http://127.0.0.1:8080/webhook`.
    pub webhook_url: String,
    /// Where this simulator's Graph API is served, e.g. `http://127.0.0.1:8080/graph` (media
    /// download URLs point there).
    pub graph_url: String,
    pub app_secret: SecretString,
    pub number: BusinessNumber,
    /// The WhatsApp Business Account id: its templates are served under
    /// `/graph/{version}/{id}/message_templates`.
    pub business_account_id: String,
    /// The pause before each delivery status (`sent`, then `delivered`).
    pub status_delay: Duration,
}

/// Where a message is on its way, as the ticks on the phone show it. Never goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tick {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl Tick {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
enum Said {
    /// From the customer: text, a tap or a file (the file itself is in `media`).
    Customer(Shown),
    /// From the helpdesk.
    Business(OutboundBody),
}

#[derive(Debug, Clone)]
enum Shown {
    Text(String),
    Reply {
        kind: ReplyKind,
        id: String,
        title: String,
    },
    Media {
        kind: UploadKind,
        media_id: String,
        filename: String,
        mime_type: String,
        caption: Option<String>,
        file_size: usize,
    },
    Reaction {
        message_id: String,
        emoji: String,
    },
}

#[derive(Debug, Clone)]
struct ChatMessage {
    wamid: String,
    wa_id: String,
    at: Timestamp,
    said: Said,
    /// The earlier message of the chat this one quotes.
    quote: Option<String>,
    tick: Tick,
    error: Option<String>,
}

#[derive(Debug, Clone)]
struct StoredMedia {
    bytes: Bytes,
    mime_type: String,
    sha256: [u8; 32],
    filename: String,
}

#[derive(Debug, Default)]
struct Phones {
    messages: Vec<ChatMessage>,
    names: HashMap<String, String>,
    media: HashMap<String, StoredMedia>,
    counter: u64,
    /// wa_id -> until when the business shows "typing…" (Meta: 25 s or the next message).
    typing: HashMap<String, std::time::Instant>,
}

impl Phones {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn message_mut(&mut self, wamid: &str) -> Option<&mut ChatMessage> {
        self.messages.iter_mut().find(|m| m.wamid == wamid)
    }

    /// Moves a message's ticks forward (never back; `failed` is final).
    fn advance(&mut self, wamid: &str, tick: Tick) -> bool {
        match self.message_mut(wamid) {
            Some(m) if m.tick < tick && m.tick != Tick::Failed => {
                m.tick = tick;
                true
            }
            _ => false,
        }
    }
}

/// A file the customer sends: kept on the phone for the helpdesk to download, announced with
/// its hash in base64, as Meta's webhooks do.
fn media_content(
    phones: &mut Phones,
    media_id: String,
    content: &mut Value,
    upload: Upload,
) -> Shown {
    let sha256: [u8; 32] = Sha256::digest(&upload.bytes).into();
    let kind = upload.kind.as_str();
    let mut part = json!({
        "id": media_id,
        "mime_type": upload.mime_type,
        "sha256": base64::engine::general_purpose::STANDARD.encode(sha256),
    });
    if let Some(caption) = &upload.caption {
        part["caption"] = json!(caption);
    }
    match upload.kind {
        UploadKind::Document => part["filename"] = json!(upload.filename),
        UploadKind::Audio => part["voice"] = json!(false),
        UploadKind::Image => {}
    }
    content["type"] = json!(kind);
    content[kind] = part;
    let file_size = upload.bytes.len();
    phones.media.insert(
        media_id.clone(),
        StoredMedia {
            bytes: Bytes::from(upload.bytes),
            mime_type: upload.mime_type.clone(),
            sha256,
            filename: upload.filename.clone(),
        },
    );
    Shown::Media {
        kind: upload.kind,
        media_id,
        filename: upload.filename,
        mime_type: upload.mime_type,
        caption: upload.caption,
        file_size,
    }
}

/// What the customer said, as the chat page shows it.
fn show_customer(v: &mut Value, shown: &Shown) {
    match shown {
        Shown::Text(text) => {
            v["type"] = json!("text");
            v["text"] = json!(text);
        }
        Shown::Reaction { message_id, emoji } => {
            v["type"] = json!("reaction");
            v["reaction"] = json!({ "message_id": message_id, "emoji": emoji });
        }
        Shown::Reply { kind, id, title } => {
            v["type"] = json!("reply");
            v["text"] = json!(title);
            v["reply"] = json!({ "kind": kind.as_str(), "id": id, "title": title });
        }
        Shown::Media {
            kind,
            media_id,
            filename,
            mime_type,
            caption,
            file_size,
        } => {
            v["type"] = json!("media");
            v["text"] = json!(caption);
            v["media"] = json!({
                "kind": kind.as_str(),
                "id": media_id,
                "filename": filename,
                "mime_type": mime_type,
                "caption": caption,
                "file_size": file_size,
                "url": format!("/dev/simulator/media/{media_id}"),
            });
        }
    }
}

/// A customer message the helpdesk's webhook did not take.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the helpdesk's webhook answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the helpdesk's webhook could not be reached: {0}")]
    Unreachable(String),
}

pub struct Simulator {
    config: SimulatorConfig,
    signer: SignatureVerifier,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    /// Meta's side of the templates (seeded from the catalogue, all approved).
    account: Mutex<templates::Account>,
    phones: Mutex<Phones>,
}

impl Simulator {
    pub fn new(
        config: SimulatorConfig,
        clock: Arc<dyn Clock>,
        templates: Option<Arc<TemplateCatalog>>,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let http = helpdesk::platform::tls::http_client_builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Arc::new(Self {
            signer: SignatureVerifier::new(&config.app_secret),
            config,
            http,
            clock,
            account: Mutex::new(templates::Account::seeded(templates.as_deref())),
            phones: Mutex::new(Phones::default()),
        }))
    }

    fn account(&self) -> MutexGuard<'_, templates::Account> {
        self.account
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn phones(&self) -> MutexGuard<'_, Phones> {
        self.phones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The routes under `/graph` and `/dev/simulator`, and `/dev/whatsapp`.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/graph/{version}/{owner}/messages", post(graph_messages))
            .route(
                "/graph/{version}/{owner}/message_templates",
                get(templates::graph_list).post(templates::graph_create),
            )
            .route(
                "/graph/{version}/{owner}/media",
                post(graph_upload).layer(DefaultBodyLimit::max(
                    usize::try_from(helpdesk::domain::attachment::MediaKind::Document.max_bytes())
                        .unwrap_or(usize::MAX)
                        + 64 * 1024,
                )),
            )
            .route("/dev/templates", get(templates::dev_list))
            .route("/dev/templates/{id}/status", post(templates::dev_decide))
            .route("/graph/{version}/{media_id}", get(graph_media))
            .route("/graph/media/{media_id}/download", get(graph_download))
            .route(
                "/dev/simulator/messages",
                post(customer_writes)
                    .layer(DefaultBodyLimit::max(inbound::MAX_INPUT_BYTES + 64 * 1024)),
            )
            .route("/dev/simulator/chat", get(chat))
            .route("/dev/simulator/chats", get(chats))
            .route("/dev/simulator/media/{media_id}", get(page_media))
            .route("/dev/whatsapp", get(sent_by_business))
            .with_state(self.clone())
    }

    /// A customer writes: the message is recorded on their phone and sent to the helpdesk's
    /// webhook as Meta would. Returns the message's wamid.
    pub async fn customer_writes(
        self: &Arc<Self>,
        message: CustomerMessage,
    ) -> Result<String, DeliveryError> {
        let (wamid, body) = self.record_customer_message(message);
        match self.post_webhook(body).await {
            Ok(()) => {
                self.phones().advance(&wamid, Tick::Sent);
                Ok(wamid)
            }
            Err(e) => {
                if let Some(m) = self.phones().message_mut(&wamid) {
                    m.tick = Tick::Failed;
                    m.error = Some(e.to_string());
                }
                Err(e)
            }
        }
    }

    /// Records the customer's message on their phone; returns its wamid and the webhook body
    /// Meta would send for it.
    fn record_customer_message(&self, message: CustomerMessage) -> (String, String) {
        let now = self.clock.now();
        let wa_id = message.from.as_str().to_owned();
        let mut phones = self.phones();
        let n = phones.next();
        let wamid = format!(
            "wamid.HBgN{wa_id}FQIAEhgU{:016X}{n:04X}",
            now.as_nanosecond() as u64
        );
        let mut content = json!({
            "from": wa_id, "id": wamid, "timestamp": now.as_second().to_string(),
        });
        let shown = match message.content {
            CustomerContent::Text(text) => {
                content["type"] = json!("text");
                content["text"] = json!({ "body": text });
                Shown::Text(text)
            }
            CustomerContent::Reply { kind, id, title } => {
                self.reply_content(&phones, &wa_id, &mut content, (kind, id, title))
            }
            CustomerContent::Reaction { message_id, emoji } => {
                content["type"] = json!("reaction");
                content["reaction"] = json!({ "message_id": message_id, "emoji": emoji });
                Shown::Reaction { message_id, emoji }
            }
            CustomerContent::Media(upload) => {
                let media_id =
                    format!("{}{n:05}", 10_000_000_000 + now.as_second() % 1_000_000_000);
                media_content(&mut phones, media_id, &mut content, upload)
            }
        };
        if let Some(quoted) = &message.quote {
            content["context"] = json!({
                "from": self.config.number.display_phone_number,
                "id": quoted,
            });
        }
        phones.names.insert(wa_id.clone(), message.name.clone());
        phones.messages.push(ChatMessage {
            wamid: wamid.clone(),
            wa_id: wa_id.clone(),
            at: now,
            said: Said::Customer(shown),
            quote: message.quote.clone(),
            tick: Tick::Pending,
            error: None,
        });
        let body = inbound::message_notification(
            &self.config.number,
            &message.from,
            &message.name,
            content,
        );
        (wamid, body)
    }

    /// A tap on a button or list row: the reply refers to the business message that offered
    /// the choice (and takes its title unless the tap names one).
    fn reply_content(
        &self,
        phones: &Phones,
        wa_id: &str,
        content: &mut Value,
        (kind, id, title): (ReplyKind, String, Option<String>),
    ) -> Shown {
        let offered = phones.messages.iter().rev().find_map(|m| match &m.said {
            Said::Business(body) if m.wa_id == wa_id => choices(body)
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| (m.wamid.clone(), c.title.clone())),
            _ => None,
        });
        let title = title
            .or_else(|| offered.as_ref().map(|(_, t)| t.clone()))
            .unwrap_or_else(|| id.clone());
        let (kind_name, key) = match kind {
            ReplyKind::Button => ("button_reply", "button_reply"),
            ReplyKind::List => ("list_reply", "list_reply"),
        };
        content["type"] = json!("interactive");
        content["interactive"] = json!({ "type": kind_name, key: { "id": id, "title": title } });
        if let Some((context_id, _)) = offered {
            content["context"] = json!({
                "from": self.config.number.display_phone_number,
                "id": context_id,
            });
        }
        Shown::Reply { kind, id, title }
    }

    /// Signs `body` with the app secret and POSTs it to the helpdesk's webhook.
    async fn post_webhook(&self, body: String) -> Result<(), DeliveryError> {
        let signature = self.signer.sign(body.as_bytes());
        let response = self
            .http
            .post(&self.config.webhook_url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(DeliveryError::Refused { status, body })
    }

    /// The helpdesk sends `body` to `to`: recorded on the customer's phone, with statuses to
    /// follow. Returns the new message's wamid.
    fn accept(self: &Arc<Self>, to: &WaId, body: OutboundBody) -> String {
        let now = self.clock.now();
        let wamid = {
            let mut phones = self.phones();
            // A message from the business ends its typing indicator, as on a phone.
            phones.typing.remove(to.as_str());
            let n = phones.next();
            let wamid = format!(
                "wamid.HBgN{}FQIAERgS{:016X}{n:04X}",
                to.as_str(),
                now.as_nanosecond() as u64
            );
            phones.messages.push(ChatMessage {
                wamid: wamid.clone(),
                wa_id: to.as_str().to_owned(),
                at: now,
                quote: body
                    .context_id()
                    .filter(|_| !matches!(body, OutboundBody::Reaction { .. }))
                    .map(str::to_owned),
                said: Said::Business(body),
                tick: Tick::Pending,
                error: None,
            });
            wamid
        };
        let sim = self.clone();
        let (id, recipient) = (wamid.clone(), to.as_str().to_owned());
        tokio::spawn(async move {
            for tick in [Tick::Sent, Tick::Delivered] {
                tokio::time::sleep(sim.config.status_delay).await;
                if sim.phones().advance(&id, tick) {
                    sim.send_statuses(&[(id.clone(), recipient.clone())], tick)
                        .await;
                }
            }
        });
        wamid
    }

    /// Tells the helpdesk, in one status webhook, that these messages reached `tick`.
    async fn send_statuses(&self, messages: &[(String, String)], tick: Tick) {
        let timestamp = self.clock.now().as_second();
        let statuses: Vec<SampleStatus<'_>> = messages
            .iter()
            .map(|(wamid, recipient)| SampleStatus {
                wamid,
                status: tick.as_str(),
                recipient,
                timestamp,
            })
            .collect();
        let body = status_notification(&self.config.number.phone_number_id, &statuses);
        if let Err(e) = self.post_webhook(body).await {
            warn!(error = %e, status = tick.as_str(), "simulator: status webhook not accepted");
        }
    }

    /// The helpdesk marked a customer's message read: it and the ones before turn blue, as on
    /// a phone. False if there is no such message.
    fn business_read(&self, wamid: &str, typing: bool) -> bool {
        let mut phones = self.phones();
        let Some(position) = phones.messages.iter().position(|m| m.wamid == wamid) else {
            return false;
        };
        let wa_id = phones.messages[position].wa_id.clone();
        if typing {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(25);
            phones.typing.insert(wa_id.clone(), until);
        }
        for m in phones.messages[..=position].iter_mut() {
            if m.wa_id == wa_id && matches!(m.said, Said::Customer(_)) && m.tick == Tick::Sent {
                m.tick = Tick::Read;
            }
        }
        true
    }

    /// The customer looks at their chat: delivered business messages are read now, and the
    /// helpdesk is told.
    fn customer_reads(self: &Arc<Self>, wa_id: &str) {
        let read: Vec<(String, String)> = {
            let mut phones = self.phones();
            phones
                .messages
                .iter_mut()
                .filter(|m| {
                    m.wa_id == wa_id
                        && matches!(m.said, Said::Business(_))
                        && m.tick == Tick::Delivered
                })
                .map(|m| {
                    m.tick = Tick::Read;
                    (m.wamid.clone(), m.wa_id.clone())
                })
                .collect()
        };
        if !read.is_empty() {
            let sim = self.clone();
            tokio::spawn(async move { sim.send_statuses(&read, Tick::Read).await });
        }
    }

    /// A customer's chat, oldest first, as the phone page shows it.
    fn chat(&self, wa_id: &str) -> Value {
        let phones = self.phones();
        let messages: Vec<Value> = phones
            .messages
            .iter()
            .filter(|m| m.wa_id == wa_id)
            .map(|m| self.shown(m, &phones.media))
            .collect();
        let typing = phones
            .typing
            .get(wa_id)
            .is_some_and(|until| std::time::Instant::now() < *until);
        json!({
            "wa_id": wa_id,
            "name": phones.names.get(wa_id),
            "typing": typing,
            "business": { "display_phone_number": self.config.number.display_phone_number },
            "messages": messages,
        })
    }

    fn shown(&self, m: &ChatMessage, phones_media: &HashMap<String, StoredMedia>) -> Value {
        let mut v = json!({
            "wamid": m.wamid,
            "at": m.at,
            "status": m.tick,
        });
        if let Some(error) = &m.error {
            v["error"] = json!(error);
        }
        if let Some(quoted) = &m.quote {
            v["context_id"] = json!(quoted);
        }
        match &m.said {
            Said::Customer(shown) => {
                v["from"] = json!("customer");
                show_customer(&mut v, shown);
            }
            Said::Business(body) => {
                v["from"] = json!("business");
                v["type"] = json!(body.kind());
                self.show_business(&mut v, body, phones_media);
            }
        }
        v
    }

    /// What the helpdesk sent, as the chat page shows it (a template rendered as approved).
    fn show_business(
        &self,
        v: &mut Value,
        body: &OutboundBody,
        phones_media: &HashMap<String, StoredMedia>,
    ) {
        match body {
            OutboundBody::Text { body } | OutboundBody::QuotedText { body, .. } => {
                v["text"] = json!(body)
            }
            OutboundBody::Reaction { message_id, emoji } => {
                v["reaction"] = json!({ "message_id": message_id, "emoji": emoji });
            }
            OutboundBody::Buttons { body, buttons } => {
                v["text"] = json!(body);
                v["buttons"] = json!(buttons);
            }
            OutboundBody::List { body, button, rows } => {
                v["text"] = json!(body);
                v["list"] = json!({ "button": button, "rows": rows });
            }
            OutboundBody::Media {
                kind,
                id,
                caption,
                filename,
            } => {
                let id = id.as_deref().unwrap_or_default();
                let stored = phones_media.get(id);
                v["type"] = json!("media");
                v["text"] = json!(caption);
                v["media"] = json!({
                    "kind": kind.as_str(),
                    "id": id,
                    "filename": filename.clone().or_else(|| stored.map(|m| m.filename.clone())),
                    "mime_type": stored.map(|m| m.mime_type.clone()),
                    "caption": caption,
                    "file_size": stored.map_or(0, |m| m.bytes.len()),
                    "url": format!("/dev/simulator/media/{id}"),
                });
            }
            OutboundBody::Template(t) => {
                let params = template_params(&t.components);
                v["text"] = json!(self.render_template(&t.name, &t.language, &params));
                v["template"] = json!({ "name": t.name, "language": t.language, "params": params });
            }
        }
    }

    /// A template as the customer reads it: the approved body with its parameters filled in.
    fn render_template(&self, name: &str, language: &str, params: &[String]) -> String {
        let account = self.account();
        match account.find(name, language) {
            Some(t) => params
                .iter()
                .enumerate()
                .fold(t.body.clone(), |body, (i, p)| {
                    body.replace(&format!("{{{{{}}}}}", i + 1), p)
                }),
            None => format!("[template {name}] {}", params.join(" · ")),
        }
    }

    /// Every customer who wrote or was written to, the latest chat first.
    fn chats(&self) -> Value {
        let phones = self.phones();
        let mut latest: Vec<&ChatMessage> = Vec::new();
        for m in phones.messages.iter().rev() {
            if !latest.iter().any(|l| l.wa_id == m.wa_id) {
                latest.push(m);
            }
        }
        let list: Vec<Value> = latest
            .into_iter()
            .map(|m| {
                let shown = self.shown(m, &phones.media);
                json!({
                    "wa_id": m.wa_id,
                    "name": phones.names.get(&m.wa_id),
                    "last_at": m.at,
                    "last_text": shown["text"],
                    "last_from": shown["from"],
                })
            })
            .collect();
        json!({ "chats": list })
    }

    /// What the helpdesk sent, oldest first, in the shape `/dev/whatsapp` always had.
    fn sent_by_business(&self) -> Value {
        let sent: Vec<Value> = self
            .phones()
            .messages
            .iter()
            .filter_map(|m| match &m.said {
                Said::Business(body) => Some(json!({
                    "to": m.wa_id, "wamid": m.wamid, "message": body, "status": m.tick,
                })),
                Said::Customer(_) => None,
            })
            .collect();
        json!(sent)
    }
}

fn choices(body: &OutboundBody) -> Vec<&helpdesk::ports::whatsapp::Choice> {
    match body {
        OutboundBody::Buttons { buttons, .. } => buttons.iter().collect(),
        OutboundBody::List { rows, .. } => rows.iter().collect(),
        _ => Vec::new(),
    }
}

/// The text parameters of a template's components, in order.
fn template_params(components: &[Value]) -> Vec<String> {
    components
        .iter()
        .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect()
}
