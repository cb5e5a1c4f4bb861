use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::app::bot_reply::Bot;
use crate::app::bot_reply::BotReply;
use crate::app::intake::webhook::plan::plan;
use crate::app::intake::webhook::sample::{SampleText, text_notification};
use crate::app::intake::{Intake, IntakeError};
use crate::domain::sla::Target;
use crate::domain::ticket::ConversationWindow;
use crate::ports::clock::ManualClock;
use crate::ports::notify::MemoryNotifier;
use crate::ports::orders::MemoryOrders;
use crate::ports::queue::MemoryQueue;
use crate::ports::store::ActivityKind;
use crate::ports::store::MemoryStore;
use crate::ports::timers::MemoryTimers;
use crate::ports::whatsapp::MemoryWhatsApp;

/// Tue 24 Nov 2026 10:00 Berlin: office hours.
const T0: i64 = 1_795_510_800;

struct World {
    intake: Intake,
    reply: BotReply,
    breach: SlaBreach,
    store: Arc<MemoryStore>,
    inbound: Arc<MemoryQueue>,
    handoffs: Arc<MemoryQueue>,
    whatsapp: Arc<MemoryWhatsApp>,
    timers: Arc<MemoryTimers>,
    notifier: Arc<MemoryNotifier>,
    clock: Arc<ManualClock>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0).unwrap()));
    let store = Arc::new(MemoryStore::new());
    let inbound = Arc::new(MemoryQueue::new(clock.clone()));
    let handoffs = Arc::new(MemoryQueue::new(clock.clone()));
    let whatsapp = Arc::new(MemoryWhatsApp::new());
    let timers = Arc::new(MemoryTimers::new());
    let notifier = Arc::new(MemoryNotifier::new());
    let bot_config = Arc::new(BotConfig::default_shop());
    let sla = Arc::new(SlaConfig::default_policies());
    let fast = RetryPolicy {
        attempts: 2,
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    };
    let reply = BotReply::new(
        store.clone(),
        whatsapp.clone(),
        handoffs.clone(),
        Bot::new(bot_config.clone(), Arc::new(MemoryOrders::demo())),
        clock.clone(),
    )
    .with_retry(fast)
    .with_sla(sla.clone(), timers.clone());
    let breach = SlaBreach::new(
        BreachPorts {
            store: store.clone(),
            whatsapp: whatsapp.clone(),
            handoffs: handoffs.clone(),
            timers: timers.clone(),
            notifier: notifier.clone(),
            clock: clock.clone(),
        },
        bot_config,
        sla,
    )
    .with_retry(fast);
    World {
        intake: Intake::new(
            store.clone(),
            inbound.clone(),
            clock.clone(),
            ConversationWindow::default(),
        ),
        reply,
        breach,
        store,
        inbound,
        handoffs,
        whatsapp,
        timers,
        notifier,
        clock,
    }
}

impl World {
    async fn customer(&self, wamid: &str, text: &str) {
        let now = self.clock.now().as_second();
        let body = text_notification(
            "106540352242922",
            &[SampleText {
                wa_id: "4915112345678",
                profile_name: "Anna",
                wamid,
                timestamp: now,
                body: text,
            }],
        );
        self.intake.ingest(&plan(body.as_bytes()).unwrap()).await;
        let records: Vec<QueueRecord> = self
            .inbound
            .receive(10)
            .into_iter()
            .map(QueueRecord::from)
            .collect();
        assert!(self.reply.handle_batch(&records).await.is_empty());
    }

    /// Moves the clock to the next armed timer and delivers it, as Scheduler would.
    async fn fire_next(&self) -> (TimerPayload, Fired) {
        let next = self
            .timers
            .armed()
            .into_iter()
            .min_by_key(|t| t.due_at)
            .expect("a timer is armed");
        self.clock.set(next.due_at);
        let fired = self.timers.take_due(next.due_at);
        assert_eq!(fired.len(), 1, "one timer per deadline");
        let payload: TimerPayload = serde_json::from_str(&fired[0].payload).unwrap();
        let outcome = self.breach.handle(&payload).await.unwrap();
        (payload, outcome)
    }

