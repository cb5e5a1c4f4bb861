use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::domain::bot::{Lang, Priority};
use crate::domain::ticket::TicketStatus;
use crate::ports::store::ActivityKind;
use crate::ports::whatsapp::Template;
use crate::testkit::{T0, world};

fn reply(text: &str) -> AgentAction {
    AgentAction::Reply {
        text: text.into(),
        quote: None,
    }
}

#[tokio::test]
async fn an_agents_reply_reaches_the_customer_and_meets_first_response() {
    let w = world().await;
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    assert_eq!(w.armed(), ["fr-g0-s1", "res-g0-s1"]);
    w.clock.advance(SignedDuration::from_mins(10));
    let ticket = w
        .desk
        .act(
            id,
            "maria",
            &reply("Hallo Anna, ich kümmere mich darum."),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ticket.status, TicketStatus::Assigned);
    assert_eq!(ticket.assignee.as_deref(), Some("maria"));
    assert_eq!(
        w.whatsapp.sent().last().unwrap().body.text(),
        "Hallo Anna, ich kümmere mich darum."
    );
    assert_eq!(w.armed(), ["res-g0-s1"], "the first-response timer is gone");
    let outbound = w
        .store
        .messages(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == crate::ports::store::Direction::Outbound)
        .count();
    assert!(
        outbound >= 2,
        "the agent's reply is on the ticket with the bot's"
    );
}

#[tokio::test]
async fn waiting_on_the_customer_pauses_and_their_answer_resumes_with_later_deadlines() {
    let w = world().await;
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    w.desk
        .act(id, "maria", &reply("Welche Bestellnummer?"), None)
        .await
        .unwrap();
    let res_before = w.timers.armed()[0].due_at;
    w.desk
        .act(id, "maria", &AgentAction::SetPending, None)
        .await
        .unwrap();
    assert!(w.armed().is_empty(), "paused: no timers");

    w.clock.advance(SignedDuration::from_hours(1));
    w.customer("wamid.2", "100234").await;
    let ticket = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.status, TicketStatus::Assigned);
    assert_eq!(
        w.armed(),
        ["nr-g0-s1", "res-g1-s1"],
        "next response starts, resolution resumes"
    );
    let res = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-res-"))
        .unwrap();
    assert_eq!(
        res.due_at,
        res_before
            .checked_add(SignedDuration::from_hours(1))
            .unwrap(),
        "pushed by the pause"
    );
}

#[tokio::test]
async fn resolving_disarms_every_timer() {
    let w = world().await;
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let ticket = w
        .desk
        .act(id, "maria", &AgentAction::Resolve, None)
        .await
        .unwrap();
    assert_eq!(ticket.status, TicketStatus::Resolved);
    assert!(w.armed().is_empty());
    let err = w
        .desk
        .act(id, "maria", &reply("Noch etwas?"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Invalid { .. }), "{err}");
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let w = world().await;
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let version = w.store.ticket(id).await.unwrap().unwrap().version;
    w.desk
        .act(id, "maria", &reply("Hallo"), Some(version))
        .await
        .unwrap();
    let err = w
        .desk
        .act(id, "tom", &reply("Hallo auch"), Some(version))
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Conflict { .. }), "{err}");
    assert_eq!(
        w.store
            .ticket(id)
            .await
            .unwrap()
            .unwrap()
            .assignee
            .as_deref(),
        Some("maria")
    );
}

#[tokio::test]
async fn replies_outside_the_window_or_empty_are_refused() {
    let w = world().await;
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    assert!(matches!(
        w.desk.act(id, "maria", &reply("  "), None).await,
        Err(AgentError::Invalid { .. })
    ));
    assert!(matches!(
        w.desk.act(id, "", &reply("Hallo"), None).await,
        Err(AgentError::Invalid { .. })
    ));
    w.clock.advance(SignedDuration::from_hours(25));
    assert_eq!(
        w.desk
            .act(id, "maria", &reply("Hallo"), None)
            .await
            .unwrap_err(),
        AgentError::OutsideServiceWindow
    );
    let missing = TicketId::new(Timestamp::from_second(T0).unwrap());
    assert_eq!(
        w.desk
            .act(missing, "maria", &reply("Hallo"), None)
            .await
            .unwrap_err(),
        AgentError::NotFound(missing)
    );
}

const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

