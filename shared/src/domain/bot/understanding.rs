//! What a customer's free text asks for: a handoff word (matched with its inflections and German
//! compounds, and with one typo only where the word is no other real word), else the intent
//! model's answer, confident or unsure (then the bot asks back with the two best intents).

use super::config::{BotConfig, HandoffReason, StepSpec};
use super::matcher::{IntentMatch, NOT_TYPOS, normalize, within_one_edit};
use super::model::{Model, NONE};

/// Endings a handoff word may carry and still be that word ("Mitarbeiterin", "Anwalts",
/// "Beschwerden", "frauds").
const INFLECTIONS: &[&str] = &[
    "", "s", "es", "e", "en", "n", "er", "ern", "in", "innen", "ed", "ing",
];

/// The model's probability above which it overrules a request or urgency word.
const SURE_DESPITE_HANDOFF_WORD: f64 = 0.8;

/// A message with fewer known words than this share is not worth a clarifying question.
const MIN_COVERAGE_TO_ASK: f64 = 0.5;

/// The model's answer below this probability is not worth a clarifying question.
pub const DEFAULT_CLARIFY_THRESHOLD: f64 = 0.2;

#[derive(Debug, Clone, PartialEq)]
pub enum Understanding {
    /// A handoff word: a person takes over at once.
    Handoff(HandoffReason),
    /// The model is confident.
    Intent(IntentMatch),
    /// The model hesitates between two intents: ask which.
    Unsure(IntentMatch, IntentMatch),
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
            Self::Unknown => NONE,
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

/// A list of handoff words or phrases, normalized.
#[derive(Debug, Clone, Default)]
pub struct Keywords(Vec<Vec<String>>);

impl Keywords {
    pub fn new(list: &[String]) -> Self {
        Self(
            list.iter()
                .map(|w| normalize(w).split_whitespace().map(str::to_owned).collect())
                .filter(|p: &Vec<String>| !p.is_empty())
                .collect(),
        )
    }

    /// Whether one of the phrases occurs in `words` (normalized), word by word.
    pub fn found_in(&self, words: &[&str], model: &Model) -> bool {
        self.0.iter().any(|phrase| {
            phrase.len() <= words.len()
                && words.windows(phrase.len()).any(|window| {
                    window
                        .iter()
                        .zip(phrase)
                        .all(|(w, k)| word_is_keyword(w, k, model))
                })
        })
    }
}

/// `word` is `keyword`, inflected, at the end of a compound ("Kundenberater",
/// "Kreditkartenbetrug"), or mistyped by one letter when it is no word the bot knows.
pub fn word_is_keyword(word: &str, keyword: &str, model: &Model) -> bool {
    if word == keyword {
        return true;
    }
    // Every way below needs the keyword at the start of the word, inside a long word, or the
    // same first letter and length within one: most pairs stop here, cheaply.
    let (w, k) = (word.as_bytes(), keyword.as_bytes());
    let maybe = w.starts_with(k)
        || (k.len() >= 6
            && (w.first() == k.first() && w.len().abs_diff(k.len()) <= 1
                || word.contains(keyword)));
    if !maybe || NOT_TYPOS.contains(&word) {
        return false;
    }
    for ending in INFLECTIONS {
        let Some(stem) = word.strip_suffix(ending) else {
            continue;
        };
        if stem == keyword {
            return true;
        }
        // Only long keywords close a compound: "agent" in "reagent" is not a request.
        if keyword.len() >= 6
            && stem.len() >= keyword.len() + 3
            && stem.ends_with(keyword)
            && stem.is_char_boundary(stem.len() - keyword.len())
        {
            return true;
        }
    }
    keyword.len() >= 6
        && word.len() >= 5
        && word.as_bytes().first() == keyword.as_bytes().first()
        && !model.knows(word)
        && within_one_edit(word, keyword)
}

impl BotConfig {
    /// What `text` asks for (see the module documentation).
    pub fn understand(&self, text: &str) -> Understanding {
        match self.handoff(text) {
            Some(reason) => Understanding::Handoff(reason),
            None => self.classify(text),
        }
    }

    /// The handoff a message asks for by its words. A request word in a message the model reads,
    /// sure, as one that does not ask for a person ("danke an die nette Mitarbeiterin") does not
    /// hand over, nor does an urgency word in such a question ("wird das sofort verschickt?"):
    /// "Wo ist mein Paket? Dringend!" still does, and fraud and complaint words always do.
    pub fn handoff(&self, text: &str) -> Option<HandoffReason> {
        let reason = self.handoff_word(text)?;
        let overrulable = match reason {
            HandoffReason::Request => true,
            HandoffReason::Urgent => text.trim_end().ends_with('?'),
            _ => false,
        };
        if overrulable
            && let Understanding::Intent(m) = self.classify(text)
            && m.score >= SURE_DESPITE_HANDOFF_WORD
            && !self.intent_hands_over(&m.intent)
        {
            return None;
        }
        Some(reason)
    }

    /// Whether entering `intent`'s flow hands the conversation over at once.
    pub fn intent_hands_over(&self, intent: &str) -> bool {
        self.intent(intent)
            .and_then(|i| self.file.flows.get(&i.flow))
            .and_then(|f| f.steps.get(&f.start))
            .is_some_and(|s| matches!(s, StepSpec::Handoff { .. }))
    }

    /// The intent model's answer alone (no handoff words).
    pub fn classify(&self, text: &str) -> Understanding {
        let reading = self.model.read(text);
        let (Some(top), Some(best)) = (reading.top, reading.best) else {
            return Understanding::Unknown;
        };
        if top.score >= self.file.limits.match_threshold {
            return if top.intent == NONE {
                Understanding::Unknown
            } else {
                Understanding::Intent(top)
            };
        }
        match reading.second {
            Some(second)
                if best.score >= self.clarify_threshold()
                    && reading.coverage >= MIN_COVERAGE_TO_ASK =>
            {
                Understanding::Unsure(best, second)
            }
            _ => Understanding::Unknown,
        }
    }

    /// The handoff a message's words ask for, if any: fraud first (it goes to its own team).
    pub fn handoff_word(&self, text: &str) -> Option<HandoffReason> {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        [
            (&self.fraud, HandoffReason::Fraud),
            (&self.urgent, HandoffReason::Urgent),
            (&self.complaint, HandoffReason::Complaint),
            (&self.request, HandoffReason::Request),
        ]
        .into_iter()
        .find(|(list, _)| list.found_in(&words, &self.model))
        .map(|(_, reason)| reason)
    }

    pub fn clarify_threshold(&self) -> f64 {
        self.file
            .limits
            .clarify_threshold
            .unwrap_or(DEFAULT_CLARIFY_THRESHOLD)
    }
}