    /// How many timers of `kind` (`fr`, `bot`, `sil`, ...: the part of the name after the
    /// ticket) are armed.
    fn armed(&self, kind: &str) -> usize {
        let part = format!("-{kind}-");
        let armed = self.timers.armed();
        armed
            .iter()
            .filter(|t| t.name.as_str().contains(&part))
            .count()
    }

    /// The kinds of the armed timers (see [`armed`](Self::armed)).
    fn armed_kinds(&self) -> Vec<String> {
        let armed = self.timers.armed();
        armed
            .iter()
            .map(|t| t.name.as_str().split('-').nth(2).unwrap().to_owned())
            .collect()
    }

    /// Adds an agent of the `senior` team (German).
    async fn senior(&self, id: &str, capacity: u32, online: bool) {
        let mut agent = crate::testkit::agent(id, capacity);
        agent.teams = vec!["senior".into()];
        agent.online = online;
        self.store.add_agent(&agent).await.unwrap();
    }

    fn ticket(&self) -> Ticket {
        self.store.tickets().pop().unwrap()
    }

    /// The agent desk over this world's ports, as the agent API has it.
    fn desk(&self) -> AgentDesk {
        AgentDesk::new(
            self.store.clone(),
            self.whatsapp.clone(),
            self.handoffs.clone(),
            self.clock.clone(),
        )
        .with_sla(Arc::new(SlaConfig::default_policies()), self.timers.clone())
        .with_notifier(self.notifier.clone())
    }

    /// `agent` (of the `support` team) takes the waiting ticket, as in the console.
    async fn taken_by(&self, agent: &str) {
        self.store
            .add_agent(&crate::testkit::agent(agent, 2))
            .await
            .unwrap();
        let ticket = self.ticket();
        let assign = crate::app::agent_api::desk::AgentAction::Assign {
            agent: Some(agent.to_owned()),
        };
        self.desk()
            .act(ticket.id, agent, &assign, Some(ticket.version))
            .await
            .unwrap();
    }

    async fn load_of(&self, agent: &str) -> u32 {
        let agents = self.store.agents().await.unwrap();
        agents.iter().find(|a| a.id == agent).unwrap().load
    }

    /// The activity log's SLA entries: kind, level and actor.
    async fn sla_log(&self) -> Vec<(ActivityKind, u8, String)> {
        self.store
            .activities(self.ticket().id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|a| a.sla.map(|m| (a.kind, m.level, a.actor)))
            .collect()
    }
}

#[tokio::test]
async fn a_bot_that_runs_out_of_time_hands_over_and_tells_the_customer() {
    let w = world();
    w.customer("wamid.1", "Hallo").await;
    let (payload, fired) = w.fire_next().await;
    assert_eq!(
        (payload.target, fired),
        (Target::BotTimeLimit, Fired::BotTimeLimit)
    );
    assert_eq!(
        w.clock.now(),
        Timestamp::from_second(T0 + 300).unwrap(),
        "exactly at the deadline"
    );
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Queued);
    assert_eq!(ticket.handoff_reason, Some(HandoffReason::BotTimeLimit));
    assert!(
        w.whatsapp
            .sent()
            .last()
            .unwrap()
            .body
            .text()
            .starts_with("Wir verbinden Sie mit einem Mitarbeiter")
    );
    assert_eq!(w.handoffs.peek_as::<HandoffItem>().len(), 1);
    assert!(w.armed("fr") > 0, "first response now runs");
}

#[tokio::test]
async fn an_unanswered_ticket_warns_breaches_and_escalates_once_each() {
    let w = world();
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    assert_eq!(w.ticket().status, TicketStatus::Queued);

    let (p, fired) = w.fire_next().await;
    assert_eq!(
        (p.target, p.stage, &fired),
        (Target::FirstResponse, 1, &Fired::Warning)
    );
    // Standard policy: 4 h of office time from 10:00 -> due 14:00, warning at 80 % = 13:12 Berlin.
    assert_eq!(
        w.clock.now(),
        "2026-11-24T12:12:00Z".parse::<Timestamp>().unwrap()
    );

    let (_, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 1, .. }));
    let (_, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 2, .. }));
    let ticket = w.ticket();
    assert_eq!(ticket.priority, Some(Priority::High), "raised from normal");
    assert_eq!(ticket.team.as_deref(), Some("senior"));
    let (_, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 3, .. }));
    assert_eq!(w.ticket().team.as_deref(), Some("managers"));

    let kinds: Vec<(String, Audience)> = w
        .notifier
        .sent()
        .iter()
        .map(|n| (n.kind.clone(), n.audience))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sla_warning".into(), Audience::Assignee),
            ("sla_breach".into(), Audience::Managers),
            ("sla_breach".into(), Audience::Assignee),
            // Nobody in senior (level 2) or managers (level 3) to take it: the team is alerted.
            ("sla_escalation".into(), Audience::Team),
            ("sla_escalation".into(), Audience::Team),
            ("sla_escalation".into(), Audience::Managers),
        ]
    );
    let breaches = &w.ticket().sla.unwrap().breaches;
    assert_eq!(
        breaches
            .iter()
            .filter(|b| b.target == Target::FirstResponse)
            .count(),
        3
    );
    assert_eq!(w.armed("fr"), 0, "the chain ends after level 3");
}