#[tokio::test]
async fn answering_an_unassigned_ticket_takes_it_and_counts_against_capacity() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "tom", reply("Hallo")).await;
    assert_eq!(w.load("tom").await, 1);
    let other = w.customer_as("4915199999999", "wamid.2", HANDOFF).await;
    let err = w
        .desk
        .act(other, "tom", &reply("Hallo"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Unavailable(_)), "{err}");
    assert_eq!(w.load("tom").await, 1, "a refused claim takes nothing");
    assert!(
        w.store
            .ticket(other)
            .await
            .unwrap()
            .unwrap()
            .assignee
            .is_none(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn reassigning_moves_the_capacity_and_tells_the_new_agent() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(
        id,
        "maria",
        AgentAction::Assign {
            agent: Some("maria".into()),
        },
    )
    .await;
    assert_eq!(w.load("maria").await, 1);
    w.clock.advance(SignedDuration::from_secs(1));
    let t = w
        .act(
            id,
            "maria",
            AgentAction::Assign {
                agent: Some("lea".into()),
            },
        )
        .await;
    assert_eq!(t.assignee.as_deref(), Some("lea"));
    assert_eq!((w.load("maria").await, w.load("lea").await), (0, 1));
    assert_eq!(t.watchers, ["maria"], "maria may still read it");
    let notice = w.notices.sent().pop().unwrap();
    assert_eq!(
        (notice.kind.as_str(), notice.agent.as_deref()),
        ("ticket_assigned", Some("lea"))
    );
    w.clock.advance(SignedDuration::from_secs(1));
    let t = w.act(id, "lea", AgentAction::Assign { agent: None }).await;
    assert_eq!(t.status, TicketStatus::Queued);
    assert_eq!(w.load("lea").await, 0);
    assert_eq!(
        t.watchers,
        ["maria"],
        "giving it back to the team queue is no move away"
    );
    let log = w.store.activities(id).await.unwrap();
    let kinds: Vec<_> = log.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ActivityKind::Assigned,
            ActivityKind::Assigned,
            ActivityKind::Unassigned
        ]
    );
    let err = w
        .desk
        .act(
            id,
            "lea",
            &AgentAction::Assign {
                agent: Some("nobody".into()),
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Invalid { .. }), "{err}");
}

#[tokio::test]
async fn a_note_stays_internal_and_notifies_the_agents_it_mentions() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    let sent_before = w.whatsapp.sent().len();
    w.act(
        id,
        "maria",
        AgentAction::Note {
            text: "@lea kannst du das übernehmen? (cc @tom, mail: x@y.de)".into(),
        },
    )
    .await;
    assert_eq!(
        w.whatsapp.sent().len(),
        sent_before,
        "the customer sees nothing"
    );
    let mentioned: Vec<_> = w
        .notices
        .sent()
        .into_iter()
        .filter(|n| n.kind == "mentioned")
        .filter_map(|n| n.agent)
        .collect();
    assert_eq!(mentioned, ["lea", "tom"]);
    let note = w.store.activities(id).await.unwrap().pop().unwrap();
    assert_eq!(note.kind, ActivityKind::Note);
    assert_eq!(note.mentions, ["lea", "tom"]);
    let err = w
        .desk
        .act(
            id,
            "maria",
            &AgentAction::Note {
                text: "@ghost hallo".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AgentError::Invalid { field: Some("text"), ref problem } if problem.contains("@ghost")),
        "{err}"
    );
}

