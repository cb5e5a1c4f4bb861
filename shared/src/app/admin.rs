//! The admin area's use cases over the versioned configuration documents (`ports::config_docs`):
//! who may change which kind, a draft from TOML or from the JSON a form sends, publish,
//! rollback, the bot tryout on a draft (the real engine, as `helpdesk-local bot`) and the SLA
//! preview (as `helpdesk-local sla`). The HTTP side is `agent_api::config`.
//!
//! Roles: admins change every kind; supervisors change `sla`, `routing`, `canned_responses` and,
//! of `bot`, only the FAQ part (see [`faq_only_change`]); of `sla`, `routing` and
//! `canned_responses` only their own teams' parts (see [`scope`]); agents read. The FAQ rules
//! and the FAQ edits are in `faq`, the forms' JSON read from and onto TOML in `form`.

mod faq;
mod form;
pub mod scope;

pub use faq::{add_example, add_faq, faq_only_change};
pub use form::{json_onto_toml, json_to_toml, toml_to_json};

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::app::bot_reply::Bot;
use crate::domain::agent::Role;
use crate::domain::bot::{BotConfig, BotState, Inbound, Priority};
use crate::domain::config_doc::{ConfigKind, ConfigVersion, LineDiff};
use crate::domain::sla::{SlaConfig, Target, TicketFacts};
use crate::platform::config::ConfigFileError;
use crate::ports::clock::Clock;
use crate::ports::config_docs::{CheckedBody, ConfigDocs, ConfigDocsError, NewVersion};
use crate::ports::orders::OrderLookup;

/// Why an admin request was refused (besides the port's own errors).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Forbidden(String),
    /// A request field is missing or malformed (not the document: that is `Docs(Invalid)`).
    #[error("{field}: {problem}")]
    BadRequest { field: String, problem: String },
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Docs(#[from] ConfigDocsError),
}

impl AdminError {
    pub fn bad(field: &str, problem: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.to_owned(),
            problem: problem.into(),
        }
    }
}

/// Who changes a document: their role, agent id and (for supervisors) teams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    pub role: Role,
    pub agent: String,
    /// The teams a supervisor's parts belong to (their agent profile's).
    pub teams: Vec<String>,
}

impl Editor {
    /// Whether `who` may change `kind` from `old` to `new` beyond the kind itself: a
    /// supervisor's bot change only the FAQ part, their other changes only their teams' parts.
    fn may_change_text(&self, kind: ConfigKind, old: &str, new: &str) -> Result<(), AdminError> {
        if self.role != Role::Supervisor {
            return Ok(());
        }
        if kind == ConfigKind::Bot {
            faq_only_change(old, new).map_err(AdminError::Forbidden)?;
        }
        scope::team_scope_change(kind, old, new, &self.agent, &self.teams)
            .map_err(AdminError::Forbidden)
    }
}

/// What the caller may do with `kind`: read (everyone), or change it.
pub fn may_change(role: Role, kind: ConfigKind) -> bool {
    match role {
        Role::Admin => true,
        Role::Supervisor => matches!(
            kind,
            ConfigKind::Sla | ConfigKind::Routing | ConfigKind::CannedResponses | ConfigKind::Bot
        ),
        Role::Agent => false,
    }
}

/// The field a validation error names and the line it is on (TOML syntax errors carry the line
/// in their message: `line 12: expected ...`).
pub fn invalid_parts(e: &ConfigFileError) -> (String, Option<usize>, String) {
    match e {
        ConfigFileError::Invalid {
            field,
            line,
            problem,
            ..
        } => (field.clone(), *line, problem.clone()),
        ConfigFileError::Syntax { message, .. } => {
            let parsed = message.strip_prefix("line ").and_then(|rest| {
                let (n, problem) = rest.split_once(": ")?;
                Some((n.parse::<usize>().ok()?, problem.to_owned()))
            });
            match parsed {
                Some((line, problem)) => ("toml".to_owned(), Some(line), problem),
                None => ("toml".to_owned(), None, message.clone()),
            }
        }
    }
}

/// One bot tryout turn: what the customer would see.
pub async fn try_bot(
    config: BotConfig,
    orders: Arc<dyn OrderLookup>,
    text: &str,
    state: BotState,
    now: Timestamp,
) -> Value {
    let bot = Bot::new(Arc::new(config), orders);
    let (reply_id, text) = match text.strip_prefix('#') {
        Some(id) => (Some(id), id),
        None => (None, text),
    };
    let input = Inbound {
        text: Some(text),
        reply_id,
        customer_name: Some("Test"),
        ..Default::default()
    };
    // The demo shop's customer, so order lookups show the demo orders.
    let customer = crate::domain::ids::WaId::parse(crate::ports::orders::DEMO_CUSTOMER)
        .expect("the demo customer is a valid number");
    let turn = bot.answer(&state, &input, &customer, now).await;
    json!({
        "replies": turn.replies,
        "intent": turn.intent.as_ref().map(|m| m.intent.as_str()),
        "confidence": turn.intent.as_ref().map(|m| (m.score * 1000.0).round() / 1000.0),
        "handoff": turn.handoff,
        "resolved": turn.resolved,
        "state": turn.state,
    })
}

