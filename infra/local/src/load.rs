//! `helpdesk-local load`: a load generator for the local stack. It posts signed webhooks to the
//! runner's `/webhook` at a fixed rate for a fixed time (open loop: sends on schedule, never
//! waits for answers), with the mix Meta produces: new customers, follow-ups, exact redeliveries
//! of the same wamid, out-of-order timestamps, images (with a media id the simulator knows) and
//! status webhooks. A non-2xx answer is retried as Meta retries.
//!
//! Afterwards it waits for the helpdesk to drain and checks what was stored (in memory mode
//! through `/dev/state`, with `--aws` in the DynamoDB table of `HELPDESK_TABLE`) and what was
//! sent (the simulator's `/dev/whatsapp`): every acknowledged message stored once, one ticket
//! per customer (all messages fall in one conversation window), every message handled by the
//! bot once, every reply sent once and recorded, and per customer the bot's order kept.
//!
//! Targets are loopback addresses only, and rate, duration and customers are bounded.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use helpdesk::app::intake::webhook::SignatureVerifier;
use helpdesk::app::intake::webhook::sample::{SampleStatus, status_notification};
use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;

mod plan;
mod verify;

use plan::{Kind, Plan, plan};
use verify::{check, drain};

pub const MAX_RATE: u32 = 5_000;
pub const MAX_DURATION_SECS: u32 = 600;
pub const MAX_CUSTOMERS: u32 = 1_000_000;
/// Requests in flight at once; beyond this the generator sheds (and says so).
const MAX_IN_FLIGHT: usize = 4_096;
/// Meta retries a webhook that was not answered 2xx; so does the generator, this often.
const RETRIES: u32 = 4;
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a tiny load test image";

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Usage(String),
    #[error(
        "the target {0} is not a loopback address; the load generator only talks to this machine"
    )]
    NotLoopback(String),
    #[error("{0}")]
    Setup(String),
    #[error("reading what was stored failed: {0}")]
    Store(String),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The runner, e.g. `http://127.0.0.1:8080`.
    pub target: String,
    pub rate: u32,
    pub duration_secs: u32,
    pub customers: u32,
    /// Read the store from DynamoDB (`HELPDESK_TABLE`) instead of `/dev/state`.
    pub aws: bool,
    /// How long to wait for the helpdesk to finish after the last send.
    pub drain_secs: u32,
    pub app_secret: SecretString,
    pub phone_number_id: String,
    pub display_phone_number: String,
}

impl Options {
    /// From the command line after `load`.
    pub fn from_args(args: &[String], app_secret: SecretString) -> Result<Self, LoadError> {
        let flag = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .map(String::as_str)
        };
        let number = |name: &str, default: u32, max: u32| -> Result<u32, LoadError> {
            match flag(name) {
                None => Ok(default),
                Some(raw) => match raw.parse::<u32>() {
                    Ok(v) if (1..=max).contains(&v) => Ok(v),
                    _ => Err(LoadError::Usage(format!(
                        "{name} {raw:?}: must be a whole number from 1 to {max}"
                    ))),
                },
            }
        };
        let rate = number("--rate", 100, MAX_RATE)?;
        let duration_secs = number("--duration", 10, MAX_DURATION_SECS)?;
        let total = rate.saturating_mul(duration_secs);
        let customers = number("--customers", (total / 5).max(1), MAX_CUSTOMERS)?;
        let target = flag("--target")
            .unwrap_or("http://127.0.0.1:8080")
            .to_owned();
        check_loopback(&target)?;
        Ok(Self {
            target: target.trim_end_matches('/').to_owned(),
            rate,
            duration_secs,
            customers,
            aws: args.iter().any(|a| a == "--aws"),
            drain_secs: number("--drain", 180, 3_600)?,
            app_secret,
            phone_number_id: "106540352242922".into(),
            display_phone_number: "4930123456789".into(),
        })
    }
}

/// Only `localhost` and loopback IPs.
pub fn check_loopback(target: &str) -> Result<(), LoadError> {
    let url = reqwest::Url::parse(target)
        .map_err(|e| LoadError::Usage(format!("--target {target:?}: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(LoadError::Usage(format!(
            "--target {target:?}: must be an http URL"
        )));
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(LoadError::NotLoopback(target.to_owned()))
    }
}

