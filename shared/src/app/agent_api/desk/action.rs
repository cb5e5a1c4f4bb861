//! The actions an agent takes on a ticket, and the checks of their input alone.

use super::AgentError;
use crate::domain::bot::Priority;
use crate::domain::bot::config::MAX_TEXT;
use crate::domain::ticket_tags::Tag;
use crate::ports::whatsapp::Template;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAction {
    /// A free-form message (inside the 24 h window only); `quote` names a customer message of
    /// the ticket (its wamid) that WhatsApp shows quoted above it.
    Reply { text: String, quote: Option<String> },
    /// An emoji reaction to a customer message of the ticket (inside the 24 h window only).
    React { message: String, emoji: String },
    /// A file uploaded for this ticket (its media store key), with an optional caption
    /// (inside the 24 h window only).
    Attach {
        key: String,
        caption: Option<String>,
    },
    /// An approved template (any time; the only way to write outside the window).
    SendTemplate { template: Template },
    /// An internal note; `@agent` mentions notify those agents.
    Note { text: String },
    /// Gives the ticket to an agent (taking one unit of their capacity), or back to the team
    /// queue with `None`.
    Assign { agent: Option<String> },
    Update {
        priority: Option<Priority>,
        category: Option<String>,
    },
    /// Waiting on the customer: SLA clocks pause.
    SetPending,
    /// Solved: clocks stop, the agent's slot frees up, the customer is asked for a rating.
    Resolve,
    /// Back to work on a resolved ticket, for the agent who reopens it.
    Reopen,
    /// Puts a tag on the ticket (nothing to do if it is there).
    Tag { tag: Tag },
    /// Takes a tag off the ticket (nothing to do if it is not there).
    Untag { tag: Tag },
}

impl AgentAction {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::React { .. } => "react",
            Self::Attach { .. } => "attach",
            Self::SendTemplate { .. } => "send_template",
            Self::Note { .. } => "note",
            Self::Assign { .. } => "assign",
            Self::Update { .. } => "update",
            Self::SetPending => "set_pending",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
            Self::Tag { .. } => "tag",
            Self::Untag { .. } => "untag",
        }
    }

    pub(super) fn validate(&self) -> Result<(), AgentError> {
        let text_ok = |field: &'static str, text: &str| {
            let n = text.chars().count();
            if text.trim().is_empty() || n > MAX_TEXT {
                Err(AgentError::field(
                    field,
                    format!("needs 1-{MAX_TEXT} characters, got {n}"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Self::Reply { text, quote } => {
                text_ok("text", text)?;
                match quote {
                    Some(q) if q.trim().is_empty() || q.len() > 256 => Err(AgentError::field(
                        "quote",
                        "needs a message id of 1-256 characters",
                    )),
                    _ => Ok(()),
                }
            }
            Self::React { message, emoji } => {
                if message.trim().is_empty() || message.len() > 256 {
                    return Err(AgentError::field(
                        "message",
                        "needs a message id of 1-256 characters",
                    ));
                }
                crate::domain::whatsapp::check_emoji(emoji)
                    .map_err(|e| AgentError::field("emoji", e.to_string()))
            }
            Self::Attach { key, caption } => {
                if key.trim().is_empty() || key.len() > 512 {
                    return Err(AgentError::field(
                        "attachment",
                        "needs the key the upload was given (1-512 characters)",
                    ));
                }
                match caption {
                    Some(c) if c.chars().count() > crate::domain::attachment::MAX_CAPTION => {
                        Err(AgentError::field(
                            "caption",
                            format!(
                                "may have at most {} characters",
                                crate::domain::attachment::MAX_CAPTION
                            ),
                        ))
                    }
                    _ => Ok(()),
                }
            }
            Self::Note { text } => text_ok("text", text),
            Self::Update {
                priority: None,
                category: None,
            } => Err(AgentError::invalid(
                "name a priority or a category (or both) to change",
            )),
            Self::Update {
                category: Some(c), ..
            } if c.trim().is_empty() || c.chars().count() > 40 => {
                Err(AgentError::field("category", "needs 1-40 characters"))
            }
            Self::Assign { agent: Some(a) } if a.trim().is_empty() => {
                Err(AgentError::field("agent", "is empty"))
            }
            _ => Ok(()),
        }
    }
}
