//! The change feed the agent console polls (`GET /changes`): two counters a store bumps after
//! every committed ticket change: one for the whole desk (queues, assignments, any new ticket or
//! message) and one per ticket (its messages, delivery ticks, notes, status). A console keeps the
//! token of the counters it last saw and re-reads the queue or the open ticket only when one
//! moved. README: "Live console".
//!
//! The counters are bumped *after* the change is committed, never inside its transaction: a
//! desk-wide counter written in every transaction would make any two concurrent ticket
//! transactions conflict (DynamoDB cancels both with `TransactionConflict`). Bumping after the
//! commit keeps the one guarantee the console needs: whoever reads a moved counter and then the
//! state sees that change (the state was written first), so no change is missed; a change whose
//! bump is lost (the process died in between) shows with the next change or the console's slow
//! full refresh.

use std::collections::HashMap;
use std::fmt;

use crate::domain::ids::TicketId;

/// The counters as read now. `ticket` is `None` when no ticket was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeMarks {
    pub desk: u64,
    pub ticket: Option<u64>,
}

/// What a console last saw: `<desk>.<ticket>` (the ticket part is 0 when no ticket is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeToken {
    pub desk: u64,
    pub ticket: u64,
}

/// Why a token is refused (the API answers 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "is not a change token: expected two numbers joined by a dot as a previous /changes answer gave (like 12.3), got {0:?}"
)]
pub struct InvalidToken(pub String);

impl ChangeToken {
    pub fn parse(raw: &str) -> Result<Self, InvalidToken> {
        let invalid = || InvalidToken(raw.chars().take(40).collect());
        let (desk, ticket) = raw.split_once('.').ok_or_else(invalid)?;
        let number = |s: &str| -> Result<u64, InvalidToken> {
            if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            s.parse().map_err(|_| invalid())
        };
        Ok(Self {
            desk: number(desk)?,
            ticket: number(ticket)?,
        })
    }

    /// The token of `marks`.
    pub fn of(marks: ChangeMarks) -> Self {
        Self {
            desk: marks.desk,
            ticket: marks.ticket.unwrap_or(0),
        }
    }

    /// Whether the desk moved since this token. Any difference counts, not only a larger
    /// number: a store that started again (the local runner) counts from zero.
    pub fn desk_moved(&self, now: ChangeMarks) -> bool {
        self.desk != now.desk
    }

    /// Whether the asked-for ticket moved since this token.
    pub fn ticket_moved(&self, now: ChangeMarks) -> bool {
        now.ticket.is_some_and(|t| t != self.ticket)
    }
}

impl fmt::Display for ChangeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.desk, self.ticket)
    }
}

/// The counters of the in-memory store (bumped under the same lock as the write itself).
#[derive(Debug, Default)]
pub(super) struct ChangeLog {
    desk: u64,
    tickets: HashMap<TicketId, u64>,
}

impl ChangeLog {
    pub(super) fn touch(&mut self, ticket: TicketId) {
        self.desk += 1;
        *self.tickets.entry(ticket).or_default() += 1;
    }

    pub(super) fn marks(&self, ticket: Option<TicketId>) -> ChangeMarks {
        ChangeMarks {
            desk: self.desk,
            ticket: ticket.map(|t| self.tickets.get(&t).copied().unwrap_or(0)),
        }
    }
}

/// The sort key of the marker that says up to which customer message an agent opened a ticket
/// (and the customer was shown "read"): the message's own sort key.
pub const AGENT_READ_SK: &str = "AGENT_READ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_through_its_text() {
        let t = ChangeToken {
            desk: 42,
            ticket: 7,
        };
        assert_eq!(ChangeToken::parse(&t.to_string()), Ok(t));
    }

    #[test]
    fn malformed_tokens_are_refused_naming_what_came() {
        for raw in [
            "",
            "12",
            "a.b",
            "1.",
            ".1",
            "1.2.3",
            "-1.2",
            "1.2 ",
            "99999999999999999999.1",
        ] {
            let e = ChangeToken::parse(raw).expect_err(raw);
            assert!(e.to_string().contains("two numbers joined by a dot"), "{e}");
        }
    }

    #[test]
    fn a_counter_that_went_back_counts_as_moved() {
        let seen = ChangeToken { desk: 9, ticket: 3 };
        let marks = ChangeMarks {
            desk: 2,
            ticket: Some(3),
        };
        assert!(seen.desk_moved(marks));
        assert!(!seen.ticket_moved(marks));
    }
}
