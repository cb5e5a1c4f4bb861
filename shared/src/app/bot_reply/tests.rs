use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::app::intake::Intake;
use crate::app::intake::webhook::plan::plan;
use crate::app::intake::webhook::sample::{SampleText, text_notification};
use crate::domain::bot::{BotConfig, HandoffReason, Priority};
use crate::domain::ticket::ConversationWindow;
use crate::ports::clock::ManualClock;
use crate::ports::orders::MemoryOrders;
use crate::ports::queue::MemoryQueue;
use crate::ports::store::Direction;
use crate::ports::store::MemoryStore;
use crate::ports::whatsapp::MemoryWhatsApp;
use crate::ports::whatsapp::WhatsAppError;

const NUMBER: &str = "106540352242922";
const ANNA: &str = "4915112345678";
const T0: i64 = 1_764_061_200;

struct World {
    intake: Intake,
    bot: BotReply,
    store: Arc<MemoryStore>,
    inbound: Arc<MemoryQueue>,
    handoffs: Arc<MemoryQueue>,
    whatsapp: Arc<MemoryWhatsApp>,
    clock: Arc<ManualClock>,
    n: std::cell::Cell<i64>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0 + 2).unwrap()));
    let store = Arc::new(MemoryStore::new());
    let inbound = Arc::new(MemoryQueue::new(clock.clone()));
    let handoffs = Arc::new(MemoryQueue::new(clock.clone()));
    let whatsapp = Arc::new(MemoryWhatsApp::new());
    let intake = Intake::new(
        store.clone(),
        inbound.clone(),
        clock.clone(),
        ConversationWindow::default(),
    );
    let bot = Bot::new(
        Arc::new(BotConfig::default_shop()),
        Arc::new(MemoryOrders::demo()),
    );
    let reply = BotReply::new(
        store.clone(),
        whatsapp.clone(),
        handoffs.clone(),
        bot,
        clock.clone(),
    )
    .with_retry(RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(1),
        max: Duration::from_millis(2),
    });
    World {
        intake,
        bot: reply,
        store,
        inbound,
        handoffs,
        whatsapp,
        clock,
        n: std::cell::Cell::new(0),
    }
}

impl World {
    /// The customer writes; returns the queue records the intake produced.
    async fn customer(&self, text: &str) -> Vec<QueueRecord> {
        let n = self.n.get() + 1;
        self.n.set(n);
        let wamid = format!("wamid.in{n:03}");
        let body = text_notification(
            NUMBER,
            &[SampleText {
                wa_id: ANNA,
                profile_name: "Anna",
                wamid: &wamid,
                timestamp: T0 + n * 10,
                body: text,
            }],
        );
        self.clock
            .set(Timestamp::from_second(T0 + n * 10 + 1).unwrap());
        let report = self.intake.ingest(&plan(body.as_bytes()).unwrap()).await;
        assert_eq!(report.error, None);
        self.inbound
            .receive(10)
            .into_iter()
            .enumerate()
            .map(|(i, m)| QueueRecord {
                message_id: format!("m{n}-{i}"),
                group_id: Some(m.group_id.clone()),
                body: m.body,
            })
            .collect()
    }

    fn texts(&self) -> Vec<String> {
        self.whatsapp.sent().iter().map(|s| s.body.text()).collect()
    }

    fn ticket(&self) -> Ticket {
        self.store.tickets().pop().unwrap()
    }
}

