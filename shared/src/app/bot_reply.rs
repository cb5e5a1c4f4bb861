//! bot-reply: for each stored customer message on `inbound.fifo`, the bot's turn, stored with
//! its outbox in one write, then the outbox sent (WhatsApp replies, the handoff). A redelivered
//! queue item finds the message handled and only finishes what is still pending: no second
//! reply. A ticket a person owns gets no bot reply.

use std::sync::Arc;

use jiff::Timestamp;

use tracing::{info, warn};

use crate::app::analytics::Fact;
use crate::app::intake::webhook::plan::Content;
use crate::app::outbox::OutboxRunner;
use crate::app::queue_batch::{Order, handle_records};
use crate::app::ticket_change::{
    ChangeKey, Decision, Draft, Gathered, SlaUpdate, TicketChange, TicketChanger,
};
use crate::domain::bot::{BotState, Inbound};
use crate::domain::consent::{Consent, Keyword};
use crate::domain::handoff::HandoffItem;
use crate::domain::sla::{SlaConfig, SlaEvent};
use crate::domain::ticket::{Csat, Ticket, TicketStatus};
use crate::platform::deadline::Deadline;
use crate::platform::live_config::ConfigSource;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::{InboundQueueItem, Queue};
use crate::ports::store::{MessageRecord, OutboxKind, TicketStore};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{RetryPolicy, Template, WhatsAppClient};

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

pub use crate::app::queue_batch::QueueRecord;