#[tokio::test]
async fn after_resolving_the_customer_is_asked_for_a_rating_and_the_answer_is_stored() {
    let w = world().await;
    // She agreed to messages from us (START): the survey may go out.
    w.customer("wamid.0", "START").await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Erledigt!")).await;
    assert_eq!(w.load("maria").await, 1);
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert_eq!(w.load("maria").await, 0, "the slot is free again");
    assert!(t.csat_asked_at.is_some());
    let survey = w.whatsapp.sent().pop().unwrap();
    assert_eq!(survey.body.kind(), "list");
    w.clock.advance(SignedDuration::from_mins(2));
    w.customer_reply("wamid.2", "csat:4", "4 - gut").await;
    let t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.csat.map(|c| c.score), Some(4));
    assert_eq!(t.status, TicketStatus::Resolved, "a rating does not reopen");
    assert!(
        w.whatsapp
            .sent()
            .pop()
            .unwrap()
            .body
            .text()
            .contains("Danke")
    );
    let day = crate::ports::store::sortable_time(w.clock.now())[..10].to_owned();
    let all = w.store.stats(&day).await.unwrap();
    let maria = all.iter().find(|r| r.scope == "agent:maria").unwrap();
    assert_eq!(maria.counters["csat_4"], 1);
    assert_eq!(maria.counters["resolved_agent"], 1);
    assert_eq!(maria.counters["fr_n"], 1);

    // The next question starts with the bot again.
    w.clock.advance(SignedDuration::from_mins(2));
    w.customer("wamid.3", "Wo ist mein Paket?").await;
    let t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::Bot);
    assert_eq!(t.assignee, None);
    assert_eq!(
        t.csat_asked_at, None,
        "a digit now is a menu choice, not a rating"
    );
    assert_eq!(
        t.csat.map(|c| c.score),
        Some(4),
        "the rating stays on record"
    );
}

#[tokio::test]
async fn reopening_gives_the_ticket_back_to_the_agent_with_a_resolution_clock() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Hallo")).await;
    w.act(id, "maria", AgentAction::Resolve).await;
    assert!(w.armed().is_empty());
    let t = w.act(id, "maria", AgentAction::Reopen).await;
    assert_eq!(t.status, TicketStatus::Assigned);
    assert_eq!(w.load("maria").await, 1);
    assert_eq!(w.armed(), ["res-g1-s1"]);
    let err = w
        .desk
        .act(id, "maria", &AgentAction::Reopen, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Invalid { .. }), "{err}");
}

#[tokio::test]
async fn raising_the_priority_can_move_the_ticket_to_a_stricter_policy() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    let before = w.store.ticket(id).await.unwrap().unwrap();
    let t = w
        .act(
            id,
            "maria",
            AgentAction::Update {
                priority: Some(Priority::Urgent),
                category: Some("billing".into()),
            },
        )
        .await;
    assert_eq!(t.priority, Some(Priority::Urgent));
    assert_eq!(t.category.as_deref(), Some("billing"));
    assert_ne!(
        before.sla.unwrap().policy,
        t.sla.unwrap().policy,
        "urgent tickets have their own policy"
    );
    assert!(matches!(
        w.desk
            .act(
                id,
                "maria",
                &AgentAction::Update {
                    priority: None,
                    category: None
                },
                None
            )
            .await,
        Err(AgentError::Invalid { .. })
    ));
}

#[tokio::test]
async fn outside_the_window_a_template_still_goes_out() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.opt_in().await;
    w.clock.advance(SignedDuration::from_hours(30));
    let template = Template {
        name: "ticket_update".into(),
        language: "de".into(),
        components: Vec::new(),
    };
    w.act(id, "maria", AgentAction::SendTemplate { template })
        .await;
    assert!(w.whatsapp.sent().pop().unwrap().body.is_template());
}

/// Today's counters of the whole desk.
async fn desk_counters(w: &crate::testkit::World) -> std::collections::BTreeMap<String, i64> {
    let day = crate::ports::store::sortable_time(w.clock.now())[..10].to_owned();
    let all = w.store.stats(&day).await.unwrap();
    let mut sum = std::collections::BTreeMap::new();
    for row in all.iter().filter(|r| r.scope == "all") {
        for (k, v) in &row.counters {
            *sum.entry(k.clone()).or_insert(0) += v;
        }
    }
    sum
}

#[tokio::test]
async fn inside_the_window_a_customer_who_never_typed_start_is_asked_for_a_rating() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Erledigt!")).await;
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert!(
        t.csat_asked_at.is_some(),
        "no consent record is not an opt-out"
    );
    assert_eq!(w.whatsapp.sent().pop().unwrap().body.kind(), "list");
    w.customer_reply("wamid.2", "csat:5", "5 - sehr gut").await;
    let t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.csat.map(|c| c.score), Some(5));
    let c = desk_counters(&w).await;
    assert_eq!((c.get("csat_asked"), c.get("csat_n")), (Some(&1), Some(&1)));
    assert_eq!(c.get("csat_not_asked"), None);
}

