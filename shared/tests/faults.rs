//! Issue 7, "Load and faults": failures injected through the adapters at every point of the
//! intake and the bot, with the retries AWS and Meta make played out: Meta delivers a webhook
//! again until it is answered 2xx, and the SQS event source delivers a record again until the
//! handler reports it done, or moves it to the dead-letter queue after five receives (a Lambda
//! that crashes fails its whole batch). Afterwards nothing is lost (every message stored and
//! answered) and nothing duplicated (one stored message, one reply each), compared with the same
//! conversation run without faults.

use std::collections::{BTreeMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use helpdesk::app::bot_reply::{BotReply, QueueRecord};
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk::app::intake::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk::domain::ids::{PhoneNumberId, WaId, Wamid};
use helpdesk::platform::handlers::{self, MemoryPorts, Ports, Settings};
use helpdesk::ports::clock::ManualClock;
use helpdesk::ports::queue::{MemoryQueue, QueueError, QueueMessage};
use helpdesk::ports::store::{Direction, MemoryStore, StoreError, TicketStore};
use helpdesk::ports::timers::{MemoryTimers, TimerError};
use helpdesk::ports::whatsapp::{
    MemoryWhatsApp, OutboundBody, RetryPolicy, WhatsAppClient, WhatsAppError,
};
use http::{HeaderMap, HeaderValue, Method};
use jiff::Timestamp;
use secrecy::SecretString;

const NUMBER: &str = "106540352242922";
const SECRET: &str = "faults-app-secret";
const T0: i64 = 1_764_061_200;
/// The receive limit of the queues' redrive policy (template.yaml, provision.rs).
const MAX_RECEIVES: u32 = 5;

/// Who writes what, in rounds: each round is one webhook with one message per customer.
const ROUNDS: &[&[(&str, &str)]] = &[
    &[
        ("4915100000001", "Wo ist mein Paket?"),
        ("4915100000002", "Hallo"),
    ],
    &[
        ("4915100000001", "100234"),
        ("4915100000002", "Das ist dringend, falsche Adresse!"),
    ],
    &[("4915100000003", "Wie lange dauert der Versand?")],
];

/// Per customer: stored inbound wamids (handled or not), recorded replies, tickets.
type Stored = BTreeMap<String, (Vec<(String, bool)>, usize, usize)>;

/// WhatsApp that can crash the handler: panics on the chosen send (once), as a bug or an
/// out-of-memory kill would end a Lambda invocation mid-batch.
struct CrashingWhatsApp {
    inner: MemoryWhatsApp,
    sends: AtomicUsize,
    panic_on: Option<usize>,
}

#[async_trait]
impl WhatsAppClient for CrashingWhatsApp {
    async fn send(
        &self,
        from: &PhoneNumberId,
        to: &WaId,
        body: &OutboundBody,
    ) -> Result<Wamid, WhatsAppError> {
        let n = self.sends.fetch_add(1, Ordering::SeqCst);
        if self.panic_on == Some(n) {
            panic!("injected crash on send {n}");
        }
        self.inner.send(from, to, body).await
    }

    async fn upload_media(
        &self,
        from: &PhoneNumberId,
        file: &helpdesk::ports::whatsapp::MediaUpload<'_>,
    ) -> Result<String, WhatsAppError> {
        self.inner.upload_media(from, file).await
    }

    async fn mark_read(&self, from: &PhoneNumberId, wamid: &Wamid) -> Result<(), WhatsAppError> {
        self.inner.mark_read(from, wamid).await
    }

    async fn mark_read_typing(
        &self,
        from: &PhoneNumberId,
        wamid: &Wamid,
    ) -> Result<(), WhatsAppError> {
        self.inner.mark_read_typing(from, wamid).await
    }
}

/// Plays an SQS FIFO queue with its event source: batches of ten in order, a failed record (and
/// the rest of its group, which the handler reports too) back at the front, a crashed batch
/// back whole, and to the DLQ after [`MAX_RECEIVES`].
#[derive(Default)]
struct EventSource {
    waiting: VecDeque<(QueueMessage, u32)>,
    dlq: Vec<QueueMessage>,
    batches: usize,
    crashes: usize,
}

impl EventSource {
    async fn drain(&mut self, queue: &MemoryQueue, bot: &Arc<BotReply>) {
        for _ in 0..200 {
            self.waiting
                .extend(queue.receive(usize::MAX).into_iter().map(|m| (m, 0)));
            if self.waiting.is_empty() {
                return;
            }
            let n = self.waiting.len().min(10);
            let mut batch: Vec<(QueueMessage, u32)> = self.waiting.drain(..n).collect();
            for (_, receives) in &mut batch {
                *receives += 1;
            }
            let records: Vec<QueueRecord> = batch
                .iter()
                .map(|(m, _)| QueueRecord {
                    message_id: m.dedup_id.clone(),
                    group_id: Some(m.group_id.clone()),
                    body: m.body.clone(),
                })
                .collect();
            self.batches += 1;
            let outcome = AssertUnwindSafe(bot.handle_batch(&records))
                .catch_unwind()
                .await;
            let failed: Vec<String> = match outcome {
                Ok(failed) => failed,
                Err(_) => {
                    // The invocation died: Lambda returns every record of the batch.
                    self.crashes += 1;
                    records.iter().map(|r| r.message_id.clone()).collect()
                }
            };
            let mut back = Vec::new();
            for (m, receives) in batch {
                if !failed.contains(&m.dedup_id) {
                    continue;
                }
                if receives >= MAX_RECEIVES {
                    self.dlq.push(m);
                } else {
                    back.push((m, receives));
                }
            }
            for item in back.into_iter().rev() {
                self.waiting.push_front(item);
            }
        }
        panic!("the queue did not drain: {:?}", self.waiting);
    }
}

struct World {
    webhook: WebhookHandler,
    bot: Arc<BotReply>,
    store: Arc<MemoryStore>,
    inbound: Arc<MemoryQueue>,
    handoffs: Arc<MemoryQueue>,
    whatsapp: Arc<CrashingWhatsApp>,
    timers: Arc<MemoryTimers>,
    clock: Arc<ManualClock>,
    source: EventSource,
    /// Answers Meta got that were not 2xx (it delivered again after each).
    refused: Vec<u16>,
}

fn world(panic_on: Option<usize>) -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0).unwrap()));
    let memory = MemoryPorts::new(clock.clone());
    let whatsapp = Arc::new(CrashingWhatsApp {
        inner: MemoryWhatsApp::new(),
        sends: AtomicUsize::new(0),
        panic_on,
    });
    let ports = Ports::memory(&memory, clock.clone(), whatsapp.clone());
    let settings = Settings::shipped();
    // Intake arms no SLA timers here and the bot tells no agent: the sweeps count the store and
    // Scheduler calls of the bot's path.
    let intake = handlers::intake(
        &Ports {
            timers: None,
            ..ports.clone()
        },
        &settings,
    )
    .unwrap();
    let webhook = WebhookHandler::new(
        intake,
        &SecretString::from(SECRET),
        SecretString::from("verify"),
    );
    let bot = handlers::bot_reply(
        &Ports {
            notify: None,
            ..ports
        },
        &settings,
    )
    .unwrap()
    .with_retry(RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(1),
        max: Duration::from_millis(2),
    });
    World {
        webhook,
        bot: Arc::new(bot),
        store: memory.store,
        inbound: memory.inbound,
        handoffs: memory.handoffs,
        whatsapp,
        timers: memory.timers,
        clock,
        source: EventSource::default(),
        refused: Vec::new(),
    }
}

