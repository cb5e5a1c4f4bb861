//! What an agent does to a ticket: reply to the customer, wait on the customer, resolve. Each
//! action is one conditional write of the ticket with its outbox (the WhatsApp message, SLA
//! timer changes), done afterwards. The agent API (HTTP, auth, listing) builds on these.
//!
//! One module per action (or family of actions): each has the check of the action against the
//! ticket as read (with its reads) and the pure decision. `Request` is the one `TicketChange`
//! every action runs as; its `check` and `decide` only pick the action's functions.

mod action;
mod attachments;
mod error;
mod note;
mod react;
mod reply;
mod resolve;
mod tags;
mod transfer;
mod update;

use std::sync::Arc;

use tracing::info;

pub use self::action::AgentAction;
pub use self::error::AgentError;
pub use self::note::mentions;
use crate::app::agent_handoff::assign::{self, ClaimError, Place, PlaceError};
pub use crate::app::agent_handoff::assign::{ESCALATION_ACTOR, PULL_ACTOR};
use crate::app::outbox::{CapacityRelease, OutboxRunner};
use crate::app::ticket_change::{
    ChangeKey, Decision, Draft, Gathered, SlaUpdate, TicketChange, TicketChanger,
};
use crate::domain::ids::TicketId;
use crate::domain::sla::{SlaClocks, SlaConfig};
use crate::domain::ticket::Ticket;
use crate::platform::live_config::ConfigSource;
use crate::platform::metrics::Count;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::Queue;
use crate::ports::store::{OutboxKind, TicketStore};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{MediaKind, WhatsAppClient};

/// A client's `Idempotency-Key` and a digest of the request it came with (method, path, body,
/// caller): the same request again finishes the first; the key on another request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyKey<'a> {
    pub key: &'a str,
    pub request: [u8; 32],
}

pub struct AgentDesk {
    store: Arc<dyn TicketStore>,
    clock: Arc<dyn Clock>,
    /// Stores each action (with SLA policies, replanning the clocks) and does its outbox.
    changer: TicketChanger,
    /// Where the rating template for customers outside the 24 h window is looked up (the
    /// published catalogue when live).
    templates: Option<ConfigSource<crate::domain::templates::TemplateCatalog>>,
    /// Where the files agents attach are uploaded to (and read from to check and send them).
    media: Option<Arc<dyn crate::ports::media::MediaStore>>,
}

