//! A `message_template_status_update` change: Meta tells the account that a template was
//! approved, rejected, paused, disabled, ... Read and checked here like a message; applied to
//! the catalogue by `app::templates`.

use jiff::Timestamp;
use serde_json::Value;

use super::PayloadError;
use crate::domain::templates::StatusChange;

/// The field of such a change.
pub const FIELD: &str = "message_template_status_update";

/// The change's value (`path` names it in errors) with the entry's `time` (unix seconds; when
/// absent or unusable, `None`: intake takes its own clock).
pub fn read(raw: &str, time: Option<&Value>, path: &str) -> Result<StatusChange, PayloadError> {
    let value: Value = serde_json::from_str(raw).map_err(|e| PayloadError::invalid(path, e))?;
    let field = |name: &str| format!("{path}.{name}");
    let text = |name: &str| -> Result<String, PayloadError> {
        match &value[name] {
            Value::String(s) if !s.trim().is_empty() && s.len() <= 512 => Ok(s.trim().to_owned()),
            Value::Null => Err(PayloadError::invalid(field(name), "missing")),
            _ => Err(PayloadError::invalid(
                field(name),
                "must be a non-empty string",
            )),
        }
    };
    let event = text("event")?;
    if !event.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        return Err(PayloadError::invalid(
            field("event"),
            "must be like APPROVED",
        ));
    }
    let name = text("message_template_name")?;
    let language = text("message_template_language")?;
    // Meta sends the id as a number; accept its string form too.
    let id = match &value["message_template_id"] {
        Value::Number(n) if n.as_u64().is_some() => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        Value::Null => None,
        _ => {
            return Err(PayloadError::invalid(
                field("message_template_id"),
                "must be a number",
            ));
        }
    };
    let reason = match &value["reason"] {
        Value::String(s) => Some(s.chars().take(512).collect()),
        _ => None,
    };
    let at = time
        .and_then(|t| t.as_i64().or_else(|| t.as_str()?.parse().ok()))
        .and_then(|s| Timestamp::from_second(s).ok());
    Ok(StatusChange {
        id,
        name,
        language,
        event,
        reason,
        // Filled in by intake from its clock when Meta gave no time.
        at: at.unwrap_or(Timestamp::UNIX_EPOCH),
    })
}
