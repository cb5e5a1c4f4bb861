//! Agents: who is calling, the roster, adding an agent, presence and capacity.

use serde::{Deserialize, Serialize};

use super::router::{ApiError, ApiResponse, Call};
use super::{AgentApi, Caller, Role};
use crate::domain::bot::Lang;
use crate::ports::store::Agent;

/// `GET /me`.
#[derive(Debug, Serialize)]
pub struct Me<'a> {
    pub agent: &'a str,
    pub role: Role,
    /// The caller's roster entry; `null` for a caller the roster does not know (an admin).
    pub profile: Option<Agent>,
}

/// `GET /agents`.
#[derive(Debug, Serialize)]
pub struct AgentList {
    pub agents: Vec<Agent>,
}

impl AgentApi {
    /// `GET /me`.
    pub(super) async fn me(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        ApiResponse::ok(Me {
            agent: &caller.agent,
            role: caller.role,
            profile: self.profile(&caller.agent).await?,
        })
    }

    pub(super) async fn profile(&self, agent: &str) -> Result<Option<Agent>, ApiError> {
        Ok(self
            .desk
            .store()
            .agents()
            .await?
            .into_iter()
            .find(|a| a.id == agent))
    }

    /// The teams an agent works in (none if they have no profile).
    pub(super) async fn teams_of(&self, caller: &Caller) -> Result<Vec<String>, ApiError> {
        Ok(self
            .profile(&caller.agent)
            .await?
            .map(|p| p.teams)
            .unwrap_or_default())
    }

    /// `GET /agents`.
    pub(super) async fn agents(&self) -> Result<ApiResponse, ApiError> {
        ApiResponse::ok(AgentList {
            agents: self.desk.store().agents().await?,
        })
    }

    /// `PUT /agents/{id}/presence`: agents go on- and offline; supervisors set capacities.
    pub(super) async fn presence(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        let b: PresenceBody = call.body()?;
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
            && let Some(now) = self.profile(id).await?
        {
            agent = now;
        }
        ApiResponse::ok(agent)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAgentBody {
    id: String,
    name: String,
    teams: Vec<String>,
    languages: Vec<String>,
    capacity: u32,
}

impl NewAgentBody {
    /// The agent the body describes, every field checked.
    pub(super) fn into_agent(self) -> Result<Agent, ApiError> {
        let id_ok = (1..=64).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        if !id_ok {
            return Err(ApiError::field(
                "id",
                "1-64 letters, digits, - or _ (the Cognito username)",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(ApiError::field("name", "needs 1-100 characters"));
        }
        if self.teams.is_empty()
            || self
                .teams
                .iter()
                .any(|t| t.trim().is_empty() || t.len() > 40)
        {
            return Err(ApiError::field(
                "teams",
                "name 1 or more teams of 1-40 characters",
            ));
        }
        let languages = self
            .languages
            .iter()
            .map(|l| match l.as_str() {
                "de" => Ok(Lang::De),
                "en" => Ok(Lang::En),
                other => Err(ApiError::field(
                    "languages",
                    format!("'{other}' is not de or en"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if languages.is_empty() {
            return Err(ApiError::field("languages", "name at least one of de, en"));
        }
        if !(1..=50).contains(&self.capacity) {
            return Err(ApiError::field("capacity", "must be 1-50"));
        }
        Ok(Agent {
            name: self.name.trim().to_owned(),
            id: self.id,
            teams: self.teams,
            languages,
            capacity: self.capacity,
            load: 0,
            online: false,
            last_assigned_at: None,
            deactivated_at: None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceBody {
    online: Option<bool>,
    capacity: Option<u32>,
}
