//! The outbox: what a handler decided, stored with the ticket change in one write, then done
//! in order (WhatsApp messages, handoffs, SLA timers, notifications). A crash or a redelivery
//! finishes what is pending and never decides twice.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{error, warn};

use crate::app::ticket_events::{TicketEvent, bus_event};
use crate::domain::handoff::HandoffItem;
use crate::domain::ids::Wamid;
use crate::domain::ticket::Ticket;
use crate::platform::metrics::{Count, Metrics};
use crate::ports::clock::Clock;
use crate::ports::events::{EventBus, EventBusError};
use crate::ports::notify::{Notification, Notifier, NotifyError};
use crate::ports::queue::{Queue, QueueError};
use crate::ports::store::{
    Direction, MessageRecord, OutboxEntry, OutboxKind, StatsEvent, StoreError, TicketStore,
};
use crate::ports::timers::{Timer, TimerError, TimerName, Timers};
use crate::ports::whatsapp::{
    OutboundBody, RetryPolicy, Template, WhatsAppClient, WhatsAppError, send_with_retry,
    service_window_open,
};

/// Store writes tried after a side effect that cannot be repeated safely.
const COMPLETE_ATTEMPTS: u32 = 4;

/// Why a handler could not finish; retryable errors make the queue deliver the record again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    #[error("the queue item is unusable: {0}")]
    Poison(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    WhatsApp(#[from] WhatsAppError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Timer(#[from] TimerError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Media(#[from] crate::ports::media::MediaError),
    #[error(transparent)]
    Events(#[from] EventBusError),
}

impl HandlerError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Poison(_) => false,
            Self::Store(e) => e.is_retryable(),
            Self::WhatsApp(e) => e.is_retryable(),
            Self::Queue(e) => e.is_retryable(),
            Self::Timer(e) => e.is_retryable(),
            Self::Notify(e) => e.is_retryable(),
            Self::Media(e) => e.is_retryable(),
            Self::Events(e) => e.is_retryable(),
        }
    }
}

/// An SLA timer to create or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerChange {
    Arm(Timer),
    Disarm(TimerName),
}

/// A WhatsApp message to send, and who wrote it (stored as the outbox payload; a plain
/// `OutboundBody` reads as one by the bot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundEntry {
    #[serde(flatten)]
    pub body: OutboundBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_by: Option<String>,
    /// The kept file a media message sends (uploaded to the Cloud API, once, before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentRef>,
}

/// A file in the media store an agent sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub key: String,
    /// The type its bytes show (checked when the agent sent it).
    pub mime_type: String,
    pub size: u64,
}

/// A slot of an agent's capacity that a ticket change gave back (the ticket left them): done
/// after the change is stored, exactly once however often the request is repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityRelease {
    pub agent: String,
}

/// Builds outbox entries in order for one ticket change.
pub struct OutboxBuilder {
    ticket_id: crate::domain::ids::TicketId,
    key: Wamid,
    entries: Vec<OutboxEntry>,
    /// What [`stats`](Self::stats) counted, for the ticket events.
    facts: Vec<crate::app::analytics::Fact>,
}

