//! The webhook intake handler, built by the production wiring, against moto (SQS, SSM,
//! Scheduler) and DynamoDB Local (the table). Each test provisions its own resources.

use std::sync::Arc;

use helpdesk::app::intake::Intake;
use helpdesk::app::intake::webhook::WebhookHandler;
use helpdesk::app::intake::webhook::sample::{SampleText, many_customers, text_notification};
use helpdesk::domain::ids::{TicketId, Wamid};
use helpdesk::domain::ticket::ConversationWindow;
use helpdesk::ports::clock::SystemClock;
use helpdesk::ports::queue::{Queue, QueueError, QueueMessage, SqsQueue};
use helpdesk::ports::store::{DynamoStore, MessageRecord, TicketStore, WriteOutcome};
use helpdesk_tests::{APP_SECRET, Stack, post_signed, s, signed_headers};
use http::{HeaderMap, Method, StatusCode};
use jiff::Timestamp;
use secrecy::SecretString;

const NUMBER: &str = "106540352242922";
const ANNA: &str = "4915112345678";
const T0: i64 = 1_764_061_200;
const ALL_TYPES: &str = include_str!("fixtures/all_message_types.json");
const STATUSES: &str = include_str!("fixtures/statuses.json");

fn text(wamid: &str, at: i64) -> String {
    text_notification(
        NUMBER,
        &[SampleText {
            wa_id: ANNA,
            profile_name: "Anna Müller",
            wamid,
            timestamp: at,
            body: "Wo ist mein Paket?",
        }],
    )
}

#[tokio::test]
async fn a_signed_webhook_opens_a_ticket_stores_the_message_and_queues_it_for_the_bot() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;

    let r = post_signed(&webhook, text("wamid.first", T0).as_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());

    let tickets = stack.items("ticket").await;
    assert_eq!(tickets.len(), 1);
    let ticket_id = s(&tickets[0], "ticket_id").to_owned();
    assert_eq!(s(&tickets[0], "status"), "bot");
    assert_eq!(s(&tickets[0], "customer_name"), "Anna Müller");
    let conversation = &stack.items("conversation").await[0];
    assert_eq!(s(conversation, "PK"), format!("CONV#{NUMBER}#{ANNA}"));
    assert_eq!(s(conversation, "ticket_id"), ticket_id);
    let message = &stack.items("message").await[0];
    assert_eq!(s(message, "PK"), format!("TICKET#{ticket_id}"));
    assert_eq!(s(message, "SK"), "MSG#2025-11-25T09:00:00.000Z#wamid.first");
    assert_eq!(s(message, "text"), "Wo ist mein Paket?");
    let seen = &stack.items("seen").await[0];
    assert!(
        seen.get("expires_at").and_then(|v| v.as_n().ok()).is_some(),
        "idempotency records expire by TTL"
    );
    assert_eq!(
        seen.get("enqueued").and_then(|v| v.as_bool().ok()),
        Some(&true)
    );
    assert_eq!(stack.items("customer").await.len(), 1);

    let queued = stack.drain_inbound().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].group_id, format!("{NUMBER}#{ANNA}"));
    assert_eq!(queued[0].dedup_id, "wamid.first");
    assert_eq!(queued[0].body["ticket_id"], ticket_id.as_str());
    assert_eq!(queued[0].body["opened_ticket"], true);
}

#[tokio::test]
async fn every_message_type_is_stored_with_its_content() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    assert_eq!(
        post_signed(&webhook, ALL_TYPES.as_bytes()).await.status(),
        StatusCode::OK
    );

    let messages = stack.items("message").await;
    let mut kinds: Vec<&str> = messages.iter().map(|m| s(m, "kind")).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "audio",
            "button_reply",
            "contacts",
            "document",
            "image",
            "list_reply",
            "location",
            "order",
            "quick_reply",
            "reaction",
            "sticker",
            "system",
            "text",
            "unknown",
            "unsupported",
            "video"
        ]
    );
    let image = messages.iter().find(|m| s(m, "kind") == "image").unwrap();
    assert_eq!(s(image, "media_id"), "1234567890");
    let unknown = messages.iter().find(|m| s(m, "kind") == "unknown").unwrap();
    let content: serde_json::Value = serde_json::from_str(s(unknown, "content")).unwrap();
    assert_eq!(content["type_name"], "hologram");
    assert_eq!(content["raw"]["frames"], 3);
    assert_eq!(stack.drain_inbound().await.len(), 16);
}

