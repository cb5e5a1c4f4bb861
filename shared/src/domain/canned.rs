//! Canned responses (`config/canned-responses.toml`): replies agents insert in the agent
//! workspace and edit before sending. Each is global, a team's, or one agent's own; its text may
//! use variables (`{{customer_name}}`) filled in when it is inserted. Checked on every save;
//! errors name the field and, where it can be found, the line.

use serde::{Deserialize, Serialize};

use crate::platform::config::{ConfigFileError, line_of, parse_toml};

/// The catalogue shipped with the code (the seed of a new stack).
pub const DEFAULT_CANNED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/canned-responses.toml"
));

/// What `{{...}}` may name in a text.
pub const VARIABLES: &[&str] = &[
    "customer_name",
    "agent_name",
    "ticket_id",
    "company",
    "order_id",
];
/// WhatsApp's limit for one text message.
const MAX_TEXT: usize = 4096;
const MAX_TITLE: usize = 60;
const MAX_ID: usize = 64;
const MAX_SHORTCUT: usize = 32;
/// Enough for a large team; a longer list is a mistake (an import gone wrong).
const MAX_RESPONSES: usize = 2000;

/// Who sees a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CannedScope {
    Global,
    Team,
    Personal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponse {
    /// Unique, `a-z 0-9 - _`.
    pub id: String,
    pub title: String,
    pub scope: CannedScope,
    /// The team that sees it (only and always with `scope = "team"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The agent who sees it (only and always with `scope = "personal"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A language code (`de`, `en`); none: any language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// What an agent types after `/` to find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    pub text: String,
}

impl CannedResponse {
    /// Whether `agent` of `teams` sees this response.
    pub fn visible_to(&self, agent: &str, teams: &[String]) -> bool {
        match self.scope {
            CannedScope::Global => true,
            CannedScope::Team => self.team.as_ref().is_some_and(|t| teams.contains(t)),
            CannedScope::Personal => self.owner.as_deref() == Some(agent),
        }
    }

    /// Checks one response on its own: the field at fault (`id`, `title`, `team`, `owner`,
    /// `scope`, `language`, `shortcut`, `text`) and the problem.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let r = self;
        let id_ok = !r.id.is_empty()
            && r.id.len() <= MAX_ID
            && r.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            return Err(("id", format!("1-{MAX_ID} of a-z, 0-9, - and _")));
        }
        let title = r.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(("title", format!("needs 1-{MAX_TITLE} characters")));
        }
        match (r.scope, &r.team, &r.owner) {
            (CannedScope::Global, None, None) => {}
            (CannedScope::Team, Some(team), None) if name_ok(team) => {}
            (CannedScope::Personal, None, Some(owner)) if name_ok(owner) => {}
            (CannedScope::Team, _, _) => {
                return Err((
                    "team",
                    "a team response names its team (a-z, 0-9, -, _, .) and no owner".into(),
                ));
            }
            (CannedScope::Personal, _, _) => {
                return Err((
                    "owner",
                    "a personal response names its owner (an agent id) and no team".into(),
                ));
            }
            (CannedScope::Global, _, _) => {
                return Err((
                    "scope",
                    "a global response has neither team nor owner".into(),
                ));
            }
        }
        if let Some(lang) = &r.language {
            let ok = (2..=5).contains(&lang.len())
                && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
            if !ok {
                return Err(("language", "a language code such as de or en_US".into()));
            }
        }
        if let Some(shortcut) = &r.shortcut {
            let ok = !shortcut.is_empty()
                && shortcut.len() <= MAX_SHORTCUT
                && shortcut
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(("shortcut", format!("1-{MAX_SHORTCUT} of a-z, 0-9 and -")));
            }
        }
        check_text(&r.text).map_err(|problem| ("text", problem))
    }

    /// The text with its variables filled in from `values` (name, value); a variable without a
    /// value stays as written, so the agent sees what is missing before sending.
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        let mut out = self.text.clone();
        for (name, value) in values {
            out = out.replace(&format!("{{{{{name}}}}}"), value);
        }
        out
    }

    /// [`render`](Self::render), and the variables of the text that had no value.
    pub fn render_checked(&self, values: &[(&str, &str)]) -> (String, Vec<&'static str>) {
        let missing = unfilled_variables(&self.text)
            .into_iter()
            .filter(|name| {
                !values
                    .iter()
                    .any(|(n, v)| n == name && !v.trim().is_empty())
            })
            .collect();
        let filled: Vec<(&str, &str)> = values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .copied()
            .collect();
        (self.render(&filled), missing)
    }
}

