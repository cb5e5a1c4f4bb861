//! What the helpdesk did with the load: the run's tickets, messages and replies read back once
//! it has settled, and checked against what was sent.

use super::plan::customer_wa_id;
use super::*;

/// Waits for the helpdesk to finish (every stored message handled, the replies settled, or
/// `drain_secs` passed) and returns the store and the replies the simulator got.
pub(super) async fn drain(
    http: &reqwest::Client,
    options: &Options,
    prefix: &str,
) -> Result<(StoreView, Vec<(String, String)>), LoadError> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(options.drain_secs));
    loop {
        let state = read_store(http, options, prefix).await?;
        let replies = read_replies(http, &options.target, prefix).await?;
        let handled = state
            .messages
            .iter()
            .filter(|m| m.inbound)
            .all(|m| m.handled_at.is_some());
        let outbound = state.messages.iter().filter(|m| !m.inbound).count();
        // Replies settle when what the simulator got matches what the store recorded.
        if (handled && outbound == replies.len()) || Instant::now() >= deadline {
            // One more look a moment later, so a late double send is seen too.
            tokio::time::sleep(Duration::from_secs(2)).await;
            return Ok((
                read_store(http, options, prefix).await?,
                read_replies(http, &options.target, prefix).await?,
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// A stored message, as much as the checks need.
#[derive(Debug, Clone)]
struct StoredMessage {
    ticket: String,
    wamid: String,
    inbound: bool,
    handled_at: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct StoreView {
    /// (ticket id, customer wa_id).
    tickets: Vec<(String, String)>,
    messages: Vec<StoredMessage>,
}

/// The run's customers' tickets and messages.
async fn read_store(
    http: &reqwest::Client,
    options: &Options,
    prefix: &str,
) -> Result<StoreView, LoadError> {
    if options.aws {
        return read_dynamodb(prefix).await;
    }
    let state: Value = http
        .get(format!("{}/dev/state", options.target))
        .send()
        .await
        .map_err(|e| LoadError::Store(e.to_string()))?
        .json()
        .await
        .map_err(|e| LoadError::Store(format!("/dev/state: {e} (in --aws mode pass --aws)")))?;
    let mut view = StoreView::default();
    for t in state["tickets"].as_array().into_iter().flatten() {
        let wa_id = t["ticket"]["key"]["wa_id"].as_str().unwrap_or_default();
        if !wa_id.starts_with(prefix) {
            continue;
        }
        let id = t["ticket"]["id"].as_str().unwrap_or_default().to_owned();
        view.tickets.push((id.clone(), wa_id.to_owned()));
        for m in t["messages"].as_array().into_iter().flatten() {
            view.messages.push(StoredMessage {
                ticket: id.clone(),
                wamid: m["wamid"].as_str().unwrap_or_default().to_owned(),
                inbound: m["direction"] == "inbound",
                handled_at: m["handled_at"].as_str().map(str::to_owned),
            });
        }
    }
    Ok(view)
}

/// The same from the DynamoDB table `HELPDESK_TABLE` (SDK settings from the environment).
async fn read_dynamodb(prefix: &str) -> Result<StoreView, LoadError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let table = std::env::var("HELPDESK_TABLE")
        .map_err(|_| LoadError::Store("HELPDESK_TABLE is not set (needed with --aws)".into()))?;
    let client = aws_sdk_dynamodb::Client::new(&helpdesk::platform::wiring::sdk_config().await);
    let mut pages = client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    let mut tickets: Vec<(String, String)> = Vec::new();
    let mut messages: Vec<StoredMessage> = Vec::new();
    let s = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    while let Some(item) = pages.next().await {
        let item = item.map_err(|e| {
            LoadError::Store(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
        })?;
        match item
            .get("entity")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
        {
            Some("ticket") => tickets.push((s(&item, "ticket_id"), s(&item, "wa_id"))),
            Some("message") => messages.push(StoredMessage {
                ticket: s(&item, "ticket_id"),
                wamid: s(&item, "wamid"),
                inbound: s(&item, "direction") == "inbound",
                handled_at: item
                    .get("bot_handled_at")
                    .and_then(|v| v.as_s().ok())
                    .cloned(),
            }),
            _ => {}
        }
    }
    tickets.retain(|(_, wa_id)| wa_id.starts_with(prefix));
    let ours: HashSet<&str> = tickets.iter().map(|(id, _)| id.as_str()).collect();
    messages.retain(|m| ours.contains(m.ticket.as_str()));
    Ok(StoreView { tickets, messages })
}

/// Wamids the simulated Cloud API accepted for the run's customers (`to`, `wamid`).
async fn read_replies(
    http: &reqwest::Client,
    target: &str,
    prefix: &str,
) -> Result<Vec<(String, String)>, LoadError> {
    let sent: Value = http
        .get(format!("{target}/dev/whatsapp"))
        .send()
        .await
        .map_err(|e| LoadError::Store(e.to_string()))?
        .json()
        .await
        .map_err(|e| LoadError::Store(format!("/dev/whatsapp: {e}")))?;
    Ok(sent
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let to = m["to"].as_str()?;
            to.starts_with(prefix).then(|| {
                (
                    to.to_owned(),
                    m["wamid"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect())
}

pub(super) fn check(
    report: &mut Report,
    run: &str,
    acked: &HashSet<String>,
    timeline: &Timeline,
    state: &StoreView,
    replies: &[(String, String)],
) {
    let inbound = check_messages(report, acked, state);
    check_tickets(report, state);
    check_replies(report, state, replies);
    check_order(report, run, timeline, &inbound);
}

/// Messages: each acknowledged wamid stored, and stored once. Returns the stored customer
/// messages by wamid.
fn check_messages<'s>(
    report: &mut Report,
    acked: &HashSet<String>,
    state: &'s StoreView,
) -> HashMap<&'s str, Vec<&'s StoredMessage>> {
    let mut inbound: HashMap<&str, Vec<&StoredMessage>> = HashMap::new();
    for m in state.messages.iter().filter(|m| m.inbound) {
        inbound.entry(m.wamid.as_str()).or_default().push(m);
    }
    report.stored = inbound.len();
    let mut lost: Vec<String> = acked
        .iter()
        .filter(|w| !inbound.contains_key(w.as_str()))
        .cloned()
        .collect();
    lost.sort();
    report.lost = lost;
    report.stored_twice = inbound
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(w, _)| (*w).to_owned())
        .collect();
    report.unhandled = inbound
        .iter()
        .filter(|(_, v)| v.iter().any(|m| m.handled_at.is_none()))
        .map(|(w, _)| (*w).to_owned())
        .collect();
    inbound
}

/// Tickets: every message of a run falls in one conversation window.
fn check_tickets(report: &mut Report, state: &StoreView) {
    let mut per_customer: HashMap<&str, usize> = HashMap::new();
    for (_, wa_id) in &state.tickets {
        *per_customer.entry(wa_id.as_str()).or_default() += 1;
    }
    report.extra_tickets = per_customer
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(w, n)| format!("{w} ({n})"))
        .collect();
}

/// Replies: what the Cloud API accepted is exactly what was recorded on the tickets.
fn check_replies(report: &mut Report, state: &StoreView, replies: &[(String, String)]) {
    let recorded: HashSet<&str> = state
        .messages
        .iter()
        .filter(|m| !m.inbound)
        .map(|m| m.wamid.as_str())
        .collect();
    let accepted: HashSet<&str> = replies.iter().map(|(_, w)| w.as_str()).collect();
    report.replies = accepted.len();
    report.replies_unrecorded = accepted.difference(&recorded).count();
    report.replies_not_sent = recorded.difference(&accepted).count();
}

/// Order: a message acknowledged before another of the same customer was sent is handled by
/// the bot before it.
fn check_order(
    report: &mut Report,
    run: &str,
    timeline: &Timeline,
    inbound: &HashMap<&str, Vec<&StoredMessage>>,
) {
    let handled: HashMap<&str, Timestamp> = inbound
        .iter()
        .filter_map(|(w, v)| {
            let at = v.first()?.handled_at.as_deref()?;
            Some((*w, parse_time(at)?))
        })
        .collect();
    for (customer, sends) in timeline {
        for (a, _, a_acked) in sends {
            let (Some(a_acked), Some(a_at)) = (a_acked, handled.get(a.as_str())) else {
                continue;
            };
            for (b, b_due, _) in sends {
                if b_due <= a_acked {
                    continue;
                }
                if let Some(b_at) = handled.get(b.as_str())
                    && b_at < a_at
                {
                    report.order_violations.push(format!(
                        "{}: {b} before {a}",
                        customer_wa_id(run, *customer)
                    ));
                }
            }
        }
    }
}

/// RFC 3339 (memory) or the table's sortable form (DynamoDB); both parse as instants.
fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}
