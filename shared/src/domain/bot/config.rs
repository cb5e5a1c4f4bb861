//! The bot's configuration file (TOML, see `config/bot.toml`): parsed and checked once at
//! start. Every error names the field and, where it can, the line.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use super::model::{Labelled, Model, NONE, Settings, TRAINING, parse_labelled};
use super::understanding::Keywords;

/// The default configuration shipped with the code (a German + English online shop).
pub const DEFAULT_CONFIG: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/bot.toml"));

pub use crate::domain::whatsapp::{
    MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_LIST_ROWS, MAX_ROW_TITLE, MAX_TEXT,
};

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
    /// Fraud or account misuse: its own team and SLA (category "fraud").
    Fraud,
}

impl HandoffReason {
    const ALL: [Self; 8] = [
        Self::Urgent,
        Self::Fraud,
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
            Self::Fraud => "fraud",
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
    /// The intent model's probability at which the bot acts on a message.
    pub match_threshold: f64,
    /// Below `match_threshold` but at least this: ask back with the two best intents.
    #[serde(default)]
    pub clarify_threshold: Option<f64>,
    /// At least `match_threshold`: the probability at which the bot enters an intent whose flow
    /// hands over at once (fraud, complaint, a person); below it, it asks back.
    #[serde(default)]
    pub handoff_threshold: Option<f64>,
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
    #[serde(default = "urgent")]
    pub fraud: Priority,
}

fn urgent() -> Priority {
    Priority::Urgent
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffWords {
    pub urgent: Vec<String>,
    /// Fraud and account misuse: handed to the fraud team at once.
    #[serde(default)]
    pub fraud: Vec<String>,
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
    /// Asking back when the bot is unsure, above the two likeliest intents as buttons.
    pub clarify: String,
    /// Confirming an opt-out or opt-in asked for in the customer's words.
    pub opt_out_ask: String,
    pub opt_out_yes: String,
    pub opt_in_ask: String,
    pub opt_in_yes: String,
    pub consent_unchanged: String,
    /// The reply to a message about nothing the bot offers, above the menu (without it: the
    /// fallback).
    #[serde(default)]
    pub off_topic: Option<String>,
}

impl Texts {
    fn all(&self) -> [(&'static str, &str); 27] {
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
            ("clarify", &self.clarify),
            ("opt_out_ask", &self.opt_out_ask),
            ("opt_out_yes", &self.opt_out_yes),
            ("opt_in_ask", &self.opt_in_ask),
            ("opt_in_yes", &self.opt_in_yes),
            ("consent_unchanged", &self.consent_unchanged),
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
    /// Ask the customer to confirm an opt-out or opt-in, then record it.
    Consent {
        change: crate::domain::consent::Keyword,
    },
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
pub type BotConfigError = crate::platform::config_file::ConfigFileError;

/// A checked configuration, with its intent model trained.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub file: BotConfigFile,
    /// Trained from the intents' examples and `training` (shared: cloning a configuration does
    /// not copy it).
    pub model: Arc<Model>,
    /// Labelled customer messages the model learns from besides the intents' examples: the
    /// shipped training split, for the intents this configuration has.
    pub training: Arc<Vec<Labelled>>,
    /// Handoff words.
    pub urgent: Keywords,
    pub fraud: Keywords,
    pub complaint: Keywords,
    pub request: Keywords,
}

static SHOP: LazyLock<BotConfig> = LazyLock::new(|| {
    BotConfig::parse(DEFAULT_CONFIG, "config/bot.toml")
        .expect("the shipped bot configuration is valid")
});

impl BotConfig {
    /// The configuration shipped in `config/bot.toml` (trained once per process).
    pub fn default_shop() -> Self {
        SHOP.clone()
    }

    pub fn load(path: &std::path::Path) -> Result<Self, BotConfigError> {
        let (source, origin) = crate::platform::config_file::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    /// Parses and checks `source`; `origin` names it in errors (a path).
    pub fn parse(source: &str, origin: &str) -> Result<Self, BotConfigError> {
        let file: BotConfigFile = crate::platform::config_file::parse_toml(source, origin)?;
        validate(&file, source, origin)?;
        let shipped = parse_labelled(TRAINING)
            .map_err(|e| BotConfigError::invalid("config/bot-train.tsv", "training split", e))?;
        let training: Vec<Labelled> = shipped
            .into_iter()
            .filter(|e| e.label == NONE || file.intents.iter().any(|i| i.id == e.label))
            .collect();
        Ok(Self::build(file, training))
    }

    fn build(file: BotConfigFile, training: Vec<Labelled>) -> Self {
        let model = train(&file, &training, Settings::default());
        Self {
            urgent: Keywords::new(&file.handoff.urgent),
            fraud: Keywords::new(&file.handoff.fraud),
            complaint: Keywords::new(&file.handoff.complaint),
            request: Keywords::new(&file.handoff.request),
            model,
            training: Arc::new(training),
            file,
        }
    }

    /// Trains the model again from the intents' examples and the training messages: call it
    /// after changing either (an admin adding an example takes effect at once).
    pub fn retrain(&mut self) {
        self.retrain_with(Settings::default());
    }

    /// [`BotConfig::retrain`] with other model settings (for choosing them).
    pub fn retrain_with(&mut self, settings: Settings) {
        self.model = train(&self.file, &self.training, settings);
    }

    /// Adds `text` as an example of `intent` and retrains. Refuses an unknown intent or an
    /// empty text.
    pub fn add_example(&mut self, intent: &str, text: &str) -> Result<(), BotConfigError> {
        let text = text.trim();
        let Some(i) = self.file.intents.iter().position(|i| i.id == intent) else {
            return Err(BotConfigError::invalid(
                "bot",
                "intent",
                format!("no intent named {intent:?}"),
            ));
        };
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return Err(BotConfigError::invalid(
                "bot",
                format!("intents[{i}].examples"),
                format!("an example needs 1-{MAX_TEXT} characters"),
            ));
        }
        self.file.intents[i].examples.push(text.to_owned());
        self.retrain();
        Ok(())
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
            HandoffReason::Fraud => p.fraud,
        }
    }

    /// The title of an intent in `lang` (for buttons), from `menu.titles`.
    pub fn intent_title(&self, intent: &str, lang: Lang) -> Option<&str> {
        let titles = &self.file.menu.titles;
        titles
            .get(&lang)
            .and_then(|t| t.get(intent))
            .or_else(|| {
                titles
                    .get(&self.file.default_language)
                    .and_then(|t| t.get(intent))
            })
            .map(String::as_str)
    }
}

/// The model for `file`'s intents: their examples plus the training messages (trained once per
/// process for the same inputs, see [`super::model_cache`]).
fn train(file: &BotConfigFile, training: &[Labelled], settings: Settings) -> Arc<Model> {
    let synonyms: Vec<(String, Vec<String>)> = file
        .synonyms
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut examples: Vec<Labelled> = file
        .intents
        .iter()
        .flat_map(|i| {
            i.examples
                .iter()
                .filter(|e| !e.trim().is_empty())
                .map(|e| Labelled {
                    label: i.id.clone(),
                    text: e.clone(),
                })
        })
        .collect();
    examples.extend(training.iter().cloned());
    super::model_cache::trained(&synonyms, &examples, settings)
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
            .at_line(near.and_then(|v| crate::platform::config_file::line_of(self.source, v)))
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
        if let Some(text) = &texts.off_topic {
            c.text(&format!("texts.{}.off_topic", lang.code()), text)?;
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
        for (name, title) in [
            ("opt_out_yes", &texts.opt_out_yes),
            ("opt_in_yes", &texts.opt_in_yes),
        ] {
            c.title(
                &format!("texts.{}.{name}", lang.code()),
                title,
                MAX_BUTTON_TITLE,
            )?;
        }
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
    if let Some(t) = l.clarify_threshold
        && !(0.0..=l.match_threshold).contains(&t)
    {
        return Err(c.fail(
            "limits.clarify_threshold",
            None,
            "must be between 0 and limits.match_threshold",
        ));
    }
    if let Some(t) = l.handoff_threshold
        && !(l.match_threshold..=1.0).contains(&t)
    {
        return Err(c.fail(
            "limits.handoff_threshold",
            None,
            "must be between limits.match_threshold and 1.0",
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
        ("handoff.fraud", &file.handoff.fraud),
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

    for (lang, titles) in &menu.titles {
        for (id, title) in titles {
            let field = format!("menu.titles.{}.{id}", lang.code());
            if !ids.contains(id.as_str()) {
                return Err(c.fail(&field, Some(id), format!("{id:?} is not an intent id")));
            }
            // Any intent may be a button when the bot asks back.
            c.title(&field, title, MAX_BUTTON_TITLE)?;
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
                | StepSpec::Menu
                | StepSpec::Consent { .. } => {}
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

    #[test]
    fn building_a_configuration_again_reuses_its_model_and_an_edit_retrains() {
        let first = BotConfig::parse(DEFAULT_CONFIG, "bot.toml").unwrap();
        let again = BotConfig::parse(DEFAULT_CONFIG, "draft v2").unwrap();
        assert!(Arc::ptr_eq(&first.model, &again.model));
        assert!(Arc::ptr_eq(&first.model, &BotConfig::default_shop().model));

        let mut edited = again.clone();
        edited
            .add_example("returns", "das kleid passt nicht, zurück damit")
            .unwrap();
        assert!(!Arc::ptr_eq(&first.model, &edited.model));
        // The edit published and loaded elsewhere: the model trained for the edit.
        let mut same_edit = first.clone();
        same_edit
            .add_example("returns", "das kleid passt nicht, zurück damit")
            .unwrap();
        assert!(Arc::ptr_eq(&edited.model, &same_edit.model));
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
    fn a_handoff_threshold_below_the_match_threshold_is_refused() {
        let err = broken("handoff_threshold = 0.55", "handoff_threshold = 0.3");
        assert!(err.contains("limits.handoff_threshold"), "{err}");
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