#[tokio::test]
async fn the_bot_answers_a_new_customer_and_records_its_replies_on_the_ticket() {
    let w = world();
    let records = w.customer("Wo ist mein Paket?").await;
    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert_eq!(
        w.texts(),
        [
            "Hallo Anna! 👋 Willkommen beim Kundenservice von Nordlicht Mode.",
            "Gerne sehe ich nach! Wie lautet Ihre Bestellnummer? Sie steht in der Bestellbestätigung (5–8 Ziffern).",
        ]
    );
    assert_eq!(
        w.whatsapp.read().len(),
        1,
        "the customer's message is marked read"
    );
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Bot);
    assert_eq!(
        ticket.bot.as_ref().and_then(|b| b.step.as_deref()),
        Some("ask_order_id")
    );
    let messages = w.store.messages(ticket.id).await.unwrap();
    let outbound: Vec<_> = messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .collect();
    assert_eq!(outbound.len(), 2);
    assert!(
        messages
            .iter()
            .find(|m| m.direction == Direction::Inbound)
            .unwrap()
            .handled_at
            .is_some()
    );

    let records = w.customer("100234").await;
    w.bot.handle_batch(&records).await;
    assert!(w.texts()[2].starts_with("Ihre Bestellung 100234 ist unterwegs mit DHL"));
}

#[tokio::test]
async fn a_redelivered_queue_item_sends_no_second_reply() {
    let w = world();
    let records = w.customer("Hallo").await;
    w.bot.handle_batch(&records).await;
    let sent = w.whatsapp.sent().len();
    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert_eq!(w.whatsapp.sent().len(), sent);
}

#[tokio::test]
async fn a_rate_limit_then_success_sends_one_reply() {
    let w = world();
    w.whatsapp
        .inject_faults([WhatsAppError::classify(429, 130429, "slow down".into())]);
    let records = w.customer("Versandkosten?").await;
    assert!(w.bot.handle_batch(&records).await.is_empty());
    let texts = w.texts();
    assert_eq!(
        texts.iter().filter(|t| t.starts_with("Hallo Anna")).count(),
        1
    );
}

#[tokio::test]
async fn a_send_failure_is_retried_by_the_queue_and_finishes_without_deciding_again() {
    let w = world();
    // Every in-process attempt for the first reply fails: the record goes back to the queue.
    w.whatsapp
        .inject_faults((0..3).map(|_| WhatsAppError::classify(503, 0, "down".into())));
    let records = w.customer("Wo ist mein Paket?").await;
    assert_eq!(w.bot.handle_batch(&records).await, ["m1-0"]);
    assert!(w.texts().is_empty());
    let version = w.ticket().version;

    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert_eq!(w.texts().len(), 2, "greeting and question, once each");
    assert_eq!(
        w.ticket().version,
        version,
        "the turn was not decided twice"
    );
}

#[tokio::test]
async fn a_ticket_a_person_owns_gets_no_bot_reply() {
    let w = world();
    let records = w.customer("dringend, falsche Lieferadresse!").await;
    w.bot.handle_batch(&records).await;
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Queued);
    assert_eq!(ticket.priority, Some(Priority::Urgent));
    assert_eq!(ticket.handoff_reason, Some(HandoffReason::Urgent));
    let handoffs: Vec<HandoffItem> = w.handoffs.peek_as();
    assert_eq!(handoffs.len(), 1);
    assert_eq!(handoffs[0].transcript, format!("TICKET#{}", ticket.id));
    let sent = w.whatsapp.sent().len();

    let records = w.customer("Hallo? Ist da jemand?").await;
    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert_eq!(w.whatsapp.sent().len(), sent, "the bot stays silent");
}

#[tokio::test]
async fn a_confirmed_answer_resolves_the_ticket_by_the_bot() {
    let w = world();
    let records = w.customer("Wie hoch sind die Versandkosten?").await;
    w.bot.handle_batch(&records).await;
    let records = w.customer("Ja, danke").await;
    w.bot.handle_batch(&records).await;
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Resolved);
    assert!(ticket.resolved_by_bot);

    // The next question starts with the bot again, without a second greeting.
    let records = w.customer("Und wie kann ich bezahlen?").await;
    w.bot.handle_batch(&records).await;
    let ticket = w.ticket();
    assert_eq!(ticket.status, TicketStatus::Bot);
    assert!(w.texts().last().unwrap().starts_with("Konnte ich"));
    assert_eq!(
        w.texts()
            .iter()
            .filter(|t| t.starts_with("Hallo Anna"))
            .count(),
        1
    );
}

