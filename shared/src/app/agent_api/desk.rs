//! What an agent does to a ticket: reply to the customer, wait on the customer, resolve. Each
//! action is one conditional write of the ticket with its outbox (the WhatsApp message, SLA
//! timer changes), done afterwards. The agent API (HTTP, auth, listing) builds on these.

use std::sync::Arc;

use tracing::{info, warn};

use crate::app::agent_handoff::assign::{self, ClaimError, Place, PlaceError};
pub use crate::app::agent_handoff::assign::{ESCALATION_ACTOR, PULL_ACTOR};
use crate::app::analytics::Fact;
use crate::app::outbox::{CapacityRelease, HandlerError, OutboxBuilder, OutboxRunner};
use crate::domain::bot::Priority;
use crate::domain::bot::config::MAX_TEXT;
use crate::domain::ids::{TicketId, Wamid};
use crate::domain::sla::{SlaConfig, SlaEvent, TicketFacts};
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::platform::metrics::Count;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::Queue;
use crate::ports::store::{
    Activity, ActivityKind, BotTurnWrite, OutboxKind, StoreError, TicketStore, TurnOutcome,
};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{OutboundBody, Template, WhatsAppClient, service_window_open};

const MAX_ATTEMPTS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("ticket {0} does not exist")]
    NotFound(TicketId),
    #[error("ticket {ticket} is at version {current}, not {expected}: reload it")]
    Conflict {
        ticket: TicketId,
        expected: u64,
        current: u64,
    },
    /// The request cannot be carried out as asked; `field` names the input at fault, if one is.
    #[error("{}{problem}", FieldPrefix(*.field))]
    Invalid {
        field: Option<&'static str>,
        problem: String,
    },
    /// The agent cannot take the ticket now (offline, at capacity).
    #[error("{0}")]
    Unavailable(String),
    #[error("the customer's last message is more than 24 hours old: only a template may be sent")]
    OutsideServiceWindow,
    #[error("the customer has not opted in to business-initiated messages (templates)")]
    NoConsent,
    /// The client's idempotency key came with another request before (another action, body or
    /// caller): acting would do something else than the client was told was done.
    #[error(
        "Idempotency-Key {0} was used for another request on this ticket (another action, body or caller); send a new key with a new request"
    )]
    KeyReused(String),
    #[error(transparent)]
    Failed(#[from] HandlerError),
}

/// `field: ` before a problem that names its field, nothing otherwise.
struct FieldPrefix(Option<&'static str>);

impl std::fmt::Display for FieldPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(field) => write!(f, "{field}: "),
            None => Ok(()),
        }
    }
}

impl AgentError {
    /// `field` of the request is wrong: `problem` says how.
    fn field(field: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            problem: problem.into(),
        }
    }

    /// The request does not fit the ticket's state (no single field is at fault).
    fn invalid(problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: None,
            problem: problem.into(),
        }
    }
}

impl From<StoreError> for AgentError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// A client's `Idempotency-Key` and a digest of the request it came with (method, path, body,
/// caller): the same request again finishes the first; the key on another request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    pub request: [u8; 32],
}

/// An agent's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAction {
    /// A free-form message (inside the 24 h window only).
    Reply { text: String },
    /// An approved template (any time; the only way to write outside the window).
    SendTemplate { template: Template },
    /// An internal note; `@agent` mentions notify those agents.
    Note { text: String },
    /// Gives the ticket to an agent (taking one unit of their capacity), or back to the team
    /// queue with `None`.
    Assign { agent: Option<String> },
    Update {
        priority: Option<Priority>,
        category: Option<String>,
    },
    /// Waiting on the customer: SLA clocks pause.
    SetPending,
    /// Solved: clocks stop, the agent's slot frees up, the customer is asked for a rating.
    Resolve,
    /// Back to work on a resolved ticket, for the agent who reopens it.
    Reopen,
}

