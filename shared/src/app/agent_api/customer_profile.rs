//! The customer view: the profile agents keep (name, language, tier, e-mail, custom fields),
//! the consent state, the customer's tags, all their tickets newest first and their whole
//! conversation history across tickets, a page at a time. Edits are conditional on the
//! profile's version (409 when a colleague saved first).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::info;

use super::customers::customer_id;
use super::router::{ApiError, ApiResponse, Call, ErrorExtra};
use super::views::{MessageView, TicketSummary};
use super::{AgentApi, Caller};
use crate::domain::bot::Lang;
use crate::domain::customer::{ProfileEdit, Tag};
use crate::domain::ids::WaId;
use crate::domain::ticket::Ticket;
use crate::ports::store::Customer;

/// History entries per page unless `limit` says otherwise.
const HISTORY_PAGE: usize = 50;
const MAX_HISTORY_PAGE: usize = 200;
/// Tickets the view lists (newest first); older ones are counted.
const MAX_TICKETS: usize = 100;
/// Tries of a tag change that keeps losing the race with another edit.
const TAG_TRIES: usize = 3;

/// `GET /customers/{wa_id}`.
#[derive(Debug, Serialize)]
pub struct CustomerView {
    pub wa_id: String,
    /// The number to dial: `+` and the WhatsApp id.
    pub phone: String,
    /// The name to show: the one agents gave, else WhatsApp's.
    pub display_name: Option<String>,
    /// The name the customer gave themselves in WhatsApp.
    pub profile_name: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    /// The language the bot recognised in their newest conversation.
    pub detected_language: Option<Lang>,
    pub tier: Option<String>,
    pub email: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub tags: Vec<String>,
    /// Send with an edit: a newer version means someone else saved in between (409).
    pub version: u64,
    pub consent: ConsentView,
    /// The customer's tickets the caller may see, newest first.
    pub tickets: Vec<TicketSummary>,
    /// Tickets beyond those listed.
    pub more_tickets: usize,
    /// The newest messages across those tickets; `history_next` continues.
    pub history: HistoryPage,
}

/// Whether business-initiated messages may go to the customer.
#[derive(Debug, Serialize)]
pub struct ConsentView {
    /// `opted_in`, `opted_out` or `unknown` (never recorded).
    pub state: &'static str,
    pub at: Option<Timestamp>,
    pub source: Option<String>,
}

/// `GET /customers/{wa_id}/history`: messages of every ticket, newest first.
#[derive(Debug, Serialize)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Where the next (older) page starts; `null` at the first message.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    pub ticket_id: String,
    #[serde(flatten)]
    pub message: MessageView,
}

/// `PATCH /customers/{wa_id}`: fields to set (an empty string clears one), and the version
/// the edit was made on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    version: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

/// What the caller may see of a customer.
struct Visible {
    /// As stored (`None`: known only from tickets; the first edit creates the profile).
    stored: Option<Customer>,
    customer: Customer,
    /// Newest first.
    tickets: Vec<Ticket>,
}

impl AgentApi {
    /// The customer and the tickets of theirs `caller` may see: 404 when nothing is stored
    /// about them, 403 when an agent may see none of their tickets.
    async fn visible_customer(&self, caller: &Caller, wa_id: &WaId) -> Result<Visible, ApiError> {
        let store = self.desk.store();
        let stored = store.customer(wa_id).await?;
        let mut tickets = store.customer_tickets(wa_id).await?;
        if stored.is_none() && tickets.is_empty() {
            return Err(ApiError::not_found(format!(
                "no customer {}",
                wa_id.masked()
            )));
        }
        tickets.sort_by_key(|t| std::cmp::Reverse(t.id));
        if !caller.role.sees_everything() {
            let teams = self.teams_of(caller).await?;
            tickets.retain(|t| Self::may_see(caller, &teams, t));
            if tickets.is_empty() {
                return Err(ApiError::forbidden(
                    "none of this customer's tickets is in your teams or assigned to you",
                ));
            }
        }
        let customer = stored
            .clone()
            .unwrap_or_else(|| Customer::new(wa_id.clone(), self.clock.now()));
        Ok(Visible {
            stored,
            customer,
            tickets,
        })
    }