/// The known variables `text` still carries unfilled, written `{{name}}` or `{name}`, in the
/// order of [`VARIABLES`]: a reply with any of them would reach the customer as raw braces.
pub fn unfilled_variables(text: &str) -> Vec<&'static str> {
    VARIABLES
        .iter()
        .copied()
        // `{{name}}` contains `{name}`: one test finds both spellings.
        .filter(|name| text.contains(&format!("{{{name}}}")))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    responses: Vec<CannedResponse>,
}

/// A checked list of canned responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedResponses {
    responses: Vec<CannedResponse>,
}

impl CannedResponses {
    pub fn default_catalog() -> Self {
        Self::parse(DEFAULT_CANNED, "config/canned-responses.toml")
            .expect("the shipped canned responses are valid")
    }

    pub fn all(&self) -> &[CannedResponse] {
        &self.responses
    }

    /// What `agent` (member of `teams`) may insert, global first, then team, then personal.
    pub fn visible_to<'a>(&'a self, agent: &str, teams: &[String]) -> Vec<&'a CannedResponse> {
        let mut out: Vec<&CannedResponse> = self
            .responses
            .iter()
            .filter(|r| r.visible_to(agent, teams))
            .collect();
        out.sort_by_key(|r| match r.scope {
            CannedScope::Global => 0,
            CannedScope::Team => 1,
            CannedScope::Personal => 2,
        });
        out
    }

    /// Parses and checks `source`; `origin` names it in errors.
    pub fn parse(source: &str, origin: &str) -> Result<Self, ConfigFileError> {
        let file: File = parse_toml(source, origin)?;
        let fail = |field: String, at: Option<&str>, problem: String| {
            ConfigFileError::invalid(origin, field, problem)
                .at_line(at.and_then(|v| line_of(source, v)))
        };
        if file.version != 1 {
            return Err(fail("version".into(), None, "must be 1".into()));
        }
        if file.responses.len() > MAX_RESPONSES {
            return Err(fail(
                "responses".into(),
                None,
                format!("at most {MAX_RESPONSES} responses"),
            ));
        }
        for (i, r) in file.responses.iter().enumerate() {
            let field = |name: &str| format!("responses[{i}].{name}");
            if let Err((name, problem)) = r.check() {
                // Where the line can be found: the value at fault, else the response's id.
                let at = match name {
                    "title" => Some(r.title.as_str()),
                    "language" => r.language.as_deref(),
                    "shortcut" => r.shortcut.as_deref(),
                    _ => Some(r.id.as_str()),
                };
                return Err(fail(field(name), at, problem));
            }
            if file.responses[..i].iter().any(|o| o.id == r.id) {
                return Err(fail(field("id"), Some(&r.id), "is used twice".into()));
            }
            if let Some(shortcut) = &r.shortcut
                && file.responses[..i].iter().any(|o| shortcut_clash(o, r))
            {
                return Err(fail(
                    field("shortcut"),
                    Some(shortcut),
                    "another response the same agents see has this shortcut".into(),
                ));
            }
        }
        Ok(Self {
            responses: file.responses,
        })
    }
}

/// A team name or agent id: what routing and the agent API accept.
fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether `a` and `b` share a shortcut for a language, and some agent sees both: the shortcut
/// would be ambiguous.
pub fn shortcut_clash(a: &CannedResponse, b: &CannedResponse) -> bool {
    a.shortcut.is_some()
        && a.shortcut == b.shortcut
        && (a.language == b.language || a.language.is_none() || b.language.is_none())
        && may_overlap(a, b)
}

/// Whether some agent may see both responses.
fn may_overlap(a: &CannedResponse, b: &CannedResponse) -> bool {
    use CannedScope::*;
    match (a.scope, b.scope) {
        (Team, Team) => a.team == b.team,
        (Personal, Personal) => a.owner == b.owner,
        _ => true,
    }
}

