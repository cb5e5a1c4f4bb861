//! A message's sentences, clauses and parts, and whether one asks a question.

use super::keywords::ENGLISH_KEYWORDS;
use super::*;

/// Where a clause ends: a negation reaches no further.
pub(super) const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '(', ')', '-', '–'];

/// The sentences of a message, each with its end mark.
pub(super) fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .filter(|s| !s.trim().is_empty())
}

/// The clauses of a sentence, normalized: a negation reaches no further than its clause. A
/// hedge "-ish" stays on its word ("ASAP-ish" is "asapish", no urgency word).
pub(super) fn clauses(sentence: &str) -> Vec<String> {
    let glued;
    let sentence = if sentence.contains("-ish") || sentence.contains("-ISH") {
        glued = sentence.replace("-ish", "ish").replace("-ISH", "ish");
        glued.as_str()
    } else {
        sentence
    };
    sentence.split(CLAUSE_ENDS).map(normalize).collect()
}

/// Quotation marks that open and close a name ("Scam Likely", „Sofort Glücklich“, «Urgent»).
const QUOTES_OPEN: &[char] = &['"', '„', '“', '«'];
const QUOTES_CLOSE: &[char] = &['"', '“', '”', '»'];

/// The most words a quoted name has; a longer quotation is what someone said or wrote.
const NAME_WORDS: usize = 4;

/// `text` with quoted names blanked out: two to four words, each capitalised (a product called
/// "Scam Likely" or "Urgent Love" holds no handoff word). One quoted word stays (it is as often
/// emphasis: ich wurde "betrogen"), and so does a quoted sentence ("your parcel was stolen").
pub(super) fn without_names(text: &str) -> std::borrow::Cow<'_, str> {
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
fn without_title_names(text: &str) -> std::borrow::Cow<'_, str> {
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
    let len = phrase.split(' ').count();
    (0..(words.len() + 1).saturating_sub(len))
        .find(|&at| phrase.split(' ').zip(&words[at..]).all(|(p, w)| p == *w))
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
