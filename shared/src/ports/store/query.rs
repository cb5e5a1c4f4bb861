//! Ticket listings over several partitions: which partitions to read in which order, which
//! tickets to keep, and an opaque cursor saying where the next page starts.

use super::{StoreError, TicketStore};
use crate::domain::bot::Priority;
use crate::domain::ticket::{SlaState, Ticket, TicketStatus};

/// A ticket listing partition (DynamoDB: a GSI partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketIndex {
    /// Tickets in one status and team, oldest first (the work queue).
    Queue {
        status: crate::domain::ticket::TicketStatus,
        team: Option<String>,
    },
    /// One agent's tickets, most recently changed first.
    Assignee(String),
    /// The tickets carrying one tag (normalised), oldest first (DynamoDB: the `TAG#<tag>`
    /// index items, then the tickets they name).
    Tag(String),
}

impl TicketIndex {
    /// The queue index key of a ticket: `<status>#<team or ->`.
    pub fn queue_key(status: crate::domain::ticket::TicketStatus, team: Option<&str>) -> String {
        format!("{}#{}", status.as_str(), team.unwrap_or("-"))
    }
}

/// One page of a listing; `next` continues it (opaque to callers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub next: Option<String>,
}

/// Store queries one listing page may make before it returns what it has (and a cursor): a
/// filter that keeps few tickets must not make one request read the whole table.
pub const MAX_QUERIES: usize = 40;

/// Which tickets a listing keeps of those its partitions hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Any of these statuses (empty: any status).
    pub statuses: Vec<TicketStatus>,
    pub team: Option<String>,
    pub priority: Option<Priority>,
    pub sla: Option<SlaState>,
    /// The agent the ticket is assigned to (when the partitions are not that agent's).
    pub assignee: Option<String>,
    /// A tag the ticket carries (when the partitions are not that tag's).
    pub tag: Option<String>,
}

impl TicketFilter {
    pub fn matches(&self, t: &Ticket) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && self
                .team
                .as_ref()
                .is_none_or(|team| t.team.as_ref() == Some(team))
            && self.priority.is_none_or(|p| t.priority == Some(p))
            && self.sla.is_none_or(|s| t.sla_state() == s)
            && self
                .assignee
                .as_ref()
                .is_none_or(|a| t.assignee.as_ref() == Some(a))
            && self.tag.as_ref().is_none_or(|tag| t.tags.contains(tag))
    }
}

/// A cursor that this listing did not give out (or that does not fit its partitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this listing gave out")]
pub struct InvalidCursor;

/// One page of a listing: read `partitions` in order, keep what `filter` matches, stop at
/// `limit` tickets (or [`MAX_QUERIES`] store queries), and say where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketQuery {
    partitions: Vec<TicketIndex>,
    filter: TicketFilter,
    limit: u32,
    start: Position,
}

/// Where a listing stands: the partition it reads and the store's position within it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Position {
    part: usize,
    after: Option<String>,
}

impl TicketQuery {
    /// The first page.
    pub fn new(partitions: Vec<TicketIndex>, filter: TicketFilter, limit: u32) -> Self {
        Self {
            partitions,
            filter,
            limit: limit.max(1),
            start: Position::default(),
        }
    }

    /// The page `cursor` (a previous page's `next`) points at.
    pub fn resume(mut self, cursor: &str) -> Result<Self, InvalidCursor> {
        self.start = Position::decode(cursor, self.partitions.len())?;
        Ok(self)
    }

    /// Reads the page from `store`, keeping the tickets that match the filter and `visible`
    /// (the caller's access rule). A store that rejects the position inside the cursor
    /// answers [`StoreError::Rejected`].
    pub async fn run<S: TicketStore + ?Sized>(
        &self,
        store: &S,
        visible: impl Fn(&Ticket) -> bool,
    ) -> Result<TicketPage, StoreError> {
        let Position {
            mut part,
            mut after,
        } = self.start.clone();
        let mut tickets = Vec::new();
        let mut queries = 0;
        while part < self.partitions.len()
            && tickets.len() < self.limit as usize
            && queries < MAX_QUERIES
        {
            queries += 1;
            let want = self.limit - u32::try_from(tickets.len()).unwrap_or(0);
            let page = store
                .list_tickets(&self.partitions[part], want, after.as_deref())
                .await?;
            tickets.extend(
                page.tickets
                    .into_iter()
                    .filter(|t| self.filter.matches(t) && visible(t)),
            );
            match page.next {
                Some(next) => after = Some(next),
                None => (part, after) = (part + 1, None),
            }
        }
        let next = (part < self.partitions.len()).then(|| Position { part, after }.encode());
        Ok(TicketPage { tickets, next })
    }
}

