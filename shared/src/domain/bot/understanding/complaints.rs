//! Complaints: negative words and phrases, negated praise, and complaints said to be settled.

use super::*;

/// Whether `words` (one clause) hold a phrase of a complaint, or "never ... again".
pub(super) fn complaint_phrase(lex: &Lexicon, words: &[&str]) -> bool {
    let clause = format!(" {} ", words.join(" "));
    lex.negative_phrases
        .iter()
        .any(|p| clause.contains(&format!(" {p} ")))
        || words.ends_with(&["das", "letzte"])
        || (words
            .iter()
            .any(|w| matches!(*w, "never" | "nie" | "niemals"))
            && words
                .iter()
                .any(|w| matches!(*w, "again" | "wieder" | "mehr")))
}

/// Whether `words` (one clause) negate praise: "nicht zufrieden", "not happy at all".
pub(super) fn negated_praise(lex: &Lexicon, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| lex.praise_words.has(w) && negated(lex, words, at))
}
