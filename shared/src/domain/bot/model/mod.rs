//! The bot's intent model, trained when a configuration loads (milliseconds, deterministic, no
//! download): the examples of `bot.toml` plus the training split of the labelled customer
//! messages (`config/bot-train.tsv`). Features per message: the matcher's canonical terms
//! (synonyms, typo correction against the known vocabulary), German and English Snowball stems
//! of every word, German compound parts, word-stem bigrams, character 3- and 4-grams (typos,
//! unknown compounds) and emoji. Classifier: multinomial logistic regression (softmax), so the
//! score of an intent is a probability the engine can hold against a threshold.
//!
//! The folder: [`features`] (what a message becomes: canonical terms, stems, compound parts,
//! bigrams, character n-grams, emoji, negation and the unknown-word share), [`polarity`] (a
//! subscription request's direction), [`training`] (the softmax regression and its examples) and
//! [`prediction`] (a message's probabilities, ranked).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use features::Analyzer;
pub use prediction::Reading;

mod features;
mod polarity;
mod prediction;
mod training;

/// The training split shipped with the code (the test split is `config/bot-test.tsv`).
pub const TRAINING: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-train.tsv"
));

/// The label of messages the bot should not claim to understand.
pub const NONE: &str = "none";

/// The model's settings. The defaults were chosen by five-fold cross-validation on the training
/// split (never on the test or holdout sets):
/// `cargo test -p helpdesk --lib cross_validation -- --ignored --nocapture`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub epochs: usize,
    pub learning_rate: f32,
    pub decay: f32,
    pub l2: f32,
    pub term_weight: f32,
    pub char_weight: f32,
    pub bigram_weight: f32,
    /// The weight of a stem after a negation word.
    pub negated_weight: f32,
    /// How much rare labels weigh up: each example's gradient is scaled by
    /// `(mean label count / its label's count) ^ class_balance` (0: no balancing).
    pub class_balance: f32,
    /// The weight of a subscription request's polarity (see [`polarity`]).
    pub polarity_weight: f32,
    /// The weight of the share of a message's content words the model does not know (0: no
    /// such feature). In training a word only its own example has counts as unknown: the
    /// model learns what an unseen word means from words it would not have seen without that
    /// example (leave-one-out).
    pub unknown_weight: f32,
    /// The gradient weight of [`NONE`] examples (1: like the others).
    pub none_weight: f32,
    /// The share of features left out of each training message in each epoch (0: none).
    pub dropout: f32,
    /// Below the match threshold with [`NONE`] likeliest, ask back only when the best intent
    /// has at least this share of the none probability (0: always ask back).
    pub none_ask_ratio: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            epochs: 60,
            learning_rate: 0.6,
            decay: 0.02,
            l2: 1e-5,
            term_weight: 2.0,
            char_weight: 0.5,
            bigram_weight: 0.5,
            negated_weight: 1.0,
            class_balance: 0.0,
            polarity_weight: 1.0,
            unknown_weight: 1.0,
            none_weight: 3.0,
            dropout: 0.2,
            none_ask_ratio: 1.0,
        }
    }
}

/// One labelled message: an intent id or [`NONE`], and what the customer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub label: String,
    pub text: String,
}

/// Reads `label<TAB>message` lines; `#` starts a comment line. Errors name the line.
pub fn parse_labelled(tsv: &str) -> Result<Vec<Labelled>, String> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((label, text)) = line.split_once('\t') else {
            return Err(format!("line {}: needs label<TAB>message", i + 1));
        };
        let (label, text) = (label.trim(), text.trim());
        if label.is_empty() || text.is_empty() {
            return Err(format!("line {}: empty label or message", i + 1));
        }
        out.push(Labelled {
            label: label.to_owned(),
            text: text.to_owned(),
        });
    }
    Ok(out)
}

/// The trained model: a weight per (feature, label).
#[derive(Clone)]
pub struct Model {
    labels: Vec<String>,
    analyzer: Analyzer,
    /// Feature hash -> row of `weights`.
    index: FnvMap<u64, u32>,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("labels", &self.labels)
            .field("features", &self.index.len())
            .finish()
    }
}

impl Model {
    /// Whether a normalized word occurs in the configuration or the training messages.
    pub fn knows(&self, word: &str) -> bool {
        self.analyzer.vocabulary.contains(word)
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The settings the model was trained with.
    pub fn settings(&self) -> Settings {
        self.analyzer.settings
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a continued over `bytes`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// FNV-1a as the model's map hasher: its keys are short words and feature hashes (already
/// well mixed), which the standard SipHash takes several times longer over.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let start = if self.0 == 0 { FNV_OFFSET } else { self.0 };
        self.0 = fnv(start, bytes);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
type FnvSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;

#[cfg(test)]
mod tests;