/// A text of 1-4096 characters whose `{{...}}` are known variables and whose braces close.
fn check_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("is empty".into());
    }
    if text.chars().count() > MAX_TEXT {
        return Err(format!("is longer than {MAX_TEXT} characters"));
    }
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("a {{ is not closed with }}".into());
        };
        let name = after[..close].trim();
        if !VARIABLES.contains(&name) {
            return Err(format!(
                "unknown variable {{{{{name}}}}}; known: {}",
                VARIABLES.join(", ")
            ));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<CannedResponses, ConfigFileError> {
        CannedResponses::parse(body, "canned")
    }

    fn field_and_line(e: ConfigFileError) -> (String, Option<usize>) {
        match e {
            ConfigFileError::Invalid { field, line, .. } => (field, line),
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn the_shipped_catalogue_is_valid_and_each_agent_sees_their_share() {
        let c = CannedResponses::default_catalog();
        assert!(c.all().len() >= 3);
        let billing = c.visible_to("maria", &["billing".into()]);
        let support = c.visible_to("maria", &["support".into()]);
        assert!(billing.iter().any(|r| r.id == "refund-timeline"));
        assert!(!support.iter().any(|r| r.id == "refund-timeline"));
        assert_eq!(billing[0].scope, CannedScope::Global);
    }

    #[test]
    fn an_unknown_variable_names_the_field_and_line() {
        let body = "version = 1\n\n[[responses]]\nid = \"a\"\ntitle = \"A\"\nscope = \"global\"\ntext = \"Hi {{customer}}\"\n";
        let err = parse(body).unwrap_err();
        assert!(
            err.to_string().contains("unknown variable {{customer}}"),
            "{err}"
        );
        assert_eq!(field_and_line(err), ("responses[0].text".into(), Some(4)));
    }

    #[test]
    fn scope_team_and_owner_must_agree() {
        let with = |extra: &str| {
            format!(
                "version = 1\n[[responses]]\nid = \"a\"\ntitle = \"A\"\n{extra}\ntext = \"x\"\n"
            )
        };
        assert_eq!(
            field_and_line(parse(&with("scope = \"team\"")).unwrap_err()).0,
            "responses[0].team"
        );
        assert_eq!(
            field_and_line(parse(&with("scope = \"personal\"\nteam = \"x\"")).unwrap_err()).0,
            "responses[0].owner"
        );
        assert_eq!(
            field_and_line(parse(&with("scope = \"global\"\nowner = \"maria\"")).unwrap_err()).0,
            "responses[0].scope"
        );
        let mine = parse(&with("scope = \"personal\"\nowner = \"maria\"")).unwrap();
        assert_eq!(mine.visible_to("maria", &[]).len(), 1);
        assert!(mine.visible_to("jonas", &[]).is_empty());
    }

    #[test]
    fn duplicate_ids_and_clashing_shortcuts_are_refused() {
        let two = |a: &str, b: &str| {
            format!(
                "version = 1\n[[responses]]\n{a}\ntitle = \"A\"\ntext = \"x\"\n[[responses]]\n{b}\ntitle = \"B\"\ntext = \"y\"\n"
            )
        };
        let dup = two(
            "id = \"a\"\nscope = \"global\"",
            "id = \"a\"\nscope = \"global\"",
        );
        assert_eq!(
            field_and_line(parse(&dup).unwrap_err()).0,
            "responses[1].id"
        );
        let clash = two(
            "id = \"a\"\nscope = \"global\"\nshortcut = \"hi\"",
            "id = \"b\"\nscope = \"team\"\nteam = \"billing\"\nshortcut = \"hi\"",
        );
        assert_eq!(
            field_and_line(parse(&clash).unwrap_err()).0,
            "responses[1].shortcut"
        );
        // Two teams may each have their own "hi".
        let apart = two(
            "id = \"a\"\nscope = \"team\"\nteam = \"sales\"\nshortcut = \"hi\"",
            "id = \"b\"\nscope = \"team\"\nteam = \"billing\"\nshortcut = \"hi\"",
        );
        assert!(parse(&apart).is_ok());
    }

    #[test]
    fn an_unclosed_variable_and_a_syntax_error_are_refused() {
        let body = "version = 1\n[[responses]]\nid = \"a\"\ntitle = \"A\"\nscope = \"global\"\ntext = \"Hi {{customer_name\"\n";
        assert!(parse(body).unwrap_err().to_string().contains("not closed"));
        let syntax = parse("version = 1\n[[responses]\n").unwrap_err();
        assert!(matches!(syntax, ConfigFileError::Syntax { .. }), "{syntax}");
        assert!(syntax.to_string().contains("line 2"), "{syntax}");
    }

    #[test]
    fn unfilled_variables_are_found_in_either_spelling_and_plain_braces_are_not() {
        assert_eq!(
            unfilled_variables("Hi {{customer_name}}, order {order_id}"),
            vec!["customer_name", "order_id"]
        );
        assert!(unfilled_variables("Hi Ana {smile} {} {{").is_empty());
    }

    #[test]
    fn render_checked_names_what_had_no_value() {
        let c = CannedResponses::default_catalog();
        let greeting = c.all().iter().find(|r| r.id == "greeting-en").unwrap();
        let (text, missing) =
            greeting.render_checked(&[("customer_name", "Ana"), ("agent_name", " ")]);
        assert!(text.starts_with("Hi Ana, this is {{agent_name}}"), "{text}");
        assert_eq!(missing, vec!["agent_name", "company"]);
    }

    #[test]
    fn rendering_fills_known_values_and_leaves_missing_ones_visible() {
        let c = CannedResponses::default_catalog();
        let greeting = c.all().iter().find(|r| r.id == "greeting-en").unwrap();
        let text = greeting.render(&[("customer_name", "Ana"), ("agent_name", "Maria")]);
        assert!(
            text.starts_with("Hi Ana, this is Maria from {{company}}"),
            "{text}"
        );
    }
}
