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
mod tests {
    use super::*;

    const T0: &str = "2026-11-30T09:00:00Z";

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_catalogue_is_valid_and_counts_parameters() {
        let c = TemplateCatalog::default_catalog();
        let update = c.all().iter().find(|t| t.name == "ticket_update").unwrap();
        assert_eq!(update.params(), 2);
        assert!(c.all().iter().all(ApprovedTemplate::is_approved));
    }

    #[test]
    fn a_request_is_checked_against_the_catalogue() {
        let c = TemplateCatalog::default_catalog();
        let ok = c
            .build(
                "ticket_update",
                "de",
                &["Anna".into(), "Ihr Paket ist unterwegs".into()],
            )
            .unwrap();
        assert_eq!(
            ok.components[0]["parameters"][1]["text"],
            "Ihr Paket ist unterwegs"
        );
        assert!(matches!(
            c.build("nope", "de", &[]),
            Err(TemplateRefusal::Unknown { .. })
        ));
        assert!(matches!(
            c.build("ticket_update", "fr", &[]),
            Err(TemplateRefusal::Unknown { .. })
        ));
        assert!(matches!(
            c.build("ticket_update", "de", &["Anna".into()]),
            Err(TemplateRefusal::Params(_))
        ));
        assert!(matches!(
            c.build("follow_up", "en", &["a\nb".into()]),
            Err(TemplateRefusal::Params(_))
        ));
    }

    #[test]
    fn a_template_that_is_not_approved_is_listed_but_never_built() {
        let mut c = TemplateCatalog::default_catalog();
        let mut t = c.find("follow_up", "en").unwrap().clone();
        t.status = Some("PAUSED".into());
        c.upsert(t);
        let err = c.build("follow_up", "en", &["Anna".into()]).unwrap_err();
        assert_eq!(
            err,
            TemplateRefusal::NotApproved {
                name: "follow_up".into(),
                language: "en".into(),
                status: "PAUSED".into()
            }
        );
        assert!(err.to_string().contains("PAUSED"), "{err}");
        assert!(
            !c.approved()
                .iter()
                .any(|t| t.name == "follow_up" && t.language == "en")
        );
        assert_eq!(c.all().len(), c.approved().len() + 1);
    }

    #[test]
    fn named_parameters_are_sent_with_their_names() {
        let c = TemplateCatalog::checked(vec![ApprovedTemplate {
            name: "order_ready".into(),
            language: "en_US".into(),
            category: "utility".into(),
            body: "Hi {{first_name}}, order {{order}} is ready, {{first_name}}!".into(),
            named_params: true,
            ..ApprovedTemplate::default()
        }])
        .unwrap();
        let t = c
            .build("order_ready", "en_US", &["Anna".into(), "100234".into()])
            .unwrap();
        assert_eq!(
            t.components[0]["parameters"][0]["parameter_name"],
            "first_name"
        );
        assert_eq!(t.components[0]["parameters"][1]["parameter_name"], "order");
    }

