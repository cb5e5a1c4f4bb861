//! What a customer's free text asks for: a handoff word (matched with its inflections and German
//! compounds, and with one typo only where the word is no other real word), else the intent
//! model's answer, confident or unsure (then the bot asks back with the two best intents).

use super::config::{BotConfig, HandoffReason, Lexicon, StepSpec, WordList};
use super::matcher::{IntentMatch, NOT_TYPOS, normalize, within_one_edit};
use super::model::{Model, NONE, Reading};

mod complaints;
mod fraud;
mod keywords;
mod negation;
mod persons;
mod reading;
#[cfg(test)]
mod tests;
mod text;
mod urgency;

use complaints::*;
use fraud::*;
use negation::*;
use persons::*;
use text::*;
use urgency::*;

use keywords::english_word_with_german_ending;
pub use keywords::{Keywords, word_is_keyword};
pub use reading::{DEFAULT_CLARIFY_THRESHOLD, DEFAULT_HANDOFF_THRESHOLD};

#[derive(Debug, Clone, PartialEq)]
pub enum Understanding {
    /// A handoff word: a person takes over at once.
    Handoff(HandoffReason),
    /// The model is confident.
    Intent(IntentMatch),
    /// The model hesitates between two intents: ask which.
    Unsure(IntentMatch, IntentMatch),
    /// The model is sure (or nearly) the message is about nothing the bot offers: say what it
    /// can help with instead of asking between two intents the message is not about.
    OffTopic,
    /// Nothing the bot knows.
    Unknown,
}

impl Understanding {
    /// The label this answer stands for in the labelled sets: an intent id, "none", or "?" for a
    /// clarifying question. A handoff word counts as the intent of the same handoff.
    pub fn label(&self) -> &str {
        match self {
            Self::Handoff(reason) => reason_label(*reason),
            Self::Intent(m) => &m.intent,
            Self::Unsure(..) => "?",
            Self::OffTopic | Self::Unknown => NONE,
        }
    }

    /// Whether `label` is what this answer gives, or one of the options it asks about.
    pub fn resolves_to(&self, label: &str) -> bool {
        match self {
            Self::Unsure(a, b) => a.intent == label || b.intent == label,
            other => other.label() == label,
        }
    }
}

/// The intent id that stands for a handoff reason in the labelled sets.
pub fn reason_label(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::Urgent => "urgent",
        HandoffReason::Fraud => "fraud",
        HandoffReason::Complaint => "complaint",
        _ => "human",
    }
}
