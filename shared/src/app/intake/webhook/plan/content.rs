//! What a customer sent, typed from the message's content object.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::one_pass;
use crate::app::intake::webhook::payload::{
    ApiError, Button, Interactive, Location, Media, Reaction, Reply, Str, System, Text, WireMessage,
};

/// What a customer sent, typed. Stored as JSON with a `type` tag; unknown types keep their raw
/// content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content<'a> {
    Text {
        #[serde(borrow)]
        body: Str<'a>,
    },
    ButtonReply(#[serde(borrow)] Reply<'a>),
    ListReply(#[serde(borrow)] Reply<'a>),
    /// Interactive replies we do not model (e.g. WhatsApp Flows `nfm_reply`).
    Interactive {
        #[serde(borrow)]
        kind: Str<'a>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw: Option<serde_json::Value>,
    },
    /// A tap on a quick-reply button of a template.
    QuickReply {
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        payload: Option<Str<'a>>,
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        text: Option<Str<'a>>,
    },
    Image(#[serde(borrow)] Media<'a>),
    Document(#[serde(borrow)] Media<'a>),
    Audio(#[serde(borrow)] Media<'a>),
    Video(#[serde(borrow)] Media<'a>),
    Sticker(#[serde(borrow)] Media<'a>),
    Location(#[serde(borrow)] Location<'a>),
    Contacts {
        contacts: serde_json::Value,
    },
    Reaction {
        #[serde(borrow)]
        message_id: Str<'a>,
        /// `None` when the customer removed a reaction.
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        emoji: Option<Str<'a>>,
    },
    Order {
        order: serde_json::Value,
    },
    System {
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        body: Option<Str<'a>>,
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        kind: Option<Str<'a>>,
        #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
        new_wa_id: Option<Str<'a>>,
    },
    /// Meta could not deliver the content to us (`type: unsupported`); the errors say why.
    Unsupported {
        #[serde(default, borrow)]
        errors: Vec<ApiError<'a>>,
    },
    /// A type this code does not know yet, kept as it came.
    Unknown {
        #[serde(borrow)]
        type_name: Str<'a>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw: Option<serde_json::Value>,
    },
}

impl Content<'_> {
    /// The `type` tag as stored.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::ButtonReply(_) => "button_reply",
            Self::ListReply(_) => "list_reply",
            Self::Interactive { .. } => "interactive",
            Self::QuickReply { .. } => "quick_reply",
            Self::Image(_) => "image",
            Self::Document(_) => "document",
            Self::Audio(_) => "audio",
            Self::Video(_) => "video",
            Self::Sticker(_) => "sticker",
            Self::Location(_) => "location",
            Self::Contacts { .. } => "contacts",
            Self::Reaction { .. } => "reaction",
            Self::Order { .. } => "order",
            Self::System { .. } => "system",
            Self::Unsupported { .. } => "unsupported",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// The words a person (bot or agent) reads: text body, button title, caption.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text { body } => Some(body.as_str()),
            Self::ButtonReply(r) | Self::ListReply(r) => Some(r.title.as_str()),
            Self::QuickReply { text, payload } => {
                text.as_ref().or(payload.as_ref()).map(Str::as_str)
            }
            Self::Image(m) | Self::Document(m) | Self::Video(m) => {
                m.caption.as_ref().map(Str::as_str)
            }
            Self::System { body, .. } => body.as_ref().map(Str::as_str),
            _ => None,
        }
    }

    /// The Cloud API media id, for types that carry a file.
    pub fn media(&self) -> Option<&Media<'_>> {
        match self {
            Self::Image(m)
            | Self::Document(m)
            | Self::Audio(m)
            | Self::Video(m)
            | Self::Sticker(m) => Some(m),
            _ => None,
        }
    }
}

fn raw_json(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or(serde_json::Value::Null)
}

/// Reads the raw object under `key` as `T`.
fn typed<'a, T: Deserialize<'a>>(wire: &WireMessage<'a>, key: &str) -> Result<T, Option<&'a str>> {
    let raw = wire.part(key).ok_or(None)?;
    serde_json::from_str(raw).map_err(|_| Some(raw))
}

/// The body of a text message, the common case: read with the one pass's reader, or by serde
/// (the same answer, only slower) for what that leaves.
fn text_body<'a>(wire: &WireMessage<'a>) -> Result<Str<'a>, Option<&'a str>> {
    if let Some(body) = &wire.text_body {
        return Ok(body.clone());
    }
    let raw = wire.part("text").ok_or(None)?;
    match one_pass::text_body(raw) {
        Some(body) => Ok(body),
        None => serde_json::from_str::<Text<'a>>(raw)
            .map(|text| text.body)
            .map_err(|_| Some(raw)),
    }
}

/// The typed content of a message. A type whose content object is missing or has an unexpected
/// shape becomes [`Content::Unknown`] with whatever raw JSON there was: stored, never rejected.
pub(super) fn content<'a>(wire: &WireMessage<'a>) -> Content<'a> {
    let type_name = wire.kind.clone().unwrap_or(Str(Cow::Borrowed("unknown")));
    let unknown = |raw: Option<&str>| Content::Unknown {
        raw: raw.map(raw_json),
        type_name: type_name.clone(),
    };
    let read = || -> Result<Content<'a>, Option<&'a str>> {
        Ok(match type_name.as_str() {
            "text" => Content::Text {
                body: text_body(wire)?,
            },
            "interactive" => {
                let i: Interactive<'a> = typed(wire, "interactive")?;
                match (i.kind.as_str(), i.button_reply, i.list_reply) {
                    ("button_reply", Some(r), _) => Content::ButtonReply(r),
                    ("list_reply", _, Some(r)) => Content::ListReply(r),
                    _ => Content::Interactive {
                        raw: i.nfm_reply.map(|raw| raw_json(raw.get())),
                        kind: i.kind,
                    },
                }
            }
            "button" => {
                let b: Button<'a> = typed(wire, "button")?;
                Content::QuickReply {
                    payload: b.payload,
                    text: b.text,
                }
            }
            "image" => Content::Image(typed(wire, "image")?),
            "document" => Content::Document(typed(wire, "document")?),
            "audio" => Content::Audio(typed(wire, "audio")?),
            "video" => Content::Video(typed(wire, "video")?),
            "sticker" => Content::Sticker(typed(wire, "sticker")?),
            "location" => Content::Location(typed(wire, "location")?),
            "reaction" => {
                let r: Reaction<'a> = typed(wire, "reaction")?;
                Content::Reaction {
                    message_id: r.message_id,
                    emoji: r.emoji.filter(|e| !e.as_str().is_empty()),
                }
            }
            "system" => {
                let s: System<'a> = typed(wire, "system")?;
                Content::System {
                    body: s.body,
                    kind: s.kind,
                    new_wa_id: s.new_wa_id.or(s.wa_id),
                }
            }
            "contacts" => Content::Contacts {
                contacts: raw_json(wire.part("contacts").ok_or(None)?),
            },
            "order" => Content::Order {
                order: raw_json(wire.part("order").ok_or(None)?),
            },
            "unsupported" => Content::Unsupported {
                errors: wire
                    .errors
                    .and_then(|raw| serde_json::from_str(raw).ok())
                    .unwrap_or_default(),
            },
            other => return Err(wire.part(other)),
        })
    };
    read().unwrap_or_else(unknown)
}
