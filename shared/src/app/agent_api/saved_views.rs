//! Saved views: a queue filter (status, team, assignee, priority, SLA state, tag) under a name,
//! personal or a team's, listed with how many tickets it holds now. Agents keep their own;
//! supervisors and admins keep their teams' (admins any team's). Stored as owned documents
//! (`OWNED#view#<owner>`), versioned: a stale edit or delete is a 409.
//!
//! The count is the view's own listing (the same indexes `GET /tickets` reads: a tag's index
//! items, an agent's tickets, or the status × team queues), stopped at [`COUNT_CAP`] tickets:
//! one to a few index queries per view, each reading at most 100 items; past the cap the answer
//! says `count_more`.

use serde::{Deserialize, Serialize};

use super::owned_docs::{Owned, new_owned_id, version_param};
use super::router::{ApiError, ApiResponse, Call};
use super::tickets::QueueFilter;
use super::{AgentApi, Caller};
use crate::domain::agent::Role;
use crate::ports::store::{OwnedDoc, OwnedKind, agent_owner, team_owner};

/// Counts stop here (the sidebar shows "100+").
pub const COUNT_CAP: u32 = 100;
const MAX_NAME: usize = 40;

/// Whose a view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewScope {
    Personal,
    Team,
}

/// What is stored of a view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewBody {
    name: String,
    filter: QueueFilter,
}

/// `POST /views` and `PUT /views/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewRequest {
    name: String,
    #[serde(default = "personal")]
    scope: ViewScope,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    filter: QueueFilter,
    /// The version read (an edit).
    #[serde(default)]
    version: Option<u64>,
}

fn personal() -> ViewScope {
    ViewScope::Personal
}

/// A view as the API shows it.
#[derive(Debug, Serialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    pub scope: ViewScope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub filter: QueueFilter,
    pub version: u64,
    pub updated_by: String,
    pub updated_at: jiff::Timestamp,
    /// Tickets the view holds now (up to [`COUNT_CAP`]); `null` if the caller cannot list it.
    pub count: Option<u32>,
    /// More than `count` tickets.
    pub count_more: bool,
}

/// `GET /views`.
#[derive(Debug, Serialize)]
pub struct ViewList {
    pub views: Vec<SavedView>,
}

impl AgentApi {
    /// The owners whose views `caller` sees: themselves, then their teams (admins: every team).
    async fn view_owners(&self, caller: &Caller) -> Result<Vec<(ViewScope, String)>, ApiError> {
        let mut teams = self.teams_of(caller).await?;
        if caller.role == Role::Admin {
            teams.extend(self.routing_teams().await);
            teams.sort();
            teams.dedup();
        }
        Ok(
            std::iter::once((ViewScope::Personal, agent_owner(&caller.agent)))
                .chain(teams.iter().map(|t| (ViewScope::Team, team_owner(t))))
                .collect(),
        )
    }

