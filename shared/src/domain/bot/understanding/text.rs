//! A message's sentences, clauses and parts, and whether one asks a question.

use std::borrow::Cow;
use std::ops::Range;

use super::keywords::ENGLISH_KEYWORDS;
use super::*;

/// Where a clause ends: a negation reaches no further.
pub(super) const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '(', ')', '-', '–'];

/// The sentences of a message, each with its end mark.
pub(super) fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .filter(|s| !s.trim().is_empty())
}

/// `text` with a hedge "-ish" glued to its word ("ASAP-ish" is "asapish", no urgency word): the
/// hyphen would end a clause.
fn glued(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.contains("-ish") || text.contains("-ISH") {
        text.replace("-ish", "ish").replace("-ISH", "ish").into()
    } else {
        text
    }
}

/// A message split once into its clauses, normalized (a negation reaches no further than its
/// clause), and its sentences, each with the range of its clauses: every handoff rule reads
/// these instead of splitting and normalizing the text again. Read its words with
/// [`Parsed::words`].
pub(super) struct Parsed<'t> {
    /// The text the rules read (quoted names blanked, "-ish" glued), sentences in it.
    text: Cow<'t, str>,
    /// Each clause of the whole text, normalized.
    clauses: Vec<String>,
    /// Each sentence ([`sentences`]): its bytes in `text` and its clauses in `clauses`. A
    /// sentence split on its own has one more, empty clause after the mark it ends with: no rule
    /// reads anything in an empty clause, so it is left out.
    sentences: Vec<(Range<usize>, Range<usize>)>,
}

impl<'t> Parsed<'t> {
    /// `text` as the handoff rules read it: quoted names blanked (see [`without_names`]).
    pub(super) fn new(text: &'t str) -> Self {
        Self::of(without_names(text))
    }

    /// `text` as it is, names and all.
    pub(super) fn of(text: Cow<'t, str>) -> Self {
        let text = glued(text);
        let offset = |part: &str| part.as_ptr() as usize - text.as_ptr() as usize;
        let mut starts = Vec::new();
        let clauses = text
            .split(CLAUSE_ENDS)
            .map(|clause| {
                starts.push(offset(clause));
                normalize(clause)
            })
            .collect();
        // A sentence ends with an end mark, which also ends a clause: its clauses are those
        // that start inside it.
        let sentences = sentences(&text)
            .map(|sentence| {
                let bytes = offset(sentence)..offset(sentence) + sentence.len();
                let first = starts.partition_point(|&s| s < bytes.start);
                let end = starts.partition_point(|&s| s < bytes.end);
                (bytes, first..end)
            })
            .collect();
        Self {
            text,
            clauses,
            sentences,
        }
    }

    /// Each clause's words, without idioms (see [`clause_words`]).
    pub(super) fn words(&self, lex: &Lexicon) -> Words<'_> {
        Words {
            text: &self.text,
            clauses: clause_words(lex, &self.clauses),
            sentences: &self.sentences,
        }
    }
}

/// A [`Parsed`] message's words, clause by clause.
pub(super) struct Words<'p> {
    /// The text the rules read.
    pub(super) text: &'p str,
    /// Each clause's words (idioms left out).
    pub(super) clauses: Vec<Vec<&'p str>>,
    sentences: &'p [(Range<usize>, Range<usize>)],
}

impl Words<'_> {
    /// Each sentence with its clauses' words.
    pub(super) fn sentences(&self) -> impl Iterator<Item = (&str, &[Vec<&str>])> {
        self.sentences
            .iter()
            .map(|(bytes, clauses)| (&self.text[bytes.clone()], &self.clauses[clauses.clone()]))
    }
}

/// Quotation marks that open and close a name ("Scam Likely", „Sofort Glücklich“, «Urgent»).
const QUOTES_OPEN: &[char] = &['"', '„', '“', '«'];
const QUOTES_CLOSE: &[char] = &['"', '“', '”', '»'];

/// The most words a quoted name has; a longer quotation is what someone said or wrote.
const NAME_WORDS: usize = 4;

