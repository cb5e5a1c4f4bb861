use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::ports::timers::{MemoryTimers, Timers};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ticket() -> TicketId {
    TicketId::parse("01KB0000000000000000000000").unwrap()
}

fn names(plan: &TimerPlan) -> (Vec<String>, Vec<String>) {
    (
        plan.arm
            .iter()
            .map(|t| t.name.as_str().to_owned())
            .collect(),
        plan.disarm.iter().map(|n| n.as_str().to_owned()).collect(),
    )
}

fn payload(timer: &Timer) -> TimerPayload {
    serde_json::from_str(&timer.payload).unwrap()
}

/// Tue 24 Nov 2026 10:00 Berlin.
const OPEN: &str = "2026-11-24T09:00:00Z";

#[test]
fn a_new_ticket_arms_the_bot_limit_and_the_resolution_warning() {
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    let plan = clocks.plan(ticket(), &sla).unwrap();
    let (arm, disarm) = names(&plan);
    assert_eq!(
        arm,
        [
            "sla-01KB0000000000000000000000-res-g0-s1",
            "sla-01KB0000000000000000000000-bot-g0-s2"
        ]
    );
    assert!(disarm.is_empty());
    let bot = plan
        .arm
        .iter()
        .find(|t| t.name.as_str().contains("-bot-"))
        .unwrap();
    assert_eq!(bot.due_at, ts("2026-11-24T09:05:00Z"));
    // Planning again changes nothing: the same timers are armed.
    assert_eq!(clocks.plan(ticket(), &sla).unwrap(), TimerPlan::default());
}

#[test]
fn handoff_replaces_the_bot_timer_with_first_response_and_an_answer_disarms_it() {
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.plan(ticket(), &sla).unwrap();
    clocks.apply(SlaEvent::HandedOff, ts("2026-11-24T09:02:00Z"));
    let (arm, disarm) = names(&clocks.plan(ticket(), &sla).unwrap());
    assert_eq!(arm, ["sla-01KB0000000000000000000000-fr-g0-s1"]);
    assert_eq!(disarm, ["sla-01KB0000000000000000000000-bot-g0-s2"]);

    clocks.apply(SlaEvent::AgentReplied, ts("2026-11-24T10:00:00Z"));
    let (arm, disarm) = names(&clocks.plan(ticket(), &sla).unwrap());
    assert!(arm.is_empty());
    assert_eq!(disarm, ["sla-01KB0000000000000000000000-fr-g0-s1"]);

    clocks.apply(SlaEvent::Resolved, ts("2026-11-24T11:00:00Z"));
    let (arm, disarm) = names(&clocks.plan(ticket(), &sla).unwrap());
    assert!(arm.is_empty());
    assert_eq!(disarm, ["sla-01KB0000000000000000000000-res-g0-s1"]);
}

#[test]
fn a_pause_disarms_everything_and_resuming_arms_later_deadlines() {
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.apply(SlaEvent::HandedOff, ts(OPEN));
    let before = clocks.plan(ticket(), &sla).unwrap();
    let fr_before = before
        .arm
        .iter()
        .find(|t| t.name.as_str().contains("-fr-"))
        .unwrap()
        .due_at;

    clocks.apply(SlaEvent::Paused, ts("2026-11-24T10:00:00Z"));
    let paused = clocks.plan(ticket(), &sla).unwrap();
    assert!(paused.arm.is_empty());
    assert_eq!(paused.disarm.len(), 2, "first response and resolution");

    clocks.apply(SlaEvent::Resumed, ts("2026-11-24T11:00:00Z"));
    let resumed = clocks.plan(ticket(), &sla).unwrap();
    let fr = resumed
        .arm
        .iter()
        .find(|t| t.name.as_str().contains("-fr-"))
        .unwrap();
    assert!(
        fr.name.as_str().ends_with("-g1-s1"),
        "a new generation: {}",
        fr.name.as_str()
    );
    assert_eq!(
        fr.due_at,
        fr_before
            .checked_add(SignedDuration::from_hours(1))
            .unwrap(),
        "pushed by the paused hour"
    );
}

#[test]
fn a_fired_chain_warns_breaches_and_escalates_once_each() {
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.apply(SlaEvent::HandedOff, ts(OPEN));
    let mut seen = Vec::new();
    for _ in 0..4 {
        let plan = clocks.plan(ticket(), &sla).unwrap();
        let fr = plan
            .arm
            .iter()
            .find(|t| t.name.as_str().contains("-fr-"))
            .expect("a next first-response timer")
            .clone();
        let p = payload(&fr);
        let fired = clocks.fired(&p, &sla, fr.due_at);
        assert_eq!(
            clocks.fired(&p, &sla, fr.due_at),
            Fired::Repeat,
            "a redelivered timer is not handled twice"
        );
        seen.push((p.stage, fired));
    }
    assert_eq!(seen[0], (1, Fired::Warning));
    assert!(
        matches!(&seen[1], (2, Fired::Level { level: 1, actions }) if actions.contains(&Action::NotifyManagers))
    );
    assert!(
        matches!(&seen[2], (3, Fired::Level { level: 2, actions }) if actions.contains(&Action::RaisePriority))
    );
    assert!(matches!(&seen[3], (4, Fired::Level { level: 3, .. })));
    assert!(
        clocks
            .plan(ticket(), &sla)
            .unwrap()
            .arm
            .iter()
            .all(|t| !t.name.as_str().contains("-fr-")),
        "the chain ends"
    );
    assert_eq!(
        clocks
            .breaches
            .iter()
            .filter(|b| b.target == Target::FirstResponse)
            .count(),
        3
    );
}

