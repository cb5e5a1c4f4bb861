use super::*;
use crate::app::agent_api::desk::{AgentAction, IdempotencyKey};
use crate::ports::clock::Clock;
use crate::ports::store::{SlaMark, StoreError, TicketStore};
use crate::testkit::world;

const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

fn reply(text: &str) -> AgentAction {
    AgentAction::Reply {
        text: text.into(),
        quote: None,
    }
}

fn types(events: &[BusEvent]) -> Vec<String> {
    events.iter().map(|e| e.detail_type.clone()).collect()
}

#[tokio::test]
async fn a_ticket_from_opening_to_rating_publishes_each_step_once_without_customer_data() {
    let w = world().await;
    w.customer("wamid.0", "START").await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Ich kümmere mich darum")).await;
    w.act(id, "maria", AgentAction::Resolve).await;
    w.customer_reply("wamid.2", "csat:4", "4 - gut").await;

    let mine: Vec<BusEvent> = w
        .events
        .published()
        .into_iter()
        .filter(|e| e.detail["ticket_id"] == id.to_string())
        .collect();
    assert_eq!(
        types(&mine),
        [
            "ticket.opened",
            "ticket.handed_over",
            "ticket.assigned",
            "ticket.replied",
            "ticket.resolved",
            "ticket.rated"
        ]
    );
    let rated = &mine[5].detail;
    assert_eq!(rated["score"], 4);
    assert_eq!(rated["schema_version"], SCHEMA_VERSION);
    assert_eq!(rated["type"], "rated");
    assert_eq!(rated["event_id"], mine[5].id);
    let assigned = &mine[2].detail;
    assert_eq!(
        (&assigned["assignee"], &assigned["actor"]),
        (&"maria".into(), &"maria".into())
    );
    assert_eq!(mine[1].detail["handoff_reason"], "request");
    assert_eq!(mine[4].detail["resolved_by_bot"], false);
    let mut ids: Vec<&str> = mine.iter().map(|e| e.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "every event its own id");
    for event in &mine {
        let text = event.detail.to_string();
        assert!(!text.contains("4915112345678"), "no phone number: {text}");
        assert!(!text.contains("kümmere"), "no message text: {text}");
        assert!(!text.contains("wamid"), "no wamid: {text}");
        assert!(
            text.contains("\"customer\":\"c:"),
            "the customer's digest: {text}"
        );
    }
}

#[tokio::test]
async fn a_resolve_redone_after_a_failure_at_any_point_publishes_its_events_with_the_same_ids() {
    let mut repeats_seen = 0;
    for passes in 0..40 {
        let w = world().await;
        let id = w.customer("wamid.1", HANDOFF).await;
        w.act(id, "maria", reply("Hallo")).await;
        let before = w.events.published().len();
        let key = IdempotencyKey {
            key: "resolve-1",
            request: [7; 32],
        };
        w.store
            .fail_after(passes, [StoreError::Unavailable("down".into())]);
        let first = w
            .desk
            .act_once(id, "maria", &AgentAction::Resolve, None, Some(key))
            .await;
        w.store.clear_faults();
        if first.is_err() {
            // The agent repeats the request with the same key (the API answered 503).
            w.desk
                .act_once(id, "maria", &AgentAction::Resolve, None, Some(key))
                .await
                .unwrap();
        }
        let resolved: Vec<BusEvent> = w.events.published()[before..]
            .iter()
            .filter(|e| e.detail_type == "ticket.resolved")
            .cloned()
            .collect();
        assert!(
            !resolved.is_empty(),
            "passes {passes}: resolved is published"
        );
        assert!(
            resolved
                .iter()
                .all(|e| e.id == resolved[0].id && e.detail == resolved[0].detail),
            "passes {passes}: a repeat carries the same id and detail: {resolved:?}"
        );
        if resolved.len() > 1 {
            repeats_seen += 1;
        }
        let t = w.store.ticket(id).await.unwrap().unwrap();
        assert_eq!(t.status, crate::domain::ticket::TicketStatus::Resolved);
    }
    assert!(
        repeats_seen > 0,
        "some failure point fell between publishing and marking done"
    );
}

#[tokio::test]
async fn sla_warning_and_breach_entries_become_events_naming_the_target_and_level() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    let ticket = w.store.ticket(id).await.unwrap().unwrap();
    let now = w.clock.now();
    let entry = |kind, level| Activity {
        ticket_id: id,
        id: format!("sla-{level}"),
        at: now,
        actor: "sla".into(),
        kind,
        text: None,
        mentions: vec![],
        ticket_version: 0,
        sla: Some(SlaMark {
            target: Target::FirstResponse,
            level,
            due_at: now,
        }),
    };
    let activity = [
        entry(ActivityKind::SlaWarning, 0),
        entry(ActivityKind::SlaBreach, 1),
        entry(ActivityKind::SlaEscalation, 2),
        entry(ActivityKind::Note, 0),
    ];
    let events = derive(&ticket, &ticket, &[], &activity, "sla", now);
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::SlaWarning,
            EventKind::SlaBreached,
            EventKind::SlaBreached
        ]
    );
    assert_eq!(events[2].sla.as_ref().map(|s| s.level), Some(2));
    assert_eq!(
        events[0].sla.as_ref().map(|s| s.target),
        Some(Target::FirstResponse)
    );
}

#[tokio::test]
async fn a_change_that_moves_nothing_subscribers_care_about_publishes_nothing() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Hallo")).await;
    let before = w.events.published().len();
    w.act(
        id,
        "maria",
        AgentAction::Note {
            text: "intern".into(),
        },
    )
    .await;
    assert_eq!(w.events.published().len(), before);
}

#[test]
fn the_event_id_names_the_outbox_entry_and_nothing_else() {
    let entry = |inbound: &str, seq| OutboxEntry {
        ticket_id: TicketId::parse("01JDZ4V7Q7M4V2Y5ZQ9K3W8X1A").unwrap(),
        inbound: crate::domain::ids::Wamid::parse(inbound).unwrap(),
        seq,
        kind: crate::ports::store::OutboxKind::Event,
        payload: "{}".into(),
        done: false,
    };
    let a = event_id(&entry("wamid.HBgN", 3));
    assert_eq!(a, event_id(&entry("wamid.HBgN", 3)));
    assert_ne!(a, event_id(&entry("wamid.HBgN", 4)));
    assert_ne!(a, event_id(&entry("wamid.HBgM", 3)));
    assert_eq!(a.len(), 32);
    assert!(!a.contains("HBgN"));
}
