//! The in-memory helpdesk for unit tests: intake, bot, agent desk over memory adapters on a
//! manual clock, with demo agents.

pub mod api;

use std::sync::Arc;

use jiff::Timestamp;

use crate::ports::clock::Clock;

use crate::app::agent_api::desk::AgentAction;
use crate::app::agent_api::desk::AgentDesk;
use crate::app::bot_reply::{BotReply, QueueRecord};
use crate::app::intake::Intake;
use crate::app::intake::webhook::plan::plan;
use crate::app::intake::webhook::sample::{SampleText, text_notification};
use crate::domain::ids::TicketId;
use crate::domain::ticket::Ticket;
use crate::platform::handlers::{self, MemoryPorts, Ports, Settings};
use crate::ports::clock::ManualClock;
use crate::ports::notify::MemoryNotifier;
use crate::ports::queue::MemoryQueue;
use crate::ports::store::MemoryStore;
use crate::ports::store::TicketStore;
use crate::ports::timers::MemoryTimers;
use crate::ports::whatsapp::MemoryWhatsApp;

/// Tue 24 Nov 2026 10:00 Berlin.
pub(crate) const T0: i64 = 1_795_510_800;

pub(crate) struct World {
    pub(crate) intake: Intake,
    pub(crate) bot: BotReply,
    pub(crate) desk: Arc<AgentDesk>,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) inbound: Arc<MemoryQueue>,
    pub(crate) whatsapp: Arc<MemoryWhatsApp>,
    /// Customers' media and agents' uploads.
    pub(crate) media: Arc<crate::ports::media::MemoryMediaStore>,
    pub(crate) timers: Arc<MemoryTimers>,
    pub(crate) notices: Arc<MemoryNotifier>,
    pub(crate) clock: Arc<ManualClock>,
    /// The configuration documents (empty: the handlers run the shipped files).
    pub(crate) config_docs: Arc<crate::ports::config_docs::MemoryConfigDocs>,
    pub(crate) bot_feedback: Arc<crate::ports::bot_feedback::MemoryBotFeedback>,
    /// Ticket events the handlers published.
    pub(crate) events: Arc<crate::ports::events::MemoryEventBus>,
}

pub(crate) fn agent(id: &str, capacity: u32) -> crate::ports::store::Agent {
    crate::ports::store::Agent {
        id: id.into(),
        name: id.into(),
        teams: vec!["support".into()],
        languages: vec![crate::domain::bot::Lang::De],
        capacity,
        load: 0,
        online: true,
        last_assigned_at: None,
        deactivated_at: None,
    }
}

/// Stores a ticket a test changed, as a writer would: one version up, nothing else written.
pub(crate) async fn save(store: &MemoryStore, mut ticket: Ticket, now: Timestamp) {
    ticket.version += 1;
    let write = crate::ports::store::BotTurnWrite {
        ticket: &ticket,
        message: None,
        outbox: &[],
        activity: &[],
        tags_before: &[],
        now,
    };
    assert_eq!(
        store.commit_bot_turn(&write).await.unwrap(),
        crate::ports::store::TurnOutcome::Committed
    );
}

pub(crate) async fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_second(T0).unwrap()));
    let memory = MemoryPorts::new(clock.clone());
    let whatsapp = Arc::new(MemoryWhatsApp::new());
    let ports = Ports::memory(&memory, clock.clone(), whatsapp.clone());
    let settings = Settings::shipped();
    // Here intake arms no SLA timers (the bot does) and the bot tells no agent: the tests count
    // the desk's timers and notices.
    let intake = handlers::intake(
        &Ports {
            timers: None,
            ..ports.clone()
        },
        &settings,
    )
    .unwrap();
    let bot = handlers::bot_reply(
        &Ports {
            notify: None,
            ..ports.clone()
        },
        &settings,
    )
    .unwrap();
    let desk = Arc::new(handlers::agent_desk(&ports, &settings).unwrap());
    for a in [agent("maria", 3), agent("tom", 1), agent("lea", 2)] {
        memory.store.add_agent(&a).await.unwrap();
    }
    World {
        intake,
        bot,
        desk,
        store: memory.store,
        inbound: memory.inbound,
        whatsapp,
        media: memory.media,
        timers: memory.timers,
        notices: memory.notifier,
        clock,
        config_docs: memory.config_docs,
        bot_feedback: memory.bot_feedback,
        events: memory.events,
    }
}

impl World {
    pub(crate) async fn customer(&self, wamid: &str, text: &str) -> TicketId {
        self.customer_as("4915112345678", wamid, text).await
    }

    /// Taps a list row or button with `id`.
    pub(crate) async fn customer_reply(&self, wamid: &str, id: &str, title: &str) -> TicketId {
        let body = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "4930123456789", "phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Anna"}, "wa_id": "4915112345678"}],
                "messages": [{"from": "4915112345678", "id": wamid,
                    "timestamp": self.clock.now().as_second().to_string(), "type": "interactive",
                    "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": title}}}]
            }}]}]
        })
        .to_string();
        self.deliver(&body).await
    }

    pub(crate) async fn customer_as(&self, wa_id: &str, wamid: &str, text: &str) -> TicketId {
        let body = text_notification(
            "106540352242922",
            &[SampleText {
                wa_id,
                profile_name: "Anna",
                wamid,
                timestamp: self.clock.now().as_second(),
                body: text,
            }],
        );
        self.deliver(&body).await
    }

    pub(crate) async fn deliver(&self, body: &str) -> TicketId {
        self.intake.ingest(&plan(body.as_bytes()).unwrap()).await;
        let records: Vec<QueueRecord> = self
            .inbound
            .receive(10)
            .into_iter()
            .map(QueueRecord::from)
            .collect();
        assert!(self.bot.handle_batch(&records).await.is_empty());
        let wa_id = plan(body.as_bytes()).unwrap().conversations[0]
            .key
            .wa_id
            .clone();
        self.store
            .tickets()
            .into_iter()
            .rev()
            .find(|t| t.key.wa_id == wa_id)
            .unwrap()
            .id
    }

    pub(crate) async fn load(&self, id: &str) -> u32 {
        let agents = self.store.agents().await.unwrap();
        agents.iter().find(|a| a.id == id).unwrap().load
    }

    pub(crate) async fn act(&self, id: TicketId, who: &str, action: AgentAction) -> Ticket {
        self.desk.act(id, who, &action, None).await.unwrap()
    }

    /// The customer (Anna) agrees to business-initiated messages, through the API.
    pub(crate) async fn opt_in(&self) {
        let consent = crate::domain::consent::Consent {
            opted_in: true,
            at: self.clock.now(),
            source: "web_form".into(),
        };
        let anna = crate::domain::ids::WaId::parse("4915112345678").unwrap();
        self.store.set_consent(&anna, &consent).await.unwrap();
    }

    pub(crate) fn armed(&self) -> Vec<String> {
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
