//! Operational metrics as CloudWatch Embedded Metric Format (EMF): JSON lines on stdout, which
//! Lambda ships to CloudWatch Logs, which turns them into metrics. No SDK call, no dependency.
//!
//! Handlers count what they do (`add`, `handoff`, `sla_breach`, `send_failure`) and `flush` once
//! per request or SQS batch: one line with every count (plus one per WhatsApp error code seen,
//! since a line holds one value per dimension), never one per message. Lines carry counts, the
//! function name and enum words (handoff reasons, SLA targets, error codes); never customer data.
//!
//! Namespace `Helpdesk`. Dimension `Function` (`AWS_LAMBDA_FUNCTION_NAME`, else `local`) for
//! `MessagesIn`, `DuplicateMessages`, `AckLatency`, `BotReplies`, `Handoffs`; none for
//! `SlaBreaches` (one stack-wide series to alarm on); `Code` for `SendFailures`.
//! `HELPDESK_METRICS=off` turns the lines off.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::platform::config::Env;

pub const NAMESPACE: &str = "Helpdesk";
pub const HELPDESK_METRICS: &str = "HELPDESK_METRICS";
pub const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// EMF takes at most 100 values per metric in one line.
const MAX_VALUES: usize = 100;

/// A counted metric with the `Function` dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Count {
    /// New customer messages stored by the intake.
    MessagesIn,
    /// Customer messages Meta delivered again (already stored).
    DuplicateMessages,
    /// WhatsApp messages the bot sent.
    BotReplies,
    /// Tickets handed to a person (the reason is a property of the line).
    Handoffs,
    /// Tickets given to an agent: by routing at the handoff (agent-handoff), from the queue to
    /// a freed slot (agent-api), after an escalation moved them (sla-breach).
    TicketsAssigned,
    /// Handed-over tickets left in their team's queue (nobody free).
    TicketsQueued,
}

impl Count {
    pub fn name(self) -> &'static str {
        match self {
            Self::MessagesIn => "MessagesIn",
            Self::DuplicateMessages => "DuplicateMessages",
            Self::BotReplies => "BotReplies",
            Self::Handoffs => "Handoffs",
            Self::TicketsAssigned => "TicketsAssigned",
            Self::TicketsQueued => "TicketsQueued",
        }
    }
}

/// What is counted until the next `flush`.
#[derive(Debug, Default)]
struct Pending {
    counts: BTreeMap<Count, u64>,
    ack_latency_ms: Vec<f64>,
    handoff_reasons: BTreeMap<&'static str, u64>,
    breach_targets: BTreeMap<&'static str, u64>,
    send_failures: BTreeMap<String, u64>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.counts.is_empty()
            && self.ack_latency_ms.is_empty()
            && self.breach_targets.is_empty()
            && self.send_failures.is_empty()
    }
}

struct Inner {
    function: String,
    pending: Mutex<Pending>,
    out: Mutex<Box<dyn Write + Send>>,
}

/// A cheap handle (clone it into each port that counts); `Metrics::off()` does nothing.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(inner) => write!(f, "Metrics({})", inner.function),
            None => f.write_str("Metrics(off)"),
        }
    }
}

impl Metrics {
    pub fn off() -> Self {
        Self(None)
    }

