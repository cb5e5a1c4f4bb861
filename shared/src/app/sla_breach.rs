//! sla-breach: a fired SLA timer (from the `sla-events` queue). The ticket is read again and the
//! timer judged against its clocks: met, paused, moved or handled before means nothing to do.
//! Otherwise the stage is recorded (warning, breach, escalation level) with its actions (notify
//! managers or the assignee, raise priority, reassign to a team, or hand the bot's ticket to a
//! person), the next stage's timer planned, all stored with an outbox in one write, then done.

use std::sync::Arc;

use tracing::{info, warn};

use crate::app::agent_api::desk::{AgentDesk, ESCALATION_ACTOR};
use crate::app::analytics::Fact;
use crate::app::bot_reply::QueueRecord;
use crate::app::outbox::{HandlerError, OutboxBuilder, OutboxRunner};
use crate::app::queue_batch::{Order, handle_records};
use crate::app::ticket_change::{
    ChangeKey, Decision, Draft, Gathered, TicketChange, TicketChanger, pinned_sla,
};
use crate::domain::bot::{BotConfig, Engine, HandoffReason, Priority};
use crate::domain::handoff::HandoffItem;
use crate::domain::sla::clocks::timer_name;
use crate::domain::sla::{Action, Fired, SlaConfig, SlaEvent, Target, TimerPayload};
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::platform::deadline::Deadline;
use crate::platform::live_config::ConfigSource;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::Queue;
use crate::ports::store::{Activity, ActivityKind, Agent, OutboxKind, SlaMark, TicketStore};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{RetryPolicy, WhatsAppClient};

pub struct SlaBreach {
    store: Arc<dyn TicketStore>,
    bot: Arc<BotConfig>,
    /// Read per fired timer (the published document when live): a stage's next timer is
    /// planned with the policy current when it fires.
    sla: ConfigSource<SlaConfig>,
    clock: Arc<dyn Clock>,
    /// Stores each stage (and plans the next stage's timer) and does its outbox.
    changer: TicketChanger,
    /// Places a queued ticket an escalation moved to another team with a free agent there.
    desk: AgentDesk,
}

/// The ports the breach handler acts through.
pub struct BreachPorts {
    pub store: Arc<dyn TicketStore>,
    pub whatsapp: Arc<dyn WhatsAppClient>,
    pub handoffs: Arc<dyn Queue>,
    pub timers: Arc<dyn Timers>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}

