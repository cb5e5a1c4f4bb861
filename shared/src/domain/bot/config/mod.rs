//! The bot's configuration file (TOML, see `config/bot.toml`): parsed and checked once at
//! start. Every error names the field and, where it can, the line.

use std::sync::{Arc, LazyLock};

use super::matcher::normalize;
use super::model::{Labelled, Model, NONE, Settings, TRAINING, parse_labelled};
use super::understanding::Keywords;

/// The default configuration shipped with the code (a German + English online shop).
pub const DEFAULT_CONFIG: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/bot.toml"));

pub use crate::domain::whatsapp::{
    MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_LIST_ROWS, MAX_ROW_TITLE, MAX_TEXT,
};

mod file;
mod flows;
#[cfg(test)]
mod tests;
mod validate;
mod values;
mod words;

pub use file::*;
pub use flows::*;
use validate::validate;
pub use values::*;
pub use words::{ByLang, Lexicon, WordList, WordLists};

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
    /// The words the handoff rules read (`[words]`, the shipped lists where the file has none).
    pub words: Arc<Lexicon>,
    /// Every menu title in every language as a customer types it (see [`typed_titles`]), with
    /// its intent: made once per configuration, not for every message.
    pub typed_titles: Arc<Vec<(String, String)>>,
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
            words: Arc::new(Lexicon::new(&file.words)),
            typed_titles: Arc::new(typed_titles(&file.menu)),
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

/// Each menu title of every language, normalized with one space between its words (as a typed
/// message is compared with it), with its intent.
fn typed_titles(menu: &MenuSpec) -> Vec<(String, String)> {
    menu.titles
        .values()
        .flatten()
        .map(|(intent, title)| {
            let typed = normalize(title)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            (intent.clone(), typed)
        })
        .collect()
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
