//! The bot-reply handler, built by the production wiring, against moto (SQS, SSM), DynamoDB
//! Local, a stand-in WhatsApp Cloud API and a stand-in shop order API. Customer messages enter
//! through the real webhook handler and reach the bot through the real inbound queue.

use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk_tests::stubs::{OrderStub, StubOrder, WhatsAppStub};
use helpdesk_tests::{Stack, post_signed, s};
use http::StatusCode;
use serde_json::json;

const NUMBER: &str = "106540352242922";
const ANNA: &str = "4915112345678";

struct Setup {
    stack: Stack,
    whatsapp: WhatsAppStub,
    orders: OrderStub,
    n: std::cell::Cell<i64>,
}

async fn setup() -> Setup {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let orders = OrderStub::start(vec![
        StubOrder {
            id: "100234".into(),
            wa_id: ANNA.into(),
            postcode: "10115".into(),
            body: json!({"order_id": "100234", "status": "shipped", "carrier": "DHL", "tracking_url": "https://tracking.example/100234", "eta": "27.11.2026"}),
        },
        // Somebody else's order.
        StubOrder {
            id: "100777".into(),
            wa_id: "4917699999999".into(),
            postcode: "20095".into(),
            body: json!({"order_id": "100777", "status": "shipped", "carrier": "Hermes", "tracking_url": "https://tracking.example/100777", "eta": "28.11.2026"}),
        },
    ])
    .await;
    let stack = Stack::with_env(&[
        ("WHATSAPP_ACCESS_TOKEN", "test-access-token"),
        ("WHATSAPP_API_BASE_URL", &whatsapp.url),
        ("HELPDESK_ORDER_API_URL", &orders.url),
        ("HELPDESK_ORDER_API_TOKEN", "shop-token"),
    ])
    .await;
    Setup {
        stack,
        whatsapp,
        orders,
        n: std::cell::Cell::new(0),
    }
}

impl Setup {
    /// Anna writes `text`; the webhook stores it and the bot handles what the queue delivers.
    /// Returns the ids of records the bot asked to have redelivered.
    async fn customer_writes(&self, text: &str) -> Vec<String> {
        let records = self.deliver(text).await;
        self.bot().await.handle_batch(&records).await
    }

    async fn deliver(&self, text: &str) -> Vec<helpdesk::app::bot_reply::QueueRecord> {
        let n = self.n.get() + 1;
        self.n.set(n);
        let now = jiff::Timestamp::now().as_second();
        let wamid = format!("wamid.int{n:03}");
        let body = text_notification(
            NUMBER,
            &[SampleText {
                wa_id: ANNA,
                profile_name: "Anna",
                wamid: &wamid,
                timestamp: now,
                body: text,
            }],
        );
        let webhook = self.stack.webhook().await;
        assert_eq!(
            post_signed(&webhook, body.as_bytes()).await.status(),
            StatusCode::OK
        );
        self.stack.inbound_records().await
    }

    async fn bot(&self) -> helpdesk::app::bot_reply::BotReply {
        helpdesk::platform::wiring::bot_reply(&self.stack.env, &self.stack.aws)
            .await
            .expect("bot-reply starts")
    }
}

#[tokio::test]
async fn a_customer_message_gets_the_bot_reply_through_the_cloud_api_and_is_recorded() {
    let t = setup().await;
    assert!(t.customer_writes("Wo ist mein Paket?").await.is_empty());

    assert_eq!(
        t.whatsapp.texts(),
        [
            "Hallo Anna! 👋 Willkommen beim Kundenservice von Nordlicht Mode.",
            "Gerne sehe ich nach! Wie lautet Ihre Bestellnummer? Sie steht in der Bestellbestätigung (5–8 Ziffern).",
        ]
    );
    let received = t.whatsapp.received();
    assert!(
        received
            .iter()
            .all(|r| r.path == format!("/v23.0/{NUMBER}/messages"))
    );
    assert!(
        received
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer test-access-token"))
    );
    assert!(
        received.iter().any(|r| r.body["status"] == "read"),
        "the customer's message is marked read"
    );
    assert_eq!(t.whatsapp.sent()[0]["to"], ANNA);

    let outbound: Vec<_> = t
        .stack
        .items("message")
        .await
        .into_iter()
        .filter(|m| s(m, "direction") == "outbound")
        .collect();
    assert_eq!(outbound.len(), 2);
    assert!(outbound.iter().any(|m| s(m, "wamid") == "wamid.stub0001"));
    let ticket = &t.stack.items("ticket").await[0];
    assert_eq!(s(ticket, "status"), "bot");
    assert!(s(ticket, "bot_state").contains("ask_order_id"));
}