fn raise(p: Option<Priority>) -> Priority {
    match p.unwrap_or(Priority::Normal) {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

impl SlaBreach {
    pub fn new(
        ports: BreachPorts,
        bot: Arc<BotConfig>,
        sla: impl Into<ConfigSource<SlaConfig>>,
    ) -> Self {
        let sla = sla.into();
        let desk = AgentDesk::new(
            ports.store.clone(),
            ports.whatsapp.clone(),
            ports.handoffs.clone(),
            ports.clock.clone(),
        )
        .with_sla(sla.clone(), ports.timers.clone())
        .with_notifier(ports.notifier.clone());
        Self {
            desk,
            changer: TicketChanger {
                store: ports.store.clone(),
                sla: Some(sla.clone()),
                outbox: OutboxRunner {
                    timers: Some(ports.timers),
                    notifier: Some(ports.notifier),
                    ..OutboxRunner::new(
                        ports.store.clone(),
                        ports.whatsapp,
                        ports.handoffs,
                        ports.clock.clone(),
                    )
                },
            },
            store: ports.store,
            bot,
            sla,
            clock: ports.clock,
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.changer.outbox.retry = retry;
        self
    }

    /// Publishes ticket events (opened, assigned, resolved, ...) to `bus` through the outbox.
    pub fn with_events(mut self, bus: Arc<dyn crate::ports::events::EventBus>) -> Self {
        self.changer.outbox.events = Some(bus);
        self
    }

    /// Counts breaches, the bot's messages, handoffs and failed sends; one line per batch.
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.desk = self.desk.with_metrics(metrics.clone());
        self.changer.outbox.metrics = metrics;
        self
    }

    /// Handles fired timers (a standard queue: records are independent) and returns the ids of
    /// the records to deliver again.
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        self.handle_batch_until(records, Deadline::none()).await
    }

    /// [`Self::handle_batch`] within the invocation's `deadline`: records it leaves no time
    /// for are not started but delivered again, and every Cloud API wait is bounded by the
    /// time left.
    pub async fn handle_batch_until(
        &self,
        records: &[QueueRecord],
        deadline: Deadline,
    ) -> Vec<String> {
        let failed = handle_records(
            records,
            deadline,
            Order::None,
            "SLA timer not handled",
            |record| async move {
                let p = match serde_json::from_str::<TimerPayload>(&record.body) {
                    Ok(p) if p.v == 1 => p,
                    Ok(p) => {
                        return Err(HandlerError::Poison(format!(
                            "timer payload version {} is not 1",
                            p.v
                        )));
                    }
                    Err(e) => {
                        return Err(HandlerError::Poison(format!(
                            "body is not a timer payload: {e}"
                        )));
                    }
                };
                let fired = self.handle(&p).await?;
                info!(
                    ticket_id = %p.ticket_id, target = p.target.as_str(), stage = p.stage, outcome = ?fired,
                    "SLA timer handled"
                );
                Ok(())
            },
        )
        .await;
        self.changer.outbox.metrics.flush();
        failed
    }

    pub async fn handle(&self, payload: &TimerPayload) -> Result<Fired, HandlerError> {
        let name = timer_name(
            payload.ticket_id,
            payload.target,
            payload.generation,
            payload.stage,
        );
        let key = ChangeKey::parse(&format!("sla.{}", name.as_str()))
            .map_err(|e| HandlerError::Poison(e.to_string()))?;
        let stage = Stage {
            breach: self,
            payload,
        };
        let changed = self.changer.change(payload.ticket_id, &key, &stage).await?;
        let fired = changed.outcome;
        if changed.written && matches!(fired, Fired::Level { level: 1, .. }) {
            // Counted at the write that records it, so once per breach.
            self.changer
                .outbox
                .metrics
                .sla_breach(payload.target.as_str());
        }
        if changed.written || fired == Fired::Repeat {
            // Also after a repeat: the placing a crash may have cut short.
            self.hand_over(&changed.ticket, payload).await;
        }
        Ok(fired)
    }

    /// After a stage is stored (and again when its timer is delivered twice): a ticket still
    /// waiting for a person goes to a free agent of its team, if there is one now: an
    /// escalation may have moved it to another team, or a slot may have freed without picking
    /// it (see `AgentDesk::pull_next`); nobody free, it stays queued. A ticket this stage moved
    /// to another team while an agent outside that team has it goes to a free agent of that
    /// team (`AgentDesk::escalate`); nobody free, it stays with its agent (the team was alerted
    /// when the stage was stored). Not at the bot's time limit: that handoff goes to routing,
    /// whose rules pick the team.
    async fn hand_over(&self, ticket: &Ticket, payload: &TimerPayload) {
        if payload.target == Target::BotTimeLimit {
            return;
        }
        if ticket.status == TicketStatus::Queued {
            if let Err(e) = self.desk.offer(ticket).await {
                warn!(ticket_id = %ticket.id, error = %e, "waiting ticket stays queued: could not offer it");
            }
            return;
        }
        let current = self.sla.current().await;
        let sla = pinned_sla(&self.sla, &current, ticket.sla.as_ref()).await;
        let moved_to = payload
            .stage
            .checked_sub(1)
            .and_then(|level| sla.levels.iter().find(|l| l.number == level))
            .and_then(|l| reassign_team(&l.actions));
        if moved_to.is_none() || moved_to != ticket.team.as_deref() {
            return;
        }
        let name = timer_name(
            payload.ticket_id,
            payload.target,
            payload.generation,
            payload.stage,
        );
        match self.desk.escalate(ticket, name.as_str()).await {
            Ok(Some(moved)) => info!(
                ticket_id = %ticket.id, team = moved.team.as_deref().unwrap_or("-"),
                "escalated ticket given to an agent of its new team"
            ),
            Ok(None) => {}
            Err(e) => {
                warn!(ticket_id = %ticket.id, error = %e, "escalated ticket stays with its agent: could not move it")
            }
        }
    }

    /// When the timer's target is (was) due: the breach time, also for the warning and the
    /// later levels, whose timers fire before or after it.
    fn deadline(&self, ticket: &Ticket, payload: &TimerPayload) -> jiff::Timestamp {
        // The version the ticket's policy was chosen from (read when the timer was judged).
        let sla = crate::app::ticket_change::pinned_sla_cached(&self.sla, ticket.sla.as_ref());
        let schedule = ticket.sla.as_ref().and_then(|clocks| {
            let policy = sla.policies.iter().find(|p| p.name == clocks.policy)?;
            let clock = clocks.clocks.get(&payload.target)?;
            sla.schedule(
                policy,
                payload.target,
                clock.started_at,
                &clocks.pause_list(),
            )
            .ok()
            .flatten()
        });
        schedule.map_or(payload.due_at, |s| s.due_at)
    }

    /// At a level that moves the ticket to `team`: what becomes of its agent, for the log, when
    /// nobody of `team` can take it now (then the team is alerted, in this stage's write, so
    /// once). `None` when a free agent of the team will get it after the write
    /// (`hand_over`).
    #[allow(clippy::too_many_arguments)]
    fn nobody_free(
        &self,
        ticket: &Ticket,
        next: &Ticket,
        team: &str,
        roster: &[Agent],
        payload: &TimerPayload,
        level: u8,
        outbox: &mut OutboxBuilder,
    ) -> Option<String> {
        let current = next.assignee.as_deref();
        if let Some(agent) = current
            && roster
                .iter()
                .any(|a| a.id == agent && a.teams.iter().any(|t| t == team))
        {
            return Some(format!("stays with {agent}, who is in {team}"));
        }
        if !matches!(
            next.status,
            TicketStatus::Queued | TicketStatus::Assigned | TicketStatus::PendingCustomer
        ) {
            return None;
        }
        let language = next.bot.as_ref().and_then(|b| b.language);
        let free = crate::app::agent_handoff::candidates(roster, team, language);
        if free.iter().any(|a| Some(a.id.as_str()) != current) {
            return None;
        }
        let stays = match current {
            Some(agent) => format!("it stays with {agent}"),
            None => format!("it waits in the {team} queue"),
        };
        outbox.push(
            OutboxKind::Notify,
            &Notification {
                audience: Audience::Team,
                kind: "sla_escalation".to_owned(),
                ticket_id: ticket.id,
                target: Some(payload.target),
                level,
                due_at: Some(self.deadline(next, payload)),
                agent: None,
                team: Some(team.to_owned()),
                priority: next.priority.map(|p| p.as_str().to_owned()),
                summary: format!(
                    "SLA escalation level {level}: {} of ticket {} is overdue and the ticket was moved to team {team}, but nobody there is free: {stays} until one of you takes it.",
                    payload.target.as_str(),
                    ticket.id
                ),
            },
        );
        Some(format!("nobody in {team} free: {stays}, team alerted"))
    }

    /// The stage's effects on the ticket, and what to tell whom.
    #[allow(clippy::too_many_arguments)]
    fn act(
        &self,
        ticket: &Ticket,
        next: &mut Ticket,
        fired: &Fired,
        payload: &TimerPayload,
        roster: &[Agent],
        outbox: &mut OutboxBuilder,
        log: &mut ActivityLog,
    ) {
        match fired {
            Fired::Warning => {
                // The target's deadline (a warning's timer fires before it).
                let notice = Notice {
                    ticket,
                    payload,
                    due_at: log.due_at,
                };
                notice.push(outbox, next, Audience::Assignee, "sla_warning", 0);
                log.push(
                    ActivityKind::SlaWarning,
                    0,
                    format!("told {}", assignee_or_team(next)),
                );
            }
            Fired::Level { level, actions } => {
                self.act_level(ticket, next, *level, actions, payload, roster, outbox, log)
            }
            Fired::BotTimeLimit => self.act_bot_time_limit(ticket, next, payload, outbox),
            Fired::BotSilence => self.act_bot_silence(ticket, next, outbox),
            Fired::Stale | Fired::Repeat => {}
        }
    }

    /// A breach or escalation level: raise the priority, move to a team, tell whom the policy
    /// says, and log what was done.
    #[allow(clippy::too_many_arguments)]
    fn act_level(
        &self,
        ticket: &Ticket,
        next: &mut Ticket,
        level: u8,
        actions: &[Action],
        payload: &TimerPayload,
        roster: &[Agent],
        outbox: &mut OutboxBuilder,
        log: &mut ActivityLog,
    ) {
        let notice = Notice {
            ticket,
            payload,
            due_at: log.due_at,
        };
        let kind = if level == 1 {
            "sla_breach"
        } else {
            "sla_escalation"
        };
        let mut done = Vec::new();
        for action in actions {
            match action {
                Action::RaisePriority => {
                    next.priority = Some(raise(next.priority));
                    done.push(format!(
                        "priority raised to {}",
                        next.priority.unwrap_or(Priority::Normal).as_str()
                    ));
                }
                Action::Reassign(team) => next.team = Some(team.clone()),
                Action::NotifyManagers | Action::NotifyAssignee => {}
            }
        }
        if let Some(team) = reassign_team(actions) {
            done.push(format!("moved to team {team}"));
            if let Some(outcome) =
                self.nobody_free(ticket, next, team, roster, payload, level, outbox)
            {
                done.push(outcome);
            }
        }
        // Notify after the changes so the message shows the new priority and team.
        for action in actions {
            match action {
                Action::NotifyManagers => {
                    notice.push(outbox, next, Audience::Managers, kind, level);
                    done.push("told managers".to_owned());
                }
                Action::NotifyAssignee => {
                    notice.push(outbox, next, Audience::Assignee, kind, level);
                    done.push(format!("told {}", assignee_or_team(next)));
                }
                _ => {}
            }
        }
        let entry = if level == 1 {
            ActivityKind::SlaBreach
        } else {
            ActivityKind::SlaEscalation
        };
        let text = if done.is_empty() {
            "no actions at this level".to_owned()
        } else {
            done.join("; ")
        };
        log.push(entry, level, text);
        warn!(ticket_id = %ticket.id, target = payload.target.as_str(), level, "SLA breached");
    }

    /// The bot's time limit: the bot says its last words and the ticket goes to a person.
    fn act_bot_time_limit(
        &self,
        ticket: &Ticket,
        next: &mut Ticket,
        payload: &TimerPayload,
        outbox: &mut OutboxBuilder,
    ) {
        if ticket.status != TicketStatus::Bot {
            return;
        }
        let state = ticket.bot.clone().unwrap_or_default();
        let turn = Engine::new(&self.bot).time_limit(&state, self.clock.now());
        for reply in &turn.replies {
            outbox.push(OutboxKind::WhatsApp, reply);
        }
        let handoff = turn.handoff.map_or(Priority::Normal, |h| h.priority);
        next.status = TicketStatus::Queued;
        next.priority = Some(next.priority.map_or(handoff, |p| p.max(handoff)));
        next.handoff_reason = Some(HandoffReason::BotTimeLimit);
        next.bot = Some(turn.state);
        // Keyed by this timer, not by the ticket's opening message: that message may
        // have handed the ticket over before, and routing would take this handoff for
        // the earlier one.
        let item = HandoffItem::for_ticket(
            ticket,
            HandoffReason::BotTimeLimit,
            next.priority.unwrap_or(Priority::Normal),
            self.clock.now(),
            outbox.key().clone(),
        );
        outbox.push(OutboxKind::Handoff, &item);
        next.handed_off_at = Some(self.clock.now());
        next.first_response_at = None;
        outbox.stats(next, Fact::HandedOff, self.clock.now());
        if let Some(clocks) = next.sla.as_mut() {
            // The customer has waited for a person since the limit was reached, however
            // late this timer was handled.
            let reached = payload.due_at.min(self.clock.now());
            clocks.apply(SlaEvent::HandedOff, reached);
        }
        info!(ticket_id = %ticket.id, "bot time limit reached; handed to a person");
    }

    /// No follow-up after the bot's answer: the bot resolves the ticket.
    fn act_bot_silence(&self, ticket: &Ticket, next: &mut Ticket, outbox: &mut OutboxBuilder) {
        if ticket.status != TicketStatus::Bot {
            return;
        }
        let state = ticket.bot.clone().unwrap_or_default();
        let Some(turn) = Engine::new(&self.bot).silence(&state, self.clock.now()) else {
            return;
        };
        next.status = TicketStatus::Resolved;
        next.resolved_at = Some(self.clock.now());
        next.resolved_by_bot = true;
        next.bot = Some(turn.state);
        if let Some(clocks) = next.sla.as_mut() {
            clocks.apply(SlaEvent::Resolved, self.clock.now());
        }
        outbox.stats(next, Fact::Resolved, self.clock.now());
        info!(ticket_id = %ticket.id, "no follow-up after the bot's answer; resolved by the bot");
    }
}

/// What a warning, breach or escalation notification says about one fired timer.
struct Notice<'a> {
    ticket: &'a Ticket,
    payload: &'a TimerPayload,
    /// The target's deadline (a warning's timer fires before it).
    due_at: jiff::Timestamp,
}