impl AgentAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::SendTemplate { .. } => "send_template",
            Self::Note { .. } => "note",
            Self::Assign { .. } => "assign",
            Self::Update { .. } => "update",
            Self::SetPending => "set_pending",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
        }
    }

    fn validate(&self) -> Result<(), AgentError> {
        let text_ok = |field: &'static str, text: &str| {
            let n = text.chars().count();
            if text.trim().is_empty() || n > MAX_TEXT {
                Err(AgentError::field(
                    field,
                    format!("needs 1-{MAX_TEXT} characters, got {n}"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Self::Reply { text } => text_ok("text", text),
            Self::Note { text } => text_ok("text", text),
            Self::Update {
                priority: None,
                category: None,
            } => Err(AgentError::invalid(
                "name a priority or a category (or both) to change",
            )),
            Self::Update {
                category: Some(c), ..
            } if c.trim().is_empty() || c.chars().count() > 40 => {
                Err(AgentError::field("category", "needs 1-40 characters"))
            }
            Self::Assign { agent: Some(a) } if a.trim().is_empty() => {
                Err(AgentError::field("agent", "is empty"))
            }
            _ => Ok(()),
        }
    }
}

/// `@id` mentions in a note, in order, without repeats.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric()) {
            continue; // an e-mail address, not a mention
        }
        let id: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let id = id.trim_end_matches('.').to_owned();
        if !id.is_empty() && !found.contains(&id) {
            found.push(id);
        }
    }
    found
}

/// A ticket change decided for an action, before it is stored.
struct Change {
    next: Ticket,
    outbox: OutboxBuilder,
    activity: Vec<Activity>,
    /// An agent whose capacity was taken for this change (given back if it is not stored).
    claimed: Option<String>,
    /// An agent whose capacity is given back once it is stored.
    release: Option<String>,
}

pub struct AgentDesk {
    store: Arc<dyn TicketStore>,
    clock: Arc<dyn Clock>,
    sla: Option<Arc<SlaConfig>>,
    outbox: OutboxRunner,
}

