//! Typed configuration from the environment, parsed once at start. Every error names the
//! variable. Secrets are [`SecretString`]s (never printed) and may be given as a reference,
//! `ssm:<parameter name>`, resolved once at start from SSM Parameter Store (SecureString).

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::ticket::ConversationWindow;

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

const SSM_PREFIX: &str = "ssm:";

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

/// `HELPDESK_CONFIG_CHECK_SECONDS`: how often the published configuration version is checked
/// (`None`: the default, 15 s). At most 30 s, so a publish is live within a minute at worst.
pub fn config_check_every(env: &Env) -> Result<Option<jiff::SignedDuration>, ConfigError> {
    let Some(raw) = env.get(HELPDESK_CONFIG_CHECK_SECONDS) else {
        return Ok(None);
    };
    match raw.trim().parse::<i64>() {
        Ok(secs) if (1..=30).contains(&secs) => Ok(Some(jiff::SignedDuration::from_secs(secs))),
        _ => Err(ConfigError::invalid(
            HELPDESK_CONFIG_CHECK_SECONDS,
            format!("{raw:?} is not a whole number of seconds from 1 to 30"),
        )),
    }
}

/// The variables a function reads (the process environment, or a map in tests).
#[derive(Clone, Default)]
pub struct Env(HashMap<String, String>);

/// Names only: values may be secrets.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("Env").field(&names).finish()
    }
}

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    /// The same variables, with `name` set to `value` unless it is set already.
    pub fn or_default(mut self, name: &str, value: &str) -> Self {
        if self.get(name).is_none() {
            self.0.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The value, if set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing { name })
    }

    fn secret(&self, name: &'static str) -> Result<SecretValue, ConfigError> {
        let raw = self.required(name)?;
        if raw.trim() != raw {
            return Err(ConfigError::invalid(
                name,
                "has leading or trailing white space",
            ));
        }
        match raw.strip_prefix(SSM_PREFIX) {
            Some("") => Err(ConfigError::invalid(
                name,
                "names no SSM parameter after `ssm:`",
            )),
            Some(parameter) => Ok(SecretValue::Ssm {
                name,
                parameter: parameter.to_owned(),
            }),
            None => Ok(SecretValue::Plain(SecretString::from(raw.to_owned()))),
        }
    }
}

/// A secret as configured: the value itself, or where to fetch it.
#[derive(Debug, Clone)]
pub enum SecretValue {
    Plain(SecretString),
    Ssm {
        name: &'static str,
        parameter: String,
    },
}

impl SecretValue {
    /// The secret, fetching it from SSM if it is a reference.
    pub async fn resolve(
        self,
        ssm: Option<&aws_sdk_ssm::Client>,
    ) -> Result<SecretString, ConfigError> {
        let (name, parameter) = match self {
            Self::Plain(s) => return Ok(s),
            Self::Ssm { name, parameter } => (name, parameter),
        };
        let fail = |reason: String| ConfigError::Secret {
            name,
            parameter: parameter.clone(),
            reason,
        };
        let ssm = ssm.ok_or_else(|| fail("no AWS configuration to reach SSM".into()))?;
        let out = ssm
            .get_parameter()
            .name(&parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| fail(aws_sdk_ssm::error::DisplayErrorContext(&e).to_string()))?;
        let value = out
            .parameter
            .and_then(|p| p.value)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| fail("the parameter has no value".into()))?;
        Ok(SecretString::from(value))
    }

    pub fn is_reference(&self) -> bool {
        matches!(self, Self::Ssm { .. })
    }
}

/// Settings of the webhook intake function, before secrets are resolved.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    pub app_secret: SecretValue,
    pub verify_token: SecretValue,
    pub table: String,
    pub inbound_queue_url: String,
    pub window: ConversationWindow,
    pub retention: crate::domain::retention::Retention,
    /// Where a new ticket's first SLA timers go (set when `HELPDESK_SLA_QUEUE_ARN` is): armed
    /// at intake, they run even if the bot never gets to the message.
    pub sla: Option<SlaSettings>,
}

/// Settings of the webhook intake function, ready to use.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub app_secret: SecretString,
    pub verify_token: SecretString,
    pub table: String,
    pub inbound_queue_url: String,
    pub window: ConversationWindow,
    pub retention: crate::domain::retention::Retention,
    pub sla: Option<SlaSettings>,
}

