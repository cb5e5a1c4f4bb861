//! The simulated WhatsApp over HTTP: the built runner is started on a free port (in-memory
//! helpdesk, simulator in front) and spoken to as the helpdesk and as Meta's clients would.

mod common;

use std::time::{Duration, Instant};

use common::Runner;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PHONE_NUMBER_ID: &str = "106540352242922";
const TOKEN: &str = "any-token";
/// The smallest PNG signature the simulator accepts as an image.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a tiny test image";

/// The runner, spoken to as the helpdesk and Meta's clients would.
struct Sim(Runner);

impl std::ops::Deref for Sim {
    type Target = Runner;
    fn deref(&self) -> &Runner {
        &self.0
    }
}

impl Sim {
    async fn start() -> Self {
        Self(Runner::start().await)
    }

    async fn send(&self, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.at(&format!("/graph/v23.0/{PHONE_NUMBER_ID}/messages")))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn customer(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.at("/dev/simulator/messages"))
            .json(body)
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// The chat as the phone shows it, without the customer looking at it.
    async fn chat(&self, wa_id: &str) -> Value {
        self.http
            .get(self.at(&format!("/dev/simulator/chat?wa_id={wa_id}&seen=false")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the chat until `done` holds.
    async fn chat_until(&self, wa_id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let chat = self.chat(wa_id).await;
            if done(&chat) {
                return chat;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {chat:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn message<'a>(chat: &'a Value, wamid: &str) -> &'a Value {
    chat["messages"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["wamid"] == wamid))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn a_send_is_answered_as_meta_answers_and_followed_by_statuses() {
    // GIVEN the runner
    let runner = Sim::start().await;
    // WHEN the helpdesk's client sends a text with buttons
    let body = json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915100000001",
        "type": "interactive",
        "interactive": { "type": "button", "body": { "text": "Hat das geholfen?" },
            "action": { "buttons": [{ "type": "reply", "reply": { "id": "confirm.yes", "title": "Ja" } }] } },
    });
    let (status, answer) = runner.send(&body, Some(TOKEN)).await;

    // THEN the answer has Meta's shape with a new wamid
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(answer["contacts"][0]["wa_id"], "4915100000001");
    let wamid = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    assert!(wamid.starts_with("wamid."), "{wamid}");
    // AND the phone shows it with its buttons, delivered once the status webhooks went out
    let chat = runner
        .chat_until("4915100000001", "delivered", |c| {
            message(c, &wamid)["status"] == "delivered"
        })
        .await;
    assert_eq!(message(&chat, &wamid)["buttons"][0]["id"], "confirm.yes");
    // AND /dev/whatsapp still lists what the helpdesk sent (the say command reads it)
    let sent: Value = runner
        .http
        .get(runner.at("/dev/whatsapp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent[0]["wamid"], wamid.as_str());
    assert_eq!(sent[0]["message"]["type"], "buttons");
}

#[tokio::test]
async fn requests_without_a_token_or_with_bad_content_are_refused_as_meta_refuses_them() {
    let runner = Sim::start().await;
    let text = json!({"messaging_product": "whatsapp", "to": "4915100000001", "type": "text", "text": {"body": "Hallo"}});

    let (status, answer) = runner.send(&text, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"]["code"], 190);
    assert_eq!(answer["error"]["type"], "OAuthException");

    let too_many_buttons = json!({
        "messaging_product": "whatsapp", "to": "4915100000001", "type": "interactive",
        "interactive": { "type": "button", "body": { "text": "?" }, "action": { "buttons": [
            { "type": "reply", "reply": { "id": "a", "title": "A" } }, { "type": "reply", "reply": { "id": "b", "title": "B" } },
            { "type": "reply", "reply": { "id": "c", "title": "C" } }, { "type": "reply", "reply": { "id": "d", "title": "D" } },
        ] } },
    });
    let (status, answer) = runner.send(&too_many_buttons, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], 131009, "{answer}");

    let (status, answer) = runner
        .send(
            &json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.unknown"}),
            Some(TOKEN),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], 100);

    let other_number = runner
        .http
        .post(runner.at("/graph/v23.0/999/messages"))
        .bearer_auth(TOKEN)
        .json(&text)
        .send()
        .await
        .unwrap();
    assert_eq!(other_number.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_customers_file_is_fetched_with_the_media_endpoints() {
    // GIVEN a customer who sends a photo with a caption
    let runner = Sim::start().await;
    let (status, answer) = runner
        .customer(&json!({"from": "4915100000002", "name": "Ben", "media": {
            "kind": "image", "filename": "karton.png", "mime_type": "image/png",
            "data_base64": base64::engine::general_purpose::STANDARD.encode(PNG),
            "caption": "Der Karton ist kaputt"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "sent");
    let chat = runner.chat("4915100000002").await;
    let media_id = message(&chat, answer["wamid"].as_str().unwrap())["media"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // THEN the helpdesk stored the message with the media id from the webhook
    let state: Value = runner
        .http
        .get(runner.at("/dev/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = &state["tickets"][0]["messages"][0];
    assert_eq!(stored["media_id"], media_id.as_str(), "{stored}");

    // WHEN the helpdesk asks the Graph API for the media
    let url = runner.at(&format!("/graph/v23.0/{media_id}"));
    let refused = runner.http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let info: Value = runner
        .http
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // THEN it gets Meta's description of the file
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["id"], media_id.as_str());
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], PNG.len());
    assert_eq!(info["sha256"], hex::encode(Sha256::digest(PNG)));

    // AND the download URL gives the same bytes, with the token only
    let download = info["url"].as_str().unwrap();
    assert!(download.ends_with(&format!("/graph/media/{media_id}/download")));
    let refused = runner.http.get(download).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let file = runner
        .http
        .get(download)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);

    let unknown = runner
        .http
        .get(runner.at("/graph/v23.0/123"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_customers_message_reaches_the_bot_and_turns_read() {
    let runner = Sim::start().await;
    // WHEN a customer writes
    let (status, answer) = runner
        .customer(&json!({"from": "4915100000003", "name": "Cleo", "text": "Wo ist mein Paket?"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let wamid = answer["wamid"].as_str().unwrap().to_owned();

    // THEN the bot marks it read over the Cloud API and answers
    let chat = runner
        .chat_until("4915100000003", "read and answered", |c| {
            message(c, &wamid)["status"] == "read"
                && c["messages"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|m| m["from"] == "business"))
        })
        .await;
    assert_eq!(chat["name"], "Cleo");
}

#[tokio::test]
async fn bad_simulator_input_is_refused_naming_the_field() {
    let runner = Sim::start().await;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 5 * 1024 * 1024 + 1]);
    let cases = [
        (json!({"name": "Ben", "text": "Hallo"}), "from"),
        (
            json!({"from": "49-151", "name": "Ben", "text": "Hallo"}),
            "from",
        ),
        (
            json!({"from": "4915100000004", "name": "", "text": "Hallo"}),
            "name",
        ),
        (json!({"from": "4915100000004", "name": "Ben"}), "text"),
        (
            json!({"from": "4915100000004", "name": "Ben", "reply": {"id": "x", "title": "X", "kind": "swipe"}}),
            "reply.kind",
        ),
        (
            json!({"from": "4915100000004", "name": "Ben", "media": {"kind": "image", "filename": "a.gif", "mime_type": "image/gif", "data_base64": "R0lG"}}),
            "media.mime_type",
        ),
        (
            json!({"from": "4915100000004", "name": "Ben", "media": {"kind": "image", "filename": "big.png", "mime_type": "image/png", "data_base64": big}}),
            "media.data_base64",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = runner.customer(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(
            answer["fields"].get(field).is_some(),
            "expected {field} in {answer}"
        );
    }
    let no_wa_id = runner
        .http
        .get(runner.at("/dev/simulator/chat"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_wa_id.status(), StatusCode::BAD_REQUEST);
    // Nothing reached the helpdesk.
    let chats: Value = runner
        .http
        .get(runner.at("/dev/simulator/chats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chats["chats"], json!([]));
}

/// The demo key of the first demo agent with `role`.
async fn key_of(runner: &Runner, role: &str) -> String {
    let keys: Value = runner
        .http
        .get(runner.at("/dev/demo-keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == role)
        .and_then(|k| k["key"].as_str())
        .unwrap_or_else(|| panic!("no demo {role} in {keys}"))
        .to_owned()
}

async fn api_call(
    runner: &Runner,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = runner
        .http
        .request(method.parse().unwrap(), runner.at(&format!("/api{path}")))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

fn offered(list: &Value, name: &str) -> bool {
    list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == name)
}

#[tokio::test]
async fn the_template_endpoints_page_and_review_as_meta_does_and_the_status_webhook_reaches_the_catalogue()
 {
    use helpdesk::domain::templates::{NewTemplate, TemplateCatalog};
    use helpdesk::ports::whatsapp::{CloudApi, CloudApiConfig, GraphTemplates, MessageTemplates};
    // GIVEN the runner and the helpdesk's own Graph API client pointed at it, asking for
    // pages of two templates
    let runner = Sim::start().await;
    let cloud = CloudApi::new(CloudApiConfig {
        base_url: runner.at("/graph"),
        version: "v23.0".into(),
        access_token: secrecy::SecretString::from(TOKEN),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let client =
        GraphTemplates::new(std::sync::Arc::new(cloud), "102290129340398").with_page_size(2);

    // WHEN it lists the account's templates THEN every page is followed: the shipped ones, approved
    let listed = client.list().await.unwrap();
    let shipped = TemplateCatalog::default_catalog();
    assert_eq!(listed.len(), shipped.all().len());
    assert!(listed.iter().all(|t| t.is_approved() && t.id.is_some()));
    assert_eq!(listed[0].body, shipped.all()[0].body);

    // WHEN it submits a template THEN Meta's answer is PENDING, and a second one is refused
    let new = NewTemplate {
        name: "order_shipped".into(),
        language: "de".into(),
        category: "UTILITY".into(),
        body: "Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs.".into(),
        examples: vec!["Anna".into(), "100234".into()],
    };
    let created = client.create(&new).await.unwrap();
    assert_eq!(created.status, "PENDING");
    let again = client.create(&new).await.unwrap_err();
    assert!(!again.is_retryable(), "{again}");
    // AND without a token the list is refused as Meta refuses it
    let bare = runner
        .http
        .get(runner.at("/graph/v23.0/102290129340398/message_templates"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);

    // WHEN a supervisor syncs THEN the catalogue has it, pending, and agents are not offered it
    let supervisor = key_of(&runner, "supervisor").await;
    let agent = key_of(&runner, "agent").await;
    let (status, report) = api_call(&runner, &supervisor, "POST", "/templates/sync", None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, list) = api_call(&runner, &agent, "GET", "/templates", None).await;
    assert!(!offered(&list, "order_shipped"), "{list}");

    // WHEN Meta approves it (the /dev control) THEN the signed webhook reaches intake, and
    // the next picker list offers it, without a sync
    let decided = runner
        .http
        .post(runner.at(&format!("/dev/templates/{}/status", created.id)))
        .json(&json!({"event": "APPROVED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        decided.status(),
        StatusCode::OK,
        "{}",
        decided.text().await.unwrap()
    );
    let (_, list) = api_call(&runner, &agent, "GET", "/templates", None).await;
    assert!(offered(&list, "order_shipped"), "{list}");
    // AND the same decision again (Meta redelivers) changes nothing more
    let (_, versions) = api_call(
        &runner,
        &supervisor,
        "GET",
        "/config/templates/versions",
        None,
    )
    .await;
    let before = versions.to_string();
    let repeated = runner
        .http
        .post(runner.at(&format!("/dev/templates/{}/status", created.id)))
        .json(&json!({"event": "APPROVED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(repeated.status(), StatusCode::OK);
    let (_, versions) = api_call(
        &runner,
        &supervisor,
        "GET",
        "/config/templates/versions",
        None,
    )
    .await;
    assert_eq!(versions.to_string(), before, "{versions:#}");
}
