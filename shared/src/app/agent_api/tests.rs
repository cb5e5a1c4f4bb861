use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::*;
use crate::domain::ids::TicketId;
use crate::domain::ticket::TicketStatus;
use crate::ports::store::TicketStore as _;
use crate::testkit::api::{Api, HANDOFF, api, caller};
use crate::testkit::world;

#[tokio::test]
async fn every_request_needs_a_known_key() {
    let a = api().await;
    let r = a.call("nobody", "GET", "/tickets", Value::Null).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "unauthorized");
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
    let r = a
        .call("ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .call("ben", "GET", "/tickets?team=support", Value::Null)
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .call("tom", "GET", "/tickets?assignee=lea", Value::Null)
        .await;
    assert_eq!(r.status, 403);
    let all = a.ok("maria", "GET", "/tickets", Value::Null).await;
    assert_eq!(all["tickets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_detail_has_the_whole_history_and_the_sla_clocks() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/reply"),
        json!({"text": "Hallo, ich bin Tom."}),
    )
    .await;
    let t = a
        .ok("tom", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
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
    let r = a
        .call(
            "tom",
            "POST",
            "/tickets/not-an-id/reply",
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = a
        .call("tom", "DELETE", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(r.status, 405);
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
    let t = a
        .ok("tom", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    let v = t["version"].as_u64().unwrap();
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/notes"),
        json!({"text": "erste", "version": v}),
    )
    .await;
    let r = a
        .call(
            "tom",
            "POST",
            &format!("/tickets/{id}/notes"),
            json!({"text": "zweite", "version": v}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"], "version_conflict");
    assert_eq!(r.body["current_version"], v + 1);
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
        .call(
            "tom",
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "Hallo?"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(!r.body["templates"].as_array().unwrap().is_empty());
    let t = a
        .ok(
            "tom",
            "POST",
            &format!("/tickets/{id}/template"),
            json!({"name": "follow_up", "language": "de", "params": ["Anna"]}),
        )
        .await;
    assert_eq!(t["assignee"], "tom");
    assert!(a.w.whatsapp.sent().pop().unwrap().body.is_template());
}

#[tokio::test]
async fn agents_take_tickets_but_only_supervisors_assign_others() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let r = a
        .call(
            "tom",
            "POST",
            &format!("/tickets/{id}/assign"),
            json!({"agent": "lea"}),
        )
        .await;
    assert_eq!(r.status, 403);
    a.ok(
        "lea",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "lea"}),
    )
    .await;
    let r = a
        .call(
            "tom",
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "lea's ticket: {}", r.body);
    let t = a
        .ok(
            "maria",
            "POST",
            &format!("/tickets/{id}/assign"),
            json!({"agent": "tom"}),
        )
        .await;
    assert_eq!(t["assignee"], "tom");
    let other = a.queued("4915100000002", "wamid.2").await;
    let r = a
        .call(
            "maria",
            "POST",
            &format!("/tickets/{other}/assign"),
            json!({"agent": "tom"}),
        )
        .await;
    assert_eq!(r.status, 409, "tom has capacity 1: {}", r.body);
    assert_eq!(r.body["error"], "agent_unavailable");
}

#[tokio::test]
async fn presence_and_capacity_follow_the_roles() {
    let a = api().await;
    let r = a
        .ok(
            "tom",
            "PUT",
            "/agents/tom/presence",
            json!({"online": false}),
        )
        .await;
    assert_eq!(r["online"], false);
    let r = a
        .call(
            "tom",
            "PUT",
            "/agents/lea/presence",
            json!({"online": false}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .call("tom", "PUT", "/agents/tom/presence", json!({"capacity": 9}))
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .ok(
            "maria",
            "PUT",
            "/agents/tom/presence",
            json!({"capacity": 9}),
        )
        .await;
    assert_eq!(r["capacity"], 9);
    let r = a
        .call(
            "maria",
            "PUT",
            "/agents/ghost/presence",
            json!({"online": true}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = a
        .call(
            "maria",
            "PUT",
            "/agents/tom/presence",
            json!({"capacity": 500}),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn coming_back_online_brings_the_waiting_tickets_of_ones_teams() {
    let a = api().await;
    for agent in ["tom", "lea", "maria"] {
        a.ok(
            agent,
            "PUT",
            &format!("/agents/{agent}/presence"),
            json!({"online": false}),
        )
        .await;
    }
    let first = a.queued("4915100000001", "wamid.1").await;
    a.w.clock.advance(SignedDuration::from_mins(1));
    let second = a.queued("4915100000002", "wamid.2").await;
    let r = a
        .ok(
            "tom",
            "PUT",
            "/agents/tom/presence",
            json!({"online": true}),
        )
        .await;
    assert_eq!(r["load"], 1, "the answer shows the slot taken: {r}");
    let t = a
        .ok("tom", "GET", &format!("/tickets/{first}"), Value::Null)
        .await;
    assert_eq!(t["assignee"], "tom", "{t}");
    let t = a
        .ok("maria", "GET", &format!("/tickets/{second}"), Value::Null)
        .await;
    assert_eq!(t["status"], "queued", "tom has one slot: {t}");
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
async fn a_repeated_request_with_its_idempotency_key_acts_once() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let body = json!({"text": "Nur einmal bitte"}).to_string();
    let path = format!("/tickets/{id}/reply");
    for _ in 0..2 {
        let r = a
            .api
            .handle(&ApiRequest {
                method: "POST",
                path: &path,
                authorization: Some("Bearer key-tom"),
                idempotency_key: Some("retry-key-0001"),
                body: body.as_bytes(),
                ..ApiRequest::default()
            })
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let sent =
        a.w.whatsapp
            .sent()
            .iter()
            .filter(|m| m.body.text() == "Nur einmal bitte")
            .count();
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn analytics_are_for_supervisors_and_agents_see_their_own() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/reply"),
        json!({"text": "Hallo"}),
    )
    .await;
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/resolve"),
        Value::Null,
    )
    .await;
    let r = a.ok("maria", "GET", "/analytics", Value::Null).await;
    assert_eq!(r["resolved"], 1);
    assert_eq!(r["first_response"]["count"], 1);
    let own = a.ok("tom", "GET", "/analytics", Value::Null).await;
    assert_eq!(own["scope"], "agent:tom");
    assert_eq!(own["resolved"], 1);
    let r = a
        .call("tom", "GET", "/analytics?scope=all", Value::Null)
        .await;
    assert_eq!(r.status, 403);
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
    let r = a.call("maria", "POST", "/agents", new.clone()).await;
    assert_eq!(r.status, 403);
    let r = a.call("root", "POST", "/agents", new.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["online"], false, "starts offline");
    let r = a.call("root", "POST", "/agents", new).await;
    assert_eq!(r.status, 409);
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
        let r = a.call("root", "POST", "/agents", body).await;
        assert_eq!(r.status, 400);
        assert!(r.body["fields"][field].is_string(), "{field}: {}", r.body);
    }
}

#[tokio::test]
async fn consent_export_and_erasure_follow_the_roles_and_leave_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let consent_body = json!({"opted_in": true, "source": "web_form"});
    let r = a
        .call(
            "tom",
            "PUT",
            "/customers/4915100000001/consent",
            consent_body.clone(),
        )
        .await;
    assert_eq!(r.status, 403);
    let consent = a
        .ok(
            "maria",
            "PUT",
            "/customers/4915100000001/consent",
            consent_body,
        )
        .await;
    assert_eq!(consent["source"], "web_form (recorded by maria)");
    let r = a
        .call(
            "maria",
            "PUT",
            "/customers/4915100000001/consent",
            json!({"opted_in": true, "source": " "}),
        )
        .await;
    assert!(r.body["fields"]["source"].is_string());
    let r = a
        .call(
            "maria",
            "GET",
            "/customers/4915100000001/export",
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 403, "admins only");
    let export = a
        .ok(
            "root",
            "GET",
            "/customers/4915100000001/export",
            Value::Null,
        )
        .await;
    assert_eq!(export["tickets"][0]["ticket"]["id"], id.as_str());
    assert_eq!(export["consent"]["opted_in"], true);
    let r = a
        .call("root", "GET", "/customers/not-a-number/export", Value::Null)
        .await;
    assert!(r.body["fields"]["wa_id"].is_string(), "{}", r.body);
    let erased = a
        .ok("root", "DELETE", "/customers/4915100000001", Value::Null)
        .await;
    assert_eq!(erased["tickets"], 1);
    let r = a
        .call("maria", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(r.status, 404);
    let export = a
        .ok(
            "root",
            "GET",
            "/customers/4915100000001/export",
            Value::Null,
        )
        .await;
    assert!(export["tickets"].as_array().unwrap().is_empty());
    assert!(export["profile"].is_null() && export["consent"].is_null());
}

#[tokio::test]
async fn a_conversation_with_the_bot_is_read_only_outside_the_team_that_owns_the_channel() {
    let a = api().await;
    let id = a.w.customer_as("4915100000001", "wamid.1", "Hallo").await;
    let id = id.to_string();
    let before = a
        .ok("ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(before["status"], "bot", "{before}");
    assert!(before["team"].is_null());
    // Ben (billing) may read it but change nothing: the channel belongs to support.
    for (method, target, body) in [
        ("POST", "reply", json!({"text": "Hallo, hier Ben"})),
        ("POST", "notes", json!({"text": "kenne ich"})),
        ("POST", "assign", json!({"agent": "ben"})),
        ("POST", "resolve", Value::Null),
        ("POST", "pending", Value::Null),
        ("PATCH", "", json!({"priority": "high"})),
    ] {
        let path = format!("/tickets/{id}/{target}");
        let r = a
            .call("ben", method, path.trim_end_matches('/'), body)
            .await;
        assert_eq!(r.status, 403, "{method} {target}: {}", r.body);
        assert_eq!(r.body["error"], "read_only", "{}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains("support"),
            "names the team that may: {}",
            r.body
        );
    }
    let after = a
        .ok("ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(before["version"], after["version"], "nothing changed");
    assert!(
        a.w.whatsapp
            .sent()
            .iter()
            .all(|m| m.body.text() != "Hallo, hier Ben")
    );
    // Tom (support) steps in for the bot; a supervisor may too.
    a.ok(
        "maria",
        "POST",
        &format!("/tickets/{id}/notes"),
        json!({"text": "Tom, übernimmst du?"}),
    )
    .await;
    let t = a
        .ok(
            "tom",
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "Hallo, hier ist Tom."}),
        )
        .await;
    assert_eq!(
        (t["status"].as_str(), t["assignee"].as_str()),
        (Some("assigned"), Some("tom"))
    );
}

#[tokio::test]
async fn a_ticket_the_bot_resolved_is_read_only_outside_the_channel_team() {
    let a = api().await;
    let id = a.w.customer_as("4915100000001", "wamid.1", "Hallo").await;
    let mut t = a.w.store.ticket(id).await.unwrap().unwrap();
    t.status = TicketStatus::Resolved;
    t.resolved_by_bot = true;
    t.resolved_at = Some(a.w.clock.now());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    let id = id.to_string();
    a.ok("ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    for (target, body) in [("reopen", Value::Null), ("notes", json!({"text": "x"}))] {
        let r = a
            .call("ben", "POST", &format!("/tickets/{id}/{target}"), body)
            .await;
        assert_eq!(r.status, 403, "{target}: {}", r.body);
        assert_eq!(r.body["error"], "read_only");
    }
    let t = a
        .ok("lea", "POST", &format!("/tickets/{id}/reopen"), Value::Null)
        .await;
    assert_eq!(
        (t["status"].as_str(), t["assignee"].as_str()),
        (Some("assigned"), Some("lea"))
    );
}

#[tokio::test]
async fn taking_over_a_colleagues_ticket_stays_in_the_team_and_tells_the_colleague() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.ok(
        "lea",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "lea"}),
    )
    .await;
    // Ben is not in support: he cannot even see it, let alone take it.
    let r = a
        .call(
            "ben",
            "POST",
            &format!("/tickets/{id}/assign"),
            json!({"agent": "ben"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    a.w.clock.advance(SignedDuration::from_secs(1));
    // Tom is: he takes it over, Lea is told and the log says whose it was.
    let t = a
        .ok(
            "tom",
            "POST",
            &format!("/tickets/{id}/assign"),
            json!({"agent": "tom"}),
        )
        .await;
    assert_eq!(t["assignee"], "tom");
    assert_eq!((a.w.load("lea").await, a.w.load("tom").await), (0, 1));
    let told: Vec<_> =
        a.w.notices
            .sent()
            .into_iter()
            .filter(|n| n.agent.as_deref() == Some("lea") && n.kind == "ticket_taken_over")
            .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].summary.contains("tom took over"),
        "{}",
        told[0].summary
    );
    assert_eq!(
        a.activity(&id).await,
        ["assigned:lea", "taken_over:lea", "assigned:tom"]
    );
    // Lea, no longer its owner, may not answer on it.
    let r = a
        .call(
            "lea",
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    a.w.clock.advance(SignedDuration::from_secs(1));
    // A supervisor moving it on tells Tom in turn.
    a.ok(
        "maria",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "lea"}),
    )
    .await;
    let last = a.w.notices.sent();
    assert!(
        last.iter().any(|n| n.agent.as_deref() == Some("tom")
            && n.kind == "ticket_taken_over"
            && n.summary.contains("gave your ticket")),
        "{last:?}"
    );
    assert_eq!(
        a.activity(&id).await[3..],
        ["taken_over:tom", "assigned:lea"]
    );
}

#[tokio::test]
async fn a_ticket_taken_from_the_bot_by_one_agent_is_taken_over_only_within_the_channel_team() {
    let a = api().await;
    let id = a.w.customer_as("4915100000001", "wamid.1", "Hallo").await;
    let id = id.to_string();
    a.ok(
        "lea",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "lea"}),
    )
    .await;
    let r = a
        .call(
            "ben",
            "POST",
            &format!("/tickets/{id}/assign"),
            json!({"agent": "ben"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "read_only");
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "tom"}),
    )
    .await;
    assert!(
        a.w.notices
            .sent()
            .iter()
            .any(|n| n.agent.as_deref() == Some("lea") && n.kind == "ticket_taken_over")
    );
}

#[tokio::test]
async fn an_idempotency_key_reused_on_another_request_is_refused_and_changes_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let reply = format!("/tickets/{id}/reply");
    let first = a
        .call_keyed(
            "tom",
            "POST",
            &reply,
            r#"{"text": "Nur einmal bitte"}"#,
            "retry-key-0001",
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    // The same request, written differently, is the same request.
    let again = a
        .call_keyed(
            "tom",
            "POST",
            &reply,
            r#"{ "text":"Nur einmal bitte" }"#,
            "retry-key-0001",
        )
        .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    let version = first.body["version"].clone();
    for (who, method, path, body) in [
        ("tom", "POST", reply.clone(), r#"{"text": "Etwas anderes"}"#),
        (
            "tom",
            "POST",
            format!("/tickets/{id}/notes"),
            r#"{"text": "Nur einmal bitte"}"#,
        ),
        ("tom", "POST", format!("/tickets/{id}/resolve"), ""),
        (
            "tom",
            "PATCH",
            format!("/tickets/{id}"),
            r#"{"priority": "high"}"#,
        ),
        (
            "maria",
            "POST",
            reply.clone(),
            r#"{"text": "Nur einmal bitte"}"#,
        ),
    ] {
        let r = a
            .call_keyed(who, method, &path, body, "retry-key-0001")
            .await;
        assert_eq!(r.status, 422, "{who} {method} {path} {body}: {}", r.body);
        assert_eq!(r.body["error"], "idempotency_key_reused");
        assert!(
            r.body["fields"]["Idempotency-Key"].is_string(),
            "{}",
            r.body
        );
    }
    let t = a
        .ok("tom", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(t["version"], version, "nothing else was done");
    assert_eq!(t["status"], "assigned");
    let sent: Vec<String> = a.w.whatsapp.sent().iter().map(|m| m.body.text()).collect();
    assert_eq!(
        sent.iter().filter(|m| *m == "Nur einmal bitte").count(),
        1,
        "{sent:?}"
    );
    assert!(!sent.iter().any(|m| m == "Etwas anderes"));
    // A new key is a new request.
    a.call_keyed(
        "tom",
        "POST",
        &reply,
        r#"{"text": "Etwas anderes"}"#,
        "retry-key-0002",
    )
    .await;
    assert!(
        a.w.whatsapp
            .sent()
            .iter()
            .any(|m| m.body.text() == "Etwas anderes")
    );
}

#[tokio::test]
async fn a_slot_given_back_after_a_failure_comes_back_exactly_once_when_the_client_repeats() {
    // A store failure at every point of a resolve in turn; the client repeats with its key
    // until it is told the resolve is done.
    let mut failed_after_commit = 0;
    for passes in 0..40 {
        let a = api().await;
        let first = a.queued("4915100000001", "wamid.1").await;
        let second = a.queued("4915100000002", "wamid.2").await;
        for id in [&first, &second] {
            a.ok(
                "lea",
                "POST",
                &format!("/tickets/{id}/assign"),
                json!({"agent": "lea"}),
            )
            .await;
        }
        assert_eq!(a.w.load("lea").await, 2);
        a.w.store.fail_after(
            passes,
            [crate::ports::store::StoreError::Unavailable(
                "injected".into(),
            )],
        );
        let resolve = format!("/tickets/{first}/resolve");
        let mut answers = Vec::new();
        for _ in 0..3 {
            let r = a
                .call_keyed("lea", "POST", &resolve, "", "resolve-key-0001")
                .await;
            answers.push(r.status);
            if r.status == 200 {
                break;
            }
            assert_eq!(r.status, 503, "{}", r.body);
            if r.body["error"] == "delivery_pending" {
                failed_after_commit += 1;
            }
        }
        a.w.store.clear_faults();
        assert_eq!(
            answers.last(),
            Some(&200),
            "failure after {passes} calls: {answers:?}"
        );
        let t = a
            .ok("lea", "GET", &format!("/tickets/{first}"), Value::Null)
            .await;
        assert_eq!(t["status"], "resolved");
        assert_eq!(
            a.w.load("lea").await,
            1,
            "failure after {passes} store calls ({answers:?}): one slot back, the other ticket still held"
        );
    }
    assert!(
        failed_after_commit > 0,
        "some failures hit after the resolve was stored"
    );
}

#[tokio::test]
async fn the_agent_an_escalation_took_a_ticket_from_still_reads_it_but_no_longer_works_it() {
    // GIVEN tom (support) works a ticket that an SLA escalation moved to the senior team
    let a = api().await;
    let mut sam = crate::testkit::agent("sam", 2);
    sam.teams = vec!["senior".into()];
    a.w.store.add_agent(&sam).await.unwrap();
    let id = a.queued("4915100000077", "wamid.esc").await;
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/assign"),
        json!({"agent": "tom"}),
    )
    .await;
    let ticket_id = TicketId::parse(&id).unwrap();
    let mut t = a.w.store.ticket(ticket_id).await.unwrap().unwrap();
    t.team = Some("senior".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    let t = a.w.store.ticket(ticket_id).await.unwrap().unwrap();
    // WHEN the escalation gives it to a free senior
    let moved = a.w.desk.escalate(&t, "sla-test-escalation").await.unwrap();
    assert_eq!(moved.unwrap().assignee.as_deref(), Some("sam"));
    // THEN tom still reads it, with the escalation in its log
    let detail = a
        .ok("tom", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(detail["assignee"], "sam");
    assert!(
        detail["activity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "assigned" && e["actor"] == "sla" && e["text"] == "sam")
    );
    // BUT he may no longer work on it, and he does not see it in his queue
    let r = a
        .call(
            "tom",
            "POST",
            &format!("/tickets/{id}/notes"),
            json!({"text": "noch da?"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let mine = a.ok("tom", "GET", "/tickets", Value::Null).await;
    assert!(
        mine["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != id.as_str())
    );
    // AND an agent it never went through still cannot read it
    let r = a
        .call("ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn supervisors_find_a_ticket_escalated_to_a_team_nobody_works_in_yet() {
    // GIVEN level 3 moved a waiting ticket to `managers`, a team no agent is in
    let a = api().await;
    let id = a.queued("4915100000078", "wamid.mgr").await;
    let ticket_id = TicketId::parse(&id).unwrap();
    let mut t = a.w.store.ticket(ticket_id).await.unwrap().unwrap();
    t.team = Some("managers".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    // WHEN a supervisor lists the open tickets
    let all = a.ok("maria", "GET", "/tickets", Value::Null).await;
    // THEN it is there
    assert!(
        all["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str()),
        "{all}"
    );
}

#[tokio::test]
async fn an_erasure_answers_what_remains_where_and_admins_read_who_asked_in_the_audit() {
    // GIVEN a customer's ticket, exported and then erased by the admin
    let a = api().await;
    a.queued("4915100000001", "wamid.1").await;
    a.queued("4917600000001", "wamid.2").await;
    a.ok(
        "root",
        "GET",
        "/customers/4915100000001/export",
        Value::Null,
    )
    .await;
    a.w.clock.advance(SignedDuration::from_secs(30));
    let erased = a
        .ok("root", "DELETE", "/customers/4915100000001", Value::Null)
        .await;
    // THEN the erasure names the copies it could not reach and when they are gone
    let remains = erased["remains"].as_array().expect("remains");
    let days = |place: &str| {
        remains
            .iter()
            .find(|r| r["place"].as_str().unwrap_or("").contains(place))
            .map(|r| r["days"].clone())
            .unwrap_or_else(|| panic!("{place} missing in {erased}"))
    };
    assert_eq!(days("SQS"), json!(14));
    assert_eq!(days("point-in-time recovery"), json!(35));
    assert!(remains.iter().all(|r| r["holds"].is_string()), "{erased}");

    // AND the audit names who did what, when, by the customer's digest, never the number
    let audit = a.ok("root", "GET", "/audit", Value::Null).await;
    let records = audit["records"].as_array().unwrap();
    let digest = crate::domain::ids::WaId::parse("4915100000001")
        .unwrap()
        .digest();
    let summary: Vec<(String, String, String)> = records
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["customer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("root".into(), "export".into(), digest.clone()),
            ("root".into(), "erase".into(), digest.clone())
        ]
    );
    assert!(!audit.to_string().contains("4915100000001"), "{audit}");
    let today = a.w.clock.now().strftime("%Y-%m-%d").to_string();
    let hers = a
        .ok(
            "root",
            "GET",
            &format!("/audit?from={today}&to={today}&wa_id=4915100000001"),
            Value::Null,
        )
        .await;
    assert_eq!(hers["records"].as_array().unwrap().len(), 2);
    assert_eq!(hers["customer"], digest.as_str());
    let his = a
        .ok("root", "GET", "/audit?wa_id=4917600000001", Value::Null)
        .await;
    assert!(his["records"].as_array().unwrap().is_empty());

    // AND only admins read it, over a bounded and valid range
    assert_eq!(
        a.call("maria", "GET", "/audit", Value::Null).await.status,
        403
    );
    for (query, field) in [
        ("from=yesterday", "from"),
        ("from=2026-11-24&to=2026-11-01", "to"),
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("wa_id=+49", "wa_id"),
        ("who=me", "who"),
    ] {
        let r = a
            .call("root", "GET", &format!("/audit?{query}"), Value::Null)
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{query}: {}", r.body);
    }
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
    assert_eq!(ids, ["greet", "toms-bye"], "not billing's, global first");
    let greet = &list["responses"][0];
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

    let r = a
        .call("tom", "GET", "/canned?ticket=nope", Value::Null)
        .await;
    assert_eq!(r.status, 404);
    let r = a.call("tom", "GET", "/canned?tiket=1", Value::Null).await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["tiket"].is_string());
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
            .call(
                "tom",
                "POST",
                &format!("/tickets/{id}/reply"),
                json!({ "text": text }),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["error"], "unfilled_variable");
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("{{customer_name}}"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        a.w.whatsapp.sent().len(),
        before,
        "nothing reached WhatsApp"
    );
    // Braces that are no variable are ordinary text.
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/reply"),
        json!({"text": "Hi Ana {:-)}"}),
    )
    .await;
    // A note may quote a variable (agents explain a canned response to each other).
    a.ok(
        "tom",
        "POST",
        &format!("/tickets/{id}/notes"),
        json!({"text": "use {{order_id}} here"}),
    )
    .await;
}
