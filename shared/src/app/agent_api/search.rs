//! `GET /search?q=`: one box that finds customers by phone number (whole, in any notation, or
//! the last 4+ digits) and by name (word prefixes, case and accents ignored), and tickets by
//! id and by the order number the bot found on them. Answered from the search index
//! (`ports::store::search`): one index query per kind of search, then the items it points at;
//! never a scan. Results are bounded, newest first, and only what the caller may see.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;

use super::router::{ApiError, ApiResponse, Call, Query};
use super::views::TicketSummary;
use super::{AgentApi, Caller, mask_phone};
use crate::domain::customer::{name_matches, order_key, phone_digits, query_words};
use crate::domain::ids::{TicketId, WaId};
use crate::ports::store::search::{MAX_HITS, SearchHit, SearchKey};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 50;
/// Longest query.
const MAX_QUERY: usize = 100;
/// Fewest letters a name word searched for has.
const MIN_NAME_PREFIX: usize = 2;

/// `GET /search`.
#[derive(Debug, Serialize)]
pub struct SearchResults {
    pub q: String,
    /// What the query was searched as: `phone`, `name`, `ticket`, `order`.
    pub searched: Vec<&'static str>,
    /// Customers, the one with the newest ticket first.
    pub customers: Vec<CustomerHit>,
    /// Tickets, newest first.
    pub tickets: Vec<TicketSummary>,
}

/// A customer found.
#[derive(Debug, Serialize)]
pub struct CustomerHit {
    pub wa_id: String,
    /// The number, masked as in the queue (the customer view shows it whole).
    pub phone: String,
    pub name: Option<String>,
    pub tier: Option<String>,
    pub tags: Vec<String>,
    pub last_ticket_at: Option<Timestamp>,
    /// `phone` or `name`.
    pub matched: &'static str,
}

/// What the query was searched as, and what the index found for it.
#[derive(Default)]
struct Matches {
    searched: Vec<&'static str>,
    ticket_ids: BTreeSet<TicketId>,
    /// Customers with how they were found (`phone`, `name`), repeats possible.
    customers: Vec<(WaId, &'static str)>,
    /// The query's name words (each with a letter).
    words: Vec<String>,
}

impl AgentApi {
    pub(super) async fn search(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let (raw, limit) = search_query(&call.query)?;
        let caller = &call.caller;
        let teams = self.teams_of(caller).await?;
        let matches = self.matches(raw).await?;
        let customers = self
            .customer_hits(caller, &teams, matches.customers, &matches.words, limit)
            .await?;
        let tickets = self
            .ticket_hits(caller, &teams, matches.ticket_ids, limit)
            .await?;
        ApiResponse::ok(SearchResults {
            q: raw.to_owned(),
            searched: matches.searched,
            customers,
            tickets,
        })
    }

    /// Looks `raw` up as each kind of search it can be: a ticket id, a phone number, an order
    /// number, a name.
    async fn matches(&self, raw: &str) -> Result<Matches, ApiError> {
        let store = self.desk.store();
        let mut m = Matches::default();
        if let Ok(id) = TicketId::parse(raw) {
            m.searched.push("ticket");
            m.ticket_ids.insert(id);
        }
        if let Some(digits) = phone_digits(raw) {
            m.searched.push("phone");
            for hit in store.search(&SearchKey::Phone(digits), MAX_HITS).await? {
                if let SearchHit::Customer(w) = hit {
                    m.customers.push((w, "phone"));
                }
            }
        }
        // Order numbers have a digit: a plain word is a name.
        let order = order_key(raw).filter(|o| o.chars().any(|c| c.is_ascii_digit()));
        if !m.searched.contains(&"ticket")
            && let Some(order) = order
        {
            m.searched.push("order");
            for hit in store.search(&SearchKey::Order(order), MAX_HITS).await? {
                if let SearchHit::Ticket(id) = hit {
                    m.ticket_ids.insert(id);
                }
            }
        }
        // Name words have a letter (`A-1042` is an order, not a name called 1042).
        m.words = query_words(raw)
            .into_iter()
            .filter(|w| w.chars().any(char::is_alphabetic))
            .collect();
        // The longest word narrows most: its partition is read, the others filter.
        if let Some(longest) = m.words.iter().max_by_key(|w| w.chars().count()) {
            if longest.chars().count() < MIN_NAME_PREFIX {
                if m.searched.is_empty() {
                    return Err(ApiError::field(
                        "q",
                        format!("type at least {MIN_NAME_PREFIX} letters of a name"),
                    ));
                }
            } else {
                m.searched.push("name");
                for hit in store
                    .search(&SearchKey::Name(longest.clone()), MAX_HITS)
                    .await?
                {
                    if let SearchHit::Customer(w) = hit {
                        m.customers.push((w, "name"));
                    }
                }
            }
        }
        if m.searched.is_empty() {
            return Err(ApiError::field(
                "q",
                "is not a phone number (4+ digits), a name, a ticket id or an order number",
            ));
        }
        Ok(m)
    }