/// The bot of `w`, sending the re-engagement template outside the 24 h window.
fn with_reengagement_template(w: &World) -> BotReply {
    BotReply::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.handoffs.clone(),
        Bot::new(
            Arc::new(BotConfig::default_shop()),
            Arc::new(MemoryOrders::demo()),
        ),
        w.clock.clone(),
    )
    .with_reengagement_template(Some(Template {
        name: "service_followup".into(),
        language: "de".into(),
        components: vec![],
    }))
}

#[tokio::test]
async fn outside_the_service_window_only_the_template_goes_out() {
    let w = world();
    let records = w.customer("Hallo").await;
    w.store
        .set_consent(
            &crate::domain::ids::WaId::parse(ANNA).unwrap(),
            &crate::domain::consent::Consent {
                opted_in: true,
                at: w.clock.now(),
                source: "web_form".into(),
            },
        )
        .await
        .unwrap();
    w.clock.advance(SignedDuration::from_hours(25));
    let bot = with_reengagement_template(&w);
    bot.handle_batch(&records).await;
    let sent = w.whatsapp.sent();
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|s| s.body.is_template()));
}

#[tokio::test]
async fn a_failure_holds_back_later_messages_of_the_same_conversation_only() {
    let w = world();
    let mut records = w.customer("Hallo").await;
    records.extend(w.customer("2").await);
    let poison = QueueRecord {
        message_id: "poison".into(),
        group_id: Some("other#group".into()),
        body: "{not json".into(),
    };
    let mut batch = vec![poison.clone()];
    batch.extend(records.clone());
    // The first customer message fails to send (all attempts), so the second must wait.
    w.whatsapp
        .inject_faults((0..3).map(|_| WhatsAppError::classify(503, 0, "down".into())));
    let failed = w.bot.handle_batch(&batch).await;
    assert_eq!(failed, ["poison", "m1-0", "m2-0"]);
}

fn with_sla(w: &World) -> (BotReply, Arc<crate::ports::timers::MemoryTimers>) {
    let timers = Arc::new(crate::ports::timers::MemoryTimers::new());
    let bot = BotReply::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.handoffs.clone(),
        Bot::new(
            Arc::new(BotConfig::default_shop()),
            Arc::new(MemoryOrders::demo()),
        ),
        w.clock.clone(),
    )
    .with_sla(
        Arc::new(crate::domain::sla::SlaConfig::default_policies()),
        timers.clone(),
    );
    (bot, timers)
}

