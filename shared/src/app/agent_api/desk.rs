//! What an agent does to a ticket: reply to the customer, wait on the customer, resolve. Each
//! action is one conditional write of the ticket with its outbox (the WhatsApp message, SLA
//! timer changes), done afterwards. The agent API (HTTP, auth, listing) builds on these.

use std::sync::Arc;

use tracing::info;

use crate::app::agent_handoff::assign::{self, ClaimError, Place, PlaceError};
pub use crate::app::agent_handoff::assign::{ESCALATION_ACTOR, PULL_ACTOR};
use crate::app::analytics::Fact;
use crate::app::outbox::{CapacityRelease, HandlerError, OutboxRunner};
use crate::app::ticket_change::{
    ChangeKey, Decision, Draft, Gathered, SlaUpdate, TicketChange, TicketChanger,
};
use crate::domain::bot::Priority;
use crate::domain::bot::config::MAX_TEXT;
use crate::domain::ids::TicketId;
use crate::domain::sla::{SlaClocks, SlaConfig, SlaEvent, TicketFacts};
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::domain::ticket_tags::{Tag, Tagging, add_tag, remove_tag};
use crate::platform::live_config::ConfigSource;
use crate::platform::metrics::Count;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::Queue;
use crate::ports::store::{ActivityKind, Direction, OutboxKind, StoreError, TicketStore};
use crate::ports::timers::Timers;
use crate::ports::whatsapp::{
    MediaKind, OutboundBody, Template, WhatsAppClient, service_window_open,
};

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
    /// The attachment named is not an upload of this ticket, or was never uploaded.
    #[error("no uploaded file {0} for this ticket: upload it first")]
    NoAttachment(String),
    /// The uploaded file cannot be sent on WhatsApp (type or size), or is not what it claimed.
    #[error("{0}")]
    AttachmentRefused(String),
    /// The media store could not be read; trying again may help.
    #[error("the media store is unavailable: {0}")]
    MediaUnavailable(String),
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
    /// A free-form message (inside the 24 h window only); `quote` names a customer message of
    /// the ticket (its wamid) that WhatsApp shows quoted above it.
    Reply { text: String, quote: Option<String> },
    /// An emoji reaction to a customer message of the ticket (inside the 24 h window only).
    React { message: String, emoji: String },
    /// A file uploaded for this ticket (its media store key), with an optional caption
    /// (inside the 24 h window only).
    Attach {
        key: String,
        caption: Option<String>,
    },
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
    /// Puts a tag on the ticket (nothing to do if it is there).
    Tag { tag: Tag },
    /// Takes a tag off the ticket (nothing to do if it is not there).
    Untag { tag: Tag },
}