#[tokio::test]
async fn a_redelivered_timer_notifies_nobody_twice() {
    let w = world();
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let (payload, _) = w.fire_next().await;
    let sent = w.notifier.sent().len();
    assert_eq!(w.breach.handle(&payload).await.unwrap(), Fired::Repeat);
    assert_eq!(w.notifier.sent().len(), sent);
    assert_eq!(w.armed("fr"), 1);
}

#[tokio::test]
async fn a_timer_for_a_ticket_the_bot_resolved_meanwhile_does_nothing() {
    let w = world();
    w.customer("wamid.1", "Wie hoch sind die Versandkosten?")
        .await;
    let armed = w.timers.armed();
    // The silence timer after the answer; the customer then confirms before it fires.
    let bot_timer: TimerPayload = serde_json::from_str(
        &armed
            .iter()
            .find(|t| t.name.as_str().contains("-sil-"))
            .unwrap()
            .payload,
    )
    .unwrap();
    w.clock.advance(SignedDuration::from_mins(1));
    w.customer("wamid.2", "Ja, danke").await;
    assert_eq!(w.ticket().status, TicketStatus::Resolved);
    assert!(
        w.timers.armed().is_empty(),
        "resolution disarms every timer"
    );
    // The timer had already fired and is delivered late: stale.
    assert_eq!(w.breach.handle(&bot_timer).await.unwrap(), Fired::Stale);
    assert!(w.notifier.sent().is_empty());
}

#[tokio::test]
async fn a_thousand_tickets_each_breach_once_and_never_early() {
    let w = world();
    let n = 1000;
    for i in 0..n {
        let body = text_notification(
            "106540352242922",
            &[SampleText {
                wa_id: &format!("49151{i:08}"),
                profile_name: "Kunde",
                wamid: &format!("wamid.m{i}"),
                timestamp: w.clock.now().as_second(),
                body: "dringend bitte",
            }],
        );
        w.intake.ingest(&plan(body.as_bytes()).unwrap()).await;
    }
    loop {
        let batch = w.inbound.receive(10);
        if batch.is_empty() {
            break;
        }
        let records: Vec<QueueRecord> = batch.into_iter().map(QueueRecord::from).collect();
        assert!(w.reply.handle_batch(&records).await.is_empty());
    }
    // Urgent policy: first response due 30 min after the handoff. Step the clock by 7 minutes
    // and fire what is due, as a pump would, until every chain has ended.
    let mut breaches: std::collections::HashMap<crate::domain::ids::TicketId, usize> =
        Default::default();
    for _ in 0..60 {
        let now = w
            .clock
            .now()
            .checked_add(SignedDuration::from_mins(7))
            .unwrap();
        w.clock.set(now);
        for timer in w.timers.take_due(now) {
            assert!(timer.due_at <= now);
            let p: TimerPayload = serde_json::from_str(&timer.payload).unwrap();
            if let Fired::Level { level: 1, .. } = w.breach.handle(&p).await.unwrap()
                && p.target == Target::FirstResponse
            {
                let ticket = w.store.ticket(p.ticket_id).await.unwrap().unwrap();
                let started = ticket.sla.unwrap().clocks[&Target::FirstResponse].started_at;
                assert!(
                    now >= started.checked_add(SignedDuration::from_mins(30)).unwrap(),
                    "never early"
                );
                *breaches.entry(p.ticket_id).or_default() += 1;
            }
        }
    }
    assert_eq!(breaches.len(), n, "every ticket breached");
    assert!(breaches.values().all(|&c| c == 1), "none twice");
}

