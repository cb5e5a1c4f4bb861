//! The admin area's use cases over the versioned configuration documents (`ports::config_docs`):
//! who may change which kind, a draft from TOML or from the JSON a form sends, publish,
//! rollback, the bot tryout on a draft (the real engine, as `helpdesk-local bot`) and the SLA
//! preview (as `helpdesk-local sla`). The HTTP side is `agent_api::config`.
//!
//! Roles: admins change every kind; supervisors change `sla`, `routing`, `canned_responses` and,
//! of `bot`, only the FAQ part (see [`faq_only_change`]); of `sla`, `routing` and
//! `canned_responses` only their own teams' parts (see [`scope`]); agents read.

pub mod scope;
pub mod teams;

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

/// A bot configuration without its FAQ part: the intents' examples and keywords, the answer
/// texts of flows made only of `answer` steps, and whole FAQ intents (an intent whose flow is
/// such a flow, with nothing else but id, flow, examples and keywords) with their flows and
/// their button titles (a FAQ in the main menu's items stays part of the menu). Two
/// documents with the same rest differ only in what a supervisor may edit.
fn without_faq(doc: &toml::Value) -> toml::Value {
    let mut doc = doc.clone();
    let faq_flows = answer_flows(&doc);
    drop_answer_texts(&mut doc, &faq_flows);
    let (dropped_flows, dropped_ids) = drop_faq_intents(&mut doc, &faq_flows);
    drop_button_titles(&mut doc, &dropped_ids);
    drop_unused_flows(&mut doc, dropped_flows);
    doc
}