/// `text` with quoted names blanked out: two to four words, each capitalised (a product called
/// "Scam Likely" or "Urgent Love" holds no handoff word). One quoted word stays (it is as often
/// emphasis: ich wurde "betrogen"), and so does a quoted sentence ("your parcel was stolen").
pub(super) fn without_names(text: &str) -> Cow<'_, str> {
    let titled = without_title_names(text);
    if !titled.contains(QUOTES_OPEN) {
        return titled;
    }
    let mut out = String::with_capacity(titled.len());
    let mut rest: &str = &titled;
    while let Some(open) = rest.find(QUOTES_OPEN) {
        let after_open = open + rest[open..].chars().next().map_or(1, char::len_utf8);
        let Some(len) = rest[after_open..].find(QUOTES_CLOSE) else {
            break;
        };
        let close = after_open + len;
        let end = close + rest[close..].chars().next().map_or(1, char::len_utf8);
        let inner = &rest[after_open..close];
        let name = (2..=NAME_WORDS).contains(&inner.split_whitespace().count())
            && inner
                .split_whitespace()
                .all(|w| w.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()));
        out.push_str(&rest[..open]);
        out.push_str(if name { " " } else { &rest[open..end] });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.into()
}

/// English words that, before capitalised words, make them a name ("the Scam Likely hoodie").
const NAME_DETERMINERS: &[&str] = &["the", "this", "that", "these", "those", "your"];

/// `text` without an unquoted name: two or more capitalised words after an English determiner
/// that hold an English handoff word ("do you sell the Scam Likely hoodie"). German
/// capitalises nouns ("einen Scam Anruf"), so only an English determiner makes a name.
fn without_title_names(text: &str) -> Cow<'_, str> {
    let capital = |w: &str| w.starts_with(char::is_uppercase);
    if !text.split_whitespace().any(capital) {
        return text.into();
    }
    let tokens: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut i = 1;
    while i < tokens.len() {
        let before = tokens[i - 1].1;
        let run = tokens[i..].iter().take_while(|&&(_, w)| capital(w)).count();
        if run >= 2 && NAME_DETERMINERS.contains(&before.to_lowercase().as_str()) {
            let names_keyword = tokens[i..i + run]
                .iter()
                .any(|&(_, w)| ENGLISH_KEYWORDS.contains(&normalize(w).trim()));
            if names_keyword {
                let (start, _) = tokens[i];
                let (last, w) = tokens[i + run - 1];
                blank.push((start, last + w.len()));
            }
        }
        i += run.max(1);
    }
    if blank.is_empty() {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in blank {
        out.push_str(&text[at..start]);
        out.push(' ');
        at = end;
    }
    out.push_str(&text[at..]);
    out.into()
}

/// Small talk in a message of several parts: a request in one part is what the message asks
/// ("Hallo! Wo ist mein Paket?", "Kurze Frage: geht PayPal?", "wo ist mein Paket? danke").
/// Openers (bot.toml's greeting, and "I have a question"): what follows them says what the
/// customer wants.
pub(super) const OPENERS: &[&str] = &["hello", "question"];
pub(super) const THANKS: &str = "thanks";

/// Whether a part of a message asks: it ends with a question mark or starts like a question.
pub(super) fn asks(lex: &Lexicon, part: &str) -> bool {
    part.trim_end().ends_with('?')
        || normalize(part)
            .split_whitespace()
            .next()
            .is_some_and(|w| lex.question_starts.has(w))
}

/// Where one part of a message ends, for reading a long message part by part.
pub(super) const PART_ENDS: &[char] = &['.', '!', '?', '\n', ',', ';', ':'];

/// Each clause's words, without the words of an idiom (`idioms`: "call me crazy", "stole my
/// heart"): they are no handoff word nor sign.
pub(super) fn clause_words<'a>(lex: &Lexicon, clauses: &'a [String]) -> Vec<Vec<&'a str>> {
    clauses
        .iter()
        .map(|c| {
            let mut words: Vec<&str> = c.split_whitespace().collect();
            for idiom in lex.idioms.iter() {
                while let Some(at) = phrase_at(&words, idiom) {
                    words.drain(at..at + idiom.split(' ').count());
                }
            }
            words
        })
        .collect()
}

/// Where the phrase `phrase` (normalized words, one space between) starts in `words`.
pub(super) fn phrase_at(words: &[&str], phrase: &str) -> Option<usize> {
    let spaces = phrase.bytes().filter(|&b| b == b' ');
    let len = 1 + spaces.count();
    let first = &phrase[..phrase
        .bytes()
        .position(|b| b == b' ')
        .unwrap_or(phrase.len())];
    // The first word decides most places at once.
    (0..(words.len() + 1).saturating_sub(len)).find(|&at| {
        words[at] == first
            && phrase
                .split(' ')
                .skip(1)
                .zip(&words[at + 1..])
                .all(|(p, w)| p == *w)
    })
}

/// Whether one of `phrases` occurs in `words` (one clause).
pub(super) fn has_phrase(words: &[&str], phrases: &WordList) -> bool {
    phrases.iter().any(|p| phrase_at(words, p).is_some())
}

