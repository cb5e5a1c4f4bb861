//! Personal canned responses through the API: an agent keeps their own (stored per agent,
//! versioned), checked like the configuration's, offered before the team's and everyone's.

use serde_json::{Value, json};

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
    let r = a
        .call(
            "tom",
            "POST",
            "/canned",
            json!({"title": "My thanks", "shortcut": "thx", "text": "Danke, {{customer_name}}! Ticket {{ticket_id}}, Bestellung {{order_id}}."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["scope"], "personal");
    assert_eq!(r.body["version"], 1);
    let mine = r.body["id"].as_str().unwrap().to_owned();
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
    let r = a
        .call(
            "lea",
            "DELETE",
            &format!("/canned/{mine}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
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
    let r = a
        .call(
            "tom",
            "POST",
            "/canned",
            json!({"title": "B", "shortcut": "hi", "text": "Hi"}),
        )
        .await;
    assert_eq!(r.status, 400, "the shortcut is taken: {}", r.body);
    assert!(r.body["fields"]["shortcut"].is_string());
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_and_a_redelivered_create_makes_one() {
    let a = api().await;
    let body = r#"{"title": "Bye", "shortcut": "bye", "text": "Tschuess"}"#;
    let first = a
        .call_keyed("tom", "POST", "/canned", body, "key-canned-01")
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = a
        .call_keyed("tom", "POST", "/canned", body, "key-canned-01")
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let edited = a
        .ok(
            "tom",
            "PUT",
            &format!("/canned/{id}"),
            json!({"title": "Bye", "shortcut": "bye", "text": "Tschüss, {{customer_name}}", "version": 1}),
        )
        .await;
    assert_eq!(edited["version"], 2);
    let r = a
        .call(
            "tom",
            "PUT",
            &format!("/canned/{id}"),
            json!({"title": "Old", "text": "old", "version": 1}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["current_version"], 2);
    let list = a.ok("tom", "GET", "/canned", Value::Null).await;
    let own: Vec<&Value> = list["responses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["scope"] == "personal")
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["template"], "Tschüss, {{customer_name}}");
    let r = a
        .call(
            "tom",
            "DELETE",
            &format!("/canned/{id}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 409);
    a.ok(
        "tom",
        "DELETE",
        &format!("/canned/{id}?version=2"),
        Value::Null,
    )
    .await;
    let list = a.ok("tom", "GET", "/canned", Value::Null).await;
    assert!(!ids(&list).contains(&id));
}
