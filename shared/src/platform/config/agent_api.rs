use super::*;

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
