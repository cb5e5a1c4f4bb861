//! One ticket change, the way every handler makes it: read the ticket, gather what the decision
//! needs (reads, a capacity claim), decide without I/O on a draft one version up, replan the SLA
//! clocks, store ticket + activity + outbox (+ the customer message marked handled) in one
//! conditional write, read again and decide again if the ticket changed meanwhile (bounded), and
//! then do the outbox. A change is named by a [`ChangeKey`]: its outbox and activity ids come
//! from it, so a repeat finds the first change stored and only finishes what is pending.
//!
//! To add a ticket action: a [`TicketChange`] whose `gather` does the reads it needs and whose
//! `decide` says what becomes of the ticket (with the transitions on
//! [`Ticket`](crate::domain::ticket::Ticket)); run it with [`TicketChanger::change`].

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use tracing::{error, warn};

use crate::app::analytics::Fact;
use crate::app::outbox::{HandlerError, OutboxBuilder, OutboxRunner};
use crate::domain::ids::{IdError, TicketId, Wamid};
use crate::domain::sla::{SlaClocks, SlaConfig, SlaEvent, TicketFacts};
use crate::domain::ticket::Ticket;
use crate::platform::live_config::ConfigSource;
use crate::ports::store::{
    Activity, ActivityKind, MessageRecord, OutboxKind, StoreError, TicketChangeWrite, TicketStore,
    TurnOutcome,
};

/// Reads and writes tried before a change gives up on a contended ticket.
pub const MAX_ATTEMPTS: usize = 5;

/// What makes a ticket change happen once: the customer message a bot turn answers, a fired
/// SLA timer, a routed handoff, an agent's request. Outbox entries and activity ids are named by
/// it, so the same key again is recognised as a repeat.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChangeKey(Wamid);

impl ChangeKey {
    /// The key of the change that answers a customer message.
    pub fn message(wamid: &Wamid) -> Self {
        Self(wamid.clone())
    }

    /// A key of the change's own (`sla.<timer>`, `route.<wamid>`, `api.<key>.<digest>`):
    /// non-empty, printable ASCII, at most 128 characters (it becomes part of store keys).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        Wamid::parse(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The key as the store's outbox names it (the column is the answered message's wamid).
    pub fn outbox_key(&self) -> &Wamid {
        &self.0
    }

    /// The id of the `n`th activity entry of this change (1-based).
    pub fn activity_id(&self, n: usize) -> String {
        format!("{}-{n}", self.as_str())
    }
}

/// Keys can carry a wamid (which carries a phone number): shown as a digest.
impl fmt::Debug for ChangeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeKey({})", self.0.log_ref())
    }
}

/// The SLA part of a change: events to apply to the ticket's clocks before they are planned
/// again (the timers to arm and disarm go into the outbox).
#[derive(Debug, Clone, Default)]
pub struct SlaUpdate {
    /// Each event at its time.
    pub events: Vec<(SlaEvent, Timestamp)>,
    /// Start clocks on a ticket that has none (and choose the policy again at a handoff),
    /// choosing the policy from the ticket and this text (the customer's message).
    pub start: Option<Option<String>>,
}

/// A change being decided: the ticket one version up, the outbox and the activity entries.
pub struct Draft {
    pub next: Ticket,
    pub outbox: OutboxBuilder,
    pub activity: Vec<Activity>,
    pub now: Timestamp,
    /// `None`: the SLA clocks are left as they are and no timer changes.
    pub sla: Option<SlaUpdate>,
    /// The customer message this change answers (stored handled with it).
    pub message: Option<MessageRecord>,
    /// A fact counted after the SLA clocks are planned, so their outcome is in the count.
    pub stats_after_sla: Option<Fact>,
    key: ChangeKey,
    actor: String,
}

