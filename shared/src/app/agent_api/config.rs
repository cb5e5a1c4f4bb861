//! The admin area's routes: configuration documents (`/config/...`), the bot tryout, the SLA
//! preview and the configuration audit. The use cases are `app::admin`.
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/config/{kind}` | everyone |
//! | GET | `/config/{kind}/versions`, `/versions/{v}`, `/diff?from=&to=`, `/export` | everyone |
//! | PUT | `/config/{kind}/draft` `{base_version, toml | json, note?}` | see `admin::may_change` |
//! | POST | `/config/{kind}/publish` `{version, published_version?}` | |
//! | POST | `/config/{kind}/rollback` `{version}` | |
//! | POST | `/config/bot/try` `{version?, text, state?}` | supervisors |
//! | POST | `/config/sla/preview` `{version?, priority?, category?, opened_at}` | supervisors |
//! | GET | `/config/audit?from=&to=` | admins |
//!
//! Errors besides the common ones: 409 `{error:"conflict", current_version, diff}` (a stale
//! base), 422 `{error:"invalid", field, line?, problem}` (the document does not validate).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{error, warn};

use super::{AgentApi, ApiError, ApiResponse, Caller, Query, Role, parse_body};
use crate::app::admin::{self, AdminError, ConfigAdmin};
use crate::domain::bot::{BotConfig, BotState, Priority};
use crate::domain::config_doc::{ConfigKind, ConfigVersion, DiffLine, LineDiff, VersionSummary};
use crate::domain::sla::SlaConfig;
use crate::ports::config_docs::ConfigDocsError;
use crate::ports::orders::{MemoryOrders, OrderLookup};

/// Versions one history request lists.
const MAX_HISTORY: usize = 200;
/// Days one configuration audit request may read.
const MAX_AUDIT_DAYS: usize = 31;

/// The admin area's part of the agent API.
pub struct ConfigApi {
    pub admin: Arc<ConfigAdmin>,
    /// What the bot tryout looks orders up in (the demo orders unless told otherwise, as
    /// `helpdesk-local bot`: a tryout never reads real customers' orders).
    pub orders: Arc<dyn OrderLookup>,
}

impl ConfigApi {
    pub fn new(admin: Arc<ConfigAdmin>) -> Self {
        Self {
            admin,
            orders: Arc::new(MemoryOrders::demo()),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Forbidden(m) => ApiError::forbidden(m),
            AdminError::BadRequest { field, problem } => ApiError::field(&field, problem),
            AdminError::NotFound(m) => ApiError::not_found(m),
            AdminError::Docs(d) => d.into(),
        }
    }
}

fn diff_json(diff: &LineDiff) -> Value {
    Value::Array(
        diff.lines
            .iter()
            .map(|l| match l {
                DiffLine::Same { text, .. } => json!({"op": "same", "line": text}),
                DiffLine::Removed { text, .. } => json!({"op": "remove", "line": text}),
                DiffLine::Added { text, .. } => json!({"op": "add", "line": text}),
            })
            .collect(),
    )
}

impl From<ConfigDocsError> for ApiError {
    fn from(e: ConfigDocsError) -> Self {
        match e {
            ConfigDocsError::Invalid(ref invalid) => {
                let (field, line, problem) = admin::invalid_parts(invalid);
                let mut err = ApiError::new(422, "invalid", e.to_string());
                err.fields.insert(field.clone(), problem.clone());
                err.extra = Some((
                    "",
                    json!({"field": field, "line": line, "problem": problem}),
                ));
                err
            }
            ConfigDocsError::Conflict(ref c) => {
                let mut err = ApiError::new(409, "conflict", e.to_string());
                err.extra = Some((
                    "",
                    json!({
                        "current_version": c.current.latest,
                        "published_version": c.current.published,
                        "since": c.since,
                        "diff": c.diff.as_ref().map(diff_json).unwrap_or(json!([])),
                    }),
                ));
                err
            }
            ConfigDocsError::NotFound { .. } => ApiError::not_found(e.to_string()),
            ConfigDocsError::Older { published, .. } => {
                let mut err = ApiError::new(409, "conflict", e.to_string());
                err.extra = Some((
                    "",
                    json!({"current_version": published, "published_version": published, "diff": []}),
                ));
                err
            }
            ConfigDocsError::Store(s) => s.into(),
        }
    }
}

/// A version as the API shows it: the text and the same parsed to JSON for forms.
fn version_json(v: &ConfigVersion) -> Value {
    json!({
        "version": v.version,
        "based_on": v.based_on,
        "author": v.author,
        "at": v.at.to_string(),
        "note": v.note,
        "origin": v.origin,
        "toml": v.body,
        "json": admin::toml_to_json(&v.body),
    })
}

fn kind_of(raw: &str) -> Result<ConfigKind, ApiError> {
    ConfigKind::parse(raw).ok_or_else(|| {
        ApiError::not_found(format!(
            "no configuration kind '{raw}' (bot, sla, routing, templates, canned_responses)"
        ))
    })
}

fn version_of(field: &str, raw: &str) -> Result<u32, ApiError> {
    raw.parse::<u32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::field(field, format!("'{raw}' is not a version number")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftBody {
    base_version: u32,
    toml: Option<String>,
    json: Option<Value>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    version: u32,
    /// The live version the caller saw; when given, a publish meanwhile is a conflict.
    published_version: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    version: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TryBody {
    version: Option<u32>,
    text: String,
    #[serde(default)]
    state: Option<BotState>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    version: Option<u32>,
    priority: Option<String>,
    category: Option<String>,
    opened_at: String,
}

/// The longest tryout message (a WhatsApp text is at most 4096 characters).
const MAX_TRY_CHARS: usize = 4096;

impl AgentApi {
    fn config_api(&self) -> Result<&ConfigApi, ApiError> {
        self.config.as_deref().ok_or_else(|| {
            ApiError::new(
                404,
                "not_available",
                "configuration documents are not set up in this deployment",
            )
        })
    }

    /// The admin routes; `None`: not one of them.
    pub(super) async fn config_route(
        &self,
        caller: &Caller,
        method: &str,
        segments: &[&str],
        query: &Query,
        body: &[u8],
    ) -> Option<Result<ApiResponse, ApiError>> {
        let ["config", rest @ ..] = segments else {
            return None;
        };
        Some(
            self.config_dispatch(caller, method, rest, query, body)
                .await,
        )
    }

    async fn config_dispatch(
        &self,
        caller: &Caller,
        method: &str,
        rest: &[&str],
        q: &Query,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        let api = self.config_api()?;
        let admin = &api.admin;
        match (method, rest) {
            ("GET", ["audit"]) => self.config_audit(caller, q).await,
            ("POST", ["bot", "try"]) => self.try_bot(caller, api, body).await,
            ("POST", ["sla", "preview"]) => self.sla_preview(caller, admin, body).await,
            ("GET", [kind]) => {
                let kind = kind_of(kind)?;
                let docs = admin.docs();
                let published = docs.published(kind).await.map_err(ApiError::from)?;
                let draft = docs.draft(kind).await.map_err(ApiError::from)?;
                if published.is_none() && draft.is_none() {
                    return Err(ApiError::not_found(format!("{kind} has no document yet")));
                }
                Ok(ApiResponse::ok(json!({
                    "kind": kind,
                    "published": published.as_ref().map(version_json),
                    "draft": draft.as_ref().map(version_json),
                    "may_change": admin::may_change(caller.role, kind),
                })))
            }
            ("GET", [kind, "versions"]) => {
                let kind = kind_of(kind)?;
                let docs = admin.docs();
                let Some(head) = docs.head(kind).await.map_err(ApiError::from)? else {
                    return Ok(ApiResponse::ok(json!({ "versions": [] })));
                };
                let versions: Vec<Value> = docs
                    .history(kind, MAX_HISTORY)
                    .await
                    .map_err(ApiError::from)?
                    .iter()
                    .map(|v| {
                        let s = VersionSummary::of(v, &head);
                        json!({
                            "version": s.version,
                            "state": s.state,
                            "author": s.author,
                            "at": s.at.to_string(),
                            "note": s.note,
                            "based_on": s.based_on,
                            "origin": s.origin,
                        })
                    })
                    .collect();
                Ok(ApiResponse::ok(json!({
                    "versions": versions,
                    "published_version": head.published,
                    "latest_version": head.latest,
                })))
            }
            ("GET", [kind, "versions", v]) => {
                let kind = kind_of(kind)?;
                let v = version_of("version", v)?;
                Ok(ApiResponse::ok(version_json(
                    &admin.version(kind, v).await?,
                )))
            }
            ("GET", [kind, "diff"]) => {
                let kind = kind_of(kind)?;
                q.only(&["from", "to"])?;
                let from = version_of(
                    "from",
                    q.get("from")
                        .ok_or_else(|| ApiError::field("from", "is required"))?,
                )?;
                let to = version_of(
                    "to",
                    q.get("to")
                        .ok_or_else(|| ApiError::field("to", "is required"))?,
                )?;
                let diff = admin.diff(kind, from, to).await?;
                let (added, removed) = diff.counts();
                Ok(ApiResponse::ok(json!({
                    "from": from,
                    "to": to,
                    "added": added,
                    "removed": removed,
                    "diff": diff_json(&diff),
                    "unified": diff.to_string(),
                })))
            }
            ("GET", [kind, "export"]) => {
                let kind = kind_of(kind)?;
                let v = match q.get("version") {
                    Some(v) => admin.version(kind, version_of("version", v)?).await?,
                    None => admin
                        .docs()
                        .published(kind)
                        .await
                        .map_err(ApiError::from)?
                        .ok_or_else(|| {
                            ApiError::not_found(format!("{kind} has no published version"))
                        })?,
                };
                Ok(ApiResponse::text(v.body))
            }
            ("PUT", [kind, "draft"]) => {
                let kind = kind_of(kind)?;
                let b: DraftBody = parse_body(body)?;
                let text = match (b.toml, b.json) {
                    (Some(t), None) => t,
                    (None, Some(j)) => admin::json_to_toml(&j)?,
                    _ => return Err(ApiError::field("toml", "send either toml or json")),
                };
                let saved = admin
                    .save_draft(
                        caller.role,
                        &caller.agent,
                        kind,
                        b.base_version,
                        &text,
                        &b.note,
                    )
                    .await?;
                Ok(ApiResponse::ok(json!({
                    "version": saved.version,
                    "state": "draft",
                })))
            }
            ("POST", [kind, "publish"]) => {
                let kind = kind_of(kind)?;
                let b: PublishBody = parse_body(body)?;
                let published = admin
                    .publish(
                        caller.role,
                        &caller.agent,
                        kind,
                        b.version,
                        b.published_version,
                    )
                    .await?;
                Ok(ApiResponse::ok(json!({ "published_version": published })))
            }
            ("POST", [kind, "rollback"]) => {
                let kind = kind_of(kind)?;
                let b: RollbackBody = parse_body(body)?;
                let v = admin
                    .rollback(caller.role, &caller.agent, kind, b.version)
                    .await?;
                Ok(ApiResponse::ok(json!({
                    "version": v.version,
                    "published_version": v.version,
                })))
            }
            (_, [kind, ..]) if ConfigKind::parse(kind).is_some() || *kind == "audit" => {
                Err(ApiError::new(
                    405,
                    "method_not_allowed",
                    format!("{method} is not supported here"),
                ))
            }
            _ => Err(ApiError::not_found("no such configuration route")),
        }
    }

    async fn try_bot(
        &self,
        caller: &Caller,
        api: &ConfigApi,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        if !caller.role.sees_everything() {
            return Err(ApiError::forbidden("supervisors and admins try the bot"));
        }
        let b: TryBody = parse_body(body)?;
        let text = b.text.trim();
        if text.is_empty() || text.chars().count() > MAX_TRY_CHARS {
            return Err(ApiError::field(
                "text",
                format!("needs 1-{MAX_TRY_CHARS} characters"),
            ));
        }
        let v = api.admin.pick(ConfigKind::Bot, b.version).await?;
        let config = BotConfig::parse(&v.body, &ConfigKind::Bot.origin(v.version))
            .map_err(|e| ApiError::from(ConfigDocsError::Invalid(e)))?;
        let mut reply = admin::try_bot(
            config,
            api.orders.clone(),
            text,
            b.state.unwrap_or_default(),
            api.admin.now(),
        )
        .await;
        reply["version"] = json!(v.version);
        Ok(ApiResponse::ok(reply))
    }

    async fn sla_preview(
        &self,
        caller: &Caller,
        admin: &ConfigAdmin,
        body: &[u8],
    ) -> Result<ApiResponse, ApiError> {
        if !caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "supervisors and admins preview SLA policies",
            ));
        }
        let b: PreviewBody = parse_body(body)?;
        let priority = b
            .priority
            .as_deref()
            .map(|p| {
                Priority::parse(p).ok_or_else(|| {
                    ApiError::field("priority", "must be low, normal, high or urgent")
                })
            })
            .transpose()?;
        let opened_at: jiff::Timestamp = b.opened_at.parse().map_err(|_| {
            ApiError::field(
                "opened_at",
                "must be RFC 3339 with an offset, e.g. 2026-12-23T16:00:00+01:00",
            )
        })?;
        let v = admin.pick(ConfigKind::Sla, b.version).await?;
        let sla = SlaConfig::parse(&v.body, &ConfigKind::Sla.origin(v.version))
            .map_err(|e| ApiError::from(ConfigDocsError::Invalid(e)))?;
        let mut preview = admin::sla_preview(&sla, priority, b.category.as_deref(), opened_at)?;
        preview["version"] = json!(v.version);
        Ok(ApiResponse::ok(preview))
    }

    /// Who changed which configuration, when, per UTC day.
    async fn config_audit(&self, caller: &Caller, q: &Query) -> Result<ApiResponse, ApiError> {
        if caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins read the configuration audit"));
        }
        q.only(&["from", "to"])?;
        let days = self.audit_days(q, MAX_AUDIT_DAYS)?;
        let docs = self.config_api()?.admin.docs().clone();
        let mut entries = Vec::new();
        for day in &days {
            match docs.audit(day).await {
                Ok(e) => entries.extend(e),
                Err(e) => {
                    if e.is_retryable() {
                        warn!(error = %e, "configuration audit: store busy");
                    } else {
                        error!(error = %e, "configuration audit failed");
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(ApiResponse::ok(json!({ "entries": entries })))
    }

    /// The UTC days `from`..=`to` (default today), at most `max`.
    fn audit_days(&self, q: &Query, max: usize) -> Result<Vec<String>, ApiError> {
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let date = |field: &str| match q.get(field) {
            None => Ok(today),
            Some(v) => v
                .parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::field(field, format!("'{v}' is not a date (YYYY-MM-DD)"))),
        };
        let (from, to) = (date("from")?, date("to")?);
        if to < from {
            return Err(ApiError::field("to", "is before from"));
        }
        let days: Vec<String> = from
            .series(jiff::ToSpan::days(1))
            .take_while(|d| *d <= to)
            .take(max + 1)
            .map(|d| d.to_string())
            .collect();
        if days.len() > max {
            return Err(ApiError::field(
                "to",
                format!("the audit is read at most {max} days at a time"),
            ));
        }
        Ok(days)
    }
}

#[cfg(test)]
mod tests;
