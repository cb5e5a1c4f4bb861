//! The catalogue of WhatsApp templates (`config/templates.toml`, then the `templates`
//! configuration document): the agent API lists the approved ones (the template picker outside
//! the 24 h window) and checks a request's name, language, status and parameters against it
//! before anything is sent. Once synced with Meta (`app::templates`), the document mirrors the
//! WhatsApp Business Account's templates with their review status; a template without a status
//! (the shipped file, a hand-written catalogue) counts as approved.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::whatsapp::Template;

/// The catalogue shipped with the code.
pub const DEFAULT_TEMPLATES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/templates.toml"
));
/// Cloud API limit for one body parameter.
const MAX_PARAM: usize = 1024;
/// Meta's limits for a template: name length and body length.
pub const MAX_NAME: usize = 512;
pub const MAX_BODY: usize = 1024;
/// The status Meta gives a template that may be sent.
pub const APPROVED: &str = "APPROVED";
/// The status of a template submitted and not reviewed yet.
pub const PENDING: &str = "PENDING";

/// A template catalogue that cannot be used (file, line or field, problem).
pub type TemplateError = crate::platform::config::ConfigFileError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    templates: Vec<ApprovedTemplate>,
}

/// A template as agents and admins see it. (The name is historical: since the sync with Meta
/// the catalogue also holds templates in review, rejected or paused, marked by `status`.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedTemplate {
    pub name: String,
    pub language: String,
    /// `utility`, `marketing` or `authentication` (Meta's category in lower case).
    pub category: String,
    /// With `{{1}}`, `{{2}}`, ... (or `{{name}}` when `named_params`) where parameters go.
    pub body: String,
    /// Meta's review status (`APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...);
    /// absent: approved (a catalogue written by hand lists only approved templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Meta's template id (set once synced or submitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the status was last set (Meta's webhook time, the sync or the submission): an
    /// older status update is not applied over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_at: Option<Timestamp>,
    /// Why Meta rejected or paused it (`NONE` is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The header text, if the template has a text header (a media header is named `[IMAGE]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The buttons' labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
    /// The body's parameters are named (`{{first_name}}`, Meta's `parameter_format: NAMED`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub named_params: bool,
}

impl ApprovedTemplate {
    /// How many body parameters it takes.
    pub fn params(&self) -> usize {
        self.param_names().len()
    }

    /// The body's parameters in order: `1`, `2`, ... or the names of named ones (each once).
    pub fn param_names(&self) -> Vec<String> {
        if self.named_params {
            let mut names: Vec<String> = Vec::new();
            for name in placeholders(&self.body) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            return names;
        }
        (1..=20)
            .take_while(|n| self.body.contains(&format!("{{{{{n}}}}}")))
            .map(|n| n.to_string())
            .collect()
    }

    /// Meta's status, `APPROVED` when none is recorded.
    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or(APPROVED)
    }

    /// Whether agents may send it.
    pub fn is_approved(&self) -> bool {
        self.status() == APPROVED
    }
}

/// `at` to the whole second: Meta's webhooks carry seconds, so a status set here (sync,
/// submission) must not look newer than a webhook of the same second.
fn whole_second(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// The `{{...}}` placeholders of a text, in order (with repeats).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    out
}