fn armed(timers: &crate::ports::timers::MemoryTimers) -> Vec<String> {
    // sla-<ticket>-<target>-g<generation>-s<stage>
    let mut names: Vec<String> = timers
        .armed()
        .iter()
        .map(|t| t.name.as_str().split('-').nth(2).unwrap_or("").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_new_ticket_arms_the_bot_time_limit_and_the_resolution_clock() {
    let w = world();
    let (bot, timers) = with_sla(&w);
    bot.handle_batch(&w.customer("Wo ist mein Paket?").await)
        .await;
    assert_eq!(armed(&timers), ["bot", "res"]);
    let bot_timer = timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-bot-"))
        .unwrap();
    // From when the customer wrote, a second before the bot's turn.
    assert_eq!(
        bot_timer.due_at,
        w.clock
            .now()
            .checked_add(SignedDuration::from_mins(5) - SignedDuration::from_secs(1))
            .unwrap()
    );
    let ticket = w.ticket();
    assert_eq!(
        ticket.sla.as_ref().map(|c| c.policy.as_str()),
        Some("standard")
    );
    // A redelivery arms nothing new.
    let before = timers.armed();
    assert_eq!(timers.armed(), before);
}

#[tokio::test]
async fn a_handoff_swaps_the_bot_timer_for_first_response_under_the_urgent_policy() {
    let w = world();
    let (bot, timers) = with_sla(&w);
    bot.handle_batch(&w.customer("Hallo").await).await;
    bot.handle_batch(&w.customer("DRINGEND: falsche Adresse").await)
        .await;
    assert_eq!(armed(&timers), ["fr", "res"]);
    let ticket = w.ticket();
    assert_eq!(
        ticket.sla.as_ref().map(|c| c.policy.as_str()),
        Some("urgent")
    );
    let fr = timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-fr-"))
        .unwrap();
    // Urgent: first response 30 min around the clock, warning at 80 %, from the customer's
    // message (a second before the bot's turn).
    assert_eq!(
        fr.due_at,
        w.clock
            .now()
            .checked_add(SignedDuration::from_mins(24) - SignedDuration::from_secs(1))
            .unwrap()
    );
    let res = timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-res-"))
        .unwrap();
    assert!(
        res.name.as_str().ends_with("-g1-s1"),
        "resolution re-armed under the urgent policy: {}",
        res.name.as_str()
    );
}

#[tokio::test]
async fn a_customer_writing_on_an_agents_ticket_is_forwarded_to_the_agent() {
    let w = world();
    let notifier = Arc::new(crate::ports::notify::MemoryNotifier::new());
    let bot = BotReply::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.handoffs.clone(),
        Bot::new(
            Arc::new(BotConfig::default_shop()),
            Arc::new(MemoryOrders::demo()),
        ),
        w.clock.clone(),
    )
    .with_notifier(notifier.clone());
    bot.handle_batch(
        &w.customer("Ich möchte mit einem Mitarbeiter sprechen")
            .await,
    )
    .await;
    assert!(notifier.sent().is_empty());
    bot.handle_batch(&w.customer("Hallo? Noch da?").await).await;
    let sent = notifier.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "customer_wrote");
    assert!(
        !sent[0].summary.contains("Noch da"),
        "no message text in notifications"
    );
}

#[tokio::test]
async fn without_consent_not_even_the_reengagement_template_goes_out() {
    let w = world();
    let records = w.customer("Hallo").await;
    w.clock.advance(SignedDuration::from_hours(25));
    let bot = with_reengagement_template(&w);
    assert!(
        bot.handle_batch(&records).await.is_empty(),
        "nothing to retry"
    );
    assert!(w.whatsapp.sent().is_empty());
}

#[tokio::test]
async fn each_batch_writes_one_metric_line_of_bot_messages_handoffs_and_failed_sends() {
    // GIVEN the bot with metrics, and WhatsApp down for one call
    let mut w = world();
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("bot-reply");
    w.bot = w.bot.with_metrics(metrics);
    w.whatsapp
        .inject_faults([WhatsAppError::classify(503, 0, "down".into())]);

    // WHEN a customer greets the bot
    w.bot.handle_batch(&w.customer("Hallo").await).await;
    // THEN one line counts the bot's messages, and one the failed call by its code
    let greeted = w.whatsapp.sent().len();
    let lines = capture.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["BotReplies"], greeted);
    assert_eq!(lines[0]["Function"], "bot-reply");
    assert_eq!(
        (&lines[1]["Code"], &lines[1]["SendFailures"]),
        (&"5xx".into(), &1.into())
    );

    // WHEN the customer asks for a person, and the queue delivers that record again
    let records = w.customer("dringend, falsche Lieferadresse!").await;
    w.bot.handle_batch(&records).await;
    w.bot.handle_batch(&records).await;
    // THEN the handoff is counted once, with its reason as a property
    let lines = capture.lines();
    assert_eq!(
        lines.len(),
        3,
        "a redelivery that does nothing writes nothing"
    );
    assert_eq!(lines[2]["Handoffs"], 1);
    assert_eq!(lines[2]["HandoffReasons"], serde_json::json!({"urgent": 1}));
    assert_eq!(capture.total("BotReplies"), w.whatsapp.sent().len() as f64);
}