impl OutboxBuilder {
    pub fn new(ticket_id: crate::domain::ids::TicketId, key: Wamid) -> Self {
        Self {
            ticket_id,
            key,
            entries: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// The facts counted so far (opened, handed off, resolved, rated, ...).
    pub fn facts(&self) -> &[crate::app::analytics::Fact] {
        &self.facts
    }

    /// The key of the change this outbox belongs to (unique per change of the ticket).
    pub fn key(&self) -> &Wamid {
        &self.key
    }

    pub fn push(&mut self, kind: OutboxKind, payload: &impl Serialize) {
        self.entries.push(OutboxEntry {
            ticket_id: self.ticket_id,
            inbound: self.key.clone(),
            seq: u8::try_from(self.entries.len()).unwrap_or(u8::MAX),
            kind,
            payload: serde_json::to_string(payload).unwrap_or_default(),
            done: false,
        });
    }

    /// Like [`push`](Self::push), but done before every entry pushed so far.
    pub fn push_first(&mut self, kind: OutboxKind, payload: &impl Serialize) {
        self.push(kind, payload);
        self.entries.rotate_right(1);
        for (seq, entry) in self.entries.iter_mut().enumerate() {
            entry.seq = u8::try_from(seq).unwrap_or(u8::MAX);
        }
    }

    pub fn timers(&mut self, plan: crate::domain::sla::TimerPlan) {
        for name in plan.disarm {
            self.push(OutboxKind::Timer, &TimerChange::Disarm(name));
        }
        for timer in plan.arm {
            self.push(OutboxKind::Timer, &TimerChange::Arm(timer));
        }
    }

    /// Counts `fact` on `ticket` (as it is after the change) in the analytics, once.
    pub fn stats(
        &mut self,
        ticket: &Ticket,
        fact: crate::app::analytics::Fact,
        now: jiff::Timestamp,
    ) {
        self.facts.push(fact);
        self.push(
            OutboxKind::Stats,
            &crate::app::analytics::event(ticket, fact, now),
        );
    }

    pub fn build(self) -> Vec<OutboxEntry> {
        self.entries
    }
}

/// Does pending outbox entries.
pub struct OutboxRunner {
    pub(crate) store: Arc<dyn TicketStore>,
    pub(crate) whatsapp: Arc<dyn WhatsAppClient>,
    pub(crate) handoffs: Arc<dyn Queue>,
    pub(crate) timers: Option<Arc<dyn Timers>>,
    pub(crate) notifier: Option<Arc<dyn Notifier>>,
    /// Where ticket events go; `None`: no events are decided or published.
    pub(crate) events: Option<Arc<dyn EventBus>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    /// Sent instead of a free-form reply outside the 24 h window, if configured.
    pub(crate) reengagement: Option<Template>,
    /// Counts the bot's messages, handoffs and failed sends; off unless the handler sets it.
    pub(crate) metrics: Metrics,
    /// Where the files agents attach are kept (read to upload them to the Cloud API).
    pub(crate) media: Option<Arc<dyn crate::ports::media::MediaStore>>,
}

impl OutboxRunner {
    /// One WhatsApp message, with this runner's retries, counting failed attempts.
    async fn send_retried(
        &self,
        from: &crate::domain::ids::PhoneNumberId,
        to: &crate::domain::ids::WaId,
        body: &OutboundBody,
    ) -> Result<Wamid, crate::ports::whatsapp::WhatsAppError> {
        send_with_retry(
            self.whatsapp.as_ref(),
            self.retry,
            &self.metrics,
            from,
            to,
            body,
        )
        .await
    }

    /// A runner that sends WhatsApp messages and handoffs; timers, notifications, retries and
    /// the re-engagement template are set by the handler that needs them.
    pub fn new(
        store: Arc<dyn TicketStore>,
        whatsapp: Arc<dyn WhatsAppClient>,
        handoffs: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            whatsapp,
            handoffs,
            timers: None,
            notifier: None,
            events: None,
            clock,
            retry: RetryPolicy::default(),
            reengagement: None,
            metrics: Metrics::off(),
            media: None,
        }
    }
    /// Sends the pending outbox entries of the turn that answered `inbound`, in order.
    pub async fn flush(&self, ticket: &Ticket, key: &Wamid) -> Result<usize, HandlerError> {
        let inbound = key;
        let mut sent = 0;
        for entry in self.store.outbox(ticket.id, inbound).await? {
            if entry.done {
                continue;
            }
            match entry.kind {
                OutboxKind::WhatsApp => {
                    if self.send_entry(ticket, &entry).await? {
                        sent += 1;
                    }
                }
                OutboxKind::Handoff => self.hand_off(&entry).await?,
                OutboxKind::Timer => self.change_timer(ticket, &entry).await?,
                OutboxKind::Notify => self.notify(ticket, &entry).await?,
                OutboxKind::Stats => self.count(&entry).await?,
                OutboxKind::Event => self.publish(ticket, &entry).await?,
                OutboxKind::Release => self.release(&entry).await?,
            }
        }
        Ok(sent)
    }

    /// A WhatsApp message (its attachment uploaded first), recorded as sent; whether it went.
    async fn send_entry(&self, ticket: &Ticket, entry: &OutboxEntry) -> Result<bool, HandlerError> {
        let mut out: OutboundEntry = payload(entry)?;
        if !self.upload_attachment(ticket, entry, &mut out).await? {
            self.store.complete_outbox(entry, None).await?;
            return Ok(false);
        }
        let Some(record) = self.send(ticket, &out.body).await? else {
            self.store.complete_outbox(entry, None).await?;
            return Ok(false);
        };
        let media = match (&out.attachment, &out.body) {
            (Some(a), OutboundBody::Media { id, .. }) if record.kind == out.body.kind() => {
                Some((a, id.clone()))
            }
            _ => None,
        };
        let record = MessageRecord {
            sent_by: out.sent_by,
            media_id: media.as_ref().and_then(|(_, id)| id.clone()),
            media: media.map(|(a, _)| crate::ports::media::MediaRecord {
                key: Some(a.key.clone()),
                mime_type: Some(a.mime_type.clone()),
                size: Some(a.size),
                refused: None,
            }),
            ..record
        };
        self.complete_after_effect(entry, Some(&record)).await?;
        if record.sent_by.is_none() {
            self.metrics.add(Count::BotReplies, 1);
        }
        Ok(true)
    }

    /// The ticket to an agent: an item on the handoff queue.
    async fn hand_off(&self, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let item: HandoffItem = payload(entry)?;
        self.handoffs.send(&[item.to_message()]).await?;
        self.store.complete_outbox(entry, None).await?;
        self.metrics.handoff(item.reason.as_str());
        Ok(())
    }

    /// An SLA timer armed or disarmed.
    async fn change_timer(&self, ticket: &Ticket, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let change: TimerChange = payload(entry)?;
        match (&self.timers, change) {
            (Some(timers), TimerChange::Arm(timer)) => {
                timers.arm(&timer).await?;
            }
            (Some(timers), TimerChange::Disarm(name)) => timers.disarm(&name).await?,
            (None, _) => {
                warn!(ticket_id = %ticket.id, "no timers configured; SLA timer change dropped")
            }
        }
        self.store.complete_outbox(entry, None).await?;
        Ok(())
    }

    /// A notice to agents or managers.
    async fn notify(&self, ticket: &Ticket, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let notification: Notification = payload(entry)?;
        match &self.notifier {
            Some(n) => n.notify(&notification).await?,
            None => {
                warn!(ticket_id = %ticket.id, "no notifier configured; notification dropped")
            }
        }
        self.complete_after_effect(entry, None).await?;
        Ok(())
    }

    /// A fact counted in the statistics.
    async fn count(&self, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let event: StatsEvent = payload(entry)?;
        // Applied once per key: a crash between these two calls cannot count twice.
        self.store.record_stats(&event).await?;
        self.store.complete_outbox(entry, None).await?;
        Ok(())
    }

    /// A ticket event published to integrations.
    async fn publish(&self, ticket: &Ticket, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let event: TicketEvent = payload(entry)?;
        match &self.events {
            // The event id is the entry's: a publish repeated after a crash
            // carries the same id, which subscribers dedupe on.
            Some(bus) => bus.publish(&bus_event(entry, &event)).await?,
            None => {
                warn!(ticket_id = %ticket.id, "no event bus configured; ticket event dropped")
            }
        }
        self.store.complete_outbox(entry, None).await?;
        Ok(())
    }

    /// An agent's slot given back.
    async fn release(&self, entry: &OutboxEntry) -> Result<(), HandlerError> {
        let release: CapacityRelease = payload(entry)?;
        // Given back and marked done in one write: a retry cannot give it twice.
        self.store.release_agent_once(entry, &release.agent).await?;
        Ok(())
    }

    /// Uploads an attachment's file to the Cloud API, once: the media id is kept in the entry's
    /// payload before the message goes, so a retry sends by that id and does not upload again.
    /// False when the file cannot be sent at all (gone from the store, refused by Meta): the
    /// entry is then done without a message. Outside the 24 h window nothing is uploaded (the
    /// send falls back as any reply does).
    async fn upload_attachment(
        &self,
        ticket: &Ticket,
        entry: &OutboxEntry,
        out: &mut OutboundEntry,
    ) -> Result<bool, HandlerError> {
        let (Some(attachment), OutboundBody::Media { id: id @ None, .. }) =
            (&out.attachment, &mut out.body)
        else {
            return Ok(true);
        };
        if !service_window_open(ticket.last_inbound_at, self.clock.now()) {
            return Ok(true);
        }
        let Some(store) = &self.media else {
            error!(ticket_id = %ticket.id, "attachment not sent: no media store configured");
            return Ok(false);
        };
        let Some((bytes, _)) = store.read(&attachment.key).await? else {
            error!(ticket_id = %ticket.id, "attachment not sent: the file is no longer in the media store");
            return Ok(false);
        };
        let file = crate::ports::whatsapp::MediaUpload {
            bytes: &bytes,
            mime_type: &attachment.mime_type,
            file_name: crate::domain::attachment::file_name_of_key(&attachment.key),
        };
        let uploaded = self
            .whatsapp
            .upload_media(&ticket.key.phone_number_id, &file)
            .await;
        match uploaded {
            Ok(media_id) => *id = Some(media_id),
            Err(e @ (WhatsAppError::Rejected { .. } | WhatsAppError::Invalid(_))) => {
                self.metrics.send_failure(&e);
                error!(ticket_id = %ticket.id, error = %e, "attachment refused by WhatsApp's media upload; not retried");
                return Ok(false);
            }
            Err(e) => {
                self.metrics.send_failure(&e);
                if matches!(e, WhatsAppError::Unauthorized { .. }) {
                    error!(alarm = "whatsapp_auth", error = %e, "WhatsApp access token rejected; rotate WHATSAPP_ACCESS_TOKEN");
                }
                return Err(e.into());
            }
        }
        let payload = serde_json::to_string(&*out)
            .map_err(|e| HandlerError::Poison(format!("outbox entry {}: {e}", entry.seq)))?;
        self.store.save_outbox_payload(entry, &payload).await?;
        Ok(true)
    }

    /// Whether a business-initiated message (a template) may go to the ticket's customer.
    async fn may_initiate(&self, ticket: &Ticket) -> Result<bool, HandlerError> {
        let consent = self.store.consent(&ticket.key.wa_id).await?;
        let allowed = crate::domain::consent::Consent::allows_business_messages(consent.as_ref());
        if !allowed {
            warn!(ticket_id = %ticket.id, "template not sent: the customer has not opted in to business-initiated messages");
        }
        Ok(allowed)
    }

    /// Marks an entry done whose effect cannot be taken back or deduplicated downstream (a
    /// WhatsApp message, an SNS notification). A store failure here is retried in place: failing
    /// the record would make the redelivery send the customer the same message again. (Handoffs
    /// are deduplicated by SQS, timers by name and counters by key, so they need no retry.)
    async fn complete_after_effect(
        &self,
        entry: &OutboxEntry,
        sent: Option<&MessageRecord>,
    ) -> Result<(), HandlerError> {
        let mut attempt = 0;
        loop {
            match self.store.complete_outbox(entry, sent).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt + 1 < COMPLETE_ATTEMPTS => {
                    warn!(ticket_id = %entry.ticket_id, seq = entry.seq, error = %e, "sent, but not yet marked done; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                    attempt += 1;
                }
                Err(e) => {
                    error!(ticket_id = %entry.ticket_id, seq = entry.seq, error = %e, "sent, but could not be marked done; a redelivery will send it again");
                    return Err(e.into());
                }
            }
        }
    }

    /// Sends one reply; outside the 24 h window only the re-engagement template may go.
    /// `None`: nothing could be sent and nothing should be retried.
    async fn send(
        &self,
        ticket: &Ticket,
        body: &OutboundBody,
    ) -> Result<Option<MessageRecord>, HandlerError> {
        let now = self.clock.now();
        let from = &ticket.key.phone_number_id;
        let to = &ticket.key.wa_id;
        let mut body = body.clone();
        if !body.is_template() && !service_window_open(ticket.last_inbound_at, now) {
            match &self.reengagement {
                Some(t) => body = OutboundBody::Template(t.clone()),
                None => {
                    warn!(ticket_id = %ticket.id, "reply not sent: outside the 24 h window and no re-engagement template configured");
                    return Ok(None);
                }
            }
        }
        if body.is_template() && !self.may_initiate(ticket).await? {
            return Ok(None);
        }
        let wamid = match self.send_retried(from, to, &body).await {
            Ok(wamid) => wamid,
            Err(e) if e.needs_template() && !body.is_template() => match &self.reengagement {
                Some(_) if !self.may_initiate(ticket).await? => return Ok(None),
                Some(t) => {
                    body = OutboundBody::Template(t.clone());
                    self.send_retried(from, to, &body).await?
                }
                None => {
                    warn!(ticket_id = %ticket.id, error = %e, "reply not sent: WhatsApp requires a template");
                    return Ok(None);
                }
            },
            Err(e @ (WhatsAppError::Rejected { .. } | WhatsAppError::Invalid(_))) => {
                // Retrying the same request cannot help; keep the ticket moving.
                error!(ticket_id = %ticket.id, error = %e, "reply refused by WhatsApp; not retried");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Some(MessageRecord {
            ticket_id: ticket.id,
            wamid,
            direction: Direction::Outbound,
            sent_at: now,
            recorded_at: now,
            kind: body.kind().to_owned(),
            text: Some(body.text()),
            media_id: None,
            content: serde_json::to_string(&body).unwrap_or_else(|_| Value::Null.to_string()),
            context_id: body.context_id().map(str::to_owned),
            profile_name: None,
            delivery: None,
            handled_at: None,
            media: None,
            sent_by: None,
        }))
    }
}

/// An outbox entry's payload; one that cannot be read is poison (retrying will not help).
fn payload<T: serde::de::DeserializeOwned>(entry: &OutboxEntry) -> Result<T, HandlerError> {
    serde_json::from_str(&entry.payload)
        .map_err(|e| HandlerError::Poison(format!("outbox entry {}: {e}", entry.seq)))
}