/// The flows made only of `answer` steps.
fn answer_flows(doc: &toml::Value) -> Vec<String> {
    doc.get("flows")
        .and_then(toml::Value::as_table)
        .map(|flows| {
            flows
                .iter()
                .filter(|(_, flow)| is_answer_flow(flow))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The answer texts may change; the flows' shape (steps, kinds) may not. A flow only an FAQ
/// intent uses is dropped with it later.
fn drop_answer_texts(doc: &mut toml::Value, faq_flows: &[String]) {
    if let Some(flows) = doc.get_mut("flows").and_then(toml::Value::as_table_mut) {
        for name in faq_flows {
            if let Some(steps) = flows
                .get_mut(name)
                .and_then(|f| f.get_mut("steps"))
                .and_then(toml::Value::as_table_mut)
            {
                for (_, step) in steps.iter_mut() {
                    if let Some(t) = step.as_table_mut() {
                        t.remove("text");
                    }
                }
            }
        }
    }
}

/// Every intent without its examples and keywords, and without the FAQ intents: the flows
/// and the ids of those dropped.
fn drop_faq_intents(doc: &mut toml::Value, faq_flows: &[String]) -> (Vec<String>, Vec<String>) {
    let mut dropped_flows = Vec::new();
    let mut dropped_ids = Vec::new();
    if let Some(intents) = doc.get_mut("intents").and_then(toml::Value::as_array_mut) {
        intents.retain_mut(|intent| {
            let Some(t) = intent.as_table_mut() else {
                return true;
            };
            t.remove("examples");
            t.remove("keywords");
            let faq = t.keys().all(|k| k == "id" || k == "flow")
                && t.get("flow")
                    .and_then(toml::Value::as_str)
                    .is_some_and(|f| faq_flows.iter().any(|n| n == f));
            if faq && let Some(f) = t.get("flow").and_then(toml::Value::as_str) {
                dropped_flows.push(f.to_owned());
                if let Some(id) = t.get("id").and_then(toml::Value::as_str) {
                    dropped_ids.push(id.to_owned());
                }
            }
            !faq
        });
    }
    (dropped_flows, dropped_ids)
}

/// A FAQ's button titles (shown when the bot asks back) belong to it.
fn drop_button_titles(doc: &mut toml::Value, dropped_ids: &[String]) {
    if let Some(titles) = doc
        .get_mut("menu")
        .and_then(|m| m.get_mut("titles"))
        .and_then(toml::Value::as_table_mut)
    {
        for (_, by_id) in titles.iter_mut() {
            if let Some(by_id) = by_id.as_table_mut() {
                by_id.retain(|id, _| !dropped_ids.iter().any(|d| d == id));
            }
        }
    }
}

/// The dropped FAQ intents' flows, but those a non-FAQ intent still uses (their text was
/// already removed).
fn drop_unused_flows(doc: &mut toml::Value, dropped_flows: Vec<String>) {
    let still_used: Vec<String> = doc
        .get("intents")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.get("flow")
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    if let Some(flows) = doc.get_mut("flows").and_then(toml::Value::as_table_mut) {
        for f in dropped_flows {
            if !still_used.contains(&f) {
                flows.remove(&f);
            }
        }
    }
}

/// A flow whose every step is a plain answer.
fn is_answer_flow(flow: &toml::Value) -> bool {
    flow.get("steps")
        .and_then(toml::Value::as_table)
        .is_some_and(|steps| {
            !steps.is_empty()
                && steps
                    .values()
                    .all(|s| s.get("kind").and_then(toml::Value::as_str) == Some("answer"))
        })
}

/// Whether `new` differs from `old` only in the FAQ part a supervisor may edit: intents'
/// examples and keywords, answer texts, and FAQ intents (an intent with its own answer-only
/// flow) added or removed. Compared on the parsed TOML, so comments and layout may change too.
/// `Err` names what else changed.
pub fn faq_only_change(old: &str, new: &str) -> Result<(), String> {
    let parse = |s: &str| toml::from_str::<toml::Value>(s).ok();
    let (Some(old), Some(new)) = (parse(old), parse(new)) else {
        // The validator reports syntax; nothing to compare.
        return Ok(());
    };
    let (a, b) = (without_faq(&old), without_faq(&new));
    if a == b {
        return Ok(());
    }
    let (ta, tb) = (a.as_table(), b.as_table());
    let mut keys: Vec<&String> = ta
        .into_iter()
        .flat_map(|t| t.keys())
        .chain(tb.into_iter().flat_map(|t| t.keys()))
        .collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<&str> = keys
        .into_iter()
        .filter(|k| a.get(k.as_str()) != b.get(k.as_str()))
        .map(String::as_str)
        .collect();
    Err(format!(
        "supervisors change only FAQ answers, intent examples and keywords; this also changes {}",
        changed.join(", ")
    ))
}

/// A TOML document as the JSON object forms edit.
pub fn toml_to_json(body: &str) -> Value {
    toml::from_str::<toml::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(Value::Null)
}

/// The JSON object a form sent, as TOML text (comments of the base are not kept).
pub fn json_to_toml(json: &Value) -> Result<String, AdminError> {
    if !json.is_object() {
        return Err(AdminError::bad("json", "must be an object"));
    }
    let value: toml::Value = serde_json::from_value(json.clone())
        .map_err(|e| AdminError::bad("json", format!("cannot be TOML: {e}")))?;
    toml::to_string_pretty(&value)
        .map_err(|e| AdminError::bad("json", format!("cannot be TOML: {e}")))
}

/// The JSON object a form sent, as TOML text that keeps as much of `base` (the version the form
/// edited) as it can: values the form left alone keep their text, comments and layout; changed
/// values are rewritten where they stood; new ones are added, removed ones dropped. Entries of an
/// array of tables (`[[intents]]`, `[[policies]]`, `[[rules]]`) are matched by their `id`, `name`
/// or `team`, so removing one keeps the comments of the others. Whenever the result would not
/// read back as exactly `json`, the plain rendering of `json` is used instead.
pub fn json_onto_toml(base: &str, json: &Value) -> Result<String, AdminError> {
    let plain = json_to_toml(json)?;
    let (Ok(mut doc), Ok(new)) = (
        base.parse::<toml_edit::DocumentMut>(),
        plain.parse::<toml_edit::DocumentMut>(),
    ) else {
        return Ok(plain);
    };
    merge_table(doc.as_table_mut(), new.as_table());
    let merged = doc.to_string();
    let same = |text: &str| toml::from_str::<toml::Value>(text).ok();
    match (same(&merged), same(&plain)) {
        (Some(a), Some(b)) if a == b => Ok(merged),
        _ => Ok(plain),
    }
}

/// `into` made equal to `from`, keeping what is already equal as it is written.
fn merge_table(into: &mut dyn toml_edit::TableLike, from: &dyn toml_edit::TableLike) {
    let gone: Vec<String> = into
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| !from.contains_key(k))
        .collect();
    for k in gone {
        into.remove(&k);
    }
    for (k, item) in from.iter() {
        match into.get_mut(k) {
            Some(old) => merge_item(old, item),
            None => {
                // A new table is written after everything the base has.
                let mut item = item.clone();
                place(&mut item, AT_THE_END);
                into.insert(k, item);
            }
        }
    }
}

/// The document position of tables added by a form: after every table of the base.
const AT_THE_END: isize = isize::MAX / 2;

/// Sets the document position of every table in `item` (tables with the same position are
/// written in the order they nest, so a new table stays with its subtables).
fn place(item: &mut toml_edit::Item, position: isize) {
    match item {
        toml_edit::Item::Table(t) => place_table(t, position),
        toml_edit::Item::ArrayOfTables(a) => {
            for t in a.iter_mut() {
                place_table(t, position);
            }
        }
        _ => {}
    }
}

fn place_table(table: &mut toml_edit::Table, position: isize) {
    table.set_position(Some(position));
    for (_, item) in table.iter_mut() {
        place(item, position);
    }
}

fn merge_item(into: &mut toml_edit::Item, from: &toml_edit::Item) {
    use toml_edit::Item;
    // Tables in an array written inline (`options = [{ ... }]`) stay inline.
    let inline;
    let from = match (&*into, from) {
        (Item::Value(toml_edit::Value::Array(_)), Item::ArrayOfTables(new)) => {
            inline = Item::Value(toml_edit::Value::Array(new.clone().into_array()));
            &inline
        }
        _ => from,
    };
    match (&mut *into, from) {
        (Item::ArrayOfTables(old), Item::ArrayOfTables(new)) => {
            let mut olds: Vec<Option<toml_edit::Table>> = old.iter().cloned().map(Some).collect();
            let mut merged = toml_edit::ArrayOfTables::new();
            for (i, table) in new.iter().enumerate() {
                let id = identity(table);
                let at = match &id {
                    Some(id) => olds
                        .iter()
                        .position(|o| o.as_ref().and_then(identity).as_ref() == Some(id)),
                    None => (i < olds.len()
                        && olds[i].as_ref().is_some_and(|o| identity(o).is_none()))
                    .then_some(i),
                };
                match at.and_then(|at| olds[at].take()) {
                    Some(mut kept) => {
                        merge_table(&mut kept, table);
                        merged.push(kept);
                    }
                    // A new entry is written right after the one before it.
                    None => {
                        let mut table = table.clone();
                        let after = merged.iter().last().and_then(toml_edit::Table::position);
                        place_table(&mut table, after.unwrap_or(AT_THE_END));
                        merged.push(table);
                    }
                }
            }
            *old = merged;
        }
        (Item::Value(old), Item::Value(new)) => {
            if let (Some(o), Some(n)) = (old.as_inline_table_mut(), new.as_inline_table()) {
                merge_table(o, n);
            } else if !same_value(old, new) {
                let decor = old.decor().clone();
                let one_line = !old.to_string().contains('\n');
                *old = new.clone();
                // An array written on one line stays on one line.
                if one_line && let Some(array) = old.as_array_mut() {
                    array.fmt();
                    array.set_trailing_comma(false);
                    array.set_trailing("");
                }
                *old.decor_mut() = decor;
            }
        }
        (Item::Table(old), Item::Table(new)) => merge_table(old, new),
        // The same table written inline in one and as a section in the other: kept as written.
        (Item::Value(toml_edit::Value::InlineTable(old)), Item::Table(new)) => {
            merge_table(old, &new.clone().into_inline_table());
        }
        (Item::Table(old), Item::Value(toml_edit::Value::InlineTable(new))) => {
            merge_table(old, &new.clone().into_table());
        }
        _ => {
            let position = into
                .as_table()
                .and_then(toml_edit::Table::position)
                .unwrap_or(AT_THE_END);
            *into = from.clone();
            place(into, position);
        }
    }
}

/// What names an entry of an array of tables.
fn identity(table: &toml_edit::Table) -> Option<String> {
    ["id", "name", "team"].iter().find_map(|k| {
        table
            .get(k)
            .and_then(|v| v.as_str())
            .map(|v| format!("{k}={v}"))
    })
}

/// Whether two values read the same, however they are written.
fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    let read = |v: &toml_edit::Value| {
        let mut v = v.clone();
        v.decor_mut().clear();
        toml::from_str::<toml::Value>(&format!("v = {v}")).ok()
    };
    matches!((read(a), read(b)), (Some(x), Some(y)) if x == y)
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

/// `body` with `example` added to the examples of intent `intent` (the text is edited, so the
/// document's comments and layout stay). `Err`: the field and problem.
pub fn add_example(body: &str, intent: &str, example: &str) -> Result<String, AdminError> {
    let quoted =
        serde_json::to_string(example).map_err(|e| AdminError::bad("text", e.to_string()))?;
    let lines: Vec<&str> = body.lines().collect();
    let id_line = format!("id = {}", serde_json::to_string(intent).unwrap_or_default());
    let mut in_intent = false;
    let mut found = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            if found {
                break;
            }
            in_intent = t == "[[intents]]";
            continue;
        }
        if in_intent && t.replace(' ', "") == id_line.replace(' ', "") {
            found = true;
            continue;
        }
        if found && t.starts_with("examples") && t.contains('[') {
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            let at = line.find('[').unwrap_or(line.len() - 1);
            let (head, tail) = line.split_at(at + 1);
            let sep = if tail.trim_start().starts_with(']') {
                ""
            } else {
                " "
            };
            let comma = if tail.trim_start().starts_with(']') {
                ""
            } else {
                ","
            };
            out[i] = format!("{head}{quoted}{comma}{sep}{}", tail.trim_start());
            let mut text = out.join("\n");
            if body.ends_with('\n') {
                text.push('\n');
            }
            return Ok(text);
        }
    }
    Err(AdminError::bad(
        "intent",
        if found {
            format!("intent {intent} has no examples list to add to")
        } else {
            format!("there is no intent {intent}")
        },
    ))
}

