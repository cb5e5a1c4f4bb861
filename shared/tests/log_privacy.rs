//! Issue 7, "Logs": at INFO (the production level) no customer phone number (wa_id), profile
//! name or message text reaches the logs, whatever the webhook carries; and no secret (app
//! secret, verify token, access token, order API token) shows in logs or in the `Debug` form of
//! the configuration types.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helpdesk::clock::ManualClock;
use helpdesk::config::{self, BotReplySettings, BreachSettings, Env, IntakeSettings};
use helpdesk::intake::Intake;
use helpdesk::queue::MemoryQueue;
use helpdesk::store::{MemoryStore, StoreError};
use helpdesk::ticket::ConversationWindow;
use helpdesk::webhook::http::SIGNATURE_HEADER;
use helpdesk::webhook::sample::{self, SampleStatus, SampleText};
use helpdesk::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk::whatsapp::CloudApiConfig;
use http::{HeaderMap, HeaderValue, Method};
use jiff::Timestamp;
use secrecy::SecretString;
use tracing_subscriber::fmt::MakeWriter;

const APP_SECRET: &str = "app-secret-7f3a9c";
const VERIFY_TOKEN: &str = "verify-token-51be02";
const ACCESS_TOKEN: &str = "EAAGaccess-token-c0ffee";
const ORDER_TOKEN: &str = "order-api-token-d00d";
const WA_ID: &str = "4915112345678";
const NAME: &str = "Anna Privatname";
const BODY: &str = "Meine Adresse ist Geheimweg 12, 50667 Köln";
const NUMBER: &str = "106540352242922";

/// Log lines, as the production subscriber writes them, into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

fn handler(store: Arc<MemoryStore>) -> WebhookHandler {
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_second(1_764_061_300).expect("valid"),
    ));
    let queue = Arc::new(MemoryQueue::new(clock.clone()));
    let intake = Intake::new(store, queue, clock, ConversationWindow::default());
    WebhookHandler::new(
        intake,
        &SecretString::from(APP_SECRET),
        SecretString::from(VERIFY_TOKEN),
    )
}

fn signed(body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let signature = SignatureVerifier::new(&SecretString::from(APP_SECRET)).sign(body);
    headers.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&signature).expect("ascii"),
    );
    headers
}

fn text(wamid: &str) -> String {
    sample::text_notification(
        NUMBER,
        &[SampleText {
            wa_id: WA_ID,
            profile_name: NAME,
            wamid,
            timestamp: 1_764_061_200,
            body: BODY,
        }],
    )
}

/// Bodies a sender (Meta, or anyone holding the secret) might sign that put the customer's
/// data where a parser error would quote it.
fn hostile_bodies() -> Vec<String> {
    let value = |v: &str| {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"changes":[{{"field":"messages","value":{v}}}]}}]}}"#
        )
    };
    vec![
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{NUMBER}"}},"messages":"{BODY}"}}"#
        )),
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{NUMBER}"}},"contacts":"{NAME} {WA_ID}"}}"#
        )),
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{NUMBER}"}},"messages":[{{"from":{WA_ID}.5,"id":"wamid.X","timestamp":"1","type":"text","text":{{"body":"{BODY}"}}}}]}}"#
        )),
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{WA_ID}x"}}}}"#
        )),
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{NUMBER}"}},"messages":[{{"from":"{WA_ID}","id":"wamid.X","timestamp":"{BODY}","type":"text"}}]}}"#
        )),
        value(&format!(
            r#"{{"metadata":{{"phone_number_id":"{NUMBER}"}},"errors":[{{"code":"{BODY}"}}]}}"#
        )),
        format!(r#"{{"object":"{BODY}","entry":[]}}"#),
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WA_ID}","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"{NUMBER}"}},"statuses":[{{"id":"wamid.S","status":"read","timestamp":"1","recipient_id":"{WA_ID}","errors":[{{"code":1,"title":"{BODY}"}}]}}]}}}}]}}]}}"#
        ),
        text("wamid.A").replace("}]}]}", ""),
    ]
}

