//! Webhook intake: stores every new customer message exactly once on the right ticket and queues
//! it for the bot; records delivery statuses. Safe to run twice on the same webhook (Meta
//! redelivers), and a retry after a partial failure completes the work without duplicates.

pub mod webhook;

use std::sync::Arc;

use futures::{StreamExt, stream};
use jiff::Timestamp;
use serde::Serialize;
use tracing::{debug, info, warn};

use crate::app::bot_reply::customer_time;
use crate::app::intake::webhook::plan::{
    ConversationPlan, InboundMessage, IntakePlan, StatusUpdate,
};
use crate::app::templates::{TemplateSync, TemplateSyncError};
use crate::domain::ids::{ConversationKey, TicketId};
use crate::domain::sla::{SlaClocks, SlaConfig, SlaEvent, TicketFacts};
use crate::domain::ticket::{Conversation, ConversationWindow, Ticket, WindowDecision};
use crate::platform::live_config::ConfigSource;
use crate::ports::clock::Clock;
use crate::ports::queue::{InboundQueueItem, MAX_BATCH, Queue, QueueError, QueueMessage};
use crate::ports::store::{
    Direction, MessageRecord, SeenMessage, StatusOutcome, StoreError, TicketStore, WriteOutcome,
};
use crate::ports::timers::{Timer, TimerError, Timers};

/// Conversations stored at once; messages within one conversation are stored in order.
const CONVERSATION_CONCURRENCY: usize = 16;
/// Queue batches in flight at once (each chain keeps its groups in order).
const SEND_CONCURRENCY: usize = 8;
const STATUS_CONCURRENCY: usize = 16;
/// Rounds of read-decide-write before giving up on a hotly contended conversation.
const MAX_ATTEMPTS: usize = 8;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntakeError {
    #[error("storing failed: {0}")]
    Store(#[from] StoreError),
    #[error("queueing failed: {0}")]
    Queue(#[from] QueueError),
    #[error("arming SLA timers failed: {0}")]
    Timers(#[from] TimerError),
    #[error("a template status update was not stored: {0}")]
    Templates(#[from] TemplateSyncError),
}

impl IntakeError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Queue(e) => e.is_retryable(),
            Self::Timers(e) => e.is_retryable(),
            Self::Templates(e) => e.is_retryable(),
        }
    }
}

/// What one webhook did, for the request log line. `error` is the first failure, if any: the
/// webhook must then be answered with a non-2xx status so Meta delivers it again.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntakeReport {
    pub stored: usize,
    pub duplicates: usize,
    pub tickets_opened: usize,
    pub enqueued: usize,
    pub statuses_applied: usize,
    pub statuses_unknown: usize,
    /// Statuses for a message we sent but have not recorded yet: kept, applied when recorded.
    pub statuses_held: usize,
    pub statuses_superseded: usize,
    /// Template status updates applied to the catalogue.
    pub templates_applied: usize,
    /// Template status updates that changed nothing (a redelivery, older than what is stored,
    /// a template the catalogue does not have yet).
    pub templates_unchanged: usize,
    #[serde(skip)]
    pub error: Option<IntakeError>,
}

impl IntakeReport {
    fn fail(&mut self, e: impl Into<IntakeError>) {
        if self.error.is_none() {
            self.error = Some(e.into());
        }
    }
}

pub struct Intake {
    store: Arc<dyn TicketStore>,
    queue: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    window: ConversationWindow,
    /// SLA policies and timers: a ticket's clocks start, and its first timers are armed, when
    /// its first message arrives, so they run even if the bot never gets to the message.
    /// Read per new ticket: a published SLA document applies to the next ticket opened.
    sla: Option<(ConfigSource<SlaConfig>, Arc<dyn Timers>)>,
    /// Where template status updates go (`None`: no config table here; they are counted as
    /// unchanged and the next sync brings the status).
    templates: Option<Arc<TemplateSync>>,
}

/// A stored message waiting to go on the queue (after its ticket's first timers are armed).
struct Pending {
    item: InboundQueueItem,
    seen: SeenMessage,
    timers: Vec<Timer>,
}

#[derive(Default)]
struct ConversationResult {
    pending: Vec<Pending>,
    stored: usize,
    duplicates: usize,
    opened: usize,
    error: Option<StoreError>,
}

enum Stored {
    New {
        seen: SeenMessage,
        opened: bool,
        timers: Vec<Timer>,
    },
    Duplicate(SeenMessage),
}

