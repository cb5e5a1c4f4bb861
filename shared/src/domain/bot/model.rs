//! The bot's intent model, trained when a configuration loads (milliseconds, deterministic, no
//! download): the examples of `bot.toml` plus the training split of the labelled customer
//! messages (`config/bot-train.tsv`). Features per message: the matcher's canonical terms
//! (synonyms, typo correction against the known vocabulary), German and English Snowball stems
//! of every word, German compound parts, word-stem bigrams, character 3- and 4-grams (typos,
//! unknown compounds) and emoji. Classifier: multinomial logistic regression (softmax), so the
//! score of an intent is a probability the engine can hold against a threshold.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::matcher::{IntentMatch, Matcher, SIGN_OFFS, normalize};

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
        }
    }
}

const TERM: u8 = b'T';
const STEM: u8 = b'S';
const BIGRAM: u8 = b'B';
const CHARS: u8 = b'C';
const NUMBER: u8 = b'N';
const EMOJI: u8 = b'E';
const NEGATED: u8 = b'X';
const POLARITY: u8 = b'P';

/// Word beginnings of what a subscription is about: messages, notifications, updates, the list.
const SUBSCRIPTION_TOPICS: &[&str] = &[
    "nachricht",
    "benachrichtig",
    "mitteilung",
    "message",
    "messaging",
    "notif",
    "update",
    "whatsapp",
    "newsletter",
    "info",
    "news",
    "text",
    "sms",
    "subscri",
    "abo",
    "verteiler",
    "list",
    "opt",
    "kontakt",
    "contact",
    "schreib",
    "anschreib",
    "werbung",
    "push",
];

/// Word beginnings of signing on or off ("meldet mich ab", "melde mich wieder an"): a
/// subscription only with "mich"; "die Retoure anmelden" registers a return.
const SIGN_ON_OFF: &[&str] = &["meld", "anmeld", "abmeld"];

/// Words that switch a subscription off, as they are or as word beginnings ("ausschalten",
/// "abmelden", "unsubscribe"); negations count too ("keine Nachrichten mehr", "dont text me").
const SWITCH_OFF: &[&str] = &[
    "aus",
    "ausschalt",
    "ausstell",
    "abstell",
    "abschalt",
    "deaktiv",
    "disabl",
    "deactiv",
    "unsubscri",
    "abbestell",
    "abmeld",
    "austrag",
    "cancel",
    "kuendig",
    "stop",
    "off",
    "out",
    "remov",
    "entfern",
    "loesch",
    "aufhoer",
    "hoert",
    "hoer",
    "schluss",
    "quit",
    "anymore",
    "leave",
];

/// Negations: off only in a message about a subscription ("keine Nachrichten mehr"), not in a
/// short answer ("no thanks").
const SWITCH_OFF_NEGATIONS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "nie", "nix", "nichts", "no", "not", "dont", "never",
];

/// Words that switch a subscription (back) on ("wieder aktivieren", "turn on", "opt in").
const SWITCH_ON: &[&str] = &[
    "in",
    "einschalt",
    "anschalt",
    "aktivier",
    "activat",
    "enabl",
    "subscri",
    "resubscri",
    "anmeld",
    "wieder",
    "again",
    "back",
    "start",
    "zulass",
    "erlaub",
];

/// Separable particles: they switch only at the end of a message ("meldet mich ab", "schaltet
/// die Nachrichten wieder an") or after "turn"/"switch" ("turn on notifications"); elsewhere
/// they are prepositions and articles ("ein Update zu meiner Bestellung", "an update on my order").
const PARTICLES_OFF: &[&str] = &["ab", "aus", "off"];
const PARTICLES_ON: &[&str] = &["an", "ein", "on"];

/// Whether `words[i]` is a separable particle of `list` in a place where it switches.
fn particle(words: &[&str], i: usize, list: &[&str]) -> bool {
    list.contains(&words[i])
        && (i + 1 == words.len()
            || i > 0 && matches!(words[i - 1], "turn" | "switch" | "schalte" | "schaltet"))
}

