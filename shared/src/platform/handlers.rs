//! The one place every handler is built: intake (the webhook), bot reply, agent handoff, SLA
//! breach, the agent desk and the agent API, each from [`Ports`] (what it talks to) and
//! [`Settings`] (the configuration files and options it runs with). The Lambda functions (over
//! AWS ports, see [`crate::platform::wiring`]), the local runner (over memory ports or AWS) and
//! the test worlds all build their handlers here, so they run the same wiring.

use std::sync::Arc;

use secrecy::SecretString;

use crate::app::admin::ConfigAdmin;
use crate::app::agent_api::config::ConfigApi;
use crate::app::agent_api::desk::AgentDesk;
use crate::app::agent_api::{AgentApi, Authenticator};
use crate::app::agent_handoff::{Router, RoutingConfig};
use crate::app::bot_reply::Bot;
use crate::app::bot_reply::BotReply;
use crate::app::intake::Intake;
use crate::app::intake::webhook::WebhookHandler;
use crate::app::sla_breach::{BreachPorts, SlaBreach};
use crate::app::templates::TemplateSync;
use crate::domain::bot::BotConfig;
use crate::domain::config_doc::ConfigKind;
use crate::domain::sla::SlaConfig;
use crate::domain::templates::TemplateCatalog;
use crate::domain::ticket::ConversationWindow;
use crate::platform::config::{
    ConfigError, HELPDESK_BOT_CONFIG, HELPDESK_HANDOFF_QUEUE_URL, HELPDESK_INBOUND_QUEUE_URL,
    HELPDESK_SLA_CONFIG, HELPDESK_SLA_QUEUE_ARN, HELPDESK_SLA_TOPIC_ARN, WHATSAPP_ACCESS_TOKEN,
};
use crate::platform::live_config::{ConfigSource, LiveConfig};
use crate::platform::metrics::Metrics;
use crate::ports::bot_feedback::{BotFeedback, MemoryBotFeedback};
use crate::ports::clock::Clock;
use crate::ports::config_docs::{ConfigDocs, MemoryConfigDocs};
use crate::ports::config_docs::{ConfigDocsError, seed_missing, shipped_bodies};
use crate::ports::events::{EventBus, MemoryEventBus};
use crate::ports::media::{MediaArchive, MediaPolicy, MediaSource, MediaStore, MemoryMediaStore};
use crate::ports::notify::{MemoryNotifier, Notifier};
use crate::ports::orders::{MemoryOrders, OrderLookup, Unconfigured};
use crate::ports::queue::{MemoryQueue, Queue};
use crate::ports::store::{MemoryStore, TicketStore};
use crate::ports::timers::{MemoryTimers, Timers};
use crate::ports::whatsapp::{MemoryTemplates, MessageTemplates, Template, WhatsAppClient};

/// What the handlers talk to. The store, the clock and the shop's orders every function has; the
/// others only the functions whose settings name them (`None` otherwise: building a handler that
/// needs a missing port fails at start, naming the variable that configures it).
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn TicketStore>,
    pub clock: Arc<dyn Clock>,
    /// Where intake queues customer messages for the bot (`inbound.fifo`).
    pub inbound: Option<Arc<dyn Queue>>,
    /// Where tickets handed to people go (`handoff.fifo`).
    pub handoffs: Option<Arc<dyn Queue>>,
    /// SLA timers (EventBridge Scheduler).
    pub timers: Option<Arc<dyn Timers>>,
    pub whatsapp: Option<Arc<dyn WhatsAppClient>>,
    /// Where customers' media are downloaded from (the Cloud API).
    pub media_source: Option<Arc<dyn MediaSource>>,
    /// The shop's order API ([`Unconfigured`] sends order questions to a person).
    pub orders: Arc<dyn OrderLookup>,
    /// Where customers' media are kept (S3).
    pub media: Option<Arc<dyn MediaStore>>,
    /// Where agents and managers are told (SNS).
    pub notify: Option<Arc<dyn Notifier>>,
    /// The versioned configuration documents (admin area): when set, the bot follows the
    /// published bot configuration and the agent API serves `/config/...`.
    pub config_docs: Option<Arc<dyn ConfigDocs>>,
    /// Where the bot keeps what it did not understand (`/bot/unrecognised`).
    pub bot_feedback: Option<Arc<dyn BotFeedback>>,
    /// The WhatsApp Business Account's templates on Meta's Graph API (sync, submit).
    pub message_templates: Option<Arc<dyn MessageTemplates>>,
    /// Where ticket events for integrations go (EventBridge); `None`: none are published.
    pub events: Option<Arc<dyn EventBus>>,
}

