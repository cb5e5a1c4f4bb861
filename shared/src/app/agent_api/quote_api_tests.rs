//! Reactions and quoted replies in the agent API: the customer's show on the messages they
//! refer to; an agent quotes and reacts to the customer's messages of the ticket only.

use serde_json::{Value, json};

use crate::ports::clock::Clock as _;
use crate::testkit::api::{Api, api};

const WA: &str = "4915100000001";

/// The customer sends `message` (a `type` and its object) with an optional `context` wamid.
async fn customer_sends(a: &Api, wamid: &str, message: Value, context: Option<&str>) {
    let mut m = json!({"from": WA, "id": wamid,
        "timestamp": a.w.clock.now().as_second().to_string()});
    for (k, v) in message.as_object().unwrap() {
        m[k] = v.clone();
    }
    if let Some(c) = context {
        m["context"] = json!({"from": "4930123456789", "id": c});
    }
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": WA}],
            "messages": [m]
        }}]}]
    });
    a.w.deliver(&body.to_string()).await;
}

fn message<'a>(t: &'a Value, wamid: &str) -> &'a Value {
    t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["wamid"] == wamid)
        .unwrap_or_else(|| panic!("{wamid} not in {t}"))
}

#[tokio::test]
async fn the_detail_links_reactions_and_quotes_to_their_messages_both_ways() {
    let a = api().await;
    let id = a.queued(WA, "wamid.C1").await;
    let detail = format!("/tickets/{id}");
    a.act("tom", &id, "reply", json!({"text": "Welche Bestellung?"}))
        .await;
    let t = a.ok("tom", "GET", &detail, Value::Null).await;
    let ours = t["messages"].as_array().unwrap().last().unwrap()["wamid"]
        .as_str()
        .unwrap()
        .to_owned();

    customer_sends(
        &a,
        "wamid.C2",
        json!({"type": "reaction", "reaction": {"message_id": ours, "emoji": "👍"}}),
        None,
    )
    .await;
    customer_sends(
        &a,
        "wamid.C3",
        json!({"type": "text", "text": {"body": "Die vom Montag"}}),
        Some(&ours),
    )
    .await;
    a.act(
        "tom",
        &id,
        "reply",
        json!({"text": "Danke!", "quote": "wamid.C3"}),
    )
    .await;
    a.act(
        "tom",
        &id,
        "react",
        json!({"message": "wamid.C3", "emoji": "🙏"}),
    )
    .await;

    let t = a.ok("tom", "GET", &detail, Value::Null).await;
    let reaction = message(&t, "wamid.C2");
    assert_eq!(reaction["kind"], "reaction");
    assert_eq!(
        reaction["context_id"],
        ours.as_str(),
        "on the message reacted to"
    );
    assert_eq!(reaction["emoji"], "👍");
    assert_eq!(
        message(&t, "wamid.C3")["context_id"],
        ours.as_str(),
        "the quoted message"
    );
    let sent: Vec<&Value> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    let quoting = sent.iter().find(|m| m["text"] == "Danke!").unwrap();
    assert_eq!(quoting["context_id"], "wamid.C3");
    assert_eq!(quoting["kind"], "text");
    let ours_reaction = sent.iter().find(|m| m["kind"] == "reaction").unwrap();
    assert_eq!(ours_reaction["context_id"], "wamid.C3");
    assert_eq!(ours_reaction["emoji"], "🙏");
    assert!(a.activity(&id).await.contains(&"reacted:🙏".to_owned()));
}

#[tokio::test]
async fn quoting_or_reacting_outside_the_ticket_is_400_naming_the_field() {
    let a = api().await;
    let other = a.queued("4915100000002", "wamid.X1").await;
    let id = a.queued(WA, "wamid.Y1").await;
    let sent_before = a.w.whatsapp.sent().len();
    for (action, body, field) in [
        (
            "reply",
            json!({"text": "Hallo", "quote": "wamid.X1"}),
            "quote",
        ),
        ("reply", json!({"text": "Hallo", "quote": ""}), "quote"),
        (
            "react",
            json!({"message": "wamid.X1", "emoji": "👍"}),
            "message",
        ),
        (
            "react",
            json!({"message": "wamid.Y1", "emoji": "super"}),
            "emoji",
        ),
        ("react", json!({"message": "wamid.Y1"}), "emoji"),
        (
            "react",
            json!({"message": "wamid.Y1", "emoji": "👍", "x": 1}),
            "x",
        ),
    ] {
        let r = a
            .call("tom", "POST", &format!("/tickets/{id}/{action}"), body)
            .await;
        assert_eq!(r.status, 400, "{action}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{action}: {}", r.body);
    }
    assert_eq!(a.w.whatsapp.sent().len(), sent_before, "nothing was sent");
    let _ = other;
}