/// Short words of [`SWITCH_OFF`] / [`SWITCH_ON`] that count only as whole words.
fn switch_word(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| {
        if w.len() <= 4 {
            word == *w
        } else {
            word.starts_with(w)
        }
    })
}

/// Whether a message about subscriptions (messages, notifications, the list, or two words at
/// most: "stop", "opt out") asks to switch them off or on: the linear model cannot tell "updates
/// deaktivieren" from "updates aktivieren" by their shared topic words, so the direction is a
/// feature of its own. Off wins: "dont contact me again", "keine Nachrichten mehr".
fn polarity(words: &[&str]) -> Option<&'static [u8]> {
    let topic = words
        .iter()
        .any(|w| SUBSCRIPTION_TOPICS.iter().any(|t| w.starts_with(t)))
        || words.contains(&"mich")
            && words
                .iter()
                .any(|w| SIGN_ON_OFF.iter().any(|t| w.starts_with(t)));
    if !topic && words.len() > 2 {
        return None;
    }
    let off = |(i, w): (usize, &&str)| {
        switch_word(w, SWITCH_OFF)
            || (topic && SWITCH_OFF_NEGATIONS.contains(w))
            || particle(words, i, PARTICLES_OFF)
    };
    if words.iter().enumerate().any(off) {
        return Some(b"off");
    }
    words
        .iter()
        .enumerate()
        .any(|(i, w)| switch_word(w, SWITCH_ON) || particle(words, i, PARTICLES_ON))
        .then_some(b"on".as_slice())
}

/// Words after which the rest of a message is read as negated ("keine Nachrichten mehr", "turn
/// off notifications"): the stems that follow also count as negated features.
const NEGATIONS: &[&str] = &[
    "nicht",
    "kein",
    "keine",
    "keinen",
    "keiner",
    "nie",
    "niemals",
    "nix",
    "nichts",
    "no",
    "not",
    "dont",
    "never",
    "stop",
    "stopp",
    "off",
    "aus",
    "ausschalten",
    "without",
    "ohne",
];

static GERMAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::German));
static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

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

