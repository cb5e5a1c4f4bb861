//! Canned responses as an agent sees them: those of their own, their teams' and everyone's
//! (`GET /canned`), rendered for a ticket (`?ticket=`) with the variables that had no value
//! named, so the console flags them before anything is sent. The list itself is the versioned
//! configuration document `canned_responses` (README "Configuration as data"); a reply that
//! still carries a variable is refused in `tickets` (`unfilled_variable`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::AgentApi;
use super::owned_docs::{Owned, new_owned_id, version_param};
use super::router::{ApiError, ApiResponse, Call};
use crate::domain::canned::{CannedResponse, CannedResponses, CannedScope, shortcut_clash};
use crate::platform::live_config::LiveConfig;
use crate::ports::store::{OwnedKind, agent_owner};

/// Where the API reads the canned responses.
pub(super) enum CannedSource {
    /// A fixed list (tests, a function without the config table).
    Fixed(Arc<CannedResponses>),
    /// The published document, re-checked at most every interval.
    Live(Arc<LiveConfig<CannedResponses>>),
}

impl CannedSource {
    pub(super) async fn current(&self) -> Arc<CannedResponses> {
        match self {
            Self::Fixed(c) => c.clone(),
            Self::Live(live) => live.get().await,
        }
    }
}

/// `GET /canned`.
#[derive(Debug, Serialize)]
pub struct CannedList {
    /// The ticket the texts were rendered for, if one was given.
    pub ticket: Option<String>,
    /// The ticket's language, if known (the console prefers responses in it).
    pub language: Option<&'static str>,
    pub responses: Vec<CannedView>,
}

/// One canned response, rendered.
#[derive(Debug, Serialize)]
pub struct CannedView {
    pub id: String,
    pub title: String,
    pub scope: CannedScope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    /// The text as stored, with its `{{variables}}`.
    pub template: String,
    /// The text with what is known filled in.
    pub text: String,
    /// Variables of the text without a value: still in `text`, to be filled by hand.
    pub missing: Vec<&'static str>,
    /// An agent's own response (kept with `POST/PUT/DELETE /canned`): its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl AgentApi {
    /// `GET /canned?ticket=`: what the caller may insert, their own first, then their teams',
    /// then everyone's (a `/shortcut` offers them in this order); with `ticket`, rendered for
    /// that ticket (which the caller must see).
    pub(super) async fn canned(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        call.query.only(&["ticket"])?;
        let profile = self.profile(&call.caller.agent).await?;
        let teams = profile
            .as_ref()
            .map(|p| p.teams.clone())
            .unwrap_or_default();
        let agent_name = profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
        let ticket = match call.query.get("ticket") {
            Some(id) => Some(self.visible_ticket(&call.caller, id).await?),
            None => None,
        };
        let ticket_id = ticket
            .as_ref()
            .map(|t| t.id.to_string())
            .unwrap_or_default();
        let customer_name = ticket
            .as_ref()
            .and_then(|t| t.customer_name.clone())
            .unwrap_or_default();
        let bot = ticket.as_ref().and_then(|t| t.bot.as_ref());
        let order_id = bot.and_then(|b| b.order_id.clone()).unwrap_or_default();
        let language = bot.and_then(|b| b.language).map(|l| l.code());
        let values = [
            ("agent_name", agent_name.as_str()),
            ("company", self.company.as_deref().unwrap_or("")),
            ("customer_name", customer_name.as_str()),
            ("ticket_id", ticket_id.as_str()),
            ("order_id", order_id.as_str()),
        ];
        let catalog = self.canned.current().await;
        let own = self.own_canned(&call.caller.agent).await?;
        let mut shared = catalog.visible_to(&call.caller.agent, &teams);
        // Personal (from the document too), then team, then global.
        shared.sort_by_key(|r| match r.scope {
            CannedScope::Personal => 0,
            CannedScope::Team => 1,
            CannedScope::Global => 2,
        });
        let responses = own
            .iter()
            .map(|o| (&o.body, Some(o.doc.version)))
            .chain(shared.into_iter().map(|r| (r, None)))
            .map(|(r, version)| {
                let (text, missing) = r.render_checked(&values);
                CannedView {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    scope: r.scope,
                    team: r.team.clone(),
                    language: r.language.clone(),
                    shortcut: r.shortcut.clone(),
                    template: r.text.clone(),
                    text,
                    missing,
                    version,
                }
            })
            .collect();
        ApiResponse::ok(CannedList {
            ticket: ticket.map(|t| t.id.to_string()),
            language,
            responses,
        })
    }
}