/// Stores a customer message Meta stamped `sent_at` (seconds) now, and hands the bot what the
/// intake queued only after `late`, as after a crashed batch.
async fn late_turn(
    w: &crate::testkit::World,
    wamid: &str,
    text: &str,
    sent_at: i64,
    late: jiff::SignedDuration,
) {
    let body = crate::app::intake::webhook::sample::text_notification(
        "106540352242922",
        &[crate::app::intake::webhook::sample::SampleText {
            wa_id: "4915112345678",
            profile_name: "Anna",
            wamid,
            timestamp: sent_at,
            body: text,
        }],
    );
    let report = w
        .intake
        .ingest(&crate::app::intake::webhook::plan::plan(body.as_bytes()).unwrap())
        .await;
    assert_eq!(report.error, None);
    w.clock.advance(late);
    let records: Vec<QueueRecord> = w
        .inbound
        .receive(10)
        .into_iter()
        .map(QueueRecord::from)
        .collect();
    assert!(w.bot.handle_batch(&records).await.is_empty());
}

#[tokio::test]
async fn sla_clocks_run_from_when_the_customer_wrote_not_from_when_the_bot_got_to_it() {
    // GIVEN a request for a person the bot handles 3 minutes late
    let w = crate::testkit::world().await;
    let t0 = jiff::Timestamp::from_second(crate::testkit::T0).unwrap();
    late_turn(
        &w,
        "wamid.late1",
        "Ich möchte mit einem Mitarbeiter sprechen",
        crate::testkit::T0,
        jiff::SignedDuration::from_mins(3),
    )
    .await;
    // THEN every clock the customer started runs from their message
    let ticket = w.store.tickets().pop().unwrap();
    assert_eq!(ticket.status, TicketStatus::Queued);
    let clocks = ticket.sla.unwrap();
    for target in [
        crate::domain::sla::Target::Resolution,
        crate::domain::sla::Target::FirstResponse,
    ] {
        assert_eq!(clocks.clocks[&target].started_at, t0, "{target:?}");
    }
    let sla = crate::domain::sla::SlaConfig::default_policies();
    let policy = sla
        .policies
        .iter()
        .find(|p| p.name == clocks.policy)
        .unwrap();
    let warning = sla
        .schedule(policy, crate::domain::sla::Target::FirstResponse, t0, &[])
        .unwrap()
        .unwrap()
        .warning_at;
    let fr = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-fr-"))
        .unwrap();
    assert_eq!(fr.due_at, warning, "the warning is not 3 minutes late");
}

#[tokio::test]
async fn a_send_time_ahead_of_our_clock_counts_from_when_the_message_arrived() {
    // GIVEN a phone whose clock runs 10 minutes ahead, and a bot turn 1 minute late
    let w = crate::testkit::world().await;
    let t0 = jiff::Timestamp::from_second(crate::testkit::T0).unwrap();
    late_turn(
        &w,
        "wamid.ahead1",
        "Hallo",
        crate::testkit::T0 + 600,
        jiff::SignedDuration::from_mins(1),
    )
    .await;
    // THEN the bot's time limit runs from the arrival, not from the phone's future
    let bot = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-bot-"))
        .unwrap();
    assert_eq!(bot.due_at, t0 + jiff::SignedDuration::from_mins(5));
}

