use super::*;

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