impl AgentDesk {
    pub fn new(
        store: Arc<dyn TicketStore>,
        whatsapp: Arc<dyn WhatsAppClient>,
        handoffs: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            outbox: OutboxRunner::new(store.clone(), whatsapp, handoffs, clock.clone()),
            store,
            clock,
            sla: None,
        }
    }

    pub fn with_sla(mut self, sla: Arc<SlaConfig>, timers: Arc<dyn Timers>) -> Self {
        self.sla = Some(sla);
        self.outbox.timers = Some(timers);
        self
    }

    /// Counts queued tickets it assigns and failed sends (CloudWatch EMF); whoever drives the
    /// desk flushes once per request or batch.
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.outbox.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &crate::platform::metrics::Metrics {
        &self.outbox.metrics
    }

    /// Assignment and @mention notices go here.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.outbox.notifier = Some(notifier);
        self
    }

    pub fn store(&self) -> &Arc<dyn TicketStore> {
        &self.store
    }

    pub fn whatsapp(&self) -> &Arc<dyn WhatsAppClient> {
        &self.outbox.whatsapp
    }

    pub fn sla(&self) -> Option<&SlaConfig> {
        self.sla.as_deref()
    }

    /// Does `action` as `agent` on the ticket; with `expected_version`, only if nobody changed the
    /// ticket since the agent read it (409 in the API).
    pub async fn act(
        &self,
        ticket_id: TicketId,
        agent: &str,
        action: &AgentAction,
        expected_version: Option<u64>,
    ) -> Result<Ticket, AgentError> {
        self.act_once(ticket_id, agent, action, expected_version, None)
            .await
    }

    /// Like [`act`](Self::act); a repeat with the same `idempotency_key` (a client retrying after
    /// a timeout or a failed send) finishes the first request instead of acting twice, and the
    /// key on another request is refused ([`AgentError::KeyReused`]).
    pub async fn act_once(
        &self,
        ticket_id: TicketId,
        agent: &str,
        action: &AgentAction,
        expected_version: Option<u64>,
        idempotency_key: Option<IdempotencyKey<'_>>,
    ) -> Result<Ticket, AgentError> {
        if agent.trim().is_empty() {
            return Err(AgentError::invalid("the agent is not named"));
        }
        action.validate()?;
        let key = match idempotency_key {
            Some(IdempotencyKey { key: k, request }) => {
                let valid = (8..=64).contains(&k.len())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid {
                    return Err(AgentError::field(
                        "Idempotency-Key",
                        "needs 8-64 characters of A-Z, a-z, 0-9, - and _",
                    ));
                }
                // The request's digest goes into every id the action stores (activity, outbox),
                // so a repeat tells the same request from another one under the same key.
                format!("api.{k}.{}", hex::encode(&request[..8]))
            }
            None => format!("agent.{}", ulid::Ulid::new()),
        };
        let key =
            Wamid::parse(&key).map_err(|e| AgentError::field("Idempotency-Key", e.to_string()))?;
        if let Some(client) = idempotency_key
            && let Some(ticket) = self.replay(ticket_id, &key, client.key).await?
        {
            return Ok(ticket);
        }
        for _ in 0..MAX_ATTEMPTS {
            let ticket = self
                .store
                .ticket(ticket_id)
                .await?
                .ok_or(AgentError::NotFound(ticket_id))?;
            if let Some(expected) = expected_version
                && expected != ticket.version
            {
                return Err(AgentError::Conflict {
                    ticket: ticket_id,
                    expected,
                    current: ticket.version,
                });
            }
            let mut change = self.decide(&ticket, agent, action, &key).await?;
            if let Some(previous) = &change.release {
                // The ticket left that agent: their slot comes back once the change is stored,
                // first of all its effects, exactly once however often the request is repeated.
                change.outbox.push_first(
                    OutboxKind::Release,
                    &CapacityRelease {
                        agent: previous.clone(),
                    },
                );
            }
            let entries = change.outbox.build();
            let write = BotTurnWrite {
                ticket: &change.next,
                message: None,
                outbox: &entries,
                activity: &change.activity,
                now: change.next.updated_at,
            };
            let outcome = match self.store.commit_bot_turn(&write).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    self.give_back(change.claimed.as_deref()).await;
                    return Err(e.into());
                }
            };
            match outcome {
                TurnOutcome::Committed => {
                    self.outbox.flush(&change.next, &key).await?;
                    info!(ticket_id = %ticket.id, action = action.name(), "agent action done");
                    if let Some(previous) = &change.release {
                        self.refill(previous, Some(ticket.id)).await;
                    }
                    return Ok(change.next);
                }
                TurnOutcome::Conflict | TurnOutcome::AlreadyHandled => {
                    self.give_back(change.claimed.as_deref()).await;
                    if expected_version.is_none() {
                        continue;
                    }
                    let current = self.store.ticket(ticket_id).await?.map_or(0, |t| t.version);
                    return Err(AgentError::Conflict {
                        ticket: ticket_id,
                        expected: expected_version.unwrap_or_default(),
                        current,
                    });
                }
            }
        }
        Err(StoreError::Contended(format!("ticket {ticket_id}")).into())
    }

    /// Gives `agent` queued tickets of their teams while their slots last (see
    /// [`assign::refill`]), never `except` (the ticket they just gave back). A failure is
    /// logged, not returned.
    pub async fn refill(&self, agent: &str, except: Option<TicketId>) -> Vec<TicketId> {
        assign::refill(self, agent, except).await
    }

    /// Assigns `agent` the next ticket waiting in the queues of their teams, if they have a
    /// free slot (see [`assign::pull_next`]).
    pub async fn pull_next(
        &self,
        agent: &str,
        except: Option<TicketId>,
    ) -> Result<Option<Ticket>, AgentError> {
        assign::pull_next(self, agent, except).await
    }

    /// Assigns the queued `ticket` (as read) to the best free agent of its team, if any (see
    /// [`assign::offer`]).
    pub async fn offer(&self, ticket: &Ticket) -> Result<Option<Ticket>, AgentError> {
        assign::offer(self, ticket).await
    }

    /// Gives `ticket` (as read), which an SLA escalation moved to a team its agent is not in,
    /// to the best free agent of that team (see [`assign::escalate`]); `key` names the
    /// escalation, so a redelivered timer finishes the first assignment.
    pub async fn escalate(&self, ticket: &Ticket, key: &str) -> Result<Option<Ticket>, AgentError> {
        assign::escalate(self, ticket, key).await
    }

    /// The ticket, if the request with `key` was stored before: what it left pending (sends, a
    /// slot to give back) is finished. The client's key on another request is refused.
    async fn replay(
        &self,
        ticket_id: TicketId,
        key: &Wamid,
        client_key: &str,
    ) -> Result<Option<Ticket>, AgentError> {
        let same = format!("{}-", key.as_str());
        let any = format!("api.{client_key}.");
        let activities = self.store.activities(ticket_id).await?;
        if !activities.iter().any(|a| a.id.starts_with(&same)) {
            if activities.iter().any(|a| a.id.starts_with(&any)) {
                return Err(AgentError::KeyReused(client_key.to_owned()));
            }
            return Ok(None);
        }
        let ticket = self
            .store
            .ticket(ticket_id)
            .await?
            .ok_or(AgentError::NotFound(ticket_id))?;
        let released = self
            .store
            .outbox(ticket_id, key)
            .await?
            .into_iter()
            .filter(|e| e.kind == OutboxKind::Release && !e.done)
            .find_map(|e| serde_json::from_str::<CapacityRelease>(&e.payload).ok());
        self.outbox.flush(&ticket, key).await?;
        info!(ticket_id = %ticket_id, "repeated agent request: finished the first one");
        if let Some(release) = released {
            // The slot came back only now: a queued ticket may take it.
            self.refill(&release.agent, Some(ticket_id)).await;
        }
        Ok(Some(ticket))
    }

    async fn give_back(&self, claimed: Option<&str>) {
        assign::give_back(self.store.as_ref(), claimed).await;
    }

    /// Takes a unit of `agent`'s capacity, or says why not.
    async fn claim(&self, agent: &str) -> Result<(), AgentError> {
        assign::claim(self.store.as_ref(), agent, self.clock.now())
            .await
            .map_err(|e| match e {
                ClaimError::UnknownAgent(_) => AgentError::field("agent", e.to_string()),
                ClaimError::Offline(_) | ClaimError::AtCapacity(_) => {
                    AgentError::Unavailable(e.to_string())
                }
                ClaimError::Store(e) => e.into(),
            })
    }

    async fn decide(
        &self,
        ticket: &Ticket,
        actor: &str,
        action: &AgentAction,
        key: &Wamid,
    ) -> Result<Change, AgentError> {
        let now = self.clock.now();
        let mut next = ticket.clone();
        next.version += 1;
        next.updated_at = now;
        let mut change = Change {
            next,
            outbox: OutboxBuilder::new(ticket.id, key.clone()),
            activity: Vec::new(),
            claimed: None,
            release: None,
        };
        // Ids from the request key: a repeated request is recognised by them.
        let serial = std::sync::atomic::AtomicU8::new(0);
        let log = |kind: ActivityKind, text: Option<String>, mentions: Vec<String>| Activity {
            ticket_id: ticket.id,
            id: format!(
                "{}-{}",
                key.as_str(),
                serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
            ),
            at: now,
            actor: actor.to_owned(),
            kind,
            text,
            mentions,
            sla: None,
        };
        let closed = matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed);
        let mut event = None;
        match action {
            AgentAction::Reply { .. } | AgentAction::SendTemplate { .. } => {
                if closed {
                    return Err(AgentError::invalid(
                        "the ticket is resolved; reopen it to write",
                    ));
                }
                let body = match action {
                    AgentAction::Reply { text } => {
                        if !service_window_open(ticket.last_inbound_at, now) {
                            return Err(AgentError::OutsideServiceWindow);
                        }
                        OutboundBody::Text { body: text.clone() }
                    }
                    AgentAction::SendTemplate { template } => {
                        let consent = self.store.consent(&ticket.key.wa_id).await?;
                        if !crate::domain::consent::Consent::allows_business_messages(
                            consent.as_ref(),
                        ) {
                            return Err(AgentError::NoConsent);
                        }
                        change.activity.push(log(
                            ActivityKind::TemplateSent,
                            Some(template.name.clone()),
                            Vec::new(),
                        ));
                        OutboundBody::Template(template.clone())
                    }
                    _ => unreachable!("matched above"),
                };
                if ticket.assignee.is_none() {
                    // Answering an unassigned ticket takes it.
                    self.claim(actor).await?;
                    change.claimed = Some(actor.to_owned());
                    change.next.assignee = Some(actor.to_owned());
                    change.activity.push(log(
                        ActivityKind::Assigned,
                        Some(actor.to_owned()),
                        Vec::new(),
                    ));
                }
                change.outbox.push(
                    OutboxKind::WhatsApp,
                    &crate::app::outbox::OutboundEntry {
                        body,
                        sent_by: Some(actor.to_owned()),
                    },
                );
                if matches!(action, AgentAction::Reply { .. }) {
                    change
                        .activity
                        .push(log(ActivityKind::Replied, None, Vec::new()));
                }
                if ticket.status != TicketStatus::PendingCustomer {
                    change.next.status = TicketStatus::Assigned;
                }
                if ticket.first_response_at.is_none() && ticket.status != TicketStatus::Bot {
                    change.next.first_response_at = Some(now);
                    change.outbox.stats(&change.next, Fact::FirstResponse, now);
                }
                event = Some(SlaEvent::AgentReplied);
            }
            AgentAction::Note { text } => {
                let roster = self.store.agents().await?;
                let named = mentions(text);
                if let Some(unknown) = named.iter().find(|m| !roster.iter().any(|a| &a.id == *m)) {
                    return Err(AgentError::field(
                        "text",
                        format!("@{unknown} is not an agent"),
                    ));
                }
                for agent in named.iter().filter(|m| m.as_str() != actor) {
                    change.outbox.push(
                        OutboxKind::Notify,
                        &notice(
                            &change.next,
                            "mentioned",
                            agent,
                            format!("{actor} mentioned you in a note on ticket {}.", ticket.id),
                        ),
                    );
                }
                change
                    .activity
                    .push(log(ActivityKind::Note, Some(text.clone()), named));
            }
            AgentAction::Assign { agent } => {
                if closed {
                    return Err(AgentError::invalid(
                        "the ticket is resolved; reopen it to assign",
                    ));
                }
                if *agent == ticket.assignee {
                    return Err(AgentError::field("agent", "the ticket is already there"));
                }
                if let Some(previous) = ticket.assignee.as_deref().filter(|p| *p != actor) {
                    // The ticket leaves a colleague by someone else's hand: they are told, and the
                    // log says whose it was.
                    let (kind, summary) = match agent {
                        Some(a) if actor == ESCALATION_ACTOR => (
                            "ticket_escalated_away",
                            format!(
                                "Ticket {} is overdue and was escalated to team {}: it was given to {a}; you can still read it.",
                                ticket.id,
                                ticket.team.as_deref().unwrap_or("-")
                            ),
                        ),
                        Some(a) if a == actor => ("ticket_taken_over", {
                            format!("{actor} took over ticket {} from you.", ticket.id)
                        }),
                        Some(a) => (
                            "ticket_taken_over",
                            format!("{actor} gave your ticket {} to {a}.", ticket.id),
                        ),
                        None => (
                            "ticket_taken_over",
                            format!(
                                "{actor} put your ticket {} back in the {} queue.",
                                ticket.id,
                                ticket.team.as_deref().unwrap_or("team")
                            ),
                        ),
                    };
                    change.outbox.push(
                        OutboxKind::Notify,
                        &notice(&change.next, kind, previous, summary),
                    );
                    change.activity.push(log(
                        ActivityKind::TakenOver,
                        Some(previous.to_owned()),
                        Vec::new(),
                    ));
                }
                if let Some(agent) = agent {
                    self.claim(agent).await?;
                    change.claimed = Some(agent.clone());
                    if agent != actor {
                        change.outbox.push(
                            OutboxKind::Notify,
                            &notice(
                                &change.next,
                                "ticket_assigned",
                                agent,
                                if actor == ESCALATION_ACTOR {
                                    escalated_to(ticket, ticket.assignee.as_deref())
                                } else if actor == PULL_ACTOR {
                                    format!(
                                        "Ticket {} waited in the {} queue and is yours now.",
                                        ticket.id,
                                        ticket.team.as_deref().unwrap_or("team")
                                    )
                                } else {
                                    format!("{actor} gave you ticket {}.", ticket.id)
                                },
                            ),
                        );
                    }
                    if ticket.status == TicketStatus::Queued || ticket.status == TicketStatus::Bot {
                        change.next.status = TicketStatus::Assigned;
                    }
                } else {
                    change.next.status = TicketStatus::Queued;
                }
                change.next.assignee = agent.clone();
                change.release = ticket.assignee.clone();
                if let (Some(previous), Some(_)) = (&ticket.assignee, agent)
                    && !change.next.watchers.contains(previous)
                {
                    // Moved to someone else: the previous agent may still read it.
                    change.next.watchers.push(previous.clone());
                }
                change.activity.push(match agent {
                    Some(a) => log(ActivityKind::Assigned, Some(a.clone()), Vec::new()),
                    None => log(ActivityKind::Unassigned, None, Vec::new()),
                });
            }
            AgentAction::Update { priority, category } => {
                if let Some(p) = priority {
                    change.next.priority = Some(*p);
                    change.activity.push(log(
                        ActivityKind::Priority,
                        Some(p.as_str().to_owned()),
                        Vec::new(),
                    ));
                    if let (Some(sla), Some(clocks)) = (&self.sla, change.next.sla.as_mut()) {
                        // Another priority may mean another policy: running deadlines move.
                        let facts = TicketFacts {
                            channel: "whatsapp",
                            priority: Some(*p),
                            category: change.next.category.as_deref(),
                            text: None,
                            tier: None,
                        };
                        clocks.set_policy(&sla.select(&facts).name.clone());
                    }
                }
                if let Some(c) = category {
                    change.next.category = Some(c.trim().to_owned());
                    change.activity.push(log(
                        ActivityKind::Category,
                        Some(c.trim().to_owned()),
                        Vec::new(),
                    ));
                }
            }
            AgentAction::SetPending => {
                if ticket.status != TicketStatus::Assigned {
                    return Err(AgentError::invalid(format!(
                        "only an assigned ticket can wait on the customer; this one is {}",
                        ticket.status.as_str()
                    )));
                }
                change.next.status = TicketStatus::PendingCustomer;
                change
                    .activity
                    .push(log(ActivityKind::Pending, None, Vec::new()));
                event = Some(SlaEvent::Paused);
            }
            AgentAction::Resolve => {
                if closed {
                    return Err(AgentError::invalid("the ticket is already resolved"));
                }
                change.next.status = TicketStatus::Resolved;
                change.next.resolved_at = Some(now);
                change.next.resolved_by_bot = false;
                change.release = ticket.assignee.clone();
                if change.next.assignee.is_none() {
                    change.next.assignee = Some(actor.to_owned());
                }
                change
                    .activity
                    .push(log(ActivityKind::Resolved, None, Vec::new()));
                let consent = self.store.consent(&ticket.key.wa_id).await?;
                let may_ask =
                    crate::domain::consent::Consent::allows_business_messages(consent.as_ref());
                if may_ask && service_window_open(ticket.last_inbound_at, now) {
                    let lang = ticket.bot.as_ref().and_then(|b| b.language);
                    change
                        .outbox
                        .push(OutboxKind::WhatsApp, &crate::domain::csat::survey(lang));
                    change.next.csat_asked_at = Some(now);
                    change.next.csat = None;
                }
                event = Some(SlaEvent::Resolved);
            }
            AgentAction::Reopen => {
                if !closed {
                    return Err(AgentError::invalid(format!(
                        "only a resolved ticket can be reopened; this one is {}",
                        ticket.status.as_str()
                    )));
                }
                self.claim(actor).await?;
                change.claimed = Some(actor.to_owned());
                change.next.status = TicketStatus::Assigned;
                change.next.assignee = Some(actor.to_owned());
                change.next.resolved_at = None;
                change.next.resolved_by_bot = false;
                change
                    .activity
                    .push(log(ActivityKind::Reopened, None, Vec::new()));
                if let Some(clocks) = change.next.sla.as_mut() {
                    clocks.apply(SlaEvent::Resumed, now);
                }
                event = Some(SlaEvent::Reopened);
            }
        }
        if let (Some(sla), Some(clocks)) = (&self.sla, change.next.sla.as_mut()) {
            if let Some(event) = event {
                clocks.apply(event, now);
            }
            match clocks.plan(ticket.id, sla) {
                Ok(plan) => change.outbox.timers(plan),
                Err(e) => {
                    warn!(ticket_id = %ticket.id, error = %e, "SLA deadlines could not be computed")
                }
            }
        }
        if matches!(action, AgentAction::Resolve) {
            // After the clocks, so the SLA outcome is in the count.
            change.outbox.stats(&change.next, Fact::Resolved, now);
        }
        Ok(change)
    }
}

