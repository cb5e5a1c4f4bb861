//! The bot's configuration file (TOML, see `config/bot.toml`): parsed and checked once at
//! start. Every error names the field and, where it can, the line.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::matcher::Matcher;

/// The default configuration shipped with the code (a German + English online shop).
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/bot.toml");

/// Reply buttons: at most three, titles of at most 20 characters.
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE: usize = 20;
/// Lists: at most ten rows, row titles of at most 24 characters.
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
pub const MAX_TEXT: usize = 4096;

const PLACEHOLDERS: &[&str] = &[
    "customer_name",
    "company",
    "order_id",
    "order_status",
    "carrier",
    "tracking_url",
    "eta",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Normal, Self::High, Self::Urgent]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Why the bot hands a ticket to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    Urgent,
    Complaint,
    Request,
    FailedAttempts,
    BotTimeLimit,
    Media,
    OrderLookupFailed,
}

impl HandoffReason {
    const ALL: [Self; 7] = [
        Self::Urgent,
        Self::Complaint,
        Self::Request,
        Self::FailedAttempts,
        Self::BotTimeLimit,
        Self::Media,
        Self::OrderLookupFailed,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Complaint => "complaint",
            Self::Request => "request",
            Self::FailedAttempts => "failed_attempts",
            Self::BotTimeLimit => "bot_time_limit",
            Self::Media => "media",
            Self::OrderLookupFailed => "order_lookup_failed",
        }
    }
}

/// A text in each language; the default language is required.
pub type Localized = BTreeMap<Lang, String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_failed_attempts: u32,
    pub bot_time_limit_minutes: u32,
    pub match_threshold: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderIdRule {
    pub min_digits: usize,
    pub max_digits: usize,
}

