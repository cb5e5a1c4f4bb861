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

/// A small deterministic generator (SplitMix64): the same run plans the same load.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What a planned request is, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    First,
    FollowUp,
    Duplicate,
    Status,
}

/// One planned request.
struct Planned {
    at: Duration,
    kind: Kind,
    /// Customer index (messages and duplicates).
    customer: Option<usize>,
    /// The message's wamid (messages and duplicates).
    wamid: Option<String>,
    body: Arc<String>,
    out_of_order: bool,
    image: bool,
}

/// Customers' texts: questions, follow-ups, thanks; nothing that needs a person at once.
const TEXTS: &[&str] = &[
    "Hallo, wo ist mein Paket?",
    "100234",
    "Wie lange dauert der Versand?",
    "Ich möchte etwas zurückgeben",
    "Danke!",
    "Welche Größe passt mir?",
    "Where is my order?",
    "How much is shipping to Austria?",
    "Kann ich mit PayPal zahlen?",
    "1",
    "ja",
    "Hello",
];

struct Plan {
    requests: Vec<Planned>,
    run: String,
}

fn plan(options: &Options, media_id: &str, start: Timestamp) -> Plan {
    let mut planner = Planner::new(options, media_id, start);
    let total = (options.rate as usize) * (options.duration_secs as usize);
    planner.requests.reserve(total);
    for i in 0..total {
        let at = Duration::from_secs_f64(i as f64 / f64::from(options.rate));
        let roll = planner.dice.below(100);
        let planned = if roll < 10 && !planner.originals.is_empty() {
            planner.redelivery(at)
        } else if roll < 15 {
            planner.status(i, at)
        } else {
            planner.message(i, at)
        };
        planner.requests.push(planned);
    }
    Plan {
        requests: planner.requests,
        run: planner.run,
    }
}

/// The plan as it is drawn, request by request, from one [`Dice`].
struct Planner<'a> {
    options: &'a Options,
    media_id: &'a str,
    start: Timestamp,
    run: String,
    dice: Dice,
    requests: Vec<Planned>,
    /// Customers started so far.
    started: usize,
    /// Messages sent so far (index into `requests`), for redeliveries.
    originals: Vec<usize>,
}

impl<'a> Planner<'a> {
    fn new(options: &'a Options, media_id: &'a str, start: Timestamp) -> Self {
        Self {
            options,
            media_id,
            start,
            run: format!("{:04}", start.as_second().rem_euclid(10_000)),
            dice: Dice(start.as_nanosecond() as u64),
            requests: Vec::new(),
            started: 0,
            originals: Vec::new(),
        }
    }

    fn sent_at(&self, at: Duration) -> i64 {
        self.start.as_second() + at.as_secs() as i64
    }

    /// An exact redelivery: often right behind the original (a race), else seconds later.
    fn redelivery(&mut self, at: Duration) -> Planned {
        let back = if self.dice.chance(50) {
            1
        } else {
            1 + self.dice.below(5 * u64::from(self.options.rate)) as usize
        };
        let of = self.originals[self.originals.len().saturating_sub(back)];
        let original = &self.requests[of];
        Planned {
            at,
            kind: Kind::Duplicate,
            customer: original.customer,
            wamid: original.wamid.clone(),
            body: original.body.clone(),
            out_of_order: original.out_of_order,
            image: original.image,
        }
    }

    /// A delivery status of a message the helpdesk never sent (counted, then skipped).
    fn status(&mut self, i: usize, at: Duration) -> Planned {
        let wamid = format!("wamid.load{}status{i}", self.run);
        let status = SampleStatus {
            wamid: &wamid,
            status: ["sent", "delivered", "read"][self.dice.below(3) as usize],
            recipient: "4915100000000",
            timestamp: self.sent_at(at),
        };
        Planned {
            at,
            kind: Kind::Status,
            customer: None,
            wamid: None,
            body: Arc::new(status_notification(
                self.options.phone_number_id.as_str(),
                &[status],
            )),
            out_of_order: false,
            image: false,
        }
    }