impl AgentAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::React { .. } => "react",
            Self::Attach { .. } => "attach",
            Self::SendTemplate { .. } => "send_template",
            Self::Note { .. } => "note",
            Self::Assign { .. } => "assign",
            Self::Update { .. } => "update",
            Self::SetPending => "set_pending",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
            Self::Tag { .. } => "tag",
            Self::Untag { .. } => "untag",
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
            Self::Reply { text, quote } => {
                text_ok("text", text)?;
                match quote {
                    Some(q) if q.trim().is_empty() || q.len() > 256 => Err(AgentError::field(
                        "quote",
                        "needs a message id of 1-256 characters",
                    )),
                    _ => Ok(()),
                }
            }
            Self::React { message, emoji } => {
                if message.trim().is_empty() || message.len() > 256 {
                    return Err(AgentError::field(
                        "message",
                        "needs a message id of 1-256 characters",
                    ));
                }
                crate::domain::whatsapp::check_emoji(emoji)
                    .map_err(|e| AgentError::field("emoji", e.to_string()))
            }
            Self::Attach { key, caption } => {
                if key.trim().is_empty() || key.len() > 512 {
                    return Err(AgentError::field(
                        "attachment",
                        "needs the key the upload was given (1-512 characters)",
                    ));
                }
                match caption {
                    Some(c) if c.chars().count() > crate::domain::attachment::MAX_CAPTION => {
                        Err(AgentError::field(
                            "caption",
                            format!(
                                "may have at most {} characters",
                                crate::domain::attachment::MAX_CAPTION
                            ),
                        ))
                    }
                    _ => Ok(()),
                }
            }
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

    /// The approved rating template in the customer's language (else any language).
    async fn survey_template(
        &self,
        lang: Option<&str>,
    ) -> Option<crate::domain::templates::ApprovedTemplate> {
        let catalog = self.templates.as_ref()?.current().await;
        let all = catalog.all();
        let named = || {
            all.iter()
                .filter(|t| t.name == crate::domain::csat::SURVEY_TEMPLATE && t.is_approved())
        };
        named()
            .find(|t| Some(t.language.as_str()) == lang)
            .or_else(|| named().next())
            .cloned()
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

    /// Whether the customer allows business-initiated messages (templates, the survey).
    async fn consent(&self, ticket: &Ticket) -> Result<bool, AgentError> {
        let consent = self.store.consent(&ticket.key.wa_id).await?;
        Ok(crate::domain::consent::Consent::allows_business_messages(
            consent.as_ref(),
        ))
    }

    /// Checks that `wamid` is a message the customer wrote on this ticket (a reaction of theirs
    /// is not one to quote or react to); `field` is the request's field that named it.
    async fn customer_message(
        &self,
        ticket: &Ticket,
        field: &'static str,
        wamid: &str,
    ) -> Result<(), AgentError> {
        let messages = self.store.messages(ticket.id).await?;
        let found = messages.iter().find(|m| m.wamid.as_str() == wamid);
        match found {
            Some(m) if m.direction == Direction::Inbound && m.kind != "reaction" => Ok(()),
            Some(_) => Err(AgentError::field(
                field,
                "names a message that is not one the customer wrote",
            )),
            None => Err(AgentError::field(
                field,
                format!("names no message of ticket {}", ticket.id),
            )),
        }
    }

    /// Checks an uploaded file before it is sent: uploaded for this ticket, present, of the
    /// type it was announced as (by its bytes, not its name) and within WhatsApp's limits.
    async fn attachment(
        &self,
        ticket: &Ticket,
        key: &str,
        caption: Option<&str>,
    ) -> Result<(crate::app::outbox::AttachmentRef, MediaKind), AgentError> {
        use crate::domain::attachment;
        let Some(store) = &self.media else {
            return Err(AgentError::AttachmentRefused(
                "attachments need a media store, and none is configured (HELPDESK_MEDIA_BUCKET)"
                    .into(),
            ));
        };
        if !attachment::belongs_to(key, ticket.id) {
            return Err(AgentError::NoAttachment(key.to_owned()));
        }
        let object = store
            .probe(key)
            .await
            .map_err(|e| AgentError::MediaUnavailable(e.to_string()))?
            .ok_or_else(|| AgentError::NoAttachment(key.to_owned()))?;
        let claimed = attachment::essence(&object.content_type);
        let found = crate::ports::media::content_type(&object.head, &claimed)
            .map_err(|e| AgentError::AttachmentRefused(e.to_string()))?;
        if found != claimed {
            return Err(AgentError::AttachmentRefused(format!(
                "the file is {found}, not the {claimed} it was uploaded as"
            )));
        }
        let kind = attachment::check(&found, object.size)
            .map_err(|e| AgentError::AttachmentRefused(e.to_string()))?;
        if caption.is_some() && !kind.has_caption() {
            return Err(AgentError::field(
                "caption",
                format!("WhatsApp shows no caption with {}", kind.as_str()),
            ));
        }
        Ok((
            crate::app::outbox::AttachmentRef {
                key: key.to_owned(),
                mime_type: found,
                size: object.size,
            },
            kind,
        ))
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
        let (desk, actor) = (self.desk, self.actor);
        let now = desk.clock.now();
        let closed = ticket.is_closed();
        let mut reads = Reads::default();
        let mut claim = None;
        match self.action {
            AgentAction::Reply { .. }
            | AgentAction::React { .. }
            | AgentAction::Attach { .. }
            | AgentAction::SendTemplate { .. } => {
                if closed {
                    return Err(AgentError::invalid(
                        "the ticket is resolved; reopen it to write",
                    ));
                }
                if !matches!(self.action, AgentAction::SendTemplate { .. }) {
                    if !service_window_open(ticket.last_inbound_at, now) {
                        return Err(AgentError::OutsideServiceWindow);
                    }
                } else {
                    reads.consent = desk.consent(ticket).await?;
                    if !reads.consent {
                        return Err(AgentError::NoConsent);
                    }
                }
                if let Some((field, wamid)) = self.refers_to() {
                    desk.customer_message(ticket, field, wamid).await?;
                }
                if let AgentAction::Attach { key, caption } = self.action {
                    reads.attachment =
                        Some(desk.attachment(ticket, key, caption.as_deref()).await?);
                }
                // Answering an unassigned ticket takes it.
                claim = ticket.assignee.is_none().then_some(actor);
            }
            AgentAction::Note { text } => {
                let roster = desk.store.agents().await?;
                reads.mentions = mentions(text);
                if let Some(unknown) = reads
                    .mentions
                    .iter()
                    .find(|m| !roster.iter().any(|a| &a.id == *m))
                {
                    return Err(AgentError::field(
                        "text",
                        format!("@{unknown} is not an agent"),
                    ));
                }
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
                claim = agent.as_deref();
            }
            AgentAction::Update { .. } | AgentAction::Untag { .. } => {}
            AgentAction::Tag { tag } => {
                let mut tags = ticket.tags.clone();
                add_tag(&mut tags, tag).map_err(|problem| AgentError::field("tag", problem))?;
            }
            AgentAction::SetPending => {
                if ticket.status != TicketStatus::Assigned {
                    return Err(AgentError::invalid(format!(
                        "only an assigned ticket can wait on the customer; this one is {}",
                        ticket.status.as_str()
                    )));
                }
            }
            AgentAction::Resolve => {
                if closed {
                    return Err(AgentError::invalid("the ticket is already resolved"));
                }
                reads.consent_record = desk.store.consent(&ticket.key.wa_id).await?;
                let lang = ticket
                    .bot
                    .as_ref()
                    .and_then(|b| b.language)
                    .map(|l| l.code());
                reads.survey_template = desk.survey_template(lang).await;
            }
            AgentAction::Reopen => {
                if !closed {
                    return Err(AgentError::invalid(format!(
                        "only a resolved ticket can be reopened; this one is {}",
                        ticket.status.as_str()
                    )));
                }
                claim = Some(actor);
            }
        }
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
        return retag(request.action, tag, draft);
    }
    // Running SLA clocks are planned again after every action.
    draft.sla = Some(SlaUpdate::default());
    let release = match request.action {
        AgentAction::Reply { text, quote } => {
            let body = match quote {
                Some(q) => OutboundBody::QuotedText {
                    body: text.clone(),
                    reply_to: q.clone(),
                },
                None => OutboundBody::Text { body: text.clone() },
            };
            write_to_customer(ticket, actor, body, None, draft);
            None
        }
        AgentAction::Attach { caption, .. } => {
            let Some((attachment, kind)) = reads.attachment else {
                return Err(AgentError::invalid("the attachment was not checked"));
            };
            let filename = (kind == MediaKind::Document)
                .then(|| crate::domain::attachment::file_name_of_key(&attachment.key).to_owned());
            let body = OutboundBody::Media {
                kind,
                id: None,
                caption: caption.clone().filter(|c| !c.trim().is_empty()),
                filename,
            };
            write_to_customer(ticket, actor, body, Some(attachment), draft);
            None
        }
        AgentAction::React { message, emoji } => {
            let body = OutboundBody::Reaction {
                message_id: message.clone(),
                emoji: emoji.clone(),
            };
            react(ticket, actor, body, draft);
            None
        }
        AgentAction::SendTemplate { template } => {
            draft.log(
                ActivityKind::TemplateSent,
                Some(template.name.clone()),
                Vec::new(),
            );
            let body = OutboundBody::Template(template.clone());
            write_to_customer(ticket, actor, body, None, draft);
            None
        }
        AgentAction::Note { text } => {
            note(ticket, actor, text, reads.mentions, draft);
            None
        }
        AgentAction::Assign { agent } => assign(ticket, actor, agent.as_deref(), draft),
        AgentAction::Update { priority, category } => {
            let (sla, version) = request.desk.sla_versioned();
            update(sla.as_deref(), version, *priority, category, draft);
            None
        }
        AgentAction::SetPending => {
            draft.next.status = TicketStatus::PendingCustomer;
            draft.log(ActivityKind::Pending, None, Vec::new());
            draft.sla_event(SlaEvent::Paused, draft.now);
            None
        }
        AgentAction::Resolve => resolve(ticket, actor, &reads, draft),
        AgentAction::Tag { .. } | AgentAction::Untag { .. } => None,
        AgentAction::Reopen => {
            draft.next.reopen(actor);
            draft.log(ActivityKind::Reopened, None, Vec::new());
            if let Some(clocks) = draft.next.sla.as_mut() {
                clocks.apply(SlaEvent::Resumed, draft.now);
            }
            draft.sla_event(SlaEvent::Reopened, draft.now);
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

/// A tag on or off: recorded in the activity; the store keeps the tag index in step in the
/// same write. A tag already there (or already gone) changes nothing, so a repeat is a no-op;
/// no SLA clock moves.
fn retag(
    action: &AgentAction,
    tag: &Tag,
    draft: &mut Draft,
) -> Result<Decision<Option<String>>, AgentError> {
    let changed = match action {
        AgentAction::Tag { .. } => add_tag(&mut draft.next.tags, tag)
            .map_err(|problem| AgentError::field("tag", problem))?,
        _ => remove_tag(&mut draft.next.tags, tag),
    };
    if changed == Tagging::Unchanged {
        return Ok(Decision::Keep {
            outcome: None,
            flush: false,
        });
    }
    let kind = match action {
        AgentAction::Tag { .. } => ActivityKind::Tagged,
        _ => ActivityKind::Untagged,
    };
    draft.log(kind, Some(tag.as_str().to_owned()), Vec::new());
    Ok(Decision::Write(None))
}

/// A reply or a template to the customer; an unassigned ticket becomes the writer's (their
/// slot was claimed before).
fn write_to_customer(
    ticket: &Ticket,
    actor: &str,
    body: OutboundBody,
    attachment: Option<crate::app::outbox::AttachmentRef>,
    draft: &mut Draft,
) {
    let now = draft.now;
    let template = body.is_template();
    if ticket.assignee.is_none() {
        draft.next.assignee = Some(actor.to_owned());
        draft.log(ActivityKind::Assigned, Some(actor.to_owned()), Vec::new());
    }
    draft.outbox.push(
        OutboxKind::WhatsApp,
        &crate::app::outbox::OutboundEntry {
            body,
            sent_by: Some(actor.to_owned()),
            attachment,
        },
    );
    if !template {
        draft.log(ActivityKind::Replied, None, Vec::new());
    }
    if ticket.status != TicketStatus::PendingCustomer {
        draft.next.status = TicketStatus::Assigned;
    }
    if ticket.first_response_at.is_none() && ticket.status != TicketStatus::Bot {
        draft.next.first_response_at = Some(now);
        draft.outbox.stats(&draft.next, Fact::FirstResponse, now);
    }
    draft.sla_event(SlaEvent::AgentReplied, now);
}

/// A reaction to a customer message: sent like a reply, but it is not an answer (no first
/// response, no SLA event); an unassigned ticket becomes the reacting agent's (their slot was
/// claimed before).
fn react(ticket: &Ticket, actor: &str, body: OutboundBody, draft: &mut Draft) {
    draft.log(ActivityKind::Reacted, Some(body.text()), Vec::new());
    if ticket.assignee.is_none() {
        draft.next.assignee = Some(actor.to_owned());
        draft.log(ActivityKind::Assigned, Some(actor.to_owned()), Vec::new());
        if ticket.status != TicketStatus::PendingCustomer {
            draft.next.status = TicketStatus::Assigned;
        }
    }
    draft.outbox.push(
        OutboxKind::WhatsApp,
        &crate::app::outbox::OutboundEntry {
            body,
            sent_by: Some(actor.to_owned()),
            attachment: None,
        },
    );
}

/// An internal note; the agents it mentions (but the writer) are told.
fn note(ticket: &Ticket, actor: &str, text: &str, named: Vec<String>, draft: &mut Draft) {
    for agent in named.iter().filter(|m| m.as_str() != actor) {
        let notice = notice(
            &draft.next,
            "mentioned",
            agent,
            format!("{actor} mentioned you in a note on ticket {}.", ticket.id),
        );
        draft.outbox.push(OutboxKind::Notify, &notice);
    }
    draft.log(ActivityKind::Note, Some(text.to_owned()), named);
}

/// The ticket to `agent` (their slot was claimed before) or back to the queue; the agent it
/// leaves, whose slot comes back.
fn assign(ticket: &Ticket, actor: &str, agent: Option<&str>, draft: &mut Draft) -> Option<String> {
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

/// Another priority (which may mean another SLA policy: running deadlines move) or category.
fn update(
    sla: Option<&SlaConfig>,
    version: Option<u32>,
    priority: Option<Priority>,
    category: &Option<String>,
    draft: &mut Draft,
) {
    if let Some(p) = priority {
        draft.next.priority = Some(p);
        draft.log(
            ActivityKind::Priority,
            Some(p.as_str().to_owned()),
            Vec::new(),
        );
        if let (Some(sla), Some(clocks)) = (sla, draft.next.sla.as_mut()) {
            let facts = TicketFacts {
                channel: "whatsapp",
                priority: Some(p),
                category: draft.next.category.as_deref(),
                text: None,
                tier: None,
            };
            clocks.set_policy(&sla.select(&facts).name.clone(), version);
        }
    }
    if let Some(c) = category {
        draft.next.category = Some(c.trim().to_owned());
        draft.log(
            ActivityKind::Category,
            Some(c.trim().to_owned()),
            Vec::new(),
        );
    }
}

/// Solved: the customer is asked for a rating (inside the window unless they opted out;
/// outside only with opt-in and the approved template), and whether they were is counted; the
/// agent's slot comes back.
fn resolve(ticket: &Ticket, actor: &str, reads: &Reads, draft: &mut Draft) -> Option<String> {
    let now = draft.now;
    draft.next.resolve(actor, now);
    draft.log(ActivityKind::Resolved, None, Vec::new());
    let lang = ticket.bot.as_ref().and_then(|b| b.language);
    match crate::domain::csat::ask(
        reads.consent_record.as_ref(),
        service_window_open(ticket.last_inbound_at, now),
        lang,
        reads.survey_template.as_ref(),
    ) {
        Ok(question) => {
            draft.outbox.push(OutboxKind::WhatsApp, &question);
            draft.next.csat_asked_at = Some(now);
            draft.next.csat = None;
            draft.outbox.stats(&draft.next, Fact::SurveyAsked, now);
        }
        Err(_) => {
            draft.next.csat_asked_at = None;
            draft.outbox.stats(&draft.next, Fact::SurveyNotAsked, now);
        }
    }
    draft.sla_event(SlaEvent::Resolved, now);
    // After the clocks, so the SLA outcome is in the count.
    draft.stats_after_sla = Some(Fact::Resolved);
    ticket.assignee.clone()
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

#[cfg(test)]
mod quote_tests;