impl Notice<'_> {
    /// Queues a notification to `audience`, showing `next`'s assignee, team and priority.
    fn push(
        &self,
        outbox: &mut OutboxBuilder,
        next: &Ticket,
        audience: Audience,
        kind: &str,
        level: u8,
    ) {
        let (ticket, target, due_at) = (self.ticket, self.payload.target, self.due_at);
        let summary = match level {
            0 => format!(
                "SLA warning: {} of ticket {} is due at {}.",
                target.as_str(),
                ticket.id,
                due_at
            ),
            1 => format!(
                "SLA breached: {} of ticket {} was due at {}.",
                target.as_str(),
                ticket.id,
                due_at
            ),
            n => format!(
                "SLA escalation level {n}: {} of ticket {} is overdue.",
                target.as_str(),
                ticket.id
            ),
        };
        let n = Notification {
            audience,
            kind: kind.to_owned(),
            ticket_id: ticket.id,
            target: Some(target),
            level,
            due_at: Some(due_at),
            agent: next.assignee.clone(),
            team: next.team.clone(),
            priority: next.priority.map(|p| p.as_str().to_owned()),
            summary,
        };
        outbox.push(OutboxKind::Notify, &n);
    }
}

/// Who an `Assignee` notification reaches.
fn assignee_or_team(t: &Ticket) -> String {
    match (&t.assignee, &t.team) {
        (Some(agent), _) => agent.clone(),
        (None, Some(team)) => format!("team {team}"),
        (None, None) => "nobody (no agent, no team)".to_owned(),
    }
}

