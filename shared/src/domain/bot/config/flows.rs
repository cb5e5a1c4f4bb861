//! Flows: the steps the bot walks a customer through.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{HandoffReason, Localized};

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
