//! Agents, as admins manage them: invite (a Cognito account with the role's group and the
//! invitation e-mail in AWS; an API key shown once locally), edit teams, languages, capacity
//! and role, deactivate (the account is disabled, the agent's open tickets go back to their
//! team queue and are routed again as a handoff would be). Every change is in the audit log.
//!
//! | method | path | who |
//! |---|---|---|
//! | POST | `/agents` `{id, name, teams, languages, capacity, role?, email?}` | admins |
//! | PATCH | `/agents/{id}` `{name?, teams?, languages?, capacity?, role?}` | admins |
//! | POST | `/agents/{id}/deactivate` | admins |

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::agents::NewAgentBody;
use super::desk::{AgentAction, AgentError, IdempotencyKey};
use super::router::Call;
use super::{AgentApi, ApiError, ApiResponse, Caller, Role};
use crate::domain::bot::Lang;
use crate::domain::ticket::TicketStatus;
use crate::ports::identity::{Identity, IdentityError, Invitation, ROLES, shown_key};
use crate::ports::store::{AuditAction, AuditRecord, TicketIndex};

/// Open tickets one deactivation puts back at most (pages of the assignee index).
const MAX_RETURNED: usize = 500;

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Exists(_) => Self::new(409, "exists", e.to_string()),
            IdentityError::NotFound(_) => Self::not_found(e.to_string()),
            IdentityError::Unavailable(_) => {
                warn!(error = %e, "agent API: identity provider unavailable");
                Self::new(
                    503,
                    "unavailable",
                    "the sign-in service is unavailable; repeat the request with the same Idempotency-Key",
                )
            }
            IdentityError::Rejected(_) => {
                warn!(error = %e, "agent API: identity provider refused");
                Self::new(502, "identity_refused", e.to_string())
            }
        }
    }
}

impl AgentApi {
    /// Who agents sign in as: Cognito in AWS, the API key directory locally.
    pub fn with_identity(mut self, identity: Arc<dyn Identity>) -> Self {
        self.identity = Some(identity);
        self
    }

    fn identity(&self) -> Result<Arc<dyn Identity>, ApiError> {
        if let Some(identity) = &self.identity {
            return Ok(identity.clone());
        }
        match self.auth.key_directory() {
            Some(keys) => Ok(Arc::new(keys)),
            None => Err(ApiError::new(
                501,
                "not_configured",
                "no user pool is configured (HELPDESK_COGNITO_USER_POOL_ID): agents cannot be invited or deactivated here",
            )),
        }
    }