    #[test]
    fn the_catalogue_survives_its_own_toml() {
        let mut c = TemplateCatalog::default_catalog();
        c.upsert(ApprovedTemplate {
            name: "promo".into(),
            language: "de".into(),
            category: "marketing".into(),
            body: "Hallo {{1}}".into(),
            status: Some("REJECTED".into()),
            id: Some("594425479261596".into()),
            status_at: Some(at(T0)),
            reason: Some("INVALID_FORMAT".into()),
            header: Some("Angebot".into()),
            footer: Some("Abmelden mit STOP".into()),
            buttons: vec!["Ja".into(), "Nein".into()],
            named_params: false,
        });
        let again = TemplateCatalog::parse(&c.to_toml(), "t").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn a_bad_catalogue_names_the_field() {
        let err = TemplateCatalog::parse(
            "version = 1\n[[templates]]\nname = \"Bad Name\"\nlanguage = \"de\"\ncategory = \"utility\"\nbody = \"x\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("templates[0].name"), "{err}");
        let err = TemplateCatalog::parse(
            "version = 1\n[[templates]]\nname = \"ok\"\nlanguage = \"de\"\ncategory = \"utility\"\nbody = \"x\"\nstatus = \"approved\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("templates[0].status"), "{err}");
    }

    fn new_template(body: &str, examples: &[&str]) -> NewTemplate {
        NewTemplate {
            name: "order_update".into(),
            language: "en".into(),
            category: "UTILITY".into(),
            body: body.into(),
            examples: examples.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn a_submission_is_checked_as_meta_would() {
        assert_eq!(
            new_template("Hi {{1}}, order {{2}} ships", &["Anna", "100234"]).validate(),
            Ok(())
        );
        let field = |t: NewTemplate| t.validate().unwrap_err().0;
        assert_eq!(field(new_template("Hi {{1}} {{3}}", &["a", "b"])), "body");
        assert_eq!(field(new_template("Hi {{2}}", &["a"])), "body");
        assert_eq!(field(new_template("Hi {{name}}", &["a"])), "body");
        assert_eq!(field(new_template("Hi {{1}}", &[])), "examples");
        assert_eq!(field(new_template("Hi {{1}}", &[" "])), "examples");
        assert_eq!(field(new_template(&"x".repeat(1025), &[])), "body");
        assert_eq!(new_template(&"x".repeat(1024), &[]).validate(), Ok(()));
        let mut t = new_template("Hi", &[]);
        t.name = "Order Update".into();
        assert_eq!(field(t.clone()), "name");
        t.name = "a".repeat(513);
        assert_eq!(field(t.clone()), "name");
        t.name = "a".repeat(512);
        assert_eq!(t.validate(), Ok(()));
        t.category = "PROMOTION".into();
        assert_eq!(field(t.clone()), "category");
        t.category = "marketing".into();
        assert_eq!(t.validate(), Ok(()));
    }

    fn change(event: &str, when: &str) -> StatusChange {
        StatusChange {
            id: Some("77".into()),
            name: "order_update".into(),
            language: "en".into(),
            event: event.into(),
            reason: Some("NONE".into()),
            at: at(when),
        }
    }

    fn with_pending() -> TemplateCatalog {
        let mut c = TemplateCatalog::default_catalog();
        c.upsert(new_template("Hi {{1}}", &["Anna"]).pending("77", "PENDING", at(T0)));
        c
    }

    #[test]
    fn a_status_update_is_applied_once_and_never_moves_back_in_time() {
        let mut c = with_pending();
        assert_eq!(
            c.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z")),
            StatusOutcome::Applied
        );
        assert!(c.find("order_update", "en").unwrap().is_approved());
        let before = c.clone();
        // Meta delivers again.
        assert_eq!(
            c.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z")),
            StatusOutcome::Duplicate
        );
        // An older PENDING arriving late does not resurrect the review.
        assert_eq!(
            c.apply_status(&change("PENDING", "2026-11-30T09:01:00Z")),
            StatusOutcome::Stale
        );
        assert_eq!(c, before);
        let mut paused = change("PAUSED", "2026-11-30T10:00:00Z");
        paused.reason = Some("LOW_QUALITY".into());
        assert_eq!(c.apply_status(&paused), StatusOutcome::Applied);
        let t = c.find("order_update", "en").unwrap();
        assert_eq!(
            (t.status(), t.reason.as_deref()),
            ("PAUSED", Some("LOW_QUALITY"))
        );
        assert_eq!(
            c.apply_status(&change("LOCKED", "2026-11-30T11:00:00Z")),
            StatusOutcome::NotAStatus
        );
        let mut other = change("APPROVED", "2026-11-30T11:00:00Z");
        other.id = Some("999".into());
        other.name = "elsewhere".into();
        assert_eq!(c.apply_status(&other), StatusOutcome::Unknown);
    }

    #[test]
    fn meta_s_approval_in_the_same_second_as_the_submission_is_applied() {
        // Meta's webhook time has whole seconds; the submission was stored at .700 s.
        let mut c = TemplateCatalog::default_catalog();
        c.upsert(new_template("Hi {{1}}", &["Anna"]).pending(
            "77",
            "PENDING",
            at("2026-11-30T09:00:00.700Z"),
        ));
        assert_eq!(
            c.apply_status(&change("APPROVED", "2026-11-30T09:00:00Z")),
            StatusOutcome::Applied
        );
    }

    #[test]
    fn a_sync_keeps_the_status_time_of_what_did_not_change() {
        let c = with_pending();
        let mut meta = c.all().to_vec();
        for t in &mut meta {
            t.status = Some(t.status().to_owned());
            t.status_at = None;
        }
        let once = c.synced(meta.clone(), at("2026-11-30T12:00:00Z"));
        let twice = once.synced(meta, at("2026-11-30T13:00:00Z"));
        assert_eq!(once, twice, "an unchanged account makes the same catalogue");
        assert_eq!(
            twice.find("order_update", "en").unwrap().status_at,
            Some(at(T0))
        );
    }

    #[test]
    fn a_draft_rebased_on_meta_s_change_keeps_the_admin_s_edits_and_takes_meta_s_statuses() {
        let base = with_pending();
        // The admin's draft: a clearer footer on ticket_update de, follow_up de hidden from
        // agents by hand (PAUSED), csat_survey en removed, a hand-written template added.
        let mut draft = base.clone();
        let mut footer = draft.find("ticket_update", "de").unwrap().clone();
        footer.footer = Some("Ihr Nordlicht-Team".into());
        draft.upsert(footer);
        let mut hidden = draft.find("follow_up", "de").unwrap().clone();
        hidden.status = Some("PAUSED".into());
        draft.upsert(hidden);
        draft
            .templates
            .retain(|t| !(t.name == "csat_survey" && t.language == "en"));
        let mut own = draft.find("follow_up", "en").unwrap().clone();
        own.name = "winter_sale".into();
        draft.upsert(own);
        // Meta meanwhile: order_update approved, ticket_update de paused, follow_up en deleted,
        // a new template.
        let mut next = base.clone();
        next.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z"));
        let mut paused = next.find("ticket_update", "de").unwrap().clone();
        paused.status = Some("PAUSED".into());
        paused.status_at = Some(at("2026-11-30T09:06:00Z"));
        next.upsert(paused);
        next.templates
            .retain(|t| !(t.name == "follow_up" && t.language == "en"));
        let mut fresh = next.find("follow_up", "de").unwrap().clone();
        fresh.name = "new_at_meta".into();
        next.upsert(fresh);

        let rebased = draft.rebased(&base, &next);

        let t = rebased.find("ticket_update", "de").unwrap();
        assert_eq!(
            t.footer.as_deref(),
            Some("Ihr Nordlicht-Team"),
            "the admin's edit"
        );
        assert_eq!(t.status(), "PAUSED", "Meta's status");
        assert_eq!(t.status_at, Some(at("2026-11-30T09:06:00Z")));
        assert_eq!(
            rebased.find("follow_up", "de").unwrap().status(),
            "PAUSED",
            "Meta did not change it: the admin's status stays"
        );
        assert!(rebased.find("csat_survey", "en").is_none(), "stays removed");
        assert!(
            rebased.find("winter_sale", "en").is_some(),
            "the admin's own"
        );
        assert!(rebased.find("follow_up", "en").is_none(), "deleted at Meta");
        assert!(rebased.find("new_at_meta", "de").is_some(), "new at Meta");
        assert!(rebased.find("order_update", "en").unwrap().is_approved());
        // A draft without edits becomes what is published.
        assert!(base.rebased(&base, &next).same_templates(&next));
    }
}