/// What the model makes of one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The likeliest label (may be [`NONE`]).
    pub top: Option<IntentMatch>,
    /// The two likeliest intents (not [`NONE`]).
    pub best: Option<IntentMatch>,
    pub second: Option<IntentMatch>,
    /// The share of the message's words the model knows.
    pub coverage: f64,
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
    /// Trains on `examples` (deterministic: same examples, same model). `synonyms` are the
    /// configuration's synonym groups (canonical word -> words).
    pub fn train(synonyms: &[(String, Vec<String>)], examples: &[Labelled]) -> Self {
        Self::train_with(synonyms, examples, Settings::default())
    }

    /// [`Model::train`] with other settings (for choosing them by cross-validation).
    pub fn train_with(
        synonyms: &[(String, Vec<String>)],
        examples: &[Labelled],
        settings: Settings,
    ) -> Self {
        let mut labels: Vec<String> = Vec::new();
        for e in examples {
            if !labels.contains(&e.label) {
                labels.push(e.label.clone());
            }
        }
        let mut grouped: Vec<(String, Vec<String>)> =
            labels.iter().map(|l| (l.clone(), Vec::new())).collect();
        for e in examples {
            if let Some((_, texts)) = grouped.iter_mut().find(|(l, _)| *l == e.label) {
                texts.push(e.text.clone());
            }
        }
        let analyzer = Analyzer::new(synonyms, &grouped, settings);
        let mut index: FnvMap<u64, u32> = FnvMap::default();
        let mut rows: Vec<(usize, Vec<(u32, f32)>)> = Vec::with_capacity(examples.len());
        let mut features = Vec::new();
        for e in examples {
            analyzer.features(&e.text, &mut features);
            let x: Vec<(u32, f32)> = features
                .iter()
                .map(|&(h, v)| {
                    let next = index.len() as u32;
                    (*index.entry(h).or_insert(next), v)
                })
                .collect();
            let y = labels.iter().position(|l| *l == e.label).unwrap_or(0);
            rows.push((y, x));
        }
        let k = labels.len();
        let mut counts = vec![0usize; k];
        for (y, _) in &rows {
            counts[*y] += 1;
        }
        let mean = rows.len() as f32 / k.max(1) as f32;
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|&n| (mean / n.max(1) as f32).powf(settings.class_balance))
            .collect();
        let mut weights = vec![0.0f32; index.len() * k];
        let mut bias = vec![0.0f32; k];
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut p = vec![0.0f32; k];
        for epoch in 0..settings.epochs {
            // A fixed pseudo-random order per epoch (Fisher-Yates with a constant seed).
            for i in (1..order.len()).rev() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let lr = settings.learning_rate / (1.0 + epoch as f32 * settings.decay);
            for &r in &order {
                let (y, x) = &rows[r];
                let step = Step {
                    y: *y,
                    class_weight: class_weight[*y],
                    lr,
                    l2: settings.l2,
                };
                step.apply(&mut weights, &mut bias, x, &mut p);
            }
        }
        Self {
            labels,
            analyzer,
            index,
            weights,
            bias,
        }
    }

    /// Every label with its probability, best first.
    pub fn rank(&self, text: &str) -> Vec<IntentMatch> {
        let mut p = vec![0.0f32; self.labels.len()];
        if !self.probabilities(text, &mut p).0 {
            return Vec::new();
        }
        self.order(&p)
            .into_iter()
            .map(|i| self.matched(i, &p))
            .collect()
    }

    /// What the model makes of `text` in one pass: what [`Model::rank`] and
    /// [`Model::coverage`] tell, without a list of every label.
    pub fn read(&self, text: &str) -> Reading {
        let mut p = vec![0.0f32; self.labels.len()];
        let (any, coverage) = self.probabilities(text, &mut p);
        if !any {
            return Reading {
                coverage,
                ..Reading::default()
            };
        }
        let order = self.order(&p);
        let mut intents = order.iter().filter(|&&i| self.labels[i] != NONE);
        Reading {
            top: order.first().map(|&i| self.matched(i, &p)),
            best: intents.next().map(|&i| self.matched(i, &p)),
            second: intents.next().map(|&i| self.matched(i, &p)),
            coverage,
        }
    }

    /// The share of a message's words the model knows (directly, by a typo, or as a compound
    /// of known parts): a message it mostly does not know is not worth asking back about.
    pub fn coverage(&self, text: &str) -> f64 {
        self.read(text).coverage
    }

    /// Fills `p` with each label's probability; false when no feature of `text` is known.
    /// Also returns the share of known words.
    fn probabilities(&self, text: &str, p: &mut [f32]) -> (bool, f64) {
        let mut features = Vec::with_capacity(128);
        let coverage = self.analyzer.features(text, &mut features);
        let k = self.labels.len();
        p.copy_from_slice(&self.bias);
        let mut any = false;
        for (h, v) in &features {
            if let Some(&f) = self.index.get(h) {
                any = true;
                let row = &self.weights[f as usize * k..f as usize * k + k];
                for (o, w) in p.iter_mut().zip(row) {
                    *o += w * v;
                }
            }
        }
        if any {
            softmax(p);
        }
        (any, coverage)
    }

    /// Label indices, likeliest first (ties by name).
    fn order(&self, p: &[f32]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| {
            p[b].total_cmp(&p[a])
                .then_with(|| self.labels[a].cmp(&self.labels[b]))
        });
        order
    }

    fn matched(&self, i: usize, p: &[f32]) -> IntentMatch {
        IntentMatch {
            intent: self.labels[i].clone(),
            score: f64::from(p[i]),
        }
    }

    /// Whether a normalized word occurs in the configuration or the training messages.
    pub fn knows(&self, word: &str) -> bool {
        self.analyzer.vocabulary.contains(word)
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }
}

/// One stochastic gradient step of the softmax regression on one example.
struct Step {
    /// The example's label.
    y: usize,
    /// Its label's weight (see [`Settings::class_balance`]).
    class_weight: f32,
    lr: f32,
    l2: f32,
}