    fn admin_only(caller: &Caller, what: &str) -> Result<(), ApiError> {
        if caller.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("admins {what}")))
        }
    }

    /// Refuses a caller an admin deactivated, whose Cognito token may still be valid for up to
    /// an hour (locally their key is gone already).
    pub(super) async fn refuse_deactivated(&self, caller: &Caller) -> Result<(), ApiError> {
        if self.auth.key_directory().is_some() {
            return Ok(());
        }
        match self.profile(&caller.agent).await? {
            Some(p) if p.deactivated_at.is_some() => Err(ApiError::new(
                401,
                "deactivated",
                "your account was deactivated",
            )),
            _ => Ok(()),
        }
    }

    async fn file_audit(
        &self,
        id: String,
        caller: &Caller,
        action: AuditAction,
        agent: &str,
        detail: String,
    ) -> Result<(), ApiError> {
        let record = AuditRecord {
            id,
            at: self.clock.now(),
            actor: caller.agent.clone(),
            action,
            customer: format!("agent:{agent}"),
            detail,
        };
        self.desk.store().record_audit(&record).await?;
        Ok(())
    }

    /// The audit record an earlier request under the same Idempotency-Key filed (today or
    /// yesterday, UTC: a client retries within minutes).
    async fn earlier(&self, id: &str) -> Result<Option<AuditRecord>, ApiError> {
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        for day in [today, today.yesterday().unwrap_or(today)] {
            let records = self.desk.store().audit(&day.to_string()).await?;
            if let Some(r) = records.into_iter().find(|r| r.id == id) {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    pub(super) async fn invite_agent(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        Self::admin_only(caller, "invite agents")?;
        let identity = self.identity()?;
        let record_id = audit_id("invite", call.idempotency_key().as_ref())?;
        let mut profile: Value = call.body()?;
        let Some(fields) = profile.as_object_mut() else {
            return Err(ApiError::field("body", "must be a JSON object"));
        };
        let (role, email) = invite_role_and_email(fields, identity.as_ref())?;
        let agent_id = fields
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(earlier) = self.earlier(&record_id).await? {
            return self.repeated_invite(identity.as_ref(), &earlier).await;
        }
        let agent = new_agent_body(profile)?.into_agent()?;
        let stored = match self.profile(&agent.id).await? {
            None => {
                self.desk.store().add_agent(&agent).await?;
                json!(agent)
            }
            // A profile without an account: an earlier invitation stored it and then failed,
            // or the agent was added before accounts were managed here.
            Some(existing) if identity.role(&agent_id).await?.is_none() => json!(existing),
            Some(_) => {
                let mut e = ApiError::new(409, "exists", format!("agent {agent_id} exists"));
                e.fields
                    .insert("id".to_owned(), "an agent with this id exists".to_owned());
                return Err(e);
            }
        };
        let name = stored["name"].as_str().unwrap_or(&agent_id).to_owned();
        let invitation = Invitation {
            agent: &agent_id,
            name: &name,
            email: email.as_deref(),
            role: &role,
        };
        let invited = send_invitation(identity.as_ref(), &invitation).await?;
        self.file_audit(
            record_id,
            caller,
            AuditAction::AgentInvited,
            &agent_id,
            format!("role {role}"),
        )
        .await?;
        info!(agent = %agent_id, role = %role, "agent invited");
        // The profile as stored, with how the person signs in.
        let mut body = stored;
        body["role"] = json!(role);
        body["invitation"] = json!(if shown_key(&invited).is_some() {
            "api_key"
        } else {
            "email"
        });
        // Shown this once: only its digest is kept.
        body["api_key"] = json!(shown_key(&invited));
        ApiResponse::created(body)
    }

    /// The same invitation again (a retry after a timeout): done already. The key, if any, was
    /// in the first answer only.
    async fn repeated_invite(
        &self,
        identity: &dyn Identity,
        earlier: &AuditRecord,
    ) -> Result<ApiResponse, ApiError> {
        let agent = earlier.customer.trim_start_matches("agent:").to_owned();
        let mut body = json!(self.profile(&agent).await?);
        body["role"] = json!(identity.role(&agent).await?);
        body["api_key"] = Value::Null;
        body["repeated"] = json!(true);
        ApiResponse::ok(body)
    }

    pub(super) async fn edit_agent(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        Self::admin_only(caller, "change agents")?;
        let mut b: EditAgentBody = call.body()?;
        let mut agent = self
            .profile(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no agent {id}")))?;
        if agent.deactivated_at.is_some() {
            return Err(ApiError::new(
                409,
                "deactivated",
                format!("agent {id} is deactivated"),
            ));
        }
        let role =
            b.role
                .take()
                .map(|r| {
                    ROLES.contains(&r.as_str()).then_some(r).ok_or_else(|| {
                        ApiError::field("role", "must be agent, supervisor or admin")
                    })
                })
                .transpose()?;
        if role.as_deref().is_some_and(|r| r != "admin") && id == caller.agent {
            return Err(ApiError::field(
                "role",
                "you cannot take your own admin role; another admin can",
            ));
        }
        b.apply_to(&mut agent)?;
        let identity = self.identity()?;
        if let Some(role) = &role {
            identity.set_role(id, role).await?;
        }
        let agent = self
            .desk
            .store()
            .update_agent(&agent)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no agent {id}")))?;
        self.file_audit(
            format!("agent-change.{}", ulid::Ulid::new()),
            caller,
            AuditAction::AgentChanged,
            id,
            change_summary(&agent, role.as_deref()),
        )
        .await?;
        // More capacity or another team: queued tickets may fit now.
        if agent.has_room() {
            self.desk.refill(id, None).await;
        }
        let role = identity.role(id).await?;
        ApiResponse::ok(json!({ "agent": agent, "role": role }))
    }

    pub(super) async fn deactivate_agent(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        Self::admin_only(caller, "deactivate agents")?;
        if id == caller.agent {
            return Err(ApiError::new(
                409,
                "self",
                "you cannot deactivate yourself; another admin can",
            ));
        }
        let mut agent = self
            .profile(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no agent {id}")))?;
        // First the account: from now on they can neither sign in nor act.
        self.identity()?.disable(id).await?;
        let first = agent.deactivated_at.is_none();
        if first {
            agent.deactivated_at = Some(self.clock.now());
            // No capacity either: nothing can be claimed for them, whatever sets them online.
            agent.capacity = 0;
            self.desk.store().update_agent(&agent).await?;
        }
        // Their open tickets go back to the team queue and are routed again. A repeat (a retry,
        // a second click) finds those still with them and finishes the job.
        let (returned, routed) = self.return_open_tickets(caller, id).await?;
        if first || !returned.is_empty() {
            self.file_audit(
                format!("agent-deactivate.{}", ulid::Ulid::new()),
                caller,
                AuditAction::AgentDeactivated,
                id,
                format!(
                    "{} open tickets back to the queue, {} routed to another agent",
                    returned.len(),
                    routed.len()
                ),
            )
            .await?;
        }
        info!(
            agent = %id,
            returned = returned.len(),
            routed = routed.len(),
            "agent deactivated"
        );
        let agent = self.profile(id).await?;
        ApiResponse::ok(json!({
            "agent": agent,
            "returned_to_queue": returned,
            "routed": routed,
        }))
    }

    /// `id`'s open tickets back to the team queue, each routed again if a free agent can take
    /// it: the tickets returned, and where those routed went.
    async fn return_open_tickets(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Vec<String>, Vec<Value>), ApiError> {
        let mut returned = Vec::new();
        let mut routed = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .desk
                .store()
                .list_tickets(&TicketIndex::Assignee(id.to_owned()), 100, after.as_deref())
                .await?;
            for ticket in page.tickets.iter().filter(|t| {
                t.assignee.as_deref() == Some(id)
                    && matches!(
                        t.status,
                        TicketStatus::Assigned | TicketStatus::PendingCustomer
                    )
            }) {
                let request = {
                    use sha2::Digest;
                    sha2::Sha256::digest(format!("deactivate:{id}:{}", ticket.id).as_bytes())
                };
                let key_text = format!("deactivate_{}", hex::encode(&request[..12]));
                let key = IdempotencyKey {
                    key: &key_text,
                    request: request.into(),
                };
                let unassign = AgentAction::Assign { agent: None };
                let queued = match self
                    .desk
                    .act_once(ticket.id, &caller.agent, &unassign, None, Some(key))
                    .await
                {
                    Ok(t) => t,
                    // Moved on meanwhile (taken by someone, resolved): no longer theirs.
                    Err(AgentError::Invalid { .. }) => continue,
                    Err(e) => return Err(e.into()),
                };
                returned.push(queued.id.to_string());
                // Routed as a handoff is: the least loaded free agent of the team who speaks
                // the customer's language; nobody free: it waits in the queue.
                if let Some(assigned) = self.desk.offer(&queued).await? {
                    routed.push(json!({
                        "ticket": assigned.id.to_string(),
                        "agent": assigned.assignee,
                    }));
                }
            }
            match page.next {
                Some(next) if returned.len() < MAX_RETURNED => after = Some(next),
                _ => break,
            }
        }
        Ok((returned, routed))
    }
}

/// The audit record id of an admin change: from the Idempotency-Key and the request digest, so
/// a repeat finds the first; a fresh one without a key.
fn audit_id(action: &str, key: Option<&IdempotencyKey<'_>>) -> Result<String, ApiError> {
    match key {
        None => Ok(format!("agent-{action}.{}", ulid::Ulid::new())),
        Some(k) => {
            let valid = (8..=64).contains(&k.key.len())
                && k.key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "needs 8-64 characters of A-Z, a-z, 0-9, - and _",
                ));
            }
            Ok(format!(
                "agent-{action}.{}.{}",
                k.key,
                hex::encode(&k.request[..8])
            ))
        }
    }
}

