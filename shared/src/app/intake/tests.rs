use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::app::intake::webhook::plan::{DeliveryState, plan};
use crate::app::intake::webhook::sample::{
    SampleStatus, SampleText, status_notification, text_notification,
};
use crate::domain::ids::{PhoneNumberId, WaId, Wamid};
use crate::ports::clock::ManualClock;
use crate::ports::queue::MemoryQueue;
use crate::ports::store::MemoryStore;

const NUMBER: &str = "106540352242922";
const ANNA: &str = "4915112345678";
const T0: i64 = 1_764_061_200; // 2025-11-25T09:00:00Z

struct World {
    intake: Intake,
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    clock: Arc<ManualClock>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0 + 5).unwrap()));
    let store = Arc::new(MemoryStore::new());
    let queue = Arc::new(MemoryQueue::new(clock.clone()));
    let intake = Intake::new(
        store.clone(),
        queue.clone(),
        clock.clone(),
        ConversationWindow::default(),
    );
    World {
        intake,
        store,
        queue,
        clock,
    }
}

fn text(wamid: &str, at: i64) -> String {
    text_from(ANNA, wamid, at)
}

fn text_from(wa_id: &str, wamid: &str, at: i64) -> String {
    text_notification(
        NUMBER,
        &[SampleText {
            wa_id,
            profile_name: "Anna Müller",
            wamid,
            timestamp: at,
            body: "Wo ist mein Paket?",
        }],
    )
}

async fn deliver(w: &World, body: &str) -> IntakeReport {
    let plan = plan(body.as_bytes()).expect("valid webhook");
    w.intake.ingest(&plan).await
}

fn anna() -> WaId {
    WaId::parse(ANNA).unwrap()
}

#[tokio::test]
async fn a_first_message_opens_a_bot_ticket_stores_the_message_and_queues_it() {
    let w = world();
    let report = deliver(&w, &text("wamid.1", T0)).await;
    assert_eq!(report.error, None);
    assert_eq!(
        (report.stored, report.tickets_opened, report.enqueued),
        (1, 1, 1)
    );

    let tickets = w.store.tickets();
    assert_eq!(tickets.len(), 1);
    let ticket = &tickets[0];
    assert_eq!(ticket.status, crate::domain::ticket::TicketStatus::Bot);
    assert_eq!(ticket.customer_name.as_deref(), Some("Anna Müller"));
    let messages = w.store.messages(ticket.id).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text.as_deref(), Some("Wo ist mein Paket?"));
    assert_eq!(messages[0].sent_at, Timestamp::from_second(T0).unwrap());
    assert_eq!(messages[0].recorded_at, w.clock.now());

    let queued: Vec<crate::ports::queue::InboundQueueItem> = w.queue.peek_as();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].group_id(), format!("{NUMBER}#{ANNA}"));
    assert_eq!(queued[0].dedup_id(), "wamid.1");
    assert!(queued[0].opened_ticket);
    assert!(
        w.store
            .seen(&Wamid::parse("wamid.1").unwrap())
            .await
            .unwrap()
            .unwrap()
            .enqueued
    );
    let customer = w.store.customer(&anna()).await.unwrap().unwrap();
    assert_eq!(customer.profile_name.as_deref(), Some("Anna Müller"));
}

