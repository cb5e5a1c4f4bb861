//! Urgency: strong and weak urgency words, demands, and questions about delivery timing.

use super::*;

pub(super) fn is_weak_urgency(lex: &Lexicon, phrase: &[String]) -> bool {
    matches!(phrase, [word] if lex.weak_urgency.has(word.as_str()))
}

/// Whether `sentence` (its normalized `clauses`) demands an action: help, an answer, contact or
/// a person, a need or an imperative in a statement, or urgency alone ("Sofort bitte!").
pub(super) fn demands_action(lex: &Lexicon, sentence: &str, clauses: &[Vec<&str>]) -> bool {
    let words: Vec<&str> = clauses.iter().flatten().copied().collect();
    let asked = sentence.trim_end().ends_with('?')
        || words.first().is_some_and(|w| lex.question_starts.has(w));
    let opening = words.iter().find(|w| !lex.polite.has(w));
    words.iter().any(|w| lex.demands.begins(w))
        || words
            .iter()
            .all(|w| lex.weak_urgency.has(w) || lex.fillers.has(w))
        || (!asked
            && (words.iter().any(|w| lex.needs.has(w))
                || opening.is_some_and(|w| lex.imperatives.has(w))))
}