/// The deadlines a sample ticket would get under `sla`.
pub fn sla_preview(
    sla: &SlaConfig,
    priority: Option<Priority>,
    category: Option<&str>,
    opened_at: Timestamp,
) -> Result<Value, AdminError> {
    let facts = TicketFacts {
        channel: "whatsapp",
        priority,
        category,
        text: None,
        tier: None,
    };
    let policy = sla.select(&facts);
    let calendar = sla.calendar(policy);
    let mut deadlines = Vec::new();
    for target in Target::ALL {
        let schedule = sla
            .schedule(policy, target, opened_at, &[])
            .map_err(|e| AdminError::bad("opened_at", e.to_string()))?;
        if let Some(s) = schedule {
            deadlines.push(json!({
                "target": target.as_str(),
                "warning": s.warning_at.to_string(),
                "due": s.due_at.to_string(),
                "levels": s.levels.iter().map(|(n, at, actions)| json!({"level": n, "at": at.to_string(), "actions": actions})).collect::<Vec<_>>(),
            }));
        }
    }
    Ok(json!({
        "policy": policy.name,
        "calendar": calendar.name,
        "time_zone": calendar.time_zone.iana_name().unwrap_or("UTC"),
        "deadlines": deadlines,
    }))
}

/// The configuration documents as the admin area changes them.
pub struct ConfigAdmin {
    docs: Arc<dyn ConfigDocs>,
    clock: Arc<dyn Clock>,
}

impl ConfigAdmin {
    pub fn new(docs: Arc<dyn ConfigDocs>, clock: Arc<dyn Clock>) -> Self {
        Self { docs, clock }
    }

    pub fn docs(&self) -> &Arc<dyn ConfigDocs> {
        &self.docs
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn require_change(&self, role: Role, kind: ConfigKind) -> Result<(), AdminError> {
        if may_change(role, kind) {
            Ok(())
        } else {
            Err(AdminError::Forbidden(match role {
                Role::Agent => {
                    "agents read the configuration; supervisors and admins change it".to_owned()
                }
                _ => format!("only admins change {kind}"),
            }))
        }
    }

    /// One version, or 404.
    pub async fn version(&self, kind: ConfigKind, v: u32) -> Result<ConfigVersion, AdminError> {
        self.docs
            .version(kind, v)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("{kind} v{v} does not exist")))
    }

    /// Saves `body` as a new draft based on `base_version`, after the kind's validator and the
    /// caller's rights (a supervisor's draft may change only the parts they may, compared with
    /// the version it is based on: of the bot the FAQ part, else their teams' parts).
    pub async fn save_draft(
        &self,
        who: &Editor,
        kind: ConfigKind,
        base_version: u32,
        body: &str,
        note: &str,
    ) -> Result<ConfigVersion, AdminError> {
        self.require_change(who.role, kind)?;
        let checked = CheckedBody::check(kind, body, &kind.origin(base_version + 1))
            .map_err(ConfigDocsError::from)?;
        if who.role == Role::Supervisor {
            let base = self
                .version(kind, base_version)
                .await
                .map_err(|e| match e {
                    AdminError::NotFound(m) => AdminError::bad("base_version", m),
                    other => other,
                })?;
            who.may_change_text(kind, &base.body, body)?;
        }
        let new = NewVersion::new(checked, base_version, &who.agent, note, self.clock.now())?;
        Ok(self.docs.save(&new).await?)
    }

    /// Publishes `version` if the published version is still `expected_published` (what the
    /// caller saw; when not given, the live one now: then only a version older than the live one
    /// is refused). A supervisor may publish only kinds they may change, and only a version that
    /// differs from the live one in parts they may change.
    pub async fn publish(
        &self,
        who: &Editor,
        kind: ConfigKind,
        version: u32,
        expected_published: Option<u32>,
    ) -> Result<u32, AdminError> {
        self.require_change(who.role, kind)?;
        let head = self
            .docs
            .head(kind)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("{kind} has no document yet")))?;
        self.may_replace_live(who, kind, head.published, version)
            .await?;
        let head = self
            .docs
            .publish(
                kind,
                version,
                expected_published.or(head.published),
                &who.agent,
                self.clock.now(),
            )
            .await?;
        Ok(head.published.unwrap_or(version))
    }

    /// Whether `who` may make `version` the live one instead of `live`.
    async fn may_replace_live(
        &self,
        who: &Editor,
        kind: ConfigKind,
        live: Option<u32>,
        version: u32,
    ) -> Result<(), AdminError> {
        if who.role != Role::Supervisor {
            return Ok(());
        }
        let target = self.version(kind, version).await?;
        if let Some(live) = live {
            let live = self.version(kind, live).await?;
            who.may_change_text(kind, &live.body, &target.body)?;
        }
        Ok(())
    }

    /// Copies `version` as a new version and publishes it.
    pub async fn rollback(
        &self,
        who: &Editor,
        kind: ConfigKind,
        version: u32,
    ) -> Result<ConfigVersion, AdminError> {
        self.require_change(who.role, kind)?;
        let head = self
            .docs
            .head(kind)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("{kind} has no document yet")))?;
        self.may_replace_live(who, kind, head.published, version)
            .await?;
        let note = format!("rollback to v{version}");
        Ok(self
            .docs
            .rollback(
                kind,
                version,
                head.latest,
                &who.agent,
                &note,
                self.clock.now(),
            )
            .await?)
    }

    /// The text changes from version `from` to `to`.
    pub async fn diff(&self, kind: ConfigKind, from: u32, to: u32) -> Result<LineDiff, AdminError> {
        let (a, b) = (
            self.version(kind, from).await?,
            self.version(kind, to).await?,
        );
        Ok(LineDiff::between(from, &a.body, to, &b.body))
    }

    /// The version a tryout or preview runs: the one asked for, else the draft, else the live one.
    pub async fn pick(
        &self,
        kind: ConfigKind,
        version: Option<u32>,
    ) -> Result<ConfigVersion, AdminError> {
        if let Some(v) = version {
            return self.version(kind, v).await;
        }
        let head = self
            .docs
            .head(kind)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("{kind} has no document yet")))?;
        self.version(kind, head.latest).await
    }
}

#[cfg(test)]
mod tests;
