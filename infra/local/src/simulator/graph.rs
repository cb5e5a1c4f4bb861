//! The Cloud API side of the simulator: reads what the helpdesk sends to
//! `POST /{version}/{phone-number-id}/messages` back into what it means, and answers errors in
//! Meta's shape (`{"error": {message, type, code, error_data, fbtrace_id}}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use helpdesk::domain::ids::WaId;
use helpdesk::ports::whatsapp::{Choice, OutboundBody, Template};
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
    if let Some(status) = v.get("status") {
        if status != "read" {
            return Err(GraphError::invalid_parameter(
                "Param status must be \"read\".",
            ));
        }
        let message_id = v["message_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                GraphError::invalid_parameter("The parameter message_id is required.")
            })?;
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
        return Ok(GraphRequest::MarkRead {
            message_id: message_id.to_owned(),
            typing,
        });
    }
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
    let str_at = |value: &Value, path: &str| -> Result<String, GraphError> {
        value.as_str().map(str::to_owned).ok_or_else(|| {
            GraphError::invalid_parameter(format!("The parameter {path} is required."))
        })
    };
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
        "interactive" => {
            let text = str_at(&part["body"]["text"], "interactive.body.text")?;
            match part["type"].as_str() {
                Some("button") => OutboundBody::Buttons {
                    body: text,
                    buttons: choices(
                        part["action"]["buttons"].as_array(),
                        |b| &b["reply"],
                        "interactive.action.buttons",
                    )?,
                },
                Some("list") => {
                    let sections = part["action"]["sections"].as_array();
                    let rows: Vec<Value> = sections
                        .into_iter()
                        .flatten()
                        .flat_map(|s| s["rows"].as_array().cloned().unwrap_or_default())
                        .collect();
                    OutboundBody::List {
                        body: text,
                        button: str_at(&part["action"]["button"], "interactive.action.button")?,
                        rows: choices(Some(&rows), |r| r, "interactive.action.sections.rows")?,
                    }
                }
                other => {
                    return Err(GraphError::invalid_value(format!(
                        "interactive.type {other:?}: the simulator shows button and list messages"
                    )));
                }
            }
        }
        "template" => OutboundBody::Template(Template {
            name: str_at(&part["name"], "template.name")?,
            language: str_at(&part["language"]["code"], "template.language.code")?,
            components: part["components"].as_array().cloned().unwrap_or_default(),
        }),
        other => {
            return Err(GraphError::invalid_value(format!(
                "type {other:?}: the simulator delivers text, interactive, reaction and template messages"
            )));
        }
    };
    body.validate()
        .map_err(|e| GraphError::invalid_value(e.to_string()))?;
    Ok(GraphRequest::Send { to, body })
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
    fn a_bearer_token_is_required() {
        assert!(has_bearer_token(Some("Bearer abc")));
        assert!(!has_bearer_token(Some("Bearer ")));
        assert!(!has_bearer_token(Some("Basic abc")));
        assert!(!has_bearer_token(None));
    }
}
