use super::*;

/// What the handlers talk to. The store, the clock and the shop's orders every function has; the
/// others only the functions whose settings name them (`None` otherwise: building a handler that
/// needs a missing port fails at start, naming the variable that configures it).
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn TicketStore>,
    pub clock: Arc<dyn Clock>,
    /// Where intake queues customer messages for the bot (`inbound.fifo`).
    pub inbound: Option<Arc<dyn Queue>>,
    /// Where tickets handed to people go (`handoff.fifo`).
    pub handoffs: Option<Arc<dyn Queue>>,
    /// SLA timers (EventBridge Scheduler).
    pub timers: Option<Arc<dyn Timers>>,
    pub whatsapp: Option<Arc<dyn WhatsAppClient>>,
    /// Where customers' media are downloaded from (the Cloud API).
    pub media_source: Option<Arc<dyn MediaSource>>,
    /// The shop's order API ([`Unconfigured`] sends order questions to a person).
    pub orders: Arc<dyn OrderLookup>,
    /// Where customers' media are kept (S3).
    pub media: Option<Arc<dyn MediaStore>>,
    /// Where agents and managers are told (SNS).
    pub notify: Option<Arc<dyn Notifier>>,
    /// The versioned configuration documents (admin area): when set, the bot follows the
    /// published bot configuration and the agent API serves `/config/...`.
    pub config_docs: Option<Arc<dyn ConfigDocs>>,
    /// Where the bot keeps what it did not understand (`/bot/unrecognised`).
    pub bot_feedback: Option<Arc<dyn BotFeedback>>,
    /// The WhatsApp Business Account's templates on Meta's Graph API (sync, submit).
    pub message_templates: Option<Arc<dyn MessageTemplates>>,
    /// Where ticket events for integrations go (EventBridge); `None`: none are published.
    pub events: Option<Arc<dyn EventBus>>,
}

impl Ports {
    /// Only the store and the clock; add the other ports with struct update syntax.
    pub fn new(store: Arc<dyn TicketStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            inbound: None,
            handoffs: None,
            timers: None,
            whatsapp: None,
            media_source: None,
            orders: Arc::new(Unconfigured),
            media: None,
            notify: None,
            config_docs: None,
            bot_feedback: None,
            message_templates: None,
            events: None,
        }
    }

    pub(super) fn handoffs(&self) -> Result<Arc<dyn Queue>, ConfigError> {
        need(&self.handoffs, HELPDESK_HANDOFF_QUEUE_URL)
    }

    pub(super) fn whatsapp(&self) -> Result<Arc<dyn WhatsAppClient>, ConfigError> {
        need(&self.whatsapp, WHATSAPP_ACCESS_TOKEN)
    }

    pub(super) fn timers(&self) -> Result<Arc<dyn Timers>, ConfigError> {
        need(&self.timers, HELPDESK_SLA_QUEUE_ARN)
    }

    pub(super) fn notify(&self) -> Result<Arc<dyn Notifier>, ConfigError> {
        need(&self.notify, HELPDESK_SLA_TOPIC_ARN)
    }
}

impl Ports {
    /// Ports over `memory`, with `whatsapp` and the demo shop's orders (no media source: set
    /// `media_source` when WhatsApp can serve media).
    pub fn memory(
        memory: &MemoryPorts,
        clock: Arc<dyn Clock>,
        whatsapp: Arc<dyn WhatsAppClient>,
    ) -> Self {
        Self {
            inbound: Some(memory.inbound.clone()),
            handoffs: Some(memory.handoffs.clone()),
            timers: Some(memory.timers.clone()),
            whatsapp: Some(whatsapp),
            orders: Arc::new(MemoryOrders::demo()),
            media: Some(memory.media.clone()),
            notify: Some(memory.notifier.clone()),
            config_docs: Some(memory.config_docs.clone()),
            bot_feedback: Some(memory.bot_feedback.clone()),
            message_templates: Some(memory.templates.clone()),
            events: Some(memory.events.clone()),
            ..Self::new(memory.store.clone(), clock)
        }
    }
}

/// The in-memory adapters behind [`Ports::memory`], kept as they are so the local runner and
/// the tests can look at (and inject faults into) what the handlers did.
#[derive(Clone)]
pub struct MemoryPorts {
    pub store: Arc<MemoryStore>,
    pub inbound: Arc<MemoryQueue>,
    pub handoffs: Arc<MemoryQueue>,
    pub timers: Arc<MemoryTimers>,
    pub notifier: Arc<MemoryNotifier>,
    pub media: Arc<MemoryMediaStore>,
    pub config_docs: Arc<MemoryConfigDocs>,
    pub bot_feedback: Arc<MemoryBotFeedback>,
    /// Meta's side of the templates: the shipped ones, approved.
    pub templates: Arc<MemoryTemplates>,
    pub events: Arc<MemoryEventBus>,
}

impl MemoryPorts {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            store: Arc::new(MemoryStore::new()),
            inbound: Arc::new(MemoryQueue::new(clock.clone())),
            handoffs: Arc::new(MemoryQueue::new(clock)),
            timers: Arc::new(MemoryTimers::new()),
            notifier: Arc::new(MemoryNotifier::new()),
            media: Arc::new(MemoryMediaStore::new()),
            config_docs: Arc::new(MemoryConfigDocs::new()),
            bot_feedback: Arc::new(MemoryBotFeedback::new()),
            templates: Arc::new(MemoryTemplates::shipped()),
            events: Arc::new(MemoryEventBus::new()),
        }
    }
}

pub(super) fn need<T: ?Sized>(
    port: &Option<Arc<T>>,
    name: &'static str,
) -> Result<Arc<T>, ConfigError> {
    port.clone().ok_or(ConfigError::Missing { name })
}
