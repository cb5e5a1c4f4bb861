use super::*;

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
