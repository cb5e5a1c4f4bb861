use super::*;

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
