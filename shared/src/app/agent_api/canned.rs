//! Canned responses as an agent sees them: those of their own, their teams' and everyone's
//! (`GET /canned`), rendered for a ticket (`?ticket=`) with the variables that had no value
//! named, so the console flags them before anything is sent. The list itself is the versioned
//! configuration document `canned_responses` (README "Configuration as data"); a reply that
//! still carries a variable is refused in `tickets` (`unfilled_variable`).

use std::sync::Arc;

use serde::Serialize;

use super::AgentApi;
use super::router::{ApiError, ApiResponse, Call};
use crate::domain::canned::{CannedResponses, CannedScope};
use crate::platform::live_config::LiveConfig;

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
}

impl AgentApi {
    /// `GET /canned?ticket=`: what the caller may insert, global first, then team, then
    /// personal; with `ticket`, rendered for that ticket (which the caller must see).
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
        let responses = catalog
            .visible_to(&call.caller.agent, &teams)
            .into_iter()
            .map(|r| {
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