impl Intake {
    pub fn new(
        store: Arc<dyn TicketStore>,
        queue: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
        window: ConversationWindow,
    ) -> Self {
        Self {
            store,
            queue,
            clock,
            window,
            sla: None,
            templates: None,
        }
    }

    /// Applies `message_template_status_update` changes to the template catalogue.
    pub fn with_templates(mut self, templates: Arc<TemplateSync>) -> Self {
        self.templates = Some(templates);
        self
    }

    /// Starts SLA clocks at intake (see the `sla` field).
    pub fn with_sla(
        mut self,
        sla: impl Into<ConfigSource<SlaConfig>>,
        timers: Arc<dyn Timers>,
    ) -> Self {
        self.sla = Some((sla.into(), timers));
        self
    }

    pub async fn ingest(&self, plan: &IntakePlan<'_>) -> IntakeReport {
        let mut report = IntakeReport::default();

        // Futures are created up front (not by a closure inside the stream) so the whole
        // future stays `Send` for any caller.
        let work: Vec<_> = plan
            .conversations
            .iter()
            .map(|c| self.store_conversation(c))
            .collect();
        let results: Vec<ConversationResult> = stream::iter(work)
            .buffered(CONVERSATION_CONCURRENCY)
            .collect()
            .await;
        let mut pending = Vec::new();
        for r in results {
            report.stored += r.stored;
            report.duplicates += r.duplicates;
            report.tickets_opened += r.opened;
            pending.extend(r.pending);
            if let Some(e) = r.error {
                report.fail(e);
            }
        }

        // Whatever was stored goes on the queue even if another conversation failed: the retry
        // Meta makes will find these stored and enqueued and skip them. A new ticket's timers
        // go first: a conversation whose timers could not be armed is not queued, so Meta's
        // retry (finding it stored, not queued) arms them again.
        let pending = self.arm(pending, &mut report).await;
        self.enqueue(&pending, &mut report).await;
        self.apply_statuses(plan, &mut report).await;
        self.apply_template_updates(plan, &mut report).await;
        report
    }

    /// One at a time, in the body's order: each is a new version of the catalogue.
    async fn apply_template_updates(&self, plan: &IntakePlan<'_>, report: &mut IntakeReport) {
        for update in &plan.template_updates {
            let Some(templates) = &self.templates else {
                report.templates_unchanged += 1;
                continue;
            };
            let mut update = update.clone();
            if update.at == Timestamp::UNIX_EPOCH {
                update.at = self.clock.now();
            }
            match templates.apply_status(&update).await {
                Ok(crate::domain::templates::StatusOutcome::Applied) => {
                    report.templates_applied += 1
                }
                Ok(_) => report.templates_unchanged += 1,
                Err(e) => report.fail(e),
            }
        }
    }

    async fn store_conversation(&self, plan: &ConversationPlan<'_>) -> ConversationResult {
        let mut result = ConversationResult::default();
        let profile = plan.profile_name.as_deref();
        let mut known: Option<Conversation> = None;
        for message in &plan.messages {
            match self
                .store_message(&plan.key, profile, message, &mut known)
                .await
            {
                Ok(Stored::New {
                    seen,
                    opened,
                    timers,
                }) => {
                    result.stored += 1;
                    result.opened += usize::from(opened);
                    result
                        .pending
                        .push(pending(&plan.key, seen, opened, timers));
                }
                Ok(Stored::Duplicate(seen)) => {
                    result.duplicates += 1;
                    if !seen.enqueued {
                        debug!(wamid = %seen.wamid.log_ref(), ticket_id = %seen.ticket_id, "stored earlier but not queued; queueing now");
                        let timers = match self.timers_again(&seen).await {
                            Ok(timers) => timers,
                            Err(e) => {
                                result.error = Some(e);
                                return result;
                            }
                        };
                        result.pending.push(pending(&plan.key, seen, false, timers));
                    }
                }
                Err(e) => {
                    // Later messages of this conversation must not overtake the failed one.
                    result.error = Some(e);
                    return result;
                }
            }
        }
        if let Some(name) = profile {
            let now = self.clock.now();
            if let Err(e) = self
                .store
                .save_profile_name(&plan.key.wa_id, name, now)
                .await
            {
                result.error = Some(e);
            }
        }
        result
    }

