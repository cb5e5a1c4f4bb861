//! Intent matching without a model: normalisation (case, umlauts, ß, punctuation), typo
//! correction against the configured vocabulary, light German/English stemming, synonyms to
//! canonical words, then IDF-weighted cosine similarity against each intent's examples.

use std::collections::{HashMap, HashSet};

use super::config::Lang;

const UNKNOWN_TERM_WEIGHT: f64 = 1.0;
const MAX_IDF: f64 = 3.0;

/// A scored intent.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentMatch {
    pub intent: String,
    pub score: f64,
}

const STOPWORDS_DE: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "ich",
    "mein", "meine", "meinen", "meiner", "meinem", "mir", "mich", "ist", "sind", "war", "bin",
    "hat", "habe", "haben", "und", "oder", "zu", "zur", "zum", "mit", "von", "fuer", "auf", "an",
    "am", "im", "in", "bei", "bitte", "noch", "schon", "es", "sie", "ihr", "ihre", "wir", "uns",
    "kann", "koennen", "moechte", "will", "wurde", "wird", "werden", "ja", "nein", "nicht", "kein",
    "keine", "wie", "was", "wer", "gibt", "mal", "doch", "denn", "da", "so", "auch", "nur", "aber",
    "wenn", "dass", "ob", "machen", "nach",
];

const STOPWORDS_EN: &[&str] = &[
    "the", "a", "an", "my", "me", "i", "is", "are", "was", "be", "been", "has", "have", "had",
    "and", "or", "to", "of", "for", "on", "at", "in", "with", "please", "still", "it", "you",
    "your", "we", "us", "can", "could", "would", "want", "will", "do", "does", "did", "not", "no",
    "yes", "what", "how", "who", "is", "there", "this", "that", "just", "so", "but", "if", "from",
    "about", "get", "im", "id", "dont", "yet",
];

/// Words that tell German from English when no umlaut does.
const MARKERS_DE: &[&str] = &[
    "ich",
    "ist",
    "mein",
    "meine",
    "meiner",
    "wo",
    "wie",
    "und",
    "bitte",
    "danke",
    "hallo",
    "nicht",
    "kann",
    "moechte",
    "bestellung",
    "paket",
    "wann",
    "mit",
    "der",
    "die",
    "das",
    "ein",
    "eine",
    "haben",
    "sie",
    "guten",
    "tag",
    "gibt",
];
const MARKERS_EN: &[&str] = &[
    "i", "is", "my", "where", "how", "and", "please", "thanks", "thank", "hello", "not", "can",
    "want", "order", "parcel", "when", "with", "the", "a", "have", "you", "what", "does", "hi",
    "size", "return", "would",
];

/// Whether a normalized word is a German or English function word ("ich", "the", "bitte").
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS_DE.contains(&word) || STOPWORDS_EN.contains(&word)
}

/// Lower-cases, spells umlauts and ß out, and turns everything but letters and digits into spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        // Most text is ASCII: one byte each, no Unicode lowercase tables (the same result).
        if c.is_ascii() {
            out.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            });
            continue;
        }
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' | 'ẞ' => out.push_str("ss"),
            'é' | 'è' | 'ê' | 'É' => out.push('e'),
            'á' | 'à' | 'â' => out.push('a'),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// Strips one common German or English inflection suffix, keeping at least four letters.
pub fn stem(word: &str) -> &str {
    const SUFFIXES: &[&str] = &[
        "ungen", "ung", "ing", "ern", "en", "er", "es", "em", "ed", "e", "s", "n",
    ];
    if word.len() < 5 || word.bytes().any(|b| b.is_ascii_digit()) {
        return word;
    }
    for suffix in SUFFIXES {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.len() >= 4
        {
            return stem;
        }
    }
    word
}

/// Guesses the language of a message from umlauts and marker words.
pub fn detect_language(text: &str) -> Option<Lang> {
    if text
        .chars()
        .any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü'))
    {
        return Some(Lang::De);
    }
    let normalized = normalize(text);
    let (mut de, mut en) = (0, 0);
    for w in normalized.split_whitespace() {
        de += usize::from(MARKERS_DE.contains(&w));
        en += usize::from(MARKERS_EN.contains(&w));
    }
    match de.cmp(&en) {
        std::cmp::Ordering::Greater => Some(Lang::De),
        std::cmp::Ordering::Less => Some(Lang::En),
        std::cmp::Ordering::Equal => None,
    }
}