impl Ports {
    /// Only the store and the clock; add the other ports with struct update syntax.
    pub fn new(store: Arc<dyn TicketStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            inbound: None,
            handoffs: None,
            timers: None,
            whatsapp: None,
            media_source: None,
            orders: Arc::new(Unconfigured),
            media: None,
            notify: None,
            config_docs: None,
            bot_feedback: None,
            message_templates: None,
            events: None,
        }
    }

    fn handoffs(&self) -> Result<Arc<dyn Queue>, ConfigError> {
        need(&self.handoffs, HELPDESK_HANDOFF_QUEUE_URL)
    }

    fn whatsapp(&self) -> Result<Arc<dyn WhatsAppClient>, ConfigError> {
        need(&self.whatsapp, WHATSAPP_ACCESS_TOKEN)
    }

    fn timers(&self) -> Result<Arc<dyn Timers>, ConfigError> {
        need(&self.timers, HELPDESK_SLA_QUEUE_ARN)
    }

    fn notify(&self) -> Result<Arc<dyn Notifier>, ConfigError> {
        need(&self.notify, HELPDESK_SLA_TOPIC_ARN)
    }
}

impl Ports {
    /// Ports over `memory`, with `whatsapp` and the demo shop's orders (no media source: set
    /// `media_source` when WhatsApp can serve media).
    pub fn memory(
        memory: &MemoryPorts,
        clock: Arc<dyn Clock>,
        whatsapp: Arc<dyn WhatsAppClient>,
    ) -> Self {
        Self {
            inbound: Some(memory.inbound.clone()),
            handoffs: Some(memory.handoffs.clone()),
            timers: Some(memory.timers.clone()),
            whatsapp: Some(whatsapp),
            orders: Arc::new(MemoryOrders::demo()),
            media: Some(memory.media.clone()),
            notify: Some(memory.notifier.clone()),
            config_docs: Some(memory.config_docs.clone()),
            bot_feedback: Some(memory.bot_feedback.clone()),
            message_templates: Some(memory.templates.clone()),
            events: Some(memory.events.clone()),
            ..Self::new(memory.store.clone(), clock)
        }
    }
}

/// The in-memory adapters behind [`Ports::memory`], kept as they are so the local runner and
/// the tests can look at (and inject faults into) what the handlers did.
#[derive(Clone)]
pub struct MemoryPorts {
    pub store: Arc<MemoryStore>,
    pub inbound: Arc<MemoryQueue>,
    pub handoffs: Arc<MemoryQueue>,
    pub timers: Arc<MemoryTimers>,
    pub notifier: Arc<MemoryNotifier>,
    pub media: Arc<MemoryMediaStore>,
    pub config_docs: Arc<MemoryConfigDocs>,
    pub bot_feedback: Arc<MemoryBotFeedback>,
    /// Meta's side of the templates: the shipped ones, approved.
    pub templates: Arc<MemoryTemplates>,
    pub events: Arc<MemoryEventBus>,
}

impl MemoryPorts {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            store: Arc::new(MemoryStore::new()),
            inbound: Arc::new(MemoryQueue::new(clock.clone())),
            handoffs: Arc::new(MemoryQueue::new(clock)),
            timers: Arc::new(MemoryTimers::new()),
            notifier: Arc::new(MemoryNotifier::new()),
            media: Arc::new(MemoryMediaStore::new()),
            config_docs: Arc::new(MemoryConfigDocs::new()),
            bot_feedback: Arc::new(MemoryBotFeedback::new()),
            templates: Arc::new(MemoryTemplates::shipped()),
            events: Arc::new(MemoryEventBus::new()),
        }
    }
}

fn need<T: ?Sized>(port: &Option<Arc<T>>, name: &'static str) -> Result<Arc<T>, ConfigError> {
    port.clone().ok_or(ConfigError::Missing { name })
}

/// What the handlers run with besides their ports: the configuration files (loaded), the
/// conversation window, which media are kept, the re-engagement template and the metrics.
/// A function fills in only what it reads; the bot and the SLA policies are `None` where no
/// function that needs them runs (building one then fails naming the setting).
#[derive(Clone, Default)]
pub struct Settings {
    pub window: ConversationWindow,
    pub bot: Option<Arc<BotConfig>>,
    pub sla: Option<Arc<SlaConfig>>,
    /// The routing rules (the shipped ones when `None`).
    pub routing: Option<Arc<RoutingConfig>>,
    /// The message templates agents may send (the shipped ones when `None`).
    pub templates: Option<Arc<TemplateCatalog>>,
    pub media_policy: MediaPolicy,
    pub reengagement: Option<Template>,
    pub metrics: Metrics,
    /// How often the functions ask the table which configuration version is published
    /// (`None`: every 15 s, see [`crate::platform::live_config::DEFAULT_CHECK_EVERY`]); counted
    /// on the ports' clock, so a test on a manual clock decides when a publish is seen.
    pub config_check_every: Option<jiff::SignedDuration>,
}

