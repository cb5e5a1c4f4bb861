//! Analytics from pre-aggregated counters: each ticket event (opened, handed off, first answer,
//! resolved, rated) adds to per-day counters of its scopes (everyone, the team, the agent) once,
//! through the outbox. A report reads one item group per day and scope: no table scan, however
//! many tickets there are.
//!
//! Times are counted in histogram buckets as well as sums, so averages are exact and the p90 is
//! reported as the bucket bound it falls under ("90 % answered within 15 min").

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan, civil::Date};
use serde::Serialize;

use crate::domain::sla::Target;
use crate::domain::ticket::Ticket;
use crate::ports::store::{StatsEvent, StatsRow, StoreError, TicketStore};

/// Upper bounds (seconds) of the time buckets; the last bucket is open.
pub const BUCKETS: [u64; 11] = [
    60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800,
];
/// Days a report may span.
pub const MAX_DAYS: i64 = 92;
/// Items per day and scope; writes of a busy day spread over them.
const SHARDS: u8 = 4;

/// What happened to a ticket, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// A new ticket, or a new question on a resolved one.
    Opened,
    /// The bot passed it to a person.
    HandedOff,
    /// A person answered for the first time since the handoff.
    FirstResponse,
    Resolved,
    Rated(u8),
    /// The customer was asked for a rating after a person resolved the ticket.
    SurveyAsked,
    /// A person resolved the ticket but the customer could not be asked (opted out, or
    /// outside the window without opt-in or template).
    SurveyNotAsked,
}

impl Fact {
    fn name(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::HandedOff => "handed_off",
            Self::FirstResponse => "first_response",
            Self::Resolved => "resolved",
            Self::Rated(_) => "rated",
            Self::SurveyAsked => "survey_asked",
            Self::SurveyNotAsked => "survey_not_asked",
        }
    }
}

/// The counter increments of `fact` on `ticket` (as it is after the change) at `now`.
pub fn event(ticket: &Ticket, fact: Fact, now: Timestamp) -> StatsEvent {
    let mut c = BTreeMap::new();
    let mut add = |name: String, by: i64| *c.entry(name).or_insert(0) += by;
    match fact {
        Fact::Opened => {
            add("opened".into(), 1);
            add(
                format!(
                    "opened_h{:02}",
                    now.to_zoned_datetime(jiff::tz::TimeZone::UTC).hour()
                ),
                1,
            );
        }
        Fact::HandedOff => {
            add("handed_off".into(), 1);
            if let Some(reason) = ticket.handoff_reason {
                add(format!("handoff_{}", reason.as_str()), 1);
            }
        }
        Fact::FirstResponse => {
            let since = ticket.handed_off_at.unwrap_or(ticket.created_at);
            duration(&mut add, "fr", since, now);
        }
        Fact::Resolved => {
            add("resolved".into(), 1);
            add(
                if ticket.resolved_by_bot {
                    "resolved_bot"
                } else {
                    "resolved_agent"
                }
                .into(),
                1,
            );
            duration(&mut add, "res", question_opened_at(ticket), now);
            if let Some(sla) = &ticket.sla {
                let policy = counter_name(&sla.policy);
                let mut any_breach = false;
                for target in [
                    Target::FirstResponse,
                    Target::NextResponse,
                    Target::Resolution,
                ] {
                    if !sla.clocks.contains_key(&target) {
                        continue;
                    }
                    let breached = sla.breaches.iter().any(|b| b.target == target);
                    any_breach |= breached;
                    let outcome = if breached { "breached" } else { "met" };
                    add(format!("sla_{}_{outcome}", target.as_str()), 1);
                }
                let outcome = if any_breach { "breached" } else { "met" };
                add(format!("policy_{policy}_{outcome}"), 1);
            }
        }
        Fact::Rated(score) => {
            add("csat_n".into(), 1);
            add("csat_sum".into(), i64::from(score));
            add(format!("csat_{score}"), 1);
        }
        Fact::SurveyAsked => add("csat_asked".into(), 1),
        Fact::SurveyNotAsked => add("csat_not_asked".into(), 1),
    }
    let mut scopes = vec!["all".to_owned()];
    if let Some(team) = &ticket.team {
        scopes.push(format!("team:{team}"));
    }
    if let Some(agent) = &ticket.assignee
        && !matches!(fact, Fact::Opened | Fact::HandedOff)
    {
        scopes.push(format!("agent:{agent}"));
    }
    StatsEvent {
        key: format!(
            "{}#{}#{}",
            ticket.id,
            fact.name(),
            crate::ports::store::sortable_time(now)
        ),
        day: day_of(now),
        shard: shard_of(&ticket.id.to_string()),
        scopes,
        counters: c,
    }
}

