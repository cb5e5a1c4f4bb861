//! The customer's side of the simulator: what the phone page posts (checked once, every problem
//! named by its field) and the webhook Meta would send the helpdesk for it.

use base64::Engine;
use helpdesk::domain::ids::WaId;
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest file a customer may attach (Meta allows 5 MB for images; we use it for every kind).
pub const MAX_MEDIA_BYTES: usize = 5 * 1024 * 1024;
/// Largest request body of `POST /dev/simulator/messages`: a 5 MB file in base64 plus the rest.
pub const MAX_INPUT_BYTES: usize = MAX_MEDIA_BYTES * 4 / 3 + 64 * 1024;
const MAX_TEXT: usize = 4096;
const MAX_NAME: usize = 100;
const MAX_CAPTION: usize = 1024;
const MAX_FILENAME: usize = 240;

/// An input problem: `field: problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InputError {
    pub field: String,
    pub problem: String,
}

fn invalid(field: &str, problem: impl Into<String>) -> InputError {
    InputError {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// A message a customer writes on the simulated phone, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMessage {
    pub from: WaId,
    pub name: String,
    pub content: CustomerContent,
    /// The wamid of an earlier message of the chat the customer quotes (swipe to reply).
    pub quote: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerContent {
    Text(String),
    /// A tap on a reply button or a list row; `title` `None` means "the title the business gave it".
    Reply {
        kind: ReplyKind,
        id: String,
        title: Option<String>,
    },
    Media(Upload),
    /// An emoji reaction to an earlier message of the chat.
    Reaction {
        message_id: String,
        emoji: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Button,
    List,
}

impl ReplyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Button => "button",
            Self::List => "list",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Image,
    Document,
    Audio,
}

impl UploadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
        }
    }

    /// The MIME types WhatsApp accepts for this kind.
    fn accepts(self, mime: &str) -> bool {
        match self {
            Self::Image => matches!(mime, "image/jpeg" | "image/png"),
            Self::Document => matches!(
                mime,
                "application/pdf"
                    | "text/plain"
                    | "application/msword"
                    | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    | "application/vnd.ms-excel"
                    | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            Self::Audio => matches!(
                mime,
                "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg"
            ),
        }
    }
}

/// A file the customer attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub kind: UploadKind,
    pub filename: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    from: String,
    name: String,
    text: Option<String>,
    reply: Option<ReplyInput>,
    media: Option<MediaInput>,
    reaction: Option<ReactionInput>,
    quote: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactionInput {
    message_id: String,
    emoji: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyInput {
    id: String,
    title: Option<String>,
    kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaInput {
    kind: String,
    filename: String,
    mime_type: String,
    data_base64: String,
    caption: Option<String>,
}

fn bounded(field: &str, value: &str, max: usize) -> Result<String, InputError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(invalid(
            field,
            format!("is {len} characters, at most {max} are allowed"),
        ));
    }
    Ok(value.to_owned())
}

/// Reads and checks the JSON body of `POST /dev/simulator/messages`.
pub fn parse(body: &[u8]) -> Result<CustomerMessage, InputError> {
    let input: Input = serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        // serde names the field in "missing field `from`" and "unknown field `x`".
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains(" field `"))
            .unwrap_or("body");
        invalid(field, message.clone())
    })?;
    let from = WaId::parse(input.from.trim()).map_err(|e| {
        invalid(
            "from",
            format!("{e} (the number in international form, digits only, e.g. 4915112345678)"),
        )
    })?;
    let name = bounded("name", &input.name, MAX_NAME)?;
    let given = [
        input.text.is_some(),
        input.reply.is_some(),
        input.media.is_some(),
        input.reaction.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            "text",
            "give exactly one of text, reply, media or reaction",
        ));
    }
    let quote = input.quote.map(|q| bounded("quote", &q, 256)).transpose()?;
    if quote.is_some() && input.reaction.is_some() {
        return Err(invalid("quote", "a reaction quotes nothing"));
    }
    let content = if let Some(text) = input.text {
        CustomerContent::Text(bounded("text", &text, MAX_TEXT)?)
    } else if let Some(reply) = input.reply {
        let kind = match reply.kind.as_str() {
            "button" => ReplyKind::Button,
            "list" => ReplyKind::List,
            _ => return Err(invalid("reply.kind", "must be button or list")),
        };
        let max_title = match kind {
            ReplyKind::Button => 20,
            ReplyKind::List => 24,
        };
        CustomerContent::Reply {
            kind,
            id: bounded("reply.id", &reply.id, 256)?,
            title: reply
                .title
                .map(|t| bounded("reply.title", &t, max_title))
                .transpose()?,
        }
    } else if let Some(media) = input.media {
        CustomerContent::Media(upload(media)?)
    } else if let Some(r) = input.reaction {
        helpdesk::domain::whatsapp::check_emoji(&r.emoji)
            .map_err(|e| invalid("reaction.emoji", e.to_string()))?;
        CustomerContent::Reaction {
            message_id: bounded("reaction.message_id", &r.message_id, 256)?,
            emoji: r.emoji,
        }
    } else {
        unreachable!("exactly one part was given")
    };
    Ok(CustomerMessage {
        from,
        name,
        content,
        quote,
    })
}