/// Real words one letter away from a handoff, routing or SLA keyword: never read as its typo
/// ("Wie hoch ist der Betrag?" is not "Betrug"; "beraten" is not "Berater").
pub const NOT_TYPOS: &[&str] = &[
    "betrag",
    "betraege",
    "betragen",
    "betraegt",
    "betrugen",
    "beraten",
    "beratet",
    "berate",
    "dringen",
    "dringt",
    "stollen",
    "stole",
    "layer",
    "heilig",
    "mitarbeiten",
    "agenda",
    "humane",
    "humor",
    "frau",
    "frauen",
    "sofa",
    "scan",
    "scans",
];

/// The words of a letter's closing ("Liebe Grüße", "LG", "Mit freundlichen Grüßen", "Kind
/// regards"): they say nothing about what a message asks, and "Grüße" is no typo of "Größe".
pub const SIGN_OFFS: &[&str] = &[
    "gruesse", "gruessen", "gruss", "gruessle", "lg", "vg", "mfg", "regards",
];

/// The first word of a greeting by the time of day ("Guten Abend", "good evening").
const GOOD: &[&str] = &["guten", "gute", "good", "gud"];

/// Times of day a greeting names ("Gute Nacht" and "good night" say goodbye).
const TIMES_OF_DAY: &[&str] = &[
    "morgen",
    "tag",
    "abend",
    "mittag",
    "nachmittag",
    "vormittag",
    "morning",
    "afternoon",
    "evening",
    "day",
];

/// Whether `phrase` (normalized words) occurs in `words` as consecutive words, allowing one typo
/// per word of five letters or more (but not a real word that happens to be one letter off).
pub fn contains_phrase(words: &[&str], phrase: &[String]) -> bool {
    if phrase.is_empty() || phrase.len() > words.len() {
        return false;
    }
    words.windows(phrase.len()).any(|window| {
        window.iter().zip(phrase).all(|(w, p)| {
            *w == p || (p.len() >= 5 && !NOT_TYPOS.contains(w) && within_one_edit(w, p))
        })
    })
}

/// Damerau-Levenshtein distance of at most one (insert, delete, substitute, swap neighbours).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    if la == lb {
        ra[1..] == rb[1..]
            || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
    } else if la > lb {
        ra[1..] == *rb
    } else {
        *ra == rb[1..]
    }
}

/// The prepared matcher: vocabulary, synonyms, and each intent's examples as weighted vectors.
#[derive(Debug, Clone)]
pub struct Matcher {
    stopwords: HashSet<&'static str>,
    /// Multi-word synonyms ("vielen dank", "guten morgen"), longest first: only whole phrases map.
    phrases: Vec<(Vec<String>, String)>,
    /// The canonical term of the configuration's greetings by the time of day ("guten tag",
    /// "good morning"): every other time of day greets too ("guten Abend", "good afternoon").
    time_greeting: Option<String>,
    /// Normalized word (or stem) -> canonical term.
    canonical: HashMap<String, String>,
    /// Every word the configuration knows, for typo correction.
    vocabulary: HashSet<String>,
    /// Deletion neighbourhood (SymSpell, distance 1) -> vocabulary words.
    deletions: HashMap<String, Vec<String>>,
    idf: HashMap<String, f64>,
    examples: Vec<Example>,
}

#[derive(Debug, Clone)]
struct Example {
    intent: String,
    /// term -> weight, and the vector's norm.
    terms: HashMap<String, f64>,
    norm: f64,
}