#[tokio::test]
async fn a_redelivered_webhook_creates_no_second_message_ticket_or_queue_entry() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    let body = many_customers(5, T0);
    for _ in 0..3 {
        assert_eq!(
            post_signed(&webhook, body.as_bytes()).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(stack.items("ticket").await.len(), 5);
    assert_eq!(stack.items("message").await.len(), 5);
    assert_eq!(stack.drain_inbound().await.len(), 5);
}

#[tokio::test]
async fn parallel_first_messages_from_one_customer_open_exactly_one_ticket() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    let posts: Vec<_> = (0..24)
        .map(|i| {
            let webhook = webhook.clone();
            tokio::spawn(async move {
                let body = text(&format!("wamid.par{i:02}"), T0 + i);
                post_signed(&webhook, body.as_bytes()).await.status()
            })
        })
        .collect();
    for p in posts {
        assert_eq!(p.await.unwrap(), StatusCode::OK);
    }
    let tickets = stack.items("ticket").await;
    assert_eq!(tickets.len(), 1, "one customer, one open ticket");
    assert_eq!(
        tickets[0]
            .get("inbound_count")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("24")
    );
    assert_eq!(stack.items("message").await.len(), 24);
    let conversation = &stack.items("conversation").await[0];
    assert_eq!(
        s(conversation, "last_customer_at"),
        "2025-11-25T09:00:23.000Z"
    );
    let queued = stack.drain_inbound().await;
    assert_eq!(queued.len(), 24);
    assert!(
        queued
            .iter()
            .all(|q| q.body["ticket_id"] == s(&tickets[0], "ticket_id"))
    );
}

#[tokio::test]
async fn a_follow_up_joins_and_a_message_after_the_window_opens_a_new_ticket() {
    let stack = Stack::with_env(&[("HELPDESK_CONVERSATION_WINDOW_HOURS", "48")]).await;
    let webhook = stack.webhook().await;
    for (wamid, at) in [
        ("wamid.a", T0),
        ("wamid.b", T0 + 47 * 3600),
        ("wamid.c", T0 + 95 * 3600 + 1),
    ] {
        assert_eq!(
            post_signed(&webhook, text(wamid, at).as_bytes())
                .await
                .status(),
            StatusCode::OK
        );
    }
    let mut tickets = stack.items("ticket").await;
    tickets.sort_by(|a, b| s(a, "opened_by").cmp(s(b, "opened_by")));
    let opened_by: Vec<&str> = tickets.iter().map(|t| s(t, "opened_by")).collect();
    assert_eq!(opened_by, ["wamid.a", "wamid.c"]);
    let conversation = &stack.items("conversation").await[0];
    assert_eq!(
        s(conversation, "ticket_id"),
        s(&tickets[1], "ticket_id"),
        "the conversation points at the new ticket"
    );
}

/// Fails its first `n` sends, then passes through: a queue outage between store and enqueue.
struct FlakyQueue {
    inner: SqsQueue,
    failures_left: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Queue for FlakyQueue {
    async fn send(&self, items: &[QueueMessage]) -> Result<(), QueueError> {
        let left = self.failures_left.load(std::sync::atomic::Ordering::SeqCst);
        if left > 0 {
            self.failures_left
                .store(left - 1, std::sync::atomic::Ordering::SeqCst);
            return Err(QueueError::Unavailable("injected outage".into()));
        }
        self.inner.send(items).await
    }
}

#[tokio::test]
async fn a_failure_between_store_and_enqueue_answers_503_and_the_retry_completes_once() {
    let stack = Stack::new().await;
    let store = DynamoStore::new(stack.aws.dynamodb().clone(), &stack.resources.table);
    let queue = FlakyQueue {
        inner: SqsQueue::new(stack.aws.sqs().clone(), &stack.resources.inbound_queue_url),
        failures_left: 1.into(),
    };
    let intake = Intake::new(
        Arc::new(store),
        Arc::new(queue),
        Arc::new(SystemClock),
        ConversationWindow::default(),
    );
    let webhook = WebhookHandler::new(
        intake,
        &SecretString::from(APP_SECRET),
        SecretString::from("t"),
    );
    let body = text("wamid.flaky", T0);

    let first = post_signed(&webhook, body.as_bytes()).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        stack.items("message").await.len(),
        1,
        "stored before the queue failed"
    );
    assert!(stack.drain_inbound().await.is_empty());