impl IntakeSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            app_secret: env.secret(WHATSAPP_APP_SECRET)?,
            verify_token: env.secret(WHATSAPP_VERIFY_TOKEN)?,
            table: table_name(env)?,
            inbound_queue_url: fifo_queue_url(env, HELPDESK_INBOUND_QUEUE_URL)?,
            window: conversation_window(env)?,
            retention: retention(env)?,
            sla: match env.get(HELPDESK_SLA_QUEUE_ARN) {
                Some(_) => Some(SlaSettings::from_env(env)?),
                None => None,
            },
        })
    }

    pub fn needs_ssm(&self) -> bool {
        self.app_secret.is_reference() || self.verify_token.is_reference()
    }

    pub async fn resolve(
        self,
        ssm: Option<&aws_sdk_ssm::Client>,
    ) -> Result<IntakeConfig, ConfigError> {
        let config = IntakeConfig {
            app_secret: self.app_secret.resolve(ssm).await?,
            verify_token: self.verify_token.resolve(ssm).await?,
            table: self.table,
            inbound_queue_url: self.inbound_queue_url,
            window: self.window,
            retention: self.retention,
            sla: self.sla,
        };
        if config.app_secret.expose_secret().is_empty() {
            return Err(ConfigError::invalid(WHATSAPP_APP_SECRET, "is empty"));
        }
        Ok(config)
    }
}

/// Settings of the bot-reply function, before secrets are resolved.
#[derive(Debug, Clone)]
pub struct BotReplySettings {
    pub table: String,
    pub handoff_queue_url: String,
    pub whatsapp: WhatsAppSettings,
    pub bot_config: Option<std::path::PathBuf>,
    pub order_api_url: Option<String>,
    pub order_api_token: Option<SecretValue>,
    pub reengagement_template: Option<(String, String)>,
    pub sla: SlaSettings,
    /// Where agents are told that a customer wrote on their ticket (optional for bot-reply).
    pub notify_topic_arn: Option<String>,
    /// How long messages and notes are kept.
    pub retention: crate::domain::retention::Retention,
}

/// Where SLA timers go: the Scheduler group, the queue fired timers are sent to, and the role
/// the Scheduler uses to send there; and the policy file.
#[derive(Debug, Clone)]
pub struct SlaSettings {
    pub policies: Option<std::path::PathBuf>,
    pub group: String,
    pub queue_arn: String,
    pub role_arn: String,
    /// Where the Scheduler puts fired timers it could not deliver (a standard queue).
    pub dead_letter_arn: Option<String>,
}

impl SlaSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let group = env
            .get(HELPDESK_SCHEDULE_GROUP)
            .unwrap_or(DEFAULT_SCHEDULE_GROUP)
            .to_owned();
        let ok = (1..=64).contains(&group.len())
            && group
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(ConfigError::invalid(
                HELPDESK_SCHEDULE_GROUP,
                "must be 1-64 letters, digits, '-', '_' or '.'",
            ));
        }
        Ok(Self {
            policies: env.get(HELPDESK_SLA_CONFIG).map(std::path::PathBuf::from),
            group,
            queue_arn: arn(env, HELPDESK_SLA_QUEUE_ARN)?,
            role_arn: arn(env, HELPDESK_SCHEDULER_ROLE_ARN)?,
            dead_letter_arn: match env.get(HELPDESK_SCHEDULER_DLQ_ARN) {
                Some(_) => Some(arn(env, HELPDESK_SCHEDULER_DLQ_ARN)?),
                None => None,
            },
        })
    }
}

/// Settings of the sla-breach function: what bot-reply needs to speak to the customer, plus the
/// topic managers and agents subscribe to.
#[derive(Debug, Clone)]
pub struct BreachSettings {
    pub reply: BotReplySettings,
    pub topic_arn: String,
}

impl BreachSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            reply: BotReplySettings::from_env(env)?,
            topic_arn: arn(env, HELPDESK_SLA_TOPIC_ARN)?,
        })
    }
}

/// How the agent API knows its callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiAuthSettings {
    /// Behind API Gateway's JWT authorizer (the default in AWS).
    Jwt,
    /// `HELPDESK_API_KEYS` (`agent:role:sha256hex`, comma separated): for local use and tests.
    ApiKeys(String),
}

/// What the agent desk reads: the table, the handoff queue (a ticket an agent hands back goes
/// on it), the Cloud API, the SLA timers and policies, and the topic agents are notified on. No
/// bot settings: agents never run the bot.
#[derive(Debug, Clone)]
pub struct DeskSettings {
    pub table: String,
    pub handoff_queue_url: String,
    pub whatsapp: WhatsAppSettings,
    pub sla: SlaSettings,
    pub topic_arn: String,
    pub retention: crate::ports::store::Retention,
}