impl Matcher {
    /// Builds a matcher from synonym groups (canonical -> words) and intents (id -> examples).
    pub fn new(synonyms: &[(String, Vec<String>)], intents: &[(String, Vec<String>)]) -> Self {
        let stopwords: HashSet<&'static str> =
            STOPWORDS_DE.iter().chain(STOPWORDS_EN).copied().collect();
        let mut canonical = HashMap::new();
        let mut vocabulary = HashSet::new();
        let mut phrases = Vec::new();
        for (target, words) in synonyms {
            for word in words.iter().chain(std::iter::once(target)) {
                let normalized = normalize(word);
                let parts: Vec<String> = normalized.split_whitespace().map(str::to_owned).collect();
                vocabulary.extend(parts.iter().cloned());
                match parts.as_slice() {
                    [] => {}
                    [w] => {
                        if !stopwords.contains(w.as_str()) {
                            canonical.entry(w.clone()).or_insert_with(|| target.clone());
                            canonical
                                .entry(stem(w).to_owned())
                                .or_insert_with(|| target.clone());
                        }
                    }
                    _ => phrases.push((parts, target.clone())),
                }
            }
        }
        phrases.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        let time_greeting = phrases
            .iter()
            .find(|(words, _)| {
                matches!(words.as_slice(), [good, time]
                    if GOOD.contains(&good.as_str()) && TIMES_OF_DAY.contains(&time.as_str()))
            })
            .map(|(_, target)| target.clone());
        for (_, examples) in intents {
            for e in examples {
                vocabulary.extend(normalize(e).split_whitespace().map(str::to_owned));
            }
        }
        let mut deletions: HashMap<String, Vec<String>> = HashMap::new();
        for word in &vocabulary {
            if word.len() < 4 {
                continue;
            }
            for d in deletes(word) {
                deletions.entry(d).or_default().push(word.clone());
            }
        }
        let mut matcher = Self {
            stopwords,
            phrases,
            time_greeting,
            canonical,
            vocabulary,
            deletions,
            idf: HashMap::new(),
            examples: Vec::new(),
        };
        let tokenized: Vec<(String, Vec<String>)> = intents
            .iter()
            .flat_map(|(id, examples)| examples.iter().map(move |e| (id.clone(), e)))
            .map(|(id, e)| (id, matcher.terms(e)))
            .collect();
        let n = tokenized.len().max(1) as f64;
        let mut df: HashMap<&str, usize> = HashMap::new();
        for (_, terms) in &tokenized {
            for t in terms.iter().collect::<HashSet<_>>() {
                *df.entry(t).or_default() += 1;
            }
        }
        // Capped, so a word that happens to occur in one example cannot outweigh what a message asks.
        matcher.idf = df
            .iter()
            .map(|(t, d)| ((*t).to_owned(), (1.0 + n / *d as f64).ln().min(MAX_IDF)))
            .collect();
        matcher.examples = tokenized
            .into_iter()
            .filter(|(_, terms)| !terms.is_empty())
            .map(|(intent, terms)| {
                let weights = matcher.weigh(&terms);
                let norm = weights.values().map(|w| w * w).sum::<f64>().sqrt();
                Example {
                    intent,
                    terms: weights,
                    norm,
                }
            })
            .collect();
        matcher
    }

