//! Saved views through the API: personal and team views, who may keep which, validation, the
//! count, versioned edits and deletes, and a redelivered create.

use serde_json::{Value, json};

use crate::testkit::api::api;

fn names(list: &Value) -> Vec<String> {
    list["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_agent_saves_a_tag_filter_as_a_view_that_shows_its_count() {
    let a = api().await;
    let one = a.queued("4915100000001", "wamid.1").await;
    a.queued("4915100000002", "wamid.2").await;
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{one}/tag"),
        json!({"tag": "refund"}),
    )
    .await;
    let r = a
        .call(
            "tom",
            "POST",
            "/views",
            json!({"name": "Refunds", "filter": {"tag": "refund", "status": "queued,assigned"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["count"], 1);
    assert_eq!(r.body["scope"], "personal");
    assert_eq!(r.body["version"], 1);
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["Refunds"]);
    assert_eq!(list["views"][0]["count"], 1);
    assert_eq!(list["views"][0]["count_more"], false);
    // The count follows the tickets.
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{one}/untag"),
        json!({"tag": "refund"}),
    )
    .await;
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(list["views"][0]["count"], 0);
    // Personal: nobody else sees it.
    let lea = a.ok("lea", "GET", "/views", Value::Null).await;
    assert!(names(&lea).is_empty());
}

#[tokio::test]
async fn team_views_are_kept_by_the_teams_supervisors_and_read_by_its_agents() {
    let a = api().await;
    let team_view = json!({"name": "Urgent", "scope": "team", "team": "support", "filter": {"priority": "urgent"}});
    let r = a.call("tom", "POST", "/views", team_view.clone()).await;
    assert_eq!(r.status, 403, "agents keep personal views only: {}", r.body);
    let r = a.call("maria", "POST", "/views", team_view.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["team"], "support");
    let tom = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&tom), ["Urgent"], "support agents see it");
    let ben = a.ok("ben", "GET", "/views", Value::Null).await;
    assert!(names(&ben).is_empty(), "billing does not");
    let r = a
        .call(
            "tom",
            "PUT",
            &format!("/views/{id}"),
            json!({"name": "Mine now", "version": 1}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = a
        .call(
            "tom",
            "DELETE",
            &format!("/views/{id}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = a
        .call(
            "maria",
            "POST",
            "/views",
            json!({"name": "B", "scope": "team", "team": "billing", "filter": {}}),
        )
        .await;
    assert_eq!(r.status, 403, "not her team: {}", r.body);
    let r = a
        .call(
            "root",
            "POST",
            "/views",
            json!({"name": "B", "scope": "team", "team": "billing", "filter": {}}),
        )
        .await;
    assert_eq!(r.status, 201, "admins keep any team's: {}", r.body);
}

#[tokio::test]
async fn views_are_validated_naming_the_field() {
    let a = api().await;
    for (body, field) in [
        (json!({"name": "", "filter": {}}), "name"),
        (json!({"name": "x".repeat(41), "filter": {}}), "name"),
        (json!({"name": "A", "filter": {"colour": "red"}}), "filter"),
        (
            json!({"name": "A", "filter": {"status": "open"}}),
            "filter.status",
        ),
        (
            json!({"name": "A", "filter": {"priority": "asap"}}),
            "filter.priority",
        ),
        (
            json!({"name": "A", "filter": {"sla": "late"}}),
            "filter.sla",
        ),
        (
            json!({"name": "A", "filter": {"tag": "no way!"}}),
            "filter.tag",
        ),
        (json!({"name": "A", "scope": "team", "filter": {}}), "team"),
        (
            json!({"name": "A", "team": "support", "filter": {}}),
            "team",
        ),
        (json!({"name": "A", "filter": {}, "version": 3}), "version"),
    ] {
        let r = a.call("maria", "POST", "/views", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let fields = r.body["fields"].as_object().unwrap();
        assert!(
            fields.keys().any(|k| k.starts_with(field) || k == "colour"),
            "{body}: {}",
            r.body
        );
    }
    let r = a
        .call(
            "tom",
            "POST",
            "/views",
            json!({"name": "Mine", "filter": {"team": "billing"}}),
        )
        .await;
    assert_eq!(r.status, 403, "a team the agent is not in: {}", r.body);
    a.call(
        "tom",
        "POST",
        "/views",
        json!({"name": "Mine", "filter": {}}),
    )
    .await;
    let r = a
        .call(
            "tom",
            "POST",
            "/views",
            json!({"name": "MINE", "filter": {}}),
        )
        .await;
    assert_eq!(r.status, 400, "the name is taken: {}", r.body);
    assert!(
        a.ok("tom", "GET", "/views", Value::Null).await["views"]
            .as_array()
            .unwrap()
            .len()
            == 1
    );
}

#[tokio::test]
async fn a_stale_edit_or_delete_is_a_conflict_and_changes_nothing() {
    let a = api().await;
    let r = a
        .call(
            "tom",
            "POST",
            "/views",
            json!({"name": "Mine", "filter": {"assignee": "me"}}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let edited = a
        .ok(
            "tom",
            "PUT",
            &format!("/views/{id}"),
            json!({"name": "My open", "filter": {"assignee": "me", "status": "assigned"}, "version": 1}),
        )
        .await;
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["filter"]["status"], "assigned");
    let r = a
        .call(
            "tom",
            "PUT",
            &format!("/views/{id}"),
            json!({"name": "Old", "version": 1}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["current_version"], 2);
    let r = a
        .call(
            "tom",
            "DELETE",
            &format!("/views/{id}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["My open"]);
    a.ok(
        "tom",
        "DELETE",
        &format!("/views/{id}?version=2"),
        Value::Null,
    )
    .await;
    assert!(names(&a.ok("tom", "GET", "/views", Value::Null).await).is_empty());
    let r = a
        .call(
            "tom",
            "DELETE",
            &format!("/views/{id}?version=2"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_redelivered_create_makes_one_view() {
    let a = api().await;
    let body = r#"{"name": "Refunds", "filter": {"tag": "refund"}}"#;
    let first = a
        .call_keyed("tom", "POST", "/views", body, "key-view-0001")
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = a
        .call_keyed("tom", "POST", "/views", body, "key-view-0001")
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["Refunds"]);
}
