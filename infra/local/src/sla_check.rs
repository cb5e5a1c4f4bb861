//! `helpdesk-local sla`: what a policy file does for a ticket: the policy chosen and every
//! deadline (warning, breach, escalation levels) in UTC and in the calendar's local time.

use std::path::Path;

use helpdesk::domain::bot::Priority;
use helpdesk::domain::sla::{Pause, SlaConfig, Target, TicketFacts};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

#[derive(Debug, PartialEq)]
pub struct Options<'a> {
    pub config: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub category: Option<&'a str>,
    pub tier: Option<&'a str>,
    pub text: Option<&'a str>,
    pub channel: &'a str,
    pub start: Option<&'a str>,
    pub pauses: Vec<&'a str>,
    pub json: bool,
}

pub fn run(o: Options<'_>) -> Result<(), Box<dyn std::error::Error>> {
    let sla = match o.config {
        Some(path) => SlaConfig::load(Path::new(path))?,
        None => SlaConfig::default_policies(),
    };
    let priority = priority(o.priority)?;
    let start = start(o.start)?;
    let pauses = pauses(&o.pauses)?;
    let facts = TicketFacts {
        channel: o.channel,
        priority,
        category: o.category,
        text: o.text,
        tier: o.tier,
    };
    let report = report(&sla, &facts, start, &pauses)?;
    let out = if o.json {
        format!("{report}\n")
    } else {
        text(&report)
    };
    // A closed pipe (`| head`) is not an error.
    match std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn priority(raw: Option<&str>) -> Result<Option<Priority>, String> {
    raw.map(|p| {
        Priority::parse(p)
            .ok_or_else(|| format!("--priority must be low, normal, high or urgent, not {p:?}"))
    })
    .transpose()
}

fn start(raw: Option<&str>) -> Result<Timestamp, String> {
    let raw =
        raw.ok_or("--start is required (RFC 3339 with offset, e.g. 2026-11-27T16:00:00+01:00)")?;
    raw.parse().map_err(|_| {
        format!("--start {raw:?} is not RFC 3339 with an offset, e.g. 2026-11-27T16:00:00+01:00")
    })
}

/// `--pause FROM/TO`, each end RFC 3339 with an offset, not ending before it starts.
fn pauses(raw: &[&str]) -> Result<Vec<Pause>, String> {
    raw.iter()
        .map(|p| {
            let (from, to) = p
                .split_once('/')
                .ok_or_else(|| format!("--pause {p:?} is not FROM/TO"))?;
            let parse = |s: &str| {
                s.parse::<Timestamp>()
                    .map_err(|_| format!("--pause {p:?}: {s:?} is not RFC 3339 with an offset"))
            };
            let (from, to) = (parse(from)?, parse(to)?);
            if to < from {
                return Err(format!("--pause {p:?} ends before it starts"));
            }
            Ok(Pause { from, to: Some(to) })
        })
        .collect()
}

/// The policy chosen for the ticket and, per target, its warning, due time and escalation
/// levels, each in UTC and the calendar's local time.
fn report(
    sla: &SlaConfig,
    facts: &TicketFacts<'_>,
    start: Timestamp,
    pauses: &[Pause],
) -> Result<Value, Box<dyn std::error::Error>> {
    let policy = sla.select(facts);
    let calendar = sla.calendar(policy);
    let tz = calendar.time_zone.clone();
    let when = |t: Timestamp| json!({ "utc": t.to_string(), "local": local(t, &tz) });
    let mut targets = Vec::new();
    for target in Target::ALL {
        let Some(s) = sla.schedule(policy, target, start, pauses)? else {
            continue;
        };
        targets.push(json!({
            "target": target.as_str(),
            "warning": when(s.warning_at),
            "due": when(s.due_at),
            "levels": s.levels.iter().map(|(n, at, actions)| json!({"level": n, "at": when(*at), "actions": actions})).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "policy": policy.name,
        "calendar": calendar.name,
        "time_zone": tz.iana_name().unwrap_or("UTC"),
        "start": when(start),
        "targets": targets,
    }))
}

/// The report as aligned lines for a person.
fn text(report: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "policy     {} (calendar {}, {})\n",
        report["policy"].as_str().unwrap_or(""),
        report["calendar"].as_str().unwrap_or(""),
        report["time_zone"].as_str().unwrap_or("")
    ));
    line(&mut out, "start", &report["start"]);
    for t in report["targets"].as_array().into_iter().flatten() {
        out.push_str(&format!("{}\n", t["target"].as_str().unwrap_or("")));
        if t["warning"] != t["due"] {
            line(&mut out, "  warning", &t["warning"]);
        }
        line(&mut out, "  due", &t["due"]);
        for l in t["levels"].as_array().into_iter().flatten() {
            let actions: Vec<&str> = l["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            line(&mut out, &format!("  level {}", l["level"]), &l["at"]);
            out.push_str(&format!("             {}\n", actions.join(", ")));
        }
    }
    out
}

fn local(t: Timestamp, tz: &TimeZone) -> String {
    let zoned = t.to_zoned_datetime(tz.clone());
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z %a").to_string()
}

fn line(out: &mut String, label: &str, at: &Value) {
    out.push_str(&format!(
        "{label:<10} {}   {}\n",
        at["local"].as_str().unwrap_or(""),
        at["utc"].as_str().unwrap_or("")
    ));
}
