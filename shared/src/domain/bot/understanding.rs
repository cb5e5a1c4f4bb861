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

/// Where a clause ends: a negation reaches no further.
const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '(', ')', '-', '–'];

/// First words of a question (German puts the verb first: "Ist der Artikel sofort lieferbar",
/// "Liefert ihr sofort"): on WhatsApp the question mark is often left out.
const QUESTION_STARTS: &[&str] = &[
    "ist",
    "sind",
    "wird",
    "werden",
    "wurde",
    "kann",
    "koennt",
    "koennen",
    "kommt",
    "liefert",
    "liefern",
    "versendet",
    "verschickt",
    "habt",
    "hat",
    "gibt",
    "geht",
    "wie",
    "wann",
    "wo",
    "was",
    "welche",
    "welcher",
    "welches",
    "warum",
    "wieso",
    "bis",
    "is",
    "are",
    "will",
    "can",
    "could",
    "do",
    "does",
    "did",
    "how",
    "when",
    "where",
    "what",
    "which",
];

/// Urgency words that, in a question about delivery, ask about timing ("Ist der Artikel sofort
/// lieferbar", "is it shipped immediately"): only a question mark makes the others a question
/// about timing.
const TIMING_WORDS: &[&str] = &["sofort", "immediately"];

/// Word beginnings of delivery and availability: a question with a [`TIMING_WORDS`] word is
/// about timing only with one of these ("kann mir sofort jemand helfen" is a demand).
const DELIVERY_WORDS: &[&str] = &[
    "liefer",
    "verschick",
    "versend",
    "versand",
    "verfuegbar",
    "lager",
    "ship",
    "deliver",
    "dispatch",
    "availab",
    "stock",
    "sent",
    "send",
];

/// The sentences of a message, each with its end mark.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .filter(|s| !s.trim().is_empty())
}

/// The clauses of a sentence, normalized: a negation reaches no further than its clause.
fn clauses(sentence: &str) -> Vec<String> {
    sentence.split(CLAUSE_ENDS).map(normalize).collect()
}

/// Small talk in a message of several parts: a request in one part is what the message asks
/// ("Hallo! Wo ist mein Paket?", "Kurze Frage: geht PayPal?", "wo ist mein Paket? danke").
/// Openers (bot.toml's greeting, and "I have a question"): what follows them says what the
/// customer wants.
const OPENERS: &[&str] = &["hello", "question"];
const THANKS: &str = "thanks";

/// Whether a part of a message asks: it ends with a question mark or starts like a question.
fn asks(part: &str) -> bool {
    part.trim_end().ends_with('?')
        || normalize(part)
            .split_whitespace()
            .next()
            .is_some_and(|w| QUESTION_STARTS.contains(&w))
}

/// Where one part of a message ends, for reading a long message part by part.
const PART_ENDS: &[char] = &['.', '!', '?', '\n', ',', ';', ':'];

/// The model's probability above which it overrules a request or urgency word.
const SURE_DESPITE_HANDOFF_WORD: f64 = 0.8;

/// A message with fewer known words than this share is not worth a clarifying question.
const MIN_COVERAGE_TO_ASK: f64 = 0.5;

/// The model's probability at which it hands over by an intent (not a handoff word): a false
/// handoff costs a person's time and the customer's wait, a clarifying question one tap.
pub const DEFAULT_HANDOFF_THRESHOLD: f64 = 0.55;

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

    /// Whether one of the phrases occurs in `words` (normalized, one clause), word by word,
    /// and is not negated ("nicht dringend", "no need to call me back"), nor praise
    /// ("unverschämt gut").
    pub fn found_in(&self, words: &[&str], model: &Model) -> bool {
        self.found_where(words, model, |_| true)
    }

    /// [`Keywords::found_in`] for the phrases `keep` accepts.
    fn found_where(&self, words: &[&str], model: &Model, keep: impl Fn(&[String]) -> bool) -> bool {
        self.0.iter().filter(|p| keep(p)).any(|phrase| {
            phrase.len() <= words.len()
                && words.windows(phrase.len()).enumerate().any(|(at, window)| {
                    window
                        .iter()
                        .zip(phrase)
                        .all(|(w, k)| word_is_keyword(w, k, model))
                        && !negated(words, at)
                        && !words
                            .get(at + phrase.len())
                            .is_some_and(|next| PRAISE.contains(next))
                })
        })
    }
}