impl Settings {
    /// The shipped bot, SLA policies, routing rules and templates; metrics off.
    pub fn shipped() -> Self {
        Self {
            bot: Some(Arc::new(BotConfig::default_shop())),
            sla: Some(Arc::new(SlaConfig::default_policies())),
            ..Self::default()
        }
    }

    fn bot(&self) -> Result<Arc<BotConfig>, ConfigError> {
        need(&self.bot, HELPDESK_BOT_CONFIG)
    }

    fn sla(&self) -> Result<Arc<SlaConfig>, ConfigError> {
        need(&self.sla, HELPDESK_SLA_CONFIG)
    }

    fn routing(&self) -> Arc<RoutingConfig> {
        self.routing
            .clone()
            .unwrap_or_else(|| Arc::new(RoutingConfig::default_routing()))
    }

    fn templates(&self) -> Arc<TemplateCatalog> {
        self.templates
            .clone()
            .unwrap_or_else(|| Arc::new(TemplateCatalog::default_catalog()))
    }
}

/// Intake: stores what the webhook brings and queues it for the bot; arms a new ticket's first
/// SLA timers when it has the timers and the policies.
pub fn intake(ports: &Ports, settings: &Settings) -> Result<Intake, StartError> {
    let inbound = need(&ports.inbound, HELPDESK_INBOUND_QUEUE_URL)?;
    let intake = Intake::new(
        ports.store.clone(),
        inbound,
        ports.clock.clone(),
        settings.window,
    );
    let intake = match &ports.config_docs {
        Some(docs) => intake.with_templates(Arc::new(TemplateSync::new(
            docs.clone(),
            ports.clock.clone(),
        ))),
        None => intake,
    };
    Ok(match (&settings.sla, &ports.timers) {
        (Some(sla), Some(timers)) => {
            intake.with_sla(live_sla(ports, settings, sla.clone()), timers.clone())
        }
        _ => intake,
    })
}

/// The SLA policies a handler reads per ticket: the published document (checked at most every
/// 15 s, the start-up file until the table answers) when the function has the config table,
/// else the start-up file.
fn live_sla(ports: &Ports, settings: &Settings, file: Arc<SlaConfig>) -> ConfigSource<SlaConfig> {
    live(ports, settings, file)
}

/// The published document of `T`'s kind when the function has the config table, starting
/// from `file`; else `file`. The check interval is [`Settings::config_check_every`].
fn live<T: crate::platform::live_config::LiveDoc + Clone>(
    ports: &Ports,
    settings: &Settings,
    file: Arc<T>,
) -> ConfigSource<T> {
    match &ports.config_docs {
        Some(docs) => ConfigSource::Live(Arc::new(live_config(
            docs,
            ports,
            settings,
            (*file).clone(),
        ))),
        None => ConfigSource::Fixed(file),
    }
}

/// A [`LiveConfig`] over `docs` on the ports' clock, checking as often as the settings say.
fn live_config<T: crate::platform::live_config::LiveDoc>(
    docs: &Arc<dyn ConfigDocs>,
    ports: &Ports,
    settings: &Settings,
    initial: T,
) -> LiveConfig<T> {
    let live = LiveConfig::new(docs.clone(), ports.clock.clone(), initial);
    match settings.config_check_every {
        Some(every) => live.with_interval(every),
        None => live,
    }
}

/// The webhook in front of intake: Meta's signature checked with `app_secret`, its
/// verification challenge answered with `verify_token`.
pub fn webhook(
    ports: &Ports,
    settings: &Settings,
    app_secret: &SecretString,
    verify_token: SecretString,
) -> Result<WebhookHandler, StartError> {
    Ok(
        WebhookHandler::new(intake(ports, settings)?, app_secret, verify_token)
            .with_metrics(settings.metrics.clone()),
    )
}