pub struct BotReply {
    store: Arc<dyn TicketStore>,
    bot: Bot,
    clock: Arc<dyn Clock>,
    /// Stores each turn (with SLA policies, keeping the ticket's clocks and timers) and does
    /// its outbox.
    changer: TicketChanger,
    media: Option<crate::ports::media::MediaArchive>,
    /// Where the messages the bot did not understand are kept for supervisors (admin area).
    feedback: Option<Arc<dyn crate::ports::bot_feedback::BotFeedback>>,
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
            changer: TicketChanger::new(
                store.clone(),
                OutboxRunner::new(store.clone(), whatsapp, handoffs, clock.clone()),
            ),
            store,
            bot,
            clock,
            media: None,
            feedback: None,
        }
    }

    /// Records what the bot did not understand, failed on or handed over (scrubbed), and how
    /// turns per intent ended: the admin area's learning loop.
    pub fn with_feedback(
        mut self,
        feedback: Arc<dyn crate::ports::bot_feedback::BotFeedback>,
    ) -> Self {
        self.feedback = Some(feedback);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.changer.outbox.retry = retry;
        self
    }

    pub fn with_reengagement_template(mut self, template: Option<Template>) -> Self {
        self.changer.outbox.reengagement = template;
        self
    }

    /// Tells the assigned agent when their customer writes.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.changer.outbox.notifier = Some(notifier);
        self
    }

    /// Tracks SLAs: clocks on every ticket, one Scheduler timer per next deadline.
    /// Keeps customers' media (fetched from the Cloud API) before the bot looks at a message.
    pub fn with_media(mut self, media: crate::ports::media::MediaArchive) -> Self {
        self.media = Some(media);
        self
    }

    /// Publishes ticket events (opened, assigned, resolved, ...) to `bus` through the outbox.
    pub fn with_events(mut self, bus: Arc<dyn crate::ports::events::EventBus>) -> Self {
        self.changer.outbox.events = Some(bus);
        self
    }

    /// Counts the bot's messages, handoffs and failed sends; one metric line per batch.
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.changer.outbox.metrics = metrics;
        self
    }

    pub fn with_sla(
        mut self,
        sla: impl Into<ConfigSource<SlaConfig>>,
        timers: Arc<dyn Timers>,
    ) -> Self {
        self.changer.sla = Some(sla.into());
        self.changer.outbox.timers = Some(timers);
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
        let failed = handle_records(
            records,
            deadline,
            Order::PerGroup,
            "customer message not handled",
            |record| async move {
                let item = parse_item(&record.body)?;
                let outcome = self.handle(&item).await?;
                info!(ticket_id = %item.ticket_id, wamid = %item.wamid.log_ref(), outcome = ?outcome, "customer message handled");
                Ok(())
            },
        )
        .await;
        self.changer.outbox.metrics.flush();
        failed
    }

    /// Decides and stores the bot's turn for one message (once), then sends what is pending.
    pub async fn handle(&self, item: &InboundQueueItem) -> Result<ReplyOutcome, BotReplyError> {
        let turn = Turn { reply: self, item };
        let key = ChangeKey::message(&item.wamid);
        let changed = self.changer.change(item.ticket_id, &key, &turn).await?;
        let sent = changed.sent;
        Ok(match changed.outcome {
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

    /// Marks the message read (blue ticks); a failure is only logged.
    async fn mark_read(&self, ticket: &Ticket, message: &MessageRecord) {
        match crate::platform::deadline::within(
            self.changer
                .outbox
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
    }

    /// What the bot makes of a message on a ticket no person owns: a rating of the last
    /// resolution, or the bot's turn.
    async fn listen(&self, ticket: &Ticket, message: &MessageRecord) -> Heard {
        let now = self.clock.now();
        let state = match ticket.status {
            TicketStatus::Bot => ticket.bot.clone().unwrap_or_default(),
            // A new question after a resolution: the bot starts over, without a second greeting.
            _ => BotState {
                language: ticket.bot.as_ref().and_then(|b| b.language),
                greeted: true,
                ..BotState::default()
            },
        };
        self.mark_read(ticket, message).await;
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
            return Heard::Rated(score);
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
        self.learn(&state, &input, &turn, message, now).await;
        Heard::Bot(Box::new(turn))
    }

    /// Keeps a message the bot did not understand, failed on or handed over (scrubbed, with
    /// the intents it guessed) and counts how the turn's intent ended. Best effort: learning
    /// material never holds up an answer. Keyed by the message, so a redelivery writes the
    /// same item again.
    async fn learn(
        &self,
        before: &BotState,
        input: &Inbound<'_>,
        turn: &crate::domain::bot::Turn,
        message: &MessageRecord,
        now: Timestamp,
    ) {
        use crate::domain::unrecognised::{Guess, Miss, Outcome, Unrecognised};
        let Some(feedback) = &self.feedback else {
            return;
        };
        let Some(text) = input.text.filter(|_| input.reply_id.is_none()) else {
            return;
        };
        if let Some(m) = &turn.intent {
            let outcome = if turn.handoff.is_some() {
                Outcome::HandedOff
            } else {
                Outcome::Contained
            };
            if let Err(e) = feedback
                .count(message.wamid.as_str(), now, &m.intent, outcome)
                .await
            {
                warn!(error = %e, "could not count the bot's outcome");
            }
        }
        // A free-text message outside a flow that matched no intent was not understood, even
        // where the bot answered it with its menu (a first message is greeted, not counted).
        let failed = turn.state.failed_attempts > before.failed_attempts
            || (turn.intent.is_none() && before.flow.is_none() && turn.lookup.is_none());
        let miss = match (&turn.handoff, failed) {
            (Some(_), _) => Miss::Handoff,
            (None, true) if before.flow.is_some() => Miss::FailedAttempt,
            (None, true) => Miss::NotUnderstood,
            (None, false) => return,
        };
        let config = self.bot.current().await;
        let guesses = config
            .model
            .rank(text)
            .into_iter()
            .map(|m| Guess {
                intent: m.intent,
                score: m.score,
            })
            .collect();
        let Some(item) = Unrecognised::new(text, input.customer_name, guesses, miss, now) else {
            return;
        };
        if let Err(e) = feedback.record(message.wamid.as_str(), &item).await {
            warn!(wamid = %message.wamid.log_ref(), error = %e, "could not keep the unrecognised message");
        }
    }
}

/// The bot's turn on one stored customer message, as a ticket change.
struct Turn<'a> {
    reply: &'a BotReply,
    item: &'a InboundQueueItem,
}

/// What the message turned out to be, read before the decision.
enum Heard {
    /// Handled before (a redelivery).
    Handled,
    /// A STOP or START keyword, recorded.
    Keyword(Keyword),
    /// On a ticket a person owns.
    ForAgent,
    /// The answer to the satisfaction survey.
    Rated(u8),
    /// An emoji reaction to an earlier message: kept on the ticket, never answered (it is no
    /// question, and the bot's "I did not understand" to a 👍 reads as a fault).
    Reaction,
    /// The bot's turn (a consent the customer confirmed in it is recorded).
    Bot(Box<crate::domain::bot::Turn>),
}

impl TicketChange for Turn<'_> {
    type Input = (Heard, Option<MessageRecord>);
    type Outcome = Option<ReplyOutcome>;
    type Error = BotReplyError;

    fn missing(&self, id: crate::domain::ids::TicketId) -> BotReplyError {
        BotReplyError::Poison(format!("ticket {id} does not exist"))
    }

    fn actor(&self) -> &str {
        "bot"
    }

    async fn gather(
        &self,
        ticket: &Ticket,
    ) -> Result<Gathered<(Heard, Option<MessageRecord>)>, BotReplyError> {
        let (reply, item) = (self.reply, self.item);
        let message = reply
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
            return Ok((Heard::Handled, None).into());
        }
        let message = reply.keep_media(message).await?;
        let heard = match reply.record_consent(ticket, &message).await? {
            Some(keyword) => Heard::Keyword(keyword),
            // The agent sees the message on the ticket; notifying them is the agent side's job.
            None if ticket.status.is_with_agent() => Heard::ForAgent,
            None if message.kind == "reaction" => Heard::Reaction,
            None => {
                let heard = reply.listen(ticket, &message).await;
                if let Heard::Bot(turn) = &heard
                    && let Some(keyword) = turn.consent
                {
                    // Confirmed in the bot's dialogue ("please stop sending me messages",
                    // then "Yes"): recorded before the turn, like a keyword, so a
                    // redelivery records the same.
                    reply.set_consent(ticket, &message, keyword).await?;
                }
                heard
            }
        };
        Ok((heard, Some(message)).into())
    }

    fn decide(
        &self,
        ticket: &Ticket,
        (heard, message): (Heard, Option<MessageRecord>),
        draft: &mut Draft,
    ) -> Result<Decision<Option<ReplyOutcome>>, BotReplyError> {
        let Some(message) = message else {
            return Ok(Decision::Keep {
                outcome: None,
                flush: true,
            });
        };
        let outcome = match heard {
            Heard::Handled => unreachable!("a handled message comes without its record"),
            Heard::Keyword(keyword) => {
                confirm_consent(ticket, keyword, draft);
                ReplyOutcome::Answered { sent: 0 }
            }
            Heard::ForAgent => {
                for_agent(ticket, &message, draft);
                ReplyOutcome::WithAgent
            }
            Heard::Rated(score) => {
                rated(ticket, score, draft);
                ReplyOutcome::Answered { sent: 0 }
            }
            Heard::Reaction => {
                info!(ticket_id = %ticket.id, wamid = %message.wamid.log_ref(), "customer reacted to a message; the bot stays silent");
                ReplyOutcome::Answered { sent: 0 }
            }
            Heard::Bot(turn) => {
                answered(ticket, &message, *turn, draft);
                ReplyOutcome::Answered { sent: 0 }
            }
        };
        draft.message = Some(message);
        Ok(Decision::Write(Some(outcome)))
    }
}