#[tokio::test]
async fn silence_after_the_bots_answer_resolves_the_ticket_by_the_bot() {
    let w = world();
    w.customer("wamid.1", "Wie hoch sind die Versandkosten?")
        .await;
    let armed = w.armed_kinds();
    assert!(
        armed.contains(&"sil".to_owned()) && !armed.contains(&"bot".to_owned()),
        "{armed:?}"
    );
    let (payload, fired) = w.fire_next().await;
    assert_eq!(
        (payload.target, fired),
        (Target::BotSilence, Fired::BotSilence)
    );
    assert_eq!(w.clock.now(), Timestamp::from_second(T0 + 30 * 60).unwrap());
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Resolved);
    assert!(ticket.resolved_by_bot);
    let left: Vec<String> = w
        .timers
        .armed()
        .iter()
        .map(|t| t.name.as_str().to_owned())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_new_question_after_the_answer_restarts_the_bot_time_limit_instead() {
    let w = world();
    w.customer("wamid.1", "Wie hoch sind die Versandkosten?")
        .await;
    w.clock.advance(SignedDuration::from_mins(2));
    w.customer("wamid.2", "Mein Hund heißt Bello").await;
    let armed = w.armed_kinds();
    assert!(
        armed.contains(&"bot".to_owned()) && !armed.contains(&"sil".to_owned()),
        "{armed:?}"
    );
}

#[tokio::test]
async fn a_breach_is_counted_once_without_dimension_and_escalations_are_not_breaches_again() {
    // GIVEN sla-breach with metrics and a ticket nobody answers
    let mut w = world();
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("sla-breach");
    w.breach = w.breach.with_metrics(metrics.clone());
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    // WHEN the warning, the breach (delivered twice) and both escalations fire
    w.fire_next().await;
    let (breach, _) = w.fire_next().await;
    assert_eq!(w.breach.handle(&breach).await.unwrap(), Fired::Repeat);
    w.fire_next().await;
    w.fire_next().await;
    metrics.flush();
    // THEN one breach is counted, its target a property
    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["SlaBreaches"], 1);
    assert_eq!(
        lines[0]["SlaTargets"],
        serde_json::json!({"first_response": 1})
    );
}

#[tokio::test]
async fn the_bot_time_limit_counts_the_handoff_and_the_bots_goodbye() {
    let mut w = world();
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("sla-breach");
    w.breach = w.breach.with_metrics(metrics.clone());
    w.customer("wamid.1", "Hallo").await;
    let before = w.whatsapp.sent().len();
    w.fire_next().await;
    metrics.flush();
    let line = &capture.lines()[0];
    assert_eq!(line["Handoffs"], 1);
    assert_eq!(
        line["HandoffReasons"],
        serde_json::json!({"bot_time_limit": 1})
    );
    assert_eq!(line["BotReplies"], w.whatsapp.sent().len() - before);
    assert!(
        line.get("SlaBreaches").is_none(),
        "the bot's limit is not a breach"
    );
}

#[tokio::test]
async fn a_waiting_ticket_escalated_to_seniors_goes_to_a_free_senior_at_once() {
    let mut w = world();
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("sla-breach");
    w.breach = w.breach.with_metrics(metrics.clone());
    w.senior("sam", 2, true).await;
    w.senior("kim", 1, false).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    for _ in 0..2 {
        w.fire_next().await; // warning, breach
    }
    assert_eq!(w.ticket().assignee, None, "the breach itself moves nothing");
    let (_, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 2, .. }));
    let ticket = w.ticket();
    assert_eq!(
        (
            ticket.team.as_deref(),
            ticket.status,
            ticket.assignee.as_deref()
        ),
        (Some("senior"), TicketStatus::Assigned, Some("sam")),
        "the online senior with room takes it"
    );
    let told = w.notifier.sent().pop().unwrap();
    assert_eq!(
        (told.kind.as_str(), told.agent.as_deref()),
        ("ticket_assigned", Some("sam"))
    );
    metrics.flush();
    assert_eq!(
        capture.total("TicketsAssigned"),
        1.0,
        "counted by sla-breach"
    );
    let (_, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 3, .. }));
    assert_eq!(
        w.ticket().assignee.as_deref(),
        Some("sam"),
        "nobody of managers is free: it stays with its agent"
    );
}