    /// The canonical terms of a text: normalized, typo-corrected, stemmed, synonyms resolved,
    /// stop words dropped. Order numbers become the term `<number>`.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        let mut terms = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < words.len() {
            if let Some((len, target)) = self.phrase_at(&words, i) {
                terms.push(target.to_owned());
                i += len;
                continue;
            }
            self.term(words[i], &mut terms);
            i += 1;
        }
        terms
    }

    /// The multi-word synonym starting at `words[i]`, if any: its length and canonical term.
    pub(crate) fn phrase_at(&self, words: &[&str], i: usize) -> Option<(usize, &str)> {
        let rest = &words[i..];
        self.phrases
            .iter()
            .find(|(phrase, _)| {
                phrase.len() <= rest.len() && phrase.iter().zip(rest).all(|(p, w)| p == w)
            })
            .map(|(phrase, target)| (phrase.len(), target.as_str()))
            .or_else(|| match rest {
                [good, time, ..] if GOOD.contains(good) && TIMES_OF_DAY.contains(time) => {
                    self.time_greeting.as_deref().map(|t| (2, t))
                }
                _ => None,
            })
    }

    /// The canonical terms of one word (none for a stop word), as in [`Matcher::terms`].
    pub(crate) fn term(&self, word: &str, out: &mut Vec<String>) {
        self.term_with(word, || self.correct(word), out);
    }

    /// [`Matcher::term`] with the word's typo correction given (computed once by the caller).
    pub(crate) fn term_with(
        &self,
        word: &str,
        correct: impl FnOnce() -> Option<String>,
        out: &mut Vec<String>,
    ) {
        if self.stopwords.contains(word) || SIGN_OFFS.contains(&word) {
            return;
        }
        if word.bytes().all(|b| b.is_ascii_digit()) {
            if word.len() >= 4 {
                out.push("<number>".to_owned());
            }
            return;
        }
        if let Some(c) = self.known(word) {
            out.push(c);
            return;
        }
        if let Some(corrected) = correct() {
            out.push(
                self.known(&corrected)
                    .unwrap_or_else(|| stem(&corrected).to_owned()),
            );
            return;
        }
        // German compounds: "Lieferstatus", "Rücksendeetikett", "Zahlungsmöglichkeiten".
        if let Some(parts) = self.split_compound(word) {
            out.extend(parts);
            return;
        }
        out.push(stem(word).to_owned());
    }

    /// The canonical term of a word the configuration knows (directly or by its stem).
    fn known(&self, word: &str) -> Option<String> {
        self.canonical
            .get(word)
            .or_else(|| self.canonical.get(stem(word)))
            .cloned()
            .or_else(|| {
                self.vocabulary
                    .contains(word)
                    .then(|| stem(word).to_owned())
            })
    }

    /// Splits an unknown long word into two parts of which at least one is a known term.
    fn split_compound(&self, word: &str) -> Option<Vec<String>> {
        if word.len() < 8 {
            return None;
        }
        let mut best: Option<(usize, Vec<String>)> = None;
        for i in 4..=word.len() - 4 {
            if !word.is_char_boundary(i) {
                continue;
            }
            let (left, right) = (&word[..i], &word[i..]);
            let (l, r) = (self.canonical_only(left), self.canonical_only(right));
            let known = usize::from(l.is_some()) + usize::from(r.is_some());
            if known == 0 || best.as_ref().is_some_and(|(k, _)| *k >= known) {
                continue;
            }
            let parts = [l, r].into_iter().flatten().collect();
            best = Some((known, parts));
        }
        best.map(|(_, parts)| parts)
    }

    fn canonical_only(&self, part: &str) -> Option<String> {
        self.canonical
            .get(part)
            .or_else(|| self.canonical.get(stem(part)))
            .cloned()
    }

    /// The vocabulary word one edit away from an unknown `word`, if there is one.
    pub(crate) fn correct(&self, word: &str) -> Option<String> {
        if word.len() < 4 || self.vocabulary.contains(word) {
            return None;
        }
        self.neighbour(word)
    }

    /// Another vocabulary word one edit away from `word` (known or not), if there is one.
    pub(crate) fn neighbour(&self, word: &str) -> Option<String> {
        if word.len() < 4 {
            return None;
        }
        let mut candidates: Vec<&String> = Vec::new();
        if let Some(words) = self.deletions.get(word) {
            candidates.extend(words);
        }
        for d in deletes(word) {
            if let Some(v) = self.vocabulary.get(&d) {
                candidates.push(v);
            }
            if let Some(words) = self.deletions.get(&d) {
                candidates.extend(words);
            }
        }
        // Same first letter: "Bello" is a name, not a typo of "hello".
        candidates
            .into_iter()
            .filter(|c| {
                c.as_bytes().first() == word.as_bytes().first()
                    && *c != word
                    && within_one_edit(word, c)
            })
            .min_by(|a, b| {
                a.len()
                    .abs_diff(word.len())
                    .cmp(&b.len().abs_diff(word.len()))
                    .then(a.cmp(b))
            })
            .cloned()
    }

    fn weigh(&self, terms: &[String]) -> HashMap<String, f64> {
        let mut weights = HashMap::new();
        for t in terms {
            // Words no example uses ("Kleid", "Hose") weigh less than any known term: they make
            // a message a little less like every intent without drowning what it asks.
            let idf = self.idf.get(t).copied().unwrap_or(UNKNOWN_TERM_WEIGHT);
            *weights.entry(t.clone()).or_insert(0.0) += idf;
        }
        weights
    }

    /// Every intent with its best example's cosine similarity, best first.
    pub fn rank(&self, text: &str) -> Vec<IntentMatch> {
        let terms = self.terms(text);
        if terms.is_empty() {
            return Vec::new();
        }
        let query = self.weigh(&terms);
        let qnorm = query.values().map(|w| w * w).sum::<f64>().sqrt();
        let mut best: HashMap<&str, f64> = HashMap::new();
        for e in &self.examples {
            let dot: f64 = query
                .iter()
                .filter_map(|(t, w)| e.terms.get(t).map(|ew| w * ew))
                .sum();
            if dot == 0.0 {
                continue;
            }
            let score = dot / (qnorm * e.norm);
            let slot = best.entry(&e.intent).or_insert(0.0);
            if score > *slot {
                *slot = score;
            }
        }
        let mut ranked: Vec<IntentMatch> = best
            .into_iter()
            .map(|(intent, score)| IntentMatch {
                intent: intent.to_owned(),
                score,
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.intent.cmp(&b.intent)));
        ranked
    }

    /// The best intent, if it scores at least `threshold`.
    pub fn best(&self, text: &str, threshold: f64) -> Option<IntentMatch> {
        self.rank(text)
            .into_iter()
            .next()
            .filter(|m| m.score >= threshold)
    }
}