impl DeskSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table: table_name(env)?,
            handoff_queue_url: fifo_queue_url(env, HELPDESK_HANDOFF_QUEUE_URL)?,
            whatsapp: WhatsAppSettings::from_env(env)?,
            sla: SlaSettings::from_env(env)?,
            topic_arn: arn(env, HELPDESK_SLA_TOPIC_ARN)?,
            retention: retention(env)?,
        })
    }

    /// Its AWS resources, with the media bucket agents see customers' media in.
    pub fn ports(&self, media_bucket: Option<&str>) -> PortSettings {
        PortSettings {
            handoff_queue_url: Some(self.handoff_queue_url.clone()),
            timers: Some(self.sla.clone()),
            whatsapp: Some(self.whatsapp.clone()),
            media_bucket: media_bucket.map(str::to_owned),
            topic_arn: Some(self.topic_arn.clone()),
            ..PortSettings::new(&self.table, self.retention)
        }
    }
}

/// The AWS resources a function talks to (its ports): the table, and those of the queues, the
/// Scheduler, the Cloud API, the order API, the media bucket and the topic it uses.
#[derive(Debug, Clone)]
pub struct PortSettings {
    pub table: String,
    pub retention: crate::ports::store::Retention,
    pub inbound_queue_url: Option<String>,
    pub handoff_queue_url: Option<String>,
    /// Where SLA timers go.
    pub timers: Option<SlaSettings>,
    pub whatsapp: Option<WhatsAppSettings>,
    pub orders: Option<OrderApiSettings>,
    pub media_bucket: Option<String>,
    pub topic_arn: Option<String>,
}

impl PortSettings {
    /// The table only.
    pub fn new(table: &str, retention: crate::ports::store::Retention) -> Self {
        Self {
            table: table.to_owned(),
            retention,
            inbound_queue_url: None,
            handoff_queue_url: None,
            timers: None,
            whatsapp: None,
            orders: None,
            media_bucket: None,
            topic_arn: None,
        }
    }
}

/// The shop's order API: its URL and, if it needs one, the bearer token.
#[derive(Debug, Clone)]
pub struct OrderApiSettings {
    pub url: String,
    pub token: Option<SecretValue>,
}

impl IntakeConfig {
    /// Its AWS resources: the table, the inbound queue and, when timers are armed at intake, the
    /// Scheduler.
    pub fn ports(&self) -> PortSettings {
        PortSettings {
            inbound_queue_url: Some(self.inbound_queue_url.clone()),
            timers: self.sla.clone(),
            ..PortSettings::new(&self.table, self.retention)
        }
    }
}

impl BotReplySettings {
    /// Its AWS resources, with the media bucket customers' media are kept in.
    pub fn ports(&self, media_bucket: Option<&str>) -> PortSettings {
        PortSettings {
            handoff_queue_url: Some(self.handoff_queue_url.clone()),
            timers: Some(self.sla.clone()),
            whatsapp: Some(self.whatsapp.clone()),
            orders: self.order_api_url.as_ref().map(|url| OrderApiSettings {
                url: url.clone(),
                token: self.order_api_token.clone(),
            }),
            media_bucket: media_bucket.map(str::to_owned),
            topic_arn: self.notify_topic_arn.clone(),
            ..PortSettings::new(&self.table, self.retention)
        }
    }
}

impl HandoffSettings {
    /// Its AWS resources: the table, the handoff queue, the Cloud API and the topic.
    pub fn ports(&self) -> PortSettings {
        PortSettings {
            handoff_queue_url: Some(self.handoff_queue_url.clone()),
            whatsapp: Some(self.whatsapp.clone()),
            topic_arn: Some(self.topic_arn.clone()),
            ..PortSettings::new(&self.table, self.retention)
        }
    }
}

#[derive(Debug, Clone)]
pub struct AgentApiSettings {
    pub desk: DeskSettings,
    pub auth: ApiAuthSettings,
    pub templates: Option<std::path::PathBuf>,
    pub routing: Option<std::path::PathBuf>,
}