    /// Lines to stdout, unless `HELPDESK_METRICS` is `off` (also `0`, `false`, `no`).
    pub fn from_env(env: &Env) -> Self {
        let off = env.get(HELPDESK_METRICS).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        });
        if off {
            return Self::off();
        }
        let function = env.get(AWS_LAMBDA_FUNCTION_NAME).unwrap_or("local");
        Self::to_writer(function, std::io::stdout())
    }

    /// Lines to `out` (tests capture them in memory; see [`MetricsCapture`]).
    pub fn to_writer(function: &str, out: impl Write + Send + 'static) -> Self {
        Self(Some(Arc::new(Inner {
            function: function.to_owned(),
            pending: Mutex::new(Pending::default()),
            out: Mutex::new(Box::new(out)),
        })))
    }

    /// Lines kept in memory, for tests.
    pub fn capture(function: &str) -> (Self, MetricsCapture) {
        let capture = MetricsCapture::default();
        (Self::to_writer(function, capture.clone()), capture)
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    fn pending(&self, f: impl FnOnce(&mut Pending)) {
        if let Some(inner) = &self.0 {
            f(&mut inner.pending.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// Adds `n` to a count (0 still puts the metric on the line: a zero, not a gap).
    pub fn add(&self, count: Count, n: usize) {
        self.pending(|p| *p.counts.entry(count).or_default() += n as u64);
    }

    /// How long the webhook took to answer Meta.
    pub fn ack_latency(&self, elapsed: Duration) {
        self.pending(|p| p.ack_latency_ms.push(elapsed.as_secs_f64() * 1000.0));
    }

    /// A ticket handed to a person, for `reason`.
    pub fn handoff(&self, reason: &'static str) {
        self.pending(|p| {
            *p.counts.entry(Count::Handoffs).or_default() += 1;
            *p.handoff_reasons.entry(reason).or_default() += 1;
        });
    }

    /// An SLA target breached (level 1; escalations are not breaches again).
    pub fn sla_breach(&self, target: &'static str) {
        self.pending(|p| *p.breach_targets.entry(target).or_default() += 1);
    }

    /// A failed Cloud API call, by its error code.
    pub fn send_failure(&self, error: &dyn SendFailure) {
        let code = error.failure_code();
        self.pending(|p| *p.send_failures.entry(code).or_default() += 1);
    }

    /// Writes what was counted since the last flush (nothing if nothing was) and starts over.
    pub fn flush(&self) {
        let Some(inner) = &self.0 else {
            return;
        };
        let pending =
            std::mem::take(&mut *inner.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if pending.is_empty() {
            return;
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut buffer = Vec::new();
        for line in lines(&inner.function, timestamp, &pending) {
            buffer.extend_from_slice(line.to_string().as_bytes());
            buffer.push(b'\n');
        }
        // One write per flush, so the lines never interleave with log lines. A metric that
        // cannot be written is lost; the request is not failed for it.
        let mut out = inner.out.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = out.write_all(&buffer).and_then(|()| out.flush());
    }
}

/// A failed send as metrics count it: by the `Code` dimension only, never by what it said (the
/// WhatsApp port's error implements it).
pub trait SendFailure {
    fn failure_code(&self) -> String;
}

fn directive(dimensions: &[&str], metrics: &[(&str, &str)]) -> Value {
    json!({
        "Namespace": NAMESPACE,
        "Dimensions": [dimensions],
        "Metrics": metrics
            .iter()
            .map(|(name, unit)| json!({"Name": name, "Unit": unit}))
            .collect::<Vec<_>>(),
    })
}

fn document(timestamp: u64, directives: Vec<Value>, mut members: Map<String, Value>) -> Value {
    members.insert(
        "_aws".into(),
        json!({"Timestamp": timestamp, "CloudWatchMetrics": directives}),
    );
    Value::Object(members)
}

/// The EMF documents for one flush: the counts and latency with the `Function` dimension and the
/// breaches without dimension in one, then one per WhatsApp error code.
fn lines(function: &str, timestamp: u64, p: &Pending) -> Vec<Value> {
    let mut lines = Vec::new();
    let mut directives = Vec::new();
    let mut members = Map::new();
    members.insert("Function".into(), function.into());

    let mut by_function: Vec<(&str, &str)> = Vec::new();
    for (count, n) in &p.counts {
        by_function.push((count.name(), "Count"));
        members.insert(count.name().into(), (*n).into());
    }
    if !p.ack_latency_ms.is_empty() {
        by_function.push(("AckLatency", "Milliseconds"));
        let values: Vec<f64> = p
            .ack_latency_ms
            .iter()
            .take(MAX_VALUES)
            .map(|ms| (ms * 1000.0).round() / 1000.0)
            .collect();
        members.insert(
            "AckLatency".into(),
            match values.as_slice() {
                [one] => json!(one),
                many => json!(many),
            },
        );
    }
    if !by_function.is_empty() {
        directives.push(directive(&["Function"], &by_function));
    }
    if !p.handoff_reasons.is_empty() {
        members.insert("HandoffReasons".into(), json!(p.handoff_reasons));
    }
    if !p.breach_targets.is_empty() {
        directives.push(directive(&[], &[("SlaBreaches", "Count")]));
        members.insert(
            "SlaBreaches".into(),
            p.breach_targets.values().sum::<u64>().into(),
        );
        members.insert("SlaTargets".into(), json!(p.breach_targets));
    }
    if !directives.is_empty() {
        lines.push(document(timestamp, directives, members));
    }
    for (code, n) in &p.send_failures {
        let mut members = Map::new();
        members.insert("Function".into(), function.into());
        members.insert("Code".into(), code.as_str().into());
        members.insert("SendFailures".into(), (*n).into());
        lines.push(document(
            timestamp,
            vec![directive(&["Code"], &[("SendFailures", "Count")])],
            members,
        ));
    }
    lines
}

/// Metric lines written to memory (tests).
#[derive(Debug, Clone, Default)]
pub struct MetricsCapture(Arc<Mutex<Vec<u8>>>);

impl MetricsCapture {
    /// Every line written so far, parsed.
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a metric line is one JSON document"))
            .collect()
    }

    /// The sum of `metric` over every line written so far.
    pub fn total(&self, metric: &str) -> f64 {
        self.lines()
            .iter()
            .filter_map(|l| match &l[metric] {
                Value::Array(values) => Some(values.iter().filter_map(Value::as_f64).sum()),
                v => v.as_f64(),
            })
            .sum()
    }
}

impl Write for MetricsCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
