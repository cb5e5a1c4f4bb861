//! Fraud: signs of misuse, suspicions taken back, deeds the customer denies.

use super::*;

/// Whether the fraud word at `clauses[i][at]` is a suspicion the customer takes back: a
/// suspicion word before it (in its clause or the one before) and a contrast after it.
pub(super) fn suspicion_denied(lex: &Lexicon, clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
    let before = clauses[i][..at]
        .iter()
        .chain(i.checked_sub(1).map_or(&[][..], |p| &clauses[p][..]))
        .any(|w| lex.suspicions.has(w));
    let after = clauses[i][at + 1..]
        .iter()
        .chain(clauses[i + 1..].iter().flatten())
        .any(|w| lex.contrasts.has(w));
    before && after
}

/// Whether `words` (one clause) say something happened without the customer: "ohne mein
/// Wissen", "without permission", "nicht von mir", "not mine", or a passive change ("mein
/// Passwort wurde geändert", "my e-mail was changed").
pub(super) fn without_the_customer(lex: &Lexicon, words: &[&str]) -> bool {
    let without = words.iter().enumerate().any(|(at, w)| {
        matches!(*w, "ohne" | "without")
            && words[at + 1..]
                .iter()
                .take(3)
                .any(|n| lex.without_me.has(n))
    });
    let not_mine = words.windows(3).any(|w| {
        lex.negations.has(w[0])
            && matches!(w[1], "von" | "from" | "by")
            && matches!(w[2], "mir" | "me")
    }) || words
        .windows(2)
        .any(|w| lex.negations.has(w[0]) && matches!(w[1], "mine" | "meine" | "meins" | "meiner"));
    let passive = words
        .iter()
        .any(|w| matches!(*w, "wurde" | "wurden" | "worden" | "was" | "were" | "been"))
        && words.iter().any(|w| {
            [
                "geaendert",
                "veraendert",
                "umgestellt",
                "changed",
                "used",
                "benutzt",
                "verwendet",
            ]
            .iter()
            .any(|c| w.starts_with(c))
        });
    without || not_mine || passive
}

/// Whether `words` (one clause) deny a deed: "nicht bestellt", "did not place".
pub(super) fn denies_deed(lex: &Lexicon, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| starts_with_any(w, &lex.deeds) && negated(lex, words, at))
}
