//! Builds webhook bodies in Meta's format: for the local runner's examples, the benchmarks, the
//! load generator and tests. One text message per customer entry, grouped as Meta groups them.

use serde_json::{Value, json};

/// A customer text message to put in a webhook.
#[derive(Debug, Clone)]
pub struct SampleText<'a> {
    pub wa_id: &'a str,
    pub profile_name: &'a str,
    pub wamid: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    pub body: &'a str,
}

/// A delivery status to put in a webhook.
#[derive(Debug, Clone)]
pub struct SampleStatus<'a> {
    pub wamid: &'a str,
    pub status: &'a str,
    pub recipient: &'a str,
    pub timestamp: i64,
}

fn value(phone_number_id: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "4930123456789", "phone_number_id": phone_number_id },
    })
}

/// The notification around `values`, with keys in the order Meta writes them (`value` before
/// `field`; `metadata` before `contacts` and `messages`), not serde_json's alphabetical order.
fn wrap(values: Vec<Value>) -> String {
    #[derive(serde::Serialize)]
    struct Notification<'v> {
        object: &'static str,
        entry: [Entry<'v>; 1],
    }
    #[derive(serde::Serialize)]
    struct Entry<'v> {
        id: &'static str,
        changes: Vec<Change<'v>>,
    }
    #[derive(serde::Serialize)]
    struct Change<'v> {
        value: MetaOrder<'v>,
        field: &'static str,
    }
    let notification = Notification {
        object: "whatsapp_business_account",
        entry: [Entry {
            id: "102290129340398",
            changes: values
                .iter()
                .map(|v| Change {
                    value: MetaOrder(v),
                    field: "messages",
                })
                .collect(),
        }],
    };
    serde_json::to_string(&notification).expect("a sample serialises")
}

/// A change value's keys in Meta's order, then any others.
struct MetaOrder<'v>(&'v Value);

impl serde::Serialize for MetaOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        const ORDER: [&str; 5] = [
            "messaging_product",
            "metadata",
            "contacts",
            "messages",
            "statuses",
        ];
        let Some(object) = self.0.as_object() else {
            return self.0.serialize(s);
        };
        let mut map = s.serialize_map(Some(object.len()))?;
        for key in ORDER {
            if let Some(v) = object.get(key) {
                map.serialize_entry(key, v)?;
            }
        }
        for (key, v) in object.iter().filter(|(k, _)| !ORDER.contains(&k.as_str())) {
            map.serialize_entry(key, v)?;
        }
        map.end()
    }
}

/// One notification carrying `messages` to our number `phone_number_id`, in one change.
pub fn text_notification(phone_number_id: &str, messages: &[SampleText<'_>]) -> String {
    let mut v = value(phone_number_id);
    let mut contacts: Vec<Value> = Vec::new();
    for m in messages {
        if !contacts.iter().any(|c| c["wa_id"] == m.wa_id) {
            contacts.push(json!({ "profile": { "name": m.profile_name }, "wa_id": m.wa_id }));
        }
    }
    v["contacts"] = Value::Array(contacts);
    v["messages"] = messages
        .iter()
        .map(|m| {
            json!({
                "from": m.wa_id, "id": m.wamid, "timestamp": m.timestamp.to_string(),
                "type": "text", "text": { "body": m.body },
            })
        })
        .collect();
    wrap(vec![v])
}

/// One notification carrying a tap on a reply button (`button_reply`) with `id` and `title`.
pub fn button_reply_notification(
    phone_number_id: &str,
    message: &SampleText<'_>,
    id: &str,
) -> String {
    let mut v = value(phone_number_id);
    v["contacts"] =
        json!([{ "profile": { "name": message.profile_name }, "wa_id": message.wa_id }]);
    v["messages"] = json!([{
        "from": message.wa_id, "id": message.wamid, "timestamp": message.timestamp.to_string(),
        "type": "interactive",
        "interactive": { "type": "button_reply", "button_reply": { "id": id, "title": message.body } },
    }]);
    wrap(vec![v])
}

/// One notification carrying delivery statuses.
pub fn status_notification(phone_number_id: &str, statuses: &[SampleStatus<'_>]) -> String {
    let mut v = value(phone_number_id);
    v["statuses"] = statuses
        .iter()
        .map(|s| {
            json!({
                "id": s.wamid, "status": s.status, "timestamp": s.timestamp.to_string(),
                "recipient_id": s.recipient,
            })
        })
        .collect();
    wrap(vec![v])
}

/// A webhook with `n` text messages from `n` different customers (the batch benchmark shape).
pub fn many_customers(n: usize, start: i64) -> String {
    let ids: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("49151{:08}", i),
                format!("wamid.HBgLNDkxNTE{i:08}VAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="),
            )
        })
        .collect();
    let messages: Vec<SampleText<'_>> = ids
        .iter()
        .enumerate()
        .map(|(i, (wa_id, wamid))| SampleText {
            wa_id,
            profile_name: "Kundin Beispiel",
            wamid,
            timestamp: start + i as i64,
            body: "Hallo, wo ist mein Paket? Bestellnummer 100234, bestellt am Montag.",
        })
        .collect();
    text_notification("106540352242922", &messages)
}

/// A template's status change to put in a webhook (`message_template_status_update`).
#[derive(Debug, Clone)]
pub struct SampleTemplateStatus<'a> {
    /// The WhatsApp Business Account id (the entry's `id`).
    pub account: &'a str,
    /// Unix seconds: the entry's `time`.
    pub time: i64,
    pub template_id: u64,
    pub name: &'a str,
    pub language: &'a str,
    pub event: &'a str,
    pub reason: &'a str,
}

/// The notification Meta sends when a template's status changes, keys in Meta's order.
pub fn template_status_notification(s: &SampleTemplateStatus<'_>) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":{},"time":{},"changes":[{{"value":{{"event":{},"message_template_id":{},"message_template_name":{},"message_template_language":{},"reason":{}}},"field":"message_template_status_update"}}]}}]}}"#,
        json!(s.account),
        s.time,
        json!(s.event),
        s.template_id,
        json!(s.name),
        json!(s.language),
        json!(s.reason),
    )
}