/// Every string one deletion away from `word`.
fn deletes(word: &str) -> impl Iterator<Item = String> + '_ {
    (0..word.len())
        .filter(move |i| word.is_char_boundary(*i) && word.is_char_boundary(i + 1))
        .map(move |i| format!("{}{}", &word[..i], &word[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_spells_out_umlauts_and_drops_punctuation() {
        assert_eq!(normalize("Größe? Rücksendung!"), "groesse  ruecksendung ");
        assert_eq!(normalize("STRAẞE"), "strasse");
    }

    #[test]
    fn one_edit_means_insert_delete_substitute_or_swap() {
        assert!(within_one_edit("trackin", "tracking"));
        assert!(within_one_edit("pakte", "paket"));
        assert!(within_one_edit("bestelung", "bestellung"));
        assert!(within_one_edit("paket", "pakat"));
        assert!(!within_one_edit("paket", "pkt"));
        assert!(!within_one_edit("order", "ordner1"));
    }

    #[test]
    fn stemming_joins_inflections() {
        assert_eq!(stem("verfolgen"), "verfolg");
        assert_eq!(stem("verfolgung"), "verfolg");
        assert_eq!(stem("tracking"), "track");
        assert_eq!(stem("pakete"), "paket");
        assert_eq!(stem("100234"), "100234");
    }

    #[test]
    fn language_is_guessed_from_umlauts_and_common_words() {
        assert_eq!(detect_language("Wo ist mein Paket?"), Some(Lang::De));
        assert_eq!(detect_language("Größe"), Some(Lang::De));
        assert_eq!(detect_language("where is my order"), Some(Lang::En));
        assert_eq!(detect_language("100234"), None);
    }

    fn matcher() -> Matcher {
        let synonyms = vec![
            (
                "parcel".to_owned(),
                vec!["paket".into(), "package".into(), "sendung".into()],
            ),
            (
                "order".to_owned(),
                vec!["bestellung".into(), "order".into()],
            ),
            (
                "track".to_owned(),
                vec!["verfolgen".into(), "tracking".into(), "track".into()],
            ),
            ("where".to_owned(), vec!["wo".into(), "where".into()]),
        ];
        let intents = vec![
            (
                "order_status".to_owned(),
                vec!["wo ist mein paket".into(), "bestellung verfolgen".into()],
            ),
            (
                "returns".to_owned(),
                vec!["ruecksendung".into(), "return an item".into()],
            ),
        ];
        Matcher::new(&synonyms, &intents)
    }

    #[test]
    fn synonyms_typos_and_languages_reach_the_same_intent() {
        let m = matcher();
        for text in [
            "Wo ist mein Paket?",
            "Meine Bestellung verfolgen",
            "where is my package",
            "trackin my parcel",
            "Wo ist mein Pakte",
        ] {
            let best = m
                .best(text, 0.4)
                .unwrap_or_else(|| panic!("no intent for {text:?}"));
            assert_eq!(best.intent, "order_status", "{text}: {:?}", m.rank(text));
        }
    }

    #[test]
    fn every_time_of_day_greets_like_the_configured_greetings() {
        let synonyms = vec![(
            "hello".to_owned(),
            vec!["hallo".into(), "guten tag".into(), "good morning".into()],
        )];
        let m = Matcher::new(&synonyms, &[]);
        for text in [
            "Guten Abend",
            "good evening",
            "Good afternoon!",
            "guten morgen",
        ] {
            assert_eq!(m.terms(text), ["hello"], "{text}");
        }
        assert_ne!(m.terms("gute nacht"), ["hello"]);
        assert_ne!(m.terms("good night"), ["hello"]);
    }

    #[test]
    fn a_closing_formula_is_no_typo_of_a_known_word() {
        let m = Matcher::new(
            &[("size".to_owned(), vec!["groesse".into(), "size".into()])],
            &[],
        );
        assert!(m.terms("Welche Größe?").iter().any(|t| t == "size"));
        assert!(m.terms("Liebe Grüße, Anna").iter().all(|t| t != "size"));
    }

    #[test]
    fn unrelated_text_matches_nothing() {
        assert_eq!(matcher().best("Wie ist das Wetter heute", 0.4), None);
    }
}