    let retry = post_signed(&webhook, body.as_bytes()).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(stack.items("message").await.len(), 1);
    assert_eq!(stack.items("ticket").await.len(), 1);
    let queued = stack.drain_inbound().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].dedup_id, "wamid.flaky");
}

#[tokio::test]
async fn rejected_requests_store_and_queue_nothing() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    let body = text("wamid.rejected", T0);

    let mut wrong = signed_headers(b"another body");
    let unsigned = webhook
        .handle(&Method::POST, None, &HeaderMap::new(), body.as_bytes())
        .await;
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let forged = webhook
        .handle(&Method::POST, None, &wrong, body.as_bytes())
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    wrong.insert(
        "x-hub-signature-256",
        http::HeaderValue::from_static("sha256=not-hex"),
    );
    assert_eq!(
        webhook
            .handle(&Method::POST, None, &wrong, body.as_bytes())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let oversized = vec![b' '; helpdesk::app::intake::webhook::MAX_BODY_BYTES + 1];
    assert_eq!(
        post_signed(&webhook, &oversized).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for malformed in [&b"{\"object\":"[..], br#"{"object":"page","entry":[]}"#] {
        assert_eq!(
            post_signed(&webhook, malformed).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    for entity in ["ticket", "message", "seen", "conversation", "customer"] {
        assert!(
            stack.items(entity).await.is_empty(),
            "{entity} stored for a rejected request"
        );
    }
    assert!(stack.drain_inbound().await.is_empty());
}

/// Our text to Anna on `ticket` as message `wamid`, sent at T0 + 60 s and recorded at `recorded`
/// (Unix seconds).
fn our_reply(ticket: TicketId, wamid: &str, recorded: i64) -> MessageRecord {
    MessageRecord {
        recorded_at: Timestamp::from_second(recorded).unwrap(),
        ..MessageRecord::outbound_text(
            ticket,
            Wamid::parse(wamid).unwrap(),
            "Hallo Anna, wie kann ich helfen?",
            Timestamp::from_second(T0 + 60).unwrap(),
        )
    }
}

#[tokio::test]
async fn delivery_statuses_move_outbound_messages_forward_and_unknown_ones_are_ignored() {
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    let store = DynamoStore::new(stack.aws.dynamodb().clone(), &stack.resources.table);
    let ticket = TicketId::new(Timestamp::from_second(T0).unwrap());
    for wamid in ["wamid.OUT01", "wamid.OUT02"] {
        let out = our_reply(ticket, wamid, T0 + 60);
        assert_eq!(
            store.record_outbound(&out).await.unwrap(),
            WriteOutcome::Written
        );
    }
    let r = post_signed(&webhook, STATUSES.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());
    // Redelivery changes nothing.
    assert_eq!(
        post_signed(&webhook, STATUSES.as_bytes()).await.status(),
        StatusCode::OK
    );

    let messages = store.messages(ticket).await.unwrap();
    let state = |w: &str| {
        let m = messages.iter().find(|m| m.wamid.as_str() == w).unwrap();
        m.delivery.clone().unwrap()
    };
    assert_eq!(
        state("wamid.OUT01").state.as_str(),
        "read",
        "sent and delivered arrived after read"
    );
    let failed = state("wamid.OUT02");
    assert_eq!(failed.state.as_str(), "failed");
    assert!(failed.errors.unwrap().contains("131047"));
}

#[tokio::test]
async fn secrets_given_as_ssm_references_are_resolved_at_start() {
    let stack = Stack::with_env(&[("WHATSAPP_APP_SECRET", "ssm:/helpdesk/test/app-secret")]).await;
    stack
        .aws
        .ssm()
        .put_parameter()
        .name("/helpdesk/test/app-secret")
        .value(APP_SECRET)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let webhook = stack.webhook().await;
    let r = post_signed(&webhook, text("wamid.ssm", T0).as_bytes()).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "signed with the secret stored in SSM"
    );
}

#[tokio::test]
async fn a_missing_ssm_parameter_fails_start_naming_the_variable() {
    let stack =
        Stack::with_env(&[("WHATSAPP_VERIFY_TOKEN", "ssm:/helpdesk/test/does-not-exist")]).await;
    let err = match helpdesk::platform::wiring::webhook_handler(&stack.env, &stack.aws).await {
        Ok(_) => panic!("a missing parameter must fail start"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("WHATSAPP_VERIFY_TOKEN") && err.contains("/helpdesk/test/does-not-exist"),
        "{err}"
    );
}

#[tokio::test]
async fn delivery_statuses_that_overtake_their_message_are_applied_when_it_is_recorded() {
    // GIVEN a ticket, and Meta's statuses for two replies we have not recorded yet
    let stack = Stack::new().await;
    let webhook = stack.webhook().await;
    let store = DynamoStore::new(stack.aws.dynamodb().clone(), &stack.resources.table);
    let r = post_signed(&webhook, text("wamid.early-in", T0).as_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());
    let ticket = store
        .ticket(TicketId::parse(s(&stack.items("ticket").await[0], "ticket_id")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let r = post_signed(&webhook, STATUSES.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());
    assert_eq!(
        stack.items("early_status").await.len(),
        3,
        "OUT01 (read), OUT02 (failed) and NEVER kept, one item each"
    );

    // WHEN the replies are recorded: one directly, one as the bot's sent outbox entry
    let reply = |wamid: &str| our_reply(ticket.id, wamid, T0 + 61);
    assert_eq!(
        store.record_outbound(&reply("wamid.OUT01")).await.unwrap(),
        WriteOutcome::Written
    );
    let entry = helpdesk::ports::store::OutboxEntry {
        ticket_id: ticket.id,
        inbound: Wamid::parse("wamid.early-in").unwrap(),
        seq: 0,
        kind: helpdesk::ports::store::OutboxKind::WhatsApp,
        payload: "{}".into(),
        done: false,
    };
    let mut next = ticket.clone();
    next.version += 1;
    let turn = helpdesk::ports::store::BotTurnWrite {
        ticket: &next,
        message: None,
        outbox: std::slice::from_ref(&entry),
        activity: &[],
        tags_before: &[],
        now: Timestamp::now(),
    };
    assert_eq!(
        store.commit_bot_turn(&turn).await.unwrap(),
        helpdesk::ports::store::TurnOutcome::Committed
    );
    let sent = reply("wamid.OUT02");
    store.complete_outbox(&entry, Some(&sent)).await.unwrap();
    // A retry of the completion changes nothing.
    store.complete_outbox(&entry, Some(&sent)).await.unwrap();

    // THEN each shows the best state Meta reported; only the stranger's status is still kept
    let messages = store.messages(ticket.id).await.unwrap();
    let state = |w: &str| {
        let m = messages.iter().find(|m| m.wamid.as_str() == w).unwrap();
        m.delivery.clone().expect("a delivery state")
    };
    let read = state("wamid.OUT01");
    assert_eq!(
        (read.state.as_str(), read.at.as_second()),
        ("read", 1_764_061_320)
    );
    let failed = state("wamid.OUT02");
    assert_eq!(failed.state.as_str(), "failed");
    assert!(failed.errors.unwrap().contains("131047"));
    let kept = stack.items("early_status").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(s(&kept[0], "PK"), "WAMID#wamid.NEVER");
    assert!(
        kept[0].contains_key("expires_at"),
        "kept for a limited time"
    );
}
