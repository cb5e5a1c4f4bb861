//! From a parsed webhook to the work to do: which messages to store for which conversation (in
//! the customer's order), which delivery states to record. Pure and allocation-light; every id is
//! validated here, before anything is stored, so a rejected request stores nothing.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::Serialize;

use super::payload::{ApiError, Context, MessagesValue, Notification, Str};
use crate::domain::ids::{ConversationKey, IdError, PhoneNumberId, Wamid};
pub use crate::domain::whatsapp::DeliveryState;

mod content;
mod messages;
mod one_pass;
mod reader;
mod statuses;
pub mod template_status;

pub use content::Content;
use messages::{add_contact, add_message, attach_names, regroup};
use statuses::add_status;

/// Why a webhook body was rejected (always a client error: HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("body is not valid JSON for a WhatsApp notification: {0}")]
    Json(String),
    #[error("`object` is {0:?}, expected \"whatsapp_business_account\"")]
    WrongObject(String),
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl PayloadError {
    fn invalid(path: impl Into<String>, reason: impl ToString) -> Self {
        Self::Invalid {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// The error for logs: what is wrong and where, without the values serde_json quotes from
    /// the body (`invalid type: string "..."`), which may be a customer's number or words.
    pub fn redacted(&self) -> String {
        match self {
            Self::WrongObject(_) => "`object` is not \"whatsapp_business_account\"".to_owned(),
            other => redact_quoted(&other.to_string()),
        }
    }
}

/// Replaces what stands between `"..."` (with `\"` escapes) or `` `...` `` with `…`.
fn redact_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        out.push('…');
        while let Some(inner) = chars.next() {
            if inner == c {
                out.push(c);
                break;
            }
            if inner == '\\' && c == '"' {
                chars.next();
            }
        }
    }
    out
}

/// One inbound message, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage<'a> {
    pub wamid: Wamid,
    /// When the customer sent it (Meta's `timestamp`), the basis of ordering and windows.
    pub sent_at: Timestamp,
    pub context: Option<Context<'a>>,
    pub content: Content<'a>,
}

/// All new messages of one conversation in this webhook, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationPlan<'a> {
    pub key: ConversationKey,
    pub profile_name: Option<Cow<'a, str>>,
    pub messages: Vec<InboundMessage<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate<'a> {
    pub wamid: Wamid,
    pub state: DeliveryState,
    pub at: Timestamp,
    pub errors: Vec<ApiError<'a>>,
    pub pricing_category: Option<Str<'a>>,
    pub conversation_id: Option<Str<'a>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub entries: usize,
    pub changes: usize,
    /// Changes for other fields (account updates, ...) and template status updates that
    /// cannot be read.
    pub ignored_changes: usize,
    /// `message_template_status_update` changes without a readable template and event.
    pub unreadable_template_updates: usize,
    pub messages: usize,
    /// The same wamid twice in one body.
    pub repeated_in_body: usize,
    pub statuses: usize,
    /// Statuses with a state we do not track (e.g. `deleted`).
    pub ignored_statuses: usize,
    /// `errors[]` reported by Meta on a change value.
    pub webhook_errors: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntakePlan<'a> {
    pub conversations: Vec<ConversationPlan<'a>>,
    pub statuses: Vec<StatusUpdate<'a>>,
    pub webhook_errors: Vec<ApiError<'a>>,
    /// `message_template_status_update` changes, in the body's order. A missing entry `time`
    /// is the Unix epoch here (intake puts its clock's time instead).
    pub template_updates: Vec<crate::domain::templates::StatusChange>,
    pub summary: PlanSummary,
}

impl IntakePlan<'_> {
    pub fn message_count(&self) -> usize {
        self.conversations.iter().map(|c| c.messages.len()).sum()
    }
}

const OBJECT: &str = "whatsapp_business_account";

/// Parses and validates a webhook body (already signature-checked) into an [`IntakePlan`].
pub fn plan(body: &[u8]) -> Result<IntakePlan<'_>, PayloadError> {
    // Fast path: one pass with our own JSON reader, planning each change as it is read (see
    // `one_pass` and `reader`). A body it leaves (malformed, invalid, some other field's value
    // clashing with the messages shape, or JSON its reader does not take, such as escaped keys)
    // takes the exact path on serde_json, which reads change by change and names what is wrong.
    let body = utf8(body)?;
    match one_pass::plan(body) {
        Some(plan) => Ok(plan),
        None => exact(body),
    }
}

/// The exact path on its own: the reference the one pass is checked against (tests, fuzzer).
#[doc(hidden)]
pub fn plan_exact(body: &[u8]) -> Result<IntakePlan<'_>, PayloadError> {
    exact(utf8(body)?)
}

/// The one pass on its own: `None` where it leaves the body to the exact path (tests, fuzzer).
#[doc(hidden)]
pub fn plan_one_pass(body: &[u8]) -> Option<IntakePlan<'_>> {
    one_pass::plan(std::str::from_utf8(body).ok()?)
}

fn utf8(body: &[u8]) -> Result<&str, PayloadError> {
    std::str::from_utf8(body).map_err(|e| PayloadError::Json(format!("body is not UTF-8: {e}")))
}