/// What happened to one request.
#[derive(Debug, Clone, Default)]
struct Sent {
    /// When it was due to go (latency counts from here, so a late send is not hidden).
    due: Option<Instant>,
    /// When a 2xx answer came (after retries, if any).
    acked: Option<Instant>,
    attempts: u32,
    /// First answer was not 2xx (or no answer).
    refused_first: bool,
    shed: bool,
}

/// Per customer: each distinct message's wamid, when it was due to go and when it was acked.
type Timeline = HashMap<usize, Vec<(String, Instant, Option<Instant>)>>;

/// The figures of one run.
#[derive(Debug, Default)]
pub struct Report {
    pub requests: usize,
    pub messages: usize,
    pub duplicates_sent: usize,
    pub statuses_sent: usize,
    pub images: usize,
    pub out_of_order: usize,
    pub customers: usize,
    pub acked: usize,
    pub unacked: usize,
    pub shed: usize,
    pub retried: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub achieved_per_sec: f64,
    pub send_secs: f64,
    pub drain_secs: f64,
    pub stored: usize,
    pub lost: Vec<String>,
    pub stored_twice: Vec<String>,
    pub extra_tickets: Vec<String>,
    pub unhandled: Vec<String>,
    pub replies: usize,
    pub replies_unrecorded: usize,
    pub replies_not_sent: usize,
    pub order_violations: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.unacked == 0
            && self.shed == 0
            && self.lost.is_empty()
            && self.stored_twice.is_empty()
            && self.extra_tickets.is_empty()
            && self.unhandled.is_empty()
            && self.replies_unrecorded == 0
            && self.replies_not_sent == 0
            && self.order_violations.is_empty()
    }

    pub fn print(&self) {
        let sample = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        println!(
            "sent      {} requests in {:.1} s = {:.0}/s ({} messages to {} customers, {} exact redeliveries, {} status webhooks; {} images, {} out of order)",
            self.requests,
            self.send_secs,
            self.achieved_per_sec,
            self.messages,
            self.customers,
            self.duplicates_sent,
            self.statuses_sent,
            self.images,
            self.out_of_order
        );
        println!(
            "ack       p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} acknowledged, {} never acknowledged, {} retried after a non-2xx, {} shed by the generator",
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms,
            self.acked,
            self.unacked,
            self.retried,
            self.shed
        );
        println!(
            "drain     {:.1} s until every stored message was handled and the replies settled",
            self.drain_secs
        );
        println!(
            "stored    {} distinct messages; lost {} [{}]; stored twice {} [{}]",
            self.stored,
            self.lost.len(),
            sample(&self.lost),
            self.stored_twice.len(),
            sample(&self.stored_twice)
        );
        println!(
            "tickets   customers with more than one ticket: {} [{}]",
            self.extra_tickets.len(),
            sample(&self.extra_tickets)
        );
        println!(
            "bot       {} replies; not handled {} [{}]; sent but not recorded (double sends) {}; recorded but not sent {}; order violations {} [{}]",
            self.replies,
            self.unhandled.len(),
            sample(&self.unhandled),
            self.replies_unrecorded,
            self.replies_not_sent,
            self.order_violations.len(),
            sample(&self.order_violations)
        );
        println!(
            "result    {}",
            if self.ok() {
                "OK: nothing lost, nothing duplicated"
            } else {
                "FAILED"
            }
        );
    }
}

/// The CLI: runs, prints, and fails if anything was lost or duplicated.
pub async fn cli(
    args: &[String],
    app_secret: SecretString,
) -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::from_args(args, app_secret)?;
    let report = run(&options).await?;
    report.print();
    if report.ok() {
        Ok(())
    } else {
        Err("the load run lost or duplicated work (see above)".into())
    }
}

