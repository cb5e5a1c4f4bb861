//! Valid webhook bodies built from a description ([`Spec`]), with what `plan` must find in them.
//! The fuzz loop draws specs from [`Rng`]; the property test draws them from proptest
//! strategies (so failures shrink). Both render and predict through the same code.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::rng::Rng;

/// The earliest and latest unix second `jiff::Timestamp` (and so `plan`) accepts.
pub const MIN_UNIX: i64 = -377_705_023_201;
pub const MAX_UNIX: i64 = 253_402_207_200;

#[derive(Debug, Clone)]
pub struct Customer {
    /// 5 to 20 digits.
    pub wa_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    ButtonReply,
    ListReply,
    QuickReply,
    Image,
    Document,
    Audio,
    Video,
    Sticker,
    Location,
    Contacts,
    Reaction,
    Order,
    System,
    Unsupported,
    /// A type this code does not know (e.g. `hologram`).
    Unknown,
}

pub const KINDS: [Kind; 16] = [
    Kind::Text,
    Kind::ButtonReply,
    Kind::ListReply,
    Kind::QuickReply,
    Kind::Image,
    Kind::Document,
    Kind::Audio,
    Kind::Video,
    Kind::Sticker,
    Kind::Location,
    Kind::Contacts,
    Kind::Reaction,
    Kind::Order,
    Kind::System,
    Kind::Unsupported,
    Kind::Unknown,
];

#[derive(Debug, Clone)]
pub struct MessageSpec {
    /// Index into [`Spec::customers`].
    pub customer: usize,
    pub kind: Kind,
    pub timestamp: i64,
    /// Meta sends strings; numbers are accepted too.
    pub timestamp_as_number: bool,
    pub text: String,
    /// Sent twice, identical (Meta redelivering inside one body).
    pub repeated: bool,
}

#[derive(Debug, Clone)]
pub struct StatusSpec {
    pub state: String,
    pub timestamp: i64,
    pub with_error: bool,
}

#[derive(Debug, Clone)]
pub enum ChangeSpec {
    Messages {
        /// Index into [`Spec::numbers`].
        number: usize,
        messages: Vec<MessageSpec>,
        statuses: Vec<StatusSpec>,
        errors: usize,
    },
    /// Another field (`account_update`, ...), ignored by `plan`; its value may even clash with
    /// the messages shape.
    Other { field: String, value: Value },
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub numbers: Vec<String>,
    pub customers: Vec<Customer>,
    pub entries: Vec<Vec<ChangeSpec>>,
}

/// A message as `plan` must report it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedMessage {
    pub sent_at: i64,
    pub wamid: String,
    pub kind: &'static str,
    pub text: Option<String>,
}

#[derive(Debug, Default)]
pub struct Expected {
    /// By (phone_number_id, wa_id), the order `plan` uses; messages oldest first.
    pub conversations: BTreeMap<(String, String), (Option<String>, Vec<ExpectedMessage>)>,
    pub messages: usize,
    pub repeated_in_body: usize,
    pub statuses: usize,
    pub tracked_statuses: usize,
    pub changes: usize,
    pub ignored_changes: usize,
    pub webhook_errors: usize,
}

/// Text as customers write it: words, umlauts, emoji, right-to-left, zero-width joiners,
/// quotes and backslashes, control characters, sometimes long.
pub fn customer_text(rng: &mut Rng) -> String {
    const PIECES: [&str; 16] = [
        "Hallo",
        "wo ist mein Paket?",
        "Bestellung 100234",
        "Grüße aus Köln, Straße ß",
        "👍",
        "👩‍👩‍👧‍👦",
        "مرحبا",
        "שלום",
        "\u{200b}\u{200d}\u{feff}",
        "\"zitiert\" \\ back\\slash",
        "tab\tnew\nline\r",
        "\u{0}\u{1}\u{1f}\u{7f}",
        "{\"json\": [1, 2]}",
        "</script><b>",
        "\u{10ffff}\u{fffd}",
        " ",
    ];
    let n = rng.skewed(6);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick::<&str>(&PIECES));
        s.push(' ');
    }
    if rng.one_in(1000) {
        // Up to the 4096 characters WhatsApp allows, and beyond.
        let len = rng.between(1000, 6000);
        s.extend(std::iter::repeat_n('x', len));
    }
    s
}

fn timestamp(rng: &mut Rng) -> i64 {
    match rng.below(20) {
        0 => MIN_UNIX,
        1 => MAX_UNIX,
        2 => 0,
        3 => -(rng.below(1_000_000_000) as i64),
        _ => 1_764_061_200 + rng.below(100_000) as i64,
    }
}

