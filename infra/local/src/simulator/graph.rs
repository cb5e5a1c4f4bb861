//! The Cloud API side of the simulator: reads what the helpdesk sends to
//! `POST /{version}/{phone-number-id}/messages` back into what it means, and answers errors in
//! Meta's shape (`{"error": {message, type, code, error_data, fbtrace_id}}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use helpdesk::domain::ids::WaId;
use helpdesk::ports::whatsapp::{Choice, MediaKind, OutboundBody, Template};
use serde_json::{Value, json};

/// A request to the messages endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphRequest {
    /// Send `body` to the customer `to`.
    Send { to: WaId, body: OutboundBody },
    /// Mark the customer's message `message_id` as read (blue ticks on their phone).
    MarkRead { message_id: String, typing: bool },
}

/// A refusal, as the Graph API words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
    pub details: Option<String>,
}

impl GraphError {
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            message: format!("(#100) {}", message.into()),
            details: None,
        }
    }

    /// Code 131009: a value outside the Cloud API's limits.
    fn invalid_value(details: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: 131009,
            message: "(#131009) Parameter value is not valid".into(),
            details: Some(details.into()),
        }
    }

    /// No `Authorization: Bearer` header: what Meta answers without a token.
    pub fn missing_token() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: 190,
            message: "An access token is required to request this resource.".into(),
            details: None,
        }
    }

    /// An object id (media id, message id) the API does not know.
    pub fn unknown_object(id: &str) -> Self {
        Self::invalid_parameter(format!(
            "Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation"
        ))
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": "AlocalSimulatorTrace",
        });
        if let Some(details) = self.details {
            error["error_data"] = json!({ "messaging_product": "whatsapp", "details": details });
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

/// `Authorization: Bearer <token>` with any non-empty token: the simulator is not Meta's
/// token store, but the helpdesk must send one.
pub fn has_bearer_token(header: Option<&str>) -> bool {
    header
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

/// Reads a messages request, checking it as the Cloud API would.
pub fn parse_request(body: &[u8]) -> Result<GraphRequest, GraphError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| GraphError::invalid_parameter(format!("Invalid JSON body: {e}")))?;
    if v["messaging_product"] != "whatsapp" {
        return Err(GraphError::invalid_parameter(
            "The parameter messaging_product is required and must be \"whatsapp\".",
        ));
    }
    match v.get("status") {
        Some(status) => mark_read(&v, status),
        None => send(&v),
    }
}

/// `{"status": "read", "message_id": ..}`, with or without the typing indicator.
fn mark_read(v: &Value, status: &Value) -> Result<GraphRequest, GraphError> {
    if status != "read" {
        return Err(GraphError::invalid_parameter(
            "Param status must be \"read\".",
        ));
    }
    let message_id = v["message_id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| GraphError::invalid_parameter("The parameter message_id is required."))?;
    // Meta knows one indicator type; anything else is refused, as there.
    let typing = match v.get("typing_indicator") {
        None => false,
        Some(t) if t["type"] == "text" => true,
        Some(_) => {
            return Err(GraphError::invalid_parameter(
                "Param typing_indicator.type must be \"text\".",
            ));
        }
    };
    Ok(GraphRequest::MarkRead {
        message_id: message_id.to_owned(),
        typing,
    })
}

/// A message to send: the recipient, then the part its `type` names.
fn send(v: &Value) -> Result<GraphRequest, GraphError> {
    let to = v["to"]
        .as_str()
        .ok_or_else(|| GraphError::invalid_parameter("The parameter to is required."))?;
    let to = WaId::parse(to.trim_start_matches('+'))
        .map_err(|e| GraphError::invalid_value(format!("to: {e}")))?;
    let kind = v["type"].as_str().unwrap_or("text");
    let part = &v[kind];
    if part.is_null() {
        return Err(GraphError::invalid_parameter(format!(
            "The parameter {kind} is required."
        )));
    }
    let context = v["context"]["message_id"].as_str().map(str::to_owned);
    let body = match kind {
        "text" => match context {
            Some(reply_to) => OutboundBody::QuotedText {
                body: str_at(&part["body"], "text.body")?,
                reply_to,
            },
            None => OutboundBody::Text {
                body: str_at(&part["body"], "text.body")?,
            },
        },
        "reaction" => OutboundBody::Reaction {
            message_id: str_at(&part["message_id"], "reaction.message_id")?,
            emoji: str_at(&part["emoji"], "reaction.emoji")?,
        },
        "interactive" => interactive(part)?,
        "image" | "document" | "audio" | "video" => media(kind, part)?,
        "template" => OutboundBody::Template(Template {
            name: str_at(&part["name"], "template.name")?,
            language: str_at(&part["language"]["code"], "template.language.code")?,
            components: part["components"].as_array().cloned().unwrap_or_default(),
        }),
        other => {
            return Err(GraphError::invalid_value(format!(
                "type {other:?}: the simulator delivers text, interactive, reaction, template, image, document, audio and video messages"
            )));
        }
    };
    body.validate()
        .map_err(|e| GraphError::invalid_value(e.to_string()))?;
    Ok(GraphRequest::Send { to, body })
}

/// The string at `value`, else Meta's "required" error naming `path`.
fn str_at(value: &Value, path: &str) -> Result<String, GraphError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| GraphError::invalid_parameter(format!("The parameter {path} is required.")))
}

