//! Writing to the customer: a free-form reply (inside the 24 h window), an approved template
//! (any time, with the customer's consent); what reactions and attachments share with them.

use super::{AgentAction, AgentDesk, AgentError, Reads, Request};
use crate::app::analytics::Fact;
use crate::app::ticket_change::Draft;
use crate::domain::sla::SlaEvent;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::ports::store::{ActivityKind, Direction, OutboxKind};
use crate::ports::whatsapp::{OutboundBody, Template, service_window_open};

/// Whether the ticket can be written to now (a reply, a reaction, an attachment, a template)
/// and what that reads; an unassigned ticket goes to the writer, whose slot is claimed.
pub(super) async fn check_write<'a>(
    request: &Request<'a>,
    ticket: &Ticket,
    reads: &mut Reads,
) -> Result<Option<&'a str>, AgentError> {
    let desk = request.desk;
    if ticket.is_closed() {
        return Err(AgentError::invalid(
            "the ticket is resolved; reopen it to write",
        ));
    }
    if !matches!(request.action, AgentAction::SendTemplate { .. }) {
        if !service_window_open(ticket.last_inbound_at, desk.clock.now()) {
            return Err(AgentError::OutsideServiceWindow);
        }
    } else {
        reads.consent = desk.consent(ticket).await?;
        if !reads.consent {
            return Err(AgentError::NoConsent);
        }
    }
    if let Some((field, wamid)) = request.refers_to() {
        desk.customer_message(ticket, field, wamid).await?;
    }
    if let AgentAction::Attach { key, caption } = request.action {
        reads.attachment = Some(desk.attachment(ticket, key, caption.as_deref()).await?);
    }
    // Answering an unassigned ticket takes it.
    Ok(ticket.assignee.is_none().then_some(request.actor))
}

/// A free-form message, quoting a customer message if asked.
pub(super) fn reply(
    ticket: &Ticket,
    actor: &str,
    text: &str,
    quote: &Option<String>,
    draft: &mut Draft,
) {
    let body = match quote {
        Some(q) => OutboundBody::QuotedText {
            body: text.to_owned(),
            reply_to: q.clone(),
        },
        None => OutboundBody::Text {
            body: text.to_owned(),
        },
    };
    write_to_customer(ticket, actor, body, None, draft);
}

/// An approved template, recorded by name.
pub(super) fn send_template(ticket: &Ticket, actor: &str, template: &Template, draft: &mut Draft) {
    draft.log(
        ActivityKind::TemplateSent,
        Some(template.name.clone()),
        Vec::new(),
    );
    let body = OutboundBody::Template(template.clone());
    write_to_customer(ticket, actor, body, None, draft);
}

/// A reply or a template to the customer; an unassigned ticket becomes the writer's (their
/// slot was claimed before).
pub(super) fn write_to_customer(
    ticket: &Ticket,
    actor: &str,
    body: OutboundBody,
    attachment: Option<crate::app::outbox::AttachmentRef>,
    draft: &mut Draft,
) {
    let now = draft.now;
    let template = body.is_template();
    if ticket.assignee.is_none() {
        draft.next.assignee = Some(actor.to_owned());
        draft.log(ActivityKind::Assigned, Some(actor.to_owned()), Vec::new());
    }
    draft.outbox.push(
        OutboxKind::WhatsApp,
        &crate::app::outbox::OutboundEntry {
            body,
            sent_by: Some(actor.to_owned()),
            attachment,
        },
    );
    if !template {
        draft.log(ActivityKind::Replied, None, Vec::new());
    }
    if ticket.status != TicketStatus::PendingCustomer {
        draft.next.status = TicketStatus::Assigned;
    }
    if ticket.first_response_at.is_none() && ticket.status != TicketStatus::Bot {
        draft.next.first_response_at = Some(now);
        draft.outbox.stats(&draft.next, Fact::FirstResponse, now);
    }
    draft.sla_event(SlaEvent::AgentReplied, now);
}

impl AgentDesk {
    /// Whether the customer allows business-initiated messages (templates, the survey).
    async fn consent(&self, ticket: &Ticket) -> Result<bool, AgentError> {
        let consent = self.store.consent(&ticket.key.wa_id).await?;
        Ok(crate::domain::consent::Consent::allows_business_messages(
            consent.as_ref(),
        ))
    }

    /// Checks that `wamid` is a message the customer wrote on this ticket (a reaction of theirs
    /// is not one to quote or react to); `field` is the request's field that named it.
    async fn customer_message(
        &self,
        ticket: &Ticket,
        field: &'static str,
        wamid: &str,
    ) -> Result<(), AgentError> {
        let messages = self.store.messages(ticket.id).await?;
        let found = messages.iter().find(|m| m.wamid.as_str() == wamid);
        match found {
            Some(m) if m.direction == Direction::Inbound && m.kind != "reaction" => Ok(()),
            Some(_) => Err(AgentError::field(
                field,
                "names a message that is not one the customer wrote",
            )),
            None => Err(AgentError::field(
                field,
                format!("names no message of ticket {}", ticket.id),
            )),
        }
    }
}
