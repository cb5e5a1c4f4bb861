//! `helpdesk-local dlq`: look at a dead-letter queue and move its messages back.
//!
//! `list` prints each message's id, receive count, group id (the customer's number masked) and
//! a safe summary of the body: the ticket id, wamid, timer or handoff fields; never message text
//! or phone numbers. Listing receives the messages and makes them visible again at once.
//!
//! `redrive` receives from the DLQ and sends each message to the queue with the same body,
//! FIFO group id and deduplication id; a message is deleted from the DLQ only after its send
//! succeeded, so a failure leaves it where it was. A message first sent less than five minutes
//! ago stays (SQS FIFO would drop the resend as a duplicate of the original within its
//! deduplication window) unless `--include-recent`. SQS settings come from the environment.

use std::collections::HashSet;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("{0}")]
    Usage(String),
    #[error("SQS {action} on {queue}: {detail}")]
    Sqs {
        action: &'static str,
        queue: String,
        detail: String,
    },
}

fn sqs_error<E: std::error::Error>(action: &'static str, queue: &str, e: E) -> DlqError {
    DlqError::Sqs {
        action,
        queue: queue.to_owned(),
        detail: aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
    }
}

/// One dead letter, safe to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub receive_count: u32,
    /// `phone_number_id#49*********78`.
    pub group_id: Option<String>,
    pub summary: String,
}

/// Body fields that name work, never a person or what they wrote.
const SAFE_FIELDS: &[&str] = &[
    "v",
    "ticket_id",
    "wamid",
    "inbound",
    "target",
    "generation",
    "stage",
    "due_at",
    "reason",
    "priority",
    "sent_at",
    "requested_at",
];

/// `ticket_id=… wamid=…` from a queue body; anything else is left out.
pub fn summarize(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => {
            let parts: Vec<String> = SAFE_FIELDS
                .iter()
                .filter_map(|k| {
                    let v = map.get(*k)?;
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some(format!("{k}={shown}"))
                })
                .collect();
            let hidden = map.len() - parts.len();
            let mut out = parts.join(" ");
            if hidden > 0 {
                out.push_str(&format!(" (+{hidden} fields not shown)"));
            }
            out.trim().to_owned()
        }
        Ok(_) => format!("(JSON but not an object, {} bytes)", body.len()),
        Err(_) => format!("(not JSON, {} bytes)", body.len()),
    }
}

/// `106540352242922#4915112345678` → `106540352242922#49*********78`.
pub fn mask_group(group: &str) -> String {
    match group.split_once('#') {
        Some((number, customer)) => format!("{number}#{}", mask(customer)),
        None if group.len() > 6 && group.bytes().all(|b| b.is_ascii_digit()) => mask(group),
        None => group.to_owned(),
    }
}

fn mask(digits: &str) -> String {
    let n = digits.len();
    digits
        .char_indices()
        .map(|(i, c)| if i < 2 || i + 2 >= n { c } else { '*' })
        .collect()
}

fn attribute(m: &Message, name: MessageSystemAttributeName) -> Option<String> {
    m.attributes().and_then(|a| a.get(&name)).cloned()
}

/// Receives every message once (up to `max`), without keeping them: listing hides nothing.
async fn receive_all(sqs: &Client, queue: &str, max: usize) -> Result<Vec<Message>, DlqError> {
    let mut out: Vec<Message> = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    while out.len() < max {
        let received = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10.min(i32::try_from(max - out.len()).unwrap_or(10)))
            .visibility_timeout(60)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sqs_error("ReceiveMessage", queue, e))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        let mut new = 0;
        for m in messages {
            if ids.insert(m.message_id().unwrap_or_default().to_owned()) {
                out.push(m);
                new += 1;
            }
        }
        if new == 0 {
            break;
        }
    }
    Ok(out)
}