/// When the current question started: the resolution clock's start, else the ticket's.
fn question_opened_at(ticket: &Ticket) -> Timestamp {
    ticket
        .sla
        .as_ref()
        .and_then(|s| s.clocks.get(&Target::Resolution))
        .map_or(ticket.created_at, |c| c.started_at)
}

fn duration(add: &mut impl FnMut(String, i64), prefix: &str, from: Timestamp, to: Timestamp) {
    let secs = u64::try_from(to.duration_since(from).as_secs()).unwrap_or(0);
    add(format!("{prefix}_n"), 1);
    add(
        format!("{prefix}_sum_s"),
        i64::try_from(secs).unwrap_or(i64::MAX),
    );
    add(format!("{prefix}_le_{}", bucket_name(secs)), 1);
}

fn bucket_name(secs: u64) -> String {
    BUCKETS
        .iter()
        .find(|b| secs <= **b)
        .map_or_else(|| "inf".to_owned(), |b| b.to_string())
}

/// A counter name from free text: `[a-z0-9_]`, at most 40 characters.
pub fn counter_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

fn day_of(t: Timestamp) -> String {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

fn shard_of(id: &str) -> u8 {
    // FNV-1a: stable across builds and platforms.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    u8::try_from(hash % u64::from(SHARDS)).unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyticsError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A report's range and scope, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: Date,
    pub to: Date,
    /// `all`, `team:<id>` or `agent:<id>`.
    pub scope: String,
}

impl ReportQuery {
    pub fn new(from: &str, to: &str, scope: &str) -> Result<Self, AnalyticsError> {
        Self::spanning(from, to, scope, MAX_DAYS)
    }

    /// A query of at most `max_days` days (the analytics export allows a year, a day a row).
    pub fn spanning(
        from: &str,
        to: &str,
        scope: &str,
        max_days: i64,
    ) -> Result<Self, AnalyticsError> {
        let date = |field: &'static str, v: &str| {
            v.parse::<Date>().map_err(|_| AnalyticsError::Invalid {
                field,
                problem: format!("'{v}' is not a date (YYYY-MM-DD)"),
            })
        };
        let from = date("from", from)?;
        let to = date("to", to)?;
        if to < from {
            return Err(AnalyticsError::Invalid {
                field: "to",
                problem: "is before from".into(),
            });
        }
        let days = from
            .until(to)
            .map_or(i64::MAX, |span| i64::from(span.get_days()));
        if days >= max_days {
            return Err(AnalyticsError::Invalid {
                field: "to",
                problem: format!("a report spans at most {max_days} days"),
            });
        }
        let valid_scope = scope == "all"
            || scope
                .strip_prefix("team:")
                .or_else(|| scope.strip_prefix("agent:"))
                .is_some_and(|id| !id.is_empty() && id.len() <= 64);
        if !valid_scope {
            return Err(AnalyticsError::Invalid {
                field: "scope",
                problem: "must be all, team:<id> or agent:<id>".into(),
            });
        }
        Ok(Self {
            from,
            to,
            scope: scope.to_owned(),
        })
    }

    pub fn days(&self) -> Vec<Date> {
        let mut days = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            days.push(day);
            match day.checked_add(1.day()) {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        days
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeFigures {
    pub count: i64,
    pub average_seconds: Option<f64>,
    /// The bucket bound 90 % fall under; `None` for the open last bucket or no data.
    pub p90_seconds_at_most: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    pub met: i64,
    pub breached: i64,
    pub compliance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayVolume {
    pub day: String,
    pub opened: i64,
    pub resolved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub scope: String,
    pub opened: i64,
    pub resolved: i64,
    pub resolved_by_bot: i64,
    /// Share of resolved tickets the bot solved alone.
    pub bot_resolution_rate: Option<f64>,
    pub handed_off: i64,
    /// Handoffs per opened ticket.
    pub handoff_rate: Option<f64>,
    pub handoff_reasons: BTreeMap<String, i64>,
    pub first_response: TimeFigures,
    pub resolution: TimeFigures,
    pub sla_by_target: BTreeMap<String, Compliance>,
    pub sla_by_policy: BTreeMap<String, Compliance>,
    pub csat_count: i64,
    pub csat_average: Option<f64>,
    pub csat_distribution: BTreeMap<u8, i64>,
    /// Customers asked for a rating after a person resolved their ticket.
    pub csat_asked: i64,
    /// Resolves whose customer could not be asked (opted out; outside the 24 h window
    /// without opt-in or approved template).
    pub csat_not_asked: i64,
    /// Ratings per question asked (answered / asked), `None` when nobody was asked.
    pub csat_response_rate: Option<f64>,
    pub per_day: Vec<DayVolume>,
    /// Tickets opened per hour of day (UTC), 24 entries.
    pub per_hour: Vec<i64>,
    /// Every scope with data in the range, for drilling down.
    pub scopes: Vec<String>,
}

/// Reads the counters of the range (one query per day) and computes the report.
pub async fn report(
    store: &dyn TicketStore,
    query: &ReportQuery,
) -> Result<Report, AnalyticsError> {
    let mut rows = Vec::new();
    for day in query.days() {
        rows.extend(store.stats(&day.to_string()).await?);
    }
    Ok(compute(query, &rows))
}

/// The report from counter rows (every scope; the query's scope is picked).
pub fn compute(query: &ReportQuery, rows: &[StatsRow]) -> Report {
    let (total, per_day, scopes) = sum_days(query, rows);
    let get = |name: &str| total.get(name);
    let (sla_by_policy, handoff_reasons) = total.by_policy_and_reason();
    let csat_count = get("csat_n");
    Report {
        from: query.from.to_string(),
        to: query.to.to_string(),
        scope: query.scope.clone(),
        opened: get("opened"),
        resolved: get("resolved"),
        resolved_by_bot: get("resolved_bot"),
        bot_resolution_rate: ratio(get("resolved_bot"), get("resolved")),
        handed_off: get("handed_off"),
        handoff_rate: ratio(get("handed_off"), get("opened")),
        handoff_reasons,
        first_response: total.times("fr"),
        resolution: total.times("res"),
        sla_by_target: total.sla_by_target(),
        sla_by_policy,
        csat_count,
        csat_average: ratio(get("csat_sum"), csat_count),
        csat_distribution: (1..=5).map(|s| (s, get(&format!("csat_{s}")))).collect(),
        csat_asked: get("csat_asked"),
        csat_not_asked: get("csat_not_asked"),
        // A rating of a question asked before this counter existed could lift it over 1.
        csat_response_rate: ratio(csat_count, get("csat_asked")).map(|r| r.min(1.0)),
        per_day,
        per_hour: (0..24).map(|h| get(&format!("opened_h{h:02}"))).collect(),
        scopes,
    }
}

/// The query scope's counters summed over the range, its volume per day, and every scope
/// with data in the range (sorted).
fn sum_days<'r>(
    query: &ReportQuery,
    rows: &'r [StatsRow],
) -> (Totals<'r>, Vec<DayVolume>, Vec<String>) {
    let mut total: BTreeMap<&str, i64> = BTreeMap::new();
    let mut per_day = Vec::new();
    let mut scopes: Vec<String> = Vec::new();
    for day in query.days() {
        let day = day.to_string();
        let mut opened = 0;
        let mut resolved = 0;
        for row in rows.iter().filter(|r| r.day == day) {
            if !scopes.contains(&row.scope) {
                scopes.push(row.scope.clone());
            }
            if row.scope != query.scope {
                continue;
            }
            for (name, v) in &row.counters {
                *total.entry(name.as_str()).or_default() += v;
            }
            opened += row.counters.get("opened").copied().unwrap_or(0);
            resolved += row.counters.get("resolved").copied().unwrap_or(0);
        }
        per_day.push(DayVolume {
            day,
            opened,
            resolved,
        });
    }
    scopes.sort();
    (Totals(total), per_day, scopes)
}

/// `a / b`, if there is a `b`.
fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn compliance(met: i64, breached: i64) -> Compliance {
    Compliance {
        met,
        breached,
        compliance: ratio(met, met + breached),
    }
}

/// Counters summed over the range, by name.
struct Totals<'r>(BTreeMap<&'r str, i64>);

impl Totals<'_> {
    fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    /// Count, average and 90th percentile (as the bucket it falls in) of the times counted
    /// under `prefix`.
    fn times(&self, prefix: &str) -> TimeFigures {
        let count = self.get(&format!("{prefix}_n"));
        let threshold = (count * 9 + 9) / 10;
        let mut seen = 0;
        let mut p90 = None;
        if count > 0 {
            for b in BUCKETS {
                seen += self.get(&format!("{prefix}_le_{b}"));
                if seen >= threshold {
                    p90 = Some(b);
                    break;
                }
            }
        }
        TimeFigures {
            count,
            average_seconds: ratio(self.get(&format!("{prefix}_sum_s")), count),
            p90_seconds_at_most: p90,
        }
    }

    /// SLA compliance per target that had a deadline met or breached.
    fn sla_by_target(&self) -> BTreeMap<String, Compliance> {
        let mut sla_by_target = BTreeMap::new();
        for target in [
            Target::FirstResponse,
            Target::NextResponse,
            Target::Resolution,
        ] {
            let met = self.get(&format!("sla_{}_met", target.as_str()));
            let breached = self.get(&format!("sla_{}_breached", target.as_str()));
            if met + breached > 0 {
                sla_by_target.insert(target.as_str().to_owned(), compliance(met, breached));
            }
        }
        sla_by_target
    }

    /// SLA compliance per policy, and handoffs per reason.
    fn by_policy_and_reason(&self) -> (BTreeMap<String, Compliance>, BTreeMap<String, i64>) {
        let mut sla_by_policy = BTreeMap::new();
        let mut handoff_reasons = BTreeMap::new();
        for (name, v) in &self.0 {
            if let Some(rest) = name.strip_prefix("policy_") {
                let (policy, met) = match rest.strip_suffix("_met") {
                    Some(p) => (p, true),
                    None => (rest.strip_suffix("_breached").unwrap_or(rest), false),
                };
                let entry = sla_by_policy
                    .entry(policy.to_owned())
                    .or_insert_with(|| compliance(0, 0));
                if met {
                    entry.met += v;
                } else {
                    entry.breached += v;
                }
            } else if let Some(reason) = name.strip_prefix("handoff_") {
                handoff_reasons.insert(reason.to_owned(), *v);
            }
        }
        for c in sla_by_policy.values_mut() {
            c.compliance = ratio(c.met, c.met + c.breached);
        }
        (sla_by_policy, handoff_reasons)
    }
}

#[cfg(test)]
mod tests;