fn valid_email(e: &str) -> Result<String, ApiError> {
    let e = e.trim();
    let ok = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(e.to_owned())
    } else {
        Err(ApiError::field("email", "is not an e-mail address"))
    }
}

fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field("name", "needs 1-100 characters"));
    }
    Ok(name.to_owned())
}

fn valid_teams(teams: Vec<String>) -> Result<Vec<String>, ApiError> {
    if teams.is_empty() || teams.iter().any(|t| t.trim().is_empty() || t.len() > 40) {
        return Err(ApiError::field(
            "teams",
            "name 1 or more teams of 1-40 characters",
        ));
    }
    Ok(teams.into_iter().map(|t| t.trim().to_owned()).collect())
}

fn valid_languages(languages: &[String]) -> Result<Vec<Lang>, ApiError> {
    let languages = languages
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
    Ok(languages)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditAgentBody {
    name: Option<String>,
    teams: Option<Vec<String>>,
    languages: Option<Vec<String>>,
    capacity: Option<u32>,
    role: Option<String>,
}

/// An invitation's role (default `agent`) and e-mail address (required where the invitation
/// is e-mailed), taken out of the profile.
fn invite_role_and_email(
    fields: &mut serde_json::Map<String, Value>,
    identity: &dyn Identity,
) -> Result<(String, Option<String>), ApiError> {
    let role = match fields.remove("role") {
        None | Some(Value::Null) => "agent".to_owned(),
        Some(Value::String(r)) if ROLES.contains(&r.as_str()) => r,
        Some(_) => {
            return Err(ApiError::field(
                "role",
                "must be agent, supervisor or admin",
            ));
        }
    };
    let email = match fields.remove("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(e)) => Some(valid_email(&e)?),
        Some(_) => return Err(ApiError::field("email", "must be an e-mail address")),
    };
    if email.is_none() && identity.needs_email() {
        return Err(ApiError::field(
            "email",
            "is required: the invitation is sent there",
        ));
    }
    Ok((role, email))
}

/// The new agent's profile; an error names the field serde names.
fn new_agent_body(profile: Value) -> Result<NewAgentBody, ApiError> {
    serde_json::from_value(profile).map_err(|e| {
        let message = e.to_string();
        // serde names the field in messages such as "unknown field `colour`".
        let field = message.split('`').nth(1).unwrap_or("body").to_owned();
        let mut err = ApiError::new(400, "invalid_request", format!("the JSON body: {message}"));
        err.fields.insert(field, message);
        err
    })
}

/// The account invited; an account that exists already (an earlier attempt that failed
/// before answering) gets a new key, or keeps its e-mailed invitation with the role asked.
async fn send_invitation(
    identity: &dyn Identity,
    invitation: &Invitation<'_>,
) -> Result<crate::ports::identity::Invited, ApiError> {
    match identity.invite(invitation).await {
        Ok(invited) => Ok(invited),
        Err(IdentityError::Exists(_)) if !identity.needs_email() => {
            // A key nobody saw (an earlier attempt failed before answering): a new one.
            identity.disable(invitation.agent).await?;
            Ok(identity.invite(invitation).await?)
        }
        Err(IdentityError::Exists(_)) => {
            identity.set_role(invitation.agent, invitation.role).await?;
            Ok(crate::ports::identity::Invited::Emailed)
        }
        Err(e) => Err(e.into()),
    }
}

/// What an edit left the agent with, for the audit.
fn change_summary(agent: &crate::domain::agent::Agent, role: Option<&str>) -> String {
    format!(
        "teams {}; languages {}; capacity {}{}",
        agent.teams.join(","),
        agent
            .languages
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(","),
        agent.capacity,
        role.map(|r| format!("; role {r}")).unwrap_or_default()
    )
}

impl EditAgentBody {
    /// The profile fields the edit names, each checked.
    fn apply_to(self, agent: &mut crate::domain::agent::Agent) -> Result<(), ApiError> {
        if let Some(name) = self.name {
            agent.name = valid_name(&name)?;
        }
        if let Some(teams) = self.teams {
            agent.teams = valid_teams(teams)?;
        }
        if let Some(languages) = self.languages {
            agent.languages = valid_languages(&languages)?;
        }
        if let Some(capacity) = self.capacity {
            if !(1..=50).contains(&capacity) {
                return Err(ApiError::field("capacity", "must be 1-50"));
            }
            agent.capacity = capacity;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
