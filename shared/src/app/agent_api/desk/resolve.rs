//! The ticket's status as agents set it: waiting on the customer, resolved (the customer is
//! asked for a rating), reopened.

use super::{AgentDesk, AgentError, Reads};
use crate::app::analytics::Fact;
use crate::app::ticket_change::Draft;
use crate::domain::sla::SlaEvent;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::ports::store::{ActivityKind, OutboxKind};
use crate::ports::whatsapp::service_window_open;

/// Only an assigned ticket can wait on the customer.
pub(super) fn check_pending(ticket: &Ticket) -> Result<(), AgentError> {
    if ticket.status != TicketStatus::Assigned {
        return Err(AgentError::invalid(format!(
            "only an assigned ticket can wait on the customer; this one is {}",
            ticket.status.as_str()
        )));
    }
    Ok(())
}

/// Waiting on the customer: the SLA clocks pause.
pub(super) fn set_pending(draft: &mut Draft) {
    draft.next.status = TicketStatus::PendingCustomer;
    draft.log(ActivityKind::Pending, None, Vec::new());
    draft.sla_event(SlaEvent::Paused, draft.now);
}

/// An open ticket can be resolved; reads what asking for a rating needs (the customer's
/// consent, the rating template in their language).
pub(super) async fn check_resolve(
    desk: &AgentDesk,
    ticket: &Ticket,
    reads: &mut Reads,
) -> Result<(), AgentError> {
    if ticket.is_closed() {
        return Err(AgentError::invalid("the ticket is already resolved"));
    }
    reads.consent_record = desk.store.consent(&ticket.key.wa_id).await?;
    let lang = ticket
        .bot
        .as_ref()
        .and_then(|b| b.language)
        .map(|l| l.code());
    reads.survey_template = desk.survey_template(lang).await;
    Ok(())
}

/// Solved: the customer is asked for a rating (inside the window unless they opted out;
/// outside only with opt-in and the approved template), and whether they were is counted; the
/// agent's slot comes back.
pub(super) fn resolve(
    ticket: &Ticket,
    actor: &str,
    reads: &Reads,
    draft: &mut Draft,
) -> Option<String> {
    let now = draft.now;
    draft.next.resolve(actor, now);
    draft.log(ActivityKind::Resolved, None, Vec::new());
    let lang = ticket.bot.as_ref().and_then(|b| b.language);
    match crate::domain::csat::ask(
        reads.consent_record.as_ref(),
        service_window_open(ticket.last_inbound_at, now),
        lang,
        reads.survey_template.as_ref(),
    ) {
        Ok(question) => {
            draft.outbox.push(OutboxKind::WhatsApp, &question);
            draft.next.csat_asked_at = Some(now);
            draft.next.csat = None;
            draft.outbox.stats(&draft.next, Fact::SurveyAsked, now);
        }
        Err(_) => {
            draft.next.csat_asked_at = None;
            draft.outbox.stats(&draft.next, Fact::SurveyNotAsked, now);
        }
    }
    draft.sla_event(SlaEvent::Resolved, now);
    // After the clocks, so the SLA outcome is in the count.
    draft.stats_after_sla = Some(Fact::Resolved);
    ticket.assignee.clone()
}

/// Only a resolved ticket can be reopened.
pub(super) fn check_reopen(ticket: &Ticket) -> Result<(), AgentError> {
    if !ticket.is_closed() {
        return Err(AgentError::invalid(format!(
            "only a resolved ticket can be reopened; this one is {}",
            ticket.status.as_str()
        )));
    }
    Ok(())
}

/// Back to work for the agent who reopens it: paused clocks run again.
pub(super) fn reopen(actor: &str, draft: &mut Draft) {
    draft.next.reopen(actor);
    draft.log(ActivityKind::Reopened, None, Vec::new());
    if let Some(clocks) = draft.next.sla.as_mut() {
        clocks.apply(SlaEvent::Resumed, draft.now);
    }
    draft.sla_event(SlaEvent::Reopened, draft.now);
}

impl AgentDesk {
    /// The approved rating template in the customer's language (else any language).
    async fn survey_template(
        &self,
        lang: Option<&str>,
    ) -> Option<crate::domain::templates::ApprovedTemplate> {
        let catalog = self.templates.as_ref()?.current().await;
        let all = catalog.all();
        let named = || {
            all.iter()
                .filter(|t| t.name == crate::domain::csat::SURVEY_TEMPLATE && t.is_approved())
        };
        named()
            .find(|t| Some(t.language.as_str()) == lang)
            .or_else(|| named().next())
            .cloned()
    }
}