impl Position {
    /// Hex of `{"p": <partition>, "a": <store position or null>}`: opaque, URL-safe.
    fn encode(&self) -> String {
        hex::encode(serde_json::json!({ "p": self.part, "a": self.after }).to_string())
    }

    fn decode(raw: &str, partitions: usize) -> Result<Self, InvalidCursor> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            p: usize,
            a: Option<String>,
        }
        let bytes = hex::decode(raw).map_err(|_| InvalidCursor)?;
        let Raw { p, a } = serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)?;
        if p >= partitions {
            return Err(InvalidCursor);
        }
        Ok(Self { part: p, after: a })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::ids::{ConversationKey, PhoneNumberId, WaId, Wamid};
    use crate::ports::store::{MemoryStore, MessageRecord};
    use jiff::Timestamp;

    fn queue(team: &str) -> TicketIndex {
        TicketIndex::Queue {
            status: TicketStatus::Queued,
            team: Some(team.into()),
        }
    }

    /// Opens a queued ticket of `team` with `priority`, `n` seconds into the day.
    pub(crate) async fn queued(
        store: &MemoryStore,
        n: i64,
        team: &str,
        priority: Priority,
    ) -> Ticket {
        let at = Timestamp::from_second(1_795_510_800 + n).unwrap();
        let wamid = Wamid::parse(&format!("wamid.Q{n}")).unwrap();
        let key = ConversationKey {
            phone_number_id: PhoneNumberId::parse("1234567890").unwrap(),
            wa_id: WaId::parse(&format!("49151000000{n:02}")).unwrap(),
        };
        let mut ticket = Ticket::open(key, wamid.clone(), at, None, at);
        ticket.status = TicketStatus::Queued;
        ticket.team = Some(team.into());
        ticket.priority = Some(priority);
        let first = MessageRecord::inbound_text(ticket.id, wamid, "Wo bleibt mein Paket?", at);
        store.open_ticket(&ticket, None, &first).await.unwrap();
        ticket
    }

    fn ids(page: &TicketPage) -> Vec<String> {
        page.tickets.iter().map(|t| t.id.to_string()).collect()
    }

    #[tokio::test]
    async fn pages_run_across_partitions_in_order_and_the_cursor_continues_where_one_stopped() {
        let store = MemoryStore::new();
        let a1 = queued(&store, 1, "billing", Priority::Normal).await;
        let a2 = queued(&store, 2, "billing", Priority::Normal).await;
        let b1 = queued(&store, 3, "shipping", Priority::Normal).await;
        let query = TicketQuery::new(
            vec![queue("billing"), queue("shipping")],
            TicketFilter::default(),
            2,
        );
        let first = query.run(&store, |_| true).await.unwrap();
        assert_eq!(ids(&first), [a1.id.to_string(), a2.id.to_string()]);
        let cursor = first.next.expect("shipping is still to read");
        let rest = query
            .clone()
            .resume(&cursor)
            .unwrap()
            .run(&store, |_| true)
            .await
            .unwrap();
        assert_eq!(ids(&rest), [b1.id.to_string()]);
        assert_eq!(rest.next, None);
    }

    #[tokio::test]
    async fn only_tickets_the_filter_and_the_access_rule_keep_are_listed() {
        let store = MemoryStore::new();
        queued(&store, 1, "billing", Priority::Normal).await;
        let urgent = queued(&store, 2, "billing", Priority::Urgent).await;
        let hidden = queued(&store, 3, "billing", Priority::Urgent).await;
        let filter = TicketFilter {
            statuses: vec![TicketStatus::Queued],
            priority: Some(Priority::Urgent),
            ..TicketFilter::default()
        };
        let page = TicketQuery::new(vec![queue("billing")], filter, 10)
            .run(&store, |t| t.id != hidden.id)
            .await
            .unwrap();
        assert_eq!(ids(&page), [urgent.id.to_string()]);
    }

    #[test]
    fn cursors_it_did_not_give_out_are_refused() {
        let query = TicketQuery::new(vec![queue("a"), queue("b")], TicketFilter::default(), 5);
        let given = Position {
            part: 1,
            after: Some("x".into()),
        }
        .encode();
        assert!(query.clone().resume(&given).is_ok());
        let beyond = Position {
            part: 2,
            after: None,
        }
        .encode();
        for raw in [
            "zz".to_owned(),
            hex::encode("not json"),
            hex::encode(r#"{"p":-1,"a":null}"#),
            hex::encode(r#"{"p":0,"a":7}"#),
            hex::encode(r#"{"p":0,"a":null,"x":1}"#),
            beyond,
        ] {
            assert_eq!(query.clone().resume(&raw), Err(InvalidCursor), "{raw}");
        }
    }
}