#[tokio::test]
async fn a_follow_up_within_the_window_joins_the_ticket() {
    let w = world();
    deliver(&w, &text("wamid.1", T0)).await;
    let report = deliver(&w, &text("wamid.2", T0 + 23 * 3600)).await;
    assert_eq!((report.stored, report.tickets_opened), (1, 0));
    let tickets = w.store.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].inbound_count, 2);
    assert_eq!(
        tickets[0].last_inbound_at,
        Timestamp::from_second(T0 + 23 * 3600).unwrap()
    );
    assert_eq!(w.store.messages(tickets[0].id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_message_after_the_window_opens_a_new_ticket() {
    let w = world();
    deliver(&w, &text("wamid.1", T0)).await;
    w.clock.advance(SignedDuration::from_hours(20));
    deliver(&w, &text("wamid.2", T0 + 20 * 3600)).await;
    // 24 h after the *last* customer message, plus one second.
    w.clock.advance(SignedDuration::from_hours(25));
    let report = deliver(&w, &text("wamid.3", T0 + 44 * 3600 + 1)).await;
    assert_eq!(report.tickets_opened, 1);
    let tickets = w.store.tickets();
    assert_eq!(tickets.len(), 2);
    let opened_by: Vec<&str> = tickets.iter().map(|t| t.opened_by.as_str()).collect();
    assert_eq!(
        opened_by,
        ["wamid.1", "wamid.3"],
        "ticket ids sort by creation time"
    );
    let key = ConversationKey {
        phone_number_id: PhoneNumberId::parse(NUMBER).unwrap(),
        wa_id: anna(),
    };
    assert_eq!(
        w.store.conversation(&key).await.unwrap().unwrap().ticket_id,
        tickets[1].id
    );
}

#[tokio::test]
async fn a_redelivered_webhook_stores_and_queues_nothing_new() {
    let w = world();
    let body = text("wamid.1", T0);
    deliver(&w, &body).await;
    w.clock.advance(SignedDuration::from_hours(6 * 24));
    let report = deliver(&w, &body).await;
    assert_eq!(report.error, None);
    assert_eq!(
        (report.stored, report.duplicates, report.enqueued),
        (0, 1, 0)
    );
    assert_eq!(w.store.tickets().len(), 1);
    assert_eq!(w.queue.len(), 1);
}

#[tokio::test]
async fn a_queue_failure_fails_the_webhook_and_the_retry_queues_it_once() {
    let w = world();
    w.queue
        .inject_faults([QueueError::Unavailable("sqs down".into())]);
    let body = text("wamid.1", T0);
    let report = deliver(&w, &body).await;
    assert!(report.error.as_ref().is_some_and(IntakeError::is_retryable));
    assert_eq!(report.stored, 1);
    assert!(w.queue.is_empty());

    let retry = deliver(&w, &body).await;
    assert_eq!(retry.error, None);
    assert_eq!((retry.stored, retry.duplicates, retry.enqueued), (0, 1, 1));
    assert_eq!(w.queue.len(), 1);
    assert_eq!(w.store.tickets().len(), 1);
    // A third delivery finds it queued and does nothing.
    let third = deliver(&w, &body).await;
    assert_eq!(third.enqueued, 0);
}

#[tokio::test]
async fn a_store_failure_stops_that_conversation_and_the_retry_keeps_the_order() {
    let w = world();
    let body = text_notification(
        NUMBER,
        &[
            SampleText {
                wa_id: ANNA,
                profile_name: "Anna",
                wamid: "wamid.1",
                timestamp: T0,
                body: "eins",
            },
            SampleText {
                wa_id: ANNA,
                profile_name: "Anna",
                wamid: "wamid.2",
                timestamp: T0 + 1,
                body: "zwei",
            },
        ],
    );
    let plan1 = plan(body.as_bytes()).unwrap();
    // seen(1), conversation and open_ticket(1) succeed; the 4th call, seen(2), fails.
    let faulty = FailNth::new(w.store.clone(), 4);
    let intake = Intake::new(
        Arc::new(faulty),
        w.queue.clone(),
        w.clock.clone(),
        ConversationWindow::default(),
    );
    let report = intake.ingest(&plan1).await;
    assert!(report.error.is_some());
    assert_eq!((report.stored, report.enqueued), (1, 1));

    let retry = deliver(&w, &body).await;
    assert_eq!(retry.error, None);
    assert_eq!((retry.stored, retry.duplicates), (1, 1));
    let order: Vec<String> = w.queue.peek().iter().map(|m| m.dedup_id.clone()).collect();
    assert_eq!(order, ["wamid.1", "wamid.2"]);
}

#[tokio::test]
async fn concurrent_first_messages_of_one_customer_open_exactly_one_ticket() {
    let w = Arc::new(world());
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move { deliver(&w, &text(&format!("wamid.{i}"), T0 + i)).await })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().error, None);
    }
    let tickets = w.store.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].inbound_count, 32);
    assert_eq!(w.queue.len(), 32);
}

