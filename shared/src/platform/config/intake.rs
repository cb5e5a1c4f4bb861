use secrecy::{ExposeSecret, SecretString};

use crate::domain::ticket::ConversationWindow;

use super::*;

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
