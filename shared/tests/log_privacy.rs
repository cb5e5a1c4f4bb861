//! Issue 7, "Logs": at INFO (the production level) no customer phone number (wa_id), profile
//! name or message text reaches the logs, whatever the webhook carries; and no secret (app
//! secret, verify token, access token, order API token) shows in logs or in the `Debug` form of
//! the configuration types. Issue 13 item 6: the same for every handler (bot reply, routing,
//! agent API, SLA breach, erasure) and their error paths, with wamids as Meta makes them (base64
//! of the customer's number).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use helpdesk::app::intake::Intake;
use helpdesk::app::intake::webhook::http::SIGNATURE_HEADER;
use helpdesk::app::intake::webhook::sample::{self, SampleStatus, SampleText};
use helpdesk::app::intake::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk::domain::ticket::ConversationWindow;
use helpdesk::platform::config::{self, BotReplySettings, BreachSettings, Env, IntakeSettings};
use helpdesk::ports::clock::{Clock as _, ManualClock};
use helpdesk::ports::queue::MemoryQueue;
use helpdesk::ports::store::{MemoryStore, StoreError};
use helpdesk::ports::whatsapp::CloudApiConfig;
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

/// Anna's number in base64, as it sits inside each of her wamids.
const WA_ID_BASE64: &str = "NDkxNTExMjM0NTY3OA";
const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen, Geheimweg 12";
const AGENT_REPLY: &str = "Ihr Paket an den Geheimweg 12 kommt morgen";
const AGENT_NOTE: &str = "Kundin wohnt im Geheimweg 12";
/// Tue 24 Nov 2026 10:00 Berlin: business hours, so SLA clocks run.
const T0: i64 = 1_795_510_800;

