use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::domain::bot::HandoffReason;
use crate::domain::ids::{ConversationKey, PhoneNumberId, TicketId, WaId, Wamid};
use crate::domain::sla::{Breach, SlaClocks, TargetClock};
use crate::ports::store::MemoryStore;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ticket(created: &str) -> Ticket {
    let key = ConversationKey {
        phone_number_id: PhoneNumberId::parse("1065").unwrap(),
        wa_id: WaId::parse("4915112345678").unwrap(),
    };
    let mut t = Ticket::open(
        key,
        Wamid::parse("wamid.A").unwrap(),
        at(created),
        None,
        at(created),
    );
    t.id = TicketId::new(at(created));
    t
}

fn clock(started: &str) -> TargetClock {
    TargetClock {
        started_at: at(started),
        generation: 0,
        met_at: None,
        stage_done: 0,
        armed: None,
    }
}

/// Four tickets on two days, worked out by hand below.
async fn fixture() -> MemoryStore {
    let store = MemoryStore::new();
    let mut events = Vec::new();

    // 1: opened 09:00, the bot solves it at 09:04 (240 s), rated 5.
    let mut t1 = ticket("2026-11-02T09:00:00Z");
    events.push(event(&t1, Fact::Opened, at("2026-11-02T09:00:00Z")));
    t1.resolved_by_bot = true;
    events.push(event(&t1, Fact::Resolved, at("2026-11-02T09:04:00Z")));
    events.push(event(&t1, Fact::Rated(5), at("2026-11-02T09:05:00Z")));

    // 2: opened 10:00, urgent handoff 10:01 to billing, anna answers 10:11 (600 s),
    // resolves 12:01 (7260 s since opening); first response met; rated 3.
    let mut t2 = ticket("2026-11-02T10:00:00Z");
    events.push(event(&t2, Fact::Opened, at("2026-11-02T10:00:00Z")));
    t2.handoff_reason = Some(HandoffReason::Urgent);
    t2.team = Some("billing".into());
    t2.handed_off_at = Some(at("2026-11-02T10:01:00Z"));
    events.push(event(&t2, Fact::HandedOff, at("2026-11-02T10:01:00Z")));
    t2.assignee = Some("anna".into());
    events.push(event(&t2, Fact::FirstResponse, at("2026-11-02T10:11:00Z")));
    let mut sla = SlaClocks::new("standard");
    sla.clocks
        .insert(Target::FirstResponse, clock("2026-11-02T10:01:00Z"));
    sla.clocks
        .insert(Target::Resolution, clock("2026-11-02T10:00:00Z"));
    t2.sla = Some(sla);
    events.push(event(&t2, Fact::Resolved, at("2026-11-02T12:01:00Z")));
    events.push(event(&t2, Fact::Rated(3), at("2026-11-02T12:30:00Z")));

    // 3: opened 23:30, complaint handoff at once to billing, anna answers 2 h later (7200 s),
    // first response breached; resolved the next day 2026-11-03 03:30 (14400 s).
    let mut t3 = ticket("2026-11-02T23:30:00Z");
    events.push(event(&t3, Fact::Opened, at("2026-11-02T23:30:00Z")));
    t3.handoff_reason = Some(HandoffReason::Complaint);
    t3.team = Some("billing".into());
    t3.handed_off_at = Some(at("2026-11-02T23:30:00Z"));
    events.push(event(&t3, Fact::HandedOff, at("2026-11-02T23:30:00Z")));
    t3.assignee = Some("anna".into());
    events.push(event(&t3, Fact::FirstResponse, at("2026-11-03T01:30:00Z")));
    let mut sla = SlaClocks::new("standard");
    sla.clocks
        .insert(Target::FirstResponse, clock("2026-11-02T23:30:00Z"));
    sla.clocks
        .insert(Target::Resolution, clock("2026-11-02T23:30:00Z"));
    sla.breaches.push(Breach {
        target: Target::FirstResponse,
        level: 1,
        at: at("2026-11-03T00:30:00Z"),
    });
    t3.sla = Some(sla);
    events.push(event(&t3, Fact::Resolved, at("2026-11-03T03:30:00Z")));

    // 4: opened on the 3rd at 08:15, still with the bot.
    let t4 = ticket("2026-11-03T08:15:00Z");
    events.push(event(&t4, Fact::Opened, at("2026-11-03T08:15:00Z")));

    for e in &events {
        store.record_stats(e).await.unwrap();
        // Delivered twice (an outbox retry): counted once.
        store.record_stats(e).await.unwrap();
    }
    store
}

fn query(scope: &str) -> ReportQuery {
    ReportQuery::new("2026-11-02", "2026-11-03", scope).unwrap()
}

