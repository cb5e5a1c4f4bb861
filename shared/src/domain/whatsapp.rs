//! WhatsApp's rules as values, without I/O: the 24-hour service window, the Cloud API's message
//! limits and what a message to a customer may be ([`OutboundBody`]). The bot, CSAT, consent and
//! the agent desk build messages from these; the WhatsApp port (`ports::whatsapp`) sends them.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::attachment::MAX_CAPTION;
pub use crate::domain::attachment::MediaKind;

/// Reply buttons: at most three, titles of at most 20 characters.
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE: usize = 20;
/// Lists: at most ten rows, row titles of at most 24 characters.
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
pub const MAX_TEXT: usize = 4096;
/// Free-form messages are allowed for 24 hours after the customer's last message.
pub const SERVICE_WINDOW: SignedDuration = SignedDuration::from_hours(24);
const MAX_ID: usize = 256;
const MAX_BODY_INTERACTIVE: usize = 1024;

/// Whether a free-form (non-template) message may be sent now.
pub fn service_window_open(last_customer_message_at: Timestamp, now: Timestamp) -> bool {
    now.duration_since(last_customer_message_at) < SERVICE_WINDOW
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("text is empty")]
    Empty,
    #[error("{what} is {len} characters, the limit is {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what}: {count} given, {min}-{max} allowed")]
    Count {
        what: &'static str,
        count: usize,
        min: usize,
        max: usize,
    },
    #[error("{what} is empty")]
    Missing { what: &'static str },
    #[error("a reaction is one emoji, not text")]
    NotEmoji,
    #[error("WhatsApp shows no caption with {kind}")]
    NoCaption { kind: &'static str },
}

/// An approved message template (the only kind allowed outside the service window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub language: String,
    /// Template components (parameters), as the Cloud API takes them.
    #[serde(default)]
    pub components: Vec<Value>,
}

/// A selectable option: a reply button or a list row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundBody {
    Text {
        body: String,
    },
    Buttons {
        body: String,
        buttons: Vec<Choice>,
    },
    List {
        body: String,
        button: String,
        rows: Vec<Choice>,
    },
    Template(Template),
    /// A text that quotes an earlier message of the conversation (Cloud API `context`).
    QuotedText {
        body: String,
        /// The wamid of the quoted message.
        reply_to: String,
    },
    /// An emoji reaction to an earlier message of the conversation.
    Reaction {
        /// The wamid of the message reacted to.
        message_id: String,
        emoji: String,
    },
    /// An image, document, audio or video, sent by the id the Cloud API's media upload gave
    /// (`None` until uploaded: such a body is not sendable yet).
    Media {
        kind: MediaKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        /// The name a document shows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
}

/// The most characters (code points) one emoji takes: skin tones and ZWJ sequences such as
/// families are several code points.
pub const MAX_EMOJI: usize = 16;

impl OutboundBody {
    pub fn is_template(&self) -> bool {
        matches!(self, Self::Template(_))
    }

    /// The text a person reads (a template shows its name).
    pub fn body(&self) -> &str {
        match self {
            Self::Text { body }
            | Self::QuotedText { body, .. }
            | Self::Buttons { body, .. }
            | Self::List { body, .. } => body,
            Self::Template(t) => &t.name,
            Self::Reaction { emoji, .. } => emoji,
            Self::Media { caption, .. } => caption.as_deref().unwrap_or(""),
        }
    }