/// A wamid as Meta makes them: the customer's number in base64, then a random part.
fn meta_wamid(n: u32) -> String {
    format!("wamid.HBgN{WA_ID_BASE64}FQIAEhgUM0E{n:04}QjFDMDk5QkE3RDNEMwA=")
}

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_writer(captured.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

/// Every function of the helpdesk over memory adapters, as the local runner wires them.
struct Desk {
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    inbound: Arc<MemoryQueue>,
    handoffs: Arc<MemoryQueue>,
    timers: Arc<helpdesk::ports::timers::MemoryTimers>,
    webhook: WebhookHandler,
    bot: helpdesk::app::bot_reply::BotReply,
    router: helpdesk::app::agent_handoff::Router,
    breach: helpdesk::app::sla_breach::SlaBreach,
    api: helpdesk::app::agent_api::AgentApi,
    /// SQS message ids are opaque (never the dedup id, which is the wamid).
    next_id: std::sync::atomic::AtomicUsize,
}

impl Desk {
    async fn new() -> Self {
        use helpdesk::app::agent_api::{AgentApi, Authenticator, Caller, Role};
        use helpdesk::app::bot_reply::Bot;
        use helpdesk::domain::bot::BotConfig;
        use helpdesk::ports::store::TicketStore as _;
        let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0).expect("valid")));
        let store = Arc::new(MemoryStore::new());
        let inbound = Arc::new(MemoryQueue::new(clock.clone()));
        let handoffs = Arc::new(MemoryQueue::new(clock.clone()));
        let whatsapp = Arc::new(helpdesk::ports::whatsapp::MemoryWhatsApp::new());
        let timers = Arc::new(helpdesk::ports::timers::MemoryTimers::new());
        let notifier = Arc::new(helpdesk::ports::notify::MemoryNotifier::new());
        let sla = Arc::new(helpdesk::domain::sla::SlaConfig::default_policies());
        let bot_config = Arc::new(BotConfig::default_shop());
        let intake = Intake::new(
            store.clone(),
            inbound.clone(),
            clock.clone(),
            ConversationWindow::default(),
        );
        let webhook = WebhookHandler::new(
            intake,
            &SecretString::from(APP_SECRET),
            SecretString::from(VERIFY_TOKEN),
        );
        let bot = helpdesk::app::bot_reply::BotReply::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            Bot::new(
                bot_config.clone(),
                Arc::new(helpdesk::ports::orders::MemoryOrders::demo()),
            ),
            clock.clone(),
        )
        .with_sla(sla.clone(), timers.clone())
        .with_notifier(notifier.clone());
        let breach = helpdesk::app::sla_breach::SlaBreach::new(
            helpdesk::app::sla_breach::BreachPorts {
                store: store.clone(),
                whatsapp: whatsapp.clone(),
                handoffs: handoffs.clone(),
                timers: timers.clone(),
                notifier: notifier.clone(),
                clock: clock.clone(),
            },
            bot_config,
            sla.clone(),
        );
        let routing = Arc::new(helpdesk::app::agent_handoff::RoutingConfig::default_routing());
        let router = helpdesk::app::agent_handoff::Router::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            notifier.clone(),
            routing.clone(),
            clock.clone(),
        );
        store
            .add_agent(&helpdesk::ports::store::Agent {
                id: "maria".into(),
                name: "Maria".into(),
                teams: routing.teams(),
                languages: vec![
                    helpdesk::domain::bot::Lang::De,
                    helpdesk::domain::bot::Lang::En,
                ],
                capacity: 5,
                load: 0,
                online: true,
                last_assigned_at: None,
                deactivated_at: None,
            })
            .await
            .expect("stored");
        let desk = helpdesk::app::agent_api::desk::AgentDesk::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            clock.clone(),
        )
        .with_sla(sla, timers.clone())
        .with_notifier(notifier);
        let caller = |agent: &str, role| Caller {
            agent: agent.into(),
            role,
        };
        let api = AgentApi::new(
            Arc::new(desk),
            Authenticator::plain_keys([
                ("key-maria", caller("maria", Role::Supervisor)),
                ("key-root", caller("root", Role::Admin)),
            ]),
            Arc::new(helpdesk::domain::templates::TemplateCatalog::default_catalog()),
            routing.teams(),
            clock.clone(),
        );
        Self {
            clock,
            store,
            inbound,
            handoffs,
            timers,
            webhook,
            bot,
            router,
            breach,
            api,
            next_id: 0.into(),
        }
    }

    async fn post(&self, body: &str) -> u16 {
        self.webhook
            .handle(
                &Method::POST,
                None,
                &signed(body.as_bytes()),
                body.as_bytes(),
            )
            .await
            .status()
            .as_u16()
    }

    fn records(&self, queue: &MemoryQueue) -> Vec<helpdesk::app::bot_reply::QueueRecord> {
        queue
            .receive(10)
            .into_iter()
            .map(|m| helpdesk::app::bot_reply::QueueRecord {
                message_id: format!(
                    "sqs-{}",
                    self.next_id
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                ),
                group_id: Some(m.group_id),
                body: m.body,
            })
            .collect()
    }

    /// Bot reply, then routing, until both queues are empty.
    async fn drain(&self) {
        for _ in 0..5 {
            let inbound = self.records(&self.inbound);
            self.bot.handle_batch(&inbound).await;
            let handoffs = self.records(&self.handoffs);
            self.router.handle_batch(&handoffs).await;
            if inbound.is_empty() && handoffs.is_empty() {
                return;
            }
        }
    }

    async fn api(&self, who: &str, method: &str, path: &str, body: serde_json::Value) -> u16 {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let auth = format!("Bearer key-{who}");
        self.api
            .handle(&helpdesk::app::agent_api::ApiRequest {
                method,
                path,
                query: Some(query),
                authorization: Some(&auth),
                body: &body,
                ..helpdesk::app::agent_api::ApiRequest::default()
            })
            .await
            .status
    }
}

fn anna_says(wamid: &str, body: &str, at: i64) -> String {
    sample::text_notification(
        NUMBER,
        &[SampleText {
            wa_id: WA_ID,
            profile_name: NAME,
            wamid,
            timestamp: at,
            body,
        }],
    )
}

