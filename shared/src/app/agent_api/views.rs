//! What agents see of a ticket: the summary in lists and after every action, and the detail
//! with messages, activity and the SLA timeline. Typed, so the JSON shape is written once.

use jiff::Timestamp;
use serde::Serialize;
use tracing::warn;

use super::router::ApiError;
use super::{AgentApi, mask_phone};
use crate::domain::bot::{HandoffReason, Priority};
use crate::domain::sla::clocks::Breach;
use crate::domain::ticket::{SlaState, Ticket, TicketStatus};
use crate::ports::media::MediaRecord;
use crate::ports::store::{Activity, Direction, MessageRecord};
use crate::ports::whatsapp::service_window_open;

/// A ticket in a list, and the answer to every action.
#[derive(Debug, Serialize)]
pub struct TicketSummary {
    pub id: String,
    pub status: TicketStatus,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub team: Option<String>,
    pub assignee: Option<String>,
    pub customer_name: Option<String>,
    /// The customer's number, masked (the detail shows it whole).
    pub customer: String,
    pub handoff_reason: Option<HandoffReason>,
    pub sla_state: SlaState,
    /// The earliest due time of a running clock.
    pub next_due_at: Option<Timestamp>,
    pub service_window_open: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_inbound_at: Timestamp,
    /// The customer's rating, 1-5.
    pub csat: Option<u8>,
    /// Agents' tags, sorted.
    pub tags: Vec<String>,
    pub version: u64,
}

/// `GET /tickets/{id}`: the summary with the whole number and the history.
#[derive(Debug, Serialize)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub summary: TicketSummary,
    /// When the customer's 24 h service window closes (free-form replies until then).
    pub window_closes_at: Option<Timestamp>,
    pub messages: Vec<MessageView>,
    pub activity: Vec<Activity>,
    pub sla: SlaView,
    /// The customer's tags (kept on the customer, shown on each of their tickets).
    pub customer_tags: Vec<String>,
}

/// One message on the ticket.
#[derive(Debug, Serialize)]
pub struct MessageView {
    pub wamid: String,
    pub direction: Direction,
    pub kind: String,
    pub text: Option<String>,
    pub media: Option<MediaView>,
    /// The agent who wrote it (`null`: the customer or the bot).
    pub sent_by: Option<String>,
    pub sent_at: Timestamp,
    /// What Meta last said of an outbound message (`sent`, `delivered`, `read`, `failed`).
    pub delivery: Option<&'static str>,
    /// The wamid of the earlier message this one quotes (a reply) or reacts to (a reaction).
    pub context_id: Option<String>,
    /// A reaction's emoji (`null` on a reaction: the customer took theirs back).
    pub emoji: Option<String>,
}

/// A message's media: a short-lived link, or why it was not kept.
#[derive(Debug, Serialize)]
pub struct MediaView {
    pub url: Option<String>,
    /// The name of a file an agent sent (customers' files are named in the message).
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub refused: Option<String>,
}

/// The ticket's SLA: its policy, each clock's timeline and the breaches.
#[derive(Debug, Serialize)]
pub struct SlaView {
    pub policy: Option<String>,
    pub clocks: Vec<SlaClockView>,
    pub breaches: Vec<Breach>,
}

/// One SLA clock, as far as the configuration can tell.
#[derive(Debug, Serialize)]
pub struct SlaClockView {
    pub target: &'static str,
    /// `running`, `at_risk`, `paused`, `met`, `met_late` or `breached`.
    pub state: &'static str,
    pub started_at: Timestamp,
    pub met_at: Option<Timestamp>,
    pub warning_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
}

impl AgentApi {
    pub(super) fn summary(&self, t: &Ticket, now: Timestamp) -> TicketSummary {
        TicketSummary {
            id: t.id.to_string(),
            status: t.status,
            priority: t.priority,
            category: t.category.clone(),
            team: t.team.clone(),
            assignee: t.assignee.clone(),
            customer_name: t.customer_name.clone(),
            customer: mask_phone(t.key.wa_id.as_str()),
            handoff_reason: t.handoff_reason,
            sla_state: t.sla_state(),
            next_due_at: self.next_due(t),
            service_window_open: service_window_open(t.last_inbound_at, now),
            created_at: t.created_at,
            updated_at: t.updated_at,
            last_inbound_at: t.last_inbound_at,
            csat: t.csat.map(|c| c.score),
            tags: t.tags.clone(),
            version: t.version,
        }
    }

