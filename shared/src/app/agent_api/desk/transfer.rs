//! A ticket given to an agent, taken over, or put back in the team queue.

use super::{AgentError, ESCALATION_ACTOR, PULL_ACTOR, notice};
use crate::app::ticket_change::Draft;
use crate::domain::ticket::Ticket;
use crate::ports::store::{ActivityKind, OutboxKind};

/// Whether the ticket can go to `agent` (or the queue); whose slot that takes.
pub(super) fn check_assign<'a>(
    ticket: &Ticket,
    agent: &'a Option<String>,
) -> Result<Option<&'a str>, AgentError> {
    if ticket.is_closed() {
        return Err(AgentError::invalid(
            "the ticket is resolved; reopen it to assign",
        ));
    }
    if *agent == ticket.assignee {
        return Err(AgentError::field("agent", "the ticket is already there"));
    }
    Ok(agent.as_deref())
}

/// The ticket to `agent` (their slot was claimed before) or back to the queue; the agent it
/// leaves, whose slot comes back.
pub(super) fn assign(
    ticket: &Ticket,
    actor: &str,
    agent: Option<&str>,
    draft: &mut Draft,
) -> Option<String> {
    if let Some(previous) = ticket.assignee.as_deref().filter(|p| *p != actor) {
        // The ticket leaves a colleague by someone else's hand: they are told, and the log
        // says whose it was.
        let (kind, summary) = taken_away(ticket, actor, agent);
        let notice = notice(&draft.next, kind, previous, summary);
        draft.outbox.push(OutboxKind::Notify, &notice);
        draft.log(
            ActivityKind::TakenOver,
            Some(previous.to_owned()),
            Vec::new(),
        );
    }
    if let Some(agent) = agent.filter(|a| *a != actor) {
        let summary = if actor == ESCALATION_ACTOR {
            escalated_to(ticket, ticket.assignee.as_deref())
        } else if actor == PULL_ACTOR {
            format!(
                "Ticket {} waited in the {} queue and is yours now.",
                ticket.id,
                ticket.team.as_deref().unwrap_or("team")
            )
        } else {
            format!("{actor} gave you ticket {}.", ticket.id)
        };
        let notice = notice(&draft.next, "ticket_assigned", agent, summary);
        draft.outbox.push(OutboxKind::Notify, &notice);
    }
    draft.next.assign(agent);
    match agent {
        Some(a) => draft.log(ActivityKind::Assigned, Some(a.to_owned()), Vec::new()),
        None => draft.log(ActivityKind::Unassigned, None, Vec::new()),
    }
    ticket.assignee.clone()
}

/// What the agent a ticket is taken from reads.
fn taken_away(ticket: &Ticket, actor: &str, agent: Option<&str>) -> (&'static str, String) {
    match agent {
        Some(a) if actor == ESCALATION_ACTOR => (
            "ticket_escalated_away",
            format!(
                "Ticket {} is overdue and was escalated to team {}: it was given to {a}; you can still read it.",
                ticket.id,
                ticket.team.as_deref().unwrap_or("-")
            ),
        ),
        Some(a) if a == actor => (
            "ticket_taken_over",
            format!("{actor} took over ticket {} from you.", ticket.id),
        ),
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