#[tokio::test]
async fn the_order_status_comes_from_the_shop_api() {
    let t = setup().await;
    t.customer_writes("Wo ist mein Paket?").await;
    assert!(t.customer_writes("100234").await.is_empty());
    assert_eq!(t.orders.requests(), 1);
    // The shop is told who asks, so it can answer with this customer's orders only.
    let (authorization, lookup) = &t.orders.lookups()[0];
    assert_eq!(authorization.as_deref(), Some("Bearer shop-token"));
    assert_eq!(
        lookup,
        &json!({"order_id": "100234", "customer": {"wa_id": ANNA, "phone": format!("+{ANNA}")}})
    );
    let texts = t.whatsapp.texts();
    assert_eq!(
        texts[2],
        "Ihre Bestellung 100234 ist unterwegs mit DHL. Voraussichtliche Zustellung: 27.11.2026. Sendungsverfolgung: https://tracking.example/100234"
    );
    assert_eq!(texts[3], "Konnte ich Ihnen damit helfen?");
}

#[tokio::test]
async fn another_customers_order_is_told_only_after_the_postcode_on_it() {
    let t = setup().await;
    t.customer_writes("Wo ist mein Paket?").await;
    // WHEN Anna types an order number that is not on her WhatsApp number
    assert!(t.customer_writes("100777").await.is_empty());
    // THEN the shop says so (403) and she is asked for the postcode; nothing about it is told
    let texts = t.whatsapp.texts();
    assert!(texts.last().unwrap().contains("Postleitzahl"), "{texts:?}");
    assert!(
        !texts
            .iter()
            .any(|x| x.contains("Hermes") || x.contains("tracking.example/100777"))
    );
    // WHEN she gives the postcode of the delivery address
    assert!(t.customer_writes("20095").await.is_empty());
    assert_eq!(t.orders.lookups()[1].1["postcode"], "20095");
    assert!(
        t.whatsapp
            .texts()
            .iter()
            .any(|x| x.starts_with("Ihre Bestellung 100777 ist unterwegs mit Hermes")),
        "{:?}",
        t.whatsapp.texts()
    );
}

#[tokio::test]
async fn a_wrong_postcode_hands_over_and_tells_nothing_about_the_order() {
    let t = setup().await;
    t.customer_writes("Bestellung 100777 verfolgen").await;
    t.customer_writes("12345").await;
    let texts = t.whatsapp.texts();
    assert!(
        !texts
            .iter()
            .any(|x| x.contains("Hermes") || x.contains("28.11.2026")),
        "{texts:?}"
    );
    assert!(
        texts.last().unwrap().contains("nicht zuordnen"),
        "{texts:?}"
    );
    let handoffs = t.stack.drain_handoffs().await;
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].body["reason"], "failed_attempts");
}

#[tokio::test]
async fn a_shop_that_keeps_failing_hands_the_customer_to_a_person() {
    let t = setup().await;
    t.orders.fail_next([500, 503]);
    t.customer_writes("Bestellung 100234 verfolgen").await;
    assert_eq!(t.orders.requests(), 2, "one retry");
    assert!(
        t.whatsapp
            .texts()
            .last()
            .unwrap()
            .starts_with("Ich kann den Bestellstatus gerade nicht abrufen")
    );
    let handoffs = t.stack.drain_handoffs().await;
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].body["reason"], "order_lookup_failed");
}

#[tokio::test]
async fn a_redelivered_queue_item_sends_no_second_reply() {
    let t = setup().await;
    let records = t.deliver("Hallo").await;
    let bot = t.bot().await;
    assert!(bot.handle_batch(&records).await.is_empty());
    let sent = t.whatsapp.sent().len();
    assert!(bot.handle_batch(&records).await.is_empty());
    assert_eq!(t.whatsapp.sent().len(), sent);
}

#[tokio::test]
async fn a_rate_limit_then_success_sends_exactly_one_reply() {
    let t = setup().await;
    t.whatsapp.answer_next([(
        400,
        json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429, "fbtrace_id": "x"}}),
    )]);
    assert!(t.customer_writes("Versandkosten?").await.is_empty());
    let texts = t.whatsapp.texts();
    let greetings = texts.iter().filter(|t| t.starts_with("Hallo Anna")).count();
    assert_eq!(greetings, 1, "{texts:?}");
    let attempts = t
        .whatsapp
        .received()
        .iter()
        .filter(|r| {
            r.body["type"] == "text"
                && r.body["text"]["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Hallo Anna"))
        })
        .count();
    assert_eq!(attempts, 2, "refused once, then sent");
    let outbound = t
        .stack
        .items("message")
        .await
        .into_iter()
        .filter(|m| s(m, "direction") == "outbound")
        .count();
    assert_eq!(outbound, texts.len(), "every sent reply recorded once");
}