impl Draft {
    fn new(ticket: &Ticket, key: &ChangeKey, actor: &str, now: Timestamp) -> Self {
        let mut next = ticket.clone();
        next.version += 1;
        next.updated_at = now;
        Self {
            next,
            outbox: OutboxBuilder::new(ticket.id, key.outbox_key().clone()),
            activity: Vec::new(),
            now,
            sla: None,
            message: None,
            stats_after_sla: None,
            key: key.clone(),
            actor: actor.to_owned(),
        }
    }

    pub fn key(&self) -> &ChangeKey {
        &self.key
    }

    /// Adds an activity entry by the change's actor; its id comes from the key, so a repeat
    /// cannot add it twice.
    pub fn log(&mut self, kind: ActivityKind, text: Option<String>, mentions: Vec<String>) {
        let entry = Activity {
            ticket_id: self.next.id,
            id: self.key.activity_id(self.activity.len() + 1),
            at: self.now,
            actor: self.actor.clone(),
            kind,
            text,
            mentions,
            ticket_version: self.next.version,
            sla: None,
        };
        self.activity.push(entry);
    }

    /// Applies `event` at `at` when the clocks are planned again.
    pub fn sla_event(&mut self, event: SlaEvent, at: Timestamp) {
        self.sla
            .get_or_insert_with(SlaUpdate::default)
            .events
            .push((event, at));
    }
}

/// What a decision says to do.
#[derive(Debug)]
pub enum Decision<T> {
    /// Store the draft, then do its outbox.
    Write(T),
    /// Nothing to store (done before, or nothing to do); `flush`: finish what the change with
    /// this key left pending.
    Keep { outcome: T, flush: bool },
}

/// What a gather step took that must be given back if the change is not stored.
#[derive(Debug, Default)]
pub struct Gathered<I> {
    pub input: I,
    /// An agent whose capacity was claimed for this change.
    pub claimed: Option<String>,
}

impl<I> From<I> for Gathered<I> {
    fn from(input: I) -> Self {
        Self {
            input,
            claimed: None,
        }
    }
}

/// One kind of ticket change.
#[allow(async_fn_in_trait)]
pub trait TicketChange {
    /// What `decide` needs beyond the ticket (read before it, as I/O).
    type Input;
    type Outcome;
    type Error: From<StoreError> + From<HandlerError>;

    /// The error when the ticket does not exist.
    fn missing(&self, id: TicketId) -> Self::Error;

    /// Who the activity log names.
    fn actor(&self) -> &str;

    /// The reads (and a capacity claim) the decision needs, for the ticket as read now.
    async fn gather(&self, ticket: &Ticket) -> Result<Gathered<Self::Input>, Self::Error>;

    /// What becomes of the ticket: changes `draft` (no I/O).
    fn decide(
        &self,
        ticket: &Ticket,
        input: Self::Input,
        draft: &mut Draft,
    ) -> Result<Decision<Self::Outcome>, Self::Error>;
}

/// What a change did.
#[derive(Debug)]
pub struct Changed<T> {
    /// The ticket as stored (after the change, or as found).
    pub ticket: Ticket,
    pub outcome: T,
    /// Whether this call stored the change (not a repeat, not a no-op).
    pub written: bool,
    /// Messages sent by the outbox now.
    pub sent: usize,
}

/// Makes ticket changes: the one read → decide → commit → outbox path.
pub struct TicketChanger {
    pub(crate) store: Arc<dyn TicketStore>,
    pub(crate) outbox: OutboxRunner,
    /// The SLA policies, read once per change (the published document when live): a replan
    /// uses the policy current at that change; deadlines armed earlier stay until replanned.
    pub(crate) sla: Option<ConfigSource<SlaConfig>>,
}

impl TicketChanger {
    pub fn new(store: Arc<dyn TicketStore>, outbox: OutboxRunner) -> Self {
        Self {
            store,
            outbox,
            sla: None,
        }
    }