    /// The text for the transcript.
    pub fn text(&self) -> String {
        match self {
            Self::Template(t) => format!("[template {}]", t.name),
            Self::Media {
                caption: Some(caption),
                ..
            } => caption.clone(),
            Self::Media { kind, filename, .. } => match filename {
                Some(name) => format!("[{} {name}]", kind.as_str()),
                None => format!("[{}]", kind.as_str()),
            },
            other => other.body().to_owned(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text { .. } | Self::QuotedText { .. } => "text",
            Self::Reaction { .. } => "reaction",
            Self::Buttons { .. } => "buttons",
            Self::List { .. } => "list",
            Self::Template(_) => "template",
            Self::Media { kind, .. } => kind.as_str(),
        }
    }

    /// The earlier message this one refers to: the quoted one, or the one reacted to.
    pub fn context_id(&self) -> Option<&str> {
        match self {
            Self::QuotedText { reply_to, .. } => Some(reply_to),
            Self::Reaction { message_id, .. } => Some(message_id),
            _ => None,
        }
    }

    /// Checks the Cloud API limits (text 4096, ≤3 buttons of ≤20 characters, ≤10 list rows of
    /// ≤24, ids ≤256).
    pub fn validate(&self) -> Result<(), BuildError> {
        let len = |s: &str| s.chars().count();
        let check = |what: &'static str, s: &str, max: usize| {
            if s.trim().is_empty() {
                Err(BuildError::Empty)
            } else if len(s) > max {
                Err(BuildError::TooLong {
                    what,
                    len: len(s),
                    max,
                })
            } else {
                Ok(())
            }
        };
        let choices = |what: &'static str, list: &[Choice], max_count: usize, max_title: usize| {
            if list.is_empty() || list.len() > max_count {
                return Err(BuildError::Count {
                    what,
                    count: list.len(),
                    min: 1,
                    max: max_count,
                });
            }
            for c in list {
                check("choice id", &c.id, MAX_ID)?;
                check("choice title", &c.title, max_title)?;
            }
            Ok(())
        };
        match self {
            Self::Text { body } => check("text", body, MAX_TEXT),
            Self::Buttons { body, buttons } => {
                check("interactive body", body, MAX_BODY_INTERACTIVE)?;
                choices("buttons", buttons, MAX_BUTTONS, MAX_BUTTON_TITLE)
            }
            Self::List { body, button, rows } => {
                check("interactive body", body, MAX_BODY_INTERACTIVE)?;
                check("list button", button, MAX_BUTTON_TITLE)?;
                choices("list rows", rows, MAX_LIST_ROWS, MAX_ROW_TITLE)
            }
            Self::Template(t) => check("template name", &t.name, 512),
            Self::QuotedText { body, reply_to } => {
                check("text", body, MAX_TEXT)?;
                message_ref("quoted message", reply_to)
            }
            Self::Reaction { message_id, emoji } => {
                message_ref("message reacted to", message_id)?;
                check_emoji(emoji)
            }
            Self::Media {
                kind, id, caption, ..
            } => {
                message_ref("media id", id.as_deref().unwrap_or(""))?;
                match caption {
                    Some(_) if !kind.has_caption() => Err(BuildError::NoCaption {
                        kind: kind.as_str(),
                    }),
                    Some(c) => check("caption", c, MAX_CAPTION),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A wamid naming an earlier message: present and no longer than an id may be.
fn message_ref(what: &'static str, id: &str) -> Result<(), BuildError> {
    let len = id.chars().count();
    if id.trim().is_empty() {
        Err(BuildError::Missing { what })
    } else if len > MAX_ID {
        Err(BuildError::TooLong {
            what,
            len,
            max: MAX_ID,
        })
    } else {
        Ok(())
    }
}

/// One emoji: a few code points, none of them a letter, digit, space or ASCII sign.
pub fn check_emoji(emoji: &str) -> Result<(), BuildError> {
    if emoji.is_empty() {
        return Err(BuildError::Missing { what: "emoji" });
    }
    let plain = |c: char| c.is_ascii() || c.is_alphanumeric() || c.is_whitespace();
    if emoji.chars().count() > MAX_EMOJI || emoji.chars().any(plain) {
        return Err(BuildError::NotEmoji);
    }
    Ok(())
}

/// The delivery state of a message we sent. Ordered: a later state never goes back to an
/// earlier one, whatever order Meta's callbacks arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Accepted,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// Monotonic rank used in conditional writes.
    pub fn rank(self) -> u8 {
        self as u8
    }
}