/// Bot reply: the bot's answer to each stored customer message. Keeps media when it has a media
/// store and a source; tells assigned agents their customer wrote when it has a notifier.
pub fn bot_reply(ports: &Ports, settings: &Settings) -> Result<BotReply, StartError> {
    let whatsapp = ports.whatsapp()?;
    let bot = match &ports.config_docs {
        // The published bot configuration, checked at most every 15 s (a publish is live
        // within 30 s); the start-up file until the table answers.
        Some(docs) => Bot::live(
            Arc::new(live_config(
                docs,
                ports,
                settings,
                (*settings.bot()?).clone(),
            )),
            ports.orders.clone(),
        ),
        None => Bot::new(settings.bot()?, ports.orders.clone()),
    };
    let mut reply = BotReply::new(
        ports.store.clone(),
        whatsapp,
        ports.handoffs()?,
        bot,
        ports.clock.clone(),
    )
    .with_reengagement_template(settings.reengagement.clone())
    .with_sla(live_sla(ports, settings, settings.sla()?), ports.timers()?)
    .with_metrics(settings.metrics.clone());
    if let (Some(store), Some(source)) = (&ports.media, &ports.media_source) {
        reply = reply.with_media(MediaArchive {
            source: source.clone(),
            store: store.clone(),
            policy: settings.media_policy.clone(),
        });
    }
    if let Some(notifier) = &ports.notify {
        reply = reply.with_notifier(notifier.clone());
    }
    if let Some(feedback) = &ports.bot_feedback {
        reply = reply.with_feedback(feedback.clone());
    }
    if let Some(bus) = &ports.events {
        reply = reply.with_events(bus.clone());
    }
    Ok(reply)
}

/// SLA breach: what happens when an SLA timer fires (the bot's follow-ups, escalations).
pub fn sla_breach(ports: &Ports, settings: &Settings) -> Result<SlaBreach, StartError> {
    let breach_ports = BreachPorts {
        store: ports.store.clone(),
        whatsapp: ports.whatsapp()?,
        handoffs: ports.handoffs()?,
        timers: ports.timers()?,
        notifier: ports.notify()?,
        clock: ports.clock.clone(),
    };
    let breach = SlaBreach::new(
        breach_ports,
        settings.bot()?,
        live_sla(ports, settings, settings.sla()?),
    )
    .with_metrics(settings.metrics.clone());
    Ok(match &ports.events {
        Some(bus) => breach.with_events(bus.clone()),
        None => breach,
    })
}

/// What agents do to tickets (behind the agent API), with assignment and mention notices.
pub fn agent_desk(ports: &Ports, settings: &Settings) -> Result<AgentDesk, StartError> {
    let desk = AgentDesk::new(
        ports.store.clone(),
        ports.whatsapp()?,
        ports.handoffs()?,
        ports.clock.clone(),
    )
    .with_sla(live_sla(ports, settings, settings.sla()?), ports.timers()?)
    .with_notifier(ports.notify()?)
    .with_templates(live_templates(ports, settings))
    .with_metrics(settings.metrics.clone());
    // Agents' attachments are uploaded to and sent from the media store.
    let desk = match &ports.media {
        Some(store) => desk.with_media(store.clone()),
        None => desk,
    };
    Ok(match &ports.events {
        Some(bus) => desk.with_events(bus.clone()),
        None => desk,
    })
}

/// The template catalogue agents send from: the published document (checked at most every
/// 15 s, like the bot's configuration) when the function has the config table, else the file.
fn live_templates(ports: &Ports, settings: &Settings) -> ConfigSource<TemplateCatalog> {
    match &ports.config_docs {
        Some(docs) => ConfigSource::Live(Arc::new(LiveConfig::new(
            docs.clone(),
            ports.clock.clone(),
            (*settings.templates()).clone(),
        ))),
        None => ConfigSource::Fixed(settings.templates()),
    }
}

/// The agent API over the agent desk, authenticating callers with `auth`.
pub fn agent_api(
    ports: &Ports,
    settings: &Settings,
    auth: Authenticator,
) -> Result<AgentApi, StartError> {
    // One live catalogue for the API's list and checks and the desk's rating template.
    let templates = live_templates(ports, settings);
    let api = AgentApi::new(
        Arc::new(agent_desk(ports, settings)?.with_templates(templates.clone())),
        auth,
        settings.templates(),
        settings.routing().teams(),
        ports.clock.clone(),
    )
    .with_routing(live_routing(ports, settings));
    let api = match templates {
        ConfigSource::Live(live) => api.with_live_templates(live),
        ConfigSource::Fixed(_) => api,
    };
    // `{{company}}` in canned responses: the name the bot introduces the shop with.
    let api = match &settings.bot {
        Some(bot) => api.with_company(&bot.file.company),
        None => api,
    };
    let api = match &ports.media {
        Some(store) => api.with_media(store.clone()),
        None => api,
    };
    Ok(match &ports.config_docs {
        Some(docs) => {
            let admin = Arc::new(ConfigAdmin::new(docs.clone(), ports.clock.clone()));
            let config = ConfigApi::new(admin);
            let config = match &ports.bot_feedback {
                Some(feedback) => config.with_feedback(feedback.clone()),
                None => config,
            };
            // Canned responses follow the published document, like the bot.
            let canned = live_config(
                docs,
                ports,
                settings,
                crate::domain::canned::CannedResponses::default_catalog(),
            );
            let sync = TemplateSync::new(docs.clone(), ports.clock.clone());
            let sync = match &ports.message_templates {
                Some(meta) => sync.with_meta(meta.clone()),
                None => sync,
            };
            api.with_config(Arc::new(config))
                .with_live_canned(Arc::new(canned))
                .with_template_sync(Arc::new(sync))
        }
        None => api,
    })
}