    /// The view `id` among those `caller` sees, with its scope.
    async fn find_view(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(ViewScope, Owned<ViewBody>), ApiError> {
        for (scope, owner) in self.view_owners(caller).await? {
            if let Some(found) = self
                .owned::<ViewBody>(OwnedKind::View, &owner)
                .await?
                .into_iter()
                .find(|v| v.doc.id == id)
            {
                return Ok((scope, found));
            }
        }
        Err(ApiError::not_found(format!("no view {id}")))
    }

    /// `GET /views`: the caller's views and their teams', each with its count.
    pub(super) async fn saved_views(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        call.query.only(&[])?;
        let mut views = Vec::new();
        for (scope, owner) in self.view_owners(&call.caller).await? {
            let mut owned = self.owned::<ViewBody>(OwnedKind::View, &owner).await?;
            owned.sort_by_key(|v| v.body.name.to_lowercase());
            for v in owned {
                views.push(
                    self.view_with_count(&call.caller, scope, v.doc, v.body)
                        .await?,
                );
            }
        }
        ApiResponse::ok(ViewList { views })
    }

    async fn view_with_count(
        &self,
        caller: &Caller,
        scope: ViewScope,
        doc: OwnedDoc,
        body: ViewBody,
    ) -> Result<SavedView, ApiError> {
        let (count, count_more) = match self.queue_query(caller, &body.filter, COUNT_CAP).await {
            Ok((query, teams)) => {
                let page = query
                    .run(self.desk.store().as_ref(), |t| {
                        Self::may_see(caller, &teams, t)
                    })
                    .await?;
                let n = u32::try_from(page.tickets.len()).unwrap_or(COUNT_CAP);
                (Some(n), page.next.is_some() && n >= COUNT_CAP)
            }
            // A view of a team the caller left, say: listed, not counted.
            Err(_) => (None, false),
        };
        Ok(SavedView {
            team: (scope == ViewScope::Team)
                .then(|| doc.owner.trim_start_matches("team:").to_owned()),
            id: doc.id,
            name: body.name,
            scope,
            filter: body.filter,
            version: doc.version,
            updated_by: doc.updated_by,
            updated_at: doc.updated_at,
            count,
            count_more,
        })
    }

    /// Checks a view request: the name, who may keep it where, and the filter (every field
    /// known and in shape, as `GET /tickets` would take it from this caller).
    async fn checked_view(
        &self,
        caller: &Caller,
        req: ViewRequest,
    ) -> Result<(ViewScope, String, ViewBody), ApiError> {
        let name = req.name.trim().to_owned();
        let n = name.chars().count();
        if n == 0 || n > MAX_NAME {
            return Err(ApiError::field(
                "name",
                format!("needs 1-{MAX_NAME} characters, got {n}"),
            ));
        }
        let owner = match (req.scope, &req.team) {
            (ViewScope::Personal, None) => agent_owner(&caller.agent),
            (ViewScope::Personal, Some(_)) => {
                return Err(ApiError::field("team", "a personal view has no team"));
            }
            (ViewScope::Team, None) => {
                return Err(ApiError::field("team", "a team view names its team"));
            }
            (ViewScope::Team, Some(team)) => {
                if !caller.role.sees_everything() {
                    return Err(ApiError::forbidden(
                        "supervisors and admins keep team views; save it as a personal view",
                    ));
                }
                let mine = self.teams_of(caller).await?;
                if caller.role != Role::Admin && !mine.contains(team) {
                    return Err(ApiError::forbidden(format!(
                        "you are not in team {team}: its supervisors keep its views"
                    )));
                }
                if caller.role == Role::Admin
                    && !self.routing_teams().await.contains(team)
                    && !mine.contains(team)
                {
                    return Err(ApiError::field("team", format!("{team} is not a team")));
                }
                team_owner(team)
            }
        };
        self.queue_query(caller, &req.filter, 1)
            .await
            .map_err(|mut e| {
                // Name the field inside the filter.
                if let Some((field, problem)) = e.fields.pop_first() {
                    e.message = format!("filter.{field}: {problem}");
                    e.fields.insert(format!("filter.{field}"), problem);
                }
                e
            })?;
        Ok((
            req.scope,
            owner,
            ViewBody {
                name,
                filter: req.filter,
            },
        ))
    }

    /// A name is unique among the owner's views (ignoring case), `except` the one edited.
    fn name_free(
        others: &[Owned<ViewBody>],
        name: &str,
        except: Option<&str>,
    ) -> Result<(), ApiError> {
        if others.iter().any(|v| {
            Some(v.doc.id.as_str()) != except && v.body.name.to_lowercase() == name.to_lowercase()
        }) {
            return Err(ApiError::field(
                "name",
                format!("another view here is named {name}"),
            ));
        }
        Ok(())
    }

    /// `POST /views`: saves a filter under a name (once per `Idempotency-Key`).
    pub(super) async fn create_view(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let req: ViewRequest = call.body()?;
        if req.version.is_some() {
            return Err(ApiError::field("version", "a new view has no version"));
        }
        let (scope, owner, body) = self.checked_view(&call.caller, req).await?;
        let others = self.owned::<ViewBody>(OwnedKind::View, &owner).await?;
        let id = new_owned_id(call, OwnedKind::View);
        // The same request again is not a second view of that name.
        Self::name_free(&others, &body.name, Some(&id))?;
        let doc = self
            .create_owned(call, (OwnedKind::View, &owner, id), others.len(), &body)
            .await?;
        ApiResponse::created(self.view_with_count(&call.caller, scope, doc, body).await?)
    }

    /// `PUT /views/{id}` `{name, filter, version}`: edits a view (scope and team stay).
    pub(super) async fn edit_view(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let req: ViewRequest = call.body()?;
        let version = req
            .version
            .ok_or_else(|| ApiError::field("version", "is required: the version you read"))?;
        let (scope, current) = self.find_view(&call.caller, id).await?;
        self.may_keep(&call.caller, scope)?;
        let req = ViewRequest {
            scope,
            team: (scope == ViewScope::Team)
                .then(|| current.doc.owner.trim_start_matches("team:").to_owned()),
            ..req
        };
        let (_, owner, body) = self.checked_view(&call.caller, req).await?;
        let others = self.owned::<ViewBody>(OwnedKind::View, &owner).await?;
        Self::name_free(&others, &body.name, Some(id))?;
        let doc = self
            .update_owned(call, &current.doc, version, &body)
            .await?;
        ApiResponse::ok(self.view_with_count(&call.caller, scope, doc, body).await?)
    }

    /// `DELETE /views/{id}?version=`.
    pub(super) async fn delete_view(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let version = version_param(call)?;
        let (scope, current) = self.find_view(&call.caller, id).await?;
        self.may_keep(&call.caller, scope)?;
        self.delete_owned(&current.doc, version).await?;
        ApiResponse::ok(serde_json::json!({ "deleted": id }))
    }

    /// Agents read their teams' views; supervisors and admins change them.
    fn may_keep(&self, caller: &Caller, scope: ViewScope) -> Result<(), ApiError> {
        if scope == ViewScope::Team && !caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "supervisors and admins change team views",
            ));
        }
        Ok(())
    }
}