impl Spec {
    pub fn random(rng: &mut Rng) -> Self {
        let numbers: Vec<String> = (0..rng.between(1, 3))
            .map(|_| {
                let len = rng.between(1, 32);
                rng.digits(len)
            })
            .collect();
        let mut customers: Vec<Customer> = Vec::new();
        for _ in 0..rng.between(1, 5) {
            let len = rng.between(5, 20);
            let wa_id = rng.digits(len);
            let name = if rng.one_in(8) {
                " ".into()
            } else {
                customer_text(rng)
            };
            // Two customers drawn with one number would be one customer with two names (a
            // 5-digit id repeats about once in a million cases).
            if customers.iter().all(|c| c.wa_id != wa_id) {
                customers.push(Customer { wa_id, name });
            }
        }
        let entries = (0..rng.skewed(3).max(1))
            .map(|_| {
                (0..rng.skewed(3).max(1))
                    .map(|_| ChangeSpec::random(rng, numbers.len(), customers.len()))
                    .collect()
            })
            .collect();
        Self {
            numbers,
            customers,
            entries,
        }
    }

    /// The body as Meta would send it.
    pub fn render(&self) -> Value {
        let mut serial = 0usize;
        let entries = self
            .entries
            .iter()
            .enumerate()
            .map(|(e, changes)| {
                let changes = changes
                    .iter()
                    .map(|change| {
                        let (field, value) = self.render_change(change, &mut serial);
                        object([("value", value), ("field", Value::String(field))])
                    })
                    .collect();
                object([
                    ("id", Value::String(format!("10229012934039{e}"))),
                    ("changes", Value::Array(changes)),
                ])
            })
            .collect();
        object([
            ("object", Value::from("whatsapp_business_account")),
            ("entry", Value::Array(entries)),
        ])
    }

    fn render_change(&self, change: &ChangeSpec, serial: &mut usize) -> (String, Value) {
        let (number, messages, statuses, errors) = match change {
            ChangeSpec::Other { field, value } => return (field.clone(), value.clone()),
            ChangeSpec::Messages {
                number,
                messages,
                statuses,
                errors,
            } => (*number, messages, statuses, *errors),
        };
        let mut contacts: Vec<Value> = Vec::new();
        let mut wire: Vec<Value> = Vec::new();
        for m in messages {
            let customer = &self.customers[m.customer];
            if !contacts
                .iter()
                .any(|c| c["wa_id"] == customer.wa_id.as_str())
            {
                contacts
                    .push(json!({ "profile": { "name": customer.name }, "wa_id": customer.wa_id }));
            }
            let message = render_message(m, &customer.wa_id, &wamid(*serial));
            *serial += 1;
            if m.repeated {
                wire.push(message.clone());
            }
            wire.push(message);
        }
        let statuses: Vec<Value> = statuses
            .iter()
            .map(|s| {
                *serial += 1;
                let mut status = json!({
                    "id": wamid(*serial), "status": s.state, "timestamp": s.timestamp.to_string(),
                    "recipient_id": self.customers[0].wa_id,
                    "conversation": { "id": "c1", "origin": { "type": "service" } },
                    "pricing": { "billable": true, "pricing_model": "CBP", "category": "service" },
                });
                if s.with_error {
                    status["errors"] = json!([{ "code": 131047, "title": "Re-engagement message", "error_data": { "details": "more than 24 hours" } }]);
                }
                status
            })
            .collect();
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "4930123456789", "phone_number_id": self.numbers[number] },
        });
        // Moved in, not interpolated into `json!` (see `object`).
        value["contacts"] = Value::Array(contacts);
        value["messages"] = Value::Array(wire);
        value["statuses"] = Value::Array(statuses);
        if errors > 0 {
            value["errors"] = (0..errors)
                .map(|i| json!({ "code": 131000 + i, "title": "Something went wrong", "message": "x" }))
                .collect();
        }
        ("messages".into(), value)
    }

    /// What `plan` must find in [`Spec::render`]'s body.
    pub fn expected(&self) -> Expected {
        let mut x = Expected::default();
        let mut serial = 0usize;
        for change in self.entries.iter().flatten() {
            x.changes += 1;
            let ChangeSpec::Messages {
                number,
                messages,
                statuses,
                errors,
            } = change
            else {
                x.ignored_changes += 1;
                continue;
            };
            x.webhook_errors += errors;
            for m in messages {
                let customer = &self.customers[m.customer];
                let key = (self.numbers[*number].clone(), customer.wa_id.clone());
                let name = Some(customer.name.clone()).filter(|n| !n.trim().is_empty());
                let conversation = x.conversations.entry(key).or_insert((None, Vec::new()));
                // A name is attached when any change to this number lists the customer.
                conversation.0 = name;
                conversation.1.push(ExpectedMessage {
                    sent_at: m.timestamp,
                    wamid: wamid(serial),
                    kind: m.kind.stored_as(),
                    text: m.kind.text(&m.text),
                });
                serial += 1;
                x.messages += 1 + usize::from(m.repeated);
                x.repeated_in_body += usize::from(m.repeated);
            }
            for s in statuses {
                serial += 1;
                x.statuses += 1;
                if matches!(s.state.as_str(), "sent" | "delivered" | "read" | "failed") {
                    x.tracked_statuses += 1;
                }
            }
        }
        for (_, messages) in x.conversations.values_mut() {
            messages.sort();
        }
        x
    }
}