/// Lists up to `max` dead letters and makes them visible again.
pub async fn list(sqs: &Client, queue: &str, max: usize) -> Result<Vec<DeadLetter>, DlqError> {
    let messages = receive_all(sqs, queue, max).await?;
    let letters = messages
        .iter()
        .map(|m| DeadLetter {
            message_id: m.message_id().unwrap_or_default().to_owned(),
            receive_count: attribute(m, MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            group_id: attribute(m, MessageSystemAttributeName::MessageGroupId)
                .map(|g| mask_group(&g)),
            summary: summarize(m.body().unwrap_or_default()),
        })
        .collect();
    for m in &messages {
        sqs.change_message_visibility()
            .queue_url(queue)
            .receipt_handle(m.receipt_handle().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| sqs_error("ChangeMessageVisibility", queue, e))?;
    }
    Ok(letters)
}

/// SQS FIFO drops a message whose deduplication id it saw in the last five minutes.
pub const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redriven {
    pub moved: usize,
    /// First sent less than five minutes ago: left in the DLQ, because the queue would take the
    /// resend for a duplicate of the original and silently drop it.
    pub too_recent: usize,
    /// Sent but not deleted from the DLQ (it will show again; the dedup id absorbs a resend
    /// within five minutes, and the handlers are idempotent).
    pub not_deleted: usize,
}

/// Moves up to `max` messages from `from` to `to`, keeping group and deduplication ids.
/// Stops at the first failed send and leaves that message (and the rest) in the DLQ. Messages
/// first sent within the deduplication window stay unless `include_recent` (the target queue
/// would drop them if it saw their deduplication id).
pub async fn redrive(
    sqs: &Client,
    from: &str,
    to: &str,
    max: usize,
    include_recent: bool,
) -> Result<Redriven, DlqError> {
    let mut done = Redriven::default();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let mut skipped: Vec<Message> = Vec::new();
    while done.moved < max {
        let messages = receive_all(sqs, from, max - done.moved).await?;
        if messages.is_empty() {
            break;
        }
        for m in &messages {
            let sent_ms = attribute(m, MessageSystemAttributeName::SentTimestamp)
                .and_then(|t| t.parse::<i64>().ok());
            let recent = sent_ms.is_some_and(|t| now_ms - t < DEDUP_WINDOW_MS);
            let deduplicated =
                attribute(m, MessageSystemAttributeName::MessageDeduplicationId).is_some();
            if recent && deduplicated && !include_recent {
                done.too_recent += 1;
                skipped.push(m.clone());
                continue;
            }
            let mut send = sqs
                .send_message()
                .queue_url(to)
                .message_body(m.body().unwrap_or_default());
            if let Some(group) = attribute(m, MessageSystemAttributeName::MessageGroupId) {
                send = send.message_group_id(group);
            }
            if let Some(dedup) = attribute(m, MessageSystemAttributeName::MessageDeduplicationId) {
                send = send.message_deduplication_id(dedup);
            }
            if let Err(e) = send.send().await {
                // Leave this one and every other received one visible in the DLQ again.
                let error = sqs_error("SendMessage", to, e);
                release(sqs, from, skipped.iter().chain(messages.iter())).await?;
                return Err(error);
            }
            match sqs
                .delete_message()
                .queue_url(from)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    done.not_deleted += 1;
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "redriven message not deleted from the DLQ");
                }
            }
            done.moved += 1;
        }
    }
    // Skipped ones become visible again at once.
    release(sqs, from, skipped.iter()).await?;
    Ok(done)
}

/// Makes received messages visible again at once. (A message deleted meanwhile is no error.)
async fn release<'a>(
    sqs: &Client,
    queue: &str,
    messages: impl Iterator<Item = &'a Message>,
) -> Result<(), DlqError> {
    for m in messages {
        if let Err(e) = sqs
            .change_message_visibility()
            .queue_url(queue)
            .receipt_handle(m.receipt_handle().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await
        {
            tracing::debug!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "not made visible again");
        }
    }
    Ok(())
}

/// `list --queue URL` or `redrive --from URL --to URL [--max N]` (the arguments after `dlq`).
pub async fn cli(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let usage = "usage: helpdesk-local dlq list --queue URL | dlq redrive --from DLQ_URL --to QUEUE_URL [--max N] [--include-recent]";
    let sqs = Client::new(&helpdesk::platform::wiring::sdk_config().await);
    match args.first().map(String::as_str) {
        Some("list") => {
            let queue = flag("--queue").ok_or(DlqError::Usage(usage.into()))?;
            let letters = list(&sqs, queue, 10_000).await?;
            println!("{} message(s) in {queue}", letters.len());
            for l in letters {
                println!(
                    "{}  receives={}  group={}  {}",
                    l.message_id,
                    l.receive_count,
                    l.group_id.as_deref().unwrap_or("-"),
                    l.summary
                );
            }
            Ok(())
        }
        Some("redrive") => {
            let (Some(from), Some(to)) = (flag("--from"), flag("--to")) else {
                return Err(DlqError::Usage(usage.into()).into());
            };
            let max = match flag("--max") {
                Some(raw) => raw
                    .parse::<usize>()
                    .map_err(|_| DlqError::Usage(format!("--max {raw:?}: not a number")))?,
                None => usize::MAX,
            };
            let include_recent = args.iter().any(|a| a == "--include-recent");
            let done = redrive(&sqs, from, to, max, include_recent).await?;
            println!(
                "moved {} message(s) from {from} to {to}{}",
                done.moved,
                if done.not_deleted > 0 {
                    format!(" ({} sent but still in the DLQ)", done.not_deleted)
                } else {
                    String::new()
                }
            );
            if done.too_recent > 0 {
                println!(
                    "left {} message(s) first sent less than 5 minutes ago: the queue would drop them as duplicates; run again later, or pass --include-recent for a queue that never saw them",
                    done.too_recent
                );
            }
            Ok(())
        }
        _ => Err(DlqError::Usage(usage.into()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_work_never_the_customer() {
        let inbound = r#"{"v":1,"ticket_id":"01KAX","wamid":"wamid.abc","key":{"phone_number_id":"1065","wa_id":"4915112345678"},"sent_at":"2026-11-25T10:00:00Z","opened_ticket":true}"#;
        let s = summarize(inbound);
        assert!(
            s.contains("ticket_id=01KAX") && s.contains("wamid=wamid.abc"),
            "{s}"
        );
        assert!(!s.contains("4915112345678"), "{s}");
        assert!(s.contains("fields not shown"), "{s}");
        let text = r#"{"text":"my address is Hauptstr. 1","from":"4915112345678"}"#;
        let s = summarize(text);
        assert!(!s.contains("Hauptstr") && !s.contains("49151"), "{s}");
        assert_eq!(summarize("hello 4915112345678"), "(not JSON, 19 bytes)");
    }

    #[test]
    fn group_ids_show_the_business_number_and_a_masked_customer() {
        assert_eq!(
            mask_group("106540352242922#4915112345678"),
            "106540352242922#49*********78"
        );
        assert_eq!(mask_group("4915112345678"), "49*********78");
        assert_eq!(mask_group("sla"), "sla");
    }
}
