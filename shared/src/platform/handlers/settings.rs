use super::*;

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

    pub(super) fn bot(&self) -> Result<Arc<BotConfig>, ConfigError> {
        need(&self.bot, HELPDESK_BOT_CONFIG)
    }

    pub(super) fn sla(&self) -> Result<Arc<SlaConfig>, ConfigError> {
        need(&self.sla, HELPDESK_SLA_CONFIG)
    }

    pub(super) fn routing(&self) -> Arc<RoutingConfig> {
        self.routing
            .clone()
            .unwrap_or_else(|| Arc::new(RoutingConfig::default_routing()))
    }

    pub(super) fn templates(&self) -> Arc<TemplateCatalog> {
        self.templates
            .clone()
            .unwrap_or_else(|| Arc::new(TemplateCatalog::default_catalog()))
    }
}