    /// Whether `message`, arriving after the conversation window, is the rating the previous
    /// ticket asked for with the survey template (outside the window the question is a
    /// template, so the answer comes late): it then joins that ticket instead of opening one.
    async fn answers_survey(
        &self,
        previous: TicketId,
        message: &InboundMessage<'_>,
    ) -> Result<bool, StoreError> {
        let text = message.content.text();
        if !text.is_some_and(|t| matches!(t.trim(), "1" | "2" | "3" | "4" | "5")) {
            return Ok(false);
        }
        let Some(ticket) = self.store.ticket(previous).await? else {
            return Ok(false);
        };
        let recent = ticket.csat_asked_at.is_some_and(|asked| {
            message.sent_at
                <= asked
                    .saturating_add(self.window.duration())
                    .unwrap_or(Timestamp::MAX)
        });
        Ok(recent && crate::domain::csat::answer(&ticket, None, text).is_some())
    }

    /// Whether the message joins the conversation's ticket or opens one: the window decides,
    /// but an answer to the survey of the ticket it would replace joins that ticket.
    async fn window_decision(
        &self,
        known: Option<&Conversation>,
        message: &InboundMessage<'_>,
    ) -> Result<WindowDecision, StoreError> {
        Ok(match self.window.decide(known, message.sent_at) {
            WindowDecision::Open {
                replacing: Some(previous),
            } if self.answers_survey(previous, message).await? => WindowDecision::Join(previous),
            decision => decision,
        })
    }

    async fn store_message(
        &self,
        key: &ConversationKey,
        profile: Option<&str>,
        message: &InboundMessage<'_>,
        known: &mut Option<Conversation>,
    ) -> Result<Stored, StoreError> {
        for _ in 0..MAX_ATTEMPTS {
            if let Some(seen) = self.store.seen(&message.wamid).await? {
                return Ok(Stored::Duplicate(seen));
            }
            if known.is_none() {
                *known = self.store.conversation(key).await?;
            }
            let now = self.clock.now();
            let mut timers = Vec::new();
            let decision = self.window_decision(known.as_ref(), message).await?;
            let (outcome, ticket_id, opened) = match decision {
                WindowDecision::Join(ticket_id) => {
                    let read = known
                        .as_ref()
                        .expect("join is only decided for a known conversation");
                    let record = inbound_record(ticket_id, message, profile, now);
                    (
                        self.store.append_inbound(read, &record).await?,
                        ticket_id,
                        false,
                    )
                }
                WindowDecision::Open { replacing } => {
                    let mut ticket = Ticket::open(
                        key.clone(),
                        message.wamid.clone(),
                        message.sent_at,
                        profile.map(str::to_owned),
                        now,
                    );
                    let record = inbound_record(ticket.id, message, profile, now);
                    timers = self.start_clocks(&mut ticket, &record).await;
                    (
                        self.store.open_ticket(&ticket, replacing, &record).await?,
                        ticket.id,
                        true,
                    )
                }
            };
            match outcome {
                WriteOutcome::Written => {
                    *known = Some(conversation_after(
                        key,
                        known.as_ref(),
                        ticket_id,
                        opened,
                        message,
                        now,
                    ));
                    return Ok(stored_new(ticket_id, opened, message, timers));
                }
                WriteOutcome::Duplicate | WriteOutcome::ConversationMoved => {
                    debug!(wamid = %message.wamid.log_ref(), "lost a race for the conversation; reading again");
                    *known = None;
                }
            }
        }
        Err(StoreError::Contended(format!(
            "conversation of message {}",
            message.wamid.log_ref()
        )))
    }

    /// A new ticket's SLA clocks, started when the customer wrote (not when the bot gets to
    /// it), and the timers they need. The armed names are stored with the ticket, so later
    /// changes replace those timers.
    async fn start_clocks(&self, ticket: &mut Ticket, first: &MessageRecord) -> Vec<Timer> {
        let Some((source, _)) = &self.sla else {
            return Vec::new();
        };
        let (sla, version) = source.current_versioned().await;
        let facts = TicketFacts {
            channel: "whatsapp",
            priority: None,
            category: None,
            text: first.text.as_deref(),
            tier: None,
        };
        let mut clocks = SlaClocks::new(&sla.select(&facts).name).chosen_from(version);
        let wrote = customer_time(first);
        clocks.apply(SlaEvent::Opened, wrote);
        clocks.apply(SlaEvent::CustomerWrote, wrote);
        match clocks.plan(ticket.id, &sla) {
            Ok(plan) => {
                ticket.sla = Some(clocks);
                plan.arm
            }
            Err(e) => {
                // The bot's turn tries again with the same clocks.
                warn!(ticket_id = %ticket.id, error = %e, "SLA deadlines could not be computed at intake");
                Vec::new()
            }
        }
    }