#[tokio::test]
async fn with_no_senior_free_the_escalated_ticket_waits_in_their_queue() {
    let w = world();
    w.senior("kim", 1, false).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    for _ in 0..3 {
        w.fire_next().await; // warning, breach, escalation to senior
    }
    let ticket = w.ticket();
    assert_eq!(
        (ticket.team.as_deref(), ticket.status, ticket.assignee),
        (Some("senior"), TicketStatus::Queued, None)
    );
}

#[tokio::test]
async fn a_redelivered_escalation_places_a_ticket_its_first_delivery_could_not() {
    let w = world();
    w.senior("sam", 1, false).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    w.fire_next().await; // warning
    w.fire_next().await; // breach
    let (escalation, _) = w.fire_next().await;
    assert_eq!(w.ticket().assignee, None, "no senior online yet");
    w.store.set_presence("sam", Some(true), None).await.unwrap();
    assert_eq!(w.breach.handle(&escalation).await.unwrap(), Fired::Repeat);
    let ticket = w.ticket();
    assert_eq!(
        (ticket.status, ticket.assignee.as_deref()),
        (TicketStatus::Assigned, Some("sam"))
    );
}

#[tokio::test]
async fn at_the_bots_time_limit_routing_not_the_breach_handler_picks_the_agent() {
    let w = world();
    w.senior("sam", 2, true).await;
    w.customer("wamid.1", "Hallo").await;
    // An earlier question left the ticket with a team; routing's rules decide this one.
    let mut stale = w.ticket();
    stale.team = Some("senior".into());
    crate::testkit::save(&w.store, stale, w.clock.now()).await;
    let (_, fired) = w.fire_next().await;
    assert_eq!(fired, Fired::BotTimeLimit);
    let ticket = w.ticket();
    assert_eq!(
        (ticket.status, ticket.assignee),
        (TicketStatus::Queued, None)
    );
    assert_eq!(
        w.handoffs.peek_as::<HandoffItem>().len(),
        1,
        "routing's turn"
    );
}

#[tokio::test]
async fn every_warning_breach_and_escalation_level_is_in_the_ticket_activity_log_once() {
    // GIVEN a ticket nobody answers
    let w = world();
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    // WHEN the warning, the breach (delivered twice) and both escalation levels fire
    let (warning, _) = w.fire_next().await;
    let (breach, _) = w.fire_next().await;
    assert_eq!(w.breach.handle(&breach).await.unwrap(), Fired::Repeat);
    w.fire_next().await;
    w.fire_next().await;
    assert_eq!(w.breach.handle(&warning).await.unwrap(), Fired::Stale);
    // THEN the log has each stage once, recorded by the SLA, in order
    let sla = ESCALATION_ACTOR.to_owned();
    assert_eq!(
        w.sla_log().await,
        [
            (ActivityKind::SlaWarning, 0, sla.clone()),
            (ActivityKind::SlaBreach, 1, sla.clone()),
            (ActivityKind::SlaEscalation, 2, sla.clone()),
            (ActivityKind::SlaEscalation, 3, sla),
        ]
    );
    // AND each entry says which target was due when, and what the stage did
    let log = w.store.activities(w.ticket().id).await.unwrap();
    assert!(
        log.iter()
            .all(|a| a.sla.as_ref().unwrap().target == Target::FirstResponse
                && a.sla.as_ref().unwrap().due_at == breach.due_at)
    );
    let texts: Vec<&str> = log.iter().map(|a| a.text.as_deref().unwrap()).collect();
    assert_eq!(texts[1], "told managers; told nobody (no agent, no team)");
    assert!(
        texts[2].starts_with("priority raised to high; moved to team senior; nobody in senior free: it waits in the senior queue, team alerted"),
        "{}",
        texts[2]
    );
    assert!(texts[3].contains("moved to team managers"), "{}", texts[3]);
}