impl Step {
    /// Updates `weights` (a row of `bias.len()` labels per feature) and `bias` for the example
    /// with features `x`; `p` is scratch space of one value per label.
    fn apply(&self, weights: &mut [f32], bias: &mut [f32], x: &[(u32, f32)], p: &mut [f32]) {
        let k = bias.len();
        scores(weights, bias, k, x, p);
        softmax(p);
        // `p` becomes each label's gradient, then each feature's row of labels is updated in
        // one contiguous pass: the arithmetic per weight is the label-by-label loop's (so the
        // same model), without its strided access and a bounds check per weight.
        for (c, (g, b)) in p.iter_mut().zip(bias.iter_mut()).enumerate() {
            *g = self.class_weight * (*g - f32::from(u8::from(c == self.y)));
            *b -= self.lr * *g;
        }
        for &(f, v) in x {
            let row = &mut weights[f as usize * k..f as usize * k + k];
            for (w, g) in row.iter_mut().zip(&*p) {
                *w -= self.lr * (g * v + self.l2 * *w);
            }
        }
    }
}

fn scores(weights: &[f32], bias: &[f32], k: usize, x: &[(u32, f32)], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for &(f, v) in x {
        let row = &weights[f as usize * k..f as usize * k + k];
        for (o, w) in out.iter_mut().zip(row) {
            *o += w * v;
        }
    }
}

fn softmax(p: &mut [f32]) {
    let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in p.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in p.iter_mut() {
        *v /= sum;
    }
}

/// Turns a message into weighted, hashed features.
#[derive(Debug, Clone)]
struct Analyzer {
    /// Synonyms to canonical terms, typo correction.
    matcher: Matcher,
    /// Every normalized word of the configuration and the training messages.
    vocabulary: HashSet<String, BuildHasherDefault<Fnv>>,
    /// Their German stems, for splitting compounds.
    stems: HashSet<String, BuildHasherDefault<Fnv>>,
    /// The stems' first three letters (all of a shorter stem).
    stem_starts: HashSet<Box<[u8]>, BuildHasherDefault<Fnv>>,
    settings: Settings,
    /// The features of every vocabulary word, computed once (stemming, compound splitting and
    /// character n-grams cost most of a decision); other words are analysed when they come.
    tokens: FnvMap<Box<str>, Token>,
}

/// What one word contributes to a message's features.
#[derive(Debug, Clone)]
struct Token {
    /// The German stem of the (typo-corrected) word: one half of a bigram.
    stem: Box<str>,
    /// Stems, compound parts, character n-grams.
    features: Box<[(u64, f32)]>,
    /// The word's canonical terms (when it is not part of a multi-word synonym).
    terms: Box<[(u64, f32)]>,
    /// The model knows the word: as it is, by a typo, or as a compound of known parts.
    known: bool,
}

impl Analyzer {
    fn new(
        synonyms: &[(String, Vec<String>)],
        examples: &[(String, Vec<String>)],
        settings: Settings,
    ) -> Self {
        let matcher = Matcher::new(synonyms, examples);
        let mut vocabulary: HashSet<String, BuildHasherDefault<Fnv>> = HashSet::default();
        for text in examples
            .iter()
            .flat_map(|(_, e)| e)
            .chain(synonyms.iter().flat_map(|(_, w)| w))
        {
            vocabulary.extend(normalize(text).split_whitespace().map(str::to_owned));
        }
        let stems: HashSet<String, BuildHasherDefault<Fnv>> = vocabulary
            .iter()
            .filter(|w| w.len() >= 4)
            .map(|w| GERMAN.stem(w).into_owned())
            .collect();
        let stem_starts = stems
            .iter()
            .map(|s| s.as_bytes()[..s.len().min(3)].into())
            .collect();
        let mut analyzer = Self {
            matcher,
            vocabulary,
            stems,
            stem_starts,
            settings,
            tokens: FnvMap::default(),
        };
        let mut words: Vec<&String> = analyzer
            .vocabulary
            .iter()
            .filter(|w| !is_number(w))
            .collect();
        words.sort_unstable();
        let tokens = words
            .into_iter()
            .map(|w| (w.as_str().into(), analyzer.token(w)))
            .collect();
        analyzer.tokens = tokens;
        analyzer
    }