/// The confirmation of a consent keyword; the ticket and the bot's state stay as they are.
fn confirm_consent(ticket: &Ticket, keyword: Keyword, draft: &mut Draft) {
    let lang = ticket.bot.as_ref().and_then(|b| b.language);
    draft
        .outbox
        .push(OutboxKind::WhatsApp, &keyword.confirmation(lang));
}

/// The customer wrote on a ticket a person owns: the bot stays silent and tells that person
/// (or their team's queue).
fn for_agent(ticket: &Ticket, message: &MessageRecord, draft: &mut Draft) {
    info!(ticket_id = %ticket.id, wamid = %message.wamid.log_ref(), "customer wrote on a ticket a person owns; bot stays silent");
    draft.outbox.push(
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
    let resumed = draft.next.customer_wrote_to_agent();
    let wrote = customer_time(message);
    draft.sla = Some(SlaUpdate {
        start: Some(message.text.clone()),
        ..SlaUpdate::default()
    });
    if resumed {
        draft.sla_event(SlaEvent::Resumed, wrote);
    }
    draft.sla_event(SlaEvent::CustomerWrote, wrote);
}

/// The answer to the survey after a resolution: stored, thanked, counted.
fn rated(ticket: &Ticket, score: u8, draft: &mut Draft) {
    let now = draft.now;
    draft.next.csat = Some(Csat { score, at: now });
    let lang = ticket.bot.as_ref().and_then(|b| b.language);
    draft
        .outbox
        .push(OutboxKind::WhatsApp, &crate::domain::csat::thanks(lang));
    draft.outbox.stats(&draft.next, Fact::Rated(score), now);
    info!(ticket_id = %ticket.id, score, "customer rated the support");
}

/// The bot's turn: its replies, and the ticket handed over, resolved or still with the bot.
fn answered(
    ticket: &Ticket,
    message: &MessageRecord,
    turn: crate::domain::bot::Turn,
    draft: &mut Draft,
) {
    let now = draft.now;
    for reply in &turn.replies {
        draft.outbox.push(OutboxKind::WhatsApp, reply);
    }
    let opened = ticket.bot.is_none() || ticket.status != TicketStatus::Bot;
    if opened {
        draft.outbox.stats(&draft.next, Fact::Opened, now);
    }
    draft.next.with_bot(opened);
    if let Some(handoff) = turn.handoff {
        draft.next.hand_over(handoff.priority, handoff.reason, now);
        draft.outbox.stats(&draft.next, Fact::HandedOff, now);
        let item = HandoffItem::for_ticket(
            ticket,
            handoff.reason,
            handoff.priority,
            now,
            message.wamid.clone(),
        );
        draft.outbox.push(OutboxKind::Handoff, &item);
        info!(ticket_id = %ticket.id, reason = handoff.reason.as_str(), priority = handoff.priority.as_str(), "bot hands over to a person");
    } else if turn.resolved {
        draft.next.resolve_by_bot(now);
    }
    draft.next.bot = Some(turn.state);
    // What the customer started runs from when they wrote, however late the bot gets to it
    // (a crashed batch, a redelivery); what the bot did runs from when it did it.
    let wrote = customer_time(message);
    draft.sla = Some(SlaUpdate {
        start: Some(message.text.clone()),
        ..SlaUpdate::default()
    });
    if ticket.sla.is_none() || ticket.status != TicketStatus::Bot {
        // A new ticket, or a new question after a resolution: the bot's clocks start.
        draft.sla_event(SlaEvent::Opened, wrote);
    }
    draft.sla_event(SlaEvent::CustomerWrote, wrote);
    if turn.handoff.is_some() {
        draft.sla_event(SlaEvent::HandedOff, wrote);
    }
    if turn.resolved {
        draft.sla_event(SlaEvent::Resolved, now);
    }
    if draft
        .next
        .bot
        .as_ref()
        .is_some_and(|b| b.awaiting_confirmation)
    {
        draft.sla_event(SlaEvent::BotAnswered, now);
    }
    if turn.resolved && turn.handoff.is_none() {
        // After the clocks, so the SLA outcome is in the count: the changer plans the clocks
        // before it stores, so this count is planned as an outbox step after the timers.
        draft.stats_after_sla = Some(Fact::Resolved);
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