impl AgentApiSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let auth = match env.get(HELPDESK_API_AUTH).unwrap_or("jwt") {
            "jwt" => ApiAuthSettings::Jwt,
            "api_keys" => ApiAuthSettings::ApiKeys(env.required(HELPDESK_API_KEYS)?.to_owned()),
            other => {
                return Err(ConfigError::invalid(
                    HELPDESK_API_AUTH,
                    format!("{other:?} is not jwt or api_keys"),
                ));
            }
        };
        Ok(Self {
            desk: DeskSettings::from_env(env)?,
            auth,
            templates: env
                .get(HELPDESK_TEMPLATES_CONFIG)
                .map(std::path::PathBuf::from),
            routing: env
                .get(HELPDESK_ROUTING_CONFIG)
                .map(std::path::PathBuf::from),
        })
    }
}

fn arn(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    let value = env.required(name)?;
    if !value.starts_with("arn:") || value.split(':').count() < 6 {
        return Err(ConfigError::invalid(
            name,
            "must be an ARN (arn:partition:service:region:account:resource)",
        ));
    }
    Ok(value.to_owned())
}

/// How to reach the Cloud API: the access token, base URL and Graph API version.
#[derive(Debug, Clone)]
pub struct WhatsAppSettings {
    pub access_token: SecretValue,
    pub api_base_url: String,
    pub api_version: String,
    /// The WhatsApp Business Account id (`WHATSAPP_BUSINESS_ACCOUNT_ID`): its templates are
    /// synced with the catalogue.
    pub business_account_id: Option<String>,
}

impl WhatsAppSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let api_version = env
            .get(WHATSAPP_API_VERSION)
            .unwrap_or(DEFAULT_WHATSAPP_API_VERSION)
            .to_owned();
        let version_ok = api_version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && (a.to_owned() + b).bytes().all(|c| c.is_ascii_digit())
            });
        if !version_ok {
            return Err(ConfigError::invalid(
                WHATSAPP_API_VERSION,
                format!("{api_version:?} is not like v23.0"),
            ));
        }
        Ok(Self {
            access_token: env.secret(WHATSAPP_ACCESS_TOKEN)?,
            api_base_url: http_url(env, WHATSAPP_API_BASE_URL)?
                .unwrap_or_else(|| DEFAULT_WHATSAPP_API_BASE_URL.to_owned()),
            api_version,
            business_account_id: business_account_id(env)?,
        })
    }
}

/// `WHATSAPP_BUSINESS_ACCOUNT_ID`: Meta's ids are 5-20 digits.
fn business_account_id(env: &Env) -> Result<Option<String>, ConfigError> {
    // Empty: not set (the deployment template's default).
    let Some(id) = env
        .get(WHATSAPP_BUSINESS_ACCOUNT_ID)
        .map(str::trim)
        .filter(|id| !id.is_empty())
    else {
        return Ok(None);
    };
    if !(5..=20).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::invalid(
            WHATSAPP_BUSINESS_ACCOUNT_ID,
            "must be the account's numeric id (5-20 digits)",
        ));
    }
    Ok(Some(id.to_owned()))
}

/// What agent-handoff reads: the table, the handoff queue (a reassigned ticket goes back on
/// it), the Cloud API (customers are told), the topic agents are notified on and the routing
/// rules. No bot, SLA or Scheduler settings: the router uses none of them.
#[derive(Debug, Clone)]
pub struct HandoffSettings {
    pub table: String,
    pub handoff_queue_url: String,
    pub whatsapp: WhatsAppSettings,
    pub topic_arn: String,
    pub routing: Option<std::path::PathBuf>,
    pub retention: crate::domain::retention::Retention,
}

impl HandoffSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table: table_name(env)?,
            handoff_queue_url: fifo_queue_url(env, HELPDESK_HANDOFF_QUEUE_URL)?,
            whatsapp: WhatsAppSettings::from_env(env)?,
            topic_arn: arn(env, HELPDESK_SLA_TOPIC_ARN)?,
            routing: env
                .get(HELPDESK_ROUTING_CONFIG)
                .map(std::path::PathBuf::from),
            retention: retention(env)?,
        })
    }
}

