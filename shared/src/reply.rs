//! bot-reply: for each stored customer message on `inbound.fifo`, the bot's turn, stored with
//! its outbox in one write, then the outbox sent (WhatsApp replies, the handoff). A redelivered
//! queue item finds the message handled and only finishes what is still pending: no second
//! reply. A ticket a person owns gets no bot reply.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tracing::{error, info, warn};

use crate::bot::{Bot, BotState, Inbound};
use crate::clock::Clock;
use crate::handoff::HandoffItem;
use crate::ids::Wamid;
use crate::queue::{InboundQueueItem, Queue, QueueError};
use crate::store::{
    BotTurnWrite, Direction, MessageRecord, OutboxEntry, OutboxKind, StoreError, TicketStore,
    TurnOutcome,
};
use crate::ticket::{Ticket, TicketStatus};
use crate::webhook::plan::Content;
use crate::whatsapp::{
    OutboundBody, RetryPolicy, Template, WhatsAppClient, WhatsAppError, send_with_retry,
    service_window_open,
};

const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotReplyError {
    #[error("the queue item is unusable: {0}")]
    Poison(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    WhatsApp(#[from] WhatsAppError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl BotReplyError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Poison(_) => false,
            Self::Store(e) => e.is_retryable(),
            Self::WhatsApp(e) => e.is_retryable(),
            Self::Queue(e) => e.is_retryable(),
        }
    }
}

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

/// One SQS record as the function receives it.
#[derive(Debug, Clone)]
pub struct QueueRecord {
    pub message_id: String,
    pub group_id: Option<String>,
    pub body: String,
}

pub struct BotReply {
    store: Arc<dyn TicketStore>,
    whatsapp: Arc<dyn WhatsAppClient>,
    handoffs: Arc<dyn Queue>,
    bot: Bot,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    /// Sent instead of a free-form reply outside the 24 h window, if configured.
    reengagement: Option<Template>,
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
            store,
            whatsapp,
            handoffs,
            bot,
            clock,
            retry: RetryPolicy::default(),
            reengagement: None,
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_reengagement_template(mut self, template: Option<Template>) -> Self {
        self.reengagement = template;
        self
    }