/// Negation words: a handoff word right after one of them (with at most a few small words
/// between, see [`NEGATION_GAP`]) is what the customer does NOT want: "kein Notfall", "nicht
/// dringend", "ich brauche keinen Mitarbeiter", "not an emergency", "no complaints".
const NEGATIONS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nix",
    "nichts", "ohne", "no", "not", "nothing", "never", "without", "dont", "doesnt", "didnt",
    "isnt", "arent", "wasnt", "cant", "wont", "neither", "nor",
];

/// Small words that may stand between a negation and the handoff word it negates ("nicht mit
/// einem Mitarbeiter", "no need to call me back", "doesnt have to be asap"). Any other word
/// ends the negation's reach: "Paket nicht angekommen dringend" is still urgent.
const NEGATION_GAP: &[&str] = &[
    "a",
    "an",
    "the",
    "to",
    "be",
    "it",
    "me",
    "need",
    "needs",
    "have",
    "has",
    "for",
    "with",
    "so",
    "very",
    "really",
    "any",
    "really",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "der",
    "die",
    "das",
    "den",
    "dem",
    "mit",
    "zu",
    "so",
    "sehr",
    "wirklich",
    "ganz",
    "sein",
    "muss",
    "brauche",
    "brauch",
    "brauchen",
    "unbedingt",
    "extra",
    "mehr",
];

/// How many words before a handoff word a negation reaches.
const NEGATION_REACH: usize = 4;

/// Adjectives after which a complaint word is praise ("unverschämt gut", "frech günstig").
const PRAISE: &[&str] = &[
    "gut",
    "guenstig",
    "billig",
    "schoen",
    "toll",
    "bequem",
    "weich",
    "schnell",
    "preiswert",
    "lecker",
    "suess",
    "good",
    "cheap",
    "nice",
    "comfy",
    "comfortable",
    "fast",
];

/// Whether the handoff word at `words[at]` is negated by a word before it in its clause.
fn negated(words: &[&str], at: usize) -> bool {
    for back in 1..=NEGATION_REACH.min(at) {
        let word = words[at - back];
        // "don't", "isn't" are normalized to "don t", "isn t".
        let short_not = word == "t" && at - back > 0 && words[at - back - 1].ends_with('n');
        if NEGATIONS.contains(&word) || short_not {
            return true;
        }
        if !NEGATION_GAP.contains(&word) {
            return false;
        }
    }
    false
}