pub async fn run(options: &Options) -> Result<Report, LoadError> {
    check_loopback(&options.target)?;
    let http = helpdesk::platform::tls::http_client_builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .build()
        .map_err(|e| LoadError::Setup(e.to_string()))?;
    let media_id = seed_media(&http, &options.target).await?;
    let start = Timestamp::now();
    let plan = plan(options, &media_id, start);
    let signer = Arc::new(SignatureVerifier::new(&options.app_secret));
    let webhook = Arc::new(format!("{}/webhook", options.target));
    eprintln!(
        "load: {} requests at {}/s for {} s to {} (run {}, media id {media_id})",
        plan.requests.len(),
        options.rate,
        options.duration_secs,
        webhook,
        plan.run
    );
    let (results, send_secs) = send_all(&plan, &http, &signer, &webhook).await;
    let (mut report, acked_wamids, timeline) = tally(&plan, &results, send_secs);
    let drain_start = Instant::now();
    let (state, replies) = drain(&http, options, &format!("49{}", plan.run)).await?;
    report.drain_secs = drain_start.elapsed().as_secs_f64();
    check(
        &mut report,
        &plan.run,
        &acked_wamids,
        &timeline,
        &state,
        &replies,
    );
    Ok(report)
}

/// Sends every planned request at its time, at most [`MAX_IN_FLIGHT`] at once (the rest are
/// shed and counted); returns what happened to each, in plan order, and the seconds sending
/// took.
async fn send_all(
    plan: &Plan,
    http: &reqwest::Client,
    signer: &Arc<SignatureVerifier>,
    webhook: &Arc<String>,
) -> (Vec<Sent>, f64) {
    let gate = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(plan.requests.len());
    for p in &plan.requests {
        let due = t0 + p.at;
        tokio::time::sleep_until(due).await;
        let Ok(permit) = gate.clone().try_acquire_owned() else {
            tasks.push(tokio::spawn(async move {
                Sent {
                    due: Some(due),
                    shed: true,
                    ..Sent::default()
                }
            }));
            continue;
        };
        let (http, signer, webhook, body) = (
            http.clone(),
            signer.clone(),
            webhook.clone(),
            p.body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let sent = deliver(&http, &signer, &webhook, &body, due).await;
            drop(permit);
            sent
        }));
    }
    let send_secs = t0.elapsed().as_secs_f64();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.unwrap_or_default());
    }
    (results, send_secs)
}

/// The counts and latencies of the sending; per wamid, whether it was acknowledged at all; per
/// customer, (wamid, sent at, acked at) for the order check.
fn tally(plan: &Plan, results: &[Sent], send_secs: f64) -> (Report, HashSet<String>, Timeline) {
    let mut report = Report {
        requests: plan.requests.len(),
        send_secs,
        achieved_per_sec: plan.requests.len() as f64 / send_secs.max(1e-9),
        ..Report::default()
    };
    let mut latencies: Vec<f64> = Vec::new();
    let mut acked_wamids: HashSet<String> = HashSet::new();
    let mut seen_wamids: HashSet<String> = HashSet::new();
    let mut timeline: Timeline = HashMap::new();
    let mut customers: HashSet<usize> = HashSet::new();
    for (p, s) in plan.requests.iter().zip(results) {
        match p.kind {
            Kind::Status => report.statuses_sent += 1,
            Kind::Duplicate => report.duplicates_sent += 1,
            Kind::First | Kind::FollowUp => {
                report.messages += 1;
                report.images += usize::from(p.image);
                report.out_of_order += usize::from(p.out_of_order);
            }
        }
        report.shed += usize::from(s.shed);
        report.retried += usize::from(s.refused_first && s.attempts > 1);
        if let (Some(due), Some(acked)) = (s.due, s.acked) {
            report.acked += 1;
            latencies.push(acked.duration_since(due).as_secs_f64() * 1000.0);
        } else if !s.shed {
            report.unacked += 1;
        }
        if let (Some(c), Some(w)) = (p.customer, &p.wamid) {
            customers.insert(c);
            if s.acked.is_some() {
                acked_wamids.insert(w.clone());
            }
            if !s.shed
                && seen_wamids.insert(w.clone())
                && let Some(due) = s.due
            {
                timeline
                    .entry(c)
                    .or_default()
                    .push((w.clone(), due, s.acked));
            }
        }
    }
    report.customers = customers.len();
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[i]
    };
    report.p50_ms = pct(0.50);
    report.p95_ms = pct(0.95);
    report.p99_ms = pct(0.99);
    report.max_ms = latencies.last().copied().unwrap_or(0.0);
    (report, acked_wamids, timeline)
}

