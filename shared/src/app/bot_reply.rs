//! bot-reply: for each stored customer message on `inbound.fifo`, the bot's turn, stored with
//! its outbox in one write, then the outbox sent (WhatsApp replies, the handoff). A redelivered
//! queue item finds the message handled and only finishes what is still pending: no second
//! reply. A ticket a person owns gets no bot reply.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;

use tracing::{error, info, warn};

use crate::app::analytics::Fact;
use crate::app::intake::webhook::plan::Content;
use crate::app::outbox::{OutboxBuilder, OutboxRunner};
use crate::domain::bot::{BotState, Inbound};
use crate::domain::consent::{Consent, Keyword};
use crate::domain::handoff::HandoffItem;
use crate::domain::sla::{SlaClocks, SlaConfig, SlaEvent, TicketFacts};
use crate::domain::ticket::{Csat, Ticket, TicketStatus};
use crate::platform::deadline::Deadline;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::{InboundQueueItem, Queue};
use crate::ports::store::{
    BotTurnWrite, MessageRecord, OutboxEntry, OutboxKind, StoreError, TicketStore, TurnOutcome,
};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{RetryPolicy, Template, WhatsAppClient};

const MAX_ATTEMPTS: usize = 5;

pub use crate::app::outbox::HandlerError as BotReplyError;

mod bot;

pub use bot::Bot;

/// What happened to one message, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// The bot answered (`sent` messages now).
    Answered { sent: usize },
    /// A person owns the ticket: no bot reply.
    WithAgent,
    /// Handled before; `sent` pending replies were finished now.
    AlreadyHandled { sent: usize },
}

/// One SQS record as a consumer function receives it.
#[derive(Debug, Clone)]
pub struct QueueRecord {
    pub message_id: String,
    pub group_id: Option<String>,
    pub body: String,
}

/// A message received from a queue as its consumer sees it: SQS FIFO and the memory queue
/// name a delivered message by its deduplication id.
impl From<crate::ports::queue::QueueMessage> for QueueRecord {
    fn from(m: crate::ports::queue::QueueMessage) -> Self {
        Self {
            message_id: m.dedup_id,
            group_id: Some(m.group_id),
            body: m.body,
        }
    }
}

impl QueueRecord {
    /// The records of a Lambda SQS event.
    pub fn from_event(event: aws_lambda_events::event::sqs::SqsEvent) -> Vec<Self> {
        event
            .records
            .into_iter()
            .map(|r| Self {
                message_id: r.message_id.unwrap_or_default(),
                group_id: r.attributes.get("MessageGroupId").cloned(),
                body: r.body.unwrap_or_default(),
            })
            .collect()
    }

    /// The partial batch response that makes SQS deliver `failed` again.
    pub fn batch_response(failed: Vec<String>) -> aws_lambda_events::event::sqs::SqsBatchResponse {
        let mut response = aws_lambda_events::event::sqs::SqsBatchResponse::default();
        response.set_failures(failed);
        response
    }
}

pub struct BotReply {
    store: Arc<dyn TicketStore>,
    bot: Bot,
    clock: Arc<dyn Clock>,
    outbox: OutboxRunner,
    /// SLA policies; with them every turn keeps the ticket's SLA clocks and timers.
    sla: Option<Arc<SlaConfig>>,
    media: Option<crate::ports::media::MediaArchive>,
}

impl BotReply {
    pub fn new(
        store: Arc<dyn TicketStore>,
        whatsapp: Arc<dyn WhatsAppClient>,
        handoffs: Arc<dyn Queue>,
        bot: Bot,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            outbox: OutboxRunner::new(store.clone(), whatsapp, handoffs, clock.clone()),
            store,
            bot,
            clock,
            sla: None,
            media: None,
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.outbox.retry = retry;
        self
    }

    pub fn with_reengagement_template(mut self, template: Option<Template>) -> Self {
        self.outbox.reengagement = template;
        self
    }

