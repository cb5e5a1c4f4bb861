//! Tickets and the conversation window that decides whether a message joins an open ticket.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::domain::bot::{BotState, HandoffReason, Priority};
use crate::domain::ids::{ConversationKey, TicketId, Wamid};
use crate::domain::sla::SlaClocks;

/// Where a ticket is in its life (see the state machine in the design notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// The bot is handling it.
    Bot,
    /// Waiting for an agent.
    Queued,
    Assigned,
    PendingCustomer,
    Resolved,
    Closed,
}

impl TicketStatus {
    /// A person owns the ticket: the bot stays silent.
    pub fn is_with_agent(self) -> bool {
        matches!(self, Self::Queued | Self::Assigned | Self::PendingCustomer)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Queued => "queued",
            Self::Assigned => "assigned",
            Self::PendingCustomer => "pending_customer",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bot" => Self::Bot,
            "queued" => Self::Queued,
            "assigned" => Self::Assigned,
            "pending_customer" => Self::PendingCustomer,
            "resolved" => Self::Resolved,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

/// A ticket as stored (the `META` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub key: ConversationKey,
    pub status: TicketStatus,
    pub customer_name: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The message that opened it.
    pub opened_by: Wamid,
    pub last_inbound_at: Timestamp,
    pub inbound_count: u64,
    /// Incremented by every write; writers condition on the value they read.
    pub version: u64,
    /// Where the bot is in the conversation.
    pub bot: Option<BotState>,
    pub priority: Option<Priority>,
    /// Why the bot handed the ticket to a person.
    pub handoff_reason: Option<HandoffReason>,
    pub resolved_at: Option<Timestamp>,
    /// Resolved by the bot without a person (for the bot resolution rate).
    pub resolved_by_bot: bool,
    /// SLA clocks, breaches and armed timers.
    pub sla: Option<SlaClocks>,
    /// The team that owns the ticket (set by routing and escalation).
    pub team: Option<String>,
    /// The agent working on it.
    pub assignee: Option<String>,
    /// What it is about (billing, shipping, ...): set by routing, changed by agents.
    #[serde(default)]
    pub category: Option<String>,
    /// When the bot (or a timer) last handed it to a person.
    #[serde(default)]
    pub handed_off_at: Option<Timestamp>,
    /// A person's first answer after the last handoff.
    #[serde(default)]
    pub first_response_at: Option<Timestamp>,
    /// The customer's rating after the resolution.
    #[serde(default)]
    pub csat: Option<Csat>,
    /// When the rating was asked for (the survey went out).
    #[serde(default)]
    pub csat_asked_at: Option<Timestamp>,
    /// Agents the ticket moved away from (an escalation, a reassignment): they keep reading it.
    #[serde(default)]
    pub watchers: Vec<String>,
    /// Agents' labels (normalised, sorted; see [`ticket_tags`](super::ticket_tags)).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A customer satisfaction rating, 1 (bad) to 5 (very good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Csat {
    pub score: u8,
    pub at: Timestamp,
}

impl Csat {
    pub const SCORES: std::ops::RangeInclusive<u8> = 1..=5;
}

impl Ticket {
    /// The customer wrote on a ticket a person owns; a ticket waiting on them is the agent's to
    /// work on again. Whether it was waiting.
    pub fn customer_wrote_to_agent(&mut self) -> bool {
        let resumed = self.status == TicketStatus::PendingCustomer;
        if resumed {
            self.status = TicketStatus::Assigned;
        }
        resumed
    }

    /// The bot takes (or keeps) the ticket for a turn. On a new question (`opened`) whoever
    /// solved the last one has let it go, and an unanswered survey about it no longer takes a
    /// typed digit as a rating.
    pub fn with_bot(&mut self, opened: bool) {
        if opened {
            self.assignee = None;
            self.first_response_at = None;
            self.csat_asked_at = None;
        }
        self.status = TicketStatus::Bot;
        self.resolved_at = None;
        self.resolved_by_bot = false;
    }