/// `body` with a new FAQ answer: an intent (id from the question) with the question as its
/// example and its own answer flow. `Err`: the field and problem.
pub fn add_faq(
    body: &str,
    question: &str,
    answer_de: Option<&str>,
    answer_en: Option<&str>,
) -> Result<(String, String), AdminError> {
    let slug: String = question
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4)
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() {
        return Err(AdminError::bad("faq.question", "needs some words"));
    }
    let answers: Vec<(&str, &str)> = [("de", answer_de), ("en", answer_en)]
        .into_iter()
        .filter_map(|(l, a)| a.map(str::trim).filter(|a| !a.is_empty()).map(|a| (l, a)))
        .collect();
    if answers.is_empty() {
        return Err(AdminError::bad(
            "faq.answer_de",
            "give an answer in at least one language",
        ));
    }
    let taken = |id: &str| {
        body.contains(&format!("id = \"{id}\"")) || body.contains(&format!("[flows.{id}]"))
    };
    let mut id = format!("faq_{slug}");
    let mut n = 2;
    while taken(&id) {
        id = format!("faq_{slug}_{n}");
        n += 1;
    }
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut text = body.trim_end().to_owned();
    text.push_str(&format!(
        "\n\n[[intents]]\nid = \"{id}\"\nflow = \"{id}\"\nexamples = [{}]\n\n[flows.{id}]\nstart = \"info\"\n\n[flows.{id}.steps.info]\nkind = \"answer\"\n",
        q(question)
    ));
    for (lang, answer) in answers {
        text.push_str(&format!("text.{lang} = {}\n", q(answer)));
    }
    Ok((text, id))
}

#[cfg(test)]
mod tests;