    /// Handles a batch from a FIFO queue and returns the ids of the records to deliver again:
    /// a failed record and every later record of its message group (order is kept).
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        let mut failed = Vec::new();
        let mut blocked: HashSet<String> = HashSet::new();
        for record in records {
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
                    info!(ticket_id = %item.ticket_id, wamid = %item.wamid, outcome = ?outcome, "customer message handled");
                }
                Err(e) => {
                    // Poison goes to the dead-letter queue after the queue's receive limit.
                    error!(message_id = %record.message_id, error = %e, retryable = e.is_retryable(), "customer message not handled");
                    failed.push(record.message_id.clone());
                    blocked.insert(group);
                }
            }
        }
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
            let (next, outbox, outcome) = self.decide(&current, &message).await;
            let write = BotTurnWrite {
                ticket: &next,
                message: &message,
                outbox: &outbox,
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
        let sent = self.flush(&ticket, &item.wamid).await?;
        Ok(match decided {
            Some(ReplyOutcome::WithAgent) => ReplyOutcome::WithAgent,
            Some(_) => ReplyOutcome::Answered { sent },
            None => ReplyOutcome::AlreadyHandled { sent },
        })
    }

    /// The ticket after the bot's turn, the outbox, and what to log.
    async fn decide(
        &self,
        ticket: &Ticket,
        message: &MessageRecord,
    ) -> (Ticket, Vec<OutboxEntry>, ReplyOutcome) {
        let now = self.clock.now();
        let mut next = ticket.clone();
        next.version += 1;
        next.updated_at = now;
        if ticket.status.is_with_agent() {
            // The agent sees the message on the ticket; notifying them is the agent side's job.
            info!(ticket_id = %ticket.id, wamid = %message.wamid, "customer wrote on a ticket a person owns; bot stays silent");
            return (next, Vec::new(), ReplyOutcome::WithAgent);
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
        if let Err(e) = self
            .whatsapp
            .mark_read(&ticket.key.phone_number_id, &message.wamid)
            .await
        {
            warn!(wamid = %message.wamid, error = %e, "could not mark the message read");
        }
        let content: Content<'_> =
            serde_json::from_str(&message.content).unwrap_or(Content::Unknown {
                type_name: crate::webhook::payload::Str(std::borrow::Cow::Borrowed("unknown")),
                raw: None,
            });
        let reply_id = match &content {
            Content::ButtonReply(r) | Content::ListReply(r) => Some(r.id.as_str()),
            Content::QuickReply { payload, .. } => payload.as_ref().map(|p| p.as_str()),
            _ => None,
        };
        let input = Inbound {
            text: message.text.as_deref(),
            reply_id,
            media: content.media().is_some() && !matches!(content, Content::Sticker(_)),
            customer_name: ticket.customer_name.as_deref(),
            language_hint: state.language,
        };
        let turn = self.bot.answer(&state, &input, now).await;

        let mut outbox: Vec<OutboxEntry> = turn
            .replies
            .iter()
            .enumerate()
            .map(|(i, reply)| OutboxEntry {
                ticket_id: ticket.id,
                inbound: message.wamid.clone(),
                seq: u8::try_from(i).unwrap_or(u8::MAX),
                kind: OutboxKind::WhatsApp,
                payload: serde_json::to_string(reply).unwrap_or_default(),
                done: false,
            })
            .collect();
        next.status = TicketStatus::Bot;
        next.resolved_at = None;
        next.resolved_by_bot = false;
        if let Some(handoff) = turn.handoff {
            next.status = TicketStatus::Queued;
            next.priority = Some(handoff.priority);
            next.handoff_reason = Some(handoff.reason);
            let item = HandoffItem {
                v: HandoffItem::VERSION,
                ticket_id: ticket.id,
                key: ticket.key.clone(),
                reason: handoff.reason,
                priority: handoff.priority,
                requested_at: now,
                inbound: message.wamid.clone(),
                transcript: format!("TICKET#{}", ticket.id),
            };
            outbox.push(OutboxEntry {
                ticket_id: ticket.id,
                inbound: message.wamid.clone(),
                seq: u8::try_from(outbox.len()).unwrap_or(u8::MAX),
                kind: OutboxKind::Handoff,
                payload: serde_json::to_string(&item).unwrap_or_default(),
                done: false,
            });
            info!(ticket_id = %ticket.id, reason = handoff.reason.as_str(), priority = handoff.priority.as_str(), "bot hands over to a person");
        } else if turn.resolved {
            next.status = TicketStatus::Resolved;
            next.resolved_at = Some(now);
            next.resolved_by_bot = true;
        }
        next.bot = Some(turn.state);
        (next, outbox, ReplyOutcome::Answered { sent: 0 })
    }

    /// Sends the pending outbox entries of the turn that answered `inbound`, in order.
    async fn flush(&self, ticket: &Ticket, inbound: &Wamid) -> Result<usize, BotReplyError> {
        let mut sent = 0;
        for entry in self.store.outbox(ticket.id, inbound).await? {
            if entry.done {
                continue;
            }
            match entry.kind {
                OutboxKind::WhatsApp => {
                    let body: OutboundBody = serde_json::from_str(&entry.payload).map_err(|e| {
                        BotReplyError::Poison(format!("outbox entry {}: {e}", entry.seq))
                    })?;
                    match self.send(ticket, &body).await? {
                        Some(record) => {
                            self.store.complete_outbox(&entry, Some(&record)).await?;
                            sent += 1;
                        }
                        None => self.store.complete_outbox(&entry, None).await?,
                    }
                }
                OutboxKind::Handoff => {
                    let item: HandoffItem = serde_json::from_str(&entry.payload).map_err(|e| {
                        BotReplyError::Poison(format!("outbox entry {}: {e}", entry.seq))
                    })?;
                    self.handoffs.send(&[item.to_message()]).await?;
                    self.store.complete_outbox(&entry, None).await?;
                }
            }
        }
        Ok(sent)
    }

    /// Sends one reply; outside the 24 h window only the re-engagement template may go.
    /// `None`: nothing could be sent and nothing should be retried.
    async fn send(
        &self,
        ticket: &Ticket,
        body: &OutboundBody,
    ) -> Result<Option<MessageRecord>, BotReplyError> {
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
        let wamid = match send_with_retry(self.whatsapp.as_ref(), self.retry, from, to, &body).await
        {
            Ok(wamid) => wamid,
            Err(e) if e.needs_template() && !body.is_template() => match &self.reengagement {
                Some(t) => {
                    body = OutboundBody::Template(t.clone());
                    send_with_retry(self.whatsapp.as_ref(), self.retry, from, to, &body).await?
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
            context_id: None,
            profile_name: None,
            delivery: None,
            handled_at: None,
        }))
    }
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
