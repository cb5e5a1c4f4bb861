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

/// A list of handoff words or phrases, normalized, with an index of the phrases a word can
/// start (see [`Keywords::candidates`]).
#[derive(Debug, Clone, Default)]
pub struct Keywords {
    phrases: Vec<Vec<String>>,
    /// By the first byte of their first word: the phrases whose first word is a word with that
    /// first byte itself, inflected, or mistyped ([`word_is_keyword`] wants the same first byte).
    by_first_byte: Vec<Vec<usize>>,
    /// The phrases whose first word may close a compound (six bytes or more), with its length.
    compounds: Vec<(usize, usize)>,
}

/// The shortest keyword [`word_is_keyword`] finds at the end of a compound or mistyped.
const LONG_KEYWORD: usize = 6;

/// The fewest bytes a compound has before its keyword ("Kundenberater": "kun").
const COMPOUND_HEAD: usize = 3;

impl Keywords {
    pub fn new(list: &[String]) -> Self {
        let phrases: Vec<Vec<String>> = list
            .iter()
            .map(|w| normalize(w).split_whitespace().map(str::to_owned).collect())
            .filter(|p: &Vec<String>| !p.is_empty())
            .collect();
        let mut by_first_byte = vec![Vec::new(); 256];
        let mut compounds = Vec::new();
        for (i, phrase) in phrases.iter().enumerate() {
            let first = &phrase[0];
            by_first_byte[usize::from(first.as_bytes()[0])].push(i);
            if first.len() >= LONG_KEYWORD {
                compounds.push((i, first.len()));
            }
        }
        Self {
            phrases,
            by_first_byte,
            compounds,
        }
    }