/// The team a level's actions move the ticket to (the last `reassign:` wins).
fn reassign_team(actions: &[Action]) -> Option<&str> {
    actions.iter().rev().find_map(|a| match a {
        Action::Reassign(team) => Some(team.as_str()),
        _ => None,
    })
}

/// One fired timer judged against the ticket's clocks, as a ticket change.
struct Stage<'a> {
    breach: &'a SlaBreach,
    payload: &'a TimerPayload,
}

/// The clocks with the timer judged, what it means, and who could take the ticket if the
/// stage moves it to another team.
struct Judged {
    clocks: Option<crate::domain::sla::SlaClocks>,
    fired: Fired,
    roster: Vec<Agent>,
}

impl TicketChange for Stage<'_> {
    type Input = Judged;
    type Outcome = Fired;
    type Error = HandlerError;

    fn missing(&self, id: crate::domain::ids::TicketId) -> HandlerError {
        HandlerError::Poison(format!("ticket {id} does not exist"))
    }

    fn actor(&self) -> &str {
        ESCALATION_ACTOR
    }

    async fn gather(&self, ticket: &Ticket) -> Result<Gathered<Judged>, HandlerError> {
        let mut clocks = ticket.sla.clone();
        let current = self.breach.sla.current().await;
        // The levels of the version the ticket's policy was chosen from.
        let sla = pinned_sla(&self.breach.sla, &current, clocks.as_ref()).await;
        let fired = match clocks.as_mut() {
            Some(clocks) => clocks.fired(self.payload, &sla, self.breach.clock.now()),
            None => Fired::Stale,
        };
        let roster = match &fired {
            Fired::Level { actions, .. } if reassign_team(actions).is_some() => {
                self.breach.store.agents().await?
            }
            _ => Vec::new(),
        };
        Ok(Judged {
            clocks,
            fired,
            roster,
        }
        .into())
    }

    fn decide(
        &self,
        ticket: &Ticket,
        judged: Judged,
        draft: &mut Draft,
    ) -> Result<Decision<Fired>, HandlerError> {
        let Judged {
            clocks,
            fired,
            roster,
        } = judged;
        match &fired {
            Fired::Stale => {
                return Ok(Decision::Keep {
                    outcome: fired,
                    flush: false,
                });
            }
            // Stored before; finish what is pending (the next timer, notifications).
            Fired::Repeat => {
                return Ok(Decision::Keep {
                    outcome: fired,
                    flush: true,
                });
            }
            _ => {}
        }
        draft.next.sla = clocks;
        let breach = self.breach;
        let deadline = breach.deadline(ticket, self.payload);
        let mut log = ActivityLog::new(draft, self.payload, deadline);
        breach.act(
            ticket,
            &mut draft.next,
            &fired,
            self.payload,
            &roster,
            &mut draft.outbox,
            &mut log,
        );
        draft.activity = log.entries;
        // Plan the next stage's timer.
        draft.sla = Some(Default::default());
        Ok(Decision::Write(fired))
    }
}