    /// A customer's message: a new customer now and then (up to `customers`), else one of
    /// those started; some sent with an older timestamp, some an image.
    fn message(&mut self, i: usize, at: Duration) -> Planned {
        let sent_at = self.sent_at(at);
        let new_customer = self.started < self.options.customers as usize
            && (self.started == 0 || self.dice.chance(25));
        let customer = if new_customer {
            self.started += 1;
            self.started - 1
        } else {
            self.dice.below(self.started as u64) as usize
        };
        let wa_id = customer_wa_id(&self.run, customer);
        let wamid = format!("wamid.load{}c{customer}m{i}", self.run);
        let out_of_order = self.dice.chance(10);
        let timestamp = if out_of_order {
            sent_at - 1 - self.dice.below(90) as i64
        } else {
            sent_at
        };
        let image = self.dice.chance(10);
        let mut message = json!({ "from": wa_id, "id": wamid, "timestamp": timestamp.to_string() });
        if image {
            message["type"] = json!("image");
            message["image"] = json!({
                "id": self.media_id,
                "mime_type": "image/png",
                "caption": "Foto vom Karton",
            });
        } else {
            message["type"] = json!("text");
            message["text"] =
                json!({ "body": TEXTS[self.dice.below(TEXTS.len() as u64) as usize] });
        }
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": self.options.display_phone_number, "phone_number_id": self.options.phone_number_id.as_str() },
                "contacts": [{ "profile": { "name": format!("Kundin {customer}") }, "wa_id": wa_id }],
                "messages": [message],
            }}]}],
        });
        self.originals.push(self.requests.len());
        Planned {
            at,
            kind: if new_customer {
                Kind::First
            } else {
                Kind::FollowUp
            },
            customer: Some(customer),
            wamid: Some(wamid),
            body: Arc::new(body.to_string()),
            out_of_order,
            image,
        }
    }
}