fn upload(media: MediaInput) -> Result<Upload, InputError> {
    let kind = match media.kind.as_str() {
        "image" => UploadKind::Image,
        "document" => UploadKind::Document,
        "audio" => UploadKind::Audio,
        _ => return Err(invalid("media.kind", "must be image, document or audio")),
    };
    let mime_type = media.mime_type.trim().to_ascii_lowercase();
    if !kind.accepts(&mime_type) {
        return Err(invalid(
            "media.mime_type",
            format!(
                "{mime_type:?} is not a type WhatsApp sends as {}",
                kind.as_str()
            ),
        ));
    }
    let filename = bounded("media.filename", &media.filename, MAX_FILENAME)?;
    if filename.contains(['/', '\\']) {
        return Err(invalid(
            "media.filename",
            "must be a file name without a path",
        ));
    }
    let caption = media
        .caption
        .filter(|c| !c.trim().is_empty())
        .map(|c| bounded("media.caption", &c, MAX_CAPTION))
        .transpose()?;
    if caption.is_some() && kind == UploadKind::Audio {
        return Err(invalid("media.caption", "audio messages have no caption"));
    }
    // The most base64 a 5 MB file can take; refuse larger input before decoding it.
    if media.data_base64.len() > MAX_MEDIA_BYTES.div_ceil(3) * 4 {
        return Err(invalid(
            "media.data_base64",
            format!("the file is larger than {} MB", MAX_MEDIA_BYTES >> 20),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(media.data_base64.trim())
        .map_err(|e| invalid("media.data_base64", format!("is not base64: {e}")))?;
    if bytes.is_empty() {
        return Err(invalid("media.data_base64", "the file is empty"));
    }
    if bytes.len() > MAX_MEDIA_BYTES {
        return Err(invalid(
            "media.data_base64",
            format!("the file is larger than {} MB", MAX_MEDIA_BYTES >> 20),
        ));
    }
    let signature_ok = match mime_type.as_str() {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        _ => true,
    };
    if !signature_ok {
        return Err(invalid(
            "media.data_base64",
            format!("the file's content is not {mime_type}"),
        ));
    }
    Ok(Upload {
        kind,
        filename,
        mime_type,
        bytes,
        caption,
    })
}

/// Our business number as webhooks name it.
#[derive(Debug, Clone)]
pub struct BusinessNumber {
    pub phone_number_id: String,
    pub display_phone_number: String,
}

/// The webhook Meta sends for one customer message: `message` is the object in `messages[]`.
pub fn message_notification(
    number: &BusinessNumber,
    from: &WaId,
    name: &str,
    message: Value,
) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": number.display_phone_number,
                        "phone_number_id": number.phone_number_id,
                    },
                    "contacts": [{ "profile": { "name": name }, "wa_id": from.as_str() }],
                    "messages": [message],
                },
            }],
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: Value) -> String {
        parse(body.to_string().as_bytes()).unwrap_err().field
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n rest of the image";

    fn png64() -> String {
        base64::engine::general_purpose::STANDARD.encode(PNG)
    }

    #[test]
    fn reads_text_replies_and_media() {
        let m = parse(br#"{"from":"4915112345678","name":" Anna ","text":"Hallo"}"#).unwrap();
        assert_eq!(m.name, "Anna");
        assert_eq!(m.content, CustomerContent::Text("Hallo".into()));

        let m = parse(
            br#"{"from":"4915112345678","name":"Anna","reply":{"id":"csat:5","title":"Sehr gut","kind":"list"}}"#,
        )
        .unwrap();
        assert_eq!(
            m.content,
            CustomerContent::Reply {
                kind: ReplyKind::List,
                id: "csat:5".into(),
                title: Some("Sehr gut".into())
            }
        );

        let body = json!({"from": "4915112345678", "name": "Anna", "media": {
            "kind": "image", "filename": "foto.png", "mime_type": "image/png",
            "data_base64": png64(), "caption": "Der Karton"}});
        let CustomerContent::Media(upload) = parse(body.to_string().as_bytes()).unwrap().content
        else {
            panic!("media expected")
        };
        assert_eq!(upload.bytes, PNG);
        assert_eq!(upload.caption.as_deref(), Some("Der Karton"));
    }

    #[test]
    fn reads_reactions_and_quotes() {
        let m = parse(
            r#"{"from":"4915112345678","name":"Anna","reaction":{"message_id":"wamid.B1","emoji":"👍"}}"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            m.content,
            CustomerContent::Reaction {
                message_id: "wamid.B1".into(),
                emoji: "👍".into()
            }
        );
        let m = parse(
            br#"{"from":"4915112345678","name":"Anna","text":"Die hier","quote":"wamid.B1"}"#,
        )
        .unwrap();
        assert_eq!(m.quote.as_deref(), Some("wamid.B1"));
        for (body, field) in [
            (
                r#"{"from":"4915112345678","name":"Anna","reaction":{"message_id":"wamid.B1","emoji":"ok"}}"#,
                "reaction.emoji",
            ),
            (
                r#"{"from":"4915112345678","name":"Anna","reaction":{"message_id":"wamid.B1","emoji":"👍"},"quote":"wamid.B1"}"#,
                "quote",
            ),
            (
                r#"{"from":"4915112345678","name":"Anna","text":"x","quote":" "}"#,
                "quote",
            ),
        ] {
            assert_eq!(parse(body.as_bytes()).unwrap_err().field, field, "{body}");
        }
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let media = |m: Value| json!({"from": "4915112345678", "name": "Anna", "media": m});
        let cases = [
            (json!({"name": "Anna", "text": "x"}), "from"),
            (
                json!({"from": "+49 151", "name": "Anna", "text": "x"}),
                "from",
            ),
            (
                json!({"from": "4915112345678", "name": " ", "text": "x"}),
                "name",
            ),
            (json!({"from": "4915112345678", "name": "Anna"}), "text"),
            (
                json!({"from": "4915112345678", "name": "Anna", "text": "x", "reply": {"id": "a", "kind": "button"}}),
                "text",
            ),
            (
                json!({"from": "4915112345678", "name": "Anna", "text": "x".repeat(4097)}),
                "text",
            ),
            (
                json!({"from": "4915112345678", "name": "Anna", "colour": "red", "text": "x"}),
                "colour",
            ),
            (
                json!({"from": "4915112345678", "name": "Anna", "reply": {"id": "a", "kind": "tap"}}),
                "reply.kind",
            ),
            (
                media(
                    json!({"kind": "video", "filename": "a", "mime_type": "video/mp4", "data_base64": "AA=="}),
                ),
                "media.kind",
            ),
            (
                media(
                    json!({"kind": "image", "filename": "a.gif", "mime_type": "image/gif", "data_base64": "AA=="}),
                ),
                "media.mime_type",
            ),
            (
                media(
                    json!({"kind": "image", "filename": "../a.png", "mime_type": "image/png", "data_base64": png64()}),
                ),
                "media.filename",
            ),
            (
                media(
                    json!({"kind": "image", "filename": "a.png", "mime_type": "image/png", "data_base64": "***"}),
                ),
                "media.data_base64",
            ),
            (
                media(
                    json!({"kind": "image", "filename": "a.png", "mime_type": "image/png", "data_base64": "AAAA"}),
                ),
                "media.data_base64",
            ),
            (
                media(
                    json!({"kind": "audio", "filename": "a.ogg", "mime_type": "audio/ogg", "data_base64": "AAAA", "caption": "hi"}),
                ),
                "media.caption",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(field_of(body.clone()), field, "{body}");
        }
    }

    #[test]
    fn refuses_files_over_five_megabytes() {
        let mut big = PNG.to_vec();
        big.resize(MAX_MEDIA_BYTES + 1, 0);
        let body = json!({"from": "4915112345678", "name": "Anna", "media": {
            "kind": "image", "filename": "big.png", "mime_type": "image/png",
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&big)}});
        let e = parse(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.field, "media.data_base64");
        assert!(e.problem.contains("5 MB"), "{e}");
    }
}
