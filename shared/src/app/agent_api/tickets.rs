//! Tickets: the listing, the detail, and what agents do to a ticket (reply, template, note,
//! assign, update, pending, resolve, reopen), with who may see and who may change which ticket.

use serde::{Deserialize, Serialize};

use super::desk::AgentAction;
use super::desk::AgentError;
use super::router::{ApiError, ApiResponse, Call, ErrorExtra, Query};
use super::views::TicketSummary;
use super::{AgentApi, Caller};
use crate::domain::agent::Agent;
use crate::domain::bot::Priority;
use crate::domain::canned::unfilled_variables;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{SlaState, Ticket, TicketStatus};
use crate::domain::ticket_tags::Tag;
use crate::ports::store::{StoreError, TicketFilter, TicketIndex, TicketQuery};

const DEFAULT_LIMIT: u32 = 25;
const MAX_LIMIT: u32 = 100;

/// The queue's filter as a client names it (the query string of `GET /tickets`, a saved
/// view); every field optional, checked by [`AgentApi::queue_query`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueFilter {
    /// Statuses, comma-separated (default: queued, assigned, pending_customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// An agent id, or `me`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl QueueFilter {
    /// The filters as a query string gives them (`GET /tickets`, the CSV export).
    fn from_query(q: &Query) -> Self {
        QueueFilter {
            status: q.get("status").map(str::to_owned),
            team: q.get("team").map(str::to_owned),
            assignee: q.get("assignee").map(str::to_owned),
            priority: q.get("priority").map(str::to_owned),
            sla: q.get("sla").map(str::to_owned),
            tag: q.get("tag").map(str::to_owned),
        }
    }
}

