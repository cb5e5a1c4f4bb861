//! The agent API's requests: authentication, the queue and the detail, validation, version
//! conflicts, the 24-hour window, metrics, analytics, adding agents, masked numbers.

use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::*;
use crate::domain::ids::TicketId;
use crate::ports::store::TicketStore as _;
use crate::testkit::api::{Api, HANDOFF, api, caller};
use crate::testkit::world;

#[tokio::test]
async fn every_request_needs_a_known_key() {
    let a = api().await;
    let r = a
        .answers(401, "nobody", "GET", "/tickets", Value::Null)
        .await;
    assert_eq!(r["error"], "unauthorized");
    let r = a
        .api
        .handle(&ApiRequest {
            method: "GET",
            path: "/me",
            ..ApiRequest::default()
        })
        .await;
    assert_eq!(r.status, 401);
    let me = a.ok("tom", "GET", "/me", Value::Null).await;
    assert_eq!(me["role"], "agent");
    assert_eq!(me["profile"]["teams"], json!(["support"]));
}

#[tokio::test]
async fn the_queue_lists_handed_over_tickets_with_their_sla_and_pages_through() {
    let a = api().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        a.w.clock.advance(SignedDuration::from_secs(1));
        ids.push(
            a.queued(&format!("49151000000{i}"), &format!("wamid.q{i}"))
                .await,
        );
    }
    let page = a
        .ok("tom", "GET", "/tickets?status=queued&limit=2", Value::Null)
        .await;
    let listed: Vec<&str> = page["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[0].as_str(), ids[1].as_str()], "oldest first");
    assert_eq!(page["tickets"][0]["sla_state"], "ok");
    assert!(page["tickets"][0]["next_due_at"].is_string());
    assert_eq!(
        page["tickets"][0]["customer"], "+49******0000",
        "masked in lists"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = a
        .ok(
            "tom",
            "GET",
            &format!("/tickets?status=queued&limit=2&cursor={cursor}"),
            Value::Null,
        )
        .await;
    assert_eq!(rest["tickets"][0]["id"], ids[2].as_str());
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn agents_see_their_teams_and_supervisors_see_everything() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let billing = a.ok("ben", "GET", "/tickets", Value::Null).await;
    assert!(billing["tickets"].as_array().unwrap().is_empty());
    a.answers(403, "ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    a.answers(403, "ben", "GET", "/tickets?team=support", Value::Null)
        .await;
    a.answers(403, "tom", "GET", "/tickets?assignee=lea", Value::Null)
        .await;
    let all = a.ok("maria", "GET", "/tickets", Value::Null).await;
    assert_eq!(all["tickets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_detail_has_the_whole_history_and_the_sla_clocks() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.act("tom", &id, "reply", json!({"text": "Hallo, ich bin Tom."}))
        .await;
    let t = a.detail("tom", &id).await;
    let texts: Vec<&str> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts.first(),
        Some(&HANDOFF),
        "the bot conversation is there"
    );
    assert_eq!(texts.last(), Some(&"Hallo, ich bin Tom."));
    assert_eq!(t["customer"], "4915100000001", "in full on the detail");
    let clocks = t["sla"]["clocks"].as_array().unwrap();
    let fr = clocks
        .iter()
        .find(|c| c["target"] == "first_response")
        .unwrap();
    assert_eq!(fr["state"], "met");
    assert!(fr["due_at"].is_string());
    let kinds: Vec<&str> = t["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["assigned", "replied"]);
}

#[tokio::test]
async fn bad_input_gets_400_with_the_field_and_changes_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let before =
        a.w.store
            .ticket(TicketId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
    for (target, body, field) in [
        ("reply", json!({}), "text"),
        ("reply", json!({"text": ""}), "text"),
        ("reply", json!({"text": "x", "urgent": true}), "urgent"),
        (
            "template",
            json!({"name": "ticket_update", "language": "de", "params": ["a"]}),
            "params",
        ),
        ("notes", json!({"text": "@ghost schau mal"}), "text"),
    ] {
        let r = a
            .call("tom", "POST", &format!("/tickets/{id}/{target}"), body)
            .await;
        assert_eq!(r.status, 400, "{target}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{target}: {}", r.body);
    }
    let r = a
        .call(
            "tom",
            "PATCH",
            &format!("/tickets/{id}"),
            json!({"priority": "asap"}),
        )
        .await;
    assert_eq!(
        r.body["fields"]["priority"],
        "must be low, normal, high or urgent"
    );
    let r = a
        .call("tom", "GET", "/tickets?status=open", Value::Null)
        .await;
    assert!(r.body["fields"]["status"].is_string());
    let r = a
        .call("tom", "GET", "/tickets?limit=1000", Value::Null)
        .await;
    assert!(r.body["fields"]["limit"].is_string());
    let r = a
        .call("tom", "GET", "/tickets?cursor=zz", Value::Null)
        .await;
    assert!(r.body["fields"]["cursor"].is_string());
    let r = a
        .call("tom", "GET", "/tickets?color=red", Value::Null)
        .await;
    assert!(r.body["fields"]["color"].is_string());
    a.answers(
        404,
        "tom",
        "POST",
        "/tickets/not-an-id/reply",
        json!({"text": "x"}),
    )
    .await;
    a.answers(405, "tom", "DELETE", &format!("/tickets/{id}"), Value::Null)
        .await;
    let after =
        a.w.store
            .ticket(TicketId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_stale_version_is_409_with_the_current_one() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let t = a.detail("tom", &id).await;
    let v = t["version"].as_u64().unwrap();
    a.act("tom", &id, "notes", json!({"text": "erste", "version": v}))
        .await;
    let r = a
        .act_answers(
            409,
            "tom",
            &id,
            "notes",
            json!({"text": "zweite", "version": v}),
        )
        .await;
    assert_eq!(r["error"], "version_conflict");
    assert_eq!(r["current_version"], v + 1);
}

#[tokio::test]
async fn outside_the_window_a_reply_is_422_with_the_template_picker() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    // She agreed to messages from us: a template may go out after the window.
    a.w.clock.advance(SignedDuration::from_secs(1));
    a.w.customer_as("4915100000001", "wamid.2", "START").await;
    a.w.clock.advance(SignedDuration::from_hours(25));
    let r = a
        .act_answers(422, "tom", &id, "reply", json!({"text": "Hallo?"}))
        .await;
    assert!(!r["templates"].as_array().unwrap().is_empty());
    let t = a
        .act(
            "tom",
            &id,
            "template",
            json!({"name": "follow_up", "language": "de", "params": ["Anna"]}),
        )
        .await;
    assert_eq!(t["assignee"], "tom");
    assert!(a.w.whatsapp.sent().pop().unwrap().body.is_template());
}

#[tokio::test]
async fn each_request_writes_its_counts_in_one_metrics_line() {
    let w = world().await;
    for agent in ["tom", "lea", "maria"] {
        w.store
            .set_presence(agent, Some(false), None)
            .await
            .unwrap();
    }
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("agent-api");
    let desk = crate::app::agent_api::desk::AgentDesk::new(
        w.store.clone(),
        w.whatsapp.clone(),
        Arc::new(crate::ports::queue::MemoryQueue::new(w.clock.clone())),
        w.clock.clone(),
    )
    .with_metrics(metrics);
    let a = Api {
        api: AgentApi::new(
            Arc::new(desk),
            Authenticator::plain_keys([("key-tom", caller("tom", Role::Agent))]),
            Arc::new(TemplateCatalog::default_catalog()),
            vec!["support".into()],
            w.clock.clone(),
        ),
        w,
    };
    a.queued("4915100000001", "wamid.1").await;
    a.ok("tom", "GET", "/me", Value::Null).await;
    assert!(
        capture.lines().is_empty(),
        "nothing counted, nothing written"
    );
    a.ok(
        "tom",
        "PUT",
        "/agents/tom/presence",
        json!({"online": true}),
    )
    .await;
    let lines = capture.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["TicketsAssigned"], 1);
}

#[tokio::test]
async fn analytics_are_for_supervisors_and_agents_see_their_own() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.act("tom", &id, "reply", json!({"text": "Hallo"})).await;
    a.act("tom", &id, "resolve", Value::Null).await;
    let r = a.ok("maria", "GET", "/analytics", Value::Null).await;
    assert_eq!(r["resolved"], 1);
    assert_eq!(r["first_response"]["count"], 1);
    let own = a.ok("tom", "GET", "/analytics", Value::Null).await;
    assert_eq!(own["scope"], "agent:tom");
    assert_eq!(own["resolved"], 1);
    a.answers(403, "tom", "GET", "/analytics?scope=all", Value::Null)
        .await;
    let r = a
        .call("maria", "GET", "/analytics?from=2026-13-01", Value::Null)
        .await;
    assert_eq!(
        r.body["fields"]["from"],
        "'2026-13-01' is not a date (YYYY-MM-DD)"
    );
}

#[test]
fn phone_numbers_are_masked_but_tellable_apart() {
    assert_eq!(mask_phone("4915112345678"), "+49*******5678");
    assert_eq!(mask_phone("12345"), "*****");
}

#[tokio::test]
async fn only_admins_add_agents_and_every_field_is_checked() {
    let a = api().await;
    let new = json!({"id": "nina", "name": "Nina Roth", "teams": ["billing"], "languages": ["de"], "capacity": 4});
    a.answers(403, "maria", "POST", "/agents", new.clone())
        .await;
    let r = a.answers(201, "root", "POST", "/agents", new.clone()).await;
    assert_eq!(r["online"], false, "starts offline");
    a.answers(409, "root", "POST", "/agents", new).await;
    for (body, field) in [
        (
            json!({"id": "a b", "name": "x", "teams": ["t"], "languages": ["de"], "capacity": 1}),
            "id",
        ),
        (
            json!({"id": "x", "name": "x", "teams": [], "languages": ["de"], "capacity": 1}),
            "teams",
        ),
        (
            json!({"id": "x", "name": "x", "teams": ["t"], "languages": ["fr"], "capacity": 1}),
            "languages",
        ),
        (
            json!({"id": "x", "name": "x", "teams": ["t"], "languages": ["de"], "capacity": 0}),
            "capacity",
        ),
    ] {
        let r = a.answers(400, "root", "POST", "/agents", body).await;
        assert!(r["fields"][field].is_string(), "{field}: {}", r);
    }
}
