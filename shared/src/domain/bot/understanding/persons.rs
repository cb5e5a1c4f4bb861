//! Requests for a person: person words, and the customer's own, another company's or the
//! customer as that person.

use super::*;

/// Whether the word at `words[at]` says what the customer is: "bin ein Mensch", "I'm a lawyer".
pub(super) fn describes_self(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    words[..at]
        .iter()
        .rev()
        .find(|w| !lex.identity_gap.has(w))
        .is_some_and(|w| lex.identity_leads.has(w))
}

/// Whether the person word at `clauses[i][at]` is another company's: the company right
/// before it (also across a hyphen, "DHL-Mitarbeiter") or "von/from/of/at" it after it.
pub(super) fn third_party(lex: &Lexicon, clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
    let words = &clauses[i];
    let before = if at > 0 {
        Some(words[at - 1])
    } else {
        i.checked_sub(1).and_then(|p| clauses[p].last().copied())
    };
    before.is_some_and(|w| lex.third_parties.has(w))
        || matches!(words.get(at + 1..at + 3), Some([link, company])
            if matches!(*link, "von" | "from" | "of" | "at" | "bei") && lex.third_parties.has(company))
}

/// Whether the word at `words[at]` follows a first-person possessive (one adjective between).
pub(super) fn after_possessive(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    (1..=2.min(at)).any(|back| lex.possessives.has(words[at - back]))
}

/// Whether the person word at `words[at]` is the one who said something: a verb of reported
/// speech within three words after it ("der Mitarbeiter am Telefon sagte", "the agent told me").
pub(super) fn reported_speech(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    words
        .iter()
        .skip(at + 1)
        .take(3)
        .any(|w| lex.reported_speech.has(w))
}
