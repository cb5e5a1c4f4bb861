//! Handoff words and phrases: their inflections, German compounds and one-letter typos.

use super::*;

/// Endings a handoff word may carry and still be that word ("Mitarbeiterin", "Anwalts",
/// "Beschwerden", "frauds").
pub(super) const INFLECTIONS: &[&str] = &[
    "", "s", "es", "e", "en", "n", "er", "ern", "in", "innen", "ed", "ing",
];

/// Endings only German words take: an English handoff word with one is a German word of its
/// own ("humanen Arbeitsbedingungen" is an adjective, not a request for a human).
pub(super) const GERMAN_ENDINGS: &[&str] = &["e", "en", "n", "er", "ern", "in", "innen"];

/// Handoff words that are English only: they take English endings ("humans", "complaints",
/// "scammed") but no German ones (see [`GERMAN_ENDINGS`]).
pub(super) const ENGLISH_KEYWORDS: &[&str] = &[
    "human",
    "urgent",
    "emergency",
    "immediately",
    "fraud",
    "scam",
    "stolen",
    "hacked",
    "complaint",
    "lawyer",
    "callback",
    "asap",
];

/// Whether `word` is an English handoff word with an ending only German words take: a German
/// word of its own ("humanen", "humane"), no sign of the English one.
pub(super) fn english_word_with_german_ending(word: &str) -> bool {
    ENGLISH_KEYWORDS.iter().any(|k| {
        word.strip_prefix(k)
            .is_some_and(|ending| GERMAN_ENDINGS.contains(&ending))
    })
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
    pub fn found_in(&self, words: &[&str], model: &Model, lex: &Lexicon) -> bool {
        self.found_where(words, model, lex, |_| true)
    }

    /// [`Keywords::found_in`] for the phrases `keep` accepts.
    pub(super) fn found_where(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
        keep: impl Fn(&[String]) -> bool,
    ) -> bool {
        !self.positions(words, model, lex, keep).is_empty()
    }

    /// Where the phrases `keep` accepts occur in `words` (one clause), neither negated nor
    /// praise: the index of each occurrence's first word.
    pub(super) fn positions(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
        keep: impl Fn(&[String]) -> bool,
    ) -> Vec<usize> {
        self.meant(words, model, lex, keep)
            .into_iter()
            .map(|(_, at)| at)
            .collect()
    }

    /// The occurrences of the phrases `keep` accepts in `words` (one clause), neither negated,
    /// praise nor hedged ("asap ish"): each phrase with the index of its first word.
    pub(super) fn meant(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
        keep: impl Fn(&[String]) -> bool,
    ) -> Vec<(&[String], usize)> {
        self.occurrences(words, model, lex)
            .into_iter()
            .filter(|&(phrase, at)| {
                let end = at + phrase.len();
                keep(phrase)
                    && !negated(lex, words, at)
                    && !negated_after(lex, words, end)
                    && !praise_follows(lex, words, end)
                    && words.get(end) != Some(&"ish")
            })
            .collect()
    }

    /// Whether `word` begins with one of the one-word entries ("Beschwerde" with "beschwerde").
    pub(super) fn begins(&self, word: &str) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p.as_slice(), [k] if word.starts_with(k.as_str())))
    }

    /// Whether `phrase` (normalized words) is one of the phrases as written.
    pub(super) fn has_phrase(&self, phrase: &[&str]) -> bool {
        self.0.iter().any(|p| p.iter().eq(phrase.iter().copied()))
    }

    /// Whether one of the phrases occurs negated in `words` (one clause): the customer says
    /// what they do NOT want or have ("no need to talk to someone", "kein Betrug").
    pub(super) fn negated_in(&self, words: &[&str], model: &Model, lex: &Lexicon) -> bool {
        self.occurrences(words, model, lex)
            .into_iter()
            .any(|(phrase, at)| {
                negated(lex, words, at) || negated_after(lex, words, at + phrase.len())
            })
    }

    /// Whether a German word of the list opens the compound `word` ("Betrugsversuch",
    /// "Betrugsmasche", "Phishingmail"): the compound names the same thing.
    pub(super) fn opens_compound(&self, word: &str) -> bool {
        self.0.iter().any(|phrase| {
            matches!(phrase.as_slice(), [k] if k.len() >= 6
                && !ENGLISH_KEYWORDS.contains(&k.as_str())
                && word.len() >= k.len() + 4
                && word.starts_with(k.as_str()))
        })
    }

    /// Every occurrence of a phrase in `words`, with the index of its first word.
    pub(super) fn occurrences(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
    ) -> Vec<(&[String], usize)> {
        self.0
            .iter()
            .filter(|phrase| phrase.len() <= words.len())
            .flat_map(|phrase| {
                words
                    .windows(phrase.len())
                    .enumerate()
                    .filter(move |(_, window)| {
                        window
                            .iter()
                            .zip(phrase)
                            .all(|(w, k)| word_is_keyword(lex, w, k, model))
                    })
                    .map(move |(at, _)| (phrase.as_slice(), at))
            })
            .collect()
    }
}

/// `word` is `keyword`, inflected, at the end of a compound ("Kundenberater",
/// "Kreditkartenbetrug"), or mistyped by one letter when it is no word the bot knows.
pub fn word_is_keyword(lex: &Lexicon, word: &str, keyword: &str, model: &Model) -> bool {
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
    if !maybe || NOT_TYPOS.contains(&word) || lex.not_request_compounds.begins(word) {
        return false;
    }
    let english = ENGLISH_KEYWORDS.contains(&keyword);
    for ending in INFLECTIONS {
        if english && GERMAN_ENDINGS.contains(ending) {
            continue;
        }
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
