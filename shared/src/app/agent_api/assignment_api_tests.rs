//! Who works which ticket through the API: taking and assigning, presence and capacity, the
//! channel team's hold on conversations with the bot, taking over from a colleague, escalations.

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::*;
use crate::domain::ids::TicketId;
use crate::domain::ticket::TicketStatus;
use crate::ports::store::TicketStore as _;
use crate::testkit::api::api;

#[tokio::test]
async fn agents_take_tickets_but_only_supervisors_assign_others() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.act_answers(403, "tom", &id, "assign", json!({"agent": "lea"}))
        .await;
    a.act("lea", &id, "assign", json!({"agent": "lea"})).await;
    // lea's ticket
    a.act_answers(403, "tom", &id, "reply", json!({"text": "x"}))
        .await;
    let t = a.act("maria", &id, "assign", json!({"agent": "tom"})).await;
    assert_eq!(t["assignee"], "tom");
    let other = a.queued("4915100000002", "wamid.2").await;
    // tom has capacity 1
    let r = a
        .act_answers(409, "maria", &other, "assign", json!({"agent": "tom"}))
        .await;
    assert_eq!(r["error"], "agent_unavailable");
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
    a.answers(
        403,
        "tom",
        "PUT",
        "/agents/lea/presence",
        json!({"online": false}),
    )
    .await;
    a.answers(
        403,
        "tom",
        "PUT",
        "/agents/tom/presence",
        json!({"capacity": 9}),
    )
    .await;
    let r = a
        .ok(
            "maria",
            "PUT",
            "/agents/tom/presence",
            json!({"capacity": 9}),
        )
        .await;
    assert_eq!(r["capacity"], 9);
    a.answers(
        404,
        "maria",
        "PUT",
        "/agents/ghost/presence",
        json!({"online": true}),
    )
    .await;
    a.answers(
        400,
        "maria",
        "PUT",
        "/agents/tom/presence",
        json!({"capacity": 500}),
    )
    .await;
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
    let t = a.detail("tom", &first).await;
    assert_eq!(t["assignee"], "tom", "{t}");
    let t = a.detail("maria", &second).await;
    assert_eq!(t["status"], "queued", "tom has one slot: {t}");
}

#[tokio::test]
async fn a_conversation_with_the_bot_is_read_only_outside_the_team_that_owns_the_channel() {
    let a = api().await;
    let id = a.w.customer_as("4915100000001", "wamid.1", "Hallo").await;
    let id = id.to_string();
    let before = a.detail("ben", &id).await;
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
    let after = a.detail("ben", &id).await;
    assert_eq!(before["version"], after["version"], "nothing changed");
    assert!(
        a.w.whatsapp
            .sent()
            .iter()
            .all(|m| m.body.text() != "Hallo, hier Ben")
    );
    // Tom (support) steps in for the bot; a supervisor may too.
    a.act(
        "maria",
        &id,
        "notes",
        json!({"text": "Tom, übernimmst du?"}),
    )
    .await;
    let t = a
        .act("tom", &id, "reply", json!({"text": "Hallo, hier ist Tom."}))
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
    a.detail("ben", &id).await;
    for (target, body) in [("reopen", Value::Null), ("notes", json!({"text": "x"}))] {
        let r = a
            .call("ben", "POST", &format!("/tickets/{id}/{target}"), body)
            .await;
        assert_eq!(r.status, 403, "{target}: {}", r.body);
        assert_eq!(r.body["error"], "read_only");
    }
    let t = a.act("lea", &id, "reopen", Value::Null).await;
    assert_eq!(
        (t["status"].as_str(), t["assignee"].as_str()),
        (Some("assigned"), Some("lea"))
    );
}

#[tokio::test]
async fn taking_over_a_colleagues_ticket_stays_in_the_team_and_tells_the_colleague() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    a.act("lea", &id, "assign", json!({"agent": "lea"})).await;
    // Ben is not in support: he cannot even see it, let alone take it.
    a.act_answers(403, "ben", &id, "assign", json!({"agent": "ben"}))
        .await;
    a.w.clock.advance(SignedDuration::from_secs(1));
    // Tom is: he takes it over, Lea is told and the log says whose it was.
    let t = a.act("tom", &id, "assign", json!({"agent": "tom"})).await;
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
    a.act_answers(403, "lea", &id, "reply", json!({"text": "x"}))
        .await;
    a.w.clock.advance(SignedDuration::from_secs(1));
    // A supervisor moving it on tells Tom in turn.
    a.act("maria", &id, "assign", json!({"agent": "lea"})).await;
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
    a.act("lea", &id, "assign", json!({"agent": "lea"})).await;
    let r = a
        .act_answers(403, "ben", &id, "assign", json!({"agent": "ben"}))
        .await;
    assert_eq!(r["error"], "read_only");
    a.act("tom", &id, "assign", json!({"agent": "tom"})).await;
    assert!(
        a.w.notices
            .sent()
            .iter()
            .any(|n| n.agent.as_deref() == Some("lea") && n.kind == "ticket_taken_over")
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
    a.act("tom", &id, "assign", json!({"agent": "tom"})).await;
    let ticket_id = TicketId::parse(&id).unwrap();
    let mut t = a.w.store.ticket(ticket_id).await.unwrap().unwrap();
    t.team = Some("senior".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    let t = a.w.store.ticket(ticket_id).await.unwrap().unwrap();
    // WHEN the escalation gives it to a free senior
    let moved = a.w.desk.escalate(&t, "sla-test-escalation").await.unwrap();
    assert_eq!(moved.unwrap().assignee.as_deref(), Some("sam"));
    // THEN tom still reads it, with the escalation in its log
    let detail = a.detail("tom", &id).await;
    assert_eq!(detail["assignee"], "sam");
    assert!(
        detail["activity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "assigned" && e["actor"] == "sla" && e["text"] == "sam")
    );
    // BUT he may no longer work on it, and he does not see it in his queue
    a.act_answers(403, "tom", &id, "notes", json!({"text": "noch da?"}))
        .await;
    let mine = a.ok("tom", "GET", "/tickets", Value::Null).await;
    assert!(
        mine["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != id.as_str())
    );
    // AND an agent it never went through still cannot read it
    a.answers(403, "ben", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
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
