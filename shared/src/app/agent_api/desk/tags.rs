//! Tags on and off a ticket.

use super::{AgentAction, AgentError};
use crate::app::ticket_change::{Decision, Draft};
use crate::domain::ticket::Ticket;
use crate::domain::ticket_tags::{Tag, Tagging, add_tag, remove_tag};
use crate::ports::store::ActivityKind;

/// Whether `tag` may go on the ticket (the ticket as read is not changed).
pub(super) fn check_tag(ticket: &Ticket, tag: &Tag) -> Result<(), AgentError> {
    let mut tags = ticket.tags.clone();
    add_tag(&mut tags, tag).map_err(|problem| AgentError::field("tag", problem))?;
    Ok(())
}

/// A tag on or off: recorded in the activity; the store keeps the tag index in step in the
/// same write. A tag already there (or already gone) changes nothing, so a repeat is a no-op;
/// no SLA clock moves.
pub(super) fn retag(
    action: &AgentAction,
    tag: &Tag,
    draft: &mut Draft,
) -> Result<Decision<Option<String>>, AgentError> {
    let changed = match action {
        AgentAction::Tag { .. } => add_tag(&mut draft.next.tags, tag)
            .map_err(|problem| AgentError::field("tag", problem))?,
        _ => remove_tag(&mut draft.next.tags, tag),
    };
    if changed == Tagging::Unchanged {
        return Ok(Decision::Keep {
            outcome: None,
            flush: false,
        });
    }
    let kind = match action {
        AgentAction::Tag { .. } => ActivityKind::Tagged,
        _ => ActivityKind::Untagged,
    };
    draft.log(kind, Some(tag.as_str().to_owned()), Vec::new());
    Ok(Decision::Write(None))
}
