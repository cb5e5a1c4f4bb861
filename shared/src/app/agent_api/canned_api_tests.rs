//! Canned responses through the API: the caller's share of the catalogue rendered for a ticket,
//! a reply with a gap refused; personal ones an agent keeps (stored per agent, versioned),
//! checked like the configuration's, offered before the team's and everyone's.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::domain::ids::TicketId;
use crate::ports::clock::Clock as _;
use crate::ports::store::TicketStore as _;
use crate::testkit::api::api;

fn ids(list: &Value) -> Vec<String> {
    list["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_agent_keeps_their_own_responses_offered_first_and_only_to_them() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let thanks = json!({"title": "My thanks", "shortcut": "thx", "text": "Danke, {{customer_name}}! Ticket {{ticket_id}}, Bestellung {{order_id}}."});
    let r = a.answers(201, "tom", "POST", "/canned", thanks).await;
    assert_eq!(r["scope"], "personal");
    assert_eq!(r["version"], 1);
    let mine = r["id"].as_str().unwrap().to_owned();
    let list = a
        .ok("tom", "GET", &format!("/canned?ticket={id}"), Value::Null)
        .await;
    assert_eq!(ids(&list)[0], mine, "personal before team and global");
    let own = &list["responses"][0];
    assert_eq!(
        own["text"],
        format!("Danke, Anna! Ticket {id}, Bestellung {{{{order_id}}}}.")
    );
    assert_eq!(own["missing"], json!(["order_id"]), "same variable checks");
    let lea = a.ok("lea", "GET", "/canned", Value::Null).await;
    assert!(!ids(&lea).contains(&mine), "nobody else sees it");
    // Only its owner edits or deletes it.
    a.answers(
        404,
        "lea",
        "DELETE",
        &format!("/canned/{mine}?version=1"),
        Value::Null,
    )
    .await;
}

#[tokio::test]
async fn personal_responses_are_checked_like_the_configuration() {
    let a = api().await;
    for (body, field) in [
        (json!({"title": "", "text": "x"}), "title"),
        (json!({"title": "A", "text": "Hi {{nickname}}"}), "text"),
        (json!({"title": "A", "text": "Hi {{customer_name"}), "text"),
        (json!({"title": "A", "text": "   "}), "text"),
        (
            json!({"title": "A", "text": "x", "shortcut": "Bad Shortcut"}),
            "shortcut",
        ),
        (
            json!({"title": "A", "text": "x", "language": "german!"}),
            "language",
        ),
        (
            json!({"title": "A", "text": "x", "scope": "global"}),
            "scope",
        ),
    ] {
        let r = a.call("tom", "POST", "/canned", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{body}: {}", r.body);
    }
    a.ok("tom", "GET", "/canned", Value::Null).await;
    let first = a
        .call(
            "tom",
            "POST",
            "/canned",
            json!({"title": "A", "shortcut": "hi", "text": "Hallo"}),
        )
        .await;
    assert_eq!(first.status, 201);
    // the shortcut is taken
    let r = a
        .answers(
            400,
            "tom",
            "POST",
            "/canned",
            json!({"title": "B", "shortcut": "hi", "text": "Hi"}),
        )
        .await;
    assert!(r["fields"]["shortcut"].is_string());
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_and_a_redelivered_create_makes_one() {
    let a = api().await;
    let body = r#"{"title": "Bye", "shortcut": "bye", "text": "Tschuess"}"#;
    let created = a.create_once("tom", "/canned", body, "key-canned-01").await;
    let id = created["id"].as_str().unwrap().to_owned();
    let edit = json!({"title": "Bye", "shortcut": "bye", "text": "Tschüss, {{customer_name}}", "version": 1});
    let stale = json!({"title": "Old", "text": "old", "version": 1});
    a.edit_refusing_stale("tom", "/canned", &id, edit, stale)
        .await;
    let list = a.ok("tom", "GET", "/canned", Value::Null).await;
    let own: Vec<&Value> = list["responses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["scope"] == "personal")
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["template"], "Tschüss, {{customer_name}}");
    a.delete_for_good("tom", "/canned", &id, 2).await;
    let list = a.ok("tom", "GET", "/canned", Value::Null).await;
    assert!(!ids(&list).contains(&id));
}

fn canned_catalog() -> Arc<crate::domain::canned::CannedResponses> {
    let body = r#"version = 1
[[responses]]
id = "greet"
title = "Greeting"
scope = "global"
shortcut = "greet"
text = "Hi {{customer_name}}, {{agent_name}} from {{company}} here. Order {{order_id}}?"
[[responses]]
id = "refund"
title = "Refund"
scope = "team"
team = "billing"
text = "Refund for {{ticket_id}}"
[[responses]]
id = "toms-bye"
title = "Bye"
scope = "personal"
owner = "tom"
shortcut = "bye"
text = "Bye from {{agent_name}}"
"#;
    Arc::new(crate::domain::canned::CannedResponses::parse(body, "test").unwrap())
}

#[tokio::test]
async fn canned_responses_are_the_callers_share_rendered_for_the_ticket_with_gaps_named() {
    let mut a = api().await;
    a.api = a
        .api
        .with_canned(canned_catalog())
        .with_company("Nordlicht");
    let id = a.queued("4915100000001", "wamid.1").await;
    let tid = TicketId::parse(&id).unwrap();
    let mut t = a.w.store.ticket(tid).await.unwrap().unwrap();
    t.customer_name = Some("Ana".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;

    let list = a
        .ok("tom", "GET", &format!("/canned?ticket={id}"), Value::Null)
        .await;
    let ids: Vec<&str> = list["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["toms-bye", "greet"],
        "not billing's; personal first (a shortcut offers the own before the shared)"
    );
    let greet = &list["responses"][1];
    assert_eq!(
        greet["text"], "Hi Ana, tom from Nordlicht here. Order {{order_id}}?",
        "{greet}"
    );
    assert_eq!(greet["missing"], json!(["order_id"]));
    assert_eq!(greet["shortcut"], "greet");

    let ben = a.ok("ben", "GET", "/canned", Value::Null).await;
    let refund = ben["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "refund")
        .expect("billing sees its own");
    assert_eq!(refund["missing"], json!(["ticket_id"]), "no ticket given");

    a.answers(404, "tom", "GET", "/canned?ticket=nope", Value::Null)
        .await;
    let r = a
        .answers(400, "tom", "GET", "/canned?tiket=1", Value::Null)
        .await;
    assert!(r["fields"]["tiket"].is_string());
}

#[tokio::test]
async fn a_reply_with_an_unfilled_variable_is_refused_naming_it_and_nothing_is_sent() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let before = a.w.whatsapp.sent().len();
    for text in [
        "Hi {{customer_name}}, order {order_id}?",
        "Hi {customer_name}",
    ] {
        let r = a
            .act_answers(422, "tom", &id, "reply", json!({ "text": text }))
            .await;
        assert_eq!(r["error"], "unfilled_variable");
        assert!(
            r["message"].as_str().unwrap().contains("{{customer_name}}"),
            "{}",
            r
        );
    }
    assert_eq!(
        a.w.whatsapp.sent().len(),
        before,
        "nothing reached WhatsApp"
    );
    // Braces that are no variable are ordinary text.
    a.act("tom", &id, "reply", json!({"text": "Hi Ana {:-)}"}))
        .await;
    // A note may quote a variable (agents explain a canned response to each other).
    a.act(
        "tom",
        &id,
        "notes",
        json!({"text": "use {{order_id}} here"}),
    )
    .await;
}
