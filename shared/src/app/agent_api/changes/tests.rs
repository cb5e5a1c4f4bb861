use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::intake::webhook::plan::plan;
use crate::app::intake::webhook::sample::{SampleStatus, status_notification};
use crate::domain::ticket::TicketStatus;
use crate::ports::clock::Clock as _;
use crate::ports::store::TicketStore as _;
use crate::ports::whatsapp::WhatsAppError;
use crate::testkit::api::{Api, api};

/// The console's change token for `who` following `ticket`: nothing has moved at once.
async fn token(d: &Api, who: &str, ticket: &str) -> String {
    let now = d
        .ok(
            who,
            "GET",
            &format!("/changes?ticket={ticket}"),
            Value::Null,
        )
        .await;
    assert_eq!(
        (now["queue"].clone(), now["ticket"].clone()),
        (json!(false), json!(false))
    );
    now["token"].as_str().unwrap().to_owned()
}

/// (queue moved, ticket moved) since `token` for `who` following `ticket`.
async fn moved(d: &Api, who: &str, token: &str, ticket: &str) -> (bool, bool) {
    let r = d
        .ok(
            who,
            "GET",
            &format!("/changes?since={token}&ticket={ticket}"),
            Value::Null,
        )
        .await;
    (
        r["queue"].as_bool().unwrap(),
        r["ticket"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn a_customer_message_after_a_token_shows_on_every_console_following_the_queue_or_ticket() {
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.first").await;
    let tom = token(&d, "tom", &id).await;
    let lea = token(&d, "lea", &id).await;
    assert_eq!(
        moved(&d, "tom", &tom, &id).await,
        (false, false),
        "nothing happened yet"
    );

    d.w.customer_as("4915112345678", "wamid.second", "Hallo? Noch da?")
        .await;

    assert_eq!(moved(&d, "tom", &tom, &id).await, (true, true));
    assert_eq!(moved(&d, "lea", &lea, &id).await, (true, true));
    // With the new token, quiet again.
    let now = d
        .ok(
            "tom",
            "GET",
            &format!("/changes?since={tom}&ticket={id}"),
            Value::Null,
        )
        .await;
    let next = now["token"].as_str().unwrap();
    assert_eq!(moved(&d, "tom", next, &id).await, (false, false));
}

#[tokio::test]
async fn an_assignment_moves_the_queue_of_a_colleague_watching_another_ticket() {
    let d = api().await;
    let mine = d.queued("4915112345678", "wamid.a").await;
    let other = d.queued("4915199999999", "wamid.b").await;
    let lea = token(&d, "lea", &mine).await;

    d.act_answers(200, "tom", &other, "assign", json!({ "agent": "tom" }))
        .await;

    assert_eq!(
        moved(&d, "lea", &lea, &mine).await,
        (true, false),
        "queue moved, her ticket did not"
    );
}

#[tokio::test]
async fn a_delivery_tick_moves_the_ticket() {
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.a").await;
    d.act_answers(
        200,
        "maria",
        &id,
        "reply",
        json!({ "text": "Ich schaue nach." }),
    )
    .await;
    let sent = d.w.whatsapp.sent().last().unwrap().wamid.clone();
    let token = token(&d, "tom", &id).await;

    let body = status_notification(
        "106540352242922",
        &[SampleStatus {
            wamid: sent.as_str(),
            status: "delivered",
            recipient: "4915112345678",
            timestamp: d.w.clock.now().as_second(),
        }],
    );
    d.w.intake.ingest(&plan(body.as_bytes()).unwrap()).await;

    assert!(moved(&d, "tom", &token, &id).await.1);
    let detail = d.detail("tom", &id).await;
    let shown = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["wamid"] == sent.as_str())
        .cloned();
    assert_eq!(shown.unwrap()["delivery"], "delivered");
}

#[tokio::test]
async fn malformed_tokens_and_unknown_parameters_are_400_naming_the_field() {
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.a").await;
    for since in ["abc", "12", "1.2.3", "-1.0", "1.x"] {
        let r = d
            .call(
                "tom",
                "GET",
                &format!("/changes?since={since}"),
                Value::Null,
            )
            .await;
        assert_eq!(r.status, 400, "{since}: {}", r.body);
        assert!(
            r.body["fields"]["since"]
                .as_str()
                .unwrap()
                .contains("change token"),
            "{}",
            r.body
        );
    }
    let r = d
        .answers(400, "tom", "GET", "/changes?ticket=nope", Value::Null)
        .await;
    assert!(r["fields"]["ticket"].is_string(), "{}", r);
    let r = d
        .answers(400, "tom", "GET", "/changes?wait=20", Value::Null)
        .await;
    assert!(r["fields"]["wait"].is_string(), "{}", r);
    // A ticket the caller may not see is not followed either (ben works in billing).
    d.answers(
        403,
        "ben",
        "GET",
        &format!("/changes?ticket={id}"),
        Value::Null,
    )
    .await;
    d.answers(401, "nobody", "GET", "/changes", Value::Null)
        .await;
}

/// The console's loop: poll, and re-read the state when the counters moved. However writers
/// interleave, the last state it read is the final state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_console_polling_during_concurrent_writes_misses_nothing() {
    let d = Arc::new(api().await);
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            d.queued(&format!("49151000000{i}"), &format!("wamid.c{i}"))
                .await,
        );
    }
    let store = d.w.store.clone();
    let versions = |store: Arc<crate::ports::store::MemoryStore>| async move {
        let mut v: Vec<(String, u64)> = store
            .tickets()
            .into_iter()
            .map(|t| (t.id.to_string(), t.version))
            .collect();
        v.sort();
        v
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (d, stop, store) = (d.clone(), stop.clone(), store.clone());
        tokio::spawn(async move {
            let mut token = d.ok("maria", "GET", "/changes", Value::Null).await["token"]
                .as_str()
                .unwrap()
                .to_owned();
            let mut seen = versions(store.clone()).await;
            loop {
                let done = stop.load(std::sync::atomic::Ordering::SeqCst);
                let r = d
                    .ok(
                        "maria",
                        "GET",
                        &format!("/changes?since={token}"),
                        Value::Null,
                    )
                    .await;
                if r["queue"] == true {
                    seen = versions(store.clone()).await;
                }
                token = r["token"].as_str().unwrap().to_owned();
                if done {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut writers = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let (store, id, now) = (store.clone(), id.clone(), d.w.clock.now());
        writers.push(tokio::spawn(async move {
            for _ in 0..25 + n {
                let t = store
                    .ticket(crate::domain::ids::TicketId::parse(&id).unwrap())
                    .await
                    .unwrap()
                    .unwrap();
                crate::testkit::save(&store, t, now).await;
                tokio::task::yield_now().await;
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert_eq!(seen, versions(store).await);
}

#[tokio::test]
async fn opening_an_unread_conversation_marks_it_read_with_typing_once() {
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.open1").await;
    let ticket =
        d.w.store
            .ticket(crate::domain::ids::TicketId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_ne!(ticket.status, TicketStatus::Bot);

    let r = d.act("maria", &id, "read", Value::Null).await;
    assert_eq!(r["marked"], true, "{r}");
    let typed: Vec<String> =
        d.w.whatsapp
            .read_typing()
            .iter()
            .map(|w| w.as_str().to_owned())
            .collect();
    assert_eq!(typed, ["wamid.open1"]);

    // Again, by another agent, after a reload: nothing more is sent.
    for who in ["maria", "tom", "lea"] {
        let r = d.act(who, &id, "read", Value::Null).await;
        assert_eq!(r["marked"], false, "{who}: {r}");
    }
    assert_eq!(d.w.whatsapp.read_typing().len(), 1);

    // A new customer message is unread again.
    d.w.customer_as("4915112345678", "wamid.open2", "Und?")
        .await;
    let r = d.act("tom", &id, "read", Value::Null).await;
    assert_eq!(r["marked"], true, "{r}");
    assert_eq!(
        d.w.whatsapp.read_typing().last().unwrap().as_str(),
        "wamid.open2"
    );
}

#[tokio::test]
async fn a_conversation_the_bot_answers_is_never_marked_by_an_agent_opening_it() {
    let d = api().await;
    let id = d.w.customer("wamid.bot1", "Wo ist mein Paket?").await;
    assert_eq!(
        d.w.store.ticket(id).await.unwrap().unwrap().status,
        TicketStatus::Bot
    );
    let r = d.act("maria", &id, "read", Value::Null).await;
    assert_eq!(r["marked"], false);
    assert!(r["reason"].as_str().unwrap().contains("bot"), "{r}");
    assert!(d.w.whatsapp.read_typing().is_empty());
}

#[tokio::test]
async fn a_read_receipt_whatsapp_refused_is_sent_at_the_next_open() {
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.fail1").await;
    d.w.whatsapp
        .inject_faults([WhatsAppError::classify(503, 0, "down".into())]);
    d.act_answers(503, "maria", &id, "read", Value::Null).await;
    assert!(d.w.whatsapp.read_typing().is_empty());

    let r = d.act("maria", &id, "read", Value::Null).await;
    assert_eq!(r["marked"], true, "{r}");
    assert_eq!(d.w.whatsapp.read_typing().len(), 1);
}

#[tokio::test]
async fn a_read_receipt_meta_refuses_for_good_is_no_error_and_not_tried_again() {
    // Meta answers an unknown or too old message id with a 400 (code 100): no retry helps.
    let d = api().await;
    let id = d.queued("4915112345678", "wamid.gone1").await;
    d.w.whatsapp
        .inject_faults([WhatsAppError::classify(400, 100, "unknown object".into())]);
    let r = d.act("maria", &id, "read", Value::Null).await;
    assert_eq!(r["marked"], false, "{r}");
    let again = d.act("maria", &id, "read", Value::Null).await;
    assert_eq!(again["marked"], false, "{again}");
    assert!(d.w.whatsapp.read_typing().is_empty());
}