    /// For a message stored but not queued before: if it opened its ticket, the timers its
    /// clocks want now (arming them again is harmless; a crash may have cut arming short).
    async fn timers_again(&self, seen: &SeenMessage) -> Result<Vec<Timer>, StoreError> {
        let Some((source, _)) = &self.sla else {
            return Ok(Vec::new());
        };
        let Some(ticket) = self.store.ticket(seen.ticket_id).await? else {
            return Ok(Vec::new());
        };
        let Some(clocks) = ticket
            .sla
            .as_ref()
            .filter(|_| ticket.opened_by == seen.wamid)
        else {
            return Ok(Vec::new());
        };
        let current = source.current().await;
        let sla = crate::app::ticket_change::pinned_sla(source, &current, Some(clocks)).await;
        Ok(clocks
            .wanted(ticket.id, &sla)
            .map(|w| w.into_values().collect())
            .unwrap_or_default())
    }

    /// Arms the timers of the pending messages; drops (from this delivery) every message of a
    /// conversation whose timers failed, keeping its order for Meta's retry.
    async fn arm(&self, pending: Vec<Pending>, report: &mut IntakeReport) -> Vec<Pending> {
        let Some((_, timers)) = &self.sla else {
            return pending;
        };
        let mut failed: Vec<ConversationKey> = Vec::new();
        for p in pending.iter().filter(|p| !p.timers.is_empty()) {
            for timer in &p.timers {
                if let Err(e) = timers.arm(timer).await {
                    warn!(ticket_id = %p.item.ticket_id, error = %e, "SLA timer not armed at intake; the message waits for Meta's retry");
                    report.fail(e);
                    failed.push(p.item.key.clone());
                    break;
                }
            }
        }
        pending
            .into_iter()
            .filter(|p| !failed.contains(&p.item.key))
            .collect()
    }

    async fn enqueue(&self, pending: &[Pending], report: &mut IntakeReport) {
        let work: Vec<_> = chains(pending)
            .into_iter()
            .map(|chain| self.send_chain(chain))
            .collect();
        let outcomes: Vec<(usize, Option<QueueError>)> = stream::iter(work)
            .buffer_unordered(SEND_CONCURRENCY)
            .collect()
            .await;
        for (sent, error) in outcomes {
            report.enqueued += sent;
            if let Some(e) = error {
                report.fail(e);
            }
        }
    }

    /// Sends a chain's batches in order, stopping at the first failure so nothing of a
    /// conversation overtakes a message that did not make it. Returns how many were sent.
    async fn send_chain(&self, chain: Vec<&[Pending]>) -> (usize, Option<QueueError>) {
        let mut sent = 0;
        for batch in chain {
            let items: Vec<QueueMessage> = batch.iter().map(|p| p.item.to_message()).collect();
            if let Err(e) = self.queue.send(&items).await {
                return (sent, Some(e));
            }
            sent += batch.len();
            for p in batch {
                // Best effort: an unmarked record only means a redelivery queues again, and
                // SQS deduplication or the bot's idempotency absorbs that.
                if let Err(e) = self.store.mark_enqueued(&p.seen).await {
                    warn!(wamid = %p.seen.wamid.log_ref(), error = %e, "could not mark message as queued");
                }
            }
        }
        (sent, None)
    }

    async fn apply_statuses(&self, plan: &IntakePlan<'_>, report: &mut IntakeReport) {
        let work: Vec<_> = plan.statuses.iter().map(|s| self.apply_status(s)).collect();
        let outcomes: Vec<_> = stream::iter(work)
            .buffer_unordered(STATUS_CONCURRENCY)
            .collect()
            .await;
        for (status, outcome) in outcomes {
            match outcome {
                Ok(StatusOutcome::Applied) => report.statuses_applied += 1,
                Ok(StatusOutcome::Superseded) => report.statuses_superseded += 1,
                Ok(StatusOutcome::Held) => {
                    debug!(wamid = %status.wamid.log_ref(), state = status.state.as_str(), "status before its message was recorded; kept until it is");
                    report.statuses_held += 1;
                }
                Ok(StatusOutcome::UnknownMessage) => {
                    info!(wamid = %status.wamid.log_ref(), state = status.state.as_str(), "status for a message that is not ours to track; ignored");
                    report.statuses_unknown += 1;
                }
                Err(e) => report.fail(e),
            }
        }
    }