    /// The phrases whose first word `word` may be (by [`word_is_keyword`], which judges): those
    /// whose first word starts with the same byte (the word itself, inflected, mistyped), and
    /// the long ones that fit at the end of `word` with a compound's head before them. Each
    /// phrase once.
    fn candidates(&self, word: &str) -> impl Iterator<Item = usize> {
        let first = word.as_bytes().first().copied();
        let same_start = first.map_or(&[][..], |b| &self.by_first_byte[usize::from(b)]);
        let first_word = |i: usize| self.phrases[i][0].as_bytes()[0];
        same_start.iter().copied().chain(
            self.compounds
                .iter()
                .filter(move |&&(i, len)| {
                    len + COMPOUND_HEAD <= word.len() && Some(first_word(i)) != first
                })
                .map(|&(i, _)| i),
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
        self.positions(words, model, lex, keep).next().is_some()
    }

    /// Where the phrases `keep` accepts occur in `words` (one clause), neither negated nor
    /// praise: the index of each occurrence's first word.
    pub(super) fn positions(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
        keep: impl Fn(&[String]) -> bool,
    ) -> impl Iterator<Item = usize> {
        self.meant(words, model, lex, keep).map(|(_, at)| at)
    }

    /// The occurrences of the phrases `keep` accepts in `words` (one clause), neither negated,
    /// praise nor hedged ("asap ish"): each phrase with the index of its first word.
    pub(super) fn meant(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
        keep: impl Fn(&[String]) -> bool,
    ) -> impl Iterator<Item = (&[String], usize)> {
        self.occurrences(words, model, lex)
            .filter(move |&(phrase, at)| {
                let end = at + phrase.len();
                keep(phrase)
                    && !negated(lex, words, at)
                    && !negated_after(lex, words, end)
                    && !praise_follows(lex, words, end)
                    && words.get(end) != Some(&"ish")
            })
    }

    /// Whether `word` begins with one of the one-word entries ("Beschwerde" with "beschwerde").
    pub(super) fn begins(&self, word: &str) -> bool {
        self.phrases
            .iter()
            .any(|p| matches!(p.as_slice(), [k] if word.starts_with(k.as_str())))
    }

    /// Whether `phrase` (normalized words) is one of the phrases as written.
    pub(super) fn has_phrase(&self, phrase: &[&str]) -> bool {
        self.phrases
            .iter()
            .any(|p| p.iter().eq(phrase.iter().copied()))
    }

    /// Whether one of the phrases occurs negated in `words` (one clause): the customer says
    /// what they do NOT want or have ("no need to talk to someone", "kein Betrug").
    pub(super) fn negated_in(&self, words: &[&str], model: &Model, lex: &Lexicon) -> bool {
        self.occurrences(words, model, lex).any(|(phrase, at)| {
            negated(lex, words, at) || negated_after(lex, words, at + phrase.len())
        })
    }

    /// Whether a German word of the list opens the compound `word` ("Betrugsversuch",
    /// "Betrugsmasche", "Phishingmail"): the compound names the same thing.
    pub(super) fn opens_compound(&self, word: &str) -> bool {
        self.phrases.iter().any(|phrase| {
            matches!(phrase.as_slice(), [k] if k.len() >= 6
                && !ENGLISH_KEYWORDS.contains(&k.as_str())
                && word.len() >= k.len() + 4
                && word.starts_with(k.as_str()))
        })
    }

    /// Every occurrence of a phrase in `words`, with the index of its first word, word by
    /// word (the order means nothing): only the phrases a word may start
    /// ([`Keywords::candidates`]) are tried there.
    pub(super) fn occurrences(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
    ) -> impl Iterator<Item = (&[String], usize)> {
        self.found_phrases(words, model, lex)
            .map(|(i, at)| (self.phrases[i].as_slice(), at))
    }

    /// [`Keywords::occurrences`] with each phrase's index in the list.
    fn found_phrases(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
    ) -> impl Iterator<Item = (usize, usize)> {
        words.iter().enumerate().flat_map(move |(at, word)| {
            self.candidates(word)
                .filter(move |&i| {
                    let phrase = &self.phrases[i];
                    words.get(at..at + phrase.len()).is_some_and(|window| {
                        window
                            .iter()
                            .zip(phrase)
                            .all(|(w, k)| word_is_keyword(lex, w, k, model))
                    })
                })
                .map(move |i| (i, at))
        })
    }

    /// [`Keywords::occurrences`] by the index, each phrase's index in the list with the place
    /// it starts, sorted (to compare with [`Keywords::occurrences_by_scan`]).
    #[cfg(test)]
    pub(super) fn occurrences_by_index(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
    ) -> Vec<(usize, usize)> {
        let mut found: Vec<_> = self.found_phrases(words, model, lex).collect();
        found.sort_unstable();
        found
    }

    /// [`Keywords::occurrences`] by trying every phrase at every place: what the index must
    /// find (phrase by phrase, so sorted).
    #[cfg(test)]
    pub(super) fn occurrences_by_scan(
        &self,
        words: &[&str],
        model: &Model,
        lex: &Lexicon,
    ) -> Vec<(usize, usize)> {
        self.phrases
            .iter()
            .enumerate()
            .filter(|(_, phrase)| phrase.len() <= words.len())
            .flat_map(|(i, phrase)| {
                words
                    .windows(phrase.len())
                    .enumerate()
                    .filter(move |(_, window)| {
                        window
                            .iter()
                            .zip(phrase)
                            .all(|(w, k)| word_is_keyword(lex, w, k, model))
                    })
                    .map(move |(at, _)| (i, at))
            })
            .collect()
    }

    /// The phrases (their index) whose first word `word` is by [`word_is_keyword`] asked of
    /// each (`by_scan`) or of the index's candidates only.
    #[cfg(test)]
    pub(super) fn first_words_matched(
        &self,
        word: &str,
        model: &Model,
        lex: &Lexicon,
        by_scan: bool,
    ) -> Vec<usize> {
        let tried: Vec<usize> = if by_scan {
            (0..self.phrases.len()).collect()
        } else {
            self.candidates(word).collect()
        };
        tried
            .into_iter()
            .filter(|&i| word_is_keyword(lex, word, &self.phrases[i][0], model))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::super::model::{TRAINING, parse_labelled};
    use super::*;

    fn lists(config: &BotConfig) -> [(&str, &Keywords); 4] {
        [
            ("urgent", &config.urgent),
            ("fraud", &config.fraud),
            ("complaint", &config.complaint),
            ("request", &config.request),
        ]
    }

    /// Words the training split may lack: compounds, inflections and typos of every kind.
    const FORMS: &[&str] = &[
        "kreditkartenbetrug",
        "betrugsversuch",
        "kundenberater",
        // The shortest compounds: three bytes before the keyword.
        "topberater",
        "topbetrug",
        "mitarbeiterinnen",
        "beschwerden",
        "dringnd",
        "drigend",
        "humans",
        "scammed",
        "callback",
        "zurueckrufen",
        "reagent",
        "betrag",
        "notfaelle",
    ];

    #[test]
    fn the_keyword_index_finds_every_keyword_the_plain_scan_finds_on_every_training_word() {
        let config = BotConfig::default_shop();
        let (model, lex) = (&config.model, &config.words);
        let training = parse_labelled(TRAINING).expect("the training split parses");
        let words: BTreeSet<String> = training
            .iter()
            .flat_map(|e| {
                normalize(&e.text)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .chain(FORMS.iter().map(|w| (*w).to_owned()))
            .collect();
        let mut found = 0;
        for (name, list) in lists(&config) {
            for word in &words {
                let by_scan = list.first_words_matched(word, model, lex, true);
                let by_index = list.first_words_matched(word, model, lex, false);
                assert_eq!(by_index, by_scan, "{name}: {word:?}");
                found += by_scan.len();
            }
        }
        // Not a comparison of two empty lists.
        assert!(found > 50, "{found}");
    }

    #[test]
    fn the_keyword_index_finds_every_phrase_the_plain_scan_finds_in_every_training_message() {
        let config = BotConfig::default_shop();
        let (model, lex) = (&config.model, &config.words);
        let training = parse_labelled(TRAINING).expect("the training split parses");
        let mut found = 0;
        for example in &training {
            // The whole message as one clause: more phrases across words than any clause has.
            let normalized = normalize(&example.text);
            let words: Vec<&str> = normalized.split_whitespace().collect();
            for (name, list) in lists(&config) {
                let by_scan = list.occurrences_by_scan(&words, model, lex);
                assert_eq!(
                    list.occurrences_by_index(&words, model, lex),
                    by_scan,
                    "{name}: {:?}",
                    example.text
                );
                found += by_scan.len();
            }
        }
        assert!(found > 200, "{found}");
    }

    #[test]
    fn a_compound_inflection_and_typo_are_found_through_the_index() {
        let config = BotConfig::default_shop();
        let (model, lex) = (&config.model, &config.words);
        // Where a phrase starts (two may start at one word: "kundenberater", "berater").
        let found = |list: &Keywords, text: &str| {
            let words: Vec<&str> = text.split_whitespace().collect();
            let at: BTreeSet<usize> = list
                .occurrences(&words, model, lex)
                .map(|(_, at)| at)
                .collect();
            at.into_iter().collect::<Vec<_>>()
        };
        assert_eq!(found(&config.fraud, "das ist kreditkartenbetrug"), [2]);
        assert_eq!(found(&config.request, "bitte einen kundenberater"), [2]);
        assert_eq!(found(&config.request, "mit den mitarbeiterinnen"), [2]);
        assert_eq!(found(&config.urgent, "es ist dringnd"), [2]);
        assert_eq!(found(&config.request, "can you call me back"), [2]);
        assert!(found(&config.fraud, "der betrag stimmt nicht").is_empty());
    }
}