/// Assignment (`agent_handoff::assign`) places tickets with the desk's assign action.
#[async_trait::async_trait]
impl Place for AgentDesk {
    type Error = AgentError;

    /// Assigns `ticket`, at the version read, to `agent` on behalf of `actor` (routing, an
    /// escalation), counted as `TicketsAssigned`; `key` makes a repeat finish the first.
    async fn place(
        &self,
        ticket: &Ticket,
        agent: &str,
        actor: &str,
        key: Option<&str>,
    ) -> Result<Ticket, PlaceError<AgentError>> {
        let assign = AgentAction::Assign {
            agent: Some(agent.to_owned()),
        };
        // The same escalation again is the same request, whichever agent it finds free: a
        // repeat finishes the first assignment.
        let key = key.map(|key| IdempotencyKey {
            key,
            request: {
                use sha2::Digest;
                sha2::Sha256::digest(format!("{actor}:{key}").as_bytes()).into()
            },
        });
        // Boxed: `act` may refill the slot an escalation freed and so come back here.
        let assigned =
            match Box::pin(self.act_once(ticket.id, actor, &assign, Some(ticket.version), key))
                .await
            {
                Ok(assigned) => assigned,
                Err(AgentError::Conflict { .. }) => return Err(PlaceError::Changed),
                Err(AgentError::Unavailable(_)) => return Err(PlaceError::NoRoom),
                Err(e) => return Err(PlaceError::Failed(e)),
            };
        self.outbox.metrics.add(Count::TicketsAssigned, 1);
        info!(ticket_id = %assigned.id, agent, actor, "ticket assigned");
        Ok(assigned)
    }

    fn tickets(&self) -> &dyn TicketStore {
        self.store.as_ref()
    }
}

/// What the agent who gets an escalated ticket reads.
fn escalated_to(ticket: &Ticket, previous: Option<&str>) -> String {
    let from = previous.map_or(String::new(), |p| format!(" from {p}"));
    format!(
        "Ticket {} is overdue and was escalated to team {}: it is yours now{from}.",
        ticket.id,
        ticket.team.as_deref().unwrap_or("-")
    )
}

/// A notice to one agent (assignment, mention).
fn notice(ticket: &Ticket, kind: &str, agent: &str, summary: String) -> Notification {
    Notification {
        audience: Audience::Assignee,
        kind: kind.to_owned(),
        ticket_id: ticket.id,
        target: None,
        level: 0,
        due_at: None,
        agent: Some(agent.to_owned()),
        team: ticket.team.clone(),
        priority: ticket.priority.map(|p| p.as_str().to_owned()),
        summary,
    }
}

#[cfg(test)]
mod tests;