    /// The bot hands the ticket over to a person: it waits in a team queue.
    pub fn hand_over(&mut self, priority: Priority, reason: HandoffReason, at: Timestamp) {
        self.status = TicketStatus::Queued;
        self.priority = Some(priority);
        self.handoff_reason = Some(reason);
        self.handed_off_at = Some(at);
        self.first_response_at = None;
    }

    /// The bot solved the customer's question.
    pub fn resolve_by_bot(&mut self, at: Timestamp) {
        self.status = TicketStatus::Resolved;
        self.resolved_at = Some(at);
        self.resolved_by_bot = true;
    }

    /// Whether the ticket is resolved or closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.status, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// A person solved it; `by` owns it from now on if nobody did.
    pub fn resolve(&mut self, by: &str, at: Timestamp) {
        self.status = TicketStatus::Resolved;
        self.resolved_at = Some(at);
        self.resolved_by_bot = false;
        if self.assignee.is_none() {
            self.assignee = Some(by.to_owned());
        }
    }

    /// Back to work on a resolved ticket, for `agent`.
    pub fn reopen(&mut self, agent: &str) {
        self.status = TicketStatus::Assigned;
        self.assignee = Some(agent.to_owned());
        self.resolved_at = None;
        self.resolved_by_bot = false;
    }

    /// Given to `agent` (from the queue or the bot: it is theirs to work on now), or back to
    /// the team queue with `None`. A previous agent may still read it.
    pub fn assign(&mut self, agent: Option<&str>) {
        match agent {
            Some(_) if matches!(self.status, TicketStatus::Queued | TicketStatus::Bot) => {
                self.status = TicketStatus::Assigned;
            }
            Some(_) => {}
            None => self.status = TicketStatus::Queued,
        }
        if let (Some(previous), Some(_)) = (&self.assignee, agent)
            && !self.watchers.contains(previous)
        {
            self.watchers.push(previous.clone());
        }
        self.assignee = agent.map(str::to_owned);
    }

    /// A new ticket, owned by the bot, opened by `first` sent at `sent_at`.
    pub fn open(
        key: ConversationKey,
        first: Wamid,
        sent_at: Timestamp,
        customer_name: Option<String>,
        now: Timestamp,
    ) -> Self {
        Self {
            id: TicketId::new(now),
            key,
            status: TicketStatus::Bot,
            customer_name,
            created_at: now,
            updated_at: now,
            opened_by: first,
            last_inbound_at: sent_at,
            inbound_count: 1,
            version: 1,
            bot: None,
            priority: None,
            handoff_reason: None,
            resolved_at: None,
            resolved_by_bot: false,
            sla: None,
            team: None,
            assignee: None,
            category: None,
            handed_off_at: None,
            first_response_at: None,
            csat: None,
            csat_asked_at: None,
            watchers: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The SLA state a person scans for: breached, at risk (warned) or fine.
    pub fn sla_state(&self) -> SlaState {
        let Some(sla) = &self.sla else {
            return SlaState::None;
        };
        let running = || sla.clocks.iter().filter(|(_, c)| c.met_at.is_none());
        if running().any(|(_, c)| c.stage_done >= 2) {
            SlaState::Breached
        } else if running().any(|(_, c)| c.stage_done == 1) {
            SlaState::AtRisk
        } else if sla.breaches.is_empty() {
            SlaState::Ok
        } else {
            // Every breached clock is met by now; the record stays.
            SlaState::WasBreached
        }
    }
}

/// A ticket's SLA standing, for queues and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// No policy applies (yet).
    None,
    Ok,
    /// A warning fired on a running clock.
    AtRisk,
    /// A running clock is past its deadline.
    Breached,
    /// A deadline was missed earlier; nothing is overdue now.
    WasBreached,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ok => "ok",
            Self::AtRisk => "at_risk",
            Self::Breached => "breached",
            Self::WasBreached => "was_breached",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::None,
            Self::Ok,
            Self::AtRisk,
            Self::Breached,
            Self::WasBreached,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// The open conversation of one customer with one business number (the `CONV#…/OPEN` item):
/// which ticket new messages join, and when the customer last wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub key: ConversationKey,
    pub ticket_id: TicketId,
    pub opened_at: Timestamp,
    pub last_customer_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the conversation window must be between {min} and {max} hours, got {got}")]
pub struct WindowError {
    pub got: i64,
    pub min: i64,
    pub max: i64,
}

/// How long after a customer's last message a new message still joins the same ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationWindow(SignedDuration);

/// What to do with a customer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowDecision {
    /// Append to this open ticket.
    Join(TicketId),
    /// Open a new ticket; `replacing` is the conversation's previous ticket, if any.
    Open { replacing: Option<TicketId> },
}

impl ConversationWindow {
    pub const DEFAULT_HOURS: i64 = 24;
    pub const MIN_HOURS: i64 = 1;
    /// Meta retries webhooks for 7 days and our idempotency records live that long.
    pub const MAX_HOURS: i64 = 168;

