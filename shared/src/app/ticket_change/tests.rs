use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::app::outbox::OutboundEntry;
use crate::ports::clock::Clock;
use crate::ports::store::{ActivityKind, OutboxKind};
use crate::ports::whatsapp::{OutboundBody, WhatsAppError};
use crate::testkit::{World, save, world};

/// A test change: files the ticket under `category` and tells the customer; done before when the
/// ticket already has that category. `race` tickets are changed by someone else while it decides.
struct Categorise {
    category: &'static str,
    decided: AtomicUsize,
    race: AtomicUsize,
    claim: Option<&'static str>,
    store: Arc<crate::ports::store::MemoryStore>,
}

impl Categorise {
    fn new(w: &World, category: &'static str) -> Self {
        Self {
            category,
            decided: AtomicUsize::new(0),
            race: AtomicUsize::new(0),
            claim: None,
            store: w.store.clone(),
        }
    }
}

impl TicketChange for Categorise {
    type Input = ();
    type Outcome = &'static str;
    type Error = HandlerError;

    fn missing(&self, id: TicketId) -> HandlerError {
        HandlerError::Poison(format!("no ticket {id}"))
    }

    fn actor(&self) -> &str {
        "maria"
    }

    async fn gather(&self, ticket: &Ticket) -> Result<Gathered<()>, HandlerError> {
        let mut claimed = None;
        if let Some(agent) = self.claim {
            assert!(self.store.claim_agent(agent, ticket.updated_at).await?);
            claimed = Some(agent.to_owned());
        }
        if self.race.load(Ordering::SeqCst) > 0 {
            self.race.fetch_sub(1, Ordering::SeqCst);
            // Someone else stores the ticket meanwhile.
            let mut other = ticket.clone();
            other.priority = Some(crate::domain::bot::Priority::High);
            save(&self.store, other, ticket.updated_at).await;
        }
        Ok(Gathered { input: (), claimed })
    }

    fn decide(
        &self,
        ticket: &Ticket,
        _: (),
        draft: &mut Draft,
    ) -> Result<Decision<&'static str>, HandlerError> {
        self.decided.fetch_add(1, Ordering::SeqCst);
        if ticket.category.as_deref() == Some(self.category) {
            return Ok(Decision::Keep {
                outcome: "done before",
                flush: true,
            });
        }
        draft.next.category = Some(self.category.to_owned());
        draft.log(ActivityKind::Category, Some(self.category.into()), vec![]);
        draft.outbox.push(
            OutboxKind::WhatsApp,
            &OutboundEntry {
                body: OutboundBody::Text {
                    body: format!("Filed under {}", self.category),
                },
                sent_by: Some("maria".into()),
                attachment: None,
            },
        );
        Ok(Decision::Write("filed"))
    }
}

fn changer(w: &World) -> TicketChanger {
    let mut outbox = OutboxRunner::new(
        w.store.clone(),
        w.whatsapp.clone(),
        w.inbound.clone(),
        w.clock.clone(),
    );
    outbox.retry = crate::ports::whatsapp::RetryPolicy {
        attempts: 3,
        base: std::time::Duration::from_millis(1),
        max: std::time::Duration::from_millis(2),
    };
    TicketChanger::new(w.store.clone(), outbox)
}

async fn ticket(w: &World) -> TicketId {
    w.customer("wamid.change-1", "Hallo").await
}

fn filed(w: &World) -> usize {
    w.whatsapp
        .sent()
        .iter()
        .filter(|m| format!("{:?}", m.body).contains("Filed under"))
        .count()
}

#[tokio::test]
async fn a_change_is_stored_one_version_up_and_its_outbox_done() {
    let w = world().await;
    let id = ticket(&w).await;
    let before = w.store.ticket(id).await.unwrap().unwrap();
    let key = ChangeKey::parse("test.1").unwrap();
    let change = Categorise::new(&w, "billing");

    let changed = changer(&w).change(id, &key, &change).await.unwrap();

    assert!(changed.written);
    assert_eq!(changed.outcome, "filed");
    assert_eq!(changed.sent, 1);
    let stored = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(stored.version, before.version + 1);
    assert_eq!(stored.category.as_deref(), Some("billing"));
    let log = w.store.activities(id).await.unwrap();
    assert!(log.iter().any(|a| a.id == "test.1-1" && a.actor == "maria"));
    assert_eq!(filed(&w), 1);
}