/// Whole words (with their endings) that end in a request word but name someone else's
/// adviser or staff: "mein Steuerberater braucht eine Rechnung" asks for an invoice.
const NOT_REQUEST_COMPOUNDS: &[&str] = &[
    "steuerberater",
    "finanzberater",
    "anlageberater",
    "vermoegensberater",
    "unternehmensberater",
    "rechtsberater",
    "versicherungsberater",
    "bankberater",
    "energieberater",
    "ernaehrungsberater",
    "reiseberater",
];

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
    if !maybe
        || NOT_TYPOS.contains(&word)
        || NOT_REQUEST_COMPOUNDS.iter().any(|c| word.starts_with(c))
    {
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
            HandoffReason::Urgent => self.urgency_only_asked(text),
            _ => false,
        };
        // The model's likeliest label, "none" included: "sucht ihr noch Mitarbeiter im Lager"
        // asks for a job, not for a person.
        if overrulable
            && let Some(top) = self.model.read(text).top
            && top.score >= SURE_DESPITE_HANDOFF_WORD
            && !self.intent_hands_over(&top.intent)
            && (top.intent != NONE || reason == HandoffReason::Request)
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

    /// The intent model's answer alone (no handoff words). A message the model reads as a
    /// whole as small talk, or is unsure about, is also read part by part (see
    /// [`BotConfig::by_part`]): in "Hallo, ich habe am Montag bestellt und noch nichts bekommen.
    /// Wo ist mein Paket? Danke!" the greeting, the story and the thanks drown the question.
    pub fn classify(&self, text: &str) -> Understanding {
        let whole = self.decide(self.model.read(text));
        let only_questions = match &whole {
            Understanding::Intent(m) if m.intent == THANKS => true,
            Understanding::Intent(m) if !OPENERS.contains(&m.intent.as_str()) => return whole,
            _ => false,
        };
        self.by_part(text, only_questions).unwrap_or(whole)
    }

    /// The most confident request among the parts (sentences and clauses) of a message of
    /// several: an intent the model is sure of in one part, neither small talk nor one that
    /// hands over (a part alone misses what the rest says: "danke, kein Rückruf nötig"). With
    /// `only_questions`, only a part that asks counts: "wo ist mein Paket? danke" asks where the
    /// parcel is, "Paket ist heute gekommen, danke!" thanks.
    fn by_part(&self, text: &str, only_questions: bool) -> Option<Understanding> {
        let parts: Vec<&str> = text
            .split_inclusive(PART_ENDS)
            .filter(|p| p.chars().any(char::is_alphanumeric))
            .collect();
        if parts.len() < 2 {
            return None;
        }
        parts
            .iter()
            .filter(|part| !only_questions || asks(part))
            .filter_map(|part| self.model.read(part).top)
            .filter(|top| {
                top.intent != NONE
                    && !OPENERS.contains(&top.intent.as_str())
                    && top.intent != THANKS
                    && top.score >= self.file.limits.match_threshold
                    && !self.intent_hands_over(&top.intent)
            })
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(Understanding::Intent)
    }

    /// What the model's reading of one text means: confident, unsure, or nothing known.
    fn decide(&self, reading: super::model::Reading) -> Understanding {
        let (Some(top), Some(best)) = (reading.top, reading.best) else {
            return Understanding::Unknown;
        };
        let threshold = if self.intent_hands_over(&top.intent) {
            self.handoff_threshold()
        } else {
            self.file.limits.match_threshold
        };
        if top.score >= threshold {
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
        let clauses = clauses(text);
        let clauses: Vec<Vec<&str>> = clauses
            .iter()
            .map(|c| c.split_whitespace().collect())
            .collect();
        [
            (&self.fraud, HandoffReason::Fraud),
            (&self.urgent, HandoffReason::Urgent),
            (&self.complaint, HandoffReason::Complaint),
            (&self.request, HandoffReason::Request),
        ]
        .into_iter()
        .find(|(list, reason)| {
            clauses
                .iter()
                .any(|words| list.found_in(words, &self.model))
                && !(*reason == HandoffReason::Urgent && self.urgency_only_timing(text))
        })
        .map(|(_, reason)| reason)
    }

    /// Whether every sentence with an urgency word (and there is one) passes `test`, given
    /// whether it ends with a question mark, starts like a question, and has only
    /// [`TIMING_WORDS`] for urgency words next to a delivery word ([`DELIVERY_WORDS`]).
    fn every_urgency(&self, text: &str, test: impl Fn(bool, bool, bool) -> bool) -> bool {
        let mut any = false;
        for sentence in sentences(text) {
            let clauses = clauses(sentence);
            let clauses: Vec<Vec<&str>> = clauses
                .iter()
                .map(|c| c.split_whitespace().collect())
                .collect();
            let found = |keep: &dyn Fn(&[String]) -> bool| {
                clauses
                    .iter()
                    .any(|words| self.urgent.found_where(words, &self.model, keep))
            };
            if !found(&|_| true) {
                continue;
            }
            any = true;
            let asked = sentence.trim_end().ends_with('?');
            let starts_as_question = clauses
                .iter()
                .flatten()
                .next()
                .is_some_and(|w| QUESTION_STARTS.contains(w));
            let timing_only = !found(&|k| !(k.len() == 1 && TIMING_WORDS.contains(&k[0].as_str())))
                && clauses
                    .iter()
                    .flatten()
                    .any(|w| DELIVERY_WORDS.iter().any(|d| w.starts_with(d)));
            if !test(asked, starts_as_question, timing_only) {
                return false;
            }
        }
        any
    }

    /// Urgency words only in questions ("wird das sofort verschickt?"): the model may overrule.
    fn urgency_only_asked(&self, text: &str) -> bool {
        self.every_urgency(text, |asked, _, _| asked)
    }

    /// Urgency words only as the delivery timing a question asks about ("ist der Artikel
    /// sofort lieferbar", "liefert ihr sofort nach der Bestellung"): no urgency at all.
    fn urgency_only_timing(&self, text: &str) -> bool {
        self.every_urgency(text, |asked, starts, timing| timing && (asked || starts))
    }

    /// The probability at which the bot enters an intent that hands over at once.
    pub fn handoff_threshold(&self) -> f64 {
        self.file
            .limits
            .handoff_threshold
            .unwrap_or(DEFAULT_HANDOFF_THRESHOLD)
            .max(self.file.limits.match_threshold)
    }

    pub fn clarify_threshold(&self) -> f64 {
        self.file
            .limits
            .clarify_threshold
            .unwrap_or(DEFAULT_CLARIFY_THRESHOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> String {
        BotConfig::default_shop().classify(text).label().to_owned()
    }

    #[test]
    fn a_request_after_a_greeting_or_an_opener_is_what_the_message_asks() {
        for (text, want) in [
            (
                "Hallo zusammen, guten Tag! Schönen Sonntag euch. Wo ist mein Paket?",
                "order_status",
            ),
            (
                "Hallo, ich hätte da mal eine Frage. Geht auch Rechnung?",
                "payment",
            ),
            (
                "Hello, quick question. Do you accept credit cards? Thanks a lot",
                "payment",
            ),
            (
                "hallo, ich brauche das kleid bis samstag für eine feier. ist es schon verschickt?",
                "order_status",
            ),
            (
                "Guten Tag, eine Frage: liefert ihr auch nach Italien?",
                "shipping",
            ),
            ("Hallo, guten Tag", "hello"),
        ] {
            assert_eq!(label(text), want, "{text}");
        }
    }

    #[test]
    fn an_intent_that_hands_over_needs_more_certainty_than_one_that_answers() {
        let mut config = BotConfig::default_shop();
        let text = "mein konto wurde gehackt, jemand hat bestellt";
        let score = match config.classify(text) {
            Understanding::Intent(m) if m.intent == "fraud" => m.score,
            other => panic!("{other:?}"),
        };
        config.file.limits.handoff_threshold = Some((score + 1.0) / 2.0);
        assert!(
            matches!(config.classify(text), Understanding::Unsure(ref a, _) if a.intent == "fraud"),
            "{:?}",
            config.classify(text)
        );
        // An intent that answers is entered at the match threshold.
        assert_eq!(config.classify("wo ist mein paket").label(), "order_status");
    }

    #[test]
    fn a_declined_card_is_no_fraud_to_hand_over() {
        for text in ["meine karte wurde abgelehnt", "my card was declined"] {
            let got = BotConfig::default_shop().classify(text);
            assert!(
                !matches!(got, Understanding::Intent(ref m) if m.intent == "fraud"),
                "{text}: {got:?}"
            );
        }
    }

    #[test]
    fn thanks_after_a_question_does_not_make_it_thanks_but_after_a_story_it_does() {
        for (text, want) in [
            ("wo ist mein paket? danke danke danke!", "order_status"),
            (
                "Vielen Dank schon mal! Wann kommt meine Bestellung?",
                "order_status",
            ),
            ("Paket ist heute angekommen, alles super. Danke!", "thanks"),
            ("danke, kein rückruf nötig", "thanks"),
        ] {
            assert_eq!(label(text), want, "{text}");
        }
    }
}