    /// The customers found, once each, that the caller may see (a name search: only those
    /// with every word), the one with the newest ticket first.
    async fn customer_hits(
        &self,
        caller: &Caller,
        teams: &[String],
        customers: Vec<(WaId, &'static str)>,
        words: &[String],
        limit: usize,
    ) -> Result<Vec<CustomerHit>, ApiError> {
        let store = self.desk.store();
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for (wa_id, matched) in customers {
            if !seen.insert(wa_id.clone()) {
                continue;
            }
            let Some(c) = store.customer(&wa_id).await? else {
                continue;
            };
            // The index holds each word once; a query of several words needs them all.
            if matched == "name"
                && ![c.profile_name.as_deref(), c.profile.name.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| name_matches(n, words))
            {
                continue;
            }
            if !self.may_see_customer(caller, teams, &wa_id).await? {
                continue;
            }
            found.push(CustomerHit {
                wa_id: wa_id.as_str().to_owned(),
                phone: mask_phone(wa_id.as_str()),
                name: c.display_name().map(str::to_owned),
                tier: c.profile.tier.clone(),
                tags: c.profile.tags.clone(),
                last_ticket_at: c.last_ticket_at,
                matched,
            });
        }
        found.sort_by_key(|c| std::cmp::Reverse(c.last_ticket_at));
        found.truncate(limit);
        Ok(found)
    }

    /// The tickets found that the caller may see, newest first.
    async fn ticket_hits(
        &self,
        caller: &Caller,
        teams: &[String],
        ticket_ids: BTreeSet<TicketId>,
        limit: usize,
    ) -> Result<Vec<TicketSummary>, ApiError> {
        let store = self.desk.store();
        let now = self.clock.now();
        let mut tickets = Vec::new();
        // Ticket ids sort by their opening time: newest first.
        for id in ticket_ids.into_iter().rev() {
            if tickets.len() == limit {
                break;
            }
            if let Some(t) = store.ticket(id).await?
                && Self::may_see(caller, teams, &t)
            {
                tickets.push(self.summary(&t, now));
            }
        }
        Ok(tickets)
    }
}

/// The query (`q`, checked) and how many of each kind to answer (`limit`).
fn search_query(q: &Query) -> Result<(&str, usize), ApiError> {
    q.only(&["q", "limit"])?;
    let raw = q
        .get("q")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::field(
                "q",
                "say what to find: a phone number or its last 4+ digits, a name, a ticket id or an order number",
            )
        })?;
    if raw.chars().count() > MAX_QUERY {
        return Err(ApiError::field(
            "q",
            format!("is longer than {MAX_QUERY} characters"),
        ));
    }
    // `#1042` is an order number; `#vip` a tag (the console sends it to the queue filter).
    if raw.starts_with('#') && !raw.chars().any(|c| c.is_ascii_digit()) {
        return Err(ApiError::field(
            "q",
            "a #tag lists the tickets with that tag: GET /tickets?tag=<tag>",
        ));
    }
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::field("limit", format!("must be 1-{MAX_LIMIT}")))?,
    };
    Ok((raw, limit))
}
