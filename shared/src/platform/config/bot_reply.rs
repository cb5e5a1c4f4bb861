use super::*;

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