impl BotReplySettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let reengagement_template = match env.get(WHATSAPP_REENGAGEMENT_TEMPLATE) {
            None => None,
            Some(raw) => {
                let (name, lang) = raw.split_once(':').ok_or_else(|| {
                    ConfigError::invalid(
                        WHATSAPP_REENGAGEMENT_TEMPLATE,
                        "must be <template name>:<language code>, e.g. service_followup:de",
                    )
                })?;
                if name.is_empty() || lang.is_empty() {
                    return Err(ConfigError::invalid(
                        WHATSAPP_REENGAGEMENT_TEMPLATE,
                        "needs a name and a language code",
                    ));
                }
                Some((name.to_owned(), lang.to_owned()))
            }
        };
        Ok(Self {
            table: table_name(env)?,
            handoff_queue_url: fifo_queue_url(env, HELPDESK_HANDOFF_QUEUE_URL)?,
            whatsapp: WhatsAppSettings::from_env(env)?,
            bot_config: env.get(HELPDESK_BOT_CONFIG).map(std::path::PathBuf::from),
            order_api_url: http_url(env, HELPDESK_ORDER_API_URL)?,
            order_api_token: match env.get(HELPDESK_ORDER_API_TOKEN) {
                Some(_) => Some(env.secret(HELPDESK_ORDER_API_TOKEN)?),
                None => None,
            },
            reengagement_template,
            sla: SlaSettings::from_env(env)?,
            notify_topic_arn: match env.get(HELPDESK_SLA_TOPIC_ARN) {
                Some(_) => Some(arn(env, HELPDESK_SLA_TOPIC_ARN)?),
                None => None,
            },
            retention: retention(env)?,
        })
    }
}

fn http_url(env: &Env, name: &'static str) -> Result<Option<String>, ConfigError> {
    match env.get(name) {
        None => Ok(None),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Some(url.trim_end_matches('/').to_owned()))
        }
        Some(_) => Err(ConfigError::invalid(name, "must be an http(s) URL")),
    }
}

/// DynamoDB table names: 3-255 characters of letters, digits, `_`, `-`, `.`.
fn table_name(env: &Env) -> Result<String, ConfigError> {
    let name = env.required(HELPDESK_TABLE)?;
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok {
        return Err(ConfigError::invalid(
            HELPDESK_TABLE,
            "must be 3-255 characters of letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(name.to_owned())
}

fn fifo_queue_url(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    let url = env.required(name)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ConfigError::invalid(
            name,
            "must be an http(s) SQS queue URL",
        ));
    }
    if !url.ends_with(".fifo") {
        return Err(ConfigError::invalid(
            name,
            "must be a FIFO queue (the URL ends in .fifo)",
        ));
    }
    Ok(url.to_owned())
}

/// `HELPDESK_CONVERSATION_WINDOW_HOURS`, 24 when unset.
/// Which customer media are kept: `HELPDESK_MEDIA_TYPES` (MIME types, comma separated) and
/// `HELPDESK_MEDIA_MAX_BYTES`; and where they may be downloaded from with the access token:
/// `HELPDESK_MEDIA_DOWNLOAD_HOSTS` (comma separated `host`, `*.domain` or `http(s)://host[:port]`,
/// replacing Meta's hosts); defaults in [`MediaPolicy::default`](crate::ports::media::MediaPolicy).
pub fn media_policy(env: &Env) -> Result<crate::ports::media::MediaPolicy, ConfigError> {
    let mut policy = crate::ports::media::MediaPolicy::default();
    if let Some(types) = env.get(HELPDESK_MEDIA_TYPES) {
        let allowed: Vec<String> = types
            .split(',')
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        let valid = |t: &String| {
            t.split_once('/').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && t.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"/.+-".contains(&c))
            })
        };
        if let Some(bad) = allowed.iter().find(|t| !valid(t)) {
            return Err(ConfigError::invalid(
                HELPDESK_MEDIA_TYPES,
                format!("{bad:?} is not a MIME type like image/png"),
            ));
        }
        if allowed.is_empty() {
            return Err(ConfigError::invalid(HELPDESK_MEDIA_TYPES, "names no type"));
        }
        policy.allowed = allowed;
    }
    if let Some(raw) = env.get(HELPDESK_MEDIA_DOWNLOAD_HOSTS) {
        let hosts: Vec<String> = raw
            .split(',')
            .map(|h| h.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let name_ok = |h: &str| {
            !h.is_empty()
                && h.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        let valid = |h: &String| match h.split_once("://") {
            Some((scheme, rest)) => {
                let host = rest.rsplit_once(':').map_or(rest, |(host, port)| {
                    if port.parse::<u16>().is_ok() {
                        host
                    } else {
                        ""
                    }
                });
                matches!(scheme, "http" | "https") && name_ok(host)
            }
            None => name_ok(h.strip_prefix("*.").unwrap_or(h)),
        };
        if let Some(bad) = hosts.iter().find(|h| !valid(h)) {
            return Err(ConfigError::invalid(
                HELPDESK_MEDIA_DOWNLOAD_HOSTS,
                format!("{bad:?} is not a host, *.domain or http(s)://host[:port] origin"),
            ));
        }
        if hosts.is_empty() {
            return Err(ConfigError::invalid(
                HELPDESK_MEDIA_DOWNLOAD_HOSTS,
                "names no host",
            ));
        }
        policy.download_hosts = hosts;
    }
    if let Some(raw) = env.get(HELPDESK_MEDIA_MAX_BYTES) {
        policy.max_bytes = raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=100 * 1024 * 1024).contains(n))
            .ok_or_else(|| {
                ConfigError::invalid(
                    HELPDESK_MEDIA_MAX_BYTES,
                    format!("{raw:?} is not a size in bytes between 1 and 104857600"),
                )
            })?;
    }
    Ok(policy)
}

