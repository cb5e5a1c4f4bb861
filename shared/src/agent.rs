//! What an agent does to a ticket: reply to the customer, wait on the customer, resolve. Each
//! action is one conditional write of the ticket with its outbox (the WhatsApp message, SLA
//! timer changes), done afterwards. The agent API (HTTP, auth, listing) builds on these.

use std::sync::Arc;

use tracing::info;

use crate::bot::config::MAX_TEXT;
use crate::clock::Clock;
use crate::ids::{TicketId, Wamid};
use crate::outbox::{HandlerError, OutboxBuilder, OutboxRunner};
use crate::queue::Queue;
use crate::sla::{SlaConfig, SlaEvent};
use crate::store::{BotTurnWrite, OutboxKind, StoreError, TicketStore, TurnOutcome};
use crate::ticket::{Ticket, TicketStatus};
use crate::timers::Timers;
use crate::whatsapp::{OutboundBody, WhatsAppClient, service_window_open};

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
    #[error("{0}")]
    Invalid(String),
    #[error("the customer's last message is more than 24 hours old: only a template may be sent")]
    OutsideServiceWindow,
    #[error(transparent)]
    Failed(#[from] HandlerError),
}

impl From<StoreError> for AgentError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// An agent's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAction {
    Reply {
        text: String,
    },
    /// Waiting on the customer: SLA clocks pause.
    SetPending,
    Resolve,
}

impl AgentAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::SetPending => "set_pending",
            Self::Resolve => "resolve",
        }
    }
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

    /// Does `action` as `agent` on the ticket; with `expected_version`, only if nobody changed the
    /// ticket since the agent read it (409 in the API).
    pub async fn act(
        &self,
        ticket_id: TicketId,
        agent: &str,
        action: &AgentAction,
        expected_version: Option<u64>,
    ) -> Result<Ticket, AgentError> {
        if agent.trim().is_empty() {
            return Err(AgentError::Invalid("the agent is not named".into()));
        }
        if let AgentAction::Reply { text } = action {
            let n = text.chars().count();
            if text.trim().is_empty() || n > MAX_TEXT {
                return Err(AgentError::Invalid(format!(
                    "a reply needs 1-{MAX_TEXT} characters, got {n}"
                )));
            }
        }
        let key = Wamid::parse(&format!("agent.{}", ulid::Ulid::new()))
            .map_err(|e| AgentError::Invalid(e.to_string()))?;
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
            let now = self.clock.now();
            let mut next = ticket.clone();
            next.version += 1;
            next.updated_at = now;
            next.assignee = Some(agent.to_owned());
            let mut outbox = OutboxBuilder::new(ticket.id, key.clone());
            let event = match action {
                AgentAction::Reply { text } => {
                    if matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed) {
                        return Err(AgentError::Invalid(
                            "the ticket is resolved; reopen it to reply".into(),
                        ));
                    }
                    if !service_window_open(ticket.last_inbound_at, now) {
                        return Err(AgentError::OutsideServiceWindow);
                    }
                    outbox.push(
                        OutboxKind::WhatsApp,
                        &OutboundBody::Text { body: text.clone() },
                    );
                    next.status = TicketStatus::Assigned;
                    SlaEvent::AgentReplied
                }
                AgentAction::SetPending => {
                    next.status = TicketStatus::PendingCustomer;
                    SlaEvent::Paused
                }
                AgentAction::Resolve => {
                    next.status = TicketStatus::Resolved;
                    next.resolved_at = Some(now);
                    SlaEvent::Resolved
                }
            };
            if let (Some(sla), Some(clocks)) = (&self.sla, next.sla.as_mut()) {
                clocks.apply(event, now);
                if let Ok(plan) = clocks.plan(ticket.id, sla) {
                    outbox.timers(plan);
                }
            }
            let entries = outbox.build();
            let write = BotTurnWrite {
                ticket: &next,
                message: None,
                outbox: &entries,
                now,
            };
            match self.store.commit_bot_turn(&write).await? {
                TurnOutcome::Committed => {
                    if matches!(action, AgentAction::Resolve)
                        && let Some(agent) = &ticket.assignee
                    {
                        // The ticket leaves the agent: a slot frees up for routing.
                        self.store.release_agent(agent).await?;
                    }
                    self.outbox.flush(&next, &key).await?;
                    info!(ticket_id = %ticket.id, action = action.name(), "agent action done");
                    return Ok(next);
                }
                TurnOutcome::Conflict | TurnOutcome::AlreadyHandled
                    if expected_version.is_none() =>
                {
                    continue;
                }
                TurnOutcome::Conflict | TurnOutcome::AlreadyHandled => {
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
}

#[cfg(test)]
mod tests;