    /// The features of one (normalized, non-number) word.
    fn token(&self, raw: &str) -> Token {
        let corrected = if self.vocabulary.contains(raw) {
            None
        } else {
            self.matcher.correct(raw)
        };
        let word = corrected.as_deref().unwrap_or(raw);
        let de = GERMAN.stem(word);
        let en = ENGLISH.stem(word);
        let mut features = vec![(hash(STEM, de.as_bytes()), 1.0)];
        if en != de {
            features.push((hash(STEM, en.as_bytes()), 1.0));
        }
        let mut known = true;
        if corrected.is_none() && !self.vocabulary.contains(word) {
            let before = features.len();
            self.compound(word, &mut features);
            known = features.len() > before;
        }
        char_grams(word, self.settings.char_weight, &mut features);
        let mut terms = Vec::new();
        self.matcher
            .term_with(raw, || corrected.clone(), &mut terms);
        Token {
            known,
            stem: de.as_ref().into(),
            features: features.into(),
            terms: terms
                .iter()
                .map(|t| (hash(TERM, t.as_bytes()), self.settings.term_weight))
                .collect(),
        }
    }

    /// The features of `text`, L2-normalized, duplicates summed; returns the share of its words
    /// (not numbers) the model knows, 0 without words.
    fn features(&self, text: &str, out: &mut Vec<(u64, f32)>) -> f64 {
        out.clear();
        for c in text.chars() {
            if !c.is_alphanumeric() && !c.is_ascii() && !matches!(c, '\u{fe0f}' | '\u{200d}') {
                out.push((hash(EMOJI, c.encode_utf8(&mut [0; 4]).as_bytes()), 1.0));
            }
        }
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        let term_weight = self.settings.term_weight;
        // The bigram hash of the previous word's stem and a space, to be finished by this word's.
        let mut previous: Option<u64> = None;
        let mut in_phrase = 0usize;
        let mut negated = false;
        let (mut counted, mut known) = (0usize, 0usize);
        for (i, raw) in words.iter().enumerate() {
            if in_phrase == 0
                && let Some((len, target)) = self.matcher.phrase_at(&words, i)
            {
                out.push((hash(TERM, target.as_bytes()), term_weight));
                in_phrase = len;
            }
            let own_terms = in_phrase == 0;
            in_phrase = in_phrase.saturating_sub(1);
            if is_number(raw) {
                if raw.len() >= 4 {
                    out.push((hash(NUMBER, b"n"), 1.0));
                    if own_terms {
                        out.push((*NUMBER_TERM, term_weight));
                    }
                }
                continue;
            }
            if SIGN_OFFS.contains(raw) {
                continue;
            }
            let token = match self.tokens.get(*raw) {
                Some(token) => Cow::Borrowed(token),
                None => Cow::Owned(self.token(raw)),
            };
            counted += 1;
            known += usize::from(token.known);
            out.extend_from_slice(&token.features);
            if own_terms {
                out.extend_from_slice(&token.terms);
            }
            if let Some(h) = previous {
                out.push((fnv(h, token.stem.as_bytes()), self.settings.bigram_weight));
            }
            if negated {
                out.push((
                    hash(NEGATED, token.stem.as_bytes()),
                    self.settings.negated_weight,
                ));
            }
            negated |= NEGATIONS.contains(raw);
            previous = Some(fnv(hash(BIGRAM, token.stem.as_bytes()), b" "));
        }
        if let Some(direction) = polarity(&words) {
            out.push((hash(POLARITY, direction), self.settings.polarity_weight));
        }
        out.sort_unstable_by_key(|(h, _)| *h);
        out.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 += later.1;
            }
            same
        });
        let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in out.iter_mut() {
                *v /= norm;
            }
        }
        if counted == 0 {
            0.0
        } else {
            known as f64 / counted as f64
        }
    }

    /// German compounds the vocabulary does not know ("Rücksendeetikett", "Lieferstatus"): the
    /// stems of two known parts, with or without the linking "s".
    fn compound(&self, word: &str, out: &mut Vec<(u64, f32)>) {
        if word.len() < 8 || !word.is_ascii() {
            return;
        }
        for i in 4..=word.len() - 4 {
            let (left, right) = (&word[..i], &word[i..]);
            // Stemming is the cost here: the right part first, then the left.
            let Some(r) = self.known_stem(right) else {
                continue;
            };
            let left = self
                .known_stem(left)
                .or_else(|| left.strip_suffix('s').and_then(|l| self.known_stem(l)));
            if let Some(l) = left {
                out.push((hash(STEM, l.as_bytes()), 1.0));
                out.push((hash(STEM, r.as_bytes()), 1.0));
                return;
            }
        }
    }

    fn known_stem(&self, part: &str) -> Option<String> {
        if part.len() < 3 {
            return None;
        }
        // A stem keeps the word's first letters: a part no known stem starts like (one, two or
        // three letters, for short stems) is not stemmed at all.
        let bytes = part.as_bytes();
        if !(1..=3).any(|n| self.stem_starts.contains(&bytes[..n])) {
            return None;
        }
        let stem = GERMAN.stem(part);
        self.stems
            .contains(stem.as_ref())
            .then(|| stem.into_owned())
    }
}