/// Posts one signed webhook, retrying a non-2xx answer or no answer as Meta does (sooner).
async fn deliver(
    http: &reqwest::Client,
    signer: &SignatureVerifier,
    url: &str,
    body: &str,
    due: Instant,
) -> Sent {
    let mut sent = Sent {
        due: Some(due),
        ..Sent::default()
    };
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
        }
        sent.attempts += 1;
        let answer = http
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signer.sign(body.as_bytes()))
            .body(body.to_owned())
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => {
                sent.acked = Some(Instant::now());
                return sent;
            }
            _ if attempt == 0 => sent.refused_first = true,
            _ => {}
        }
    }
    sent
}

/// Uploads one image through the simulated phone of a seed customer and returns its media id:
/// image webhooks of the run carry it, so the bot's media download finds the file.
async fn seed_media(http: &reqwest::Client, target: &str) -> Result<String, LoadError> {
    use base64::Engine;
    let wa_id = "4915099999999";
    let setup = |e: reqwest::Error| {
        LoadError::Setup(format!(
            "cannot reach the runner at {target} ({e}); is `helpdesk-local` running?"
        ))
    };
    let answer = http
        .post(format!("{target}/dev/simulator/messages"))
        .json(&json!({"from": wa_id, "name": "Lasttest", "media": {
            "kind": "image", "filename": "karton.png", "mime_type": "image/png",
            "data_base64": base64::engine::general_purpose::STANDARD.encode(PNG)}}))
        .send()
        .await
        .map_err(setup)?;
    if !answer.status().is_success() {
        return Err(LoadError::Setup(format!(
            "the simulator did not take the seed image: {}",
            answer.status()
        )));
    }
    let chat: Value = http
        .get(format!(
            "{target}/dev/simulator/chat?wa_id={wa_id}&seen=false"
        ))
        .send()
        .await
        .map_err(setup)?
        .json()
        .await
        .map_err(setup)?;
    chat["messages"]
        .as_array()
        .and_then(|all| all.iter().rev().find_map(|m| m["media"]["id"].as_str()))
        .map(str::to_owned)
        .ok_or_else(|| LoadError::Setup(format!("no media id in the seed chat: {chat}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:8080",
            "http://127.8.9.10",
        ] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1:8080",
            "http://example.com",
            "https://graph.facebook.com",
            "http://0.0.0.0:8080",
        ] {
            assert!(
                matches!(check_loopback(refused), Err(LoadError::NotLoopback(_))),
                "{refused}"
            );
        }
        assert!(matches!(
            check_loopback("ftp://127.0.0.1"),
            Err(LoadError::Usage(_))
        ));
    }

    #[test]
    fn rate_duration_and_customers_are_bounded() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let secret = || SecretString::from("s");
        assert!(Options::from_args(&args("--rate 5001"), secret()).is_err());
        assert!(Options::from_args(&args("--rate 0"), secret()).is_err());
        assert!(Options::from_args(&args("--duration 601"), secret()).is_err());
        assert!(Options::from_args(&args("--target http://192.168.1.2:80"), secret()).is_err());
        let o = Options::from_args(&args("--rate 500 --duration 60"), secret()).unwrap();
        assert_eq!((o.rate, o.duration_secs, o.customers), (500, 60, 6000));
    }

    #[test]
    fn the_plan_has_the_mix() {
        let options =
            Options::from_args(&["--rate".into(), "200".into()], SecretString::from("s")).unwrap();
        let plan = plan(&options, "123", Timestamp::now());
        let n = plan.requests.len() as f64;
        let share = |k: Kind| plan.requests.iter().filter(|p| p.kind == k).count() as f64 / n;
        assert!((0.07..0.13).contains(&share(Kind::Duplicate)));
        assert!((0.03..0.08).contains(&share(Kind::Status)));
        assert!(share(Kind::First) > 0.1 && share(Kind::FollowUp) > 0.3);
        assert!(plan.requests.iter().any(|p| p.image));
        assert!(plan.requests.iter().any(|p| p.out_of_order));
        // A redelivery is the same bytes as its original.
        let dup = plan
            .requests
            .iter()
            .find(|p| p.kind == Kind::Duplicate)
            .unwrap();
        assert!(
            plan.requests
                .iter()
                .any(|p| p.kind != Kind::Duplicate && p.body == dup.body)
        );
    }
}