#[tokio::test]
async fn an_assigned_ticket_escalated_to_seniors_goes_to_a_free_senior_and_its_agent_is_told() {
    // GIVEN tom (support) works the ticket and sam, a senior, has room
    let w = world();
    w.senior("sam", 2, true).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    w.taken_by("tom").await;
    assert_eq!(w.load_of("tom").await, 1);
    w.fire_next().await; // warning
    w.fire_next().await; // breach
    assert_eq!(w.ticket().assignee.as_deref(), Some("tom"));
    // WHEN level 2 moves it to the senior team
    let (level2, fired) = w.fire_next().await;
    assert!(matches!(fired, Fired::Level { level: 2, .. }));
    // THEN sam has it, through the one assignment path: his slot taken, tom's given back
    let ticket = w.ticket();
    assert_eq!(
        (
            ticket.team.as_deref(),
            ticket.status,
            ticket.assignee.as_deref()
        ),
        (Some("senior"), TicketStatus::Assigned, Some("sam"))
    );
    assert_eq!((w.load_of("sam").await, w.load_of("tom").await), (1, 0));
    // AND both are told, tom that he can still read it
    let told: Vec<(String, Option<String>)> = w
        .notifier
        .sent()
        .iter()
        .filter(|n| n.kind.starts_with("ticket_"))
        .map(|n| (n.kind.clone(), n.agent.clone()))
        .collect();
    assert_eq!(
        told,
        [
            ("ticket_escalated_away".into(), Some("tom".into())),
            ("ticket_assigned".into(), Some("sam".into())),
        ]
    );
    assert_eq!(ticket.watchers, ["tom"], "tom keeps reading it");
    // AND the log shows the escalation, then the SLA giving it to sam
    let log = w.store.activities(ticket.id).await.unwrap();
    let entries: Vec<(ActivityKind, &str, Option<&str>)> = log
        .iter()
        .map(|a| (a.kind, a.actor.as_str(), a.text.as_deref()))
        .collect();
    // (Both at the same instant of the test's clock: their order is not the point.)
    for entry in [
        (
            ActivityKind::SlaEscalation,
            ESCALATION_ACTOR,
            Some("priority raised to high; moved to team senior"),
        ),
        (ActivityKind::Assigned, ESCALATION_ACTOR, Some("sam")),
    ] {
        assert!(entries.contains(&entry), "{entry:?} in {entries:?}");
    }
    // WHEN the level-2 timer is delivered again
    let before = (w.notifier.sent().len(), log.len());
    assert_eq!(w.breach.handle(&level2).await.unwrap(), Fired::Repeat);
    // THEN nothing moves, nobody is told twice and sam's slot is taken once
    assert_eq!(
        (
            w.notifier.sent().len(),
            w.store.activities(ticket.id).await.unwrap().len()
        ),
        before
    );
    assert_eq!(w.ticket().version, ticket.version);
    assert_eq!(w.load_of("sam").await, 1);
}

#[tokio::test]
async fn with_no_senior_free_an_escalated_ticket_stays_with_its_agent_and_the_seniors_are_alerted()
{
    // GIVEN tom works the ticket and the only senior is offline
    let w = world();
    w.senior("kim", 2, false).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    w.taken_by("tom").await;
    for _ in 0..2 {
        w.fire_next().await; // warning, breach
    }
    // WHEN level 2 moves it to the senior team
    let (level2, _) = w.fire_next().await;
    // THEN tom keeps it (and his slot)
    let ticket = w.ticket();
    assert_eq!(
        (ticket.team.as_deref(), ticket.assignee.as_deref()),
        (Some("senior"), Some("tom"))
    );
    assert_eq!(w.load_of("tom").await, 1);
    // AND the senior team is alerted once, the log saying so
    let alerts = || {
        w.notifier
            .sent()
            .into_iter()
            .filter(|n| n.audience == Audience::Team)
            .collect::<Vec<_>>()
    };
    let alert = alerts();
    assert_eq!(alert.len(), 1);
    assert_eq!(
        (
            alert[0].team.as_deref(),
            alert[0].level,
            alert[0].agent.as_deref()
        ),
        (Some("senior"), 2, None)
    );
    assert!(
        alert[0].summary.contains("it stays with tom"),
        "{}",
        alert[0].summary
    );
    let log = w.store.activities(ticket.id).await.unwrap();
    assert_eq!(
        log.last().unwrap().text.as_deref(),
        Some(
            "priority raised to high; moved to team senior; nobody in senior free: it stays with tom, team alerted"
        )
    );
    assert_eq!(w.breach.handle(&level2).await.unwrap(), Fired::Repeat);
    assert_eq!(alerts().len(), 1, "a redelivered timer alerts nobody twice");
}