fn char_grams(word: &str, weight: f32, out: &mut Vec<(u64, f32)>) {
    let mut padded = Vec::with_capacity(word.len() + 2);
    padded.push(b'^');
    padded.extend_from_slice(word.as_bytes());
    padded.push(b'$');
    for n in [3, 4] {
        for gram in padded.windows(n) {
            out.push((hash(CHARS, gram), weight));
        }
    }
}

fn is_number(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
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

/// FNV-1a with the feature family first: stable across runs and platforms.
fn hash(family: u8, bytes: &[u8]) -> u64 {
    fnv(fnv(FNV_OFFSET, &[family]), bytes)
}

/// The term feature of an order number.
static NUMBER_TERM: LazyLock<u64> = LazyLock::new(|| hash(TERM, b"<number>"));

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

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        trained(&[
            ("order_status", "wo ist mein paket"),
            ("order_status", "where is my order"),
            ("order_status", "sendungsverfolgung"),
            ("returns", "ich möchte etwas zurückschicken"),
            ("returns", "return an item"),
            ("returns", "rücksendung"),
            ("none", "wie ist das wetter"),
        ])
    }

    /// A model trained on (label, message) pairs, without synonyms.
    fn trained(pairs: &[(&str, &str)]) -> Model {
        let examples: Vec<Labelled> = pairs
            .iter()
            .map(|(l, t)| Labelled {
                label: (*l).into(),
                text: (*t).into(),
            })
            .collect();
        Model::train(&[], &examples)
    }

    #[test]
    fn training_is_deterministic() {
        let (a, b) = (tiny(), tiny());
        assert_eq!(a.weights, b.weights);
        assert_eq!(a.rank("wo ist mein pakte"), b.rank("wo ist mein pakte"));
    }

    /// The step as it was first written, label by label: the row-wise step must train exactly
    /// (bit for bit) the model this did.
    fn label_by_label(s: &Step, weights: &mut [f32], bias: &mut [f32], x: &[(u32, f32)]) {
        let k = bias.len();
        let mut p = vec![0.0; k];
        scores(weights, bias, k, x, &mut p);
        softmax(&mut p);
        for c in 0..k {
            let g = s.class_weight * (p[c] - f32::from(u8::from(c == s.y)));
            bias[c] -= s.lr * g;
            for &(f, v) in x {
                let w = &mut weights[f as usize * k + c];
                *w -= s.lr * (g * v + s.l2 * *w);
            }
        }
    }

    #[test]
    fn the_row_wise_step_trains_the_same_weights_as_label_by_label() {
        let (features, k) = (40usize, 7usize);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut weights: Vec<f32> = (0..features * k)
            .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let mut bias: Vec<f32> = (0..k).map(|c| c as f32 * 0.1 - 0.3).collect();
        let (mut ref_weights, mut ref_bias) = (weights.clone(), bias.clone());
        let mut p = vec![0.0; k];
        for i in 0..500 {
            let mut x: Vec<(u32, f32)> = (0..1 + next() % 9)
                .map(|_| {
                    (
                        (next() % features as u64) as u32,
                        (next() % 100) as f32 / 50.0,
                    )
                })
                .collect();
            x.sort_unstable_by_key(|(f, _)| *f);
            x.dedup_by_key(|(f, _)| *f);
            let step = Step {
                y: (next() % k as u64) as usize,
                class_weight: 0.5 + (i % 3) as f32 * 0.75,
                lr: 0.6 / (1.0 + i as f32 * 0.02),
                l2: 1e-3,
            };
            step.apply(&mut weights, &mut bias, &x, &mut p);
            label_by_label(&step, &mut ref_weights, &mut ref_bias, &x);
        }
        let bits = |v: &[f32]| v.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&weights), bits(&ref_weights));
        assert_eq!(bits(&bias), bits(&ref_bias));
    }

    #[test]
    fn inflections_typos_and_compounds_reach_the_trained_intent() {
        let m = tiny();
        for text in [
            "Wo sind meine Pakete?",
            "wo ist mein pakte",
            "Rücksendungen",
            "Rücksendeschein",
        ] {
            let best = &m.rank(text)[0];
            let want = if text.starts_with('R') {
                "returns"
            } else {
                "order_status"
            };
            assert_eq!(best.intent, want, "{text}: {:?}", m.rank(text));
        }
    }

    #[test]
    fn a_subscription_request_has_a_direction() {
        for (text, want) in [
            ("opt out", Some("off")),
            ("opt in", Some("on")),
            ("benachrichtigungen ausschalten", Some("off")),
            ("whatsapp updates deaktivieren", Some("off")),
            ("keine nachrichten mehr", Some("off")),
            ("dont contact me again", Some("off")),
            ("cancel my subscription to messages", Some("off")),
            ("meldet mich ab", Some("off")),
            ("meldet mich wieder an", Some("on")),
            ("nachrichten bitte wieder aktivieren", Some("on")),
            ("whatsapp benachrichtigungen an", Some("on")),
            ("turn on whatsapp notifications", Some("on")),
            // Prepositions and articles are no switch; a short "no" is no unsubscription.
            ("any update on my delivery", None),
            ("ich möchte ein update zu meiner bestellung", None),
            ("no thanks", None),
            ("der mitarbeiter sagte ich soll die retoure anmelden", None),
            ("wo ist mein paket", None),
        ] {
            let normalized = normalize(text);
            let words: Vec<&str> = normalized.split_whitespace().collect();
            let got = polarity(&words).map(|d| std::str::from_utf8(d).unwrap());
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn switching_off_is_not_read_as_switching_on() {
        let m = trained(&[
            ("opt_in", "benachrichtigungen einschalten"),
            ("opt_in", "updates aktivieren"),
            ("opt_in", "whatsapp nachrichten wieder erlauben"),
            ("opt_out", "keine nachrichten mehr"),
            ("opt_out", "whatsapp abbestellen"),
            ("opt_out", "updates ausschalten"),
            ("order_status", "wo ist mein paket"),
        ]);
        for text in ["whatsapp updates deaktivieren", "deaktiviert die updates"] {
            assert_eq!(
                m.rank(text)[0].intent,
                "opt_out",
                "{text}: {:?}",
                m.rank(text)
            );
        }
        assert_eq!(m.rank("nachrichten aktivieren")[0].intent, "opt_in");
    }

    #[test]
    fn scores_are_probabilities() {
        let ranked = tiny().rank("wo ist mein paket");
        let sum: f64 = ranked.iter().map(|m| m.score).sum();
        assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    }

    #[test]
    fn the_labelled_files_parse_and_name_a_bad_line() {
        assert!(parse_labelled(TRAINING).unwrap().len() >= 250);
        let err = parse_labelled("# c\nreturns\tok\nno tab here\n").unwrap_err();
        assert_eq!(err, "line 3: needs label<TAB>message");
    }
}
