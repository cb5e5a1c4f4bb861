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

use super::router::{Call, ErrorExtra, Query};
use super::{AgentApi, ApiError, ApiResponse, Role};
use crate::app::admin::{self, AdminError, ConfigAdmin};
use crate::domain::bot::{BotConfig, BotState, Priority};
use crate::domain::config_doc::{ConfigKind, ConfigVersion, DiffLine, LineDiff, VersionSummary};
use crate::domain::sla::SlaConfig;
use crate::domain::unrecognised::{self, Group};
use crate::ports::bot_feedback::{BotFeedback, LOOKBACK_DAYS, last_days};
use crate::ports::config_docs::{ConfigAuditEntry, ConfigDocsError};
use crate::ports::orders::{MemoryOrders, OrderLookup};

/// Versions one history request lists.
const MAX_HISTORY: usize = 200;
/// Days one configuration audit request may read.
const MAX_AUDIT_DAYS: usize = 31;

/// The admin area's part of the agent API.
pub struct ConfigApi {
    pub admin: Arc<ConfigAdmin>,
    /// What the bot did not understand (`GET /bot/unrecognised`); `None`: not kept here.
    pub feedback: Option<Arc<dyn BotFeedback>>,
    /// What the bot tryout looks orders up in (the demo orders unless told otherwise, as
    /// `helpdesk-local bot`: a tryout never reads real customers' orders).
    pub orders: Arc<dyn OrderLookup>,
}

impl ConfigApi {
    pub fn new(admin: Arc<ConfigAdmin>) -> Self {
        Self {
            admin,
            feedback: None,
            orders: Arc::new(MemoryOrders::demo()),
        }
    }