/// How long the table keeps customer data: conversation data (tickets, messages, notes, open
/// conversations, profiles) `HELPDESK_RETENTION_DAYS` after its last change (1-3650, default
/// 365); consent and audit records `HELPDESK_PROOF_RETENTION_DAYS` after they were recorded
/// (1-3650, default 1095).
pub fn retention(env: &Env) -> Result<crate::domain::retention::Retention, ConfigError> {
    let defaults = crate::domain::retention::Retention::default();
    Ok(crate::domain::retention::Retention {
        data: days(env, HELPDESK_RETENTION_DAYS, defaults.data)?,
        proof: days(env, HELPDESK_PROOF_RETENTION_DAYS, defaults.proof)?,
    })
}

fn days(
    env: &Env,
    name: &'static str,
    default: jiff::SignedDuration,
) -> Result<jiff::SignedDuration, ConfigError> {
    let Some(raw) = env.get(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .map(|d| jiff::SignedDuration::from_hours(d * 24))
        .ok_or_else(|| {
            ConfigError::invalid(
                name,
                format!("{raw:?} is not a number of days between 1 and 3650"),
            )
        })
}

pub fn conversation_window(env: &Env) -> Result<ConversationWindow, ConfigError> {
    let Some(raw) = env.get(HELPDESK_CONVERSATION_WINDOW_HOURS) else {
        return Ok(ConversationWindow::default());
    };
    let hours: i64 = raw.trim().parse().map_err(|_| {
        ConfigError::invalid(
            HELPDESK_CONVERSATION_WINDOW_HOURS,
            format!("{raw:?} is not a whole number of hours"),
        )
    })?;
    ConversationWindow::from_hours(hours)
        .map_err(|e| ConfigError::invalid(HELPDESK_CONVERSATION_WINDOW_HOURS, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-inbound.fifo";

    fn env(overrides: &[(&'static str, &'static str)]) -> Env {
        let mut pairs = vec![
            (WHATSAPP_APP_SECRET, "s3cret-app"),
            (WHATSAPP_VERIFY_TOKEN, "verify-me"),
            (HELPDESK_TABLE, "helpdesk"),
            (HELPDESK_INBOUND_QUEUE_URL, URL),
        ];
        for (k, v) in overrides {
            pairs.retain(|(name, _)| name != k);
            pairs.push((k, v));
        }
        Env::from_pairs(pairs)
    }

    #[test]
    fn agent_handoff_needs_no_bot_sla_or_scheduler_settings() {
        let handoff = "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-handoff.fifo";
        let topic = "arn:aws:sns:eu-central-1:000000000000:helpdesk-sla-alerts";
        let pairs = [
            (HELPDESK_TABLE, "helpdesk"),
            (HELPDESK_HANDOFF_QUEUE_URL, handoff),
            (WHATSAPP_ACCESS_TOKEN, "token"),
            (HELPDESK_SLA_TOPIC_ARN, topic),
        ];
        let settings = HandoffSettings::from_env(&Env::from_pairs(pairs)).unwrap();
        assert_eq!(settings.handoff_queue_url, handoff);
        assert_eq!(settings.whatsapp.api_version, DEFAULT_WHATSAPP_API_VERSION);
        assert!(settings.routing.is_none());

        // The topic is where agents hear of assignments: without it the function does not start.
        let without_topic = Env::from_pairs(
            pairs
                .into_iter()
                .filter(|(k, _)| *k != HELPDESK_SLA_TOPIC_ARN),
        );
        let err = HandoffSettings::from_env(&without_topic).unwrap_err();
        assert!(err.to_string().contains(HELPDESK_SLA_TOPIC_ARN), "{err}");
    }

    #[test]
    fn the_business_account_id_is_optional_and_must_be_digits() {
        let with = |id: Option<&str>| {
            let mut pairs = vec![(WHATSAPP_ACCESS_TOKEN, "token")];
            if let Some(id) = id {
                pairs.push((WHATSAPP_BUSINESS_ACCOUNT_ID, id));
            }
            WhatsAppSettings::from_env(&Env::from_pairs(pairs))
        };
        assert_eq!(with(None).unwrap().business_account_id, None);
        assert_eq!(with(Some("")).unwrap().business_account_id, None);
        assert_eq!(
            with(Some("102290129340398"))
                .unwrap()
                .business_account_id
                .as_deref(),
            Some("102290129340398")
        );
        for bad in ["waba-1", "12", "1234567890123456789012", "1029 0129"] {
            let err = with(Some(bad)).unwrap_err().to_string();
            assert!(err.contains(WHATSAPP_BUSINESS_ACCOUNT_ID), "{bad}: {err}");
        }
    }

    #[test]
    fn the_agent_api_reads_no_bot_settings() {
        let pairs = [
            (HELPDESK_TABLE, "helpdesk"),
            (
                HELPDESK_HANDOFF_QUEUE_URL,
                "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-handoff.fifo",
            ),
            (WHATSAPP_ACCESS_TOKEN, "token"),
            (
                HELPDESK_SLA_QUEUE_ARN,
                "arn:aws:sqs:eu-central-1:000000000000:helpdesk-sla",
            ),
            (
                HELPDESK_SCHEDULER_ROLE_ARN,
                "arn:aws:iam::000000000000:role/helpdesk-scheduler",
            ),
            (
                HELPDESK_SLA_TOPIC_ARN,
                "arn:aws:sns:eu-central-1:000000000000:helpdesk-sla-alerts",
            ),
            (HELPDESK_API_AUTH, "jwt"),
            // Settings only the bot reads, broken: the agent API starts regardless.
            (HELPDESK_ORDER_API_URL, "order-api"),
            (WHATSAPP_REENGAGEMENT_TEMPLATE, "no language"),
        ];
        let env = Env::from_pairs(pairs);
        assert!(BotReplySettings::from_env(&env).is_err());
        let settings = AgentApiSettings::from_env(&env).unwrap();
        assert_eq!(settings.desk.table, "helpdesk");
        assert!(settings.desk.ports(None).orders.is_none());
    }

    #[tokio::test]
    async fn a_complete_environment_parses_with_a_24_hour_default_window() {
        let config = IntakeSettings::from_env(&env(&[]))
            .unwrap()
            .resolve(None)
            .await
            .unwrap();
        assert_eq!(config.table, "helpdesk");
        assert_eq!(config.window, ConversationWindow::default());
        assert_eq!(config.app_secret.expose_secret(), "s3cret-app");
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in [
            WHATSAPP_APP_SECRET,
            WHATSAPP_VERIFY_TOKEN,
            HELPDESK_TABLE,
            HELPDESK_INBOUND_QUEUE_URL,
        ] {
            let err = IntakeSettings::from_env(&env(&[(name, "")])).unwrap_err();
            assert_eq!(err, ConfigError::Missing { name });
            assert_eq!(err.to_string(), format!("{name} is not set"));
        }
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let cases: [(&'static str, &'static str, &str); 5] = [
            (
                HELPDESK_CONVERSATION_WINDOW_HOURS,
                "a day",
                "is not a whole number",
            ),
            (
                HELPDESK_CONVERSATION_WINDOW_HOURS,
                "500",
                "between 1 and 168 hours",
            ),
            (
                HELPDESK_INBOUND_QUEUE_URL,
                "https://sqs/q",
                "must be a FIFO queue",
            ),
            (HELPDESK_TABLE, "a b", "letters, digits"),
            (WHATSAPP_APP_SECRET, " secret", "white space"),
        ];
        for (name, value, expected) in cases {
            let err = IntakeSettings::from_env(&env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(name), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn retention_defaults_to_a_year_of_data_and_three_years_of_proof_and_both_are_configurable() {
        let s = IntakeSettings::from_env(&env(&[])).unwrap();
        assert_eq!(s.retention.data, jiff::SignedDuration::from_hours(365 * 24));
        assert_eq!(
            s.retention.proof,
            jiff::SignedDuration::from_hours(1095 * 24)
        );
        let s = IntakeSettings::from_env(&env(&[
            (HELPDESK_RETENTION_DAYS, "90"),
            (HELPDESK_PROOF_RETENTION_DAYS, "1825"),
        ]))
        .unwrap();
        assert_eq!(s.retention.data, jiff::SignedDuration::from_hours(90 * 24));
        assert_eq!(
            s.retention.proof,
            jiff::SignedDuration::from_hours(1825 * 24)
        );
        for (name, bad) in [
            (HELPDESK_RETENTION_DAYS, "0"),
            (HELPDESK_PROOF_RETENTION_DAYS, "forever"),
        ] {
            let err = IntakeSettings::from_env(&env(&[(name, bad)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(name) && err.contains("between 1 and 3650"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_window_accepts_48_hours() {
        let s =
            IntakeSettings::from_env(&env(&[(HELPDESK_CONVERSATION_WINDOW_HOURS, "48")])).unwrap();
        assert_eq!(s.window, ConversationWindow::from_hours(48).unwrap());
    }

    #[tokio::test]
    async fn an_ssm_reference_needs_aws_to_resolve() {
        let s =
            IntakeSettings::from_env(&env(&[(WHATSAPP_APP_SECRET, "ssm:/helpdesk/app-secret")]))
                .unwrap();
        assert!(s.needs_ssm());
        let err = s.resolve(None).await.unwrap_err().to_string();
        assert!(
            err.contains("WHATSAPP_APP_SECRET") && err.contains("/helpdesk/app-secret"),
            "{err}"
        );
    }

    #[test]
    fn the_environment_prints_names_not_values() {
        let printed = format!("{:?}", env(&[]));
        assert!(
            printed.contains("WHATSAPP_APP_SECRET") && !printed.contains("s3cret-app"),
            "{printed}"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = IntakeSettings::from_env(&env(&[])).unwrap();
        let printed = format!("{s:?}");
        assert!(
            !printed.contains("s3cret-app") && !printed.contains("verify-me"),
            "{printed}"
        );
    }

    #[test]
    fn the_configuration_check_interval_is_1_to_30_seconds_and_named_when_wrong() {
        let env = |v: &str| Env::from_pairs([(HELPDESK_CONFIG_CHECK_SECONDS, v)]);
        assert_eq!(config_check_every(&Env::default()).unwrap(), None);
        assert_eq!(
            config_check_every(&env("2")).unwrap(),
            Some(jiff::SignedDuration::from_secs(2))
        );
        for bad in ["0", "31", "1.5", "soon"] {
            let err = config_check_every(&env(bad)).unwrap_err().to_string();
            assert!(
                err.starts_with("HELPDESK_CONFIG_CHECK_SECONDS is invalid"),
                "{err}"
            );
        }
    }

    #[test]
    fn media_settings_are_checked_and_named() {
        let default = media_policy(&Env::default()).unwrap();
        assert!(default.allowed.contains(&"application/pdf".to_owned()));
        let custom = media_policy(&Env::from_pairs([
            (HELPDESK_MEDIA_TYPES, "image/png, Application/PDF"),
            (HELPDESK_MEDIA_MAX_BYTES, "1048576"),
            (
                HELPDESK_MEDIA_DOWNLOAD_HOSTS,
                "*.fbsbx.com, http://127.0.0.1:8080/",
            ),
        ]))
        .unwrap();
        assert_eq!(custom.allowed, ["image/png", "application/pdf"]);
        assert_eq!(custom.max_bytes, 1_048_576);
        assert_eq!(
            custom.download_hosts,
            ["*.fbsbx.com", "http://127.0.0.1:8080"]
        );
        assert_eq!(
            default.download_hosts,
            crate::ports::media::META_MEDIA_HOSTS,
            "Meta's hosts unless configured"
        );
        for (name, value) in [
            (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "evil.example/path"),
            (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "ftp://127.0.0.1"),
            (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "http://127.0.0.1:port"),
            (HELPDESK_MEDIA_DOWNLOAD_HOSTS, ","),
            (HELPDESK_MEDIA_TYPES, "png"),
            (HELPDESK_MEDIA_TYPES, " , "),
            (HELPDESK_MEDIA_MAX_BYTES, "lots"),
            (HELPDESK_MEDIA_MAX_BYTES, "0"),
        ] {
            let err = media_policy(&Env::from_pairs([(name, value)])).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}
