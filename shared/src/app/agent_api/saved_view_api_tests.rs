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
    a.act("tom", &one, "tag", json!({"tag": "refund"})).await;
    let r = a
        .answers(
            201,
            "tom",
            "POST",
            "/views",
            json!({"name": "Refunds", "filter": {"tag": "refund", "status": "queued,assigned"}}),
        )
        .await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["scope"], "personal");
    assert_eq!(r["version"], 1);
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["Refunds"]);
    assert_eq!(list["views"][0]["count"], 1);
    assert_eq!(list["views"][0]["count_more"], false);
    // The count follows the tickets.
    a.act("tom", &one, "untag", json!({"tag": "refund"})).await;
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
    // agents keep personal views only
    a.answers(403, "tom", "POST", "/views", team_view.clone())
        .await;
    let r = a
        .answers(201, "maria", "POST", "/views", team_view.clone())
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(r["team"], "support");
    let tom = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&tom), ["Urgent"], "support agents see it");
    let ben = a.ok("ben", "GET", "/views", Value::Null).await;
    assert!(names(&ben).is_empty(), "billing does not");
    a.answers(
        403,
        "tom",
        "PUT",
        &format!("/views/{id}"),
        json!({"name": "Mine now", "version": 1}),
    )
    .await;
    a.answers(
        403,
        "tom",
        "DELETE",
        &format!("/views/{id}?version=1"),
        Value::Null,
    )
    .await;
    // not her team
    a.answers(
        403,
        "maria",
        "POST",
        "/views",
        json!({"name": "B", "scope": "team", "team": "billing", "filter": {}}),
    )
    .await;
    // admins keep any team's
    a.answers(
        201,
        "root",
        "POST",
        "/views",
        json!({"name": "B", "scope": "team", "team": "billing", "filter": {}}),
    )
    .await;
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
    // a team the agent is not in
    a.answers(
        403,
        "tom",
        "POST",
        "/views",
        json!({"name": "Mine", "filter": {"team": "billing"}}),
    )
    .await;
    a.call(
        "tom",
        "POST",
        "/views",
        json!({"name": "Mine", "filter": {}}),
    )
    .await;
    // the name is taken
    a.answers(
        400,
        "tom",
        "POST",
        "/views",
        json!({"name": "MINE", "filter": {}}),
    )
    .await;
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
    let mine = json!({"name": "Mine", "filter": {"assignee": "me"}});
    let r = a.answers(201, "tom", "POST", "/views", mine).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let my_open = json!({"name": "My open", "filter": {"assignee": "me", "status": "assigned"}, "version": 1});
    let stale = json!({"name": "Old", "version": 1});
    let edited = a
        .edit_refusing_stale("tom", "/views", &id, my_open, stale)
        .await;
    assert_eq!(edited["filter"]["status"], "assigned");
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["My open"]);
    a.delete_for_good("tom", "/views", &id, 2).await;
    assert!(names(&a.ok("tom", "GET", "/views", Value::Null).await).is_empty());
}

#[tokio::test]
async fn a_redelivered_create_makes_one_view() {
    let a = api().await;
    let body = r#"{"name": "Refunds", "filter": {"tag": "refund"}}"#;
    a.create_once("tom", "/views", body, "key-view-0001").await;
    let list = a.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(names(&list), ["Refunds"]);
}
