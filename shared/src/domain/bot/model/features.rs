//! What a message becomes for the model: weighted, hashed features (canonical terms, German and
//! English stems, compound parts, word-stem bigrams, character 3- and 4-grams, emoji, negated
//! stems, a subscription's polarity, the share of unknown content words).

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::polarity::polarity;
use super::{FNV_OFFSET, Fnv, FnvMap, FnvSet, Settings, fnv};
use crate::domain::bot::matcher::{Matcher, SIGN_OFFS, is_stopword, normalize};

const TERM: u8 = b'T';
const STEM: u8 = b'S';
const BIGRAM: u8 = b'B';
const CHARS: u8 = b'C';
const NUMBER: u8 = b'N';
const EMOJI: u8 = b'E';
const NEGATED: u8 = b'X';
const POLARITY: u8 = b'P';
const UNKNOWN: u8 = b'U';

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

/// Turns a message into weighted, hashed features.
#[derive(Debug, Clone)]
pub(super) struct Analyzer {
    /// Synonyms to canonical terms, typo correction.
    matcher: Matcher,
    /// Every normalized word of the configuration and the training messages.
    pub(super) vocabulary: HashSet<String, BuildHasherDefault<Fnv>>,
    /// Their German stems, for splitting compounds.
    stems: HashSet<String, BuildHasherDefault<Fnv>>,
    /// The stems' first three letters (all of a shorter stem).
    stem_starts: HashSet<Box<[u8]>, BuildHasherDefault<Fnv>>,
    pub(super) settings: Settings,
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
    /// A content word, not a function word ("ich", "the"): what the unknown share counts.
    content: bool,
}

impl Analyzer {
    pub(super) fn new(
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

    /// The `rare` words (of one training example only) the model would not know without that
    /// example: no other known word is one typo away and they are no compound of known parts.
    pub(super) fn unknown_without_own_example(&self, rare: FnvSet<String>) -> FnvSet<String> {
        rare.into_iter()
            .filter(|w| {
                let mut parts = Vec::new();
                self.compound(w, &mut parts);
                parts.is_empty() && self.matcher.neighbour(w).is_none()
            })
            .collect()
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
            content: !is_stopword(raw),
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
    pub(super) fn features(&self, text: &str, out: &mut Vec<(u64, f32)>) -> f64 {
        self.features_with(text, out, None)
    }

    /// [`Analyzer::features`] of a training message: its `rare` words count as unknown.
    pub(super) fn features_with(
        &self,
        text: &str,
        out: &mut Vec<(u64, f32)>,
        rare: Option<&FnvSet<String>>,
    ) -> f64 {
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
        let (mut content, mut unknown) = (0usize, 0usize);
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
            if token.content {
                content += 1;
                unknown += usize::from(!token.known || rare.is_some_and(|r| r.contains(*raw)));
            }
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
        if unknown > 0 && self.settings.unknown_weight > 0.0 {
            let share = unknown as f32 / content as f32;
            out.push((*UNKNOWN_FEATURE, self.settings.unknown_weight * share));
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

/// FNV-1a with the feature family first: stable across runs and platforms.
fn hash(family: u8, bytes: &[u8]) -> u64 {
    fnv(fnv(FNV_OFFSET, &[family]), bytes)
}

/// The term feature of an order number.
static NUMBER_TERM: LazyLock<u64> = LazyLock::new(|| hash(TERM, b"<number>"));

/// The feature of a message's unknown content words.
static UNKNOWN_FEATURE: LazyLock<u64> = LazyLock::new(|| hash(UNKNOWN, b"u"));