/// The activity entries of one SLA stage, with ids from the timer's key: the write that records
/// the stage records them, so a redelivered timer cannot add them twice.
struct ActivityLog {
    ticket_id: crate::domain::ids::TicketId,
    key: String,
    at: jiff::Timestamp,
    ticket_version: u64,
    target: Target,
    due_at: jiff::Timestamp,
    entries: Vec<Activity>,
}

impl ActivityLog {
    fn new(draft: &Draft, payload: &TimerPayload, due_at: jiff::Timestamp) -> Self {
        Self {
            ticket_id: payload.ticket_id,
            key: draft.key().as_str().to_owned(),
            at: draft.now,
            ticket_version: draft.next.version,
            target: payload.target,
            due_at,
            entries: Vec::new(),
        }
    }

    fn push(&mut self, kind: ActivityKind, level: u8, text: String) {
        self.entries.push(Activity {
            ticket_id: self.ticket_id,
            id: format!("{}-{}", self.key, self.entries.len() + 1),
            at: self.at,
            actor: ESCALATION_ACTOR.to_owned(),
            kind,
            text: Some(text),
            mentions: Vec::new(),
            ticket_version: self.ticket_version,
            sla: Some(SlaMark {
                target: self.target,
                level,
                due_at: self.due_at,
            }),
        });
    }
}

#[cfg(test)]
mod tests;