impl AgentDesk {
    pub fn new(
        store: Arc<dyn TicketStore>,
        whatsapp: Arc<dyn WhatsAppClient>,
        handoffs: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            changer: TicketChanger::new(
                store.clone(),
                OutboxRunner::new(store.clone(), whatsapp, handoffs, clock.clone()),
            ),
            store,
            clock,
            templates: None,
            media: None,
        }
    }

    /// Agents may send files kept in `media` (the outbox uploads them to the Cloud API).
    pub fn with_media(mut self, media: Arc<dyn crate::ports::media::MediaStore>) -> Self {
        self.changer.outbox.media = Some(media.clone());
        self.media = Some(media);
        self
    }

    /// Where attachments are uploaded to, if configured.
    pub fn media(&self) -> Option<&Arc<dyn crate::ports::media::MediaStore>> {
        self.media.as_ref()
    }

    /// The approved templates: a customer outside the 24 h window who opted in is asked for a
    /// rating with `csat_survey` from this catalogue.
    pub fn with_templates(
        mut self,
        templates: impl Into<ConfigSource<crate::domain::templates::TemplateCatalog>>,
    ) -> Self {
        self.templates = Some(templates.into());
        self
    }

    /// After a sync or a submission in this process: the live catalogue is read again.
    pub async fn templates_changed(&self) {
        if let Some(ConfigSource::Live(live)) = &self.templates {
            live.refresh_now().await;
        }
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

    /// Publishes ticket events (opened, assigned, resolved, ...) to `bus` through the outbox.
    pub fn with_events(mut self, bus: Arc<dyn crate::ports::events::EventBus>) -> Self {
        self.changer.outbox.events = Some(bus);
        self
    }

    /// Counts queued tickets it assigns and failed sends (CloudWatch EMF); whoever drives the
    /// desk flushes once per request or batch.
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.changer.outbox.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &crate::platform::metrics::Metrics {
        &self.changer.outbox.metrics
    }

    /// Assignment and @mention notices go here.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.changer.outbox.notifier = Some(notifier);
        self
    }

    pub fn store(&self) -> &Arc<dyn TicketStore> {
        &self.store
    }

    pub fn whatsapp(&self) -> &Arc<dyn WhatsAppClient> {
        &self.changer.outbox.whatsapp
    }

    /// The SLA policies as of the last change or [`sla_now`](Self::sla_now) (no I/O).
    pub fn sla(&self) -> Option<Arc<SlaConfig>> {
        self.changer.sla.as_ref().map(|s| s.cached())
    }

    /// Reads the SLA versions the policies of `tickets` were chosen from, so that
    /// [`sla_of`](Self::sla_of) has them at hand (each read once per process).
    pub async fn read_sla_versions<'t>(&self, tickets: impl IntoIterator<Item = &'t Ticket>) {
        let Some(source) = &self.changer.sla else {
            return;
        };
        let mut versions: Vec<u32> = tickets
            .into_iter()
            .filter_map(|t| t.sla.as_ref().and_then(|c| c.policy_version))
            .collect();
        versions.sort_unstable();
        versions.dedup();
        for v in versions {
            if source.kept_version(v).is_none() {
                source.at_version(v).await;
            }
        }
    }

    /// The SLA policies `clocks` are planned with, as far as known without I/O: the version
    /// their policy was chosen from (see [`read_sla_versions`](Self::read_sla_versions)), else
    /// the current one.
    pub fn sla_of(&self, clocks: &SlaClocks) -> Option<Arc<SlaConfig>> {
        let source = self.changer.sla.as_ref()?;
        Some(crate::app::ticket_change::pinned_sla_cached(
            source,
            Some(clocks),
        ))
    }

    /// [`sla`](Self::sla) with its published version (`None`: the start-up file).
    pub fn sla_versioned(&self) -> (Option<Arc<SlaConfig>>, Option<u32>) {
        match self.changer.sla.as_ref().map(|s| s.cached_versioned()) {
            Some((sla, version)) => (Some(sla), version),
            None => (None, None),
        }
    }

    /// The SLA policies published now (checked at most every interval).
    pub async fn sla_now(&self) -> Option<Arc<SlaConfig>> {
        match &self.changer.sla {
            Some(source) => Some(source.current().await),
            None => None,
        }
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
        let key = ChangeKey::parse(&key)
            .map_err(|e| AgentError::field("Idempotency-Key", e.to_string()))?;
        if let Some(client) = idempotency_key
            && let Some(ticket) = self.replay(ticket_id, &key, client.key).await?
        {
            return Ok(ticket);
        }
        let request = Request {
            desk: self,
            actor: agent,
            action,
            expected_version,
        };
        let changed = self.changer.change(ticket_id, &key, &request).await?;
        info!(ticket_id = %ticket_id, action = action.name(), "agent action done");
        if let Some(previous) = &changed.outcome {
            self.refill(previous, Some(ticket_id)).await;
        }
        Ok(changed.ticket)
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
        key: &ChangeKey,
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
            .outbox(ticket_id, key.outbox_key())
            .await?
            .into_iter()
            .filter(|e| e.kind == OutboxKind::Release && !e.done)
            .find_map(|e| serde_json::from_str::<CapacityRelease>(&e.payload).ok());
        self.changer.finish(&ticket, key).await?;
        info!(ticket_id = %ticket_id, "repeated agent request: finished the first one");
        if let Some(release) = released {
            // The slot came back only now: a queued ticket may take it.
            self.refill(&release.agent, Some(ticket_id)).await;
        }
        Ok(Some(ticket))
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
        self.changer.outbox.metrics.add(Count::TicketsAssigned, 1);
        info!(ticket_id = %assigned.id, agent, actor, "ticket assigned");
        Ok(assigned)
    }

    fn tickets(&self) -> &dyn TicketStore {
        self.store.as_ref()
    }
}

/// An agent's action on a ticket, as a ticket change.
struct Request<'a> {
    desk: &'a AgentDesk,
    actor: &'a str,
    action: &'a AgentAction,
    expected_version: Option<u64>,
}

/// What an action reads before its decision.
#[derive(Debug, Default)]
struct Reads {
    /// The customer allows business-initiated messages (templates, the survey).
    consent: bool,
    /// The customer's consent record (a resolve: whether to ask for a rating).
    consent_record: Option<crate::domain::consent::Consent>,
    /// The approved rating template, for a resolve outside the window.
    survey_template: Option<crate::domain::templates::ApprovedTemplate>,
    /// The agents mentioned in a note.
    mentions: Vec<String>,
    /// The checked file an attachment sends.
    attachment: Option<(crate::app::outbox::AttachmentRef, MediaKind)>,
}

