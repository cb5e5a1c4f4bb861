//! One assignment path: who may take a ticket ([`candidates`]), taking a unit of their capacity
//! ([`claim`], [`claim_best`]) and giving it back ([`release`], [`give_back`]), and the ways a
//! waiting ticket finds an agent: handoff routing ([`Router::route`](super::Router::route)
//! claims the best candidate), [`offer`] (a ticket that came to a team queue otherwise),
//! [`escalate`] (an SLA escalation moving a ticket to a senior team), [`pull_next`] and
//! [`refill`] (an agent's slot frees up and takes the queue's next ticket). The ticket change
//! that puts a ticket with an agent is the agent desk's assign action, reached through
//! [`Place`] so this module does not depend on the agent API.

use async_trait::async_trait;
use jiff::Timestamp;
use tracing::warn;

use crate::domain::agent::Agent;
use crate::domain::bot::{Lang, Priority};
use crate::domain::ids::TicketId;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::ports::store::{StoreError, TicketIndex, TicketStore};

/// Who the activity log says assigned a ticket from the queue (handoff routing, a freed slot).
pub const PULL_ACTOR: &str = "routing";
/// Who the activity log says moved a ticket at an SLA escalation level.
pub const ESCALATION_ACTOR: &str = "sla";
/// Tickets (or agents) tried before giving up on one placement.
const MAX_ATTEMPTS: usize = 5;
/// Queued tickets read per team when a slot frees up (oldest first).
const PULL_PAGE: u32 = 25;
/// At most this many tickets go to one agent per freed-slot event.
const PULL_LIMIT: usize = 10;

/// The agents who may take a ticket of `team` in `language`, best first: online, in the team,
/// speaking the language (when known), with free capacity; least loaded, then whoever got a
/// ticket longest ago.
pub fn candidates<'a>(agents: &'a [Agent], team: &str, language: Option<Lang>) -> Vec<&'a Agent> {
    let mut fit: Vec<&Agent> = agents
        .iter()
        .filter(|a| a.has_room() && a.speaks(language) && a.teams.iter().any(|t| t == team))
        .collect();
    fit.sort_by(|a, b| {
        (a.load, a.last_assigned_at, &a.id).cmp(&(b.load, b.last_assigned_at, &b.id))
    });
    fit
}