/// An object of these members, each value moved in. `json!` copies every value it interpolates
/// (`serde_json::to_value` of a reference), so building nested bodies with it copied each
/// subtree once per level: a third of the fuzz loop's time.
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Unique per body and shaped like Meta's (base64 after `wamid.`).
fn wamid(serial: usize) -> String {
    format!("wamid.HBgLNDkxNTE{serial:08}VAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
}

impl ChangeSpec {
    fn random(rng: &mut Rng, numbers: usize, customers: usize) -> Self {
        if rng.one_in(6) {
            let value = match rng.below(3) {
                0 => json!({ "event": "VERIFIED_ACCOUNT", "ban_info": null }),
                // Clashes with the messages shape: forces the exact (slow) path.
                1 => json!({ "messages": "not a list", "metadata": 5 }),
                _ => json!([1, 2, 3]),
            };
            let field = rng
                .pick(&[
                    "account_update",
                    "message_template_status_update",
                    "security",
                    "statuses",
                ])
                .to_string();
            return Self::Other { field, value };
        }
        let most = if rng.one_in(20) { 60 } else { 6 };
        let messages = (0..rng.skewed(most))
            .map(|_| MessageSpec {
                customer: rng.below(customers),
                kind: *rng.pick(&KINDS),
                timestamp: timestamp(rng),
                timestamp_as_number: rng.one_in(10),
                text: customer_text(rng),
                repeated: rng.one_in(15),
            })
            .collect();
        let statuses = (0..rng.skewed(6))
            .map(|_| StatusSpec {
                state: rng
                    .pick(&["sent", "delivered", "read", "failed", "deleted", "warning"])
                    .to_string(),
                timestamp: timestamp(rng),
                with_error: rng.one_in(4),
            })
            .collect();
        Self::Messages {
            number: rng.below(numbers),
            messages,
            statuses,
            errors: if rng.one_in(10) { rng.between(1, 3) } else { 0 },
        }
    }
}

impl Kind {
    /// The `type` tag `plan` gives the content.
    pub fn stored_as(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::ButtonReply => "button_reply",
            Self::ListReply => "list_reply",
            Self::QuickReply => "quick_reply",
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Reaction => "reaction",
            Self::Order => "order",
            Self::System => "system",
            Self::Unsupported => "unsupported",
            Self::Unknown => "unknown",
        }
    }

    /// What `Content::text` must return for a message rendered with `text`.
    fn text(self, text: &str) -> Option<String> {
        match self {
            Self::Text
            | Self::ButtonReply
            | Self::ListReply
            | Self::QuickReply
            | Self::Image
            | Self::Document
            | Self::Video
            | Self::System => Some(text.to_owned()),
            _ => None,
        }
    }
}

fn render_message(m: &MessageSpec, from: &str, id: &str) -> Value {
    let timestamp = if m.timestamp_as_number {
        json!(m.timestamp)
    } else {
        json!(m.timestamp.to_string())
    };
    let mut v = json!({ "from": from, "id": id, "timestamp": timestamp });
    let media = |caption: bool| {
        let mut media = json!({ "id": "1234567890", "mime_type": "image/jpeg", "sha256": "abc=" });
        if caption {
            media["caption"] = json!(m.text);
        }
        media
    };
    let (kind, content) = match m.kind {
        Kind::Text => ("text", json!({ "body": m.text })),
        Kind::ButtonReply => (
            "interactive",
            json!({ "type": "button_reply", "button_reply": { "id": "track", "title": m.text } }),
        ),
        Kind::ListReply => (
            "interactive",
            json!({ "type": "list_reply", "list_reply": { "id": "row-1", "title": m.text, "description": "d" } }),
        ),
        Kind::QuickReply => ("button", json!({ "payload": "STOP", "text": m.text })),
        Kind::Image => ("image", media(true)),
        Kind::Document => ("document", {
            let mut d = media(true);
            d["filename"] = json!("rechnung.pdf");
            d
        }),
        Kind::Audio => ("audio", media(false)),
        Kind::Video => ("video", media(true)),
        Kind::Sticker => ("sticker", media(false)),
        Kind::Location => (
            "location",
            json!({ "latitude": 52.520008, "longitude": -13.404954, "name": m.text }),
        ),
        Kind::Contacts => (
            "contacts",
            json!([{ "name": { "formatted_name": m.text }, "phones": [{ "phone": "+49 151" }] }]),
        ),
        Kind::Reaction => (
            "reaction",
            json!({ "message_id": "wamid.OUT01", "emoji": "👍" }),
        ),
        Kind::Order => (
            "order",
            json!({ "catalog_id": "1", "product_items": [{ "product_retailer_id": "sku", "quantity": 1 }] }),
        ),
        Kind::System => (
            "system",
            json!({ "body": m.text, "type": "user_changed_number", "new_wa_id": "4915100000000" }),
        ),
        Kind::Unsupported => {
            v["errors"] = json!([{ "code": 131051, "title": "Message type unknown" }]);
            ("unsupported", Value::Null)
        }
        Kind::Unknown => ("hologram", json!({ "frames": 3 })),
    };
    v["type"] = json!(kind);
    if !content.is_null() {
        v[kind] = content;
    }
    v
}
