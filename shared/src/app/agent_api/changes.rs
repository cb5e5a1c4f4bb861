//! The live console: `GET /changes` (the change feed a console polls instead of re-reading the
//! queue and the open ticket blindly) and `POST /tickets/{id}/read` (an agent opened the
//! conversation: the customer's last message turns "read" with a typing indicator).
//!
//! `GET /changes?since=<token>&ticket=<id>` answers at once with `{token, queue, ticket}`:
//! `queue` says the desk changed since `token` (any ticket: new, moved, assigned, a new
//! message), `ticket` that the given ticket did (its messages, delivery ticks, notes, status).
//! Without `since` it only gives the current token. The console re-reads what moved and keeps
//! the new token. Cost and the choice against a WebSocket API: README "Live console".

use serde::Serialize;
use tracing::{info, warn};

use super::AgentApi;
use super::router::{ApiError, ApiResponse, Call};
use crate::domain::ids::TicketId;
use crate::domain::ticket::TicketStatus;
use crate::ports::store::changes::ChangeToken;
use crate::ports::store::{Direction, message_sort_key};

/// `GET /changes`.
#[derive(Debug, Serialize)]
pub struct Changes {
    /// What to send as `since` next time.
    pub token: String,
    /// The desk moved since `since`: reload the queue.
    pub queue: bool,
    /// The followed ticket moved since `since`: reload it.
    pub ticket: bool,
}

/// `POST /tickets/{id}/read`.
#[derive(Debug, Serialize)]
pub struct ReadReceipt {
    /// Whether the customer was shown "read" and "typing…" now.
    pub marked: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl AgentApi {
    pub(super) async fn changes(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let (caller, q) = (&call.caller, &call.query);
        q.only(&["since", "ticket"])?;
        let since = q
            .get("since")
            .map(ChangeToken::parse)
            .transpose()
            .map_err(|e| ApiError::field("since", e.to_string()))?;
        let ticket = match q.get("ticket") {
            None => None,
            Some(raw) => {
                TicketId::parse(raw)
                    .map_err(|_| ApiError::field("ticket", "is not a ticket id"))?;
                // The same rule as reading the ticket: a feed tells what changed, so only
                // whoever may see the ticket may follow it.
                Some(self.visible_ticket(caller, raw).await?.id)
            }
        };
        let marks = self.desk.store().change_marks(ticket).await?;
        let token = ChangeToken::of(marks);
        let (queue, ticket_moved) = match since {
            None => (false, false),
            Some(seen) => (seen.desk_moved(marks), seen.ticket_moved(marks)),
        };
        ApiResponse::ok(Changes {
            token: token.to_string(),
            queue,
            ticket: ticket_moved,
        })
    }

    /// The agent opened ticket `id`: its newest customer message is marked read with a typing
    /// indicator, once per message (a second open, a second agent, a reload: nothing sent).
    /// Never for a conversation the bot answers (the bot marks read itself, without typing),
    /// nor for one that is over, nor by someone who may only read it.
    pub(super) async fn open_conversation(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        let ticket = self.visible_ticket(caller, id).await?;
        let not = |reason: &'static str| {
            ApiResponse::ok(ReadReceipt {
                marked: false,
                reason: Some(reason),
            })
        };
        match ticket.status {
            TicketStatus::Bot => return not("the bot answers this conversation"),
            TicketStatus::Resolved | TicketStatus::Closed => {
                return not("the conversation is over");
            }
            TicketStatus::Queued | TicketStatus::Assigned | TicketStatus::PendingCustomer => {}
        }
        let teams = self.teams_of(caller).await?;
        if self.may_act(caller, &teams, &ticket).is_err() {
            return not("you may only read this ticket");
        }
        let store = self.desk.store();
        let Some(last) = store
            .messages(ticket.id)
            .await?
            .into_iter()
            .filter(|m| m.direction == Direction::Inbound)
            .max_by_key(|m| message_sort_key(m.sent_at, &m.wamid))
        else {
            return not("the customer has not written");
        };
        let key = message_sort_key(last.sent_at, &last.wamid);
        if !store.claim_agent_read(ticket.id, &key).await? {
            return not("already read");
        }
        let sent = crate::platform::deadline::within(
            self.desk
                .whatsapp()
                .mark_read_typing(&ticket.key.phone_number_id, &last.wamid),
        )
        .await;
        let failure = match sent {
            Ok(Ok(())) => {
                info!(ticket = %ticket.id, wamid = %last.wamid.log_ref(), "customer shown read and typing");
                return ApiResponse::ok(ReadReceipt {
                    marked: true,
                    reason: None,
                });
            }
            // Meta refused this message for good (unknown, too old): opening it again cannot
            // help, so the claim stays and the agent is not shown an error.
            Ok(Err(e)) if !e.is_retryable() => {
                warn!(ticket = %ticket.id, wamid = %last.wamid.log_ref(), error = %e, "WhatsApp refused the read receipt");
                return ApiResponse::ok(ReadReceipt {
                    marked: false,
                    reason: Some("whatsapp refused the read receipt for this message"),
                });
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        // Not sent: give the claim back so the next open tries again.
        if let Err(e) = store.release_agent_read(ticket.id, &key).await {
            warn!(ticket = %ticket.id, error = %e, "could not give back a read claim");
        }
        warn!(ticket = %ticket.id, wamid = %last.wamid.log_ref(), error = %failure, "could not mark the customer's message read");
        Err(ApiError::new(
            503,
            "whatsapp_unavailable",
            "WhatsApp did not take the read receipt; it is tried again when the conversation is opened next",
        ))
    }
}

#[cfg(test)]
mod tests;