/// Why a named agent's capacity could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("no agent '{0}'")]
    UnknownAgent(String),
    #[error("agent {0} is offline")]
    Offline(String),
    #[error("agent {0} is at capacity")]
    AtCapacity(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes a unit of `agent`'s capacity (a conditional write: online with a free slot), or says
/// why not.
pub async fn claim(store: &dyn TicketStore, agent: &str, now: Timestamp) -> Result<(), ClaimError> {
    let known = store.agents().await?;
    let Some(profile) = known.iter().find(|a| a.id == agent) else {
        return Err(ClaimError::UnknownAgent(agent.to_owned()));
    };
    if store.claim_agent(agent, now).await? {
        Ok(())
    } else if profile.online {
        Err(ClaimError::AtCapacity(profile.id.clone()))
    } else {
        Err(ClaimError::Offline(profile.id.clone()))
    }
}

/// Takes a unit of capacity of the best of [`candidates`] whose slot is still free when claimed;
/// `None` if nobody's is.
pub async fn claim_best(
    store: &dyn TicketStore,
    agents: &[Agent],
    team: &str,
    language: Option<Lang>,
    now: Timestamp,
) -> Result<Option<String>, StoreError> {
    for agent in candidates(agents, team, language) {
        if store.claim_agent(&agent.id, now).await? {
            return Ok(Some(agent.id.clone()));
        }
    }
    Ok(None)
}

/// Gives back a unit of `agent`'s capacity taken by [`claim`] for a change that was not stored.
pub async fn release(store: &dyn TicketStore, agent: &str) -> Result<(), StoreError> {
    store.release_agent(agent).await
}

/// [`release`] where a failure cannot be returned (the request already failed): it is logged.
pub async fn give_back(store: &dyn TicketStore, claimed: Option<&str>) {
    if let Some(agent) = claimed
        && let Err(e) = release(store, agent).await
    {
        // The load stays one too high until the agent's presence is reset.
        warn!(agent, error = %e, "could not give back a claimed slot");
    }
}

/// Why a ticket could not be placed with an agent.
#[derive(Debug)]
pub enum PlaceError<E> {
    /// The ticket changed since it was read (taken, answered, moved).
    Changed,
    /// The agent's slot went meanwhile (another assignment, they went offline).
    NoRoom,
    Failed(E),
}

/// The ticket change that gives a ticket, at the version read, to an agent on behalf of `actor`
/// ([`PULL_ACTOR`], [`ESCALATION_ACTOR`]) and takes a unit of their capacity; `key` makes a
/// repeat finish the first. The agent desk's assign action implements it.
#[async_trait]
pub trait Place: Send + Sync {
    type Error: From<StoreError> + Send;

    async fn place(
        &self,
        ticket: &Ticket,
        agent: &str,
        actor: &str,
        key: Option<&str>,
    ) -> Result<Ticket, PlaceError<Self::Error>>;

    /// The store the agents and queues are read from.
    fn tickets(&self) -> &dyn TicketStore;
}

/// Assigns `ticket` (as read: the assignment is conditional on its version), if it waits in a
/// team queue, to the best of [`candidates`] of its team, as handoff routing would; `None` if
/// nobody is free (it stays queued for the next freed slot) or it is not waiting. For tickets
/// that come to a team other than by a handoff (an SLA escalation moving it).
pub async fn offer<P: Place + ?Sized>(
    desk: &P,
    ticket: &Ticket,
) -> Result<Option<Ticket>, P::Error> {
    if ticket.status != TicketStatus::Queued || ticket.assignee.is_some() {
        return Ok(None);
    }
    let Some(team) = ticket.team.as_deref() else {
        return Ok(None);
    };
    let agents = desk.tickets().agents().await?;
    let language = ticket.bot.as_ref().and_then(|b| b.language);
    for agent in candidates(&agents, team, language) {
        match desk.place(ticket, &agent.id, PULL_ACTOR, None).await {
            Ok(assigned) => return Ok(Some(assigned)),
            // That agent's last slot went meanwhile: the next one.
            Err(PlaceError::NoRoom) => continue,
            // Changed since it was read (taken, answered): no longer ours to place.
            Err(PlaceError::Changed) => return Ok(None),
            Err(PlaceError::Failed(e)) => return Err(e),
        }
    }
    Ok(None)
}

/// Gives `ticket` (as read: conditional on its version), which an SLA escalation moved to its
/// current team while an agent outside that team works on it, to the best of [`candidates`] of
/// the team. The previous agent's slot is given back, they are told and keep reading the ticket
/// (the assign action does that). `None` if it is not such a ticket, nobody is free, or it
/// changed since it was read. `key` names the escalation (its timer): a redelivered timer
/// finishes the first assignment instead of making a second.
pub async fn escalate<P: Place + ?Sized>(
    desk: &P,
    ticket: &Ticket,
    key: &str,
) -> Result<Option<Ticket>, P::Error> {
    let (Some(team), Some(current)) = (ticket.team.as_deref(), ticket.assignee.as_deref()) else {
        return Ok(None);
    };
    if !matches!(
        ticket.status,
        TicketStatus::Assigned | TicketStatus::PendingCustomer
    ) {
        return Ok(None);
    }
    let agents = desk.tickets().agents().await?;
    let in_team = |id: &str| {
        agents
            .iter()
            .any(|a| a.id == id && a.teams.iter().any(|t| t == team))
    };
    if in_team(current) {
        // Already with someone of that team: nothing moves.
        return Ok(None);
    }
    let language = ticket.bot.as_ref().and_then(|b| b.language);
    for agent in candidates(&agents, team, language) {
        match desk
            .place(ticket, &agent.id, ESCALATION_ACTOR, Some(key))
            .await
        {
            Ok(assigned) => return Ok(Some(assigned)),
            Err(PlaceError::NoRoom) => continue,
            Err(PlaceError::Changed) => return Ok(None),
            Err(PlaceError::Failed(e)) => return Err(e),
        }
    }
    Ok(None)
}

/// The tickets waiting in the queues of `agent`'s teams that they may take, best first: the
/// most urgent, then the longest waiting, in a language they speak (or an unknown one); never
/// `except`.
async fn waiting_for(
    store: &dyn TicketStore,
    agent: &Agent,
    except: Option<TicketId>,
) -> Result<Vec<Ticket>, StoreError> {
    let mut waiting = Vec::new();
    for team in &agent.teams {
        let index = TicketIndex::Queue {
            status: TicketStatus::Queued,
            team: Some(team.clone()),
        };
        waiting.extend(store.list_tickets(&index, PULL_PAGE, None).await?.tickets);
    }
    waiting.retain(|t| {
        Some(t.id) != except
            && t.assignee.is_none()
            && agent.speaks(t.bot.as_ref().and_then(|b| b.language))
    });
    waiting.sort_by_key(|t| {
        (
            std::cmp::Reverse(t.priority.unwrap_or(Priority::Normal)),
            t.handed_off_at.unwrap_or(t.created_at),
            t.id,
        )
    });
    Ok(waiting)
}

/// Assigns `agent` the next ticket waiting in the queues of their teams (see [`waiting_for`]),
/// if they are online with a free slot. Handoff routing does the same when the bot hands over;
/// this covers tickets that found nobody free then.
pub async fn pull_next<P: Place + ?Sized>(
    desk: &P,
    agent: &str,
    except: Option<TicketId>,
) -> Result<Option<Ticket>, P::Error> {
    let agents = desk.tickets().agents().await?;
    let Some(profile) = agents.iter().find(|a| a.id == agent) else {
        return Ok(None);
    };
    if !profile.has_room() {
        return Ok(None);
    }
    let waiting = waiting_for(desk.tickets(), profile, except).await?;
    for ticket in waiting.iter().take(MAX_ATTEMPTS) {
        match desk.place(ticket, agent, PULL_ACTOR, None).await {
            Ok(assigned) => return Ok(Some(assigned)),
            // Taken or changed since the listing: the next one.
            Err(PlaceError::Changed) => continue,
            // The slot went meanwhile (another assignment, the agent went offline).
            Err(PlaceError::NoRoom) => return Ok(None),
            Err(PlaceError::Failed(e)) => return Err(e),
        }
    }
    Ok(None)
}

/// Gives `agent` queued tickets of their teams while they have free slots and tickets wait
/// (see [`pull_next`]), never `except` (the ticket they just gave back). Called when a slot
/// frees up; a failure is logged, not returned: what stays queued is still in the team queue
/// for anyone to take.
pub async fn refill<P: Place + ?Sized>(
    desk: &P,
    agent: &str,
    except: Option<TicketId>,
) -> Vec<TicketId>
where
    P::Error: std::fmt::Display,
{
    let mut taken = Vec::new();
    for _ in 0..PULL_LIMIT {
        match pull_next(desk, agent, except).await {
            Ok(Some(ticket)) => taken.push(ticket.id),
            Ok(None) => break,
            Err(e) => {
                warn!(agent, error = %e, "could not give a freed slot a queued ticket");
                break;
            }
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::MemoryStore;

    fn agent(id: &str, capacity: u32, load: u32, online: bool) -> Agent {
        Agent {
            id: id.into(),
            name: id.into(),
            teams: vec!["support".into()],
            languages: vec![Lang::De],
            capacity,
            load,
            online,
            last_assigned_at: None,
            deactivated_at: None,
        }
    }

    #[tokio::test]
    async fn a_claim_takes_a_free_slot_and_otherwise_says_why_not() {
        // GIVEN one agent with room, one at capacity and one offline
        let store = MemoryStore::new();
        for a in [
            agent("lea", 2, 1, true),
            agent("max", 1, 1, true),
            agent("off", 3, 0, false),
        ] {
            store.add_agent(&a).await.unwrap();
        }
        let now = Timestamp::UNIX_EPOCH;
        // WHEN each is claimed THEN only the one with room gives a slot
        claim(&store, "lea", now).await.unwrap();
        let load = |id: &'static str| {
            let store = &store;
            async move {
                let agents = store.agents().await.unwrap();
                agents.iter().find(|a| a.id == id).unwrap().load
            }
        };
        assert_eq!(load("lea").await, 2);
        assert!(
            matches!(claim(&store, "lea", now).await, Err(ClaimError::AtCapacity(a)) if a == "lea")
        );
        assert!(
            matches!(claim(&store, "max", now).await, Err(ClaimError::AtCapacity(a)) if a == "max")
        );
        assert!(
            matches!(claim(&store, "off", now).await, Err(ClaimError::Offline(a)) if a == "off")
        );
        assert!(
            matches!(claim(&store, "nobody", now).await, Err(ClaimError::UnknownAgent(a)) if a == "nobody")
        );
        // AND a released slot can be claimed again
        release(&store, "lea").await.unwrap();
        assert_eq!(load("lea").await, 1);
        claim(&store, "lea", now).await.unwrap();
    }

    #[tokio::test]
    async fn the_best_candidate_with_room_is_claimed_and_nobody_when_none_has_room() {
        let store = MemoryStore::new();
        for a in [agent("busy", 3, 2, true), agent("idle", 3, 0, true)] {
            store.add_agent(&a).await.unwrap();
        }
        let agents = store.agents().await.unwrap();
        let now = Timestamp::UNIX_EPOCH;
        assert_eq!(
            claim_best(&store, &agents, "support", Some(Lang::De), now)
                .await
                .unwrap()
                .as_deref(),
            Some("idle")
        );
        assert_eq!(
            claim_best(&store, &agents, "support", Some(Lang::En), now)
                .await
                .unwrap(),
            None,
            "nobody speaks English"
        );
        assert_eq!(
            claim_best(&store, &agents, "billing", None, now)
                .await
                .unwrap(),
            None,
            "nobody is in billing"
        );
    }
}