/// Imports the configuration files as the first published version of every kind the table has
/// no document of (a new stack): the shipped files, or the file a setting names instead
/// (`overrides`: kind and path). Safe when several functions start at once.
pub async fn seed_config(
    ports: &Ports,
    overrides: &[(ConfigKind, &std::path::Path)],
) -> Result<Vec<ConfigKind>, StartError> {
    let Some(docs) = &ports.config_docs else {
        return Ok(Vec::new());
    };
    let mut texts: Vec<(ConfigKind, String, String)> = shipped_bodies()
        .into_iter()
        .map(|(k, body, origin)| (k, body.to_owned(), origin.to_owned()))
        .collect();
    for (kind, path) in overrides {
        let (body, origin) = crate::platform::config_file::read_config_file(path)?;
        if let Some(slot) = texts.iter_mut().find(|(k, _, _)| k == kind) {
            *slot = (*kind, body, origin);
        }
    }
    let bodies: Vec<(ConfigKind, &str, &str)> = texts
        .iter()
        .map(|(k, b, o)| (*k, b.as_str(), o.as_str()))
        .collect();
    let seeded = seed_missing(docs.as_ref(), &bodies, ports.clock.now())
        .await
        .map_err(|e| match e {
            ConfigDocsError::Invalid(invalid) => StartError::ConfigFile(invalid),
            other => StartError::Client(format!("seeding the configuration: {other}")),
        })?;
    if !seeded.is_empty() {
        tracing::info!(kinds = ?seeded, "configuration documents seeded from files");
    }
    Ok(seeded)
}

/// Agent handoff: routes each ticket the bot handed over to a team and an agent.
pub fn agent_handoff(ports: &Ports, settings: &Settings) -> Result<Router, StartError> {
    let router = Router::new(
        ports.store.clone(),
        ports.whatsapp()?,
        ports.handoffs()?,
        ports.notify()?,
        live_routing(ports, settings),
        ports.clock.clone(),
    )
    .with_metrics(settings.metrics.clone());
    Ok(match &ports.events {
        Some(bus) => router.with_events(bus.clone()),
        None => router,
    })
}