    async fn apply_status<'p, 'a>(
        &self,
        status: &'p StatusUpdate<'a>,
    ) -> (&'p StatusUpdate<'a>, Result<StatusOutcome, StoreError>) {
        (status, self.store.apply_status(status).await)
    }
}

fn pending(key: &ConversationKey, seen: SeenMessage, opened: bool, timers: Vec<Timer>) -> Pending {
    Pending {
        timers,
        item: InboundQueueItem {
            v: InboundQueueItem::VERSION,
            ticket_id: seen.ticket_id,
            wamid: seen.wamid.clone(),
            key: key.clone(),
            sent_at: seen.sent_at,
            opened_ticket: opened,
        },
        seen,
    }
}

/// Cuts the pending items (grouped by conversation, in order) into batches of at most ten, and
/// the batches into chains: a batch that continues the previous batch's conversation joins its
/// chain, so it is sent only after it. Chains are independent and can be sent concurrently.
fn chains(pending: &[Pending]) -> Vec<Vec<&[Pending]>> {
    let mut chains: Vec<Vec<&[Pending]>> = Vec::new();
    let mut previous_last: Option<&ConversationKey> = None;
    for batch in pending.chunks(MAX_BATCH) {
        let continues = previous_last.is_some_and(|k| *k == batch[0].item.key);
        match chains.last_mut() {
            Some(chain) if continues => chain.push(batch),
            _ => chains.push(vec![batch]),
        }
        previous_last = batch.last().map(|p| &p.item.key);
    }
    chains
}

/// The stored form of an inbound message.
pub fn inbound_record(
    ticket_id: TicketId,
    message: &InboundMessage<'_>,
    profile: Option<&str>,
    now: Timestamp,
) -> MessageRecord {
    MessageRecord {
        ticket_id,
        wamid: message.wamid.clone(),
        direction: Direction::Inbound,
        sent_at: message.sent_at,
        recorded_at: now,
        kind: message.content.kind().to_owned(),
        text: message.content.text().map(str::to_owned),
        media_id: message.content.media().map(|m| m.id.as_str().to_owned()),
        // Content holds only strings, booleans, finite numbers and JSON values: it serializes.
        content: serde_json::to_string(&message.content).unwrap_or_else(|_| "{}".to_owned()),
        context_id: message
            .context
            .as_ref()
            .and_then(|c| c.id.as_ref())
            .map(|id| id.as_str().to_owned()),
        profile_name: profile.map(str::to_owned),
        delivery: None,
        handled_at: None,
        media: None,
        sent_by: None,
    }
}

/// A message stored on the ticket it opened or joined (logged by its digest only).
fn stored_new(
    ticket_id: TicketId,
    opened: bool,
    message: &InboundMessage<'_>,
    timers: Vec<Timer>,
) -> Stored {
    if opened {
        info!(ticket_id = %ticket_id, wamid = %message.wamid.log_ref(), "ticket opened");
    } else {
        debug!(ticket_id = %ticket_id, wamid = %message.wamid.log_ref(), "message joined ticket");
    }
    let seen = SeenMessage {
        wamid: message.wamid.clone(),
        ticket_id,
        direction: Direction::Inbound,
        sent_at: message.sent_at,
        enqueued: false,
    };
    Stored::New {
        seen,
        opened,
        timers,
    }
}

/// The conversation once the message is stored: on the ticket it opened (from now) or joined.
fn conversation_after(
    key: &ConversationKey,
    known: Option<&Conversation>,
    ticket_id: TicketId,
    opened: bool,
    message: &InboundMessage<'_>,
    now: Timestamp,
) -> Conversation {
    let last = known.map_or(message.sent_at, |c| c.last_customer_at.max(message.sent_at));
    Conversation {
        key: key.clone(),
        ticket_id,
        opened_at: if opened {
            now
        } else {
            known.map_or(now, |c| c.opened_at)
        },
        last_customer_at: if opened { message.sent_at } else { last },
    }
}

#[cfg(test)]
mod tests;