impl OrderIdRule {
    pub fn accepts(&self, s: &str) -> bool {
        (self.min_digits..=self.max_digits).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_digit())
    }

    /// The first order-number-like word in a text.
    pub fn find_in(&self, text: &str) -> Option<String> {
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| self.accepts(w))
            .map(str::to_owned)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffPriorities {
    pub urgent: Priority,
    pub complaint: Priority,
    pub request: Priority,
    pub failed_attempts: Priority,
    pub bot_time_limit: Priority,
    pub media: Priority,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffWords {
    pub urgent: Vec<String>,
    pub complaint: Vec<String>,
    pub request: Vec<String>,
    pub priority: HandoffPriorities,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
    pub id: String,
    pub flow: String,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuSpec {
    pub items: Vec<String>,
    pub titles: BTreeMap<Lang, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub greeting: String,
    pub menu: String,
    pub menu_button: String,
    pub fallback: String,
    pub confirm: String,
    pub confirm_yes: String,
    pub confirm_no: String,
    pub resolved: String,
    pub not_helped: String,
    pub handoff: String,
    pub handoff_urgent: String,
    pub media_received: String,
    pub media_handoff: String,
    pub order_lookup_failed: String,
    pub order_not_found: String,
    /// The shop could not tie the order to the customer's number: ask for the postcode.
    pub order_ask_postcode: String,
    /// The postcode did not match either: a person takes over.
    pub order_not_verified: String,
    pub order_found: String,
    pub order_shipped: String,
    pub order_delivered: String,
    pub order_processing: String,
}

impl Texts {
    fn all(&self) -> [(&'static str, &str); 21] {
        [
            ("greeting", &self.greeting),
            ("menu", &self.menu),
            ("menu_button", &self.menu_button),
            ("fallback", &self.fallback),
            ("confirm", &self.confirm),
            ("confirm_yes", &self.confirm_yes),
            ("confirm_no", &self.confirm_no),
            ("resolved", &self.resolved),
            ("not_helped", &self.not_helped),
            ("handoff", &self.handoff),
            ("handoff_urgent", &self.handoff_urgent),
            ("media_received", &self.media_received),
            ("media_handoff", &self.media_handoff),
            ("order_lookup_failed", &self.order_lookup_failed),
            ("order_not_found", &self.order_not_found),
            ("order_ask_postcode", &self.order_ask_postcode),
            ("order_not_verified", &self.order_not_verified),
            ("order_found", &self.order_found),
            ("order_shipped", &self.order_shipped),
            ("order_delivered", &self.order_delivered),
            ("order_processing", &self.order_processing),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaPolicy {
    /// Thank the customer and carry on.
    #[default]
    Acknowledge,
    /// A person looks at it.
    Handoff,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    pub start: String,
    #[serde(default)]
    pub on_media: MediaPolicy,
    pub steps: BTreeMap<String, StepSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub id: String,
    pub title: Localized,
    #[serde(default)]
    pub words: Vec<String>,
    pub next: String,
}

/// One step of a flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    /// Ask for a slot (only `order_id` exists today), check it, go on.
    Ask {
        slot: String,
        text: Localized,
        invalid: Localized,
        next: String,
    },
    /// Look the order up in the shop and answer with its status.
    OrderLookup,
    /// A self-service answer; the bot then asks whether it helped.
    Answer { text: Localized },
    /// A question with two or more options (buttons, or a list when more than three).
    Choice {
        text: Localized,
        options: Vec<OptionSpec>,
    },
    /// Hand over to a person.
    Handoff { reason: HandoffReason },
    /// The customer is satisfied: resolved by the bot.
    Resolve,
    /// Show the main menu.
    Menu,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfigFile {
    pub version: u32,
    pub company: String,
    pub default_language: Lang,
    pub limits: Limits,
    pub order_lookup: OrderIdRule,
    pub handoff: HandoffWords,
    pub synonyms: BTreeMap<String, Vec<String>>,
    pub intents: Vec<IntentSpec>,
    pub menu: MenuSpec,
    pub texts: BTreeMap<Lang, Texts>,
    pub flows: BTreeMap<String, FlowSpec>,
}

/// Why a bot configuration file cannot be used.
pub type BotConfigError = crate::config::ConfigFileError;

/// A checked configuration, with its matcher built.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub file: BotConfigFile,
    pub matcher: Matcher,
    /// Handoff words, normalized, split into words.
    pub urgent: Vec<Vec<String>>,
    pub complaint: Vec<Vec<String>>,
    pub request: Vec<Vec<String>>,
}

impl BotConfig {
    /// The configuration shipped in `config/bot.toml`.
    pub fn default_shop() -> Self {
        Self::parse(DEFAULT_CONFIG, "config/bot.toml")
            .expect("the shipped bot configuration is valid")
    }

    pub fn load(path: &std::path::Path) -> Result<Self, BotConfigError> {
        let (source, origin) = crate::config::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    /// Parses and checks `source`; `origin` names it in errors (a path).
    pub fn parse(source: &str, origin: &str) -> Result<Self, BotConfigError> {
        let file: BotConfigFile = crate::config::parse_toml(source, origin)?;
        validate(&file, source, origin)?;
        let synonyms: Vec<(String, Vec<String>)> = file
            .synonyms
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let intents: Vec<(String, Vec<String>)> = file
            .intents
            .iter()
            .map(|i| (i.id.clone(), i.examples.clone()))
            .collect();
        let matcher = Matcher::new(&synonyms, &intents);
        let words = |list: &[String]| -> Vec<Vec<String>> {
            list.iter()
                .map(|w| {
                    super::matcher::normalize(w)
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect()
                })
                .collect()
        };
        Ok(Self {
            urgent: words(&file.handoff.urgent),
            complaint: words(&file.handoff.complaint),
            request: words(&file.handoff.request),
            matcher,
            file,
        })
    }

    pub fn texts(&self, lang: Lang) -> &Texts {
        self.file
            .texts
            .get(&lang)
            .or_else(|| self.file.texts.get(&self.file.default_language))
            .expect("validated: the default language has texts")
    }

    /// A localized text, falling back to the default language.
    pub fn pick<'c>(&'c self, text: &'c Localized, lang: Lang) -> &'c str {
        text.get(&lang)
            .or_else(|| text.get(&self.file.default_language))
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn intent(&self, id: &str) -> Option<&IntentSpec> {
        self.file.intents.iter().find(|i| i.id == id)
    }

    pub fn priority(&self, reason: HandoffReason) -> Priority {
        let p = &self.file.handoff.priority;
        match reason {
            HandoffReason::Urgent => p.urgent,
            HandoffReason::Complaint => p.complaint,
            HandoffReason::Request => p.request,
            HandoffReason::FailedAttempts => p.failed_attempts,
            HandoffReason::BotTimeLimit => p.bot_time_limit,
            HandoffReason::Media | HandoffReason::OrderLookupFailed => p.media,
        }
    }
}

struct Checker<'a> {
    source: &'a str,
    origin: &'a str,
}

impl Checker<'_> {
    fn fail(
        &self,
        field: impl Into<String>,
        near: Option<&str>,
        problem: impl Into<String>,
    ) -> BotConfigError {
        BotConfigError::invalid(self.origin, field, problem)
            .at_line(near.and_then(|v| crate::config::line_of(self.source, v)))
    }

    fn text(&self, field: &str, text: &str) -> Result<(), BotConfigError> {
        if text.trim().is_empty() {
            return Err(self.fail(field, None, "is empty"));
        }
        if text.chars().count() > MAX_TEXT {
            return Err(self.fail(field, None, format!("is longer than {MAX_TEXT} characters")));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(self.fail(
                    field,
                    Some(name),
                    format!(
                        "unknown placeholder {{{name}}}; known: {}",
                        PLACEHOLDERS.join(", ")
                    ),
                ));
            }
            rest = &after[close + 1..];
        }
        Ok(())
    }

    fn localized(
        &self,
        field: &str,
        text: &Localized,
        default: Lang,
    ) -> Result<(), BotConfigError> {
        if !text.contains_key(&default) {
            return Err(self.fail(
                field,
                None,
                format!("has no text for the default language {}", default.code()),
            ));
        }
        for (lang, t) in text {
            self.text(&format!("{field}.{}", lang.code()), t)?;
        }
        Ok(())
    }

    fn title(&self, field: &str, title: &str, max: usize) -> Result<(), BotConfigError> {
        let n = title.chars().count();
        if n == 0 || n > max {
            return Err(self.fail(
                field,
                Some(title),
                format!("must be 1-{max} characters (WhatsApp limit), is {n}"),
            ));
        }
        Ok(())
    }
}

fn validate(file: &BotConfigFile, source: &str, origin: &str) -> Result<(), BotConfigError> {
    let c = Checker { source, origin };
    if file.version != 1 {
        return Err(c.fail(
            "version",
            None,
            format!("is {}, this code reads version 1", file.version),
        ));
    }
    if file.company.trim().is_empty() {
        return Err(c.fail("company", None, "is empty"));
    }
    let default = file.default_language;
    if !file.texts.contains_key(&default) {
        return Err(c.fail(
            "texts",
            None,
            format!("has no [texts.{}] for the default language", default.code()),
        ));
    }
    for (lang, texts) in &file.texts {
        for (name, text) in texts.all() {
            c.text(&format!("texts.{}.{name}", lang.code()), text)?;
        }
        c.title(
            &format!("texts.{}.menu_button", lang.code()),
            &texts.menu_button,
            MAX_BUTTON_TITLE,
        )?;
        c.title(
            &format!("texts.{}.confirm_yes", lang.code()),
            &texts.confirm_yes,
            MAX_BUTTON_TITLE,
        )?;
        c.title(
            &format!("texts.{}.confirm_no", lang.code()),
            &texts.confirm_no,
            MAX_BUTTON_TITLE,
        )?;
    }
    let l = &file.limits;
    if !(1..=10).contains(&l.max_failed_attempts) {
        return Err(c.fail("limits.max_failed_attempts", None, "must be 1-10"));
    }
    if !(1..=1440).contains(&l.bot_time_limit_minutes) {
        return Err(c.fail("limits.bot_time_limit_minutes", None, "must be 1-1440"));
    }
    if !(0.05..=1.0).contains(&l.match_threshold) {
        return Err(c.fail(
            "limits.match_threshold",
            None,
            "must be between 0.05 and 1.0",
        ));
    }
    let o = &file.order_lookup;
    if o.min_digits == 0 || o.min_digits > o.max_digits || o.max_digits > 20 {
        return Err(c.fail(
            "order_lookup",
            None,
            "needs 1 <= min_digits <= max_digits <= 20",
        ));
    }
    for (name, words) in [
        ("handoff.urgent", &file.handoff.urgent),
        ("handoff.complaint", &file.handoff.complaint),
        ("handoff.request", &file.handoff.request),
    ] {
        if let Some(w) = words
            .iter()
            .find(|w| super::matcher::normalize(w).trim().is_empty())
        {
            return Err(c.fail(name, Some(w), "contains an empty word"));
        }
    }

    let mut ids = HashSet::new();
    for (i, intent) in file.intents.iter().enumerate() {
        let field = format!("intents[{i}]");
        if !ids.insert(intent.id.as_str()) {
            return Err(c.fail(
                format!("{field}.id"),
                Some(&intent.id),
                format!("intent {:?} is defined twice", intent.id),
            ));
        }
        if !file.flows.contains_key(&intent.flow) {
            return Err(c.fail(
                format!("{field}.flow"),
                Some(&intent.flow),
                format!("no flow named {:?}", intent.flow),
            ));
        }
        if intent.examples.iter().all(|e| e.trim().is_empty()) {
            return Err(c.fail(
                format!("{field}.examples"),
                Some(&intent.id),
                "needs at least one example",
            ));
        }
    }

    let menu = &file.menu;
    if menu.items.is_empty() || menu.items.len() > MAX_LIST_ROWS {
        return Err(c.fail(
            "menu.items",
            None,
            format!("must have 1-{MAX_LIST_ROWS} items"),
        ));
    }
    let max_title = if menu.items.len() <= MAX_BUTTONS {
        MAX_BUTTON_TITLE
    } else {
        MAX_ROW_TITLE
    };
    for item in &menu.items {
        if !ids.contains(item.as_str()) {
            return Err(c.fail(
                "menu.items",
                Some(item),
                format!("{item:?} is not an intent id"),
            ));
        }
        for lang in file.texts.keys() {
            let field = format!("menu.titles.{}.{item}", lang.code());
            let title = menu
                .titles
                .get(lang)
                .and_then(|t| t.get(item))
                .ok_or_else(|| c.fail(&field, Some(item), "is missing"))?;
            c.title(&field, title, max_title)?;
        }
    }

    for (name, flow) in &file.flows {
        let field = format!("flows.{name}");
        if !flow.steps.contains_key(&flow.start) {
            return Err(c.fail(
                format!("{field}.start"),
                Some(&flow.start),
                format!("no step named {:?}", flow.start),
            ));
        }
        for (step_name, step) in &flow.steps {
            let field = format!("{field}.steps.{step_name}");
            let next_exists = |next: &str, at: String| {
                if flow.steps.contains_key(next) {
                    Ok(())
                } else {
                    Err(c.fail(
                        at,
                        Some(next),
                        format!("no step named {next:?} in flow {name}"),
                    ))
                }
            };
            match step {
                StepSpec::Ask {
                    slot,
                    text,
                    invalid,
                    next,
                } => {
                    if slot != "order_id" {
                        return Err(c.fail(
                            format!("{field}.slot"),
                            Some(slot),
                            "the only slot is \"order_id\"",
                        ));
                    }
                    c.localized(&format!("{field}.text"), text, default)?;
                    c.localized(&format!("{field}.invalid"), invalid, default)?;
                    next_exists(next, format!("{field}.next"))?;
                }
                StepSpec::Answer { text } => {
                    c.localized(&format!("{field}.text"), text, default)?
                }
                StepSpec::Choice { text, options } => {
                    c.localized(&format!("{field}.text"), text, default)?;
                    if options.len() < 2 || options.len() > MAX_LIST_ROWS {
                        return Err(c.fail(
                            format!("{field}.options"),
                            None,
                            format!("needs 2-{MAX_LIST_ROWS} options"),
                        ));
                    }
                    let max = if options.len() <= MAX_BUTTONS {
                        MAX_BUTTON_TITLE
                    } else {
                        MAX_ROW_TITLE
                    };
                    let mut option_ids = HashSet::new();
                    for (i, o) in options.iter().enumerate() {
                        let of = format!("{field}.options[{i}]");
                        if !option_ids.insert(o.id.as_str()) {
                            return Err(c.fail(format!("{of}.id"), Some(&o.id), "is used twice"));
                        }
                        c.localized(&format!("{of}.title"), &o.title, default)?;
                        for (lang, t) in &o.title {
                            c.title(&format!("{of}.title.{}", lang.code()), t, max)?;
                        }
                        next_exists(&o.next, format!("{of}.next"))?;
                    }
                }
                StepSpec::OrderLookup
                | StepSpec::Handoff { .. }
                | StepSpec::Resolve
                | StepSpec::Menu => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configuration_is_valid() {
        let config = BotConfig::default_shop();
        assert_eq!(config.file.company, "Nordlicht Mode");
        assert_eq!(config.file.menu.items, ["order_status", "returns", "human"]);
    }

    fn broken(from: &str, to: &str) -> String {
        assert!(
            DEFAULT_CONFIG.contains(from),
            "fixture text {from:?} not in the config"
        );
        let source = DEFAULT_CONFIG.replacen(from, to, 1);
        BotConfig::parse(&source, "bot.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let err = broken("company = \"Nordlicht Mode\"", "company = Nordlicht Mode");
        let line = DEFAULT_CONFIG
            .lines()
            .position(|l| l.starts_with("company = "))
            .unwrap()
            + 1;
        assert!(err.starts_with(&format!("bot.toml: line {line}:")), "{err}");
    }

    #[test]
    fn a_missing_text_names_the_field() {
        let err = broken(
            "handoff_urgent = \"Wir verbinden Sie sofort",
            "handoff_urgnt = \"Wir verbinden Sie sofort",
        );
        assert!(
            err.contains("handoff_urgnt") || err.contains("handoff_urgent"),
            "{err}"
        );
    }

    #[test]
    fn a_dangling_step_reference_names_field_and_line() {
        let err = broken("next = \"lookup\"", "next = \"lokup\"");
        assert!(
            err.contains("flows.order_status.steps.ask_order_id.next"),
            "{err}"
        );
        assert!(err.contains("line "), "{err}");
        assert!(err.contains("no step named \"lokup\""), "{err}");
    }

    #[test]
    fn a_button_title_over_whatsapps_limit_is_refused() {
        let err = broken(
            "order_status = \"Bestellstatus\"",
            "order_status = \"Wo ist meine Bestellung bloß\"",
        );
        assert!(
            err.contains("menu.titles.de.order_status") && err.contains("1-20 characters"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_refused() {
        let err = broken("Hallo {customer_name}!", "Hallo {kunde}!");
        assert!(
            err.contains("texts.de.greeting") && err.contains("unknown placeholder {kunde}"),
            "{err}"
        );
    }

    #[test]
    fn an_intent_pointing_at_a_missing_flow_is_refused() {
        let err = broken("flow = \"returns\"", "flow = \"retours\"");
        assert!(
            err.contains("intents[1].flow") && err.contains("no flow named \"retours\""),
            "{err}"
        );
    }

    #[test]
    fn order_numbers_are_found_and_checked() {
        let rule = OrderIdRule {
            min_digits: 5,
            max_digits: 8,
        };
        assert_eq!(
            rule.find_in("Bestellung 100234 bitte"),
            Some("100234".into())
        );
        assert_eq!(rule.find_in("#12-34"), None);
        assert!(rule.accepts("12345") && !rule.accepts("1234") && !rule.accepts("123456789"));
    }
}