#[tokio::test]
async fn an_opted_out_customer_is_not_asked_and_the_resolve_counts_as_not_asked() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.clock.advance(SignedDuration::from_secs(5));
    w.customer("wamid.2", "STOP").await;
    w.act(id, "maria", reply("Erledigt!")).await;
    let sent_before = w.whatsapp.sent().len();
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert_eq!(t.csat_asked_at, None);
    assert_eq!(w.whatsapp.sent().len(), sent_before);
    let c = desk_counters(&w).await;
    assert_eq!(c.get("csat_not_asked"), Some(&1));
    assert_eq!(c.get("csat_asked"), None);
}

#[tokio::test]
async fn outside_the_window_only_an_opted_in_customer_gets_the_rating_template() {
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.opt_in().await;
    w.act(id, "maria", reply("Wir melden uns.")).await;
    w.clock.advance(SignedDuration::from_hours(30));
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert!(t.csat_asked_at.is_some());
    let sent = w.whatsapp.sent().pop().unwrap();
    assert!(sent.body.is_template());
    assert_eq!(sent.body.body(), crate::domain::csat::SURVEY_TEMPLATE);
    // The template asks for a digit.
    let rated = w.customer("wamid.3", "4").await;
    assert_eq!(rated, id, "the answer lands on the resolved ticket");
    let t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.csat.map(|c| c.score), Some(4), "{t:?}");

    // Without opt-in: nothing is sent, and it is counted.
    let w = world().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.act(id, "maria", reply("Wir melden uns.")).await;
    w.clock.advance(SignedDuration::from_hours(30));
    let sent_before = w.whatsapp.sent().len();
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert_eq!(t.csat_asked_at, None);
    assert_eq!(w.whatsapp.sent().len(), sent_before);
    assert_eq!(desk_counters(&w).await.get("csat_not_asked"), Some(&1));
}

#[test]
fn mentions_are_at_names_but_not_mail_addresses() {
    assert_eq!(
        mentions("@lea bitte, @tom. und @lea nochmal; a@b.de"),
        ["lea", "tom"]
    );
    assert!(mentions("niemand").is_empty());
}

#[tokio::test]
async fn stop_opts_out_at_once_and_no_survey_or_template_follows() {
    let w = world().await;
    w.opt_in().await;
    let id = w.customer("wamid.1", HANDOFF).await;
    w.clock.advance(SignedDuration::from_secs(5));
    w.customer("wamid.2", "Stopp").await;
    let confirmation = w.whatsapp.sent().pop().unwrap().body.text();
    assert!(confirmation.contains("abgemeldet"), "{confirmation}");
    let anna = crate::domain::ids::WaId::parse("4915112345678").unwrap();
    let consent = w.store.consent(&anna).await.unwrap().unwrap();
    assert!(!consent.opted_in);
    assert_eq!(consent.source, "keyword");
    w.act(id, "maria", reply("Trotzdem eine Antwort auf Ihre Frage."))
        .await;
    let sent_before = w.whatsapp.sent().len();
    let t = w.act(id, "maria", AgentAction::Resolve).await;
    assert_eq!(t.csat_asked_at, None, "no survey after STOP");
    assert_eq!(w.whatsapp.sent().len(), sent_before);
    let template = Template {
        name: "follow_up".into(),
        language: "de".into(),
        components: Vec::new(),
    };
    w.act(id, "maria", AgentAction::Reopen).await;
    let err = w
        .desk
        .act(id, "maria", &AgentAction::SendTemplate { template }, None)
        .await
        .unwrap_err();
    assert_eq!(err, AgentError::NoConsent);
}

/// Puts a handed-over ticket in `team`'s queue as routing does when nobody there is free,
/// with the language the bot detected.
async fn queue_in(w: &crate::testkit::World, id: TicketId, team: &str, language: Lang) {
    let mut t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::Queued, "the bot handed it over");
    t.team = Some(team.into());
    if let Some(bot) = t.bot.as_mut() {
        bot.language = Some(language);
    }
    crate::testkit::save(&w.store, t, w.clock.now()).await;
}