/// `POST /canned` and `PUT /canned/{id}`: an agent's own response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonalCanned {
    title: String,
    #[serde(default)]
    shortcut: Option<String>,
    #[serde(default)]
    language: Option<String>,
    text: String,
    /// The version read (an edit).
    #[serde(default)]
    version: Option<u64>,
}

impl AgentApi {
    /// The caller's own responses (stored per agent, `OWNED#canned#agent:<id>`), by title.
    async fn own_canned(&self, agent: &str) -> Result<Vec<Owned<CannedResponse>>, ApiError> {
        let mut own = self
            .owned::<CannedResponse>(OwnedKind::Canned, &agent_owner(agent))
            .await?;
        own.sort_by(|a, b| a.body.title.cmp(&b.body.title));
        Ok(own)
    }

    /// The response `req` asks for as `id` of `agent`, checked like the configuration
    /// document's (variables, lengths, shortcut), its shortcut unique among the agent's own.
    fn checked_canned(
        agent: &str,
        id: &str,
        req: PersonalCanned,
        own: &[Owned<CannedResponse>],
    ) -> Result<CannedResponse, ApiError> {
        let response = CannedResponse {
            id: id.to_owned(),
            title: req.title.trim().to_owned(),
            scope: CannedScope::Personal,
            team: None,
            owner: Some(agent.to_owned()),
            language: req.language.filter(|l| !l.trim().is_empty()),
            shortcut: req.shortcut.filter(|s| !s.trim().is_empty()),
            text: req.text,
        };
        response
            .check()
            .map_err(|(field, problem)| ApiError::field(field, problem))?;
        if own
            .iter()
            .any(|o| o.doc.id != id && shortcut_clash(&o.body, &response))
        {
            return Err(ApiError::field(
                "shortcut",
                "another of your responses has this shortcut (for this language)",
            ));
        }
        Ok(response)
    }

    fn own_view(response: CannedResponse, version: u64) -> CannedView {
        CannedView {
            id: response.id,
            title: response.title,
            scope: response.scope,
            team: None,
            language: response.language,
            shortcut: response.shortcut,
            template: response.text.clone(),
            text: response.text,
            missing: Vec::new(),
            version: Some(version),
        }
    }

    /// `POST /canned`: a personal response (once per `Idempotency-Key`).
    pub(super) async fn create_canned(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let req: PersonalCanned = call.body()?;
        if req.version.is_some() {
            return Err(ApiError::field("version", "a new response has no version"));
        }
        let agent = &call.caller.agent;
        let own = self.own_canned(agent).await?;
        let id = new_owned_id(call, OwnedKind::Canned);
        let response = Self::checked_canned(agent, &id, req, &own)?;
        let doc = self
            .create_owned(
                call,
                (OwnedKind::Canned, &agent_owner(agent), id),
                own.len(),
                &response,
            )
            .await?;
        ApiResponse::created(Self::own_view(response, doc.version))
    }

    /// `PUT /canned/{id}`: edits one of the caller's own responses at the version read.
    pub(super) async fn edit_canned(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let req: PersonalCanned = call.body()?;
        let version = req
            .version
            .ok_or_else(|| ApiError::field("version", "is required: the version you read"))?;
        let agent = &call.caller.agent;
        let own = self.own_canned(agent).await?;
        let current = own
            .iter()
            .find(|o| o.doc.id == id)
            .ok_or_else(|| ApiError::not_found(format!("you have no canned response {id}")))?;
        let response = Self::checked_canned(agent, id, req, &own)?;
        let doc = self
            .update_owned(call, &current.doc, version, &response)
            .await?;
        ApiResponse::ok(Self::own_view(response, doc.version))
    }

    /// `DELETE /canned/{id}?version=`: one of the caller's own responses.
    pub(super) async fn delete_canned(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let version = version_param(call)?;
        let own = self.own_canned(&call.caller.agent).await?;
        let current = own
            .iter()
            .find(|o| o.doc.id == id)
            .ok_or_else(|| ApiError::not_found(format!("you have no canned response {id}")))?;
        self.delete_owned(&current.doc, version).await?;
        ApiResponse::ok(serde_json::json!({ "deleted": id }))
    }
}