/// The exact path: the whole notification with each change value kept raw, then each
/// `messages` value read on its own, so an error names where it is.
fn exact(body: &str) -> Result<IntakePlan<'_>, PayloadError> {
    let notification: Notification<'_> =
        serde_json::from_str(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    if notification.object.as_str() != OBJECT {
        return Err(PayloadError::WrongObject(
            notification.object.as_str().to_owned(),
        ));
    }
    let mut plan = IntakePlan::default();
    let mut staged = Staged::default();
    plan.summary.entries = notification.entry.len();
    for (e, entry) in notification.entry.into_iter().enumerate() {
        for (c, change) in entry.changes.into_iter().enumerate() {
            plan.summary.changes += 1;
            if change.field.as_str() == template_status::FIELD {
                let path = ValuePath {
                    entry: e,
                    change: c,
                }
                .to_string();
                let read = change
                    .value
                    .ok_or_else(|| PayloadError::invalid(path.clone(), "missing"))
                    .and_then(|raw| template_status::read(raw.get(), entry.time.as_ref(), &path));
                match read {
                    Ok(update) => plan.template_updates.push(update),
                    // Refusing the body would make Meta send it again, messages included, for
                    // days; a status we cannot read is counted (intake logs it) and the next
                    // sync with Meta brings the template's real status.
                    Err(_) => {
                        plan.summary.ignored_changes += 1;
                        plan.summary.unreadable_template_updates += 1;
                    }
                }
                continue;
            }
            if change.field.as_str() != "messages" {
                plan.summary.ignored_changes += 1;
                continue;
            }
            // Written out only for an error message.
            let path = ValuePath {
                entry: e,
                change: c,
            };
            let raw = change
                .value
                .ok_or_else(|| PayloadError::invalid(path.to_string(), "missing"))?;
            let value: MessagesValue<'_> = serde_json::from_str(raw.get())
                .map_err(|err| PayloadError::invalid(path.to_string(), err))?;
            add_value(&mut plan, &mut staged, value, &path)?;
        }
    }
    Ok(finish(plan, staged))
}

/// The plan once every change is read: conversations in order with their names, statuses in
/// order.
fn finish<'a>(mut plan: IntakePlan<'a>, staged: Staged<'a>) -> IntakePlan<'a> {
    if staged.disordered {
        regroup(&mut plan);
    }
    attach_names(&mut plan, staged.names);
    plan.statuses.sort_by_key(|s| (s.at, s.state));
    plan
}

/// What is collected over all changes besides the plan itself.
#[derive(Default)]
struct Staged<'a> {
    /// Profile names by (our number, the customer's wa_id as written), ids checked but not
    /// copied: most customers in a body have no message in it to attach a name to.
    names: Vec<((PhoneNumberId, Str<'a>), Cow<'a, str>)>,
    /// Whether a message came that did not belong after the one before it (another
    /// conversation that sorts earlier, an earlier send time, the same wamid): the
    /// conversations then have to be regrouped.
    disordered: bool,
}

/// Where a change value sits in the body: `entry[e].changes[c].value`.
#[derive(Debug, Clone, Copy)]
struct ValuePath {
    entry: usize,
    change: usize,
}

impl std::fmt::Display for ValuePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry[{}].changes[{}].value", self.entry, self.change)
    }
}

fn add_value<'a>(
    plan: &mut IntakePlan<'a>,
    staged: &mut Staged<'a>,
    value: MessagesValue<'a>,
    path: &ValuePath,
) -> Result<(), PayloadError> {
    let metadata = value
        .metadata
        .ok_or_else(|| PayloadError::invalid(format!("{path}.metadata"), "missing"))?;
    let phone_number_id = PhoneNumberId::parse(metadata.phone_number_id.as_str())
        .map_err(|e| PayloadError::invalid(format!("{path}.metadata.phone_number_id"), e))?;
    add_errors(plan, value.errors);
    for (i, wire) in value.messages.into_iter().enumerate() {
        add_message(plan, staged, &phone_number_id, &wire, &|field: &str| {
            format!("{path}.messages[{i}].{field}")
        })?;
    }
    for contact in value.contacts {
        add_contact(staged, &phone_number_id, contact);
    }
    for (i, status) in value.statuses.into_iter().enumerate() {
        add_status(plan, status, &|field: &str| {
            format!("{path}.statuses[{i}].{field}")
        })?;
    }
    Ok(())
}

/// `errors[]` Meta reports on a change value.
fn add_errors<'a>(plan: &mut IntakePlan<'a>, errors: Vec<ApiError<'a>>) {
    plan.summary.webhook_errors += errors.len();
    plan.webhook_errors.extend(errors);
}

fn required<'s>(
    v: &'s Option<Str<'_>>,
    path: impl FnOnce() -> String,
) -> Result<&'s str, PayloadError> {
    v.as_ref()
        .map(Str::as_str)
        .ok_or_else(|| PayloadError::invalid(path(), "missing"))
}

fn id_error(path: String, e: IdError) -> PayloadError {
    PayloadError::invalid(path, e)
}

fn unix_seconds(s: &str, path: impl FnOnce() -> String) -> Result<Timestamp, PayloadError> {
    s.parse::<i64>()
        .ok()
        .and_then(|secs| Timestamp::from_second(secs).ok())
        .ok_or_else(|| PayloadError::invalid(path(), "not a unix time in seconds"))
}

#[cfg(test)]
mod tests;