    pub fn with_feedback(mut self, feedback: Arc<dyn BotFeedback>) -> Self {
        self.feedback = Some(feedback);
        self
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

/// Fields for the top level of a refusal.
fn detail(v: Value) -> Option<ErrorExtra> {
    match v {
        Value::Object(map) => Some(ErrorExtra::Detail(map)),
        _ => None,
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
                err.extra = detail(json!({"field": field, "line": line, "problem": problem}));
                err
            }
            ConfigDocsError::Conflict(ref c) => {
                let mut err = ApiError::new(409, "conflict", e.to_string());
                err.extra = detail(json!({
                    "current_version": c.current.latest,
                    "published_version": c.current.published,
                    "since": c.since,
                    "diff": c.diff.as_ref().map(diff_json).unwrap_or(json!([])),
                }));
                err
            }
            ConfigDocsError::NotFound { .. } => ApiError::not_found(e.to_string()),
            ConfigDocsError::Older { published, .. } => {
                let mut err = ApiError::new(409, "conflict", e.to_string());
                err.extra = detail(
                    json!({"current_version": published, "published_version": published, "diff": []}),
                );
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdoptBody {
    intent: Option<String>,
    faq: Option<FaqBody>,
    /// The bot version to add to (default: the newest).
    base_version: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaqBody {
    question: Option<String>,
    answer_de: Option<String>,
    answer_en: Option<String>,
}

/// Groups one list shows at most.
const MAX_GROUPS: usize = 200;

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

    /// `GET /config/{kind}`: the published version and the draft (text and JSON).
    pub(super) async fn config_get(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let docs = self.config_api()?.admin.docs();
        let published = docs.published(kind).await?;
        let draft = docs.draft(kind).await?;
        if published.is_none() && draft.is_none() {
            return Err(ApiError::not_found(format!("{kind} has no document yet")));
        }
        ApiResponse::ok(json!({
            "kind": kind,
            "published": published.as_ref().map(version_json),
            "draft": draft.as_ref().map(version_json),
            "may_change": admin::may_change(call.caller.role, kind),
        }))
    }

    /// `GET /config/{kind}/versions`: newest first.
    pub(super) async fn config_versions(
        &self,
        _call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let docs = self.config_api()?.admin.docs();
        let Some(head) = docs.head(kind).await? else {
            return ApiResponse::ok(json!({ "versions": [] }));
        };
        let versions: Vec<Value> = docs
            .history(kind, MAX_HISTORY)
            .await?
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
        ApiResponse::ok(json!({
            "versions": versions,
            "published_version": head.published,
            "latest_version": head.latest,
        }))
    }

    /// `GET /config/{kind}/versions/{v}`.
    pub(super) async fn config_version(
        &self,
        _call: &Call<'_, '_>,
        kind: &str,
        v: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let v = version_of("version", v)?;
        ApiResponse::ok(version_json(
            &self.config_api()?.admin.version(kind, v).await?,
        ))
    }

    /// `GET /config/{kind}/diff?from=&to=`.
    pub(super) async fn config_diff(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let q = &call.query;
        q.only(&["from", "to"])?;
        let number = |field: &str| {
            version_of(
                field,
                q.get(field)
                    .ok_or_else(|| ApiError::field(field, "is required"))?,
            )
        };
        let (from, to) = (number("from")?, number("to")?);
        let diff = self.config_api()?.admin.diff(kind, from, to).await?;
        let (added, removed) = diff.counts();
        ApiResponse::ok(json!({
            "from": from,
            "to": to,
            "added": added,
            "removed": removed,
            "diff": diff_json(&diff),
            "unified": diff.to_string(),
        }))
    }

    /// `GET /config/{kind}/export?version=`: the TOML text (default: the published version).
    pub(super) async fn config_export(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        call.query.only(&["version"])?;
        let admin = &self.config_api()?.admin;
        let v =
            match call.query.get("version") {
                Some(v) => admin.version(kind, version_of("version", v)?).await?,
                None => admin.docs().published(kind).await?.ok_or_else(|| {
                    ApiError::not_found(format!("{kind} has no published version"))
                })?,
            };
        ApiResponse::text(v.body)
    }

    /// The caller as an editor of configuration documents (a supervisor with their teams).
    async fn editor(&self, call: &Call<'_, '_>) -> Result<admin::Editor, ApiError> {
        let teams = match call.caller.role {
            Role::Supervisor => self.teams_of(&call.caller).await?,
            _ => Vec::new(),
        };
        Ok(admin::Editor {
            role: call.caller.role,
            agent: call.caller.agent.clone(),
            teams,
        })
    }

    /// `PUT /config/{kind}/draft` `{base_version, toml | json, note?}`.
    pub(super) async fn config_save_draft(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let b: DraftBody = call.body()?;
        let admin = &self.config_api()?.admin;
        let text = match (b.toml, b.json) {
            (Some(t), None) => t,
            // A form's JSON goes onto the text it was based on, keeping its comments and layout.
            (None, Some(j)) => match admin.docs().version(kind, b.base_version).await? {
                Some(base) => admin::json_onto_toml(&base.body, &j)?,
                None => admin::json_to_toml(&j)?,
            },
            _ => return Err(ApiError::field("toml", "send either toml or json")),
        };
        let who = self.editor(call).await?;
        if kind == ConfigKind::Routing {
            self.new_teams_staffed(b.base_version, &text).await?;
        }
        let saved = admin
            .save_draft(&who, kind, b.base_version, &text, &b.note)
            .await?;
        ApiResponse::ok(json!({ "version": saved.version, "state": "draft" }))
    }

    /// A routing draft may not name a team the version it is based on did not and no active
    /// agent is in (see `admin::teams`): 422 naming the field.
    async fn new_teams_staffed(&self, base_version: u32, text: &str) -> Result<(), ApiError> {
        let docs = self.config_api()?.admin.docs();
        let Some(base) = docs.version(ConfigKind::Routing, base_version).await? else {
            return Ok(());
        };
        let staffed: Vec<String> = self
            .desk
            .store()
            .agents()
            .await?
            .into_iter()
            .filter(|a| a.deactivated_at.is_none())
            .flat_map(|a| a.teams)
            .collect();
        admin::teams::new_teams_are_staffed(&base.body, text, &staffed, base_version + 1)
            .map_err(|e| ConfigDocsError::Invalid(e).into())
    }

    /// `POST /config/{kind}/publish` `{version, published_version?}`.
    pub(super) async fn config_publish(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let b: PublishBody = call.body()?;
        let who = self.editor(call).await?;
        let published = self
            .config_api()?
            .admin
            .publish(&who, kind, b.version, b.published_version)
            .await?;
        ApiResponse::ok(json!({ "published_version": published }))
    }

    /// `POST /config/{kind}/rollback` `{version}`.
    pub(super) async fn config_rollback(
        &self,
        call: &Call<'_, '_>,
        kind: &str,
    ) -> Result<ApiResponse, ApiError> {
        let kind = kind_of(kind)?;
        let b: RollbackBody = call.body()?;
        let v = self
            .config_api()?
            .admin
            .rollback(&self.editor(call).await?, kind, b.version)
            .await?;
        ApiResponse::ok(json!({ "version": v.version, "published_version": v.version }))
    }

    /// `POST /config/bot/try` `{version?, text, state?}`: the real engine on that version
    /// (default: the newest, i.e. the draft if there is one).
    pub(super) async fn config_try_bot(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        if !call.caller.role.sees_everything() {
            return Err(ApiError::forbidden("supervisors and admins try the bot"));
        }
        let api = self.config_api()?;
        let b: TryBody = call.body()?;
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
        ApiResponse::ok(reply)
    }

    /// `POST /config/sla/preview` `{version?, priority?, category?, opened_at}`.
    pub(super) async fn config_sla_preview(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        if !call.caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "supervisors and admins preview SLA policies",
            ));
        }
        let admin = &self.config_api()?.admin;
        let b: PreviewBody = call.body()?;
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
        ApiResponse::ok(preview)
    }

    fn feedback(&self) -> Result<&Arc<dyn BotFeedback>, ApiError> {
        self.config_api()?.feedback.as_ref().ok_or_else(|| {
            ApiError::new(
                404,
                "not_available",
                "unrecognised messages are not kept in this deployment",
            )
        })
    }

    /// The groups of the last [`LOOKBACK_DAYS`] days.
    async fn unrecognised_groups(&self, limit: usize) -> Result<Vec<Group>, ApiError> {
        let days = last_days(self.clock.now(), LOOKBACK_DAYS);
        let records = self.feedback()?.unrecognised(&days).await?;
        Ok(unrecognised::group(&records, limit))
    }

    /// `GET /bot/unrecognised?limit=` (supervisors): what the bot did not understand, most
    /// frequent first, similar messages together, with containment and handoff rates per intent.
    pub(super) async fn bot_unrecognised(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        if !call.caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "supervisors and admins review the bot's misses",
            ));
        }
        call.query.only(&["limit"])?;
        let limit = match call.query.get("limit") {
            None => 50,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_GROUPS).contains(l))
                .ok_or_else(|| ApiError::field("limit", format!("must be 1-{MAX_GROUPS}")))?,
        };
        let groups = self.unrecognised_groups(limit).await?;
        let days = last_days(self.clock.now(), LOOKBACK_DAYS);
        let counts = self.feedback()?.counts(&days).await?;
        let intents: Vec<Value> = counts
            .iter()
            .map(|(intent, c)| {
                let (containment, handoff) = c.rates();
                json!({
                    "intent": intent,
                    "turns": c.total(),
                    "containment_rate": containment,
                    "handoff_rate": handoff,
                })
            })
            .collect();
        let groups: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({
                    "id": g.id,
                    "sample": g.sample,
                    "count": g.count,
                    "variants": g.variants,
                    "guesses": g.guesses,
                    "handoffs": g.handoffs,
                    "last_seen": g.last_seen.to_string(),
                })
            })
            .collect();
        ApiResponse::ok(json!({ "groups": groups, "intents": intents }))
    }

    /// `POST /bot/unrecognised/{id}/adopt` `{intent}` or `{faq: {question?, answer_de?,
    /// answer_en?}}` (+ `base_version`): a new bot draft with the message as an example of the
    /// intent, or as a new FAQ answer. Publishing it retrains the bot.
    pub(super) async fn bot_adopt(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let admin = &self.config_api()?.admin;
        if !admin::may_change(call.caller.role, ConfigKind::Bot) {
            return Err(ApiError::forbidden("supervisors and admins teach the bot"));
        }
        let b: AdoptBody = call.body()?;
        let groups = self.unrecognised_groups(usize::MAX).await?;
        let group = groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no unrecognised message {id}")))?;
        let base = admin.pick(ConfigKind::Bot, b.base_version).await?;
        let (text, note) = match (b.intent, b.faq) {
            (Some(intent), None) => (
                admin::add_example(&base.body, &intent, &group.sample)?,
                format!("example for {intent} from an unrecognised message"),
            ),
            (None, Some(faq)) => {
                let question = faq.question.unwrap_or_else(|| group.sample.clone());
                let (text, id) = admin::add_faq(
                    &base.body,
                    &question,
                    faq.answer_de.as_deref(),
                    faq.answer_en.as_deref(),
                )?;
                (text, format!("new FAQ {id} from an unrecognised message"))
            }
            _ => return Err(ApiError::field("intent", "send either intent or faq")),
        };
        let saved = admin
            .save_draft(
                &self.editor(call).await?,
                ConfigKind::Bot,
                base.version,
                &text,
                &note,
            )
            .await?;
        ApiResponse::ok(json!({ "version": saved.version, "state": "draft" }))
    }

    /// `GET /config/audit?from=&to=` (admins): who changed which configuration, when.
    pub(super) async fn config_audit(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        if call.caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins read the configuration audit"));
        }
        call.query.only(&["from", "to"])?;
        let days = self.audit_days(&call.query, MAX_AUDIT_DAYS)?;
        let entries = self.config_audit_entries(&days).await?;
        ApiResponse::ok(json!({ "entries": entries }))
    }

    /// The configuration changes of `days` (none where the admin area is not set up).
    pub(super) async fn config_audit_entries(
        &self,
        days: &[String],
    ) -> Result<Vec<ConfigAuditEntry>, ApiError> {
        let Some(api) = self.config.as_deref() else {
            return Ok(Vec::new());
        };
        let mut entries = Vec::new();
        for day in days {
            entries.extend(api.admin.docs().audit(day).await?);
        }
        Ok(entries)
    }

    /// The UTC days `from`..=`to` (default today), at most `max`.
    pub(super) fn audit_days(&self, q: &Query, max: usize) -> Result<Vec<String>, ApiError> {
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