    /// Whether `caller` may see the customer: supervisors always, agents when one of the
    /// customer's tickets is theirs to see.
    pub(super) async fn may_see_customer(
        &self,
        caller: &Caller,
        teams: &[String],
        wa_id: &WaId,
    ) -> Result<bool, ApiError> {
        if caller.role.sees_everything() {
            return Ok(true);
        }
        Ok(self
            .desk
            .store()
            .customer_tickets(wa_id)
            .await?
            .iter()
            .any(|t| Self::may_see(caller, teams, t)))
    }

    /// `GET /customers/{wa_id}`.
    pub(super) async fn customer_view(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        call.query.only(&[])?;
        let wa_id = customer_id(wa_id)?;
        let visible = self.visible_customer(&call.caller, &wa_id).await?;
        ApiResponse::ok(self.customer_answer(visible).await?)
    }

    async fn customer_answer(&self, visible: Visible) -> Result<CustomerView, ApiError> {
        let Visible {
            customer, tickets, ..
        } = visible;
        let store = self.desk.store();
        let consent = match store.consent(&customer.wa_id).await? {
            None => ConsentView {
                state: "unknown",
                at: None,
                source: None,
            },
            Some(c) => ConsentView {
                state: if c.opted_in { "opted_in" } else { "opted_out" },
                at: Some(c.at),
                source: Some(c.source),
            },
        };
        let history = self
            .history_page(&tickets, Cursor::default(), HISTORY_PAGE)
            .await?;
        let now = self.clock.now();
        let detected_language = tickets
            .iter()
            .find_map(|t| t.bot.as_ref().and_then(|b| b.language));
        let more_tickets = tickets.len().saturating_sub(MAX_TICKETS);
        let p = &customer.profile;
        Ok(CustomerView {
            wa_id: customer.wa_id.as_str().to_owned(),
            phone: format!("+{}", customer.wa_id.as_str()),
            display_name: customer.display_name().map(str::to_owned),
            profile_name: customer.profile_name.clone(),
            name: p.name.clone(),
            language: p.language.clone(),
            detected_language,
            tier: p.tier.clone(),
            email: p.email.clone(),
            fields: p.fields.clone(),
            tags: p.tags.clone(),
            version: customer.version,
            consent,
            tickets: tickets
                .iter()
                .take(MAX_TICKETS)
                .map(|t| self.summary(t, now))
                .collect(),
            more_tickets,
            history,
        })
    }