#[test]
fn at_info_no_phone_number_name_message_text_or_secret_is_logged() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let store = Arc::new(MemoryStore::new());
    let h = handler(store.clone());
    let post = |body: &str, headers: &HeaderMap| {
        runtime
            .block_on(h.handle(&Method::POST, None, headers, body.as_bytes()))
            .status()
    };

    // GIVEN a customer's first message, its redelivery, a reply and delivery statuses
    let first = text("wamid.A");
    assert_eq!(post(&first, &signed(first.as_bytes())), 200);
    assert_eq!(post(&first, &signed(first.as_bytes())), 200);
    let reply = sample::button_reply_notification(
        NUMBER,
        &SampleText {
            wa_id: WA_ID,
            profile_name: NAME,
            wamid: "wamid.B",
            timestamp: 1_764_061_230,
            body: BODY,
        },
        "track_order",
    );
    assert_eq!(post(&reply, &signed(reply.as_bytes())), 200);
    let statuses = sample::status_notification(
        NUMBER,
        &[SampleStatus {
            wamid: "wamid.OUT",
            status: "read",
            recipient: WA_ID,
            timestamp: 1_764_061_250,
        }],
    );
    assert_eq!(post(&statuses, &signed(statuses.as_bytes())), 200);
    // AND bodies that are refused: unsigned, wrongly signed, malformed
    assert_eq!(post(&first, &HeaderMap::new()), 401);
    assert_eq!(post(&first, &signed(b"other")), 401);
    for body in hostile_bodies() {
        let status = post(&body, &signed(body.as_bytes()));
        assert!(status == 200 || status == 400, "{status}: {body}");
    }
    // AND a store failure
    store.inject_faults([StoreError::Unavailable(String::new())]);
    assert_eq!(
        post(&text("wamid.C"), &signed(text("wamid.C").as_bytes())),
        503
    );
    // AND Meta's verification, with the right and a wrong token
    for token in [VERIFY_TOKEN, "wrong"] {
        let query = format!("hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42");
        runtime.block_on(h.handle(&Method::GET, Some(&query), &HeaderMap::new(), b""));
    }

    // THEN the log has a line for each request, and none of the customer's data or our secrets
    let log = captured.text();
    assert!(log.contains("webhook handled"), "{log}");
    assert!(log.contains("ticket opened"), "{log}");
    assert!(log.contains("webhook payload rejected"), "{log}");
    let json_escaped_body = serde_json::to_string(BODY).expect("a string");
    for secret in [
        WA_ID,
        NAME,
        BODY,
        json_escaped_body.trim_matches('"'),
        "Geheimweg",
        APP_SECRET,
        VERIFY_TOKEN,
        // Meta's wamids carry the number in base64: logs show a digest instead.
        "wamid.A",
        "wamid.C",
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
}

fn full_env() -> Env {
    Env::from_pairs([
        (config::WHATSAPP_APP_SECRET, APP_SECRET),
        (config::WHATSAPP_VERIFY_TOKEN, VERIFY_TOKEN),
        (config::WHATSAPP_ACCESS_TOKEN, ACCESS_TOKEN),
        (config::HELPDESK_ORDER_API_TOKEN, ORDER_TOKEN),
        (config::HELPDESK_ORDER_API_URL, "https://shop.example/api"),
        (config::HELPDESK_TABLE, "helpdesk"),
        (
            config::HELPDESK_INBOUND_QUEUE_URL,
            "https://sqs.eu-central-1.amazonaws.com/000000000000/inbound.fifo",
        ),
        (
            config::HELPDESK_HANDOFF_QUEUE_URL,
            "https://sqs.eu-central-1.amazonaws.com/000000000000/handoff.fifo",
        ),
        (
            config::HELPDESK_SLA_QUEUE_ARN,
            "arn:aws:sqs:eu-central-1:000000000000:sla",
        ),
        (
            config::HELPDESK_SCHEDULER_ROLE_ARN,
            "arn:aws:iam::000000000000:role/scheduler",
        ),
        (
            config::HELPDESK_SLA_TOPIC_ARN,
            "arn:aws:sns:eu-central-1:000000000000:sla",
        ),
    ])
}

#[tokio::test]
async fn secrets_never_show_in_the_debug_form_of_the_configuration() {
    let env = full_env();
    let intake = IntakeSettings::from_env(&env).expect("complete");
    let reply = BotReplySettings::from_env(&env).expect("complete");
    let breach = BreachSettings::from_env(&env).expect("complete");
    let printed = [
        format!("{env:?}"),
        format!("{intake:?}"),
        format!(
            "{:?}",
            intake.clone().resolve(None).await.expect("no SSM needed")
        ),
        format!("{reply:?}"),
        format!("{breach:?}"),
        format!(
            "{:?}",
            CloudApiConfig {
                base_url: "https://graph.facebook.com".into(),
                version: "v23.0".into(),
                access_token: SecretString::from(ACCESS_TOKEN),
                timeout: Duration::from_secs(5),
            }
        ),
        format!(
            "{:?}",
            SignatureVerifier::new(&SecretString::from(APP_SECRET))
        ),
        format!("{:#?}", intake),
    ];
    for text in &printed {
        for secret in [APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN, ORDER_TOKEN] {
            assert!(!text.contains(secret), "{secret:?} is printed in {text}");
        }
    }
    assert!(printed[1].contains("REDACTED"), "{}", printed[1]);
}
