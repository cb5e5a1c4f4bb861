//! The catalogue of approved WhatsApp templates agents may send (`config/templates.toml`): the
//! agent API lists them (the template picker outside the 24 h window) and checks a request's
//! name, language and parameters against it before anything is sent.

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

/// A template catalogue that cannot be used (file, line or field, problem).
pub type TemplateError = crate::platform::config::ConfigFileError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    templates: Vec<ApprovedTemplate>,
}

/// A template as agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedTemplate {
    pub name: String,
    pub language: String,
    pub category: String,
    /// With `{{1}}`, `{{2}}`, ... where parameters go.
    pub body: String,
}

impl ApprovedTemplate {
    /// How many body parameters it takes.
    pub fn params(&self) -> usize {
        (1..=20)
            .take_while(|n| self.body.contains(&format!("{{{{{n}}}}}")))
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
        let invalid = |field: String, problem: &str| TemplateError::invalid(origin, field, problem);
        if file.version != 1 {
            return Err(invalid("version".into(), "must be 1"));
        }
        for (i, t) in file.templates.iter().enumerate() {
            let field = |name: &str| format!("templates[{i}].{name}");
            let name_ok = !t.name.is_empty()
                && t.name.len() <= 512
                && t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !name_ok {
                return Err(invalid(field("name"), "lower-case letters, digits and _"));
            }
            let lang_ok = (2..=5).contains(&t.language.len())
                && t.language
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_');
            if !lang_ok {
                return Err(invalid(
                    field("language"),
                    "a language code such as de or en_US",
                ));
            }
            if !["utility", "marketing", "authentication"].contains(&t.category.as_str()) {
                return Err(invalid(
                    field("category"),
                    "utility, marketing or authentication",
                ));
            }
            if t.body.trim().is_empty() || t.body.chars().count() > 1024 {
                return Err(invalid(field("body"), "1-1024 characters"));
            }
            let repeated = file.templates[..i]
                .iter()
                .any(|o| o.name == t.name && o.language == t.language);
            if repeated {
                return Err(invalid(field("name"), "listed twice for this language"));
            }
        }
        Ok(Self {
            templates: file.templates,
        })
    }

    pub fn all(&self) -> &[ApprovedTemplate] {
        &self.templates
    }

    /// The template to send, or what is wrong with the request (field, problem).
    pub fn build(
        &self,
        name: &str,
        language: &str,
        params: &[String],
    ) -> Result<Template, (&'static str, String)> {
        let Some(t) = self
            .templates
            .iter()
            .find(|t| t.name == name && t.language == language)
        else {
            return Err((
                "name",
                format!("no approved template '{name}' in language '{language}'"),
            ));
        };
        if params.len() != t.params() {
            return Err((
                "params",
                format!(
                    "'{name}' takes {} parameters, got {}",
                    t.params(),
                    params.len()
                ),
            ));
        }
        if let Some(p) = params
            .iter()
            .find(|p| p.trim().is_empty() || p.chars().count() > MAX_PARAM || p.contains('\n'))
        {
            return Err((
                "params",
                format!(
                    "each parameter needs 1-{MAX_PARAM} characters on one line, got {} characters",
                    p.chars().count()
                ),
            ));
        }
        let components = if params.is_empty() {
            Vec::new()
        } else {
            vec![json!({
                "type": "body",
                "parameters": params.iter().map(|p| json!({"type": "text", "text": p})).collect::<Vec<_>>(),
            })]
        };
        Ok(Template {
            name: t.name.clone(),
            language: t.language.clone(),
            components,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_is_valid_and_counts_parameters() {
        let c = TemplateCatalog::default_catalog();
        let update = c.all().iter().find(|t| t.name == "ticket_update").unwrap();
        assert_eq!(update.params(), 2);
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
        assert_eq!(c.build("nope", "de", &[]).unwrap_err().0, "name");
        assert_eq!(c.build("ticket_update", "fr", &[]).unwrap_err().0, "name");
        assert_eq!(
            c.build("ticket_update", "de", &["Anna".into()])
                .unwrap_err()
                .0,
            "params"
        );
        assert_eq!(
            c.build("follow_up", "en", &["a\nb".into()]).unwrap_err().0,
            "params"
        );
    }

    #[test]
    fn a_bad_catalogue_names_the_field() {
        let err = TemplateCatalog::parse(
            "version = 1\n[[templates]]\nname = \"Bad Name\"\nlanguage = \"de\"\ncategory = \"utility\"\nbody = \"x\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("templates[0].name"), "{err}");
    }
}
