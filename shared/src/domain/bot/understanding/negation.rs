//! Negation and praise: a handoff word the customer takes back ("nicht dringend") or means
//! as praise ("unverschämt gut").

use super::*;

/// Whether a negation right after the handoff word ending before `end` takes it back, as
/// German puts it after the verb: "ich beschwere mich nicht", "Betrug ist das nicht", "ein
/// Rückruf ist nicht nötig", "callback not needed", "a human isn't necessary".
pub(super) fn negated_after(lex: &Lexicon, words: &[&str], end: usize) -> bool {
    let rest = &words[end.min(words.len())..];
    let links = rest
        .iter()
        .take_while(|w| lex.negation_links.has(w))
        .count()
        .min(3);
    let after = &rest[links..];
    // "isn't" is normalized to "isn t".
    let short_not = matches!(after, [n, "t", ..] if matches!(*n, "isn" | "wasn" | "aren"));
    match after.first() {
        // "Mitarbeiter nicht erreichbar" is a statement: a negation straight after the word
        // needs a link ("mich", "ist") or a "not needed" after it.
        Some(n)
            if matches!(
                *n,
                "nicht" | "nie" | "kein" | "keine" | "keiner" | "not" | "no"
            ) =>
        {
            links > 0 || after.get(1).is_some_and(|w| lex.not_needed.has(w))
        }
        _ => short_not,
    }
}

/// Whether praise follows the handoff word ending before `end`: "unverschämt gut",
/// "Frechheit wie gut".
pub(super) fn praise_follows(lex: &Lexicon, words: &[&str], end: usize) -> bool {
    match words.get(end) {
        Some(next) if lex.praise.has(next) => true,
        Some(next) if lex.praise_leads.has(next) => {
            words.get(end + 1).is_some_and(|w| lex.praise.has(w))
        }
        _ => false,
    }
}

/// How many words before a handoff word a negation reaches.
pub(super) const NEGATION_REACH: usize = 4;

/// Whether the handoff word at `words[at]` is negated by a word before it in its clause.
pub(super) fn negated(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    for back in 1..=NEGATION_REACH.min(at) {
        let word = words[at - back];
        // "don't", "isn't" are normalized to "don t", "isn t".
        let short_not = word == "t" && at - back > 0 && words[at - back - 1].ends_with('n');
        if lex.negations.has(word) || short_not {
            return true;
        }
        if !lex.negation_gap.has(word) {
            return false;
        }
    }
    false
}

/// Whether a word of `words` begins with one of `stems` (short stems: is one), is not negated
/// by a word before it in the clause ("nicht erledigt", "never had a reason to complain") nor
/// praise ("unverschämt gut").
pub(super) fn has_word(lex: &Lexicon, words: &[&str], stems: &WordList) -> bool {
    words.iter().enumerate().any(|(at, w)| {
        starts_with_any(w, stems)
            && !words[..at].iter().any(|b| lex.negations.has(b))
            && !negated(lex, words, at)
            && !praise_follows(lex, words, at + 1)
    })
}

/// Whether `word` begins with one of `stems`, or is one when it is short (under five letters).
pub(super) fn starts_with_any(word: &str, stems: &WordList) -> bool {
    stems
        .iter()
        .any(|s| word == s || (s.len() >= 5 && word.starts_with(s)))
}

/// Whether a word beginning with one of `stems` is taken back by a negation before it or after
/// it (see [`negation_follows`]): "keine Eile", "no rush at all", "es eilt überhaupt nicht".
pub(super) fn sign_taken_back(lex: &Lexicon, words: &[&str], stems: &WordList) -> bool {
    words.iter().enumerate().any(|(at, w)| {
        starts_with_any(w, stems) && (negated(lex, words, at) || negation_follows(lex, words, at))
    })
}

/// Whether a negation follows the word at `words[at]`, link words between: a verb taken back
/// ("eilt nicht", "es eilt überhaupt nicht", "ruf mich nicht an").
pub(super) fn negation_follows(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    let rest = &words[at + 1..];
    let links = rest
        .iter()
        .take_while(|w| lex.negation_links.has(w))
        .count();
    rest.get(links).is_some_and(|n| lex.negations.has(n))
}