/// Whether `text` asks a question: a question mark, or a clause that opens like one.
pub(super) fn asks_a_question(lex: &Lexicon, text: &str, clauses: &[Vec<&str>]) -> bool {
    text.contains('?')
        || clauses
            .iter()
            .any(|c| c.first().is_some_and(|w| lex.question_starts.has(w)))
}

#[cfg(test)]
mod tests {
    use super::super::super::model::{TRAINING, parse_labelled};
    use super::*;

    /// How each rule split a sentence (or the whole text) before the message was read once.
    fn clauses_one_by_one(sentence: &str) -> Vec<String> {
        let sentence = sentence.replace("-ish", "ish").replace("-ISH", "ish");
        sentence.split(CLAUSE_ENDS).map(normalize).collect()
    }

    const TRICKY: &[&str] = &[
        "",
        "...",
        "!!!",
        "Dringend!!! Bitte sofort zurückrufen?!",
        "wo ist mein paket ich warte seit montag",
        "Hallo\n\n\nWo ist mein Paket?\n  \nDanke",
        "ASAP-ish please. Or urgent-ISH, whatever!",
        "Ich habe „Sofort Glücklich“ bestellt, ist das \"Urgent Love\" Parfum da?",
        "do you sell the Scam Likely hoodie? I need it now",
        "ich wurde \"betrogen\" – bitte helfen",
        "Paket kaputt 😡😡 Beschwerde!!! (sofort)",
        "a,b;c:d(e)f-g–h.i!j?k\nl",
        "Mitarbeiter bitte.   ",
        "  ? ",
        "call me crazy, but can I pay by invoice?",
        "Schnell-schnell - bitte: jetzt!",
    ];

    fn every_text() -> Vec<String> {
        let training = parse_labelled(TRAINING).expect("the training split parses");
        TRICKY
            .iter()
            .map(|t| (*t).to_owned())
            .chain(training.into_iter().map(|e| e.text))
            .collect()
    }

    #[test]
    fn a_message_read_once_has_the_clauses_each_rule_split_before() {
        let config = BotConfig::default_shop();
        let lex = &config.words;
        for text in every_text() {
            let named = without_names(&text);
            let before = clauses_one_by_one(&named);
            let parsed = Parsed::new(&text);
            let words = parsed.words(lex);
            assert_eq!(words.clauses, clause_words(lex, &before), "{text:?}");
            assert_eq!(words.text.contains('?'), named.contains('?'), "{text:?}");
        }
    }

    #[test]
    fn a_message_read_once_has_the_sentences_and_their_clauses_each_rule_split_before() {
        let config = BotConfig::default_shop();
        let lex = &config.words;
        for text in every_text() {
            let named = without_names(&text);
            let parsed = Parsed::new(&text);
            let words = parsed.words(lex);
            let now: Vec<_> = words.sentences().collect();
            let before: Vec<&str> = sentences(&named).collect();
            assert_eq!(now.len(), before.len(), "{text:?}");
            for ((sentence, clauses), old) in now.iter().zip(before) {
                let old_clauses = clauses_one_by_one(old);
                let mut old_words = clause_words(lex, &old_clauses);
                // Split on its own, a sentence ending with a mark has an empty clause after it.
                if old.ends_with(CLAUSE_ENDS) {
                    assert_eq!(old_words.pop(), Some(Vec::new()), "{text:?}");
                }
                assert_eq!(*clauses, old_words.as_slice(), "{text:?}: {old:?}");
                assert_eq!(
                    sentence.trim_end().ends_with('?'),
                    old.trim_end().ends_with('?'),
                    "{text:?}: {old:?}"
                );
            }
        }
    }

    #[test]
    fn a_message_is_split_into_sentences_and_clauses_at_every_mark() {
        let config = BotConfig::default_shop();
        let parsed = Parsed::new("Dringend!!! Bitte sofort zurückrufen, ASAP-ish? Danke");
        let words = parsed.words(&config.words);
        let sentences: Vec<_> = words.sentences().collect();
        let texts: Vec<&str> = sentences.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            texts,
            [
                "Dringend!",
                "!",
                "!",
                " Bitte sofort zurückrufen, ASAPish?",
                " Danke"
            ]
        );
        let clauses: Vec<&[Vec<&str>]> = sentences.iter().map(|(_, c)| *c).collect();
        assert_eq!(clauses[0], [vec!["dringend"]]);
        assert_eq!(clauses[1], [Vec::<&str>::new()]);
        assert_eq!(
            clauses[3],
            [vec!["bitte", "sofort", "zurueckrufen"], vec!["asapish"]]
        );
        assert_eq!(clauses[4], [vec!["danke"]]);
    }
}
