//! The sections of the bot's configuration file, as read from TOML.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{FlowSpec, Lang, Priority, WordLists};

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

pub(super) fn urgent() -> Priority {
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
    pub(super) fn all(&self) -> [(&'static str, &str); 27] {
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
    /// The words the handoff rules read (`[words]`); a list left out is the shipped one.
    #[serde(default)]
    pub words: WordLists,
}