/// Reply buttons or a list.
fn interactive(part: &Value) -> Result<OutboundBody, GraphError> {
    let text = str_at(&part["body"]["text"], "interactive.body.text")?;
    match part["type"].as_str() {
        Some("button") => Ok(OutboundBody::Buttons {
            body: text,
            buttons: choices(
                part["action"]["buttons"].as_array(),
                |b| &b["reply"],
                "interactive.action.buttons",
            )?,
        }),
        Some("list") => {
            let sections = part["action"]["sections"].as_array();
            let rows: Vec<Value> = sections
                .into_iter()
                .flatten()
                .flat_map(|s| s["rows"].as_array().cloned().unwrap_or_default())
                .collect();
            Ok(OutboundBody::List {
                body: text,
                button: str_at(&part["action"]["button"], "interactive.action.button")?,
                rows: choices(Some(&rows), |r| r, "interactive.action.sections.rows")?,
            })
        }
        other => Err(GraphError::invalid_value(format!(
            "interactive.type {other:?}: the simulator shows button and list messages"
        ))),
    }
}

/// A file sent by the id the simulator's media upload gave (links are not followed).
fn media(kind: &str, part: &Value) -> Result<OutboundBody, GraphError> {
    let kind = MediaKind::parse(kind).unwrap_or(MediaKind::Document);
    if part.get("link").is_some() {
        return Err(GraphError::invalid_value(format!(
            "{kind:?}.link: the simulator sends media by the id its media upload gave"
        )));
    }
    Ok(OutboundBody::Media {
        kind,
        id: Some(str_at(&part["id"], &format!("{}.id", kind.as_str()))?),
        caption: part["caption"].as_str().map(str::to_owned),
        filename: part["filename"].as_str().map(str::to_owned),
    })
}

