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

/// Whether a clause praises (a praise word not negated): "super", "top", "great".
pub(super) fn praised(lex: &Lexicon, clauses: &[Vec<&str>]) -> bool {
    clauses.iter().any(|words| {
        words
            .iter()
            .enumerate()
            .any(|(at, w)| lex.praise_words.has(w) && !negated(lex, words, at))
    })
}

/// Whether `words` (one clause) negate praise: "nicht zufrieden", "not happy at all".
pub(super) fn negated_praise(lex: &Lexicon, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| lex.praise_words.has(w) && negated(lex, words, at))
}

/// Whether the complaint word at `words[at]` names a lawyer's specialty: "für/for/in" and a
/// field of law within three words after it ("Anwalt für Mietrecht", "lawyer for family law").
pub(super) fn legal_specialty(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    matches!(words.get(at + 1), Some(&("fuer" | "for" | "in" | "im")))
        && words.iter().skip(at + 2).take(3).any(|w| {
            lex.legal_fields
                .iter()
                .any(|field| w.ends_with(field) && w.len() >= field.len())
        })
}

/// Whether `clauses` (a message) tell of an old complaint: a past word, after it a complaint
/// or negative word, after that praise or a settled word not taken back, and nothing negative
/// after the praise ("früher hatte ich mal eine Beschwerde, jetzt alles gut", "I once had a
/// complaint, but you were great").
pub(super) fn past_complaint(lex: &Lexicon, clauses: &[Vec<&str>], complaint: &Keywords) -> bool {
    let words: Vec<(usize, &str)> = clauses
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.iter().map(move |w| (i, *w)))
        .collect();
    let Some(past) = words.iter().position(|(_, w)| lex.past_markers.has(w)) else {
        return false;
    };
    let negative = |w: &str| starts_with_any(w, &lex.negative) || complaint.begins(w);
    let Some(told) = words[past..].iter().position(|&(_, w)| negative(w)) else {
        return false;
    };
    let after = past + told + 1;
    let good = words[after..].iter().position(|&(i, w)| {
        let clause = &clauses[i];
        let at = clause.iter().position(|c| *c == w).unwrap_or(0);
        (lex.praise_words.has(w) || starts_with_any(w, &lex.settled) || lex.praise.has(w))
            && !negated(lex, clause, at)
    });
    good.is_some_and(|g| !words[after + g..].iter().any(|&(_, w)| negative(w)))
}
