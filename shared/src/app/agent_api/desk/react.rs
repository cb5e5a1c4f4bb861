//! An emoji reaction to a customer message.

use crate::app::ticket_change::Draft;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::ports::store::{ActivityKind, OutboxKind};
use crate::ports::whatsapp::OutboundBody;

/// A reaction to a customer message: sent like a reply, but it is not an answer (no first
/// response, no SLA event); an unassigned ticket becomes the reacting agent's (their slot was
/// claimed before).
pub(super) fn react(ticket: &Ticket, actor: &str, message: &str, emoji: &str, draft: &mut Draft) {
    let body = OutboundBody::Reaction {
        message_id: message.to_owned(),
        emoji: emoji.to_owned(),
    };
    draft.log(ActivityKind::Reacted, Some(body.text()), Vec::new());
    if ticket.assignee.is_none() {
        draft.next.assignee = Some(actor.to_owned());
        draft.log(ActivityKind::Assigned, Some(actor.to_owned()), Vec::new());
        if ticket.status != TicketStatus::PendingCustomer {
            draft.next.status = TicketStatus::Assigned;
        }
    }
    draft.outbox.push(
        OutboxKind::WhatsApp,
        &crate::app::outbox::OutboundEntry {
            body,
            sent_by: Some(actor.to_owned()),
            attachment: None,
        },
    );
}