    /// `GET /customers/{wa_id}/history?cursor=&limit=`.
    pub(super) async fn customer_history(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let q = &call.query;
        q.only(&["cursor", "limit"])?;
        let limit = match q.get("limit") {
            None => HISTORY_PAGE,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_HISTORY_PAGE).contains(l))
                .ok_or_else(|| ApiError::field("limit", format!("must be 1-{MAX_HISTORY_PAGE}")))?,
        };
        let cursor = q
            .get("cursor")
            .map(Cursor::parse)
            .transpose()?
            .unwrap_or_default();
        let wa_id = customer_id(wa_id)?;
        let visible = self.visible_customer(&call.caller, &wa_id).await?;
        if cursor.ticket > visible.tickets.len() {
            return Err(ApiError::field(
                "cursor",
                "is not one this history gave out",
            ));
        }
        ApiResponse::ok(self.history_page(&visible.tickets, cursor, limit).await?)
    }

    /// Up to `limit` messages of `tickets` (newest first), newest first, from `cursor` on.
    async fn history_page(
        &self,
        tickets: &[Ticket],
        cursor: Cursor,
        limit: usize,
    ) -> Result<HistoryPage, ApiError> {
        let store = self.desk.store();
        let mut entries = Vec::new();
        let Cursor {
            mut ticket,
            mut skip,
        } = cursor;
        while ticket < tickets.len() && entries.len() < limit {
            let t = &tickets[ticket];
            let messages = store.messages(t.id).await?;
            let total = messages.len();
            for m in messages.into_iter().rev().skip(skip) {
                if entries.len() == limit {
                    break;
                }
                entries.push(HistoryEntry {
                    ticket_id: t.id.to_string(),
                    message: self.message_view(m).await,
                });
                skip += 1;
            }
            if skip >= total {
                (ticket, skip) = (ticket + 1, 0);
            }
        }
        let next_cursor = (ticket < tickets.len()).then(|| Cursor { ticket, skip }.encode());
        Ok(HistoryPage {
            entries,
            next_cursor,
        })
    }

    /// `PATCH /customers/{wa_id}` `{version, name?, language?, tier?, email?, fields?}`.
    pub(super) async fn edit_customer(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let wa_id = customer_id(wa_id)?;
        let body: EditBody = call.body()?;
        let edit = ProfileEdit {
            name: body.name,
            language: body.language,
            tier: body.tier,
            email: body.email,
            fields: body.fields,
        };
        let visible = self.visible_customer(&call.caller, &wa_id).await?;
        let read = visible.customer.clone();
        let mut after = read.clone();
        after.profile = read.profile.edited(&edit).map_err(|problems| {
            let mut err = ApiError::new(
                400,
                "invalid_request",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            for p in problems {
                err.fields.insert(p.field, p.problem);
            }
            err
        })?;
        if body.version != read.version {
            return Err(version_conflict(read.version));
        }
        if after.profile == read.profile {
            return ApiResponse::ok(self.customer_answer(visible).await?);
        }
        after.version = read.version + 1;
        if !self
            .desk
            .store()
            .update_customer(visible.stored.as_ref(), &after)
            .await?
        {
            let now = self.desk.store().customer(&wa_id).await?;
            return Err(version_conflict(now.map_or(0, |c| c.version)));
        }
        info!(customer = %wa_id.digest(), agent = %call.caller.agent, "customer profile edited");
        let visible = self.visible_customer(&call.caller, &wa_id).await?;
        ApiResponse::ok(self.customer_answer(visible).await?)
    }

    /// `PUT /customers/{wa_id}/tags/{tag}` (`add`) and `DELETE` (remove): idempotent, no
    /// version needed (a tag change merges with a colleague's edit).
    pub(super) async fn customer_tag(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
        tag: &str,
        add: bool,
    ) -> Result<ApiResponse, ApiError> {
        let wa_id = customer_id(wa_id)?;
        let tag = Tag::parse(tag).map_err(|e| ApiError::field("tag", e.to_string()))?;
        for _ in 0..TAG_TRIES {
            let visible = self.visible_customer(&call.caller, &wa_id).await?;
            let read = visible.customer.clone();
            let mut after = read.clone();
            let changed = if add {
                after.profile.add_tag(&tag).map_err(|p| {
                    let mut err = ApiError::new(422, "too_many_tags", p.problem.clone());
                    err.fields.insert(p.field, p.problem);
                    err
                })?
            } else {
                after.profile.remove_tag(&tag)
            };
            if !changed {
                return ApiResponse::ok(self.customer_answer(visible).await?);
            }
            after.version = read.version + 1;
            if self
                .desk
                .store()
                .update_customer(visible.stored.as_ref(), &after)
                .await?
            {
                info!(customer = %wa_id.digest(), agent = %call.caller.agent, tag = tag.as_str(), add, "customer tag changed");
                let visible = self.visible_customer(&call.caller, &wa_id).await?;
                return ApiResponse::ok(self.customer_answer(visible).await?);
            }
        }
        Err(ApiError::new(
            503,
            "unavailable",
            "the customer kept changing; try again",
        ))
    }
}

fn version_conflict(current: u64) -> ApiError {
    let mut err = ApiError::new(
        409,
        "version_conflict",
        format!(
            "the customer was changed by someone else (now version {current}); reload and edit again"
        ),
    );
    err.extra = Some(ErrorExtra::CurrentVersion(current));
    err
}

/// Where a history page starts: the ticket (index, newest first) and the messages of it
/// already given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cursor {
    ticket: usize,
    skip: usize,
}

impl Cursor {
    fn encode(self) -> String {
        format!("{}.{}", self.ticket, self.skip)
    }

    fn parse(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::field("cursor", "is not one this history gave out");
        let (t, s) = raw.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            ticket: t.parse().map_err(|_| bad())?,
            skip: s.parse().map_err(|_| bad())?,
        })
    }
}