#[tokio::test]
async fn urgent_words_hand_over_and_then_the_bot_stays_silent() {
    let t = setup().await;
    t.customer_writes("DRINGEND: falsche Lieferadresse").await;
    let handoffs = t.stack.drain_handoffs().await;
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].body["priority"], "urgent");
    assert_eq!(handoffs[0].group_id, format!("{NUMBER}#{ANNA}"));
    let ticket = &t.stack.items("ticket").await[0];
    assert_eq!(s(ticket, "status"), "queued");
    assert_eq!(s(ticket, "handoff_reason"), "urgent");
    let sent = t.whatsapp.sent().len();

    assert!(t.customer_writes("Hallo? Ist da jemand?").await.is_empty());
    assert_eq!(
        t.whatsapp.sent().len(),
        sent,
        "a person owns the ticket now"
    );
}

#[tokio::test]
async fn an_expired_access_token_is_not_retried_and_the_record_fails() {
    let t = setup().await;
    t.whatsapp.answer_next([(
        401,
        json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190}}),
    )]);
    let failed = t.customer_writes("Hallo").await;
    assert_eq!(
        failed.len(),
        1,
        "the queue delivers it again after the token is rotated"
    );
    assert!(t.whatsapp.sent().len() <= 1);
}

#[tokio::test]
async fn a_broken_bot_configuration_stops_the_start_with_the_problem_named() {
    let dir = std::env::temp_dir().join(format!("bot-{}.toml", ulid::Ulid::new()));
    std::fs::write(
        &dir,
        helpdesk::domain::bot::config::DEFAULT_CONFIG
            .replace("next = \"lookup\"", "next = \"lokup\""),
    )
    .unwrap();
    let path = dir.to_string_lossy().to_string();
    let t = Stack::with_env(&[
        ("WHATSAPP_ACCESS_TOKEN", "t"),
        ("HELPDESK_BOT_CONFIG", &path),
    ])
    .await;
    let err = match helpdesk::platform::wiring::bot_reply(&t.env, &t.aws).await {
        Ok(_) => panic!("a broken configuration must not start"),
        Err(e) => e.to_string(),
    };
    std::fs::remove_file(&dir).ok();
    assert!(
        err.contains("flows.order_status.steps.ask_order_id.next") && err.contains("lokup"),
        "{err}"
    );
}

#[tokio::test]
async fn a_slow_cloud_api_leaves_the_messages_without_time_for_redelivery_before_the_deadline() {
    use helpdesk::platform::deadline::{Deadline, START_RESERVE};
    use std::time::{Duration, Instant};
    let t = setup().await;
    let mut records = t.deliver("Hallo").await;
    records.extend(t.deliver("Wie lange dauert der Versand?").await);
    records.extend(t.deliver("Danke").await);
    assert_eq!(records.len(), 3);
    // Every Cloud API call (mark read, each reply) is answered after 3 s: the first message
    // takes about 9 s, after which the invocation has less than the start reserve left.
    t.whatsapp.answer_slowly(Duration::from_secs(3));
    let bot = t.bot().await;
    let budget = START_RESERVE + Duration::from_secs(6);
    let started = Instant::now();
    let failed = bot
        .handle_batch_until(&records, Deadline::after(budget))
        .await;
    let took = started.elapsed();
    assert!(
        took < budget,
        "the batch ended before the deadline ({took:?} of {budget:?})"
    );
    let later: Vec<_> = records[1..].iter().map(|r| r.message_id.clone()).collect();
    assert_eq!(failed, later, "the rest goes back to the queue, in order");
    let answered = t.whatsapp.sent().len();
    assert!(answered > 0, "the first message was answered");

    // Redelivered to an invocation with time, they are answered; the first is not again.
    t.whatsapp.answer_slowly(Duration::ZERO);
    assert!(
        bot.handle_batch_until(&records, Deadline::after(Duration::from_secs(60)))
            .await
            .is_empty()
    );
    assert!(t.whatsapp.sent().len() > answered);
    let greetings = t
        .whatsapp
        .texts()
        .iter()
        .filter(|x| x.starts_with("Hallo Anna"))
        .count();
    assert_eq!(greetings, 1, "no message was answered twice");
}

#[tokio::test]
async fn a_message_counted_twice_on_dynamodb_counts_once_per_intent() {
    use helpdesk::domain::unrecognised::Outcome;
    use helpdesk::ports::bot_feedback::{BotFeedback, DynamoBotFeedback, last_days};
    helpdesk::platform::telemetry::init();
    let stack = Stack::new().await;
    let feedback = DynamoBotFeedback::new(stack.aws.dynamodb().clone(), &stack.resources.table);
    let now = jiff::Timestamp::now();
    // A redelivery (or a re-decided turn) counts the same message again; another message counts.
    for key in ["wamid.a", "wamid.a", "wamid.b"] {
        feedback
            .count(key, now, "shipping", Outcome::Contained)
            .await
            .unwrap();
    }
    feedback
        .count("wamid.c", now, "shipping", Outcome::HandedOff)
        .await
        .unwrap();
    let counts = feedback.counts(&last_days(now, 1)).await.unwrap();
    let shipping = &counts["shipping"];
    assert_eq!((shipping.contained, shipping.handed_off), (2, 1));
    assert_eq!(counts.len(), 1, "the markers are no intent: {counts:?}");
}
