//! Typed configuration from the environment, parsed once at start. Every error names the
//! variable. Secrets are [`SecretString`]s (never printed) and may be given as a reference,
//! `ssm:<parameter name>`, resolved once at start from SSM Parameter Store (SecureString).

mod agent_api;
mod bot_reply;
mod env;
mod handoff;
mod intake;
mod policies;
mod ports;
mod secrets;
mod sla;
#[cfg(test)]
mod tests;

pub use agent_api::{AgentApiSettings, ApiAuthSettings, DeskSettings};
pub use bot_reply::BotReplySettings;
pub use env::Env;
pub use handoff::HandoffSettings;
pub use intake::{IntakeConfig, IntakeSettings};
pub use policies::{config_check_every, conversation_window, media_policy, retention};
pub use ports::{OrderApiSettings, PortSettings, WhatsAppSettings};
pub use secrets::SecretValue;
pub use sla::{BreachSettings, SlaSettings};

use env::{arn, fifo_queue_url, http_url, table_name};

pub const WHATSAPP_APP_SECRET: &str = "WHATSAPP_APP_SECRET";
pub const WHATSAPP_VERIFY_TOKEN: &str = "WHATSAPP_VERIFY_TOKEN";
pub const WHATSAPP_ACCESS_TOKEN: &str = "WHATSAPP_ACCESS_TOKEN";
pub const HELPDESK_TABLE: &str = "HELPDESK_TABLE";
pub const HELPDESK_INBOUND_QUEUE_URL: &str = "HELPDESK_INBOUND_QUEUE_URL";
pub const HELPDESK_CONVERSATION_WINDOW_HOURS: &str = "HELPDESK_CONVERSATION_WINDOW_HOURS";
pub const HELPDESK_HANDOFF_QUEUE_URL: &str = "HELPDESK_HANDOFF_QUEUE_URL";
pub const HELPDESK_BOT_CONFIG: &str = "HELPDESK_BOT_CONFIG";
pub const HELPDESK_ORDER_API_URL: &str = "HELPDESK_ORDER_API_URL";
pub const HELPDESK_ORDER_API_TOKEN: &str = "HELPDESK_ORDER_API_TOKEN";
pub const WHATSAPP_API_BASE_URL: &str = "WHATSAPP_API_BASE_URL";
pub const WHATSAPP_API_VERSION: &str = "WHATSAPP_API_VERSION";
pub const WHATSAPP_REENGAGEMENT_TEMPLATE: &str = "WHATSAPP_REENGAGEMENT_TEMPLATE";
/// The WhatsApp Business Account whose templates are synced (digits; optional: without it the
/// template sync and submissions answer 503).
pub const WHATSAPP_BUSINESS_ACCOUNT_ID: &str = "WHATSAPP_BUSINESS_ACCOUNT_ID";

pub const HELPDESK_SLA_CONFIG: &str = "HELPDESK_SLA_CONFIG";
pub const HELPDESK_ROUTING_CONFIG: &str = "HELPDESK_ROUTING_CONFIG";
pub const HELPDESK_SCHEDULE_GROUP: &str = "HELPDESK_SCHEDULE_GROUP";
pub const HELPDESK_SLA_QUEUE_ARN: &str = "HELPDESK_SLA_QUEUE_ARN";
pub const HELPDESK_SCHEDULER_ROLE_ARN: &str = "HELPDESK_SCHEDULER_ROLE_ARN";
pub const HELPDESK_SCHEDULER_DLQ_ARN: &str = "HELPDESK_SCHEDULER_DLQ_ARN";
pub const HELPDESK_SLA_TOPIC_ARN: &str = "HELPDESK_SLA_TOPIC_ARN";
/// The EventBridge bus (name or ARN) ticket events go to; unset: none are published.
pub const HELPDESK_EVENT_BUS: &str = "HELPDESK_EVENT_BUS";
pub const DEFAULT_SCHEDULE_GROUP: &str = "helpdesk-sla";
pub const HELPDESK_API_AUTH: &str = "HELPDESK_API_AUTH";
pub const HELPDESK_API_KEYS: &str = "HELPDESK_API_KEYS";
/// The Cognito user pool agents sign in to: admins invite and deactivate agents there.
pub const HELPDESK_COGNITO_USER_POOL_ID: &str = "HELPDESK_COGNITO_USER_POOL_ID";
pub const HELPDESK_TEMPLATES_CONFIG: &str = "HELPDESK_TEMPLATES_CONFIG";
pub const HELPDESK_MEDIA_BUCKET: &str = "HELPDESK_MEDIA_BUCKET";
pub const HELPDESK_RETENTION_DAYS: &str = "HELPDESK_RETENTION_DAYS";
pub const HELPDESK_PROOF_RETENTION_DAYS: &str = "HELPDESK_PROOF_RETENTION_DAYS";
pub const HELPDESK_MEDIA_TYPES: &str = "HELPDESK_MEDIA_TYPES";
pub const HELPDESK_MEDIA_MAX_BYTES: &str = "HELPDESK_MEDIA_MAX_BYTES";
pub const HELPDESK_MEDIA_DOWNLOAD_HOSTS: &str = "HELPDESK_MEDIA_DOWNLOAD_HOSTS";
/// How often (seconds, 1-30; default 15) the functions ask which configuration version is
/// published.
pub const HELPDESK_CONFIG_CHECK_SECONDS: &str = "HELPDESK_CONFIG_CHECK_SECONDS";

pub const DEFAULT_WHATSAPP_API_BASE_URL: &str = "https://graph.facebook.com";
pub const DEFAULT_WHATSAPP_API_VERSION: &str = "v23.0";

pub(crate) use crate::platform::config_file::line_of;
pub use crate::platform::config_file::{ConfigFileError, parse_toml, read_config_file};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not set")]
    Missing { name: &'static str },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} could not be read from SSM parameter {parameter}: {reason}")]
    Secret {
        name: &'static str,
        parameter: String,
        reason: String,
    },
}

impl ConfigError {
    fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            name,
            reason: reason.into(),
        }
    }
}
