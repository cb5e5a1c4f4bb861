use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::bot::{Bot, BotConfig};
use crate::clock::ManualClock;
use crate::intake::Intake;
use crate::orders::MemoryOrders;
use crate::queue::MemoryQueue;
use crate::reply::{BotReply, QueueRecord};
use crate::store::MemoryStore;
use crate::ticket::ConversationWindow;
use crate::timers::MemoryTimers;
use crate::webhook::plan::plan;
use crate::webhook::sample::{SampleText, text_notification};
use crate::whatsapp::MemoryWhatsApp;

/// Tue 24 Nov 2026 10:00 Berlin.
const T0: i64 = 1_795_510_800;

struct World {
    intake: Intake,
    bot: BotReply,
    desk: AgentDesk,
    store: Arc<MemoryStore>,
    inbound: Arc<MemoryQueue>,
    whatsapp: Arc<MemoryWhatsApp>,
    timers: Arc<MemoryTimers>,
    clock: Arc<ManualClock>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0).unwrap()));
    let store = Arc::new(MemoryStore::new());
    let inbound = Arc::new(MemoryQueue::new(clock.clone()));
    let handoffs = Arc::new(MemoryQueue::new(clock.clone()));
    let whatsapp = Arc::new(MemoryWhatsApp::new());
    let timers = Arc::new(MemoryTimers::new());
    let sla = Arc::new(SlaConfig::default_policies());
    let bot = BotReply::new(
        store.clone(),
        whatsapp.clone(),
        handoffs.clone(),
        Bot::new(
            Arc::new(BotConfig::default_shop()),
            Arc::new(MemoryOrders::demo()),
        ),
        clock.clone(),
    )
    .with_sla(sla.clone(), timers.clone());
    let desk = AgentDesk::new(store.clone(), whatsapp.clone(), handoffs, clock.clone())
        .with_sla(sla, timers.clone());
    World {
        intake: Intake::new(
            store.clone(),
            inbound.clone(),
            clock.clone(),
            ConversationWindow::default(),
        ),
        bot,
        desk,
        store,
        inbound,
        whatsapp,
        timers,
        clock,
    }
}

impl World {
    async fn customer(&self, wamid: &str, text: &str) -> TicketId {
        let body = text_notification(
            "106540352242922",
            &[SampleText {
                wa_id: "4915112345678",
                profile_name: "Anna",
                wamid,
                timestamp: self.clock.now().as_second(),
                body: text,
            }],
        );
        self.intake.ingest(&plan(body.as_bytes()).unwrap()).await;
        let records: Vec<QueueRecord> = self
            .inbound
            .receive(10)
            .into_iter()
            .map(|m| QueueRecord {
                message_id: m.dedup_id.clone(),
                group_id: Some(m.group_id),
                body: m.body,
            })
            .collect();
        assert!(self.bot.handle_batch(&records).await.is_empty());
        self.store.tickets().pop().unwrap().id
    }

    fn armed(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .timers
            .armed()
            .iter()
            .map(|t| {
                t.name
                    .as_str()
                    .split('-')
                    .skip(2)
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .collect();
        names.sort();
        names
    }
}

fn reply(text: &str) -> AgentAction {
    AgentAction::Reply { text: text.into() }
}

#[tokio::test]
async fn an_agents_reply_reaches_the_customer_and_meets_first_response() {
    let w = world();
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    assert_eq!(w.armed(), ["fr-g0-s1", "res-g0-s1"]);
    w.clock.advance(SignedDuration::from_mins(10));
    let ticket = w
        .desk
        .act(
            id,
            "maria",
            &reply("Hallo Anna, ich kümmere mich darum."),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ticket.status, TicketStatus::Assigned);
    assert_eq!(ticket.assignee.as_deref(), Some("maria"));
    assert_eq!(
        w.whatsapp.sent().last().unwrap().body.text(),
        "Hallo Anna, ich kümmere mich darum."
    );
    assert_eq!(w.armed(), ["res-g0-s1"], "the first-response timer is gone");
    let outbound = w
        .store
        .messages(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == crate::store::Direction::Outbound)
        .count();
    assert!(
        outbound >= 2,
        "the agent's reply is on the ticket with the bot's"
    );
}

#[tokio::test]
async fn waiting_on_the_customer_pauses_and_their_answer_resumes_with_later_deadlines() {
    let w = world();
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    w.desk
        .act(id, "maria", &reply("Welche Bestellnummer?"), None)
        .await
        .unwrap();
    let res_before = w.timers.armed()[0].due_at;
    w.desk
        .act(id, "maria", &AgentAction::SetPending, None)
        .await
        .unwrap();
    assert!(w.armed().is_empty(), "paused: no timers");

    w.clock.advance(SignedDuration::from_hours(1));
    w.customer("wamid.2", "100234").await;
    let ticket = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.status, TicketStatus::Assigned);
    assert_eq!(
        w.armed(),
        ["nr-g0-s1", "res-g1-s1"],
        "next response starts, resolution resumes"
    );
    let res = w
        .timers
        .armed()
        .into_iter()
        .find(|t| t.name.as_str().contains("-res-"))
        .unwrap();
    assert_eq!(
        res.due_at,
        res_before
            .checked_add(SignedDuration::from_hours(1))
            .unwrap(),
        "pushed by the pause"
    );
}

#[tokio::test]
async fn resolving_disarms_every_timer() {
    let w = world();
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let ticket = w
        .desk
        .act(id, "maria", &AgentAction::Resolve, None)
        .await
        .unwrap();
    assert_eq!(ticket.status, TicketStatus::Resolved);
    assert!(w.armed().is_empty());
    let err = w
        .desk
        .act(id, "maria", &reply("Noch etwas?"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let w = world();
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let version = w.store.ticket(id).await.unwrap().unwrap().version;
    w.desk
        .act(id, "maria", &reply("Hallo"), Some(version))
        .await
        .unwrap();
    let err = w
        .desk
        .act(id, "tom", &reply("Hallo auch"), Some(version))
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::Conflict { .. }), "{err}");
    assert_eq!(
        w.store
            .ticket(id)
            .await
            .unwrap()
            .unwrap()
            .assignee
            .as_deref(),
        Some("maria")
    );
}

#[tokio::test]
async fn replies_outside_the_window_or_empty_are_refused() {
    let w = world();
    let id = w
        .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    assert!(matches!(
        w.desk.act(id, "maria", &reply("  "), None).await,
        Err(AgentError::Invalid(_))
    ));
    assert!(matches!(
        w.desk.act(id, "", &reply("Hallo"), None).await,
        Err(AgentError::Invalid(_))
    ));
    w.clock.advance(SignedDuration::from_hours(25));
    assert_eq!(
        w.desk
            .act(id, "maria", &reply("Hallo"), None)
            .await
            .unwrap_err(),
        AgentError::OutsideServiceWindow
    );
    let missing = TicketId::new(Timestamp::from_second(T0).unwrap());
    assert_eq!(
        w.desk
            .act(missing, "maria", &reply("Hallo"), None)
            .await
            .unwrap_err(),
        AgentError::NotFound(missing)
    );
}