#[tokio::test]
async fn an_escalation_leaves_a_ticket_with_its_agent_who_is_in_the_new_team() {
    // GIVEN a senior works the ticket and another senior has room
    let w = world();
    w.senior("sam", 2, true).await;
    w.customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let mut ana = crate::testkit::agent("ana", 2);
    ana.teams = vec!["support".into(), "senior".into()];
    w.store.add_agent(&ana).await.unwrap();
    w.taken_by("ana").await;
    // WHEN the chain reaches level 2 (senior)
    for _ in 0..3 {
        w.fire_next().await;
    }
    // THEN she keeps it: no senior takes it from a senior
    assert_eq!(w.ticket().assignee.as_deref(), Some("ana"));
    assert_eq!(w.load_of("sam").await, 0);
    assert!(
        w.store
            .activities(w.ticket().id)
            .await
            .unwrap()
            .last()
            .unwrap()
            .text
            .as_deref()
            .unwrap()
            .ends_with("stays with ana, who is in senior")
    );
}

#[tokio::test]
async fn every_handoff_of_a_tickets_life_is_routed_once_even_when_the_first_came_from_the_opening_message()
 {
    // GIVEN a ticket its urgent opening message handed to Maria, who resolved it
    let w = world();
    w.store
        .add_agent(&crate::testkit::agent("maria", 3))
        .await
        .unwrap();
    let router = crate::app::agent_handoff::Router::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.handoffs.clone(),
        w.notifier.clone(),
        Arc::new(crate::app::agent_handoff::RoutingConfig::default_routing()),
        w.clock.clone(),
    );
    let desk = AgentDesk::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.handoffs.clone(),
        w.clock.clone(),
    )
    .with_sla(Arc::new(SlaConfig::default_policies()), w.timers.clone());
    let route = || async {
        let records: Vec<QueueRecord> = w
            .handoffs
            .receive(10)
            .into_iter()
            .map(QueueRecord::from)
            .collect();
        assert_eq!(records.len(), 1, "one handoff on the queue");
        assert!(router.handle_batch(&records).await.is_empty(), "routed");
        records
    };
    w.customer("wamid.1", "Dringend! Ich brauche sofort Hilfe")
        .await;
    route().await;
    let first = w.ticket();
    assert_eq!(
        (first.status, first.assignee.as_deref()),
        (TicketStatus::Assigned, Some("maria"))
    );
    w.clock.advance(SignedDuration::from_mins(20));
    desk.act(
        first.id,
        "maria",
        &crate::app::agent_api::desk::AgentAction::Resolve,
        None,
    )
    .await
    .unwrap();

    // WHEN the customer writes again, the bot takes it back and runs out of time
    w.clock.advance(SignedDuration::from_mins(10));
    w.customer("wamid.2", "Hallo").await;
    assert_eq!(w.ticket().status, TicketStatus::Bot, "the bot has it again");
    let (payload, fired) = w.fire_next().await;
    assert_eq!(
        (payload.target, fired),
        (Target::BotTimeLimit, Fired::BotTimeLimit)
    );

    // THEN routing gives it to Maria again, once
    let second = route().await;
    let ticket = w.ticket();
    assert_eq!(ticket.id, first.id, "the same ticket");
    assert_eq!(
        (ticket.status, ticket.assignee.as_deref()),
        (TicketStatus::Assigned, Some("maria"))
    );
    assert_eq!(
        router.handle_batch(&second).await,
        Vec::<String>::new(),
        "a redelivery is absorbed"
    );
    let maria = w.store.agents().await.unwrap();
    assert_eq!(maria[0].load, 1, "one slot: the second assignment");
    let told: Vec<_> = w
        .notifier
        .sent()
        .into_iter()
        .filter(|n| n.kind == "ticket_assigned")
        .collect();
    assert_eq!(told.len(), 2, "Maria heard of each assignment once");
}