#[tokio::test]
async fn a_conversation_that_stays_contended_is_retried_and_its_error_names_no_wamid() {
    // GIVEN a conversation every write of which loses to another writer
    let w = world();
    w.store.lose_races(MAX_ATTEMPTS);
    let wamid = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=";
    // WHEN Anna's message arrives
    let report = deliver(&w, &text(wamid, T0)).await;
    // THEN the webhook fails (Meta retries) with an error that shows the digest only
    let error = report.error.expect("contended").to_string();
    assert!(error.contains("another writer"), "{error}");
    assert!(
        error.contains(&Wamid::parse(wamid).unwrap().log_ref().to_string()),
        "{error}"
    );
    assert!(!error.contains("HBgN") && !error.contains(ANNA), "{error}");
    // AND the retry stores it
    assert_eq!(deliver(&w, &text(wamid, T0)).await.error, None);
    assert_eq!(w.store.tickets().len(), 1);
}

#[tokio::test]
async fn statuses_move_an_outbound_message_forward_only() {
    let w = world();
    deliver(&w, &text("wamid.in", T0)).await;
    let ticket = w.store.tickets()[0].id;
    let out = MessageRecord::outbound_text(
        ticket,
        Wamid::parse("wamid.OUT01").unwrap(),
        "Hallo Anna!",
        Timestamp::from_second(T0 + 10).unwrap(),
    );
    assert_eq!(
        w.store.record_outbound(&out).await.unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        w.store.record_outbound(&out).await.unwrap(),
        WriteOutcome::Duplicate
    );

    let status = |state: &'static str, at: i64| {
        status_notification(
            NUMBER,
            &[SampleStatus {
                wamid: "wamid.OUT01",
                status: state,
                recipient: ANNA,
                timestamp: at,
            }],
        )
    };
    assert_eq!(
        deliver(&w, &status("read", T0 + 30)).await.statuses_applied,
        1
    );
    let late = deliver(&w, &status("delivered", T0 + 20)).await;
    assert_eq!((late.statuses_applied, late.statuses_superseded), (0, 1));
    let unknown = deliver(
        &w,
        &status_notification(
            NUMBER,
            &[SampleStatus {
                wamid: "wamid.NEVER",
                status: "sent",
                recipient: ANNA,
                timestamp: T0,
            }],
        ),
    )
    .await;
    assert_eq!(
        (
            unknown.error,
            unknown.statuses_unknown,
            unknown.statuses_held
        ),
        (None, 0, 1),
        "a status before its message is kept for it"
    );

    let messages = w.store.messages(ticket).await.unwrap();
    let sent = messages
        .iter()
        .find(|m| m.direction == Direction::Outbound)
        .unwrap();
    assert_eq!(
        sent.delivery.as_ref().map(|d| d.state),
        Some(DeliveryState::Read)
    );
}

#[tokio::test]
async fn a_status_for_an_inbound_wamid_is_not_applied() {
    let w = world();
    deliver(&w, &text("wamid.in", T0)).await;
    let report = deliver(
        &w,
        &status_notification(
            NUMBER,
            &[SampleStatus {
                wamid: "wamid.in",
                status: "read",
                recipient: ANNA,
                timestamp: T0,
            }],
        ),
    )
    .await;
    assert_eq!(report.statuses_unknown, 1);
}

#[test]
fn chains_keep_a_conversation_split_over_batches_in_one_chain() {
    let key = |n: &str| ConversationKey {
        phone_number_id: PhoneNumberId::parse(NUMBER).unwrap(),
        wa_id: WaId::parse(n).unwrap(),
    };
    let item = |k: &ConversationKey, i: usize| {
        let at = Timestamp::from_second(T0).unwrap();
        pending(
            k,
            SeenMessage {
                wamid: Wamid::parse(&format!("wamid.{i}")).unwrap(),
                ticket_id: crate::domain::ids::TicketId::new(at),
                direction: Direction::Inbound,
                sent_at: at,
                enqueued: false,
            },
            false,
            Vec::new(),
        )
    };
    let (a, b, c) = (
        key("4915100000001"),
        key("4915100000002"),
        key("4915100000003"),
    );
    // 12 of a, 5 of b, 5 of c -> batches [a*10], [a*2 b*5 c*3], [c*2]
    let mut items: Vec<Pending> = (0..12).map(|i| item(&a, i)).collect();
    items.extend((12..17).map(|i| item(&b, i)));
    items.extend((17..22).map(|i| item(&c, i)));
    assert_eq!(
        chains(&items).len(),
        1,
        "every batch continues the previous one's conversation"
    );

    // 10 of a, then 10 of b: two independent chains.
    let mut items: Vec<Pending> = (0..10).map(|i| item(&a, i)).collect();
    items.extend((10..20).map(|i| item(&b, i)));
    assert_eq!(chains(&items).len(), 2);
}

