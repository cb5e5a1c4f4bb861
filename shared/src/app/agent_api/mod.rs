//! The agent API (JSON over HTTP): what agents and supervisors do with tickets, independent of
//! the HTTP framework. The `agent-api` Lambda (API Gateway HttpApi) and the local runner (axum)
//! translate their requests into [`ApiRequest`] and send back [`ApiResponse`].
//!
//! Routes (every one authenticated; see `auth`):
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/me` | everyone |
//! | GET | `/tickets?status=&team=&assignee=&priority=&sla=&tag=&limit=&cursor=` | agents: own teams; supervisors: all |
//! | GET | `/tickets/{id}` | whoever may see it, and agents it moved away from (`watchers`) |
//! | GET | `/changes?since=&ticket=` | everyone (a ticket: whoever may see it); see `changes` |
//! | POST | `/tickets/{id}/read` | marks the customer's message read + typing (once; not for the bot's) |
//! | POST | `/tickets/{id}/reply` `{text, quote?, version?}` or `{attachment, caption?, version?}` | agents: see `may_act` (README: Roles) |
//! | POST | `/tickets/{id}/attachments` `{file_name, content_type, size}` | as reply: WhatsApp's limits checked (422), a presigned upload URL and the key |
//! | POST | `/tickets/{id}/template` `{name, language, params, version?}` | |
//! | POST | `/tickets/{id}/notes` `{text, version?}` | |
//! | POST | `/tickets/{id}/assign` `{agent: id or null, version?}` | agents: to or from themselves (a colleague's within its team: they are told) |
//! | PATCH | `/tickets/{id}` `{priority?, category?, version?}` | |
//! | POST | `/tickets/{id}/pending`, `/resolve`, `/reopen` `{version?}` | |
//! | POST | `/tickets/{id}/tag`, `/untag` `{tag, version?}` | like notes: the ticket's team |
//! | GET | `/views` | everyone: own and own teams' saved views, each with its count |
//! | POST | `/views` `{name, scope, team?, filter}`; PUT `/views/{id}` `{name, filter, version}`; DELETE `/views/{id}?version=` | own; team views: supervisors of the team, admins |
//! | GET | `/agents` | everyone |
//! | POST | `/agents` `{id, name, teams, languages, capacity}` | admins |
//! | PUT | `/agents/{id}/presence` `{online?, capacity?}` | agents: own presence; supervisors: capacity |
//! | GET | `/templates?all=` | everyone: approved ones; supervisors: `all=1` every status (see `templates`) |
//! | POST | `/templates/sync` | supervisors |
//! | POST | `/templates` `{name, language, category, body, examples}` | admins (submitted to Meta) |
//! | GET | `/canned?ticket=` | everyone: own, own teams' and global responses, rendered for the ticket |
//! | POST | `/canned` `{title, shortcut?, language?, text}`; PUT `/canned/{id}` `{..., version}`; DELETE `/canned/{id}?version=` | everyone: their personal responses |
//! | GET | `/tickets/export.csv?<queue filters>&from=&to=&phone=` | supervisors, admins (`phone=full`: admins) |
//! | GET | `/analytics?from=&to=&scope=` | supervisors; agents for `agent:<self>` |
//! | GET | `/search?q=&limit=` | everyone: customers by number/name, tickets by id/order number, as `may_see` allows (see `search`) |
//! | GET | `/customers/{wa_id}`, `/customers/{wa_id}/history?cursor=&limit=` | whoever may see one of the customer's tickets (see `customer_profile`) |
//! | PATCH | `/customers/{wa_id}` `{version, name?, language?, tier?, email?, fields?}` | the same |
//! | PUT/DELETE | `/customers/{wa_id}/tags/{tag}` | the same |
//! | GET | `/analytics/export.csv?from=&to=&scope=` | supervisors, admins (a row per day, at most 366) |
//! | PUT | `/customers/{wa_id}/consent` `{opted_in, source}` | supervisors |
//! | GET | `/customers/{wa_id}/export` | admins (GDPR access request) |
//! | DELETE | `/customers/{wa_id}` | admins (GDPR erasure; says what remains where, until when) |
//! | GET | `/audit?from=&to=&wa_id=` | admins (who exported or erased whom, and configuration changes; days UTC, at most 31) |
//! | GET/PUT/POST | `/config/...` | the admin area: see `config` |
//!
//! Errors: `{"error": code, "message": text, "fields": {field: problem}}` with 400 (bad input),
//! 401, 403 (`forbidden`, `read_only`), 404, 405, 409 (version conflict, agent unavailable), 413,
//! 422 (outside the 24 h window: the body lists the templates; `idempotency_key_reused`;
//! `unfilled_variable`: a reply still carries a canned response's `{{variable}}`), 503
//! (try again; with the same `Idempotency-Key` to finish a stored change).
//!
//! Files: `router` (the route table, request checks, refusals as HTTP), one file per resource
//! with its handlers and typed answers (`tickets`, `views` for what a ticket looks like,
//! `agents`, `customers` with the data-request audit, `customer_profile` (the customer view, edits,
//! tags), `search`, `analytics`), `desk` (ticket changes)
//! and `auth`. A new endpoint is one handler in its resource's file and one route line.

mod admin_agents;
mod agents;
mod analytics;
mod attachments;
pub mod auth;
mod canned;
mod changes;
pub mod config;
mod customer_profile;
mod customers;
pub mod desk;
pub mod export;
mod owned_docs;
mod router;
mod saved_views;
mod search;
mod templates;
mod tickets;
mod views;

use std::sync::Arc;

use crate::app::agent_api::desk::AgentDesk;
use crate::app::agent_handoff::RoutingConfig;
use crate::domain::canned::CannedResponses;
use crate::domain::templates::TemplateCatalog;
use crate::platform::live_config::{ConfigSource, LiveConfig};
use crate::ports::clock::Clock;
use crate::ports::media::MediaStore;

pub use agents::{AgentList, Me};
pub use auth::{Authenticator, Caller, Role};
pub use canned::{CannedList, CannedView};
pub use customers::AuditLog;
pub use router::{ApiError, ApiRequest, ApiResponse, ErrorExtra, MAX_BODY};
pub use templates::{TemplateList, TemplateView};
pub use tickets::TicketList;
pub use views::{MediaView, MessageView, SlaClockView, SlaView, TicketDetail, TicketSummary};

pub struct AgentApi {
    desk: Arc<AgentDesk>,
    auth: Authenticator,
    /// The templates agents may send: the published catalogue when live.
    templates: ConfigSource<TemplateCatalog>,
    /// Sync with Meta and submissions (`None`: those routes answer 503).
    template_sync: Option<Arc<crate::app::templates::TemplateSync>>,
    /// The routing whose teams are the queues to list besides the agents' own teams (its
    /// default team owns the channel): the published document when live.
    routing: RoutingTeams,
    clock: Arc<dyn Clock>,
    /// Where customers' media are kept: the detail links to them.
    media: Option<Arc<dyn MediaStore>>,
    /// The canned responses agents insert (`GET /canned`).
    canned: canned::CannedSource,
    /// What `{{company}}` in a canned response becomes.
    company: Option<String>,
    /// The admin area (configuration documents); `None`: its routes answer 404.
    config: Option<Arc<config::ConfigApi>>,
    /// Sign-in accounts (see `admin_agents`).
    identity: Option<Arc<dyn crate::ports::identity::Identity>>,
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
            templates: templates.into(),
            template_sync: None,
            routing: RoutingTeams::Fixed(teams),
            clock,
            media: None,
            canned: canned::CannedSource::Fixed(Arc::new(CannedResponses::default_catalog())),
            company: None,
            config: None,
            identity: None,
        }
    }

    /// The teams from the routing document (published versions apply without a restart)
    /// instead of the fixed list given to [`new`](Self::new).
    pub fn with_routing(mut self, routing: ConfigSource<RoutingConfig>) -> Self {
        self.routing = RoutingTeams::Routing(routing);
        self
    }

    /// The teams the routing knows, the default (channel-owning) team first, as published now
    /// (checked at most every interval).
    async fn routing_teams(&self) -> Vec<String> {
        match &self.routing {
            RoutingTeams::Fixed(teams) => teams.clone(),
            RoutingTeams::Routing(source) => source.current().await.teams(),
        }
    }

    /// [`routing_teams`](Self::routing_teams) as of the last check, without I/O.
    fn routing_teams_cached(&self) -> Vec<String> {
        match &self.routing {
            RoutingTeams::Fixed(teams) => teams.clone(),
            RoutingTeams::Routing(source) => source.cached().teams(),
        }
    }

    /// Canned responses from a fixed list instead of the shipped catalogue.
    pub fn with_canned(mut self, canned: Arc<CannedResponses>) -> Self {
        self.canned = canned::CannedSource::Fixed(canned);
        self
    }

    /// Canned responses from the published configuration document.
    pub fn with_live_canned(mut self, canned: Arc<LiveConfig<CannedResponses>>) -> Self {
        self.canned = canned::CannedSource::Live(canned);
        self
    }

    /// The company name `{{company}}` stands for (the bot configuration's `company`).
    pub fn with_company(mut self, company: &str) -> Self {
        let company = company.trim();
        self.company = (!company.is_empty()).then(|| company.to_owned());
        self
    }

    /// Templates from the published catalogue (checked like the other live configuration).
    pub fn with_live_templates(mut self, templates: Arc<LiveConfig<TemplateCatalog>>) -> Self {
        self.templates = ConfigSource::Live(templates);
        self
    }

    pub fn with_template_sync(mut self, sync: Arc<crate::app::templates::TemplateSync>) -> Self {
        self.template_sync = Some(sync);
        self
    }

    pub fn with_config(mut self, config: Arc<config::ConfigApi>) -> Self {
        self.config = Some(config);
        self
    }

    pub fn with_media(mut self, store: Arc<dyn MediaStore>) -> Self {
        self.media = Some(store);
        self
    }
}

/// Where the agent API reads the routing's teams.
enum RoutingTeams {
    Fixed(Vec<String>),
    Routing(ConfigSource<RoutingConfig>),
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

#[cfg(test)]
mod customer_api_tests;
#[cfg(test)]
mod quote_api_tests;

#[cfg(test)]
mod attachment_api_tests;

#[cfg(test)]
mod canned_api_tests;

#[cfg(test)]
mod saved_view_api_tests;

#[cfg(test)]
mod tag_api_tests;

#[cfg(test)]
mod assignment_api_tests;

#[cfg(test)]
mod idempotency_api_tests;

#[cfg(test)]
mod privacy_api_tests;
#[cfg(test)]
mod tests;