    /// The change `change` on ticket `id`, named `key`: stored once (read again and decided
    /// again when the ticket changed meanwhile, at most [`MAX_ATTEMPTS`] times), then its
    /// outbox done.
    pub async fn change<C: TicketChange>(
        &self,
        id: TicketId,
        key: &ChangeKey,
        change: &C,
    ) -> Result<Changed<C::Outcome>, C::Error> {
        // Read before deciding, so a decision that looks at the policies (`cached`) sees this one.
        let sla = match &self.sla {
            Some(source) => Some(source.current_versioned().await),
            None => None,
        };
        for _ in 0..MAX_ATTEMPTS {
            let ticket = self
                .store
                .ticket(id)
                .await?
                .ok_or_else(|| change.missing(id))?;
            // The version the ticket's policy was chosen from (read once per process).
            let policies = match (&self.sla, &sla) {
                (Some(source), Some((current, version))) => Some(SlaPolicies {
                    pinned: pinned_sla(source, current, ticket.sla.as_ref()).await,
                    current: current.clone(),
                    version: *version,
                }),
                _ => None,
            };
            let Gathered { input, claimed } = change.gather(&ticket).await?;
            let now = self.outbox.clock.now();
            let mut draft = Draft::new(&ticket, key, change.actor(), now);
            let decided = match change.decide(&ticket, input, &mut draft) {
                Ok(decided) => decided,
                Err(e) => {
                    self.give_back(claimed.as_deref()).await;
                    return Err(e);
                }
            };
            let outcome = match decided {
                Decision::Keep { outcome, flush } => {
                    self.give_back(claimed.as_deref()).await;
                    let sent = if flush {
                        self.outbox.flush(&ticket, key.outbox_key()).await?
                    } else {
                        0
                    };
                    return Ok(Changed {
                        ticket,
                        outcome,
                        written: false,
                        sent,
                    });
                }
                Decision::Write(outcome) => outcome,
            };
            self.replan(policies.as_ref(), &mut draft);
            if let Some(fact) = draft.stats_after_sla.take() {
                draft.outbox.stats(&draft.next, fact, now);
            }
            if self.outbox.events.is_some() {
                // Last, so what a subscriber hears of has been done (messages sent, timers set).
                let events = crate::app::ticket_events::derive(
                    &ticket,
                    &draft.next,
                    draft.outbox.facts(),
                    &draft.activity,
                    &draft.actor,
                    now,
                );
                for event in &events {
                    draft.outbox.push(OutboxKind::Event, event);
                }
            }
            let entries = std::mem::replace(
                &mut draft.outbox,
                OutboxBuilder::new(id, key.outbox_key().clone()),
            )
            .build();
            let write = TicketChangeWrite {
                ticket: &draft.next,
                message: draft.message.as_ref(),
                outbox: &entries,
                activity: &draft.activity,
                tags_before: &ticket.tags,
                now,
            };
            match self.store.commit_bot_turn(&write).await {
                Ok(TurnOutcome::Committed) => {
                    let sent = self.outbox.flush(&draft.next, key.outbox_key()).await?;
                    return Ok(Changed {
                        ticket: draft.next,
                        outcome,
                        written: true,
                        sent,
                    });
                }
                // Changed meanwhile, or the message handled by another delivery: read again;
                // the decision sees what is stored now.
                Ok(TurnOutcome::Conflict | TurnOutcome::AlreadyHandled) => {
                    self.give_back(claimed.as_deref()).await;
                }
                Err(e) => {
                    self.give_back(claimed.as_deref()).await;
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Contended(format!("ticket {id}")).into())
    }

    /// Flushes what the change `key` left pending on `ticket`.
    pub async fn finish(&self, ticket: &Ticket, key: &ChangeKey) -> Result<usize, HandlerError> {
        self.outbox.flush(ticket, key.outbox_key()).await
    }

    async fn give_back(&self, claimed: Option<&str>) {
        if let Some(agent) = claimed
            && let Err(e) = self.store.release_agent(agent).await
        {
            // The load stays one too high until the agent's presence is reset.
            warn!(agent, error = %e, "could not give back a claimed slot");
        }
    }

    /// Applies the draft's SLA events to the ticket's clocks (starting them, choosing the
    /// policy, when asked) and adds the timer changes to its outbox. A policy chosen here is
    /// chosen from the published document (and pinned to its version); otherwise the clocks are
    /// planned with the version their policy was chosen from. A policy the published document
    /// no longer has (renamed or dropped) and no earlier version can give is chosen again from
    /// the published one, so no open ticket is left without timers.
    fn replan(&self, policies: Option<&SlaPolicies>, draft: &mut Draft) {
        let (Some(policies), Some(update)) = (policies, draft.sla.take()) else {
            return;
        };
        let current = policies.current.as_ref();
        let next = &mut draft.next;
        let facts = |next: &Ticket, text: Option<&str>| {
            current
                .select(&TicketFacts {
                    channel: "whatsapp",
                    priority: next.priority,
                    category: next.handoff_reason.map(|r| r.as_str()),
                    text,
                    tier: None,
                })
                .name
                .clone()
        };
        let policy = update
            .start
            .as_ref()
            .map(|text| facts(next, text.as_deref()));
        if let Some(policy) = &policy {
            next.sla
                .get_or_insert_with(|| SlaClocks::new(policy).chosen_from(policies.version));
        }
        let pinned_version = next.sla.as_ref().and_then(|c| c.policy_version);
        let reselect = next.sla.as_ref().is_some_and(|c| {
            !policies.pinned.has_policy(&c.policy) && !current.has_policy(&c.policy)
        });
        let again = reselect.then(|| facts(next, None));
        let Some(clocks) = next.sla.as_mut() else {
            return;
        };
        if let Some(again) = again {
            warn!(ticket_id = %next.id, was = %clocks.policy, policy = %again, "the ticket's SLA policy is no longer published; chosen again");
            clocks.set_policy(&again, policies.version);
        }
        for (event, at) in &update.events {
            if let (SlaEvent::HandedOff, Some(policy)) = (event, &policy) {
                clocks.set_policy(policy, policies.version);
            }
            clocks.apply(*event, *at);
        }
        let config = if clocks.policy_version == pinned_version
            && policies.pinned.has_policy(&clocks.policy)
        {
            policies.pinned.as_ref()
        } else {
            current
        };
        match clocks.plan(next.id, config) {
            Ok(plan) => draft.outbox.timers(plan),
            Err(e) => {
                error!(ticket_id = %next.id, error = %e, "SLA deadlines could not be computed; no timers armed")
            }
        }
    }
}

/// The SLA policies one change plans with.
struct SlaPolicies {
    /// Published now (new tickets, a policy chosen again).
    current: Arc<SlaConfig>,
    /// Its version (`None`: the start-up file).
    version: Option<u32>,
    /// The version the ticket's policy was chosen from (the current one when that is not
    /// available or no longer has the policy).
    pinned: Arc<SlaConfig>,
}

/// [`pinned_sla`] without I/O: the version `clocks`' policy was chosen from if it is at hand
/// (read by an earlier `pinned_sla`), else the current one as of the last check.
pub(crate) fn pinned_sla_cached(
    source: &ConfigSource<SlaConfig>,
    clocks: Option<&SlaClocks>,
) -> Arc<SlaConfig> {
    clocks
        .and_then(|c| {
            c.policy_version
                .and_then(|v| source.kept_version(v))
                .filter(|s| s.has_policy(&c.policy))
        })
        .unwrap_or_else(|| source.cached())
}

/// The SLA policies `clocks` are planned with: the published version their policy was chosen
/// from, when it can be read and has the policy; else `current`.
pub(crate) async fn pinned_sla(
    source: &ConfigSource<SlaConfig>,
    current: &Arc<SlaConfig>,
    clocks: Option<&SlaClocks>,
) -> Arc<SlaConfig> {
    let Some((policy, version)) = clocks.and_then(|c| Some((&c.policy, c.policy_version?))) else {
        return current.clone();
    };
    match source.at_version(version).await {
        Some(pinned) if pinned.has_policy(policy) => pinned,
        _ => current.clone(),
    }
}

#[cfg(test)]
mod tests;