    pub fn from_hours(hours: i64) -> Result<Self, WindowError> {
        if !(Self::MIN_HOURS..=Self::MAX_HOURS).contains(&hours) {
            return Err(WindowError {
                got: hours,
                min: Self::MIN_HOURS,
                max: Self::MAX_HOURS,
            });
        }
        Ok(Self(SignedDuration::from_hours(hours)))
    }

    pub fn duration(self) -> SignedDuration {
        self.0
    }

    /// Decides by the customer's own send times (Meta's timestamps), so a webhook delivered late
    /// by Meta's retries lands where the customer meant it.
    pub fn decide(self, open: Option<&Conversation>, sent_at: Timestamp) -> WindowDecision {
        match open {
            None => WindowDecision::Open { replacing: None },
            Some(c)
                if sent_at
                    <= c.last_customer_at
                        .saturating_add(self.0)
                        .unwrap_or(Timestamp::MAX) =>
            {
                WindowDecision::Join(c.ticket_id)
            }
            Some(c) => WindowDecision::Open {
                replacing: Some(c.ticket_id),
            },
        }
    }
}

impl Default for ConversationWindow {
    fn default() -> Self {
        Self(SignedDuration::from_hours(Self::DEFAULT_HOURS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{PhoneNumberId, WaId};

    fn key() -> ConversationKey {
        ConversationKey {
            phone_number_id: PhoneNumberId::parse("1065").unwrap(),
            wa_id: WaId::parse("4915112345678").unwrap(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn open_conversation(last: &str) -> Conversation {
        Conversation {
            key: key(),
            ticket_id: TicketId::parse("01JDQ0000000000000000000AA").unwrap(),
            opened_at: ts("2026-11-01T08:00:00Z"),
            last_customer_at: ts(last),
        }
    }

    #[test]
    fn first_message_of_a_customer_opens_a_ticket() {
        let w = ConversationWindow::default();
        assert_eq!(
            w.decide(None, ts("2026-11-01T08:00:00Z")),
            WindowDecision::Open { replacing: None }
        );
    }

    #[test]
    fn follow_up_within_the_window_joins_the_open_ticket() {
        let w = ConversationWindow::default();
        let c = open_conversation("2026-11-01T08:00:00Z");
        assert_eq!(
            w.decide(Some(&c), ts("2026-11-02T07:59:59Z")),
            WindowDecision::Join(c.ticket_id)
        );
        assert_eq!(
            w.decide(Some(&c), ts("2026-11-02T08:00:00Z")),
            WindowDecision::Join(c.ticket_id)
        );
    }

    #[test]
    fn message_after_the_window_opens_a_new_ticket_replacing_the_old() {
        let w = ConversationWindow::default();
        let c = open_conversation("2026-11-01T08:00:00Z");
        assert_eq!(
            w.decide(Some(&c), ts("2026-11-02T08:00:01Z")),
            WindowDecision::Open {
                replacing: Some(c.ticket_id)
            }
        );
    }

    #[test]
    fn window_counts_from_the_last_customer_message_not_the_first() {
        let w = ConversationWindow::from_hours(48).unwrap();
        let c = open_conversation("2026-11-03T08:00:00Z");
        assert_eq!(
            w.decide(Some(&c), ts("2026-11-05T07:00:00Z")),
            WindowDecision::Join(c.ticket_id)
        );
    }

    #[test]
    fn a_late_delivered_older_message_joins_the_open_ticket() {
        let w = ConversationWindow::default();
        let c = open_conversation("2026-11-01T08:00:00Z");
        assert_eq!(
            w.decide(Some(&c), ts("2026-11-01T07:00:00Z")),
            WindowDecision::Join(c.ticket_id)
        );
    }

    #[test]
    fn window_length_is_bounded() {
        assert!(ConversationWindow::from_hours(0).is_err());
        assert!(ConversationWindow::from_hours(169).is_err());
        assert_eq!(
            ConversationWindow::from_hours(48).unwrap().duration(),
            SignedDuration::from_hours(48)
        );
    }

    fn bot_ticket() -> Ticket {
        let at = Timestamp::from_second(1_795_510_800).unwrap();
        Ticket::open(key(), Wamid::parse("wamid.1").unwrap(), at, None, at)
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_795_510_800 + s).unwrap()
    }

    #[test]
    fn a_handover_queues_the_ticket_with_its_priority_and_reason_and_no_first_response() {
        let mut t = bot_ticket();
        t.first_response_at = Some(at(1));
        t.hand_over(Priority::High, HandoffReason::Complaint, at(5));
        assert_eq!(t.status, TicketStatus::Queued);
        assert_eq!(t.priority, Some(Priority::High));
        assert_eq!(t.handoff_reason, Some(HandoffReason::Complaint));
        assert_eq!(t.handed_off_at, Some(at(5)));
        assert_eq!(t.first_response_at, None);
    }

    #[test]
    fn a_new_question_to_the_bot_lets_go_of_the_last_agent_and_survey() {
        let mut t = bot_ticket();
        t.resolve("maria", at(1));
        t.csat_asked_at = Some(at(1));
        t.with_bot(true);
        assert_eq!(t.status, TicketStatus::Bot);
        assert_eq!(
            (t.assignee, t.csat_asked_at, t.resolved_at),
            (None, None, None)
        );
        let mut kept = bot_ticket();
        kept.assignee = Some("maria".into());
        kept.with_bot(false);
        assert_eq!(kept.assignee.as_deref(), Some("maria"));
    }

    #[test]
    fn resolving_by_bot_or_by_a_person_is_told_apart_and_reopening_clears_it() {
        let mut t = bot_ticket();
        t.resolve_by_bot(at(2));
        assert!(t.resolved_by_bot && t.is_closed());
        t.resolve("tom", at(3));
        assert!(!t.resolved_by_bot);
        assert_eq!(t.assignee.as_deref(), Some("tom"), "the resolver owns it");
        t.reopen("lea");
        assert_eq!(t.status, TicketStatus::Assigned);
        assert_eq!(t.assignee.as_deref(), Some("lea"));
        assert_eq!(t.resolved_at, None);
        assert!(!t.is_closed());
    }

    #[test]
    fn assigning_takes_a_queued_ticket_keeps_a_waiting_one_and_the_previous_agent_watches() {
        let mut t = bot_ticket();
        t.status = TicketStatus::Queued;
        t.assign(Some("maria"));
        assert_eq!(t.status, TicketStatus::Assigned);
        t.status = TicketStatus::PendingCustomer;
        t.assign(Some("tom"));
        assert_eq!(t.status, TicketStatus::PendingCustomer);
        assert_eq!(t.watchers, ["maria"]);
        t.assign(None);
        assert_eq!(t.status, TicketStatus::Queued);
        assert_eq!(t.assignee, None);
        assert_eq!(t.watchers, ["maria"], "back to the queue adds no watcher");
    }

    #[test]
    fn a_customer_answer_puts_a_waiting_ticket_back_to_the_agent() {
        let mut t = bot_ticket();
        t.status = TicketStatus::PendingCustomer;
        assert!(t.customer_wrote_to_agent());
        assert_eq!(t.status, TicketStatus::Assigned);
        assert!(!t.customer_wrote_to_agent());
    }
}