impl World {
    /// The intake with SLA clocks started at intake (as the webhook function runs it).
    fn intake_with_sla(&self) -> Intake {
        Intake::new(
            self.store.clone(),
            self.inbound.clone(),
            self.clock.clone(),
            ConversationWindow::default(),
        )
        .with_sla(Arc::new(SlaConfig::default_policies()), self.timers.clone())
    }
}

fn first_message(wamid: &str, at: i64) -> String {
    text_notification(
        "106540352242922",
        &[SampleText {
            wa_id: "4915112345678",
            profile_name: "Anna",
            wamid,
            timestamp: at,
            body: "Hallo",
        }],
    )
}

#[tokio::test]
async fn a_first_message_the_bot_never_gets_to_still_reaches_a_person_at_the_bots_time_limit() {
    // GIVEN a first message stored by the intake, whose bot turn never comes (dead-lettered)
    let w = world();
    let report = w
        .intake_with_sla()
        .ingest(&plan(first_message("wamid.lost", T0).as_bytes()).unwrap())
        .await;
    assert_eq!((report.error, report.enqueued), (None, 1));
    let _lost = w.inbound.receive(10);
    // THEN its clocks already run from the customer's message
    let bot = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-bot-"))
        .expect("the bot's time limit is armed at intake");
    assert_eq!(bot.due_at, Timestamp::from_second(T0 + 300).unwrap());
    // WHEN the bot's time is up, a person gets the ticket
    let (payload, fired) = w.fire_next().await;
    assert_eq!(
        (payload.target, fired),
        (Target::BotTimeLimit, Fired::BotTimeLimit)
    );
    assert_eq!(w.ticket().status, TicketStatus::Queued);
    assert_eq!(w.handoffs.peek_as::<HandoffItem>().len(), 1);
}

#[tokio::test]
async fn the_bots_turn_keeps_the_timers_the_intake_armed() {
    // GIVEN a first message whose clocks the intake started, handled by the bot 2 minutes late
    let w = world();
    w.intake_with_sla()
        .ingest(&plan(first_message("wamid.kept", T0).as_bytes()).unwrap())
        .await;
    let armed_at_intake = w.timers.armed();
    w.clock.advance(SignedDuration::from_mins(2));
    let records: Vec<QueueRecord> = w
        .inbound
        .receive(10)
        .into_iter()
        .map(QueueRecord::from)
        .collect();
    assert!(w.reply.handle_batch(&records).await.is_empty());
    // THEN the same timers run, due when they were (one per clock, none twice)
    assert_eq!(w.timers.armed(), armed_at_intake);
}

#[tokio::test]
async fn timers_the_intake_could_not_arm_are_armed_when_meta_delivers_again() {
    // GIVEN the Scheduler failing once
    let w = world();
    let intake = w.intake_with_sla();
    w.timers
        .inject_faults([crate::ports::timers::TimerError::Unavailable(
            "scheduler down".into(),
        )]);
    let body = first_message("wamid.retry", T0);
    let failed = intake.ingest(&plan(body.as_bytes()).unwrap()).await;
    // THEN the webhook fails (Meta retries) and the message waits, stored, unqueued
    assert!(matches!(failed.error, Some(IntakeError::Timers(_))));
    assert!(w.inbound.is_empty(), "not queued without its timers");
    // WHEN Meta delivers it again
    let again = intake.ingest(&plan(body.as_bytes()).unwrap()).await;
    assert_eq!((again.error, again.enqueued), (None, 1));
    assert!(w.armed("bot") > 0, "armed on the retry");
}

#[tokio::test]
async fn a_bot_time_limit_handled_late_starts_first_response_when_the_limit_was_reached() {
    // GIVEN the bot's time limit timer, handled 4 minutes after it fired (a crashed consumer)
    let w = world();
    w.customer("wamid.1", "Hallo").await;
    let timer = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-bot-"))
        .unwrap();
    let late = timer.due_at + SignedDuration::from_mins(4);
    w.clock.set(late);
    let fired = w.timers.take_due(late);
    let payload: TimerPayload = serde_json::from_str(&fired[0].payload).unwrap();
    assert_eq!(
        w.breach.handle(&payload).await.unwrap(),
        Fired::BotTimeLimit
    );
    // THEN the customer's wait for a person counts from the limit
    let clocks = w.ticket().sla.unwrap();
    assert_eq!(
        clocks.clocks[&Target::FirstResponse].started_at,
        timer.due_at
    );
}