#[test]
fn no_handler_logs_the_number_a_wamid_or_a_message_even_when_it_fails() {
    let (captured, _guard) = capture();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let desk = runtime.block_on(Desk::new());
    let first = meta_wamid(1);
    let ticket = runtime.block_on(async {
        // GIVEN Anna asks for a person: intake, bot reply (hands over), routing (assigns maria)
        assert_eq!(desk.post(&anna_says(&first, HANDOFF, T0)).await, 200);
        desk.drain().await;
        let ticket = desk.store.tickets().pop().expect("a ticket");
        assert_eq!(ticket.assignee.as_deref(), Some("maria"), "{ticket:?}");
        let id = ticket.id.to_string();
        // AND maria reads, notes and replies through the agent API
        assert_eq!(
            desk.api("maria", "GET", "/tickets", serde_json::Value::Null)
                .await,
            200
        );
        let detail = format!("/tickets/{id}");
        assert_eq!(
            desk.api("maria", "GET", &detail, serde_json::Value::Null)
                .await,
            200
        );
        let note = serde_json::json!({ "text": AGENT_NOTE });
        assert_eq!(
            desk.api("maria", "POST", &format!("{detail}/notes"), note)
                .await,
            200
        );
        let reply = serde_json::json!({ "text": AGENT_REPLY });
        assert_eq!(
            desk.api("maria", "POST", &format!("{detail}/reply"), reply)
                .await,
            200
        );
        // AND Anna writes again while maria has it (the bot stays silent)
        assert_eq!(
            desk.post(&anna_says(&meta_wamid(2), BODY, T0 + 60)).await,
            200
        );
        desk.drain().await;
        ticket.id
    });
    runtime.block_on(async {
        // AND error paths. A conversation that stays contended fails the webhook (Meta retries):
        desk.store.lose_races(64);
        assert_eq!(
            desk.post(&anna_says(&meta_wamid(3), BODY, T0 + 90)).await,
            503
        );
        // a status for an outbound message we never recorded:
        let status = sample::status_notification(
            NUMBER,
            &[SampleStatus {
                wamid: &meta_wamid(4),
                status: "delivered",
                recipient: WA_ID,
                timestamp: T0 + 95,
            }],
        );
        desk.store.lose_races(0);
        assert_eq!(desk.post(&status).await, 200);
        // a queued message missing from its ticket (the bot reports it, SQS retries then
        // dead-letters it):
        let body = serde_json::json!({
            "v": 1,
            "ticket_id": ticket.to_string(),
            "wamid": meta_wamid(5),
            "key": { "phone_number_id": NUMBER, "wa_id": WA_ID },
            "sent_at": Timestamp::from_second(T0 + 100).expect("valid"),
            "opened_ticket": false,
        });
        let failed = desk
            .bot
            .handle_batch(&[helpdesk::app::bot_reply::QueueRecord {
                message_id: "sqs-missing".into(),
                group_id: Some(format!("{NUMBER}#{WA_ID}")),
                body: body.to_string(),
            }])
            .await;
        assert_eq!(failed, ["sqs-missing"], "the missing message is reported");
    });
    runtime.block_on(async {
        // AND the SLA breaches: nobody answers within the targets of the day
        for _ in 0..6 {
            desk.clock.advance(jiff::SignedDuration::from_hours(4));
            let due: Vec<_> = desk
                .timers
                .take_due(desk.clock.now())
                .into_iter()
                .map(|t| helpdesk::app::bot_reply::QueueRecord {
                    message_id: format!("sqs-timer-{}", t.name.as_str().len()),
                    group_id: None,
                    body: t.payload,
                })
                .collect();
            desk.breach.handle_batch(&due).await;
            desk.drain().await;
        }
        // AND an admin exports and erases Anna's data
        let anna = format!("/customers/{WA_ID}");
        let null = serde_json::Value::Null;
        assert_eq!(
            desk.api("root", "GET", &format!("{anna}/export"), null.clone())
                .await,
            200
        );
        assert_eq!(desk.api("root", "DELETE", &anna, null.clone()).await, 200);
        assert_eq!(desk.api("root", "GET", "/audit", null).await, 200);
    });

    // THEN every handler logged, and nothing of Anna is in the log
    let log = captured.text();
    for line in [
        "ticket opened",
        "customer message handled",
        "bot hands over to a person",
        "handoff routed",
        "agent action done",
        "customer message not handled",
        "webhook not fully handled",
        "SLA timer handled",
        "customer data erased",
        "data request filed",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
    let wamids: Vec<String> = (1..=5).map(meta_wamid).collect();
    let mut secrets: Vec<&str> = vec![
        WA_ID,
        WA_ID_BASE64,
        NAME,
        BODY,
        "Geheimweg",
        HANDOFF,
        AGENT_REPLY,
        AGENT_NOTE,
    ];
    secrets.extend(wamids.iter().map(String::as_str));
    for secret in secrets {
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