impl World {
    /// Meta delivers the webhook until it is answered 2xx.
    async fn meta_delivers(&mut self, body: &str) {
        let mut headers = HeaderMap::new();
        let signature = SignatureVerifier::new(&SecretString::from(SECRET)).sign(body.as_bytes());
        headers.insert(
            "x-hub-signature-256",
            HeaderValue::from_str(&signature).unwrap(),
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for _ in 0..50 {
            let answer = self
                .webhook
                .handle(&Method::POST, None, &headers, body.as_bytes())
                .await;
            if answer.status().is_success() {
                return;
            }
            self.refused.push(answer.status().as_u16());
        }
        panic!("the webhook was never accepted: {:?}", self.refused);
    }

    /// Every round delivered, each followed by the bot's queue drained.
    async fn conversation(&mut self) {
        for (round, messages) in ROUNDS.iter().enumerate() {
            let at = T0 + 60 * round as i64;
            let wamids: Vec<String> = messages
                .iter()
                .map(|(wa_id, _)| format!("wamid.r{round}.{wa_id}"))
                .collect();
            let texts: Vec<SampleText<'_>> = messages
                .iter()
                .zip(&wamids)
                .map(|((wa_id, text), wamid)| SampleText {
                    wa_id,
                    profile_name: "Kundin",
                    wamid,
                    timestamp: at,
                    body: text,
                })
                .collect();
            self.clock.set(Timestamp::from_second(at + 1).unwrap());
            let body = text_notification(NUMBER, &texts);
            self.meta_delivers(&body).await;
            // A redelivery of the same webhook after success, as Meta sometimes does.
            self.meta_delivers(&body).await;
            self.source.drain(&self.inbound, &self.bot).await;
        }
    }

    /// What each customer's phone shows from the business, in order.
    fn phones(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in self.whatsapp.inner.sent() {
            out.entry(m.to.as_str().to_owned())
                .or_default()
                .push(m.body.text());
        }
        out
    }

    /// Per customer: stored inbound wamids, handled or not, and recorded replies.
    async fn stored(&self) -> Stored {
        let mut out: Stored = BTreeMap::new();
        for ticket in self.store.tickets() {
            let entry = out.entry(ticket.key.wa_id.as_str().to_owned()).or_default();
            entry.2 += 1;
            for m in self.store.messages(ticket.id).await.unwrap() {
                match m.direction {
                    Direction::Inbound => entry
                        .0
                        .push((m.wamid.as_str().to_owned(), m.handled_at.is_some())),
                    Direction::Outbound => entry.1 += 1,
                }
            }
        }
        out
    }

    /// Armed SLA timers, named by customer instead of ticket id (ids differ between runs).
    fn timer_names(&self) -> Vec<String> {
        let tickets = self.store.tickets();
        let mut names: Vec<String> = self
            .timers
            .armed()
            .into_iter()
            .map(|t| {
                tickets
                    .iter()
                    .fold(t.name.as_str().to_owned(), |name, ticket| {
                        name.replace(&ticket.id.to_string(), ticket.key.wa_id.as_str())
                    })
            })
            .collect();
        names.sort();
        names
    }
}

/// The same conversation without faults: what every faulty run must end with.
struct Expected {
    phones: BTreeMap<String, Vec<String>>,
    stored: Stored,
    handoffs: usize,
    timers: Vec<String>,
}

async fn expected() -> Expected {
    let mut w = world(None);
    w.conversation().await;
    let stored = w.stored().await;
    // Sanity: three customers, one ticket each, every message handled, someone handed over.
    assert_eq!(stored.len(), 3);
    for (inbound, replies, tickets) in stored.values() {
        assert_eq!(*tickets, 1);
        assert!(inbound.iter().all(|(_, handled)| *handled));
        assert!(*replies > 0);
    }
    assert_eq!(w.handoffs.len(), 1);
    assert!(w.source.dlq.is_empty());
    Expected {
        phones: w.phones(),
        stored,
        handoffs: w.handoffs.len(),
        timers: w.timer_names(),
    }
}

async fn assert_same_as_without_faults(w: &World, expected: &Expected, case: &str) {
    // A fault scripted past the end of the run must not hit the checks.
    w.store.clear_faults();
    assert_eq!(
        w.phones(),
        expected.phones,
        "{case}: what the customers got"
    );
    assert_eq!(w.stored().await, expected.stored, "{case}: what was stored");
    assert_eq!(w.handoffs.len(), expected.handoffs, "{case}: handoffs");
    assert_eq!(w.timer_names(), expected.timers, "{case}: SLA timers");
    assert!(w.source.dlq.is_empty(), "{case}: nothing is poison");
}

#[tokio::test]
async fn a_store_failure_at_any_call_loses_and_duplicates_nothing() {
    let expected = expected().await;
    let errors = [
        StoreError::Unavailable("injected".into()),
        StoreError::Throttled("ProvisionedThroughputExceeded".into()),
        StoreError::Rejected("injected, not retryable".into()),
    ];
    let mut hit_intake = 0;
    // Every store call of the whole run, one at a time, fails once (and twice in a row).
    for k in 0..260 {
        for (e, error) in errors.iter().enumerate() {
            let mut w = world(None);
            w.store
                .fail_after(k, std::iter::repeat_n(error.clone(), 1 + (k + e) % 2));
            w.conversation().await;
            hit_intake += usize::from(!w.refused.is_empty());
            assert!(
                w.refused.iter().all(|s| [500, 503].contains(s)),
                "{:?}",
                w.refused
            );
            assert_same_as_without_faults(&w, &expected, &format!("store call {k}: {error}")).await;
        }
    }
    assert!(
        hit_intake > 20,
        "the sweep reached the intake {hit_intake} times"
    );
}

#[tokio::test]
async fn a_failed_queue_send_is_answered_503_and_queued_by_the_redelivery() {
    let expected = expected().await;
    // The run sends three batches to the inbound queue; each fails in turn.
    for k in 0..3 {
        let mut w = world(None);
        w.inbound
            .fail_after(k, [QueueError::Unavailable("sqs down".into())]);
        w.handoffs
            .fail_after(0, [QueueError::Throttled("RequestThrottled".into())]);
        w.conversation().await;
        assert_eq!(w.refused, [503], "send {k}: Meta was told to deliver again");
        assert!(
            w.source.batches > ROUNDS.len(),
            "the handoff failed once and was redelivered"
        );
        assert_same_as_without_faults(&w, &expected, &format!("queue send {k}")).await;
    }
}

#[tokio::test]
async fn whatsapp_rate_limits_errors_and_timeouts_end_in_one_reply_each() {
    let expected = expected().await;
    let faults = [
        WhatsAppError::classify(429, 130429, "rate limit hit".into()),
        WhatsAppError::classify(500, 0, "internal".into()),
        WhatsAppError::classify(503, 0, "unavailable".into()),
        WhatsAppError::Transient {
            status: 0,
            code: 0,
            message: "timed out".into(),
        },
    ];
    let total_sends: usize = expected.phones.values().map(Vec::len).sum();
    for k in 0..total_sends {
        for fault in &faults {
            let mut w = world(None);
            // More failures in a row than the sender retries: the record goes back to the queue.
            w.whatsapp
                .inner
                .fail_after(k, std::iter::repeat_n(fault.clone(), 4));
            w.conversation().await;
            assert_same_as_without_faults(&w, &expected, &format!("send {k}: {fault}")).await;
        }
    }
}

#[tokio::test]
async fn scheduler_errors_arm_each_sla_timer_once() {
    let expected = expected().await;
    assert!(!expected.timers.is_empty());
    // Every Scheduler call of the run fails in turn (once, or several times in a row).
    for k in 0..40 {
        let mut w = world(None);
        w.timers.fail_after(
            k,
            std::iter::repeat_n(TimerError::Unavailable("scheduler down".into()), k % 3 + 1)
                .chain([TimerError::Throttled("slow down".into())]),
        );
        w.conversation().await;
        assert_same_as_without_faults(&w, &expected, &format!("scheduler call {k}")).await;
    }
}

#[tokio::test]
async fn a_crash_on_record_k_of_a_batch_redelivers_the_batch_without_double_replies() {
    let expected = expected().await;
    let total_sends: usize = expected.phones.values().map(Vec::len).sum();
    for k in 0..total_sends {
        let mut w = world(Some(k));
        w.conversation().await;
        assert_eq!(w.source.crashes, 1, "send {k} crashed the invocation");
        assert_same_as_without_faults(&w, &expected, &format!("crash on send {k}")).await;
    }
}

#[tokio::test]
async fn an_error_on_one_record_holds_back_its_conversation_only() {
    // GIVEN a batch with messages of three customers, the second customer's reply failing
    let mut w = world(None);
    let body = text_notification(
        NUMBER,
        &[
            SampleText {
                wa_id: "4915100000001",
                profile_name: "A",
                wamid: "wamid.a1",
                timestamp: T0,
                body: "Hallo",
            },
            SampleText {
                wa_id: "4915100000002",
                profile_name: "B",
                wamid: "wamid.b1",
                timestamp: T0,
                body: "Hallo",
            },
            SampleText {
                wa_id: "4915100000002",
                profile_name: "B",
                wamid: "wamid.b2",
                timestamp: T0 + 1,
                body: "Wo ist mein Paket?",
            },
            SampleText {
                wa_id: "4915100000003",
                profile_name: "C",
                wamid: "wamid.c1",
                timestamp: T0,
                body: "Hallo",
            },
        ],
    );
    w.clock.set(Timestamp::from_second(T0 + 2).unwrap());
    w.meta_delivers(&body).await;
    let records: Vec<QueueRecord> = w
        .inbound
        .receive(10)
        .into_iter()
        .map(QueueRecord::from)
        .collect();
    let order: Vec<&str> = records.iter().map(|r| r.message_id.as_str()).collect();
    let b1 = order.iter().position(|id| *id == "wamid.b1").unwrap();
    // The sends of the records before b1 pass (counted on a clean run of them); then 503s.
    let sends_before = {
        let clean = world(None);
        clean.clock.set(Timestamp::from_second(T0 + 2).unwrap());
        let mut clean = clean;
        clean.meta_delivers(&body).await;
        let before: Vec<QueueRecord> = clean
            .inbound
            .receive(10)
            .into_iter()
            .take(b1)
            .map(QueueRecord::from)
            .collect();
        assert!(clean.bot.handle_batch(&before).await.is_empty());
        clean.whatsapp.inner.sent().len()
    };
    w.whatsapp.inner.fail_after(
        sends_before,
        std::iter::repeat_n(WhatsAppError::classify(503, 0, "down".into()), 3),
    );
    // WHEN the batch is handled
    let failed = w.bot.handle_batch(&records).await;
    // THEN b1 and the later b2 come back; a and c are done
    assert_eq!(failed, ["wamid.b1", "wamid.b2"]);
    // AND the redelivery answers B once per message, in order
    let again: Vec<QueueRecord> = records
        .into_iter()
        .filter(|r| failed.contains(&r.message_id))
        .collect();
    assert!(w.bot.handle_batch(&again).await.is_empty());
    assert!(
        w.bot.handle_batch(&again).await.is_empty(),
        "a redelivery of done work"
    );
    let phones = w.phones();
    assert_eq!(phones["4915100000001"].len(), phones["4915100000003"].len());
    let b = &phones["4915100000002"];
    assert!(b[0].starts_with("Hallo B"), "{b:?}");
    assert_eq!(
        b.iter().filter(|t| t.contains("Bestellnummer")).count(),
        1,
        "B's second message answered once, after the first: {b:?}"
    );
    assert_eq!(
        b.iter().filter(|t| t.starts_with("Hallo B")).count(),
        1,
        "{b:?}"
    );
}

#[tokio::test]
async fn poison_records_reach_the_dead_letter_queue_after_five_receives_and_block_nothing_else() {
    let mut w = world(None);
    w.clock.set(Timestamp::from_second(T0 + 1).unwrap());
    // A record no version of the bot can handle, and one whose ticket does not exist.
    let poison = QueueMessage {
        group_id: format!("{NUMBER}#4915100000009"),
        dedup_id: "poison-1".into(),
        body: "{\"v\":99}".into(),
    };
    let orphan = QueueMessage {
        group_id: format!("{NUMBER}#4915100000008"),
        dedup_id: "orphan-1".into(),
        body: serde_json::json!({
            "v": 1, "ticket_id": "01KAXK3T7J5C4N9M0P2Q6R8S1V", "wamid": "wamid.gone",
            "key": {"phone_number_id": NUMBER, "wa_id": "4915100000008"},
            "sent_at": "2025-11-25T09:00:00Z", "opened_ticket": true,
        })
        .to_string(),
    };
    use helpdesk::ports::queue::Queue;
    w.inbound.send(&[poison, orphan]).await.unwrap();
    let body = text_notification(
        NUMBER,
        &[SampleText {
            wa_id: "4915100000001",
            profile_name: "A",
            wamid: "wamid.ok",
            timestamp: T0,
            body: "Hallo",
        }],
    );
    w.meta_delivers(&body).await;
    w.source.drain(&w.inbound, &w.bot).await;
    let dlq: Vec<&str> = w.source.dlq.iter().map(|m| m.dedup_id.as_str()).collect();
    assert_eq!(dlq, ["poison-1", "orphan-1"]);
    assert!(w.source.batches >= MAX_RECEIVES as usize);
    // The good message was answered once, as without the poison.
    let mut clean = world(None);
    clean.clock.set(Timestamp::from_second(T0 + 1).unwrap());
    clean.meta_delivers(&body).await;
    clean.source.drain(&clean.inbound, &clean.bot).await;
    assert_eq!(w.phones(), clean.phones());
}