/// `49` + run + customer: digits only, unique per run.
fn customer_wa_id(run: &str, customer: usize) -> String {
    format!("49{run}{customer:08}")
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

/// Waits for the helpdesk to finish (every stored message handled, the replies settled, or
/// `drain_secs` passed) and returns the store and the replies the simulator got.
async fn drain(
    http: &reqwest::Client,
    options: &Options,
    prefix: &str,
) -> Result<(StoreView, Vec<(String, String)>), LoadError> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(options.drain_secs));
    loop {
        let state = read_store(http, options, prefix).await?;
        let replies = read_replies(http, &options.target, prefix).await?;
        let handled = state
            .messages
            .iter()
            .filter(|m| m.inbound)
            .all(|m| m.handled_at.is_some());
        let outbound = state.messages.iter().filter(|m| !m.inbound).count();
        // Replies settle when what the simulator got matches what the store recorded.
        if (handled && outbound == replies.len()) || Instant::now() >= deadline {
            // One more look a moment later, so a late double send is seen too.
            tokio::time::sleep(Duration::from_secs(2)).await;
            return Ok((
                read_store(http, options, prefix).await?,
                read_replies(http, &options.target, prefix).await?,
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
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

/// A stored message, as much as the checks need.
#[derive(Debug, Clone)]
struct StoredMessage {
    ticket: String,
    wamid: String,
    inbound: bool,
    handled_at: Option<String>,
}

#[derive(Debug, Default)]
struct StoreView {
    /// (ticket id, customer wa_id).
    tickets: Vec<(String, String)>,
    messages: Vec<StoredMessage>,
}

/// The run's customers' tickets and messages.
async fn read_store(
    http: &reqwest::Client,
    options: &Options,
    prefix: &str,
) -> Result<StoreView, LoadError> {
    if options.aws {
        return read_dynamodb(prefix).await;
    }
    let state: Value = http
        .get(format!("{}/dev/state", options.target))
        .send()
        .await
        .map_err(|e| LoadError::Store(e.to_string()))?
        .json()
        .await
        .map_err(|e| LoadError::Store(format!("/dev/state: {e} (in --aws mode pass --aws)")))?;
    let mut view = StoreView::default();
    for t in state["tickets"].as_array().into_iter().flatten() {
        let wa_id = t["ticket"]["key"]["wa_id"].as_str().unwrap_or_default();
        if !wa_id.starts_with(prefix) {
            continue;
        }
        let id = t["ticket"]["id"].as_str().unwrap_or_default().to_owned();
        view.tickets.push((id.clone(), wa_id.to_owned()));
        for m in t["messages"].as_array().into_iter().flatten() {
            view.messages.push(StoredMessage {
                ticket: id.clone(),
                wamid: m["wamid"].as_str().unwrap_or_default().to_owned(),
                inbound: m["direction"] == "inbound",
                handled_at: m["handled_at"].as_str().map(str::to_owned),
            });
        }
    }
    Ok(view)
}

/// The same from the DynamoDB table `HELPDESK_TABLE` (SDK settings from the environment).
async fn read_dynamodb(prefix: &str) -> Result<StoreView, LoadError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let table = std::env::var("HELPDESK_TABLE")
        .map_err(|_| LoadError::Store("HELPDESK_TABLE is not set (needed with --aws)".into()))?;
    let client = aws_sdk_dynamodb::Client::new(&helpdesk::platform::wiring::sdk_config().await);
    let mut pages = client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    let mut tickets: Vec<(String, String)> = Vec::new();
    let mut messages: Vec<StoredMessage> = Vec::new();
    let s = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    while let Some(item) = pages.next().await {
        let item = item.map_err(|e| {
            LoadError::Store(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
        })?;
        match item
            .get("entity")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
        {
            Some("ticket") => tickets.push((s(&item, "ticket_id"), s(&item, "wa_id"))),
            Some("message") => messages.push(StoredMessage {
                ticket: s(&item, "ticket_id"),
                wamid: s(&item, "wamid"),
                inbound: s(&item, "direction") == "inbound",
                handled_at: item
                    .get("bot_handled_at")
                    .and_then(|v| v.as_s().ok())
                    .cloned(),
            }),
            _ => {}
        }
    }
    tickets.retain(|(_, wa_id)| wa_id.starts_with(prefix));
    let ours: HashSet<&str> = tickets.iter().map(|(id, _)| id.as_str()).collect();
    messages.retain(|m| ours.contains(m.ticket.as_str()));
    Ok(StoreView { tickets, messages })
}

/// Wamids the simulated Cloud API accepted for the run's customers (`to`, `wamid`).
async fn read_replies(
    http: &reqwest::Client,
    target: &str,
    prefix: &str,
) -> Result<Vec<(String, String)>, LoadError> {
    let sent: Value = http
        .get(format!("{target}/dev/whatsapp"))
        .send()
        .await
        .map_err(|e| LoadError::Store(e.to_string()))?
        .json()
        .await
        .map_err(|e| LoadError::Store(format!("/dev/whatsapp: {e}")))?;
    Ok(sent
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let to = m["to"].as_str()?;
            to.starts_with(prefix).then(|| {
                (
                    to.to_owned(),
                    m["wamid"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect())
}

fn check(
    report: &mut Report,
    run: &str,
    acked: &HashSet<String>,
    timeline: &Timeline,
    state: &StoreView,
    replies: &[(String, String)],
) {
    let inbound = check_messages(report, acked, state);
    check_tickets(report, state);
    check_replies(report, state, replies);
    check_order(report, run, timeline, &inbound);
}

/// Messages: each acknowledged wamid stored, and stored once. Returns the stored customer
/// messages by wamid.
fn check_messages<'s>(
    report: &mut Report,
    acked: &HashSet<String>,
    state: &'s StoreView,
) -> HashMap<&'s str, Vec<&'s StoredMessage>> {
    let mut inbound: HashMap<&str, Vec<&StoredMessage>> = HashMap::new();
    for m in state.messages.iter().filter(|m| m.inbound) {
        inbound.entry(m.wamid.as_str()).or_default().push(m);
    }
    report.stored = inbound.len();
    let mut lost: Vec<String> = acked
        .iter()
        .filter(|w| !inbound.contains_key(w.as_str()))
        .cloned()
        .collect();
    lost.sort();
    report.lost = lost;
    report.stored_twice = inbound
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(w, _)| (*w).to_owned())
        .collect();
    report.unhandled = inbound
        .iter()
        .filter(|(_, v)| v.iter().any(|m| m.handled_at.is_none()))
        .map(|(w, _)| (*w).to_owned())
        .collect();
    inbound
}

/// Tickets: every message of a run falls in one conversation window.
fn check_tickets(report: &mut Report, state: &StoreView) {
    let mut per_customer: HashMap<&str, usize> = HashMap::new();
    for (_, wa_id) in &state.tickets {
        *per_customer.entry(wa_id.as_str()).or_default() += 1;
    }
    report.extra_tickets = per_customer
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(w, n)| format!("{w} ({n})"))
        .collect();
}

/// Replies: what the Cloud API accepted is exactly what was recorded on the tickets.
fn check_replies(report: &mut Report, state: &StoreView, replies: &[(String, String)]) {
    let recorded: HashSet<&str> = state
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| m.wamid.as_str())
        .collect();
    let accepted: HashSet<&str> = replies.iter().map(|(_, w)| w.as_str()).collect();
    report.replies = accepted.len();
    report.replies_unrecorded = accepted.difference(&recorded).count();
    report.replies_not_sent = recorded.difference(&accepted).count();
}

/// Order: a message acknowledged before another of the same customer was sent is handled by
/// the bot before it.
fn check_order(
    report: &mut Report,
    run: &str,
    timeline: &Timeline,
    inbound: &HashMap<&str, Vec<&StoredMessage>>,
) {
    let handled: HashMap<&str, Timestamp> = inbound
        .iter()
        .filter_map(|(w, v)| {
            let at = v.first()?.handled_at.as_deref()?;
            Some((*w, parse_time(at)?))
        })
        .collect();
    for (customer, sends) in timeline {
        for (a, _, a_acked) in sends {
            let (Some(a_acked), Some(a_at)) = (a_acked, handled.get(a.as_str())) else {
                continue;
            };
            for (b, b_due, _) in sends {
                if b_due <= a_acked {
                    continue;
                }
                if let Some(b_at) = handled.get(b.as_str())
                    && b_at < a_at
                {
                    report.order_violations.push(format!(
                        "{}: {b} before {a}",
                        customer_wa_id(run, *customer)
                    ));
                }
            }
        }
    }
}

/// RFC 3339 (memory) or the table's sortable form (DynamoDB); both parse as instants.
fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
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