/// The routing rules a handler reads per handoff: the published document (checked at most
/// every 15 s, the start-up file until the table answers) when the function has the config
/// table, else the start-up file.
fn live_routing(ports: &Ports, settings: &Settings) -> ConfigSource<RoutingConfig> {
    live(ports, settings, settings.routing())
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The bot, SLA, routing or template file (the message names the file and the line).
    #[error("{0}")]
    ConfigFile(#[from] crate::platform::config_file::ConfigFileError),
    #[error("{0}")]
    Auth(#[from] crate::app::agent_api::auth::AuthConfigError),
    #[error("{0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::clock::SystemClock;

    #[test]
    fn a_handler_without_a_port_it_needs_names_the_variable() {
        let ports = Ports::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
        let err = agent_handoff(&ports, &Settings::default())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(err, "WHATSAPP_ACCESS_TOKEN is not set");
        let err = intake(&ports, &Settings::default())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(err, "HELPDESK_INBOUND_QUEUE_URL is not set");
    }

    mod live_routing {
        use super::*;
        use crate::app::agent_handoff::Routed;
        use crate::app::bot_reply::QueueRecord;
        use crate::app::intake::webhook::plan::plan;
        use crate::app::intake::webhook::sample::{SampleText, text_notification};
        use crate::ports::clock::ManualClock;
        use crate::ports::config_docs::{CheckedBody, NewVersion};
        use crate::ports::whatsapp::MemoryWhatsApp;

        async fn publish(
            docs: &MemoryConfigDocs,
            kind: ConfigKind,
            body: &str,
            at: jiff::Timestamp,
        ) {
            let head = docs.head(kind).await.unwrap();
            let base = head.as_ref().map_or(0, |h| h.latest);
            let checked = CheckedBody::check(kind, body, "doc").unwrap();
            let new = NewVersion::new(checked, base, "lead", "", at).unwrap();
            let v = docs.save(&new).await.unwrap().version;
            let published = head.and_then(|h| h.published);
            docs.publish(kind, v, published, "lead", at).await.unwrap();
        }

        /// The customer asks for a person about `topic`; the bot hands over; the router routes.
        async fn handoff(
            memory: &MemoryPorts,
            intake: &Intake,
            bot: &BotReply,
            router: &Router,
            wa_id: &str,
            at: jiff::Timestamp,
        ) -> Routed {
            let body = text_notification(
                "106540352242922",
                &[SampleText {
                    wa_id,
                    profile_name: "Kunde",
                    wamid: &format!("wamid.{wa_id}"),
                    timestamp: at.as_second(),
                    body: "Ich möchte mit einem Mitarbeiter sprechen, es geht um eine Mahnung",
                }],
            );
            intake.ingest(&plan(body.as_bytes()).unwrap()).await;
            let inbound: Vec<QueueRecord> = memory
                .inbound
                .receive(10)
                .into_iter()
                .map(QueueRecord::from)
                .collect();
            assert!(bot.handle_batch(&inbound).await.is_empty());
            let handoffs = memory.handoffs.receive(10);
            assert_eq!(handoffs.len(), 1, "the bot hands over");
            let item = serde_json::from_str(&handoffs[0].body).unwrap();
            router.route(&item).await.unwrap()
        }

        #[tokio::test]
        async fn a_published_routing_keyword_and_team_route_the_next_handoff_without_a_restart() {
            let start: jiff::Timestamp = "2026-11-24T09:00:00Z".parse().unwrap();
            let clock = Arc::new(ManualClock::new(start));
            let memory = MemoryPorts::new(clock.clone());
            let ports = Ports::memory(&memory, clock.clone(), Arc::new(MemoryWhatsApp::new()));
            let settings = Settings::shipped();
            let shipped = include_str!("../../../config/routing.toml");
            publish(&memory.config_docs, ConfigKind::Routing, shipped, start).await;
            let intake = intake(
                &Ports {
                    timers: None,
                    ..ports.clone()
                },
                &settings,
            )
            .unwrap();
            let bot = bot_reply(&ports, &settings).unwrap();
            let router = agent_handoff(&ports, &settings).unwrap();

            let before = handoff(&memory, &intake, &bot, &router, "4915100000001", start).await;
            assert_eq!(
                before,
                Routed::Queued {
                    team: "support".into()
                }
            );

            // "Mahnung" (a dunning letter) now goes to a new team, dunning.
            let with_keyword =
                format!("{shipped}\n[[rules]]\nteam = \"dunning\"\nkeywords = [\"mahnung\"]\n");
            publish(
                &memory.config_docs,
                ConfigKind::Routing,
                &with_keyword,
                clock.now(),
            )
            .await;
            clock.advance(jiff::SignedDuration::from_secs(16));
            let after = handoff(
                &memory,
                &intake,
                &bot,
                &router,
                "4915100000002",
                clock.now(),
            )
            .await;
            assert_eq!(
                after,
                Routed::Queued {
                    team: "dunning".into()
                }
            );
            let ticket = memory
                .store
                .tickets()
                .into_iter()
                .find(|t| t.key.wa_id.as_str() == "4915100000002")
                .unwrap();
            assert_eq!(ticket.team.as_deref(), Some("dunning"));
        }
    }

    mod live_sla {
        use super::*;
        use crate::app::intake::webhook::plan::plan;
        use crate::app::intake::webhook::sample::{SampleText, text_notification};
        use crate::domain::sla::{Target, TimerPayload};
        use crate::ports::clock::ManualClock;
        use crate::ports::config_docs::{CheckedBody, NewVersion};

        // Tuesday 2025-11-25, 16:00 in Berlin. Intake starts the resolution clock on the office
        // calendar (08:00-18:00 Berlin; the first-response clock starts at the handoff), so its
        // first timer (the warning) moves by a business day when a day before it is a holiday.
        const TUESDAY_1600_BERLIN: i64 = 1_764_082_800;

        async fn publish_sla(docs: &MemoryConfigDocs, body: &str, at: jiff::Timestamp) {
            let head = docs.head(ConfigKind::Sla).await.unwrap();
            let base = head.as_ref().map_or(0, |h| h.latest);
            let checked = CheckedBody::check(ConfigKind::Sla, body, "sla").unwrap();
            let new = NewVersion::new(checked, base, "lead", "holiday", at).unwrap();
            let v = docs.save(&new).await.unwrap().version;
            let published = head.and_then(|h| h.published);
            docs.publish(ConfigKind::Sla, v, published, "lead", at)
                .await
                .unwrap();
        }

        fn message(wa_id: &str, wamid: &str) -> String {
            text_notification(
                "106540352242922",
                &[SampleText {
                    wa_id,
                    profile_name: "Kunde",
                    wamid,
                    timestamp: TUESDAY_1600_BERLIN,
                    body: "Ich habe eine Frage zu meiner Rechnung",
                }],
            )
        }

        fn resolution_warning_at(
            memory: &MemoryPorts,
            ticket: crate::domain::ids::TicketId,
        ) -> String {
            let mut due: Vec<_> = memory
                .timers
                .armed()
                .iter()
                .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
                .filter(|p| p.ticket_id == ticket && p.target == Target::Resolution)
                .map(|p| p.due_at)
                .collect();
            due.sort();
            due.dedup();
            assert_eq!(due.len(), 1, "one resolution timer: {due:?}");
            due[0].to_string()
        }

        #[tokio::test]
        async fn a_published_holiday_moves_the_next_tickets_business_time_deadline_without_a_restart()
         {
            let start = jiff::Timestamp::from_second(TUESDAY_1600_BERLIN + 5).unwrap();
            let clock = Arc::new(ManualClock::new(start));
            let memory = MemoryPorts::new(clock.clone());
            let ports = Ports {
                inbound: Some(memory.inbound.clone()),
                timers: Some(memory.timers.clone()),
                config_docs: Some(memory.config_docs.clone()),
                ..Ports::new(memory.store.clone(), clock.clone())
            };
            let shipped = include_str!("../../../config/sla.toml");
            publish_sla(&memory.config_docs, shipped, start).await;
            let intake = intake(&ports, &Settings::shipped()).unwrap();

            let report = intake
                .ingest(&plan(message("4915100000001", "wamid.A").as_bytes()).unwrap())
                .await;
            assert_eq!(report.tickets_opened, 1, "{report:?}");
            let first = memory.store.tickets()[0].id;
            assert_eq!(
                resolution_warning_at(&memory, first),
                "2025-12-03T08:36:00Z"
            );

            // Wednesday becomes a holiday; the same intake sees it once the interval passed.
            let with_holiday = shipped.replace(
                "holidays = [\"2026-12-24\"",
                "holidays = [\"2025-11-26\", \"2026-12-24\"",
            );
            assert_ne!(with_holiday, shipped);
            publish_sla(&memory.config_docs, &with_holiday, clock.now()).await;
            clock.advance(jiff::SignedDuration::from_secs(16));

            let report = intake
                .ingest(&plan(message("4915100000002", "wamid.B").as_bytes()).unwrap())
                .await;
            assert_eq!(report.tickets_opened, 1, "{report:?}");
            let second = memory
                .store
                .tickets()
                .into_iter()
                .find(|t| t.id != first)
                .unwrap()
                .id;
            assert_eq!(
                resolution_warning_at(&memory, second),
                "2025-12-04T08:36:00Z"
            );
            // The ticket opened before keeps the deadline it was given.
            assert_eq!(
                resolution_warning_at(&memory, first),
                "2025-12-03T08:36:00Z"
            );
        }

        fn first_response_due(
            w: &crate::testkit::World,
            ticket: crate::domain::ids::TicketId,
        ) -> jiff::Timestamp {
            w.timers
                .armed()
                .iter()
                .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
                .find(|p| p.ticket_id == ticket && p.target == Target::FirstResponse)
                .map(|p| p.due_at)
                .expect("a first-response timer")
        }

        /// The first timer armed for `target` of `ticket` (its next stage).
        fn due(
            w: &crate::testkit::World,
            ticket: crate::domain::ids::TicketId,
            target: Target,
        ) -> Option<jiff::Timestamp> {
            w.timers
                .armed()
                .iter()
                .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
                .find(|p| p.ticket_id == ticket && p.target == target)
                .map(|p| p.due_at)
        }

        /// The shipped policies with `standard` renamed `normal` (and the default with it), and
        /// a next response due in 1 h instead of 8 h.
        fn renamed(shipped: &str) -> String {
            let out = shipped
                .replace(
                    "default_policy = \"standard\"",
                    "default_policy = \"normal\"",
                )
                .replace("name = \"standard\"", "name = \"normal\"")
                .replace("next_response = \"8h\"", "next_response = \"1h\"");
            assert!(!out.contains("\"standard\""), "{out}");
            out
        }

        const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

        #[tokio::test]
        async fn a_ticket_keeps_the_policy_version_it_started_with_when_a_publish_renames_its_policy()
         {
            let a = crate::testkit::api::api().await;
            let w = &a.w;
            let shipped = include_str!("../../../config/sla.toml");
            publish_sla(&w.config_docs, shipped, w.clock.now()).await;
            let id = w.customer("wamid.1", HANDOFF).await;
            let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (clocks.policy.as_str(), clocks.policy_version),
                ("standard", Some(1))
            );
            let resolution = due(w, id, Target::Resolution).expect("a resolution timer");

            publish_sla(&w.config_docs, &renamed(shipped), w.clock.now()).await;
            w.clock.advance(jiff::SignedDuration::from_secs(16));
            let reply = crate::app::agent_api::desk::AgentAction::Reply {
                text: "Hallo, ich kümmere mich darum.".into(),
                quote: None,
            };
            w.desk.act(id, "maria", &reply, None).await.unwrap();
            // The running resolution deadline keeps its timer and due time.
            assert_eq!(due(w, id, Target::Resolution), Some(resolution));

            // The customer writes: next response starts under the ticket's version (8 h, its
            // warning at 80 %), not the published 1 h.
            w.customer("wamid.2", "Danke, wann kommt das Geld?").await;
            let next = due(w, id, Target::NextResponse).expect("a next-response timer");
            assert!(
                next.duration_since(w.clock.now()) > jiff::SignedDuration::from_hours(2),
                "{next}"
            );
            let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (clocks.policy.as_str(), clocks.policy_version),
                ("standard", Some(1))
            );
            // The agents see the deadlines the timers keep.
            let detail = a
                .ok(
                    "maria",
                    "GET",
                    &format!("/tickets/{id}"),
                    serde_json::Value::Null,
                )
                .await;
            let view = detail["sla"]["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["target"] == "next_response")
                .cloned()
                .unwrap();
            let shown: jiff::Timestamp =
                serde_json::from_value(view["warning_at"].clone()).unwrap();
            assert_eq!(shown, next);

            // A new ticket is chosen from the published version.
            let other = w.customer_as("4915100000002", "wamid.3", HANDOFF).await;
            let clocks = w.store.ticket(other).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (clocks.policy.as_str(), clocks.policy_version),
                ("normal", Some(2))
            );
        }

        #[tokio::test]
        async fn a_ticket_whose_policy_no_version_has_is_given_the_published_one_and_keeps_its_timers()
         {
            // Opened on the start-up file (no version), as tickets from before this release.
            let w = crate::testkit::world().await;
            let id = w.customer("wamid.1", HANDOFF).await;
            let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (clocks.policy.as_str(), clocks.policy_version),
                ("standard", None)
            );

            let shipped = include_str!("../../../config/sla.toml");
            publish_sla(&w.config_docs, &renamed(shipped), w.clock.now()).await;
            w.clock.advance(jiff::SignedDuration::from_secs(16));
            let reply = crate::app::agent_api::desk::AgentAction::Reply {
                text: "Hallo".into(),
                quote: None,
            };
            w.desk.act(id, "maria", &reply, None).await.unwrap();
            let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (clocks.policy.as_str(), clocks.policy_version),
                ("normal", Some(1))
            );
            assert!(
                due(&w, id, Target::Resolution).is_some(),
                "armed: {:?}",
                w.armed()
            );
        }

        #[tokio::test]
        async fn a_handoff_after_a_publish_plans_first_response_with_the_published_holiday() {
            let w = crate::testkit::world().await;
            let shipped = include_str!("../../../config/sla.toml");
            publish_sla(&w.config_docs, shipped, w.clock.now()).await;
            let handoff = "Ich möchte mit einem Mitarbeiter sprechen";
            let first = w.customer_as("4915100000001", "wamid.A", handoff).await;
            let before = first_response_due(&w, first);

            // The day of both tickets (Tue 24 Nov 2026) becomes a holiday.
            let with_holiday = shipped.replace(
                "holidays = [\"2026-12-24\"",
                "holidays = [\"2026-11-24\", \"2026-12-24\"",
            );
            publish_sla(&w.config_docs, &with_holiday, w.clock.now()).await;
            w.clock.advance(jiff::SignedDuration::from_secs(16));
            let second = w.customer_as("4915100000002", "wamid.B", handoff).await;
            let after = first_response_due(&w, second);
            assert!(before.to_string().starts_with("2026-11-24"), "{before}");
            assert!(after.to_string().starts_with("2026-11-25"), "{after}");
            assert_eq!(
                first_response_due(&w, first),
                before,
                "armed deadlines stay"
            );
        }
    }
}
