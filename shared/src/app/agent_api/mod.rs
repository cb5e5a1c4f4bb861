//! The agent API (JSON over HTTP): what agents and supervisors do with tickets, independent of
//! the HTTP framework. The `agent-api` Lambda (API Gateway HttpApi) and the local runner (axum)
//! translate their requests into [`ApiRequest`] and send back [`ApiResponse`].
//!
//! Routes (every one authenticated; see `auth`):
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/me` | everyone |
//! | GET | `/tickets?status=&team=&assignee=&priority=&sla=&limit=&cursor=` | agents: own teams; supervisors: all |
//! | GET | `/tickets/{id}` | whoever may see it, and agents it moved away from (`watchers`) |
//! | POST | `/tickets/{id}/reply` `{text, version?}` | agents: see `may_act` (README: Roles) |
//! | POST | `/tickets/{id}/template` `{name, language, params, version?}` | |
//! | POST | `/tickets/{id}/notes` `{text, version?}` | |
//! | POST | `/tickets/{id}/assign` `{agent: id or null, version?}` | agents: to or from themselves (a colleague's within its team: they are told) |
//! | PATCH | `/tickets/{id}` `{priority?, category?, version?}` | |
//! | POST | `/tickets/{id}/pending`, `/resolve`, `/reopen` `{version?}` | |
//! | GET | `/agents` | everyone |
//! | POST | `/agents` `{id, name, teams, languages, capacity}` | admins |
//! | PUT | `/agents/{id}/presence` `{online?, capacity?}` | agents: own presence; supervisors: capacity |
//! | GET | `/templates` | everyone |
//! | GET | `/analytics?from=&to=&scope=` | supervisors; agents for `agent:<self>` |
//! | PUT | `/customers/{wa_id}/consent` `{opted_in, source}` | supervisors |
//! | GET | `/customers/{wa_id}/export` | admins (GDPR access request) |
//! | DELETE | `/customers/{wa_id}` | admins (GDPR erasure; says what remains where, until when) |
//! | GET | `/audit?from=&to=&wa_id=` | admins (who exported or erased whom; days UTC, at most 31) |
//!
//! Errors: `{"error": code, "message": text, "fields": {field: problem}}` with 400 (bad input),
//! 401, 403 (`forbidden`, `read_only`), 404, 405, 409 (version conflict, agent unavailable), 413,
//! 422 (outside the 24 h window: the body lists the templates; `idempotency_key_reused`), 503
//! (try again; with the same `Idempotency-Key` to finish a stored change).

pub mod auth;
pub mod config;
pub mod desk;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{error, warn};

use crate::app::agent_api::desk::{AgentAction, AgentDesk, AgentError, IdempotencyKey};
use crate::app::analytics::{self, AnalyticsError, ReportQuery};
use crate::domain::bot::Priority;
use crate::domain::ids::TicketId;
use crate::domain::templates::TemplateCatalog;
use crate::domain::ticket::{SlaState, Ticket, TicketStatus};
use crate::ports::clock::Clock;
use crate::ports::store::{StoreError, TicketIndex};
use crate::ports::whatsapp::service_window_open;

pub use auth::{Authenticator, Caller, Role};

/// Largest request body.
pub const MAX_BODY: usize = 64 * 1024;
const DEFAULT_LIMIT: u32 = 25;
const MAX_LIMIT: u32 = 100;
/// Days one audit request may read.
const MAX_AUDIT_DAYS: usize = 31;
/// Store queries one listing request may make before it returns what it has (and a cursor).
const MAX_QUERIES: usize = 40;

/// A request, as any HTTP front end gives it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    /// Claims API Gateway's JWT authorizer verified.
    pub claims: Option<&'a HashMap<String, String>>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
}

impl ApiResponse {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// A plain-text answer (a TOML export): the body is a JSON string, sent as its text.
    fn text(text: String) -> Self {
        Self {
            status: 200,
            body: Value::String(text),
        }
    }

    /// The content type to send: a string body is plain text, everything else JSON.
    pub fn content_type(&self) -> &'static str {
        if self.body.is_string() {
            "text/plain; charset=utf-8"
        } else {
            "application/json"
        }
    }

    /// The bytes to send (the text itself for a plain-text answer).
    pub fn body_text(&self) -> String {
        match &self.body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub extra: Option<(&'static str, Value)>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            extra: None,
        }
    }

    fn field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let mut e = Self::new(400, "invalid_request", format!("{field}: {problem}"));
        e.fields.insert(field.to_owned(), problem);
        e
    }

    fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, "not_found", what)
    }

    fn forbidden(why: impl Into<String>) -> Self {
        Self::new(403, "forbidden", why)
    }

    fn into_response(self) -> ApiResponse {
        let mut body = json!({ "error": self.code, "message": self.message });
        if !self.fields.is_empty() {
            body["fields"] = json!(self.fields);
        }
        match self.extra {
            // An object under "": its fields go to the top level (409/422 of the admin area).
            Some(("", Value::Object(fields))) => {
                for (k, v) in fields {
                    body[k] = v;
                }
            }
            Some((key, value)) => body[key] = value,
            None => {}
        }
        ApiResponse {
            status: self.status,
            body,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            warn!(error = %e, "agent API: store busy");
            Self::new(503, "unavailable", "the ticket store is busy; try again")
        } else {
            error!(error = %e, "agent API: store failed");
            Self::new(500, "internal", "the ticket store failed")
        }
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::NotFound(id) => Self::not_found(format!("no ticket {id}")),
            AgentError::Conflict { current, .. } => {
                let mut err = Self::new(409, "version_conflict", e.to_string());
                err.extra = Some(("current_version", json!(current)));
                err
            }
            AgentError::Unavailable(m) => Self::new(409, "agent_unavailable", m),
            AgentError::Invalid { field, ref problem } => {
                let mut err = Self::new(400, "invalid_request", e.to_string());
                if let Some(field) = field {
                    err.fields.insert(field.to_owned(), problem.clone());
                }
                err
            }
            AgentError::OutsideServiceWindow => {
                Self::new(422, "outside_service_window", e.to_string())
            }
            AgentError::NoConsent => Self::new(422, "no_consent", e.to_string()),
            AgentError::KeyReused(_) => {
                let mut err = Self::new(422, "idempotency_key_reused", e.to_string());
                err.fields.insert(
                    "Idempotency-Key".to_owned(),
                    "was used for another request".to_owned(),
                );
                err
            }
            AgentError::Failed(h) if h.is_retryable() => {
                warn!(error = %h, "agent API: action stored, sending failed");
                Self::new(
                    503,
                    "delivery_pending",
                    "the change is stored but not everything was sent; repeat the request with the same Idempotency-Key to finish it",
                )
            }
            AgentError::Failed(h) => {
                error!(error = %h, "agent API: action failed");
                Self::new(500, "internal", "the action failed")
            }
        }
    }
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::Invalid { field, problem } => Self::field(field, problem),
            AnalyticsError::Store(s) => s.into(),
        }
    }
}

pub struct AgentApi {
    desk: Arc<AgentDesk>,
    auth: Authenticator,
    templates: Arc<TemplateCatalog>,
    /// Teams the routing knows (queues to list besides the agents' own teams).
    teams: Vec<String>,
    clock: Arc<dyn Clock>,
    /// Where customers' media are kept: the detail links to them.
    media: Option<Arc<dyn crate::ports::media::MediaStore>>,
    /// The admin area (configuration documents); `None`: its routes answer 404.
    config: Option<Arc<config::ConfigApi>>,
}

impl AgentApi {
    pub fn new(
        desk: Arc<AgentDesk>,
        auth: Authenticator,
        templates: Arc<TemplateCatalog>,
        teams: Vec<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            desk,
            auth,
            templates,
            teams,
            clock,
            media: None,
            config: None,
        }
    }

    pub fn with_config(mut self, config: Arc<config::ConfigApi>) -> Self {
        self.config = Some(config);
        self
    }

    pub fn with_media(mut self, store: Arc<dyn crate::ports::media::MediaStore>) -> Self {
        self.media = Some(store);
        self
    }

    /// What an agent sees of a message's media: a short-lived link, or why it was not kept.
    async fn media_view(&self, media: Option<&crate::ports::media::MediaRecord>) -> Value {
        let Some(m) = media else {
            return Value::Null;
        };
        let url = match (&self.media, &m.key) {
            (Some(store), Some(key)) => match store.link(key).await {
                Ok(url) => Some(url),
                Err(e) => {
                    warn!(error = %e, "no link for stored media");
                    None
                }
            },
            _ => None,
        };
        json!({ "url": url, "mime_type": m.mime_type, "size": m.size, "refused": m.refused })
    }

    pub async fn handle(&self, req: &ApiRequest<'_>) -> ApiResponse {
        let response = match self.route(req).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        };
        // What the request counted (tickets assigned from the queue, failed sends): one line.
        self.desk.metrics().flush();
        response
    }

    async fn route(&self, req: &ApiRequest<'_>) -> Result<ApiResponse, ApiError> {
        let caller = self
            .auth
            .caller(req.authorization, req.claims)
            .ok_or_else(|| ApiError::new(401, "unauthorized", "a valid token is required"))?;
        if req.body.len() > MAX_BODY {
            return Err(ApiError::new(
                413,
                "too_large",
                format!("the body may have at most {MAX_BODY} bytes"),
            ));
        }
        let segments: Vec<&str> = req
            .path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let query = Query::parse(req.query)?;
        if let Some(r) = self
            .config_route(&caller, req.method, &segments, &query, req.body)
            .await
        {
            return r;
        }
        match (req.method, segments.as_slice()) {
            ("GET", ["me"]) => self.me(&caller).await,
            ("GET", ["tickets"]) => self.list(&caller, &query).await,
            ("GET", ["tickets", id]) => self.detail(&caller, id).await,
            ("POST", ["tickets", id, action]) => {
                let key = idempotency_key(req, &caller, &segments);
                self.act(&caller, id, action, req.body, key).await
            }
            ("PATCH", ["tickets", id]) => {
                let key = idempotency_key(req, &caller, &segments);
                self.act(&caller, id, "update", req.body, key).await
            }
            ("GET", ["agents"]) => self.agents().await,
            ("POST", ["agents"]) => self.add_agent(&caller, req.body).await,
            ("PUT", ["agents", id, "presence"]) => self.presence(&caller, id, req.body).await,
            ("GET", ["templates"]) => Ok(ApiResponse::ok(
                json!({ "templates": self.templates.all() }),
            )),
            ("GET", ["analytics"]) => self.analytics(&caller, &query).await,
            ("PUT", ["customers", wa_id, "consent"]) => {
                self.set_consent(&caller, wa_id, req.body).await
            }
            ("GET", ["customers", wa_id, "export"]) => self.export(&caller, wa_id).await,
            ("DELETE", ["customers", wa_id]) => self.erase(&caller, wa_id).await,
            ("GET", ["audit"]) => self.audit(&caller, &query).await,
            (
                _,
                [
                    "me" | "tickets" | "agents" | "templates" | "analytics" | "customers",
                    ..,
                ],
            ) => Err(ApiError::new(
                405,
                "method_not_allowed",
                format!("{} {} is not supported", req.method, req.path),
            )),
            _ => Err(ApiError::not_found(format!("no route {}", req.path))),
        }
    }

    async fn me(&self, caller: &Caller) -> Result<ApiResponse, ApiError> {
        let profile = self.profile(&caller.agent).await?;
        Ok(ApiResponse::ok(json!({
            "agent": caller.agent,
            "role": caller.role,
            "profile": profile,
        })))
    }

    async fn profile(&self, agent: &str) -> Result<Option<crate::ports::store::Agent>, ApiError> {
        Ok(self
            .desk
            .store()
            .agents()
            .await?
            .into_iter()
            .find(|a| a.id == agent))
    }

    /// The teams an agent works in (none if they have no profile).
    async fn teams_of(&self, caller: &Caller) -> Result<Vec<String>, ApiError> {
        Ok(self
            .profile(&caller.agent)
            .await?
            .map(|p| p.teams)
            .unwrap_or_default())
    }

    fn may_see(caller: &Caller, teams: &[String], ticket: &Ticket) -> bool {
        caller.role.sees_everything()
            || ticket.assignee.as_deref() == Some(caller.agent.as_str())
            || ticket.team.as_ref().is_none_or(|t| teams.contains(t))
            // An agent the ticket moved away from (an escalation, a reassignment) keeps
            // following it; acting is `may_act`'s to allow.
            || ticket.watchers.contains(&caller.agent)
    }

    /// The team a ticket without one belongs to: the team that owns the WhatsApp channel, i.e.
    /// routing's default team (the first of `teams`), which takes whatever the rules do not
    /// send elsewhere. Tickets still with the bot, or resolved by it, have no team yet.
    fn owning_team<'t>(&'t self, ticket: &'t Ticket) -> Option<&'t str> {
        ticket
            .team
            .as_deref()
            .or(self.teams.first().map(String::as_str))
    }

    /// Whether `caller` may change `ticket` (reading is [`may_see`](Self::may_see)): supervisors
    /// any ticket; agents their own tickets and those of their teams, where a ticket without a
    /// team (with the bot, resolved by the bot) is the channel team's. Everyone else reads only.
    fn may_act(&self, caller: &Caller, teams: &[String], ticket: &Ticket) -> Result<(), ApiError> {
        if caller.role.sees_everything()
            || ticket.assignee.as_deref() == Some(caller.agent.as_str())
        {
            return Ok(());
        }
        match self.owning_team(ticket) {
            Some(team) if teams.iter().any(|t| t == team) => Ok(()),
            owner => Err(ApiError::new(
                403,
                "read_only",
                match (&ticket.team, owner) {
                    (None, Some(owner)) => format!(
                        "ticket {} has no team yet: agents of team {owner} (which owns the channel) or a supervisor act on it; you may read it",
                        ticket.id
                    ),
                    _ => format!(
                        "ticket {} belongs to team {}: you may read it, its team or a supervisor act on it",
                        ticket.id,
                        owner.unwrap_or("-")
                    ),
                },
            )),
        }
    }

    async fn visible_ticket(&self, caller: &Caller, id: &str) -> Result<Ticket, ApiError> {
        let id = TicketId::parse(id).map_err(|_| ApiError::not_found(format!("no ticket {id}")))?;
        let ticket = self
            .desk
            .store()
            .ticket(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no ticket {id}")))?;
        let teams = self.teams_of(caller).await?;
        if !Self::may_see(caller, &teams, &ticket) {
            // Not 404: the caller may know the id from a notification; tell them it is not theirs.
            return Err(ApiError::forbidden(format!(
                "ticket {id} belongs to team {} and is not assigned to you",
                ticket.team.as_deref().unwrap_or("-")
            )));
        }
        Ok(ticket)
    }

    async fn list(&self, caller: &Caller, q: &Query) -> Result<ApiResponse, ApiError> {
        q.only(&[
            "status", "team", "assignee", "priority", "sla", "limit", "cursor",
        ])?;
        let statuses = match q.get("status") {
            None => vec![
                TicketStatus::Queued,
                TicketStatus::Assigned,
                TicketStatus::PendingCustomer,
            ],
            Some(list) => list
                .split(',')
                .map(|s| {
                    TicketStatus::parse(s.trim()).ok_or_else(|| {
                        ApiError::field(
                            "status",
                            format!("'{s}' is not one of bot, queued, assigned, pending_customer, resolved, closed"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let priority = q
            .get("priority")
            .map(|p| {
                Priority::parse(p).ok_or_else(|| {
                    ApiError::field("priority", "must be low, normal, high or urgent")
                })
            })
            .transpose()?;
        let sla = q
            .get("sla")
            .map(|s| {
                SlaState::parse(s).ok_or_else(|| {
                    ApiError::field("sla", "must be none, ok, at_risk, breached or was_breached")
                })
            })
            .transpose()?;
        let limit = match q.get("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| ApiError::field("limit", format!("must be 1-{MAX_LIMIT}")))?,
        };
        // One read of the roster serves the caller's teams and every team agents work in.
        let roster = self.desk.store().agents().await?;
        let my_teams: Vec<String> = roster
            .iter()
            .find(|a| a.id == caller.agent)
            .map(|a| a.teams.clone())
            .unwrap_or_default();
        let assignee = q.get("assignee").map(|a| {
            if a == "me" {
                caller.agent.clone()
            } else {
                a.to_owned()
            }
        });
        let team = q.get("team").map(str::to_owned);
        if !caller.role.sees_everything() {
            if let Some(a) = &assignee
                && *a != caller.agent
            {
                return Err(ApiError::forbidden("agents list only their own tickets"));
            }
            if let Some(t) = &team
                && !my_teams.contains(t)
            {
                return Err(ApiError::forbidden(format!("you are not in team {t}")));
            }
        }
        let partitions: Vec<TicketIndex> = match &assignee {
            Some(a) => vec![TicketIndex::Assignee(a.clone())],
            None => {
                let teams: Vec<Option<String>> = match &team {
                    Some(t) => vec![Some(t.clone())],
                    None if caller.role.sees_everything() => {
                        let mut all: Vec<String> = self.teams.clone();
                        for agent in &roster {
                            all.extend(agent.teams.iter().cloned());
                        }
                        // Escalations move tickets to these even when nobody works there yet.
                        all.extend(
                            self.desk
                                .sla()
                                .map(|c| c.escalation_teams())
                                .unwrap_or_default(),
                        );
                        all.sort();
                        all.dedup();
                        all.into_iter().map(Some).chain([None]).collect()
                    }
                    None => my_teams.iter().cloned().map(Some).chain([None]).collect(),
                };
                statuses
                    .iter()
                    .flat_map(|s| {
                        teams.iter().map(|t| TicketIndex::Queue {
                            status: *s,
                            team: t.clone(),
                        })
                    })
                    .collect()
            }
        };
        let (mut part, mut after) = match q.get("cursor") {
            None => (0, None),
            Some(c) => Cursor::decode(c, partitions.len())?,
        };
        let mut tickets = Vec::new();
        let mut queries = 0;
        while part < partitions.len() && tickets.len() < limit as usize && queries < MAX_QUERIES {
            queries += 1;
            let want = limit - u32::try_from(tickets.len()).unwrap_or(0);
            let page = self
                .desk
                .store()
                .list_tickets(&partitions[part], want, after.as_deref())
                .await
                .map_err(|e| match e {
                    StoreError::Rejected(_) => ApiError::field("cursor", "is not valid"),
                    other => other.into(),
                })?;
            tickets.extend(page.tickets.into_iter().filter(|t| {
                statuses.contains(&t.status)
                    && team
                        .as_ref()
                        .is_none_or(|team| t.team.as_ref() == Some(team))
                    && priority.is_none_or(|p| t.priority == Some(p))
                    && sla.is_none_or(|s| t.sla_state() == s)
                    && Self::may_see(caller, &my_teams, t)
            }));
            match page.next {
                Some(next) => after = Some(next),
                None => {
                    part += 1;
                    after = None;
                }
            }
        }
        let next = (part < partitions.len()).then(|| Cursor::encode(part, after.as_deref()));
        let now = self.clock.now();
        let items: Vec<Value> = tickets.iter().map(|t| self.summary(t, now)).collect();
        Ok(ApiResponse::ok(
            json!({ "tickets": items, "next_cursor": next }),
        ))
    }

    fn summary(&self, t: &Ticket, now: Timestamp) -> Value {
        json!({
            "id": t.id.to_string(),
            "status": t.status,
            "priority": t.priority,
            "category": t.category,
            "team": t.team,
            "assignee": t.assignee,
            "customer_name": t.customer_name,
            "customer": mask_phone(t.key.wa_id.as_str()),
            "handoff_reason": t.handoff_reason,
            "sla_state": t.sla_state(),
            "next_due_at": self.next_due(t),
            "service_window_open": service_window_open(t.last_inbound_at, now),
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "last_inbound_at": t.last_inbound_at,
            "csat": t.csat.map(|c| c.score),
            "version": t.version,
        })
    }

    /// The SLA timeline of each clock, as far as the configuration can tell.
    fn sla_clocks(&self, t: &Ticket) -> Vec<Value> {
        let Some(clocks) = &t.sla else {
            return Vec::new();
        };
        let config = self.desk.sla();
        let policy = config.and_then(|c| c.policies.iter().find(|p| p.name == clocks.policy));
        let pauses = clocks.pause_list();
        clocks
            .clocks
            .iter()
            .map(|(target, clock)| {
                let schedule = match (config, policy) {
                    (Some(c), Some(p)) => c
                        .schedule(p, *target, clock.started_at, &pauses)
                        .ok()
                        .flatten(),
                    _ => None,
                };
                let breached = clocks.breaches.iter().any(|b| b.target == *target);
                let state = match (clock.met_at, breached) {
                    (Some(_), false) => "met",
                    (Some(_), true) => "met_late",
                    (None, true) => "breached",
                    (None, false) if clocks.is_paused() => "paused",
                    (None, false) if clock.stage_done >= 1 => "at_risk",
                    (None, false) => "running",
                };
                json!({
                    "target": target.as_str(),
                    "state": state,
                    "started_at": clock.started_at,
                    "met_at": clock.met_at,
                    "warning_at": schedule.as_ref().map(|s| s.warning_at),
                    "due_at": schedule.as_ref().map(|s| s.due_at),
                })
            })
            .collect()
    }

    fn next_due(&self, t: &Ticket) -> Option<Timestamp> {
        self.sla_clocks(t)
            .iter()
            .filter(|c| matches!(c["state"].as_str(), Some("running" | "at_risk")))
            .filter_map(|c| serde_json::from_value::<Timestamp>(c["due_at"].clone()).ok())
            .min()
    }

    async fn detail(&self, caller: &Caller, id: &str) -> Result<ApiResponse, ApiError> {
        let ticket = self.visible_ticket(caller, id).await?;
        let store = self.desk.store();
        let mut messages = Vec::new();
        for m in store.messages(ticket.id).await? {
            messages.push(json!({
                "wamid": m.wamid.as_str(),
                "direction": m.direction,
                "kind": m.kind,
                "text": m.text,
                "media": self.media_view(m.media.as_ref()).await,
                "sent_by": m.sent_by,
                "sent_at": m.sent_at,
                "delivery": m.delivery.as_ref().map(|d| d.state.as_str()),
            }));
        }
        let activity = store.activities(ticket.id).await?;
        let now = self.clock.now();
        let mut body = self.summary(&ticket, now);
        body["customer"] = json!(ticket.key.wa_id.as_str());
        body["window_closes_at"] = json!(
            ticket
                .last_inbound_at
                .saturating_add(jiff::SignedDuration::from_hours(24))
                .ok()
        );
        body["messages"] = json!(messages);
        body["activity"] = json!(activity);
        body["sla"] = json!({
            "policy": ticket.sla.as_ref().map(|s| s.policy.clone()),
            "clocks": self.sla_clocks(&ticket),
            "breaches": ticket.sla.as_ref().map(|s| s.breaches.clone()).unwrap_or_default(),
        });
        Ok(ApiResponse::ok(body))
    }

    async fn act(
        &self,
        caller: &Caller,
        id: &str,
        action: &str,
        body: &[u8],
        idempotency_key: Option<IdempotencyKey<'_>>,
    ) -> Result<ApiResponse, ApiError> {
        let ticket = self.visible_ticket(caller, id).await?;
        if !caller.role.sees_everything() {
            let teams = self.teams_of(caller).await?;
            self.may_act(caller, &teams, &ticket)?;
        }
        let (action, version) = match action {
            "reply" => {
                let b: TextBody = parse_body(body)?;
                (AgentAction::Reply { text: b.text }, b.version)
            }
            "notes" => {
                let b: TextBody = parse_body(body)?;
                (AgentAction::Note { text: b.text }, b.version)
            }
            "template" => {
                let b: TemplateBody = parse_body(body)?;
                let template = self
                    .templates
                    .build(&b.name, &b.language, &b.params)
                    .map_err(|(field, problem)| ApiError::field(field, problem))?;
                (AgentAction::SendTemplate { template }, b.version)
            }
            "assign" => {
                let b: AssignBody = parse_body(body)?;
                if !caller.role.sees_everything() {
                    let to_self = b.agent.as_deref() == Some(caller.agent.as_str());
                    let from_self = b.agent.is_none()
                        && ticket.assignee.as_deref() == Some(caller.agent.as_str());
                    if !(to_self || from_self) {
                        return Err(ApiError::forbidden(
                            "agents take tickets or give their own back; a supervisor assigns others",
                        ));
                    }
                }
                (AgentAction::Assign { agent: b.agent }, b.version)
            }
            "update" => {
                let b: UpdateBody = parse_body(body)?;
                let priority = b
                    .priority
                    .map(|p| {
                        Priority::parse(&p).ok_or_else(|| {
                            ApiError::field("priority", "must be low, normal, high or urgent")
                        })
                    })
                    .transpose()?;
                (
                    AgentAction::Update {
                        priority,
                        category: b.category,
                    },
                    b.version,
                )
            }
            "pending" | "resolve" | "reopen" => {
                let b: VersionBody = if body.is_empty() {
                    VersionBody::default()
                } else {
                    parse_body(body)?
                };
                let action = match action {
                    "pending" => AgentAction::SetPending,
                    "resolve" => AgentAction::Resolve,
                    _ => AgentAction::Reopen,
                };
                (action, b.version)
            }
            other => return Err(ApiError::not_found(format!("no ticket action '{other}'"))),
        };
        let owned_by_other = ticket
            .assignee
            .as_deref()
            .is_some_and(|a| a != caller.agent);
        let works_the_ticket = matches!(
            action,
            AgentAction::Reply { .. }
                | AgentAction::SendTemplate { .. }
                | AgentAction::SetPending
                | AgentAction::Resolve
        );
        if works_the_ticket
            && owned_by_other
            && !caller.role.sees_everything()
            && ticket.status.is_with_agent()
        {
            return Err(ApiError::forbidden(format!(
                "ticket {} is assigned to {}",
                ticket.id,
                ticket.assignee.as_deref().unwrap_or("-")
            )));
        }
        let result = self
            .desk
            .act_once(ticket.id, &caller.agent, &action, version, idempotency_key)
            .await;
        match result {
            Ok(ticket) => {
                let now = self.clock.now();
                Ok(ApiResponse::ok(self.summary(&ticket, now)))
            }
            Err(AgentError::OutsideServiceWindow) => {
                let mut err: ApiError = AgentError::OutsideServiceWindow.into();
                err.extra = Some(("templates", json!(self.templates.all())));
                Err(err)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn agents(&self) -> Result<ApiResponse, ApiError> {
        Ok(ApiResponse::ok(
            json!({ "agents": self.desk.store().agents().await? }),
        ))
    }

    async fn add_agent(&self, caller: &Caller, body: &[u8]) -> Result<ApiResponse, ApiError> {
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins add agents"));
        }
        let b: NewAgentBody = parse_body(body)?;
        let id_ok = (1..=64).contains(&b.id.len())
            && b.id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        if !id_ok {
            return Err(ApiError::field(
                "id",
                "1-64 letters, digits, - or _ (the Cognito username)",
            ));
        }
        if b.name.trim().is_empty() || b.name.chars().count() > 100 {
            return Err(ApiError::field("name", "needs 1-100 characters"));
        }
        if b.teams.is_empty() || b.teams.iter().any(|t| t.trim().is_empty() || t.len() > 40) {
            return Err(ApiError::field(
                "teams",
                "name 1 or more teams of 1-40 characters",
            ));
        }
        let languages = b
            .languages
            .iter()
            .map(|l| match l.as_str() {
                "de" => Ok(crate::domain::bot::Lang::De),
                "en" => Ok(crate::domain::bot::Lang::En),
                other => Err(ApiError::field(
                    "languages",
                    format!("'{other}' is not de or en"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if languages.is_empty() {
            return Err(ApiError::field("languages", "name at least one of de, en"));
        }
        if !(1..=50).contains(&b.capacity) {
            return Err(ApiError::field("capacity", "must be 1-50"));
        }
        if self.profile(&b.id).await?.is_some() {
            return Err(ApiError::new(
                409,
                "exists",
                format!("agent {} exists", b.id),
            ));
        }
        let agent = crate::ports::store::Agent {
            id: b.id,
            name: b.name.trim().to_owned(),
            teams: b.teams,
            languages,
            capacity: b.capacity,
            load: 0,
            online: false,
            last_assigned_at: None,
        };
        self.desk.store().add_agent(&agent).await?;
        Ok(ApiResponse {
            status: 201,
            body: json!(agent),
        })
    }

    async fn presence(
        &self,
        caller: &Caller,
        id: &str,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        let b: PresenceBody = parse_body(body)?;
        if b.online.is_none() && b.capacity.is_none() {
            return Err(ApiError::field("online", "name online and/or capacity"));
        }
        if !caller.role.sees_everything() {
            if id != caller.agent {
                return Err(ApiError::forbidden("agents set only their own presence"));
            }
            if b.capacity.is_some() {
                return Err(ApiError::forbidden("a supervisor sets capacities"));
            }
        }
        if let Some(c) = b.capacity
            && c > 50
        {
            return Err(ApiError::field("capacity", "must be 0-50"));
        }
        let mut agent = self
            .desk
            .store()
            .set_presence(id, b.online, b.capacity)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no agent {id}")))?;
        // Online with free slots: queued tickets of the agent's teams come to them now.
        if agent.has_room()
            && !self.desk.refill(id, None).await.is_empty()
            && let Some(now) = self
                .desk
                .store()
                .agents()
                .await?
                .into_iter()
                .find(|a| a.id == id)
        {
            agent = now;
        }
        Ok(ApiResponse::ok(json!(agent)))
    }

    fn customer_id(wa_id: &str) -> Result<crate::domain::ids::WaId, ApiError> {
        crate::domain::ids::WaId::parse(wa_id)
            .map_err(|e| ApiError::field("wa_id", format!("is not a WhatsApp id: {e}")))
    }

    fn privacy(&self) -> crate::app::privacy::Privacy {
        crate::app::privacy::Privacy::new(self.desk.store().clone(), self.media.clone())
            .with_clock(self.clock.clone())
    }

    async fn set_consent(
        &self,
        caller: &Caller,
        wa_id: &str,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        if !caller.role.sees_everything() {
            return Err(ApiError::forbidden("a supervisor records consent"));
        }
        let wa_id = Self::customer_id(wa_id)?;
        let b: ConsentBody = parse_body(body)?;
        let source = b.source.trim();
        if source.is_empty() || source.chars().count() > 64 {
            return Err(ApiError::field(
                "source",
                "say where the consent came from (1-64 characters, e.g. web_form)",
            ));
        }
        let consent = crate::domain::consent::Consent {
            opted_in: b.opted_in,
            at: self.clock.now(),
            source: format!("{source} (recorded by {})", caller.agent),
        };
        self.desk.store().set_consent(&wa_id, &consent).await?;
        Ok(ApiResponse::ok(json!(consent)))
    }

    async fn export(&self, caller: &Caller, wa_id: &str) -> Result<ApiResponse, ApiError> {
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins answer data requests"));
        }
        let wa_id = Self::customer_id(wa_id)?;
        let export = self
            .privacy()
            .export(&wa_id, &caller.agent)
            .await
            .map_err(privacy_error)?;
        Ok(ApiResponse::ok(export))
    }

    async fn erase(&self, caller: &Caller, wa_id: &str) -> Result<ApiResponse, ApiError> {
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins erase customer data"));
        }
        let wa_id = Self::customer_id(wa_id)?;
        let erased = self
            .privacy()
            .erase(&wa_id, &caller.agent)
            .await
            .map_err(privacy_error)?;
        Ok(ApiResponse::ok(json!(erased)))
    }

    /// The data-request audit: who exported or erased which customer (by digest), per UTC day.
    async fn audit(&self, caller: &Caller, q: &Query) -> Result<ApiResponse, ApiError> {
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins read the data-request audit"));
        }
        q.only(&["from", "to", "wa_id"])?;
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let date = |field: &str| match q.get(field) {
            None => Ok(today),
            Some(v) => v
                .parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::field(field, format!("'{v}' is not a date (YYYY-MM-DD)"))),
        };
        let (from, to) = (date("from")?, date("to")?);
        if to < from {
            return Err(ApiError::field("to", "is before from"));
        }
        let days: Vec<String> = from
            .series(jiff::ToSpan::days(1))
            .take_while(|d| *d <= to)
            .take(MAX_AUDIT_DAYS + 1)
            .map(|d| d.to_string())
            .collect();
        if days.len() > MAX_AUDIT_DAYS {
            return Err(ApiError::field(
                "to",
                format!("the audit is read at most {MAX_AUDIT_DAYS} days at a time"),
            ));
        }
        let customer = q.get("wa_id").map(Self::customer_id).transpose()?;
        let records = self
            .privacy()
            .audit_log(&days, customer.as_ref())
            .await
            .map_err(privacy_error)?;
        Ok(ApiResponse::ok(json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "customer": customer.map(|c| c.digest()),
            "records": records,
        })))
    }

    async fn analytics(&self, caller: &Caller, q: &Query) -> Result<ApiResponse, ApiError> {
        q.only(&["from", "to", "scope"])?;
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let week_ago = today
            .checked_sub(jiff::ToSpan::days(6))
            .unwrap_or(today)
            .to_string();
        let today = today.to_string();
        let own = format!("agent:{}", caller.agent);
        let scope = q.get("scope").unwrap_or(if caller.role.sees_everything() {
            "all"
        } else {
            &own
        });
        if !caller.role.sees_everything() && scope != own {
            return Err(ApiError::forbidden(
                "agents see their own figures; supervisors see all",
            ));
        }
        let query = ReportQuery::new(
            q.get("from").unwrap_or(&week_ago),
            q.get("to").unwrap_or(&today),
            scope,
        )?;
        let report = analytics::report(self.desk.store().as_ref(), &query).await?;
        Ok(ApiResponse::ok(json!(report)))
    }
}

fn privacy_error(e: crate::app::privacy::PrivacyError) -> ApiError {
    match e {
        crate::app::privacy::PrivacyError::Store(s) => s.into(),
        crate::app::privacy::PrivacyError::Media(m) => {
            warn!(error = %m, "media store failed during a data request");
            ApiError::new(
                503,
                "unavailable",
                "the media store failed; repeat the request",
            )
        }
    }
}

/// The request's `Idempotency-Key` with a SHA-256 of who sent what: caller, method, path and
/// body (JSON read and written back, so spacing and key order do not make another request).
fn idempotency_key<'a>(
    req: &ApiRequest<'a>,
    caller: &Caller,
    segments: &[&str],
) -> Option<IdempotencyKey<'a>> {
    use sha2::Digest;
    let key = req.idempotency_key?;
    let body = match serde_json::from_slice::<Value>(req.body) {
        Ok(json) => json.to_string().into_bytes(),
        Err(_) => req.body.to_vec(),
    };
    let mut digest = sha2::Sha256::new();
    for part in [
        caller.agent.as_bytes(),
        req.method.as_bytes(),
        segments.join("/").as_bytes(),
        &body,
    ] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    Some(IdempotencyKey {
        key,
        request: digest.finalize().into(),
    })
}

/// `+49******5678`: enough to tell customers apart in a list.
pub fn mask_phone(wa_id: &str) -> String {
    let n = wa_id.chars().count();
    if n <= 6 {
        return "*".repeat(n);
    }
    let masked: String = wa_id
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 2 || i >= n - 4 { c } else { '*' })
        .collect();
    format!("+{masked}")
}

/// A query string, parsed once; a repeated key is refused.
struct Query(BTreeMap<String, String>);

impl Query {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::field(&k, "is given twice"));
            }
        }
        Ok(Self(map))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::field(
                k,
                format!("is not a known parameter ({})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }
}

/// Where a listing continues: partition index and the store's position in it.
struct Cursor;

impl Cursor {
    fn encode(part: usize, after: Option<&str>) -> String {
        hex::encode(json!({ "p": part, "a": after }).to_string())
    }

    fn decode(raw: &str, partitions: usize) -> Result<(usize, Option<String>), ApiError> {
        let invalid = || ApiError::field("cursor", "is not a cursor this listing gave out");
        let bytes = hex::decode(raw).map_err(|_| invalid())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let part = v["p"]
            .as_u64()
            .and_then(|p| usize::try_from(p).ok())
            .filter(|p| *p < partitions)
            .ok_or_else(invalid)?;
        let after = match &v["a"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(invalid()),
        };
        Ok((part, after))
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        // serde names the field in messages such as "missing field `text`".
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("missing field")
                    || message.starts_with("unknown field")
                    || message.starts_with("duplicate field")
            })
            .unwrap_or("body");
        let mut err = ApiError::new(400, "invalid_request", format!("the JSON body: {message}"));
        err.fields.insert(field.to_owned(), message);
        err
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextBody {
    text: String,
    version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: String,
    language: String,
    #[serde(default)]
    params: Vec<String>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    agent: Option<String>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    priority: Option<String>,
    category: Option<String>,
    version: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionBody {
    version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgentBody {
    id: String,
    name: String,
    teams: Vec<String>,
    languages: Vec<String>,
    capacity: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    opted_in: bool,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceBody {
    online: Option<bool>,
    capacity: Option<u32>,
}

#[cfg(test)]
mod tests;