#[tokio::test]
async fn an_opt_out_in_the_customers_words_is_recorded_only_after_the_confirmation() {
    let w = world();
    let wa_id = crate::domain::ids::WaId::parse(ANNA).unwrap();
    w.store
        .set_consent(
            &wa_id,
            &Consent {
                opted_in: true,
                at: Timestamp::from_second(T0).unwrap(),
                source: "web_form".into(),
            },
        )
        .await
        .unwrap();
    let records = w
        .customer("Bitte schicken Sie mir keine Nachrichten mehr")
        .await;
    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert!(
        w.texts().last().unwrap().starts_with("Möchten Sie sich"),
        "{:?}",
        w.texts()
    );
    let before = w.store.consent(&wa_id).await.unwrap().unwrap();
    assert!(before.opted_in, "not before the customer confirms");

    let records = w.customer("Ja").await;
    assert!(w.bot.handle_batch(&records).await.is_empty());
    let after = w.store.consent(&wa_id).await.unwrap().unwrap();
    assert!(!after.opted_in);
    assert_eq!(after.source, "bot");
    assert!(w.texts().last().unwrap().starts_with("Sie sind abgemeldet"));

    // A redelivery of the confirmation records nothing new and sends nothing again.
    let sent = w.texts().len();
    assert!(w.bot.handle_batch(&records).await.is_empty());
    assert_eq!(w.texts().len(), sent);
}

#[tokio::test]
async fn an_opt_out_the_customer_declines_changes_nothing() {
    let w = world();
    let wa_id = crate::domain::ids::WaId::parse(ANNA).unwrap();
    let records = w.customer("please stop sending me messages").await;
    w.bot.handle_batch(&records).await;
    let records = w.customer("no").await;
    w.bot.handle_batch(&records).await;
    assert_eq!(w.store.consent(&wa_id).await.unwrap(), None);
    assert_eq!(w.texts().last().unwrap(), "All right, nothing changes.");
}

#[tokio::test]
async fn records_left_without_time_before_the_deadline_are_redelivered_not_started() {
    use crate::platform::deadline::{Deadline, START_RESERVE};
    let w = world();
    let mut records = w.customer("Hallo").await;
    records.extend(w.customer("Versandkosten?").await);
    let short = Deadline::after(START_RESERVE - Duration::from_secs(1));
    assert_eq!(
        w.bot.handle_batch_until(&records, short).await,
        ["m1-0", "m2-0"],
        "both go back to the queue, in order"
    );
    assert!(w.texts().is_empty(), "nothing was started");
    assert!(
        w.store
            .messages(w.ticket().id)
            .await
            .unwrap()
            .iter()
            .all(|m| m.handled_at.is_none())
    );

    let ample = Deadline::after(START_RESERVE * 4);
    assert!(w.bot.handle_batch_until(&records, ample).await.is_empty());
    assert!(
        !w.texts().is_empty(),
        "redelivered in time, they are answered"
    );
}

#[tokio::test]
async fn a_message_handled_again_after_a_store_failure_counts_its_intent_once() {
    use crate::ports::bot_feedback::{BotFeedback, MemoryBotFeedback, last_days};
    use crate::ports::store::StoreError;
    // A failure at every point of the turn's reads and writes: the turn is decided again (in
    // the handler's retry or on the queue's redelivery), and the per-intent counts behind the
    // containment and handoff rates must still see the message once.
    let mut doubled = Vec::new();
    for passes in 0..12 {
        let mut w = world();
        let feedback = Arc::new(MemoryBotFeedback::new());
        w.bot = w.bot.with_feedback(feedback.clone());
        let records = w.customer("wie hoch sind die versandkosten").await;
        w.store
            .fail_after(passes, [StoreError::Unavailable("down".into())]);
        let mut left = records.clone();
        for _ in 0..3 {
            if w.bot.handle_batch(&left).await.is_empty() {
                left.clear();
                break;
            }
            left = records.clone();
        }
        assert!(
            left.is_empty(),
            "handled in the end (failure after {passes} calls)"
        );
        w.store.clear_faults();
        let counts = feedback.counts(&last_days(w.clock.now(), 2)).await.unwrap();
        let shipping = counts.get("shipping").map(|c| c.total()).unwrap_or(0);
        if shipping != 1 {
            doubled.push((passes, shipping));
        }
    }
    assert!(
        doubled.is_empty(),
        "(failure after n store calls, count): {doubled:?}"
    );
}
