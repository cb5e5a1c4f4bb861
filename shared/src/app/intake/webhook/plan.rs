//! From a parsed webhook to the work to do: which messages to store for which conversation (in
//! the customer's order), which delivery states to record. Pure and allocation-light; every id is
//! validated here, before anything is stored, so a rejected request stores nothing.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::payload::{
    ApiError, Button, Contact, Context, Interactive, Location, Media, MessagesValue, Notification,
    Reaction, Reply, Str, System, Text, WireMessage, WireStatus,
};
use crate::domain::ids::{ConversationKey, IdError, PhoneNumberId, WaId, Wamid};
pub use crate::domain::whatsapp::DeliveryState;

mod one_pass;
mod reader;
pub mod template_status;

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

/// Regroups conversations built in arrival order: one per key in key order, each ordered by
/// the customer's send time, with a wamid repeated in the body kept once. (Bodies usually come
/// in this order already, and then nothing is moved.)
fn regroup(plan: &mut IntakePlan<'_>) {
    let mut messages: Vec<(ConversationKey, InboundMessage<'_>)> =
        Vec::with_capacity(plan.summary.messages);
    for c in plan.conversations.drain(..) {
        let key = c.key;
        messages.extend(c.messages.into_iter().map(|m| (key.clone(), m)));
    }
    messages.sort_by(|(ka, a), (kb, b)| (ka, a.sent_at, &a.wamid).cmp(&(kb, b.sent_at, &b.wamid)));
    for (key, message) in messages {
        match plan.conversations.last_mut() {
            Some(c) if c.key == key => {
                // Sorting put a repeated wamid next to its twin (same send time).
                if c.messages
                    .last()
                    .is_some_and(|last| last.wamid == message.wamid)
                {
                    plan.summary.repeated_in_body += 1;
                } else {
                    c.messages.push(message);
                }
            }
            _ => plan.conversations.push(ConversationPlan {
                key,
                profile_name: None,
                messages: vec![message],
            }),
        }
    }
}

/// Gives each conversation its customer's profile name from `contacts`.
fn attach_names<'a>(
    plan: &mut IntakePlan<'a>,
    mut names: Vec<((PhoneNumberId, Str<'a>), Cow<'a, str>)>,
) {
    // The same order as `ConversationKey`'s: our number, then the wa_id.
    fn name_key<'n>(
        ((phone, wa_id), _): &'n ((PhoneNumberId, Str<'_>), Cow<'_, str>),
    ) -> (&'n str, &'n str) {
        (phone.as_str(), wa_id.as_str())
    }
    if !names.is_sorted_by(|a, b| name_key(a) <= name_key(b)) {
        names.sort_by(|a, b| name_key(a).cmp(&name_key(b)));
    }
    // Both lists are ordered by key: one merge walk; with a name given twice, the last wins.
    let mut names = names.into_iter().peekable();
    for c in &mut plan.conversations {
        let wanted = (c.key.phone_number_id.as_str(), c.key.wa_id.as_str());
        while let Some(named) = names.peek() {
            match name_key(named).cmp(&wanted) {
                std::cmp::Ordering::Less => {
                    names.next();
                }
                std::cmp::Ordering::Equal => {
                    c.profile_name = names.next().map(|(_, name)| name);
                }
                std::cmp::Ordering::Greater => break,
            }
        }
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

/// One customer message to our number `phone_number_id`; `at` names a field for errors.
fn add_message<'a>(
    plan: &mut IntakePlan<'a>,
    staged: &mut Staged<'a>,
    phone_number_id: &PhoneNumberId,
    wire: &WireMessage<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), PayloadError> {
    let from = required(&wire.from, || at("from"))?;
    let wa_id = WaId::parse(from).map_err(|e| id_error(at("from"), e))?;
    let message = inbound(wire, at)?;
    plan.summary.messages += 1;
    // Appended in arrival order; `finish` regroups only if that order is not the plan's.
    if let Some(c) = plan
        .conversations
        .last_mut()
        .filter(|c| c.key.phone_number_id == *phone_number_id && c.key.wa_id == wa_id)
    {
        if let Some(last) = c.messages.last() {
            staged.disordered |= last.wamid == message.wamid
                || (&last.sent_at, &last.wamid) > (&message.sent_at, &message.wamid);
        }
        c.messages.push(message);
        return Ok(());
    }
    let key = ConversationKey {
        phone_number_id: phone_number_id.clone(),
        wa_id,
    };
    if let Some(c) = plan.conversations.last() {
        staged.disordered |= c.key > key;
    }
    plan.conversations.push(ConversationPlan {
        key,
        profile_name: None,
        messages: vec![message],
    });
    Ok(())
}