/// `GET /tickets`.
#[derive(Debug, Serialize)]
pub struct TicketList {
    pub tickets: Vec<TicketSummary>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl AgentApi {
    pub(super) fn may_see(caller: &Caller, teams: &[String], ticket: &Ticket) -> bool {
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
    fn owning_team(&self, ticket: &Ticket) -> Option<String> {
        ticket
            .team
            .clone()
            .or_else(|| self.routing_teams_cached().into_iter().next())
    }

    /// Whether `caller` may change `ticket` (reading is [`may_see`](Self::may_see)): supervisors
    /// any ticket; agents their own tickets and those of their teams, where a ticket without a
    /// team (with the bot, resolved by the bot) is the channel team's. Everyone else reads only.
    pub(super) fn may_act(
        &self,
        caller: &Caller,
        teams: &[String],
        ticket: &Ticket,
    ) -> Result<(), ApiError> {
        if caller.role.sees_everything()
            || ticket.assignee.as_deref() == Some(caller.agent.as_str())
        {
            return Ok(());
        }
        match self.owning_team(ticket) {
            Some(team) if teams.contains(&team) => Ok(()),
            owner => Err(ApiError::new(
                403,
                "read_only",
                match (&ticket.team, owner.as_deref()) {
                    (None, Some(owner)) => format!(
                        "ticket {} has no team yet: agents of team {owner} (which owns the channel) or a supervisor act on it; you may read it",
                        ticket.id
                    ),
                    _ => format!(
                        "ticket {} belongs to team {}: you may read it, its team or a supervisor act on it",
                        ticket.id,
                        owner.as_deref().unwrap_or("-")
                    ),
                },
            )),
        }
    }

    pub(super) async fn visible_ticket(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Ticket, ApiError> {
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

    /// The ticket `id`, if `caller` may see it and change it (see [`may_act`](Self::may_act)).
    pub(super) async fn changeable_ticket(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Ticket, ApiError> {
        let ticket = self.visible_ticket(caller, id).await?;
        if !caller.role.sees_everything() {
            let teams = self.teams_of(caller).await?;
            self.may_act(caller, &teams, &ticket)?;
        }
        Ok(ticket)
    }

    /// The listing the queue's filters (`status`, `team`, `assignee`, `priority`, `sla`, `tag`) ask
    /// for, as far as `caller` may see it: the query, pages of `limit`, and the caller's teams
    /// (the access rule). Shared by the queue and its CSV export.
    pub(super) async fn queue_listing(
        &self,
        call: &Call<'_, '_>,
        limit: u32,
    ) -> Result<(TicketQuery, Vec<String>), ApiError> {
        let (caller, q) = (&call.caller, &call.query);
        self.queue_query(caller, &QueueFilter::from_query(q), limit)
            .await
    }

    /// `GET /tickets`: the queues and tickets the caller may see, oldest first, a page at a time.
    pub(super) async fn list(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let (caller, q) = (&call.caller, &call.query);
        q.only(&[
            "status", "team", "assignee", "priority", "sla", "tag", "limit", "cursor",
        ])?;
        let filter = QueueFilter::from_query(q);
        let limit = match q.get("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| ApiError::field("limit", format!("must be 1-{MAX_LIMIT}")))?,
        };
        let (mut query, my_teams) = self.queue_query(caller, &filter, limit).await?;
        if let Some(cursor) = q.get("cursor") {
            query = query
                .resume(cursor)
                .map_err(|_| ApiError::field("cursor", "is not a cursor this listing gave out"))?;
        }
        let page = query
            .run(self.desk.store().as_ref(), |t| {
                Self::may_see(caller, &my_teams, t)
            })
            .await
            .map_err(|e| match e {
                StoreError::Rejected(_) => ApiError::field("cursor", "is not valid"),
                other => other.into(),
            })?;
        let (tickets, next) = (page.tickets, page.next);
        self.desk.read_sla_versions(&tickets).await;
        let now = self.clock.now();
        ApiResponse::ok(TicketList {
            tickets: tickets.iter().map(|t| self.summary(t, now)).collect(),
            next_cursor: next,
        })
    }

    /// The listing `filter` asks for, as `caller` may see it (403 for a team or an agent not
    /// theirs; 400 naming the field out of shape), with the caller's teams.
    pub(super) async fn queue_query(
        &self,
        caller: &Caller,
        filter: &QueueFilter,
        limit: u32,
    ) -> Result<(TicketQuery, Vec<String>), ApiError> {
        let statuses = statuses_of(filter)?;
        let priority = priority_of(filter)?;
        let sla = sla_state_of(filter)?;
        // One read of the roster serves the caller's teams and every team agents work in.
        let roster = self.desk.store().agents().await?;
        let my_teams: Vec<String> = roster
            .iter()
            .find(|a| a.id == caller.agent)
            .map(|a| a.teams.clone())
            .unwrap_or_default();
        let filter = TicketFilter {
            statuses,
            team: filter.team.clone(),
            priority,
            sla,
            assignee: assignee_of(filter, caller),
            tag: tag_of(filter)?,
        };
        may_list(caller, &filter, &my_teams)?;
        let partitions = self.partitions(caller, &filter, &roster, &my_teams).await;
        Ok((TicketQuery::new(partitions, filter, limit), my_teams))
    }

    /// The narrowest index that answers `filter`: a tag's items, else an agent's tickets, else
    /// the queues of the teams the caller may list.
    async fn partitions(
        &self,
        caller: &Caller,
        filter: &TicketFilter,
        roster: &[Agent],
        my_teams: &[String],
    ) -> Vec<TicketIndex> {
        match (&filter.tag, &filter.assignee) {
            (Some(tag), _) => vec![TicketIndex::Tag(tag.clone())],
            (None, Some(a)) => vec![TicketIndex::Assignee(a.clone())],
            (None, None) => {
                let teams: Vec<Option<String>> = match &filter.team {
                    Some(t) => vec![Some(t.clone())],
                    None if caller.role.sees_everything() => {
                        let mut all: Vec<String> = self.routing_teams().await;
                        for agent in roster {
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
                filter
                    .statuses
                    .iter()
                    .flat_map(|s| {
                        teams.iter().map(|t| TicketIndex::Queue {
                            status: *s,
                            team: t.clone(),
                        })
                    })
                    .collect()
            }
        }
    }

    /// `GET /tickets/{id}`: the ticket with its messages, activity and SLA clocks.
    pub(super) async fn detail(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let ticket = self.visible_ticket(&call.caller, id).await?;
        ApiResponse::ok(self.ticket_detail(ticket).await?)
    }

    /// `POST /tickets/{id}/{action}` and `PATCH /tickets/{id}` (`update`): one change to a
    /// ticket, once per `Idempotency-Key`; answers the ticket as it is now.
    pub(super) async fn act(
        &self,
        call: &Call<'_, '_>,
        id: &str,
        action: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        let ticket = self.changeable_ticket(caller, id).await?;
        if action == "template" {
            // The published catalogue, re-checked like the bot's (`action_of` reads it cached).
            let b: TemplateBody = call.body()?;
            self.templates_for(&b.name, &b.language).await;
        }
        let (action, version) = self.action_of(call, &ticket, action)?;
        Self::may_work(caller, &ticket, &action)?;
        let result = self
            .desk
            .act_once(
                ticket.id,
                &caller.agent,
                &action,
                version,
                call.idempotency_key(),
            )
            .await;
        match result {
            Ok(ticket) => {
                self.desk.read_sla_versions([&ticket]).await;
                ApiResponse::ok(self.summary(&ticket, self.clock.now()))
            }
            Err(AgentError::OutsideServiceWindow) => {
                let mut err: ApiError = AgentError::OutsideServiceWindow.into();
                let catalog = self.templates.current().await;
                err.extra = Some(ErrorExtra::Templates(
                    catalog
                        .approved()
                        .iter()
                        .map(super::TemplateView::of)
                        .collect(),
                ));
                Err(err)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The action the path names, read from the body, with the version the client saw.
    fn action_of(
        &self,
        call: &Call<'_, '_>,
        ticket: &Ticket,
        action: &str,
    ) -> Result<(AgentAction, Option<u64>), ApiError> {
        Ok(match action {
            "reply" => {
                let b: ReplyBody = call.body()?;
                let version = b.version;
                (reply_action(b)?, version)
            }
            "react" => {
                let b: ReactBody = call.body()?;
                let action = AgentAction::React {
                    message: b.message,
                    emoji: b.emoji,
                };
                (action, b.version)
            }
            "notes" => {
                let b: TextBody = call.body()?;
                (AgentAction::Note { text: b.text }, b.version)
            }
            "template" => {
                let b: TemplateBody = call.body()?;
                let template = self
                    .templates
                    .cached()
                    .build(&b.name, &b.language, &b.params)?;
                (AgentAction::SendTemplate { template }, b.version)
            }
            "assign" => {
                let b: AssignBody = call.body()?;
                Self::may_assign(&call.caller, ticket, b.agent.as_deref())?;
                (AgentAction::Assign { agent: b.agent }, b.version)
            }
            "update" => {
                let b: UpdateBody = call.body()?;
                let priority = b
                    .priority
                    .map(|p| {
                        Priority::parse(&p).ok_or_else(|| {
                            ApiError::field("priority", "must be low, normal, high or urgent")
                        })
                    })
                    .transpose()?;
                let category = b.category;
                (AgentAction::Update { priority, category }, b.version)
            }
            "tag" | "untag" => {
                let b: TagBody = call.body()?;
                let tag = Tag::parse(&b.tag).map_err(|e| ApiError::field("tag", e.to_string()))?;
                let action = if action == "tag" {
                    AgentAction::Tag { tag }
                } else {
                    AgentAction::Untag { tag }
                };
                (action, b.version)
            }
            "pending" | "resolve" | "reopen" => {
                let b: VersionBody = call.body_or_default()?;
                let action = match action {
                    "pending" => AgentAction::SetPending,
                    "resolve" => AgentAction::Resolve,
                    _ => AgentAction::Reopen,
                };
                (action, b.version)
            }
            other => return Err(ApiError::not_found(format!("no ticket action '{other}'"))),
        })
    }

    /// Agents take tickets or give their own back; supervisors assign anyone.
    fn may_assign(caller: &Caller, ticket: &Ticket, to: Option<&str>) -> Result<(), ApiError> {
        if caller.role.sees_everything() {
            return Ok(());
        }
        let to_self = to == Some(caller.agent.as_str());
        let from_self = to.is_none() && ticket.assignee.as_deref() == Some(caller.agent.as_str());
        if to_self || from_self {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "agents take tickets or give their own back; a supervisor assigns others",
            ))
        }
    }

    /// Writing to the customer, pending and resolving are the assignee's (or a supervisor's)
    /// while an agent has the ticket; notes, assigning and updates stay open to the team.
    pub(super) fn may_work(
        caller: &Caller,
        ticket: &Ticket,
        action: &AgentAction,
    ) -> Result<(), ApiError> {
        let owned_by_other = ticket
            .assignee
            .as_deref()
            .is_some_and(|a| a != caller.agent);
        let works_the_ticket = matches!(
            action,
            AgentAction::Reply { .. }
                | AgentAction::React { .. }
                | AgentAction::Attach { .. }
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
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextBody {
    text: String,
    version: Option<u64>,
}

/// A reply, optionally quoting a customer message (its wamid), or a file uploaded through
/// `POST /tickets/{id}/attachments` (its key) with an optional caption.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    quote: Option<String>,
    #[serde(default)]
    attachment: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    version: Option<u64>,
}

/// A reaction to a customer message (its wamid).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactBody {
    message: String,
    emoji: String,
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

/// A tag to put on or take off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagBody {
    tag: String,
    version: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionBody {
    version: Option<u64>,
}

/// A reply's body: a text (quoting a customer message or not), or an attachment with an
/// optional caption.
fn reply_action(b: ReplyBody) -> Result<AgentAction, ApiError> {
    if let Some(key) = b.attachment {
        if b.text.is_some() || b.quote.is_some() {
            return Err(ApiError::field(
                "attachment",
                "is sent with an optional caption, not with text or quote",
            ));
        }
        return Ok(AgentAction::Attach {
            key,
            caption: b.caption,
        });
    }
    if b.caption.is_some() {
        return Err(ApiError::field(
            "caption",
            "goes with an attachment; a text reply is its text",
        ));
    }
    let text = b
        .text
        .ok_or_else(|| ApiError::field("text", "is required (or an attachment)"))?;
    no_unfilled_variables(&text)?;
    Ok(AgentAction::Reply {
        text,
        quote: b.quote,
    })
}

/// A canned response's variable left unfilled would reach the customer as raw braces ("Hi
/// {{customer_name}}"): 422 naming the first.
fn no_unfilled_variables(text: &str) -> Result<(), ApiError> {
    let unfilled = unfilled_variables(text);
    if let Some(first) = unfilled.first() {
        let mut err = ApiError::new(
            422,
            "unfilled_variable",
            format!(
                "the reply still contains {{{{{first}}}}}: replace it with its value before sending"
            ),
        );
        err.fields.insert(
            "text".to_owned(),
            format!("unfilled variables: {}", unfilled.join(", ")),
        );
        return Err(err);
    }
    Ok(())
}

/// The statuses listed (`status=a,b`); open ones by default.
fn statuses_of(filter: &QueueFilter) -> Result<Vec<TicketStatus>, ApiError> {
    match filter.status.as_deref() {
        None => Ok(vec![
            TicketStatus::Queued,
            TicketStatus::Assigned,
            TicketStatus::PendingCustomer,
        ]),
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
            .collect(),
    }
}

fn priority_of(filter: &QueueFilter) -> Result<Option<Priority>, ApiError> {
    filter
        .priority
        .as_deref()
        .map(|p| {
            Priority::parse(p)
                .ok_or_else(|| ApiError::field("priority", "must be low, normal, high or urgent"))
        })
        .transpose()
}

fn sla_state_of(filter: &QueueFilter) -> Result<Option<SlaState>, ApiError> {
    filter
        .sla
        .as_deref()
        .map(|s| {
            SlaState::parse(s).ok_or_else(|| {
                ApiError::field("sla", "must be none, ok, at_risk, breached or was_breached")
            })
        })
        .transpose()
}

/// The agent whose tickets are listed (`me`: the caller).
fn assignee_of(filter: &QueueFilter, caller: &Caller) -> Option<String> {
    filter.assignee.as_deref().map(|a| {
        if a == "me" {
            caller.agent.clone()
        } else {
            a.to_owned()
        }
    })
}

fn tag_of(filter: &QueueFilter) -> Result<Option<String>, ApiError> {
    Ok(filter
        .tag
        .as_deref()
        .map(|t| Tag::parse(t).map_err(|e| ApiError::field("tag", e.to_string())))
        .transpose()?
        .map(|t| t.as_str().to_owned()))
}

/// An agent lists only their own tickets and their teams' (supervisors and admins any).
fn may_list(caller: &Caller, filter: &TicketFilter, my_teams: &[String]) -> Result<(), ApiError> {
    if !caller.role.sees_everything() {
        if let Some(a) = &filter.assignee
            && *a != caller.agent
        {
            return Err(ApiError::forbidden("agents list only their own tickets"));
        }
        if let Some(t) = &filter.team
            && !my_teams.contains(t)
        {
            return Err(ApiError::forbidden(format!("you are not in team {t}")));
        }
    }
    Ok(())
}