#[test]
fn a_timer_that_fires_after_the_answer_or_after_a_pause_moved_it_does_nothing() {
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.apply(SlaEvent::HandedOff, ts(OPEN));
    let plan = clocks.plan(ticket(), &sla).unwrap();
    let fr = payload(
        plan.arm
            .iter()
            .find(|t| t.name.as_str().contains("-fr-"))
            .unwrap(),
    );

    let mut answered = clocks.clone();
    answered.apply(SlaEvent::AgentReplied, ts("2026-11-24T09:30:00Z"));
    assert_eq!(
        answered.fired(&fr, &sla, ts("2026-11-24T13:00:00Z")),
        Fired::Stale
    );

    let mut moved = clocks.clone();
    moved.apply(SlaEvent::Paused, ts("2026-11-24T09:30:00Z"));
    moved.apply(SlaEvent::Resumed, ts("2026-11-24T10:30:00Z"));
    assert_eq!(
        moved.fired(&fr, &sla, ts("2026-11-24T13:00:00Z")),
        Fired::Stale,
        "old generation"
    );

    let mut paused = clocks.clone();
    paused.apply(SlaEvent::Paused, ts("2026-11-24T09:30:00Z"));
    assert_eq!(
        paused.fired(&fr, &sla, ts("2026-11-24T13:00:00Z")),
        Fired::Stale
    );
}

#[test]
fn a_new_question_after_a_resolution_gets_its_own_first_response_clock_at_its_handoff() {
    // GIVEN a ticket handed over, answered by an agent and resolved
    let sla = SlaConfig::default_policies();
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.apply(SlaEvent::HandedOff, ts(OPEN));
    clocks.apply(SlaEvent::AgentReplied, ts("2026-11-24T09:10:00Z"));
    clocks.apply(SlaEvent::Resolved, ts("2026-11-24T09:20:00Z"));
    clocks.plan(ticket(), &sla).unwrap();

    // WHEN the customer asks something new: the bot has it, no agent clock runs
    clocks.apply(SlaEvent::Opened, ts("2026-11-24T11:00:00Z"));
    clocks.apply(SlaEvent::CustomerWrote, ts("2026-11-24T11:00:00Z"));
    assert!(
        !clocks.running(Target::NextResponse),
        "the agent's answer was to the last question"
    );

    // THEN its handoff starts a new first-response clock, with its own timers
    clocks.apply(SlaEvent::HandedOff, ts("2026-11-24T11:04:00Z"));
    let fr = &clocks.clocks[&Target::FirstResponse];
    assert_eq!(
        (fr.started_at, fr.met_at, fr.generation),
        (ts("2026-11-24T11:04:00Z"), None, 1)
    );
    let (arm, _) = names(&clocks.plan(ticket(), &sla).unwrap());
    assert!(
        arm.contains(&"sla-01KB0000000000000000000000-fr-g1-s1".to_owned()),
        "{arm:?}"
    );
}

#[test]
fn next_response_runs_only_after_an_agent_answered() {
    let mut clocks = SlaClocks::new("standard");
    clocks.apply(SlaEvent::Opened, ts(OPEN));
    clocks.apply(SlaEvent::CustomerWrote, ts(OPEN));
    assert!(!clocks.clocks.contains_key(&Target::NextResponse));
    clocks.apply(SlaEvent::HandedOff, ts(OPEN));
    clocks.apply(SlaEvent::AgentReplied, ts("2026-11-24T09:30:00Z"));
    clocks.apply(SlaEvent::CustomerWrote, ts("2026-11-24T09:40:00Z"));
    assert!(clocks.running(Target::NextResponse));
    clocks.apply(SlaEvent::AgentReplied, ts("2026-11-24T09:50:00Z"));
    assert!(!clocks.running(Target::NextResponse));
}

#[tokio::test]
async fn a_ticket_answered_in_time_costs_four_scheduler_calls_after_the_bot() {
    // Count create/delete calls across a life cycle: bot -> handoff -> answer -> resolve.
    let sla = SlaConfig::default_policies();
    let timers = MemoryTimers::new();
    let mut clocks = SlaClocks::new("standard");
    let mut calls = 0;
    for (event, at) in [
        (SlaEvent::Opened, OPEN),
        (SlaEvent::HandedOff, "2026-11-24T09:03:00Z"),
        (SlaEvent::AgentReplied, "2026-11-24T09:30:00Z"),
        (SlaEvent::Resolved, "2026-11-24T10:00:00Z"),
    ] {
        clocks.apply(event, ts(at));
        let plan = clocks.plan(ticket(), &sla).unwrap();
        for t in &plan.arm {
            timers.arm(t).await.unwrap();
        }
        for n in &plan.disarm {
            timers.disarm(n).await.unwrap();
        }
        calls += plan.arm.len() + plan.disarm.len();
    }
    assert!(timers.armed().is_empty(), "nothing left armed");
    assert_eq!(
        calls, 6,
        "2 at opening, 2 at handoff, 1 at the answer, 1 at resolution"
    );
}