/// A profile name from `contacts` (keyed by wa_id); a contact without a usable one is skipped.
fn add_contact<'a>(staged: &mut Staged<'a>, phone_number_id: &PhoneNumberId, contact: Contact<'a>) {
    let Some(name) = contact.profile.and_then(|p| p.name) else {
        return;
    };
    if WaId::is_valid(contact.wa_id.as_str()) && !name.as_str().trim().is_empty() {
        staged
            .names
            .push(((phone_number_id.clone(), contact.wa_id), name.0));
    }
}

/// A delivery status of a message we sent; states we do not track are counted.
fn add_status<'a>(
    plan: &mut IntakePlan<'a>,
    status: WireStatus<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), PayloadError> {
    plan.summary.statuses += 1;
    match status_update(status, at)? {
        Some(update) => plan.statuses.push(update),
        None => plan.summary.ignored_statuses += 1,
    }
    Ok(())
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

fn inbound<'a>(
    wire: &WireMessage<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<InboundMessage<'a>, PayloadError> {
    let wamid =
        Wamid::parse(required(&wire.id, || at("id"))?).map_err(|e| id_error(at("id"), e))?;
    let sent_at = unix_seconds(required(&wire.timestamp, || at("timestamp"))?, || {
        at("timestamp")
    })?;
    // A context we cannot read is dropped rather than failing the message.
    let context = wire.context.and_then(|raw| serde_json::from_str(raw).ok());
    Ok(InboundMessage {
        wamid,
        sent_at,
        context,
        content: content(wire),
    })
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
fn content<'a>(wire: &WireMessage<'a>) -> Content<'a> {
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