    pub(super) async fn ticket_detail(&self, ticket: Ticket) -> Result<TicketDetail, ApiError> {
        self.desk.read_sla_versions([&ticket]).await;
        let store = self.desk.store();
        let mut messages = Vec::new();
        for m in store.messages(ticket.id).await? {
            messages.push(self.message_view(m).await);
        }
        let activity = store.activities(ticket.id).await?;
        let customer_tags = store
            .customer(&ticket.key.wa_id)
            .await?
            .map(|c| c.profile.tags)
            .unwrap_or_default();
        let mut summary = self.summary(&ticket, self.clock.now());
        summary.customer = ticket.key.wa_id.as_str().to_owned();
        let sla = SlaView {
            policy: ticket.sla.as_ref().map(|s| s.policy.clone()),
            clocks: self.sla_clocks(&ticket),
            breaches: ticket
                .sla
                .as_ref()
                .map(|s| s.breaches.clone())
                .unwrap_or_default(),
        };
        Ok(TicketDetail {
            summary,
            window_closes_at: ticket
                .last_inbound_at
                .saturating_add(jiff::SignedDuration::from_hours(24))
                .ok(),
            messages,
            activity,
            sla,
            customer_tags,
        })
    }

    pub(super) async fn message_view(&self, m: MessageRecord) -> MessageView {
        // A reaction names its message in its content (`reaction.message_id`), not in `context`.
        let reaction = (m.kind == "reaction")
            .then(|| serde_json::from_str::<serde_json::Value>(&m.content).ok())
            .flatten();
        let field = |name: &str| {
            reaction
                .as_ref()
                .and_then(|r| r[name].as_str())
                .map(str::to_owned)
        };
        let (reacted_to, emoji) = (field("message_id"), field("emoji"));
        MessageView {
            context_id: m.context_id.or(reacted_to),
            emoji,
            media: self.media_view(m.media.as_ref()).await,
            wamid: m.wamid.as_str().to_owned(),
            direction: m.direction,
            kind: m.kind,
            text: m.text,
            sent_by: m.sent_by,
            sent_at: m.sent_at,
            delivery: m.delivery.as_ref().map(|d| d.state.as_str()),
        }
    }

    /// What an agent sees of a message's media: a short-lived link, or why it was not kept.
    async fn media_view(&self, media: Option<&MediaRecord>) -> Option<MediaView> {
        let m = media?;
        let url = match (&self.media, &m.key) {
            (Some(store), Some(key)) => match store.link(key).await {
                Ok(url) => Some(url),
                Err(e) => {
                    warn!(error = %e, "no link for stored media");
                    None
                }
            },
            _ => None,
        };
        Some(MediaView {
            url,
            file_name: m
                .key
                .as_deref()
                .filter(|k| k.starts_with("outbound/"))
                .map(|k| crate::domain::attachment::file_name_of_key(k).to_owned()),
            mime_type: m.mime_type.clone(),
            size: m.size,
            refused: m.refused.clone(),
        })
    }

    /// The SLA timeline of each clock, as far as the configuration can tell.
    fn sla_clocks(&self, t: &Ticket) -> Vec<SlaClockView> {
        let Some(clocks) = &t.sla else {
            return Vec::new();
        };
        // The version the ticket's policy was chosen from, as its timers are planned.
        let config = self.desk.sla_of(clocks);
        let config = config.as_deref();
        let policy = config.and_then(|c| c.policies.iter().find(|p| p.name == clocks.policy));
        let pauses = clocks.pause_list();
        clocks
            .clocks
            .iter()
            .map(|(target, clock)| {
                let schedule = match (config, policy) {
                    (Some(c), Some(p)) => c
                        .schedule(p, *target, clock.started_at, &pauses)
                        .ok()
                        .flatten(),
                    _ => None,
                };
                let breached = clocks.breaches.iter().any(|b| b.target == *target);
                let state = match (clock.met_at, breached) {
                    (Some(_), false) => "met",
                    (Some(_), true) => "met_late",
                    (None, true) => "breached",
                    (None, false) if clocks.is_paused() => "paused",
                    (None, false) if clock.stage_done >= 1 => "at_risk",
                    (None, false) => "running",
                };
                SlaClockView {
                    target: target.as_str(),
                    state,
                    started_at: clock.started_at,
                    met_at: clock.met_at,
                    warning_at: schedule.as_ref().map(|s| s.warning_at),
                    due_at: schedule.as_ref().map(|s| s.due_at),
                }
            })
            .collect()
    }

    fn next_due(&self, t: &Ticket) -> Option<Timestamp> {
        self.sla_clocks(t)
            .iter()
            .filter(|c| matches!(c.state, "running" | "at_risk"))
            .filter_map(|c| c.due_at)
            .min()
    }
}
