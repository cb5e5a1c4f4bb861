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

mod agent_api;
mod agent_handoff;
mod bot_reply;
mod intake;
mod live;
mod ports;
mod settings;
mod sla_breach;
#[cfg(test)]
mod tests;

pub use agent_api::{agent_api, agent_desk};
pub use agent_handoff::agent_handoff;
pub use bot_reply::bot_reply;
pub use intake::{intake, webhook};
pub use live::seed_config;
pub use ports::{MemoryPorts, Ports};
pub use settings::Settings;
pub use sla_breach::sla_breach;

use live::{live_config, live_routing, live_sla, live_templates};
use ports::need;

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
