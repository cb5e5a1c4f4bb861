//! An internal note: only agents read it; the agents it mentions are told.

use super::{AgentDesk, AgentError, notice};
use crate::app::ticket_change::Draft;
use crate::domain::ticket::Ticket;
use crate::ports::store::{ActivityKind, OutboxKind};

/// `@id` mentions in a note, in order, without repeats.
pub fn mentions(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric()) {
            continue; // an e-mail address, not a mention
        }
        let id: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let id = id.trim_end_matches('.').to_owned();
        if !id.is_empty() && !found.contains(&id) {
            found.push(id);
        }
    }
    found
}

/// The agents the note mentions, each of whom must be on the roster.
pub(super) async fn check_note(desk: &AgentDesk, text: &str) -> Result<Vec<String>, AgentError> {
    let roster = desk.store.agents().await?;
    let mentions = mentions(text);
    if let Some(unknown) = mentions
        .iter()
        .find(|m| !roster.iter().any(|a| &a.id == *m))
    {
        return Err(AgentError::field(
            "text",
            format!("@{unknown} is not an agent"),
        ));
    }
    Ok(mentions)
}

/// An internal note; the agents it mentions (but the writer) are told.
pub(super) fn note(
    ticket: &Ticket,
    actor: &str,
    text: &str,
    named: Vec<String>,
    draft: &mut Draft,
) {
    for agent in named.iter().filter(|m| m.as_str() != actor) {
        let notice = notice(
            &draft.next,
            "mentioned",
            agent,
            format!("{actor} mentioned you in a note on ticket {}.", ticket.id),
        );
        draft.outbox.push(OutboxKind::Notify, &notice);
    }
    draft.log(ActivityKind::Note, Some(text.to_owned()), named);
}