/// Everyone but tom (capacity 1) offline: what tom frees up nobody else takes.
async fn only_tom_online(w: &crate::testkit::World) {
    for other in ["maria", "lea"] {
        w.store
            .set_presence(other, Some(false), None)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_freed_slot_takes_the_most_urgent_then_the_longest_waiting_ticket_of_its_teams() {
    let w = world().await;
    only_tom_online(&w).await;
    let working = w.customer_as("4915100000001", "wamid.1", HANDOFF).await;
    w.act(working, "tom", reply("Hallo")).await;
    w.clock.advance(SignedDuration::from_mins(1));
    let older = w.customer_as("4915100000002", "wamid.2", HANDOFF).await;
    queue_in(&w, older, "support", Lang::De).await;
    w.clock.advance(SignedDuration::from_mins(1));
    let urgent = w.customer_as("4915100000003", "wamid.3", HANDOFF).await;
    queue_in(&w, urgent, "support", Lang::De).await;
    w.act(
        urgent,
        "maria",
        AgentAction::Update {
            priority: Some(Priority::Urgent),
            category: None,
        },
    )
    .await;
    let billing = w.customer_as("4915100000004", "wamid.4", HANDOFF).await;
    queue_in(&w, billing, "billing", Lang::De).await;
    let english = w.customer_as("4915100000005", "wamid.5", HANDOFF).await;
    queue_in(&w, english, "support", Lang::En).await;

    w.act(working, "tom", AgentAction::Resolve).await;
    let taken = w.store.ticket(urgent).await.unwrap().unwrap();
    assert_eq!(
        (taken.status, taken.assignee.as_deref()),
        (TicketStatus::Assigned, Some("tom")),
        "the urgent ticket first, though it waited less"
    );
    assert_eq!(w.load("tom").await, 1);
    let notice = w.notices.sent().pop().unwrap();
    assert_eq!(
        (
            notice.kind.as_str(),
            notice.agent.as_deref(),
            notice.ticket_id
        ),
        ("ticket_assigned", Some("tom"), urgent)
    );
    assert!(
        notice.summary.contains("waited in the support queue"),
        "{}",
        notice.summary
    );
    let log = w.store.activities(urgent).await.unwrap();
    let assigned = log.last().unwrap();
    assert_eq!(
        (assigned.kind, assigned.actor.as_str()),
        (ActivityKind::Assigned, PULL_ACTOR)
    );

    w.act(urgent, "tom", AgentAction::Resolve).await;
    let next = w.store.ticket(older).await.unwrap().unwrap();
    assert_eq!(
        next.assignee.as_deref(),
        Some("tom"),
        "then the longest waiting"
    );
    w.act(older, "tom", AgentAction::Resolve).await;
    for (id, why) in [
        (billing, "another team's queue"),
        (english, "a language tom does not speak"),
    ] {
        let t = w.store.ticket(id).await.unwrap().unwrap();
        assert_eq!(
            (t.status, t.assignee.as_deref()),
            (TicketStatus::Queued, None),
            "{why} stays queued"
        );
    }
    assert_eq!(w.load("tom").await, 0);
}

#[tokio::test]
async fn a_ticket_given_back_to_the_queue_does_not_come_straight_back() {
    let w = world().await;
    only_tom_online(&w).await;
    let id = w.customer("wamid.1", HANDOFF).await;
    queue_in(&w, id, "support", Lang::De).await;
    w.act(id, "tom", reply("Hallo")).await;
    let t = w.act(id, "tom", AgentAction::Assign { agent: None }).await;
    assert_eq!((t.status, t.assignee), (TicketStatus::Queued, None));
    let t = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(t.assignee, None, "still waiting for someone else");
    assert_eq!(w.load("tom").await, 0);
}

#[tokio::test]
async fn an_agent_who_comes_online_takes_waiting_tickets_up_to_capacity() {
    let w = world().await;
    only_tom_online(&w).await;
    w.store
        .set_presence("tom", Some(false), None)
        .await
        .unwrap();
    let mut queued = Vec::new();
    for i in 1..=3 {
        let id = w
            .customer_as(&format!("491510000000{i}"), &format!("wamid.{i}"), HANDOFF)
            .await;
        queue_in(&w, id, "support", Lang::De).await;
        queued.push(id);
        w.clock.advance(SignedDuration::from_mins(1));
    }
    assert!(w.desk.refill("lea", None).await.is_empty(), "offline");
    w.store.set_presence("lea", Some(true), None).await.unwrap();
    assert_eq!(
        w.desk.refill("lea", None).await,
        queued[..2],
        "capacity 2: the two longest waiting"
    );
    assert_eq!(w.load("lea").await, 2);
    let last = w.store.ticket(queued[2]).await.unwrap().unwrap();
    assert_eq!(last.status, TicketStatus::Queued);
}