impl TicketChange for Request<'_> {
    type Input = Reads;
    /// An agent whose slot comes back now that the change is stored.
    type Outcome = Option<String>;
    type Error = AgentError;

    fn missing(&self, id: TicketId) -> AgentError {
        AgentError::NotFound(id)
    }

    fn actor(&self) -> &str {
        self.actor
    }

    /// Checks the action against the ticket as read and does its reads and claim (in the order
    /// the checks were always made: a refusal claims nothing).
    async fn gather(&self, ticket: &Ticket) -> Result<Gathered<Reads>, AgentError> {
        if let Some(expected) = self.expected_version
            && expected != ticket.version
        {
            return Err(AgentError::Conflict {
                ticket: ticket.id,
                expected,
                current: ticket.version,
            });
        }
        let (reads, claim) = self.check(ticket).await?;
        if let Some(agent) = claim {
            self.desk.claim(agent).await?;
        }
        Ok(Gathered {
            input: reads,
            claimed: claim.map(str::to_owned),
        })
    }

    fn decide(
        &self,
        ticket: &Ticket,
        reads: Reads,
        draft: &mut Draft,
    ) -> Result<Decision<Option<String>>, AgentError> {
        decide(self, ticket, reads, draft)
    }
}

impl<'a> Request<'a> {
    /// The customer message the action quotes or reacts to: the request's field and the wamid.
    fn refers_to(&self) -> Option<(&'static str, &'a str)> {
        match self.action {
            AgentAction::Reply { quote: Some(q), .. } => Some(("quote", q.as_str())),
            AgentAction::React { message, .. } => Some(("message", message.as_str())),
            _ => None,
        }
    }

    /// Whether the action fits the ticket, what it reads, and whose slot it takes.
    async fn check(&self, ticket: &Ticket) -> Result<(Reads, Option<&'a str>), AgentError> {
        let mut reads = Reads::default();
        let claim = match self.action {
            AgentAction::Reply { .. }
            | AgentAction::React { .. }
            | AgentAction::Attach { .. }
            | AgentAction::SendTemplate { .. } => {
                reply::check_write(self, ticket, &mut reads).await?
            }
            AgentAction::Note { text } => {
                reads.mentions = note::check_note(self.desk, text).await?;
                None
            }
            AgentAction::Assign { agent } => transfer::check_assign(ticket, agent)?,
            AgentAction::Update { .. } | AgentAction::Untag { .. } => None,
            AgentAction::Tag { tag } => {
                tags::check_tag(ticket, tag)?;
                None
            }
            AgentAction::SetPending => {
                resolve::check_pending(ticket)?;
                None
            }
            AgentAction::Resolve => {
                resolve::check_resolve(self.desk, ticket, &mut reads).await?;
                None
            }
            AgentAction::Reopen => {
                resolve::check_reopen(ticket)?;
                Some(self.actor)
            }
        };
        Ok((reads, claim))
    }
}

/// What becomes of the ticket: one function per action.
fn decide(
    request: &Request<'_>,
    ticket: &Ticket,
    reads: Reads,
    draft: &mut Draft,
) -> Result<Decision<Option<String>>, AgentError> {
    let actor = request.actor;
    if let AgentAction::Tag { tag } | AgentAction::Untag { tag } = request.action {
        return tags::retag(request.action, tag, draft);
    }
    // Running SLA clocks are planned again after every action.
    draft.sla = Some(SlaUpdate::default());
    let release = match request.action {
        AgentAction::Reply { text, quote } => {
            reply::reply(ticket, actor, text, quote, draft);
            None
        }
        AgentAction::Attach { caption, .. } => {
            attachments::attach(ticket, actor, caption, reads.attachment, draft)?;
            None
        }
        AgentAction::React { message, emoji } => {
            react::react(ticket, actor, message, emoji, draft);
            None
        }
        AgentAction::SendTemplate { template } => {
            reply::send_template(ticket, actor, template, draft);
            None
        }
        AgentAction::Note { text } => {
            note::note(ticket, actor, text, reads.mentions, draft);
            None
        }
        AgentAction::Assign { agent } => transfer::assign(ticket, actor, agent.as_deref(), draft),
        AgentAction::Update { priority, category } => {
            let (sla, version) = request.desk.sla_versioned();
            update::update(sla.as_deref(), version, *priority, category, draft);
            None
        }
        AgentAction::SetPending => {
            resolve::set_pending(draft);
            None
        }
        AgentAction::Resolve => resolve::resolve(ticket, actor, &reads, draft),
        AgentAction::Tag { .. } | AgentAction::Untag { .. } => None,
        AgentAction::Reopen => {
            resolve::reopen(actor, draft);
            None
        }
    };
    if let Some(previous) = &release {
        // The ticket left that agent: their slot comes back once the change is stored,
        // first of all its effects, exactly once however often the request is repeated.
        draft.outbox.push_first(
            OutboxKind::Release,
            &CapacityRelease {
                agent: previous.clone(),
            },
        );
    }
    Ok(Decision::Write(release))
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

#[cfg(test)]
mod quote_tests;