#[tokio::test]
async fn the_report_matches_the_hand_computed_figures() {
    let store = fixture().await;
    let r = report(&store, &query("all")).await.unwrap();
    assert_eq!(r.opened, 4);
    assert_eq!(r.resolved, 3);
    assert_eq!(r.resolved_by_bot, 1);
    assert_eq!(r.bot_resolution_rate, Some(1.0 / 3.0));
    assert_eq!(r.handed_off, 2);
    assert_eq!(r.handoff_rate, Some(0.5));
    assert_eq!(r.handoff_reasons.get("urgent"), Some(&1));
    assert_eq!(r.handoff_reasons.get("complaint"), Some(&1));
    // First responses: 600 s and 7200 s.
    assert_eq!(r.first_response.count, 2);
    assert_eq!(r.first_response.average_seconds, Some(3900.0));
    assert_eq!(r.first_response.p90_seconds_at_most, Some(7200));
    // Resolutions: 240 s, 7260 s, 14400 s.
    assert_eq!(r.resolution.count, 3);
    assert_eq!(r.resolution.average_seconds, Some(7300.0));
    assert_eq!(r.resolution.p90_seconds_at_most, Some(14_400));
    let fr = &r.sla_by_target["first_response"];
    assert_eq!((fr.met, fr.breached, fr.compliance), (1, 1, Some(0.5)));
    let res = &r.sla_by_target["resolution"];
    assert_eq!((res.met, res.breached, res.compliance), (2, 0, Some(1.0)));
    let standard = &r.sla_by_policy["standard"];
    assert_eq!((standard.met, standard.breached), (1, 1));
    assert_eq!(r.csat_count, 2);
    assert_eq!(r.csat_average, Some(4.0));
    assert_eq!(r.csat_distribution[&5], 1);
    assert_eq!(r.csat_distribution[&3], 1);
    assert_eq!(r.csat_distribution[&1], 0);
    assert_eq!(
        r.per_day
            .iter()
            .map(|d| (d.day.as_str(), d.opened, d.resolved))
            .collect::<Vec<_>>(),
        vec![("2026-11-02", 3, 2), ("2026-11-03", 1, 1)]
    );
    assert_eq!(r.per_hour[9], 1);
    assert_eq!(r.per_hour[10], 1);
    assert_eq!(r.per_hour[23], 1);
    assert_eq!(r.per_hour[8], 1);
    assert_eq!(r.per_hour.iter().sum::<i64>(), 4);
    assert_eq!(r.scopes, vec!["agent:anna", "all", "team:billing"]);
}

#[tokio::test]
async fn a_team_or_agent_report_counts_only_its_tickets() {
    let store = fixture().await;
    let anna = report(&store, &query("agent:anna")).await.unwrap();
    assert_eq!(anna.opened, 0, "opening happens before anyone is assigned");
    assert_eq!(anna.resolved, 2);
    assert_eq!(anna.first_response.count, 2);
    assert_eq!(anna.csat_count, 1);
    let billing = report(&store, &query("team:billing")).await.unwrap();
    assert_eq!(billing.handed_off, 2);
    assert_eq!(billing.resolved, 2);
    assert_eq!(billing.bot_resolution_rate, Some(0.0));
    let nobody = report(&store, &query("team:shipping")).await.unwrap();
    assert_eq!(nobody.resolved, 0);
    assert_eq!(nobody.first_response.average_seconds, None);
    assert_eq!(nobody.first_response.p90_seconds_at_most, None);
}

#[test]
fn report_ranges_and_scopes_are_checked() {
    assert!(ReportQuery::new("2026-11-02", "2026-11-01", "all").is_err());
    assert!(ReportQuery::new("2026-02-30", "2026-03-01", "all").is_err());
    assert!(ReportQuery::new("2026-01-01", "2026-12-31", "all").is_err());
    assert!(ReportQuery::new("2026-11-01", "2026-11-02", "everyone").is_err());
    assert!(ReportQuery::new("2026-11-01", "2026-11-02", "team:").is_err());
    assert_eq!(
        ReportQuery::new("2026-11-01", "2026-11-03", "team:billing")
            .unwrap()
            .days()
            .len(),
        3
    );
}

#[test]
fn times_fall_in_the_first_bucket_that_holds_them() {
    assert_eq!(bucket_name(0), "60");
    assert_eq!(bucket_name(60), "60");
    assert_eq!(bucket_name(61), "300");
    assert_eq!(bucket_name(604_801), "inf");
    let t = ticket("2026-11-02T10:00:00Z");
    let e = event(
        &t,
        Fact::FirstResponse,
        at("2026-11-02T10:00:00Z") + SignedDuration::from_secs(61),
    );
    assert_eq!(e.counters["fr_le_300"], 1);
    assert_eq!(e.counters["fr_sum_s"], 61);
}

#[test]
fn policy_names_become_safe_counter_names() {
    assert_eq!(counter_name("VIP Gold-24/7"), "vip_gold_24_7");
}