    /// Tells the assigned agent when their customer writes.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.outbox.notifier = Some(notifier);
        self
    }

    /// Tracks SLAs: clocks on every ticket, one Scheduler timer per next deadline.
    /// Keeps customers' media (fetched from the Cloud API) before the bot looks at a message.
    pub fn with_media(mut self, media: crate::ports::media::MediaArchive) -> Self {
        self.media = Some(media);
        self
    }

    /// Counts the bot's messages, handoffs and failed sends; one metric line per batch.
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.outbox.metrics = metrics;
        self
    }

    pub fn with_sla(mut self, sla: Arc<SlaConfig>, timers: Arc<dyn Timers>) -> Self {
        self.sla = Some(sla);
        self.outbox.timers = Some(timers);
        self
    }

    /// Handles a batch from a FIFO queue and returns the ids of the records to deliver again:
    /// a failed record and every later record of its message group (order is kept).
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        self.handle_batch_until(records, Deadline::none()).await
    }

    /// [`Self::handle_batch`] within the invocation's `deadline`: records it leaves no time
    /// for are not started but delivered again (with every later one, so order is kept), and
    /// every Cloud API wait is bounded by the time left.
    pub async fn handle_batch_until(
        &self,
        records: &[QueueRecord],
        deadline: Deadline,
    ) -> Vec<String> {
        deadline.scope(self.handle_records(records, deadline)).await
    }

    async fn handle_records(&self, records: &[QueueRecord], deadline: Deadline) -> Vec<String> {
        let mut failed = Vec::new();
        let mut blocked: HashSet<String> = HashSet::new();
        for (n, record) in records.iter().enumerate() {
            if !deadline.allows_start() {
                warn!(
                    left = records.len() - n,
                    "too little time left before the deadline; the rest of the batch is delivered again"
                );
                failed.extend(records[n..].iter().map(|r| r.message_id.clone()));
                break;
            }
            let group = record.group_id.clone().unwrap_or_default();
            if blocked.contains(&group) {
                failed.push(record.message_id.clone());
                continue;
            }
            let result = match parse_item(&record.body) {
                Ok(item) => self.handle(&item).await.map(|outcome| (item, outcome)),
                Err(e) => Err(e),
            };
            match result {
                Ok((item, outcome)) => {
                    info!(ticket_id = %item.ticket_id, wamid = %item.wamid.log_ref(), outcome = ?outcome, "customer message handled");
                }
                Err(e) => {
                    // Poison goes to the dead-letter queue after the queue's receive limit.
                    error!(message_id = %record.message_id, error = %e, retryable = e.is_retryable(), "customer message not handled");
                    failed.push(record.message_id.clone());
                    blocked.insert(group);
                }
            }
        }
        self.outbox.metrics.flush();
        failed
    }

    /// Decides and stores the bot's turn for one message (once), then sends what is pending.
    pub async fn handle(&self, item: &InboundQueueItem) -> Result<ReplyOutcome, BotReplyError> {
        let mut decided = None;
        let mut ticket = None;
        for _ in 0..MAX_ATTEMPTS {
            let current = self.store.ticket(item.ticket_id).await?.ok_or_else(|| {
                BotReplyError::Poison(format!("ticket {} does not exist", item.ticket_id))
            })?;
            let message = self
                .store
                .message(item.ticket_id, item.sent_at, &item.wamid)
                .await?
                .ok_or_else(|| {
                    BotReplyError::Poison(format!(
                        "message {} is not on ticket {}",
                        item.wamid, item.ticket_id
                    ))
                })?;
            if message.handled_at.is_some() {
                ticket = Some(current);
                break;
            }
            let message = self.keep_media(message).await?;
            let keyword = self.record_consent(&current, &message).await?;
            let (next, outbox, outcome) = match keyword {
                Some(keyword) => self.confirm_consent(&current, &message, keyword),
                None => {
                    let (next, outbox, outcome, confirmed) = self.decide(&current, &message).await;
                    if let Some(keyword) = confirmed {
                        // Confirmed in the bot's dialogue ("please stop sending me messages",
                        // then "Yes"): recorded before the turn, like a keyword, so a
                        // redelivery records the same.
                        self.set_consent(&current, &message, keyword).await?;
                    }
                    (next, outbox, outcome)
                }
            };
            let write = BotTurnWrite {
                ticket: &next,
                message: Some(&message),
                outbox: &outbox,
                activity: &[],
                now: self.clock.now(),
            };
            match self.store.commit_bot_turn(&write).await? {
                TurnOutcome::Committed => {
                    decided = Some(outcome);
                    ticket = Some(next);
                    break;
                }
                TurnOutcome::AlreadyHandled => {
                    ticket = Some(current);
                    break;
                }
                TurnOutcome::Conflict => continue,
            }
        }
        let ticket =
            ticket.ok_or_else(|| StoreError::Contended(format!("ticket {}", item.ticket_id)))?;
        let sent = self.outbox.flush(&ticket, &item.wamid).await?;
        Ok(match decided {
            Some(ReplyOutcome::WithAgent) => ReplyOutcome::WithAgent,
            Some(_) => ReplyOutcome::Answered { sent },
            None => ReplyOutcome::AlreadyHandled { sent },
        })
    }

    /// Stores the message's media once (a redelivery finds it recorded).
    async fn keep_media(&self, message: MessageRecord) -> Result<MessageRecord, BotReplyError> {
        let (Some(archive), Some(media_id), None) =
            (&self.media, &message.media_id, &message.media)
        else {
            return Ok(message);
        };
        let record = crate::platform::deadline::within(archive.archive(
            message.ticket_id,
            &message.wamid,
            media_id,
        ))
        .await
        .map_err(|e| crate::ports::media::MediaError::Transient(e.to_string()))?
        .map_err(BotReplyError::Media)?;
        self.store.attach_media(&message, &record).await?;
        info!(ticket_id = %message.ticket_id, wamid = %message.wamid.log_ref(), kept = record.key.is_some(), "customer media handled");
        Ok(MessageRecord {
            media: Some(record),
            ..message
        })
    }

    /// A STOP or START message changes the customer's consent at once (before anything else, so
    /// a redelivery records the same thing: the time is the customer's send time).
    async fn record_consent(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
    ) -> Result<Option<Keyword>, BotReplyError> {
        let Some(keyword) =
            Keyword::find(message.text.as_deref()).filter(|_| message.kind == "text")
        else {
            return Ok(None);
        };
        self.record(ticket, message, keyword, "keyword").await?;
        Ok(Some(keyword))
    }

    /// An opt-out or opt-in the customer confirmed in the bot's dialogue.
    async fn set_consent(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
        keyword: Keyword,
    ) -> Result<(), BotReplyError> {
        self.record(ticket, message, keyword, "bot").await
    }

    async fn record(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
        keyword: Keyword,
        source: &str,
    ) -> Result<(), BotReplyError> {
        let consent = Consent {
            opted_in: keyword == Keyword::OptIn,
            at: message.sent_at,
            source: source.into(),
        };
        self.store.set_consent(&ticket.key.wa_id, &consent).await?;
        info!(ticket_id = %ticket.id, opted_in = consent.opted_in, source, "customer consent recorded");
        Ok(())
    }

    /// The confirmation of a consent keyword; the ticket and the bot's state stay as they are.
    fn confirm_consent(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
        keyword: Keyword,
    ) -> (Ticket, Vec<OutboxEntry>, ReplyOutcome) {
        let mut next = ticket.clone();
        next.version += 1;
        next.updated_at = self.clock.now();
        let lang = ticket.bot.as_ref().and_then(|b| b.language);
        let mut outbox = OutboxBuilder::new(ticket.id, message.wamid.clone());
        outbox.push(OutboxKind::WhatsApp, &keyword.confirmation(lang));
        (next, outbox.build(), ReplyOutcome::Answered { sent: 0 })
    }

    /// The ticket after the bot's turn, the outbox, what to log, and a consent change the
    /// customer confirmed.
    async fn decide(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
    ) -> (Ticket, Vec<OutboxEntry>, ReplyOutcome, Option<Keyword>) {
        let now = self.clock.now();
        let mut next = ticket.clone();
        next.version += 1;
        next.updated_at = now;
        if ticket.status.is_with_agent() {
            // The agent sees the message on the ticket; notifying them is the agent side's job.
            info!(ticket_id = %ticket.id, wamid = %message.wamid.log_ref(), "customer wrote on a ticket a person owns; bot stays silent");
            let mut outbox = OutboxBuilder::new(ticket.id, message.wamid.clone());
            // Forward to the person who owns the ticket (or their team's queue).
            outbox.push(
                OutboxKind::Notify,
                &Notification {
                    audience: Audience::Assignee,
                    kind: "customer_wrote".into(),
                    ticket_id: ticket.id,
                    target: None,
                    level: 0,
                    due_at: None,
                    agent: ticket.assignee.clone(),
                    team: ticket.team.clone(),
                    priority: ticket.priority.map(|p| p.as_str().to_owned()),
                    summary: format!(
                        "The customer wrote again on ticket {} ({}).",
                        ticket.id, message.kind
                    ),
                },
            );
            let resumed = ticket.status == TicketStatus::PendingCustomer;
            if resumed {
                // The customer answered: the ticket is the agent's to work on again.
                next.status = TicketStatus::Assigned;
            }
            let wrote = customer_time(message);
            self.track_sla(
                &mut next,
                message,
                &[
                    resumed.then_some((SlaEvent::Resumed, wrote)),
                    Some((SlaEvent::CustomerWrote, wrote)),
                ],
                &mut outbox,
            );
            return (next, outbox.build(), ReplyOutcome::WithAgent, None);
        }
        let state = match ticket.status {
            TicketStatus::Bot => ticket.bot.clone().unwrap_or_default(),
            // A new question after a resolution: the bot starts over, without a second greeting.
            _ => BotState {
                language: ticket.bot.as_ref().and_then(|b| b.language),
                greeted: true,
                ..BotState::default()
            },
        };
        match crate::platform::deadline::within(
            self.outbox
                .whatsapp
                .mark_read(&ticket.key.phone_number_id, &message.wamid),
        )
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                warn!(wamid = %message.wamid.log_ref(), error = %e, "could not mark the message read")
            }
            Err(e) => {
                warn!(wamid = %message.wamid.log_ref(), error = %e, "could not mark the message read")
            }
        }
        let content: Content<'_> =
            serde_json::from_str(&message.content).unwrap_or(Content::Unknown {
                type_name: crate::app::intake::webhook::payload::Str(std::borrow::Cow::Borrowed(
                    "unknown",
                )),
                raw: None,
            });
        let reply_id = match &content {
            Content::ButtonReply(r) | Content::ListReply(r) => Some(r.id.as_str()),
            Content::QuickReply { payload, .. } => payload.as_ref().map(|p| p.as_str()),
            _ => None,
        };
        if let Some(score) = crate::domain::csat::answer(ticket, reply_id, message.text.as_deref())
        {
            // The answer to the survey after a resolution: stored, thanked, counted.
            next.csat = Some(Csat { score, at: now });
            let lang = ticket.bot.as_ref().and_then(|b| b.language);
            let mut outbox = OutboxBuilder::new(ticket.id, message.wamid.clone());
            outbox.push(OutboxKind::WhatsApp, &crate::domain::csat::thanks(lang));
            outbox.stats(&next, Fact::Rated(score), now);
            info!(ticket_id = %ticket.id, score, "customer rated the support");
            return (
                next,
                outbox.build(),
                ReplyOutcome::Answered { sent: 0 },
                None,
            );
        }
        let input = Inbound {
            text: message.text.as_deref(),
            reply_id,
            media: content.media().is_some() && !matches!(content, Content::Sticker(_)),
            customer_name: ticket.customer_name.as_deref(),
            language_hint: state.language,
        };
        let turn = self
            .bot
            .answer(&state, &input, &ticket.key.wa_id, now)
            .await;

        let mut outbox = OutboxBuilder::new(ticket.id, message.wamid.clone());
        for reply in &turn.replies {
            outbox.push(OutboxKind::WhatsApp, reply);
        }
        let opened = ticket.bot.is_none() || ticket.status != TicketStatus::Bot;
        if opened {
            outbox.stats(&next, Fact::Opened, now);
            // A new question: whoever solved the last one has let it go, and an unanswered
            // survey about it no longer takes a typed digit as a rating.
            next.assignee = None;
            next.first_response_at = None;
            next.csat_asked_at = None;
        }
        next.status = TicketStatus::Bot;
        next.resolved_at = None;
        next.resolved_by_bot = false;
        if let Some(handoff) = turn.handoff {
            next.status = TicketStatus::Queued;
            next.priority = Some(handoff.priority);
            next.handoff_reason = Some(handoff.reason);
            next.handed_off_at = Some(now);
            next.first_response_at = None;
            outbox.stats(&next, Fact::HandedOff, now);
            let item = HandoffItem::for_ticket(
                ticket,
                handoff.reason,
                handoff.priority,
                now,
                message.wamid.clone(),
            );
            outbox.push(OutboxKind::Handoff, &item);
            info!(ticket_id = %ticket.id, reason = handoff.reason.as_str(), priority = handoff.priority.as_str(), "bot hands over to a person");
        } else if turn.resolved {
            next.status = TicketStatus::Resolved;
            next.resolved_at = Some(now);
            next.resolved_by_bot = true;
        }
        next.bot = Some(turn.state);
        // What the customer started runs from when they wrote, however late the bot gets to it
        // (a crashed batch, a redelivery); what the bot did runs from when it did it.
        let wrote = customer_time(message);
        let mut events = Vec::new();
        if ticket.sla.is_none() || ticket.status != TicketStatus::Bot {
            // A new ticket, or a new question after a resolution: the bot's clocks start.
            events.push(Some((SlaEvent::Opened, wrote)));
        }
        events.push(Some((SlaEvent::CustomerWrote, wrote)));
        events.push(turn.handoff.map(|_| (SlaEvent::HandedOff, wrote)));
        events.push(turn.resolved.then_some((SlaEvent::Resolved, now)));
        let answered = next.bot.as_ref().is_some_and(|b| b.awaiting_confirmation);
        events.push(answered.then_some((SlaEvent::BotAnswered, now)));
        self.track_sla(&mut next, message, &events, &mut outbox);
        if turn.resolved && turn.handoff.is_none() {
            // After the clocks, so the SLA outcome is in the count.
            outbox.stats(&next, Fact::Resolved, now);
        }
        (
            next,
            outbox.build(),
            ReplyOutcome::Answered { sent: 0 },
            turn.consent,
        )
    }

    /// Applies SLA events, each at its time, to the ticket's clocks (choosing the policy if the
    /// ticket has none yet, or again at a handoff, when the priority is known) and adds the
    /// timer changes.
    fn track_sla(
        &self,
        next: &mut Ticket,
        message: &MessageRecord,
        events: &[Option<(SlaEvent, Timestamp)>],
        outbox: &mut OutboxBuilder,
    ) {
        let Some(sla) = &self.sla else {
            return;
        };
        let facts = TicketFacts {
            channel: "whatsapp",
            priority: next.priority,
            category: next.handoff_reason.map(|r| r.as_str()),
            text: message.text.as_deref(),
            tier: None,
        };
        let policy = sla.select(&facts).name.clone();
        let clocks = next.sla.get_or_insert_with(|| SlaClocks::new(&policy));
        for (event, at) in events.iter().flatten() {
            if *event == SlaEvent::HandedOff {
                clocks.set_policy(&policy);
            }
            clocks.apply(*event, *at);
        }
        match clocks.plan(next.id, sla) {
            Ok(plan) => outbox.timers(plan),
            Err(e) => {
                error!(ticket_id = %next.id, error = %e, "SLA deadlines could not be computed; no timers armed")
            }
        }
    }
}

/// When the customer wrote `message`, as SLA clocks count it: Meta's send time, but never
/// later than when we received it (a phone with a clock running ahead must not buy time).
pub fn customer_time(message: &MessageRecord) -> Timestamp {
    message.sent_at.min(message.recorded_at)
}

fn parse_item(body: &str) -> Result<InboundQueueItem, BotReplyError> {
    let item: InboundQueueItem = serde_json::from_str(body)
        .map_err(|e| BotReplyError::Poison(format!("body is not an inbound item: {e}")))?;
    if item.v != InboundQueueItem::VERSION {
        return Err(BotReplyError::Poison(format!(
            "item version {} is not {}",
            item.v,
            InboundQueueItem::VERSION
        )));
    }
    Ok(item)
}

#[cfg(test)]
mod tests;