/// A file the helpdesk uploads to `POST /{version}/{phone-number-id}/media`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    pub mime_type: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Reads a media upload (`multipart/form-data` with `messaging_product=whatsapp`, `type` and
/// `file`), refusing what Meta refuses: another form, a type WhatsApp does not send, a file over
/// its kind's limit (code 131053, "Media upload error").
pub fn parse_media_upload(content_type: &str, body: &[u8]) -> Result<MediaUpload, GraphError> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .filter(|_| content_type.trim_start().starts_with("multipart/form-data"))
        .ok_or_else(|| {
            GraphError::invalid_parameter("The media upload must be multipart/form-data.")
        })?;
    let delimiter = format!("--{boundary}");
    let mut fields: Vec<FormField<'_>> = Vec::new();
    for part in split(body, delimiter.as_bytes()).into_iter().skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(end) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..end]);
        let value = &part[end + 4..];
        let (mut name, mut file_name, mut ty) = (String::new(), None, None);
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                for attr in line.split(';').map(str::trim) {
                    if let Some(n) = attr.strip_prefix("name=") {
                        name = n.trim_matches('"').to_owned();
                    }
                    if let Some(f) = attr.strip_prefix("filename=") {
                        file_name = Some(f.trim_matches('"').to_owned());
                    }
                }
            } else if lower.starts_with("content-type:") {
                ty = Some(line["content-type:".len()..].trim().to_owned());
            }
        }
        fields.push((name, file_name, ty, value));
    }
    let text = |name: &str| {
        fields
            .iter()
            .find(|f| f.0 == name)
            .map(|f| String::from_utf8_lossy(f.3).into_owned())
    };
    if text("messaging_product").as_deref() != Some("whatsapp") {
        return Err(GraphError::invalid_parameter(
            "The parameter messaging_product is required and must be \"whatsapp\".",
        ));
    }
    let Some(file) = fields.iter().find(|f| f.0 == "file") else {
        return Err(GraphError::invalid_parameter(
            "The parameter file is required.",
        ));
    };
    let mime_type = text("type")
        .or_else(|| file.2.clone())
        .ok_or_else(|| GraphError::invalid_parameter("The parameter type is required."))?;
    let upload_error = |details: String| GraphError {
        status: StatusCode::BAD_REQUEST,
        code: 131053,
        message: "(#131053) Media upload error".into(),
        details: Some(details),
    };
    helpdesk::domain::attachment::check(&mime_type, file.3.len() as u64)
        .map_err(|e| upload_error(e.to_string()))?;
    Ok(MediaUpload {
        mime_type: helpdesk::domain::attachment::essence(&mime_type),
        file_name: file.1.clone().unwrap_or_else(|| "file".into()),
        bytes: file.3.to_vec(),
    })
}

/// One part of a form: its name, file name, content type and value.
type FormField<'a> = (String, Option<String>, Option<String>, &'a [u8]);

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `body` cut at every `delimiter`.
fn split<'a>(mut body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find(body, delimiter) {
        parts.push(&body[..at]);
        body = &body[at + delimiter.len()..];
    }
    parts.push(body);
    parts
}

