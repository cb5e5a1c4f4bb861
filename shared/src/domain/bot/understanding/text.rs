//! A message's sentences, clauses and parts, and whether one asks a question.

use super::*;

/// Where a clause ends: a negation reaches no further.
pub(super) const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '(', ')', '-', '–'];

/// The sentences of a message, each with its end mark.
pub(super) fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .filter(|s| !s.trim().is_empty())
}

/// The clauses of a sentence, normalized: a negation reaches no further than its clause.
pub(super) fn clauses(sentence: &str) -> Vec<String> {
    sentence.split(CLAUSE_ENDS).map(normalize).collect()
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

/// Each clause's words.
pub(super) fn clause_words(clauses: &[String]) -> Vec<Vec<&str>> {
    clauses
        .iter()
        .map(|c| c.split_whitespace().collect())
        .collect()
}

/// Whether `text` asks a question: a question mark, or a clause that opens like one.
pub(super) fn asks_a_question(lex: &Lexicon, text: &str, clauses: &[Vec<&str>]) -> bool {
    text.contains('?')
        || clauses
            .iter()
            .any(|c| c.first().is_some_and(|w| lex.question_starts.has(w)))
}