#[tokio::test]
async fn changes_within_one_millisecond_are_logged_in_the_order_they_happened() {
    let w = world().await;
    let id = ticket(&w).await;
    // The clock stands still; the second key sorts before the first.
    for (key, category) in [("api.zz", "billing"), ("api.aa", "shipping")] {
        let key = ChangeKey::parse(key).unwrap();
        let change = Categorise::new(&w, category);
        changer(&w).change(id, &key, &change).await.unwrap();
    }
    let log: Vec<_> = w.store.activities(id).await.unwrap();
    let filed: Vec<_> = log
        .iter()
        .filter(|a| a.kind == ActivityKind::Category)
        .filter_map(|a| a.text.as_deref())
        .collect();
    assert_eq!(filed, ["billing", "shipping"]);
}

#[tokio::test]
async fn a_ticket_changed_meanwhile_is_read_and_decided_again() {
    let w = world().await;
    let id = ticket(&w).await;
    let key = ChangeKey::parse("test.2").unwrap();
    let change = Categorise::new(&w, "billing");
    change.race.store(2, Ordering::SeqCst);

    let changed = changer(&w).change(id, &key, &change).await.unwrap();

    assert_eq!(change.decided.load(Ordering::SeqCst), 3);
    let stored = w.store.ticket(id).await.unwrap().unwrap();
    // Both writers' changes are kept: the other one's priority and this category.
    assert_eq!(stored.priority, Some(crate::domain::bot::Priority::High));
    assert_eq!(stored.category.as_deref(), Some("billing"));
    assert_eq!(changed.ticket, stored);
    assert_eq!(filed(&w), 1);
}

#[tokio::test]
async fn a_ticket_that_keeps_changing_gives_up_after_the_attempts_with_a_retryable_error() {
    let w = world().await;
    let id = ticket(&w).await;
    let key = ChangeKey::parse("test.3").unwrap();
    let change = Categorise::new(&w, "billing");
    change.race.store(MAX_ATTEMPTS, Ordering::SeqCst);

    let err = changer(&w).change(id, &key, &change).await.unwrap_err();

    assert!(err.is_retryable(), "{err}");
    assert_eq!(change.decided.load(Ordering::SeqCst), MAX_ATTEMPTS);
    assert_eq!(filed(&w), 0);
}

#[tokio::test]
async fn a_capacity_claim_is_given_back_when_the_change_loses_a_race() {
    let w = world().await;
    let id = ticket(&w).await;
    let key = ChangeKey::parse("test.4").unwrap();
    let mut change = Categorise::new(&w, "billing");
    change.claim = Some("lea");
    change.race.store(1, Ordering::SeqCst);

    changer(&w).change(id, &key, &change).await.unwrap();

    let lea = w.store.agents().await.unwrap();
    let lea = lea.iter().find(|a| a.id == "lea").unwrap();
    // Claimed at both attempts, given back after the lost one.
    assert_eq!(lea.load, 1);
}

#[tokio::test]
async fn a_repeat_finishes_the_pending_outbox_and_sends_nothing_twice() {
    let w = world().await;
    let id = ticket(&w).await;
    let key = ChangeKey::parse("test.5").unwrap();
    // WhatsApp is down at the first send: the change is stored, its message still pending.
    w.whatsapp
        .inject_faults((0..3).map(|_| WhatsAppError::classify(503, 0, "down".into())));
    let first = changer(&w)
        .change(id, &key, &Categorise::new(&w, "billing"))
        .await;
    assert!(first.is_err(), "the failed send is reported");
    assert_eq!(filed(&w), 0);
    let version = w.store.ticket(id).await.unwrap().unwrap().version;

    let repeat = changer(&w)
        .change(id, &key, &Categorise::new(&w, "billing"))
        .await
        .unwrap();
    assert!(!repeat.written);
    assert_eq!(repeat.outcome, "done before");
    assert_eq!(repeat.sent, 1);
    let again = changer(&w)
        .change(id, &key, &Categorise::new(&w, "billing"))
        .await
        .unwrap();
    assert_eq!(again.sent, 0);

    assert_eq!(filed(&w), 1, "sent exactly once");
    assert_eq!(w.store.ticket(id).await.unwrap().unwrap().version, version);
}

#[tokio::test]
async fn a_missing_ticket_is_the_changes_own_error() {
    let w = world().await;
    let key = ChangeKey::parse("test.6").unwrap();
    let err = changer(&w)
        .change(
            TicketId::new(w.clock.now()),
            &key,
            &Categorise::new(&w, "billing"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HandlerError::Poison(_)), "{err}");
}

#[test]
fn a_change_key_shows_in_debug_output_only_as_a_digest() {
    let key = ChangeKey::parse("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA").unwrap();
    assert!(!format!("{key:?}").contains("HBgN"));
    assert!(ChangeKey::parse("").is_err());
}