fn choices<'a>(
    list: Option<&'a Vec<Value>>,
    inner: impl Fn(&'a Value) -> &'a Value,
    path: &str,
) -> Result<Vec<Choice>, GraphError> {
    let list = list.ok_or_else(|| {
        GraphError::invalid_parameter(format!("The parameter {path} is required."))
    })?;
    list.iter()
        .map(|item| {
            let c = inner(item);
            match (c["id"].as_str(), c["title"].as_str()) {
                (Some(id), Some(title)) => Ok(Choice {
                    id: id.to_owned(),
                    title: title.to_owned(),
                }),
                _ => Err(GraphError::invalid_parameter(format!(
                    "The parameters {path}[].id and title are required."
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wa(s: &str) -> WaId {
        WaId::parse(s).unwrap()
    }

    #[test]
    fn every_body_the_helpdesk_sends_reads_back_to_itself() {
        let bodies = [
            OutboundBody::Text {
                body: "Hallo https://example.com".into(),
            },
            OutboundBody::Buttons {
                body: "Hat das geholfen?".into(),
                buttons: vec![
                    Choice {
                        id: "confirm.yes".into(),
                        title: "Ja".into(),
                    },
                    Choice {
                        id: "confirm.no".into(),
                        title: "Nein".into(),
                    },
                ],
            },
            OutboundBody::List {
                body: "Wie zufrieden waren Sie?".into(),
                button: "Bewerten".into(),
                rows: vec![Choice {
                    id: "csat:5".into(),
                    title: "5 sehr gut".into(),
                }],
            },
            OutboundBody::Template(Template {
                name: "ticket_update".into(),
                language: "de".into(),
                components: vec![
                    json!({"type": "body", "parameters": [{"type": "text", "text": "Anna"}]}),
                ],
            }),
            OutboundBody::QuotedText {
                body: "Die vom Montag?".into(),
                reply_to: "wamid.IN1".into(),
            },
            OutboundBody::Reaction {
                message_id: "wamid.IN1".into(),
                emoji: "👍".into(),
            },
            OutboundBody::Media {
                kind: MediaKind::Document,
                id: Some("900000000001".into()),
                caption: Some("Ihre Rechnung".into()),
                filename: Some("rechnung.pdf".into()),
            },
            OutboundBody::Media {
                kind: MediaKind::Image,
                id: Some("900000000002".into()),
                caption: None,
                filename: None,
            },
        ];
        for body in bodies {
            let request = body.to_request(&wa("4915112345678"));
            let parsed = parse_request(request.to_string().as_bytes()).unwrap();
            assert_eq!(
                parsed,
                GraphRequest::Send {
                    to: wa("4915112345678"),
                    body
                }
            );
        }
    }

    #[test]
    fn reads_the_mark_read_call() {
        let body = br#"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"}"#;
        assert_eq!(
            parse_request(body),
            Ok(GraphRequest::MarkRead {
                message_id: "wamid.X".into(),
                typing: false,
            })
        );
        let typing = br#"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X","typing_indicator":{"type":"text"}}"#;
        assert_eq!(
            parse_request(typing),
            Ok(GraphRequest::MarkRead {
                message_id: "wamid.X".into(),
                typing: true,
            })
        );
        let odd = br#"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X","typing_indicator":{"type":"voice"}}"#;
        assert!(parse_request(odd).is_err());
    }

    #[test]
    fn refuses_what_meta_refuses() {
        let cases: [(&[u8], i64); 6] = [
            (b"not json", 100),
            (br#"{"to":"4915112345678","type":"text","text":{"body":"x"}}"#, 100),
            (br#"{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}"#, 100),
            (br#"{"messaging_product":"whatsapp","to":"49-151","type":"text","text":{"body":"x"}}"#, 131009),
            (br#"{"messaging_product":"whatsapp","to":"4915112345678","type":"text","text":{"body":" "}}"#, 131009),
            (br#"{"messaging_product":"whatsapp","to":"4915112345678","type":"sticker","sticker":{"id":"1"}}"#, 131009),
        ];
        for (body, code) in cases {
            let e = parse_request(body).unwrap_err();
            assert_eq!(e.code, code, "{}", String::from_utf8_lossy(body));
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn reads_the_media_upload_form_the_cloud_api_client_sends_and_refuses_what_meta_refuses() {
        // What the helpdesk's Cloud API client sends.
        let form = |ty: &str, bytes: &[u8]| {
            helpdesk::ports::whatsapp::multipart_body(
                "B",
                &helpdesk::ports::whatsapp::MediaUpload {
                    bytes,
                    mime_type: ty,
                    file_name: "a.pdf",
                },
            )
        };
        let pdf = b"%PDF-1.4\r\n--not the boundary\r\n%%EOF";
        let up = parse_media_upload(
            "multipart/form-data; boundary=B",
            &form("application/pdf", pdf),
        )
        .unwrap();
        assert_eq!(up.bytes, pdf.to_vec());
        assert_eq!(up.mime_type, "application/pdf");
        assert_eq!(up.file_name, "a.pdf");
        let gif = parse_media_upload(
            "multipart/form-data; boundary=B",
            &form("image/gif", b"GIF89a"),
        );
        assert_eq!(gif.unwrap_err().code, 131053);
        assert_eq!(
            parse_media_upload("application/json", b"{}")
                .unwrap_err()
                .code,
            100
        );
    }

    #[test]
    fn a_bearer_token_is_required() {
        assert!(has_bearer_token(Some("Bearer abc")));
        assert!(!has_bearer_token(Some("Bearer ")));
        assert!(!has_bearer_token(Some("Basic abc")));
        assert!(!has_bearer_token(None));
    }
}
