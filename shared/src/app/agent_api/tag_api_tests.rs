//! Ticket tags through the API: who may tag, how tags are checked and normalised, that a
//! repeat changes nothing, and the queue filtered by tag (with the other filters) from the
//! tag index.

use serde_json::{Value, json};

use crate::domain::ticket_tags::MAX_TAGS_PER_TICKET;
use crate::ports::store::{TicketIndex, TicketStore as _};
use crate::testkit::api::api;

fn ids(page: &Value) -> Vec<String> {
    page["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_agent_tags_a_ticket_of_their_team_and_the_tag_shows_in_the_list_detail_and_activity() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let summary = a
        .act("tom", &id, "tag", json!({"tag": "  Refund Request "}))
        .await;
    assert_eq!(summary["tags"], json!(["refund-request"]), "normalised");
    let page = a.ok("tom", "GET", "/tickets", Value::Null).await;
    assert_eq!(page["tickets"][0]["tags"], json!(["refund-request"]));
    let detail = a.detail("tom", &id).await;
    assert_eq!(detail["tags"], json!(["refund-request"]));
    assert_eq!(a.activity(&id).await, ["tagged:refund-request"]);
    let summary = a
        .act("tom", &id, "untag", json!({"tag": "REFUND-request"}))
        .await;
    assert_eq!(summary["tags"], json!([]));
    assert_eq!(
        a.activity(&id).await,
        ["tagged:refund-request", "untagged:refund-request"]
    );
}

#[tokio::test]
async fn tagging_twice_or_a_redelivered_request_changes_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let path = format!("/tickets/{id}/tag");
    let first = a
        .call_keyed("tom", "POST", &path, r#"{"tag":"vip"}"#, "key-tag-0001")
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = a
        .call_keyed("tom", "POST", &path, r#"{"tag":"vip"}"#, "key-tag-0001")
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.body["version"], first.body["version"],
        "not written twice"
    );
    // The same tag again under a new key: nothing to do, nothing logged.
    let other = a.ok("tom", "POST", &path, json!({"tag": "VIP"})).await;
    assert_eq!(other["version"], first.body["version"]);
    assert_eq!(other["tags"], json!(["vip"]));
    assert_eq!(a.activity(&id).await, ["tagged:vip"]);
    // Taking off a tag the ticket does not carry is a no-op too.
    let untag = a.act("tom", &id, "untag", json!({"tag": "nope"})).await;
    assert_eq!(untag["version"], first.body["version"]);
}

#[tokio::test]
async fn tags_out_of_shape_or_too_many_are_refused_with_the_field() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let path = format!("/tickets/{id}/tag");
    for (body, problem) in [
        (json!({"tag": ""}), "is empty"),
        (json!({"tag": "a".repeat(33)}), "at most 32"),
        (json!({"tag": "re#fund"}), "'#' is not allowed"),
        (json!({"label": "x"}), "unknown field"),
    ] {
        let r = a.call("tom", "POST", &path, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let field = r.body["fields"].as_object().unwrap();
        let text = field.values().next().unwrap().as_str().unwrap();
        assert!(text.contains(problem), "{body}: {}", r.body);
    }
    for i in 0..MAX_TAGS_PER_TICKET {
        a.ok("tom", "POST", &path, json!({"tag": format!("t{i}")}))
            .await;
    }
    let r = a
        .answers(400, "tom", "POST", &path, json!({"tag": "one-more"}))
        .await;
    assert!(r["fields"]["tag"].as_str().unwrap().contains("at most 10"));
    let t =
        a.w.store
            .ticket(crate::domain::ids::TicketId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(t.tags.len(), MAX_TAGS_PER_TICKET);
}

#[tokio::test]
async fn agents_of_another_team_cannot_tag_and_a_stale_version_is_a_conflict() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let path = format!("/tickets/{id}/tag");
    a.answers(403, "ben", "POST", &path, json!({"tag": "vip"}))
        .await;
    let t = a.ok("maria", "POST", &path, json!({"tag": "vip"})).await;
    let stale = t["version"].as_u64().unwrap() - 1;
    a.answers(
        409,
        "tom",
        "POST",
        &path,
        json!({"tag": "late", "version": stale}),
    )
    .await;
}

#[tokio::test]
async fn the_queue_filtered_by_tag_reads_the_tag_index_and_combines_with_the_other_filters() {
    let a = api().await;
    let mut opened = Vec::new();
    for i in 1..=3 {
        a.w.clock.advance(jiff::SignedDuration::from_secs(1));
        opened.push(
            a.queued(&format!("491510000000{i}"), &format!("wamid.{i}"))
                .await,
        );
    }
    let [one, two, three] = <[String; 3]>::try_from(opened).unwrap();
    for id in [&one, &two] {
        a.act("tom", &id, "tag", json!({"tag": "refund"})).await;
    }
    a.act("tom", &three, "tag", json!({"tag": "vip"})).await;
    a.act("tom", &two, "assign", json!({"agent": "tom"})).await;
    let tagged = a.ok("tom", "GET", "/tickets?tag=Refund", Value::Null).await;
    assert_eq!(
        ids(&tagged),
        [one.clone(), two.clone()],
        "normalised, oldest first"
    );
    let mine = a
        .ok("tom", "GET", "/tickets?tag=refund&assignee=me", Value::Null)
        .await;
    assert_eq!(ids(&mine), [two.as_str()]);
    let queued = a
        .ok(
            "tom",
            "GET",
            "/tickets?tag=refund&status=queued",
            Value::Null,
        )
        .await;
    assert_eq!(ids(&queued), [one.as_str()]);
    let r = a
        .answers(400, "tom", "GET", "/tickets?tag=no%20way!", Value::Null)
        .await;
    assert!(r["fields"]["tag"].is_string());
    // Untagging takes the ticket out of the tag's index in the same write.
    a.act("tom", &one, "untag", json!({"tag": "refund"})).await;
    let page =
        a.w.store
            .list_tickets(&TicketIndex::Tag("refund".into()), 10, None)
            .await
            .unwrap();
    let indexed: Vec<String> = page.tickets.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(indexed, [two.as_str()]);
    // Agents still see only their teams' tickets under a tag.
    let billing = a.ok("ben", "GET", "/tickets?tag=refund", Value::Null).await;
    assert!(ids(&billing).is_empty());
}
