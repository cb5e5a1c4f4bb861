//! The webhook body as Meta sends it, deserialized without copying strings where the JSON has no
//! escapes. These types mirror the wire format; [`super::plan`] turns them into validated domain
//! values. Nothing here rejects a message for its content: unknown message types and unknown
//! fields are kept.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A string that borrows from the request body when it can.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'a> Str<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
            // Meta sends timestamps as strings; accept numbers too rather than fail a batch.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
        }
        // `deserialize_any`, not `deserialize_str`: serde_json's `deserialize_str` refuses a
        // number outright and never calls `visit_u64`/`visit_i64` above. Strings still borrow.
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The notification envelope, each change value kept raw until the change's `field` is known
/// (Meta puts `value` before `field`): the exact path reads it then (see `plan::exact`).
#[derive(Debug, Deserialize)]
pub struct Notification<'a> {
    #[serde(borrow)]
    pub object: Str<'a>,
    #[serde(default = "Vec::new", borrow)]
    pub entry: Vec<Entry<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Entry<'a> {
    #[serde(default, borrow)]
    pub id: Str<'a>,
    /// When Meta raised the change (unix seconds): the time of a template status update.
    #[serde(default)]
    pub time: Option<serde_json::Value>,
    #[serde(default = "Vec::new", borrow)]
    pub changes: Vec<Change<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Change<'a> {
    #[serde(borrow)]
    pub field: Str<'a>,
    #[serde(default, borrow)]
    pub value: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
pub struct MessagesValue<'a> {
    #[serde(default, borrow)]
    pub messaging_product: Option<Str<'a>>,
    /// Required; optional here so that its absence is reported with the value's path.
    #[serde(default, borrow)]
    pub metadata: Option<Metadata<'a>>,
    #[serde(default, borrow)]
    pub contacts: Vec<Contact<'a>>,
    #[serde(default, borrow)]
    pub messages: Vec<WireMessage<'a>>,
    #[serde(default, borrow)]
    pub statuses: Vec<WireStatus<'a>>,
    #[serde(default, borrow)]
    pub errors: Vec<ApiError<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata<'a> {
    #[serde(default, borrow)]
    pub display_phone_number: Option<Str<'a>>,
    #[serde(borrow)]
    pub phone_number_id: Str<'a>,
}

#[derive(Debug, Deserialize)]
pub struct Contact<'a> {
    #[serde(default, borrow)]
    pub profile: Option<Profile<'a>>,
    #[serde(borrow)]
    pub wa_id: Str<'a>,
}

#[derive(Debug, Deserialize)]
pub struct Profile<'a> {
    #[serde(default, borrow)]
    pub name: Option<Str<'a>>,
}

/// An error object as Meta reports it (in `errors[]` of a value, a message or a status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError<'a> {
    pub code: i64,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub title: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub message: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorData<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub details: Option<Str<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context<'a> {
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub from: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub id: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequently_forwarded: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text<'a> {
    #[serde(borrow)]
    pub body: Str<'a>,
}

#[derive(Debug, Deserialize)]
pub struct Interactive<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    #[serde(default, borrow)]
    pub button_reply: Option<Reply<'a>>,
    #[serde(default, borrow)]
    pub list_reply: Option<Reply<'a>>,
    #[serde(default, borrow)]
    pub nfm_reply: Option<&'a RawValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(default, borrow)]
    pub title: Str<'a>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub description: Option<Str<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Button<'a> {
    #[serde(default, borrow)]
    pub payload: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub text: Option<Str<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub caption: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location<'a> {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub address: Option<Str<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub url: Option<Str<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Reaction<'a> {
    #[serde(borrow)]
    pub message_id: Str<'a>,
    #[serde(default, borrow)]
    pub emoji: Option<Str<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct System<'a> {
    #[serde(default, borrow)]
    pub body: Option<Str<'a>>,
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub new_wa_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub wa_id: Option<Str<'a>>,
}

/// One inbound message. Deserialized by hand so that every key we do not know (a new message
/// type, a new attribute) is kept raw instead of dropped. Content objects stay raw JSON here
/// (small, no copy); only the one the `type` names is read, when planning.
#[derive(Debug, Default)]
pub struct WireMessage<'a> {
    pub id: Option<Str<'a>>,
    pub from: Option<Str<'a>>,
    pub timestamp: Option<Str<'a>>,
    pub kind: Option<Str<'a>>,
    /// Raw JSON text, like the parts.
    pub context: Option<&'a str>,
    pub errors: Option<&'a str>,
    /// The `body` of the `text` part, if the reader that filled this message read it already
    /// (the one pass does; serde leaves it to planning).
    pub text_body: Option<Str<'a>>,
    /// Every other key (`text`, `image`, `interactive`, ..., future types) with its value's
    /// JSON text, validated but not read. Meta sends one (the content): it is kept apart so
    /// that reading a message allocates no list.
    first_part: Option<(Str<'a>, &'a str)>,
    more_parts: Vec<(Str<'a>, &'a str)>,
}

impl<'a> WireMessage<'a> {
    /// The raw JSON under `key`, if present (the first, if repeated).
    pub fn part(&self, key: &str) -> Option<&'a str> {
        self.first_part
            .iter()
            .chain(&self.more_parts)
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, raw)| *raw)
    }

    /// Empties the message for the next one, keeping the list's allocation.
    pub fn clear(&mut self) {
        let mut more_parts = std::mem::take(&mut self.more_parts);
        more_parts.clear();
        *self = Self {
            more_parts,
            ..Self::default()
        };
    }

    /// Keeps `raw`, the JSON text under `key`.
    pub fn push_part(&mut self, key: Str<'a>, raw: &'a str) {
        if self.first_part.is_none() {
            self.first_part = Some((key, raw));
        } else {
            self.more_parts.push((key, raw));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
    Sticker,
}

impl MediaKind {
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "image" => Self::Image,
            "document" => Self::Document,
            "audio" => Self::Audio,
            "video" => Self::Video,
            "sticker" => Self::Sticker,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Sticker => "sticker",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for WireMessage<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = WireMessage<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut m = WireMessage::default();
                while let Some(key) = map.next_key::<Str<'a>>()? {
                    match key.as_str() {
                        "id" => m.id = Some(map.next_value()?),
                        "from" => m.from = Some(map.next_value()?),
                        "timestamp" => m.timestamp = Some(map.next_value()?),
                        "type" => m.kind = Some(map.next_value()?),
                        "context" => m.context = Some(map.next_value::<&RawValue>()?.get()),
                        "errors" => m.errors = Some(map.next_value::<&RawValue>()?.get()),
                        _ => {
                            let raw: &'a RawValue = map.next_value()?;
                            m.push_part(key, raw.get());
                        }
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Debug, Deserialize)]
pub struct WireStatus<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub status: Str<'a>,
    #[serde(borrow)]
    pub timestamp: Str<'a>,
    #[serde(default, borrow)]
    pub recipient_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub conversation: Option<StatusConversation<'a>>,
    #[serde(default, borrow)]
    pub pricing: Option<Pricing<'a>>,
    #[serde(default, borrow)]
    pub errors: Vec<ApiError<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct StatusConversation<'a> {
    #[serde(default, borrow)]
    pub id: Option<Str<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Pricing<'a> {
    #[serde(default)]
    pub billable: Option<bool>,
    #[serde(default, borrow)]
    pub category: Option<Str<'a>>,
}