/// Why a template cannot be sent: unknown, not approved (422 in the API), or the parameters
/// do not fit (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateRefusal {
    #[error("no template '{name}' in language '{language}'")]
    Unknown { name: String, language: String },
    #[error("template '{name}' ({language}) is {status}, not approved: it cannot be sent")]
    NotApproved {
        name: String,
        language: String,
        status: String,
    },
    #[error("{0}")]
    Params(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn valid_language(language: &str) -> bool {
    (2..=6).contains(&language.len())
        && language
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const CATEGORIES: [&str; 3] = ["utility", "marketing", "authentication"];

fn valid_status(status: &str) -> bool {
    !status.is_empty()
        && status.len() <= 32
        && status.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateCatalog {
    templates: Vec<ApprovedTemplate>,
}

impl TemplateCatalog {
    pub fn default_catalog() -> Self {
        Self::parse(DEFAULT_TEMPLATES, "config/templates.toml")
            .expect("the shipped templates are valid")
    }

    pub fn load(path: &std::path::Path) -> Result<Self, TemplateError> {
        let (source, origin) = crate::platform::config::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    pub fn parse(source: &str, origin: &str) -> Result<Self, TemplateError> {
        let file: File = crate::platform::config::parse_toml(source, origin)?;
        if file.version != 1 {
            return Err(TemplateError::invalid(origin, "version", "must be 1"));
        }
        Self::checked(file.templates)
            .map_err(|(field, problem)| TemplateError::invalid(origin, field, problem))
    }

    /// A catalogue of `templates` if each is valid and listed once per language; else the
    /// field (`templates[i].name`) and the problem.
    pub fn checked(templates: Vec<ApprovedTemplate>) -> Result<Self, (String, &'static str)> {
        for (i, t) in templates.iter().enumerate() {
            let field = |name: &str| format!("templates[{i}].{name}");
            if !valid_name(&t.name) {
                return Err((field("name"), "lower-case letters, digits and _"));
            }
            if !valid_language(&t.language) {
                return Err((field("language"), "a language code such as de or en_US"));
            }
            if !CATEGORIES.contains(&t.category.as_str()) {
                return Err((field("category"), "utility, marketing or authentication"));
            }
            if t.body.trim().is_empty() || t.body.chars().count() > MAX_BODY {
                return Err((field("body"), "1-1024 characters"));
            }
            if t.status.as_deref().is_some_and(|s| !valid_status(s)) {
                return Err((field("status"), "Meta's status in capitals, e.g. APPROVED"));
            }
            let repeated = templates[..i]
                .iter()
                .any(|o| o.name == t.name && o.language == t.language);
            if repeated {
                return Err((field("name"), "listed twice for this language"));
            }
        }
        Ok(Self { templates })
    }

    /// The catalogue as the document's TOML text (what a sync or a status update stores).
    pub fn to_toml(&self) -> String {
        let file = File {
            version: 1,
            templates: self.templates.clone(),
        };
        let body = toml::to_string_pretty(&file).unwrap_or_else(|e| {
            // Every field is a string, a bool or a list of strings: cannot happen.
            tracing::error!(error = %e, "template catalogue not serializable");
            String::new()
        });
        format!(
            "# WhatsApp templates as Meta has them (status: APPROVED, PENDING, REJECTED, PAUSED, ...),\n\
             # kept in step by the sync and the message_template_status_update webhook. Only\n\
             # APPROVED ones are offered to agents.\n\n{body}"
        )
    }

    /// Every template, whatever its status.
    pub fn all(&self) -> &[ApprovedTemplate] {
        &self.templates
    }

    /// The templates agents may send.
    pub fn approved(&self) -> Vec<ApprovedTemplate> {
        self.templates
            .iter()
            .filter(|t| t.is_approved())
            .cloned()
            .collect()
    }

    pub fn find(&self, name: &str, language: &str) -> Option<&ApprovedTemplate> {
        self.templates
            .iter()
            .find(|t| t.name == name && t.language == language)
    }

    /// The template Meta knows by `id`, else by name and language.
    pub fn find_mut(
        &mut self,
        id: Option<&str>,
        name: &str,
        language: &str,
    ) -> Option<&mut ApprovedTemplate> {
        let by_id = id.and_then(|id| {
            self.templates
                .iter()
                .position(|t| t.id.as_deref() == Some(id))
        });
        let at = by_id.or_else(|| {
            self.templates
                .iter()
                .position(|t| t.name == name && t.language == language)
        })?;
        self.templates.get_mut(at)
    }

    /// Adds `template` (or replaces the one with its name and language).
    pub fn upsert(&mut self, template: ApprovedTemplate) {
        match self
            .templates
            .iter_mut()
            .find(|t| t.name == template.name && t.language == template.language)
        {
            Some(slot) => *slot = template,
            None => self.templates.push(template),
        }
    }

    /// The template to send, or why it cannot be: unknown, not approved, parameters that do not
    /// fit.
    pub fn build(
        &self,
        name: &str,
        language: &str,
        params: &[String],
    ) -> Result<Template, TemplateRefusal> {
        let Some(t) = self.find(name, language) else {
            return Err(TemplateRefusal::Unknown {
                name: name.to_owned(),
                language: language.to_owned(),
            });
        };
        if !t.is_approved() {
            return Err(TemplateRefusal::NotApproved {
                name: name.to_owned(),
                language: language.to_owned(),
                status: t.status().to_owned(),
            });
        }
        let names = t.param_names();
        if params.len() != names.len() {
            return Err(TemplateRefusal::Params(format!(
                "'{name}' takes {} parameters, got {}",
                names.len(),
                params.len()
            )));
        }
        if let Some(p) = params
            .iter()
            .find(|p| p.trim().is_empty() || p.chars().count() > MAX_PARAM || p.contains('\n'))
        {
            return Err(TemplateRefusal::Params(format!(
                "each parameter needs 1-{MAX_PARAM} characters on one line, got {} characters",
                p.chars().count()
            )));
        }
        let parameters: Vec<_> = params
            .iter()
            .zip(&names)
            .map(|(p, n)| {
                if t.named_params {
                    json!({"type": "text", "parameter_name": n, "text": p})
                } else {
                    json!({"type": "text", "text": p})
                }
            })
            .collect();
        let components = if params.is_empty() {
            Vec::new()
        } else {
            vec![json!({ "type": "body", "parameters": parameters })]
        };
        Ok(Template {
            name: t.name.clone(),
            language: t.language.clone(),
            components,
        })
    }
}

/// A template an admin submits for Meta's review: checked here as Meta would, so a typo is
/// named at once instead of coming back as a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    /// `UTILITY`, `MARKETING` or `AUTHENTICATION` (any case).
    pub category: String,
    /// With `{{1}}`, `{{2}}`, ... numbered from 1 without gaps.
    pub body: String,
    /// One example value per parameter, in order (Meta requires them for the review).
    #[serde(default)]
    pub examples: Vec<String>,
}

impl NewTemplate {
    /// Checks every field; the error names the field and says what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !valid_name(&self.name) {
            return Err((
                "name",
                format!("1-{MAX_NAME} characters: lower-case letters, digits and _"),
            ));
        }
        if !valid_language(&self.language) {
            return Err(("language", "a language code such as de or en_US".into()));
        }
        if !CATEGORIES.contains(&self.category.to_ascii_lowercase().as_str()) {
            return Err((
                "category",
                "UTILITY, MARKETING or AUTHENTICATION".to_owned(),
            ));
        }
        let length = self.body.chars().count();
        if self.body.trim().is_empty() || length > MAX_BODY {
            return Err(("body", format!("1-{MAX_BODY} characters, got {length}")));
        }
        let mut numbers = Vec::new();
        for p in placeholders(&self.body) {
            match p.parse::<usize>() {
                Ok(n) if n >= 1 => numbers.push(n),
                _ => {
                    return Err((
                        "body",
                        format!(
                            "parameter {{{{{p}}}}} is not a number: write {{{{1}}}}, {{{{2}}}}, ..."
                        ),
                    ));
                }
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        if let Some((i, n)) = numbers.iter().enumerate().find(|(i, n)| **n != i + 1) {
            return Err((
                "body",
                format!(
                    "parameters must be numbered from 1 without gaps: {{{{{}}}}} is missing before {{{{{n}}}}}",
                    i + 1
                ),
            ));
        }
        if self.examples.len() != numbers.len() {
            return Err((
                "examples",
                format!(
                    "one example per parameter: the body has {}, got {}",
                    numbers.len(),
                    self.examples.len()
                ),
            ));
        }
        if let Some(i) = self
            .examples
            .iter()
            .position(|e| e.trim().is_empty() || e.chars().count() > MAX_PARAM || e.contains('\n'))
        {
            return Err((
                "examples",
                format!(
                    "example {} needs 1-{MAX_PARAM} characters on one line",
                    i + 1
                ),
            ));
        }
        Ok(())
    }

    /// Meta's category (`UTILITY`, ...).
    pub fn meta_category(&self) -> String {
        self.category.to_ascii_uppercase()
    }

    /// The catalogue entry once Meta took it: in review.
    pub fn pending(&self, id: &str, status: &str, at: Timestamp) -> ApprovedTemplate {
        ApprovedTemplate {
            name: self.name.clone(),
            language: self.language.clone(),
            category: self.category.to_ascii_lowercase(),
            body: self.body.clone(),
            status: Some(
                if valid_status(status) {
                    status
                } else {
                    PENDING
                }
                .to_owned(),
            ),
            id: Some(id.to_owned()),
            status_at: Some(whole_second(at)),
            ..ApprovedTemplate::default()
        }
    }
}

/// A `message_template_status_update` from Meta, as intake reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Meta's template id.
    pub id: Option<String>,
    pub name: String,
    pub language: String,
    /// Meta's `event`: `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `PENDING_DELETION`, ...
    pub event: String,
    /// `NONE` for an approval; why for a rejection.
    pub reason: Option<String>,
    /// The webhook entry's `time`.
    pub at: Timestamp,
}

/// What a status update did to the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusOutcome {
    Applied,
    /// The template already has this status (a redelivery): nothing changes.
    Duplicate,
    /// Older than the status the catalogue has: an out-of-order delivery is not applied.
    Stale,
    /// Not in the catalogue (made in Meta's Business Manager): the next sync brings it.
    Unknown,
    /// An event that is not a status (`LOCKED`, `UNARCHIVED`, ...): the next sync settles it.
    NotAStatus,
}

impl StatusChange {
    /// The status the event means, if it is one (`REINSTATED`: approved again after a pause).
    pub fn status(&self) -> Option<&str> {
        match self.event.as_str() {
            "REINSTATED" => Some(APPROVED),
            "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED" | "FLAGGED"
            | "IN_APPEAL" | "PENDING_DELETION" | "DELETED" | "ARCHIVED" | "LIMIT_EXCEEDED" => {
                Some(self.event.as_str())
            }
            _ => None,
        }
    }
}

impl TemplateCatalog {
    /// Applies Meta's status update. Idempotent: the same update twice changes nothing; an
    /// update older than the status recorded (`status_at`) is not applied, so a redelivered
    /// `PENDING` cannot bring back a template that was approved since.
    pub fn apply_status(&mut self, change: &StatusChange) -> StatusOutcome {
        let Some(status) = change.status() else {
            return StatusOutcome::NotAStatus;
        };
        let Some(t) = self.find_mut(change.id.as_deref(), &change.name, &change.language) else {
            return StatusOutcome::Unknown;
        };
        if t.status_at.is_some_and(|at| change.at < at) {
            return StatusOutcome::Stale;
        }
        if t.status() == status && t.status.is_some() {
            return StatusOutcome::Duplicate;
        }
        t.status = Some(status.to_owned());
        t.status_at = Some(change.at);
        t.reason = change
            .reason
            .clone()
            .filter(|r| !r.is_empty() && r != "NONE");
        if t.id.is_none() {
            t.id = change.id.clone();
        }
        StatusOutcome::Applied
    }

    /// The catalogue after a sync: Meta's list, each template keeping the time its status was
    /// set when the status did not change (so an unchanged account makes an equal catalogue),
    /// else `now`.
    pub fn synced(&self, from_meta: Vec<ApprovedTemplate>, now: Timestamp) -> Self {
        let templates = from_meta
            .into_iter()
            .map(|mut t| {
                let before = self.find(&t.name, &t.language);
                t.status_at = match before {
                    Some(b) if b.status() == t.status() && b.status.is_some() => b.status_at,
                    _ => Some(whole_second(now)),
                };
                t
            })
            .collect();
        Self { templates }
    }

    /// The same templates, in any order (a catalogue's order means nothing to agents or Meta).
    pub fn same_templates(&self, other: &Self) -> bool {
        self.templates.len() == other.templates.len()
            && self
                .templates
                .iter()
                .all(|t| other.find(&t.name, &t.language) == Some(t))
    }

    /// An admin's draft (`self`) carried over a change Meta made to the published catalogue,
    /// from `base` (what the draft started from) to `next` (what is published now): a
    /// three-way merge per template and per field. What the admin changed in the draft stays
    /// as the admin left it (an edited text, a template added by hand, one removed); what Meta
    /// changed (status, id, `status_at`, reason; a new template; a deleted one) is applied; a
    /// template neither touched is `next`'s. Meta wins where both changed Meta's own fields:
    /// WhatsApp only sends what Meta approved.
    pub fn rebased(&self, base: &Self, next: &Self) -> Self {
        let mut templates = Vec::new();
        for mine in &self.templates {
            let before = base.find(&mine.name, &mine.language);
            let meta = next.find(&mine.name, &mine.language);
            match (before, meta) {
                // Meta deleted it: it cannot be sent any more, whatever the draft says.
                (Some(_), None) => {}
                (Some(before), Some(meta)) if before == mine => templates.push(meta.clone()),
                (before, Some(meta)) => templates.push(with_metas_fields(mine, before, meta)),
                // Added by the admin and unknown to Meta: the admin's.
                (None, None) => templates.push(mine.clone()),
            }
        }
        // New at Meta (in neither the base nor the draft); one the admin removed stays removed.
        for meta in &next.templates {
            let known = self.find(&meta.name, &meta.language).is_some()
                || base.find(&meta.name, &meta.language).is_some();
            if !known {
                templates.push(meta.clone());
            }
        }
        Self { templates }
    }
}

/// `mine` with each of Meta's fields that Meta changed since `before` (all of them when the
/// template was not in the base) taken from `meta`.
fn with_metas_fields(
    mine: &ApprovedTemplate,
    before: Option<&ApprovedTemplate>,
    meta: &ApprovedTemplate,
) -> ApprovedTemplate {
    let mut out = mine.clone();
    let changed = |field: fn(&ApprovedTemplate) -> &Option<String>| {
        before.is_none_or(|b| field(b) != field(meta))
    };
    if changed(|t| &t.status) {
        out.status = meta.status.clone();
    }
    if changed(|t| &t.id) {
        out.id = meta.id.clone();
    }
    if changed(|t| &t.reason) {
        out.reason = meta.reason.clone();
    }
    if before.is_none_or(|b| b.status_at != meta.status_at) {
        out.status_at = meta.status_at;
    }
    out
}

#[cfg(test)]
mod tests;