fn status_update<'a>(
    wire: WireStatus<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<StatusUpdate<'a>>, PayloadError> {
    let wamid = Wamid::parse(wire.id.as_str()).map_err(|e| id_error(at("id"), e))?;
    let when = unix_seconds(wire.timestamp.as_str(), || at("timestamp"))?;
    let Some(state) = DeliveryState::parse(wire.status.as_str()) else {
        return Ok(None);
    };
    Ok(Some(StatusUpdate {
        wamid,
        state,
        at: when,
        errors: wire.errors,
        pricing_category: wire.pricing.and_then(|p| p.category),
        conversation_id: wire.conversation.and_then(|c| c.id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::intake::webhook::sample;
    use proptest::prelude::*;

    const ALL_TYPES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/all_message_types.json"
    ));
    const MULTI: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/multi_entry_batch.json"
    ));
    const STATUSES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/statuses.json"
    ));

    fn kinds(plan: &IntakePlan<'_>) -> Vec<String> {
        plan.conversations[0]
            .messages
            .iter()
            .map(|m| m.content.kind().to_owned())
            .collect()
    }

    #[test]
    fn every_documented_message_type_parses_into_its_variant() {
        let plan = plan(ALL_TYPES.as_bytes()).unwrap();
        assert_eq!(plan.conversations.len(), 1);
        assert_eq!(
            kinds(&plan),
            [
                "text",
                "button_reply",
                "list_reply",
                "quick_reply",
                "image",
                "document",
                "audio",
                "video",
                "sticker",
                "location",
                "contacts",
                "reaction",
                "order",
                "system",
                "unsupported",
                "unknown"
            ]
        );
        let m = &plan.conversations[0].messages;
        assert_eq!(
            m[0].content.text(),
            Some("Wo ist mein Paket? \"Bestellung\" 12345 ü")
        );
        assert_eq!(
            m[1].context
                .as_ref()
                .and_then(|c| c.id.as_ref())
                .map(Str::as_str),
            Some("wamid.OUT01")
        );
        assert_eq!(m[1].content.text(), Some("Bestellstatus"));
        assert_eq!(
            m[4].content.media().map(|x| x.id.as_str()),
            Some("1234567890")
        );
        assert_eq!(m[4].content.text(), Some("Beschädigt angekommen"));
        assert!(
            matches!(&m[9].content, Content::Location(l) if (l.latitude - 52.520008).abs() < 1e-9)
        );
        assert!(
            matches!(&m[11].content, Content::Reaction { emoji: Some(e), .. } if e.as_str() == "👍")
        );
        assert!(
            matches!(&m[14].content, Content::Unsupported { errors } if errors[0].code == 131051)
        );
    }

    #[test]
    fn an_unknown_type_is_kept_with_its_raw_content() {
        let plan = plan(ALL_TYPES.as_bytes()).unwrap();
        let last = plan.conversations[0].messages.last().unwrap();
        match &last.content {
            Content::Unknown { type_name, raw } => {
                assert_eq!(type_name.as_str(), "hologram");
                assert_eq!(raw.as_ref().unwrap()["frames"], 3);
            }
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn stored_content_round_trips_through_json() {
        let plan = plan(ALL_TYPES.as_bytes()).unwrap();
        for m in &plan.conversations[0].messages {
            let json = serde_json::to_string(&m.content).unwrap();
            let back: Content<'_> = serde_json::from_str(&json).unwrap();
            assert_eq!(back, m.content, "{json}");
        }
    }

    #[test]
    fn a_batch_is_split_by_conversation_and_ordered_by_customer_time() {
        let plan = plan(MULTI.as_bytes()).unwrap();
        assert_eq!(plan.summary.entries, 2);
        assert_eq!(plan.summary.changes, 3);
        assert_eq!(plan.summary.ignored_changes, 1);
        assert_eq!(plan.summary.messages, 4);
        assert_eq!(
            plan.conversations.len(),
            3,
            "same customer on two business numbers is two conversations"
        );
        let anna = &plan.conversations[0];
        assert_eq!(anna.key.wa_id.as_str(), "4915112345678");
        assert_eq!(anna.profile_name.as_deref(), Some("Anna"));
        let wamids: Vec<&str> = anna.messages.iter().map(|m| m.wamid.as_str()).collect();
        assert_eq!(wamids, ["wamid.A1", "wamid.A2"]);
        assert_eq!(
            plan.conversations[2].key.phone_number_id.as_str(),
            "106540352242923"
        );
        assert_eq!(plan.statuses.len(), 1);
    }

    #[test]
    fn statuses_are_typed_and_unknown_states_counted_not_failed() {
        let plan = plan(STATUSES.as_bytes()).unwrap();
        assert_eq!(plan.summary.statuses, 6);
        assert_eq!(plan.summary.ignored_statuses, 1);
        let states: Vec<_> = plan.statuses.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                DeliveryState::Sent,
                DeliveryState::Delivered,
                DeliveryState::Read,
                DeliveryState::Failed,
                DeliveryState::Delivered
            ]
        );
        let failed = &plan.statuses[3];
        assert_eq!(failed.errors[0].code, 131047);
        assert_eq!(
            plan.statuses[0].pricing_category.as_ref().map(Str::as_str),
            Some("service")
        );
    }

    #[test]
    fn a_repeated_wamid_in_one_body_is_planned_once() {
        let body = sample::text_notification(
            "1065",
            &[
                sample::SampleText {
                    wa_id: "4915112345678",
                    profile_name: "A",
                    wamid: "wamid.X",
                    timestamp: 1,
                    body: "a",
                },
                sample::SampleText {
                    wa_id: "4915112345678",
                    profile_name: "A",
                    wamid: "wamid.X",
                    timestamp: 1,
                    body: "a",
                },
            ],
        );
        let plan = plan(body.as_bytes()).unwrap();
        assert_eq!(plan.message_count(), 1);
        assert_eq!(plan.summary.repeated_in_body, 1);
    }

    #[test]
    fn rejections_name_what_is_wrong() {
        let cases: [(&str, &str); 6] = [
            ("not json", "not valid JSON"),
            (r#"{"object":"page","entry":[]}"#, "\"page\""),
            (
                r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]}"#,
                "entry[0].changes[0].value: missing",
            ),
            (
                r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"x1"}}}]}]}"#,
                "entry[0].changes[0].value.metadata.phone_number_id: must contain only digits",
            ),
            (
                r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"wamid.1","timestamp":"1","type":"text"}]}}]}]}"#,
                "messages[0].from: missing",
            ),
            (
                r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"wamid.1","from":"4915112345678","timestamp":"yesterday","type":"text"}]}}]}]}"#,
                "messages[0].timestamp: not a unix time",
            ),
        ];
        for (body, expected) in cases {
            let err = plan(body.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(expected), "{body} -> {err}");
        }
    }

    #[test]
    fn another_fields_value_that_clashes_with_the_messages_shape_is_still_read() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[
            {"value":{"messages":"not a list"},"field":"some_future_field"},
            {"value":{"metadata":{"phone_number_id":"1065"},"messages":[{"from":"4915112345678","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"hi"}}]},"field":"messages"}
        ]}]}"#;
        let plan = plan(body).unwrap();
        assert_eq!(plan.summary.ignored_changes, 1);
        assert_eq!(plan.message_count(), 1);
    }

    #[test]
    fn a_timestamp_sent_as_a_number_is_read_like_a_string() {
        // Meta sends strings; `Str` promises to take numbers too rather than fail the batch.
        let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1065"},"messages":[{"from":"4915112345678","id":"wamid.1","timestamp":1764061200,"type":"text","text":{"body":"hi"}}],"statuses":[{"id":"wamid.2","status":"read","timestamp":-1}]}}]}]}"#;
        let plan = plan(body).unwrap();
        assert_eq!(
            plan.conversations[0].messages[0].sent_at,
            Timestamp::from_second(1_764_061_200).unwrap()
        );
        assert_eq!(plan.statuses[0].at, Timestamp::from_second(-1).unwrap());
    }

    #[test]
    fn the_redacted_error_keeps_no_value_from_the_body() {
        let bodies: [&[u8]; 4] = [
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":"Hallo \"4915112345678\" Geheimweg"}}]}]}"#,
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":4915112345678.5}]}}]}]}"#,
            br#"{"object":"4915112345678","entry":[]}"#,
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"x4915112345678","id":"wamid.1","timestamp":"1"}]}}]}]}"#,
        ];
        for body in bodies {
            let e = plan(body).unwrap_err();
            let redacted = e.redacted();
            assert!(!redacted.contains("4915112345678"), "{redacted}");
            assert!(!redacted.contains("Geheimweg"), "{redacted}");
            assert!(
                redacted.contains("entry[0]") || redacted.contains("object"),
                "still says where: {redacted}"
            );
        }
    }

    #[test]
    fn an_empty_notification_plans_nothing() {
        let plan = plan(br#"{"object":"whatsapp_business_account","entry":[]}"#).unwrap();
        assert_eq!(plan, IntakePlan::default());
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z0-9.#]{0,12}".prop_map(serde_json::Value::from),
            prop_oneof![
                Just("messages"),
                Just("text"),
                Just("wamid.1"),
                Just("4915112345678"),
                Just("whatsapp_business_account")
            ]
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let keys = prop_oneof![
                Just("object".to_owned()),
                Just("entry".to_owned()),
                Just("changes".to_owned()),
                Just("field".to_owned()),
                Just("value".to_owned()),
                Just("metadata".to_owned()),
                Just("phone_number_id".to_owned()),
                Just("messages".to_owned()),
                Just("statuses".to_owned()),
                Just("from".to_owned()),
                Just("id".to_owned()),
                Just("timestamp".to_owned()),
                Just("type".to_owned()),
                Just("text".to_owned()),
                Just("body".to_owned()),
                "[a-z]{1,6}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(keys, inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = plan(&bytes);
        }

        #[test]
        fn random_json_in_the_webhook_shape_never_panics(v in arb_json()) {
            let _ = plan(v.to_string().as_bytes());
            let wrapped = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": v}]}]});
            let _ = plan(wrapped.to_string().as_bytes());
        }

        #[test]
        fn the_one_pass_plan_is_the_exact_plan_or_leaves_the_body_to_it(v in arb_json()) {
            let wrapped = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": v}]}]});
            for body in [v.to_string(), wrapped.to_string()] {
                if let Some(fast) = one_pass::plan(&body) {
                    prop_assert_eq!(Ok(fast), exact(&body));
                }
            }
        }
    }

    fn both_paths(body: &str) -> IntakePlan<'_> {
        let exact = exact(body).expect("a valid body");
        let fast = one_pass::plan(body)
            .unwrap_or_else(|| panic!("the one pass reads a valid body: {body}"));
        assert_eq!(fast, exact, "{body}");
        fast
    }

    #[test]
    fn the_one_pass_and_the_exact_path_plan_every_valid_body_alike() {
        let message = sample::SampleText {
            wa_id: "4915112345678",
            profile_name: "Kundin",
            wamid: "wamid.one",
            timestamp: 1_764_061_200,
            body: "Wo ist mein \"Paket\"?\n",
        };
        let status = sample::SampleStatus {
            wamid: "wamid.out",
            status: "read",
            recipient: "4915112345678",
            timestamp: 1_764_061_300,
        };
        for body in [
            ALL_TYPES.to_owned(),
            MULTI.to_owned(),
            STATUSES.to_owned(),
            sample::many_customers(50, 1_764_061_200),
            sample::text_notification("106540352242922", std::slice::from_ref(&message)),
            sample::button_reply_notification("106540352242922", &message, "menu.orders"),
            sample::status_notification("106540352242922", &[status]),
        ] {
            both_paths(&body);
            // The same keys in alphabetical order: `metadata` after `contacts` and `messages`.
            let reordered = serde_json::from_str::<serde_json::Value>(&body)
                .expect("JSON")
                .to_string();
            assert_eq!(both_paths(&reordered), both_paths(&body));
        }
    }

    #[test]
    fn key_order_and_other_fields_do_not_change_the_one_pass_plan() {
        // `object` last, an account update before the messages (its value first, then its
        // field), `field` before `value`, and keys nobody knows.
        let body = r#"{"entry":[{"changes":[
            {"value":{"event":"VERIFIED","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE"}},"field":"account_update"},
            {"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},
             "messages":[{"from":"4915112345678","id":"wamid.a","timestamp":"1764061200",
             "type":"text","text":{"body":"Hallo"}}]},"extra":1}],"id":"1","x":[]}],
            "object":"whatsapp_business_account","y":{}}"#;
        let plan = both_paths(body);
        assert_eq!(plan.message_count(), 1);
        assert_eq!(plan.summary.ignored_changes, 1);

        // Another field's value written before its field, shaped like messages: what it added
        // is taken back.
        let lookalike = body.replace(
            r#"{"event":"VERIFIED","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE"}}"#,
            r#"{"metadata":{"phone_number_id":"1"},"messages":[{"from":"4917600000001","id":"wamid.x","timestamp":"1","type":"text","text":{"body":"x"}}],"statuses":[{"id":"wamid.y","status":"read","timestamp":"1"}],"errors":[{"code":1}]}"#,
        );
        assert_eq!(both_paths(&lookalike), plan);

        // ... and one that does not read as a messages value leaves the body to the exact path.
        let clash = body.replace(r#""event":"VERIFIED""#, r#""messages":"not a list""#);
        assert!(one_pass::plan(&clash).is_none());
        assert_eq!(super::plan(clash.as_bytes()), Ok(plan));
    }

    #[test]
    fn bodies_the_one_pass_leaves_get_the_exact_paths_error() {
        let message = r#"{"from":"4915112345678","id":"wamid.a","timestamp":"1764061200","type":"text","text":{"body":"Hi"}}"#;
        let value = |messages: &str| {
            format!(
                r#"{{"metadata":{{"phone_number_id":"106540352242922"}},"messages":[{messages}]}}"#
            )
        };
        let notification = |object: &str, value: &str| {
            format!(
                r#"{{"object":"{object}","entry":[{{"changes":[{{"value":{value},"field":"messages"}}]}}]}}"#
            )
        };
        let cases = [
            notification("page", &value(message)),
            notification(
                "whatsapp_business_account",
                &value(&message.replace("4915112345678", "+49 151")),
            ),
            notification("whatsapp_business_account", "null"),
            r#"{"object":"whatsapp_business_account","object":"whatsapp_business_account","entry":[]}"#
                .to_owned(),
            r#"{"entry":[]}"#.to_owned(),
        ];
        for body in &cases {
            assert!(one_pass::plan(body).is_none(), "{body}");
            let expected = exact(body);
            assert!(expected.is_err(), "{body}");
            assert_eq!(super::plan(body.as_bytes()), expected);
        }
    }
}