/// Wraps a store and fails its n-th call (1-based) with an unavailable error.
struct FailNth {
    inner: Arc<MemoryStore>,
    calls: std::sync::atomic::AtomicUsize,
    n: usize,
}

impl FailNth {
    fn new(inner: Arc<MemoryStore>, n: usize) -> Self {
        Self {
            inner,
            calls: 0.into(),
            n,
        }
    }

    fn tick(&self) -> Result<(), StoreError> {
        let call = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if call == self.n {
            Err(StoreError::Unavailable("injected".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl TicketStore for FailNth {
    async fn seen(&self, wamid: &Wamid) -> Result<Option<SeenMessage>, StoreError> {
        self.tick()?;
        self.inner.seen(wamid).await
    }
    async fn conversation(
        &self,
        key: &ConversationKey,
    ) -> Result<Option<Conversation>, StoreError> {
        self.tick()?;
        self.inner.conversation(key).await
    }
    async fn open_ticket(
        &self,
        t: &Ticket,
        r: Option<TicketId>,
        m: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        self.tick()?;
        self.inner.open_ticket(t, r, m).await
    }
    async fn append_inbound(
        &self,
        c: &Conversation,
        m: &MessageRecord,
    ) -> Result<WriteOutcome, StoreError> {
        self.tick()?;
        self.inner.append_inbound(c, m).await
    }
    async fn mark_enqueued(&self, s: &SeenMessage) -> Result<(), StoreError> {
        self.inner.mark_enqueued(s).await
    }
    async fn record_outbound(&self, m: &MessageRecord) -> Result<WriteOutcome, StoreError> {
        self.inner.record_outbound(m).await
    }
    async fn apply_status(
        &self,
        u: &crate::app::intake::webhook::plan::StatusUpdate<'_>,
    ) -> Result<StatusOutcome, StoreError> {
        self.inner.apply_status(u).await
    }
    async fn save_profile_name(&self, w: &WaId, n: &str, at: Timestamp) -> Result<(), StoreError> {
        self.inner.save_profile_name(w, n, at).await
    }
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.inner.ticket(id).await
    }
    async fn messages(&self, id: TicketId) -> Result<Vec<MessageRecord>, StoreError> {
        self.inner.messages(id).await
    }
    async fn customer(
        &self,
        w: &WaId,
    ) -> Result<Option<crate::ports::store::Customer>, StoreError> {
        self.inner.customer(w).await
    }
    async fn update_customer(
        &self,
        read: Option<&crate::ports::store::Customer>,
        c: &crate::ports::store::Customer,
    ) -> Result<bool, StoreError> {
        self.inner.update_customer(read, c).await
    }
    async fn search(
        &self,
        key: &crate::ports::store::search::SearchKey,
        limit: u32,
    ) -> Result<Vec<crate::ports::store::search::SearchHit>, StoreError> {
        self.inner.search(key, limit).await
    }
    async fn message(
        &self,
        t: TicketId,
        at: Timestamp,
        w: &Wamid,
    ) -> Result<Option<MessageRecord>, StoreError> {
        self.inner.message(t, at, w).await
    }
    async fn commit_bot_turn(
        &self,
        turn: &crate::ports::store::BotTurnWrite<'_>,
    ) -> Result<crate::ports::store::TurnOutcome, StoreError> {
        self.inner.commit_bot_turn(turn).await
    }
    async fn outbox(
        &self,
        t: TicketId,
        w: &Wamid,
    ) -> Result<Vec<crate::ports::store::OutboxEntry>, StoreError> {
        self.inner.outbox(t, w).await
    }
    async fn complete_outbox(
        &self,
        e: &crate::ports::store::OutboxEntry,
        m: Option<&MessageRecord>,
    ) -> Result<(), StoreError> {
        self.inner.complete_outbox(e, m).await
    }
    async fn save_outbox_payload(
        &self,
        e: &crate::ports::store::OutboxEntry,
        payload: &str,
    ) -> Result<(), StoreError> {
        self.inner.save_outbox_payload(e, payload).await
    }
    async fn agents(&self) -> Result<Vec<crate::ports::store::Agent>, StoreError> {
        self.inner.agents().await
    }
    async fn add_agent(&self, a: &crate::ports::store::Agent) -> Result<(), StoreError> {
        self.inner.add_agent(a).await
    }
    async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        self.inner.claim_agent(id, now).await
    }
    async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        self.inner.release_agent(id).await
    }
    async fn release_agent_once(
        &self,
        entry: &crate::ports::store::OutboxEntry,
        id: &str,
    ) -> Result<(), StoreError> {
        self.inner.release_agent_once(entry, id).await
    }
    async fn customer_tickets(&self, w: &WaId) -> Result<Vec<Ticket>, StoreError> {
        self.inner.customer_tickets(w).await
    }
    async fn erase_ticket(&self, t: &Ticket) -> Result<usize, StoreError> {
        self.inner.erase_ticket(t).await
    }
    async fn erase_customer(&self, w: &WaId) -> Result<usize, StoreError> {
        self.inner.erase_customer(w).await
    }
    async fn consent(
        &self,
        w: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        self.inner.consent(w).await
    }
    async fn set_consent(
        &self,
        w: &WaId,
        c: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        self.inner.set_consent(w, c).await
    }
    async fn attach_media(
        &self,
        m: &MessageRecord,
        media: &crate::ports::media::MediaRecord,
    ) -> Result<(), StoreError> {
        self.inner.attach_media(m, media).await
    }
    async fn update_agent(
        &self,
        a: &crate::ports::store::Agent,
    ) -> Result<Option<crate::ports::store::Agent>, StoreError> {
        self.inner.update_agent(a).await
    }
    async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<crate::ports::store::Agent>, StoreError> {
        self.inner.set_presence(id, online, capacity).await
    }
    async fn activities(
        &self,
        id: TicketId,
    ) -> Result<Vec<crate::ports::store::Activity>, StoreError> {
        self.inner.activities(id).await
    }
    async fn list_tickets(
        &self,
        index: &crate::ports::store::TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<crate::ports::store::TicketPage, StoreError> {
        self.inner.list_tickets(index, limit, after).await
    }
    async fn record_stats(
        &self,
        event: &crate::ports::store::StatsEvent,
    ) -> Result<(), StoreError> {
        self.inner.record_stats(event).await
    }
    async fn stats(&self, day: &str) -> Result<Vec<crate::ports::store::StatsRow>, StoreError> {
        self.inner.stats(day).await
    }
    async fn record_audit(&self, r: &crate::ports::store::AuditRecord) -> Result<(), StoreError> {
        self.inner.record_audit(r).await
    }
    async fn audit(&self, day: &str) -> Result<Vec<crate::ports::store::AuditRecord>, StoreError> {
        self.inner.audit(day).await
    }
    fn retention(&self) -> Option<crate::ports::store::Retention> {
        self.inner.retention()
    }
    async fn change_marks(
        &self,
        t: Option<TicketId>,
    ) -> Result<crate::ports::store::changes::ChangeMarks, StoreError> {
        self.tick()?;
        self.inner.change_marks(t).await
    }
    async fn claim_agent_read(&self, t: TicketId, key: &str) -> Result<bool, StoreError> {
        self.tick()?;
        self.inner.claim_agent_read(t, key).await
    }
    async fn release_agent_read(&self, t: TicketId, key: &str) -> Result<(), StoreError> {
        self.tick()?;
        self.inner.release_agent_read(t, key).await
    }
    async fn owned_docs(
        &self,
        kind: crate::ports::store::OwnedKind,
        owner: &str,
    ) -> Result<Vec<crate::ports::store::OwnedDoc>, StoreError> {
        self.tick()?;
        self.inner.owned_docs(kind, owner).await
    }
    async fn put_owned_doc(
        &self,
        doc: &crate::ports::store::OwnedDoc,
    ) -> Result<crate::ports::store::OwnedWrite, StoreError> {
        self.tick()?;
        self.inner.put_owned_doc(doc).await
    }
    async fn delete_owned_doc(
        &self,
        kind: crate::ports::store::OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<crate::ports::store::OwnedWrite, StoreError> {
        self.tick()?;
        self.inner.delete_owned_doc(kind, owner, id, version).await
    }
}

#[tokio::test]
async fn a_status_that_overtakes_its_message_is_applied_when_the_message_is_recorded() {
    // GIVEN Meta's "delivered" and "sent" for a reply we have not recorded yet
    let w = world();
    deliver(&w, &text("wamid.in1", T0)).await;
    let ticket = w.store.tickets()[0].id;
    let status = |wamid: &'static str, state: &'static str, at: i64| {
        status_notification(
            NUMBER,
            &[SampleStatus {
                wamid,
                status: state,
                recipient: ANNA,
                timestamp: at,
            }],
        )
    };
    for (wamid, state, at) in [
        ("wamid.OUT-A", "delivered", T0 + 12),
        ("wamid.OUT-A", "sent", T0 + 11),
        ("wamid.OUT-B", "read", T0 + 13),
    ] {
        let report = deliver(&w, &status(wamid, state, at)).await;
        assert_eq!((report.error, report.statuses_held), (None, 1), "{state}");
    }
    let reply = |wamid: &str| MessageRecord {
        recorded_at: Timestamp::from_second(T0 + 14).unwrap(),
        ..MessageRecord::outbound_text(
            ticket,
            Wamid::parse(wamid).unwrap(),
            "Hallo Anna!",
            Timestamp::from_second(T0 + 10).unwrap(),
        )
    };

    // WHEN the messages are recorded: one directly, one as a bot turn's sent reply
    w.store
        .record_outbound(&reply("wamid.OUT-A"))
        .await
        .unwrap();
    let entry = crate::ports::store::OutboxEntry {
        ticket_id: ticket,
        inbound: Wamid::parse("wamid.in1").unwrap(),
        seq: 9,
        kind: crate::ports::store::OutboxKind::WhatsApp,
        payload: "{}".into(),
        done: false,
    };
    let turn = crate::ports::store::BotTurnWrite {
        ticket: &{
            let mut t = w.store.ticket(ticket).await.unwrap().unwrap();
            t.version += 1;
            t
        },
        message: None,
        outbox: std::slice::from_ref(&entry),
        activity: &[],
        tags_before: &[],
        now: Timestamp::from_second(T0 + 10).unwrap(),
    };
    w.store.commit_bot_turn(&turn).await.unwrap();
    w.store
        .complete_outbox(&entry, Some(&reply("wamid.OUT-B")))
        .await
        .unwrap();

    // THEN each shows the best state Meta reported, at Meta's time
    let messages = w.store.messages(ticket).await.unwrap();
    let delivery = |wamid: &str| {
        messages
            .iter()
            .find(|m| m.wamid.as_str() == wamid)
            .and_then(|m| m.delivery.as_ref())
            .map(|d| (d.state, d.at.as_second()))
    };
    assert_eq!(
        delivery("wamid.OUT-A"),
        Some((DeliveryState::Delivered, T0 + 12))
    );
    assert_eq!(
        delivery("wamid.OUT-B"),
        Some((DeliveryState::Read, T0 + 13))
    );
    // A later status applies as usual; the kept one is gone.
    let report = deliver(&w, &status("wamid.OUT-A", "read", T0 + 20)).await;
    assert_eq!(report.statuses_applied, 1);
}

mod template_status {
    use super::*;
    use crate::app::intake::webhook::sample::{SampleTemplateStatus, template_status_notification};
    use crate::app::templates::TemplateSync;
    use crate::domain::config_doc::ConfigKind;
    use crate::domain::templates::{NewTemplate, TemplateCatalog};
    use crate::ports::config_docs::{
        ConfigDocs as _, MemoryConfigDocs, seed_missing, shipped_bodies,
    };
    use crate::ports::whatsapp::MemoryTemplates;

    struct Templates {
        w: World,
        docs: Arc<MemoryConfigDocs>,
        id: u64,
    }

    /// Intake with the template catalogue, where an admin submitted `order_update` (PENDING).
    async fn with_pending_template() -> Templates {
        let mut w = world();
        let docs = Arc::new(MemoryConfigDocs::new());
        seed_missing(docs.as_ref(), &shipped_bodies(), w.clock.now())
            .await
            .unwrap();
        let admin = TemplateSync::new(docs.clone(), w.clock.clone())
            .with_meta(Arc::new(MemoryTemplates::shipped()));
        let t = admin
            .submit(&NewTemplate {
                name: "order_update".into(),
                language: "en".into(),
                category: "UTILITY".into(),
                body: "Hi {{1}}".into(),
                examples: vec!["Anna".into()],
            })
            .await
            .unwrap();
        let placeholder = Intake::new(
            w.store.clone(),
            w.queue.clone(),
            w.clock.clone(),
            ConversationWindow::default(),
        );
        w.intake = std::mem::replace(&mut w.intake, placeholder)
            .with_templates(Arc::new(TemplateSync::new(docs.clone(), w.clock.clone())));
        Templates {
            w,
            docs,
            id: t.id.unwrap().parse().unwrap(),
        }
    }

    fn update(id: u64, event: &str, time: i64) -> String {
        template_status_notification(&SampleTemplateStatus {
            account: "102290129340398",
            time,
            template_id: id,
            name: "order_update",
            language: "en",
            event,
            reason: "NONE",
        })
    }

    async fn status(t: &Templates) -> String {
        let v = t
            .docs
            .published(ConfigKind::Templates)
            .await
            .unwrap()
            .unwrap();
        let c = TemplateCatalog::parse(&v.body, "t").unwrap();
        c.find("order_update", "en").unwrap().status().to_owned()
    }

    async fn latest(t: &Templates) -> u32 {
        t.docs
            .head(ConfigKind::Templates)
            .await
            .unwrap()
            .unwrap()
            .latest
    }

    #[tokio::test]
    async fn an_approval_from_meta_is_stored_once_however_often_it_is_delivered() {
        let t = with_pending_template().await;
        let body = update(t.id, "APPROVED", T0 + 60);
        let report = deliver(&t.w, &body).await;
        assert_eq!(report.templates_applied, 1, "{report:?}");
        assert!(report.error.is_none());
        assert_eq!(status(&t).await, "APPROVED");
        let version = latest(&t).await;
        // Meta delivers the same webhook again.
        let again = deliver(&t.w, &body).await;
        assert_eq!((again.templates_applied, again.templates_unchanged), (0, 1));
        assert_eq!(latest(&t).await, version, "no new version for a redelivery");
        // Nothing of it is a customer message.
        assert_eq!((report.stored, report.enqueued), (0, 0));
    }

    #[tokio::test]
    async fn an_older_update_arriving_late_does_not_bring_back_an_older_status() {
        let t = with_pending_template().await;
        deliver(&t.w, &update(t.id, "APPROVED", T0 + 120)).await;
        deliver(&t.w, &update(t.id, "PAUSED", T0 + 600)).await;
        assert_eq!(status(&t).await, "PAUSED");
        // The approval is delivered again, late: the pause stays.
        let late = deliver(&t.w, &update(t.id, "APPROVED", T0 + 120)).await;
        assert_eq!(late.templates_unchanged, 1);
        assert_eq!(status(&t).await, "PAUSED");
    }

    #[tokio::test]
    async fn a_malformed_status_update_is_counted_not_refused_and_stores_nothing() {
        // A 400 would make Meta send the whole body again, messages beside it included.
        let t = with_pending_template().await;
        let before = latest(&t).await;
        for body in [
            update(t.id, "approved", T0),
            update(t.id, "APPROVED", T0).replace(r#""message_template_name":"order_update","#, ""),
            update(t.id, "APPROVED", T0).replace(&t.id.to_string(), r#"{"x":1}"#),
        ] {
            let p = plan(body.as_bytes()).unwrap();
            assert!(p.template_updates.is_empty(), "{body}");
            assert_eq!(p.summary.unreadable_template_updates, 1, "{body}");
            let report = deliver(&t.w, &body).await;
            assert_eq!(report.templates_unchanged, 0, "{body}");
        }
        assert_eq!(latest(&t).await, before);
    }

    #[tokio::test]
    async fn a_status_update_is_read_whole_and_beside_messages() {
        let body = update(7, "REJECTED", T0);
        let p = plan(body.as_bytes()).unwrap();
        assert_eq!(p.template_updates.len(), 1);
        let u = &p.template_updates[0];
        assert_eq!(
            (u.id.as_deref(), u.event.as_str(), u.at.as_second()),
            (Some("7"), "REJECTED", T0)
        );
        // The one-pass reader and the exact reader agree.
        assert_eq!(
            crate::app::intake::webhook::plan::plan_exact(body.as_bytes()).unwrap(),
            p
        );
    }
}
