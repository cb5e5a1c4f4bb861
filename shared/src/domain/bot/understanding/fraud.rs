//! Fraud: signs of misuse, suspicions taken back, deeds the customer denies.

use super::*;

/// Words of a suspicion ("dachte schon es wär Betrug", "thought it was a scam").
pub(super) const SUSPICIONS: &[&str] = &[
    "dachte",
    "dachten",
    "gedacht",
    "thought",
    "befuerchtet",
    "angst",
    "afraid",
    "feared",
    "worried",
    "sorge",
    "vermutet",
    "suspected",
    "glaubte",
    "schien",
    "seemed",
    "looked",
    "sah",
];

/// Words that turn a suspicion round ("..., ist aber angekommen", "but the parcel came").
pub(super) const CONTRASTS: &[&str] = &[
    "aber",
    "doch",
    "jedoch",
    "sondern",
    "eigentlich",
    "glueck",
    "but",
    "however",
    "actually",
    "luckily",
    "fortunately",
    "turned",
    "turns",
];

/// Whether the fraud word at `clauses[i][at]` is a suspicion the customer takes back: a
/// suspicion word before it (in its clause or the one before) and a contrast after it.
pub(super) fn suspicion_denied(clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
    let before = clauses[i][..at]
        .iter()
        .chain(i.checked_sub(1).map_or(&[][..], |p| &clauses[p][..]))
        .any(|w| SUSPICIONS.contains(w));
    let after = clauses[i][at + 1..]
        .iter()
        .chain(clauses[i + 1..].iter().flatten())
        .any(|w| CONTRASTS.contains(w));
    before && after
}

/// Signs of fraud or misuse besides the fraud words: someone unknown, unauthorised, stolen,
/// hacked, misused, suspicious.
pub(super) const FRAUD_SIGNS: &[&str] = &[
    "fakes",
    "fakeshop",
    "dodgy",
    "claiming",
    "pretend",
    "echt",
    "legit",
    "serioes",
    "geknackt",
    "jemand",
    "someone",
    "somebody",
    "unbekannt",
    "fremd",
    "unknown",
    "unauthori",
    "unautori",
    "hack",
    "hacked",
    "gehackt",
    "gestohl",
    "stole",
    "geklaut",
    "klaut",
    "missbrauch",
    "misuse",
    "abused",
    "betrug",
    "betrueg",
    "betrog",
    "fraud",
    "scam",
    "scammed",
    "phishing",
    "fake",
    "verdaecht",
    "suspicious",
    "komisch",
    "seltsam",
    "strange",
    "weird",
    "abzock",
    "identit",
    "nie",
    "never",
    "niemals",
    "angeblich",
    "allegedly",
    "supposedly",
    "bankdaten",
    "kontodaten",
    "zugangsdaten",
    "uebernommen",
    "compromised",
    "kompromittiert",
    "gefaelscht",
    "forged",
];

/// Words after "ohne"/"without" that make it unauthorised: "ohne mein Wissen", "without
/// permission", "ohne mich".
pub(super) const WITHOUT_ME: &[&str] = &[
    "mich",
    "mein",
    "meine",
    "meinem",
    "meinen",
    "meiner",
    "my",
    "me",
    "permission",
    "erlaubnis",
    "zustimmung",
    "consent",
    "wissen",
    "knowledge",
    "authorisation",
    "authorization",
];

/// Whether `words` (one clause) say something happened without the customer: "ohne mein
/// Wissen", "without permission", "nicht von mir", "not mine", or a passive change ("mein
/// Passwort wurde geändert", "my e-mail was changed").
pub(super) fn without_the_customer(words: &[&str]) -> bool {
    let without = words.iter().enumerate().any(|(at, w)| {
        matches!(*w, "ohne" | "without")
            && words[at + 1..]
                .iter()
                .take(3)
                .any(|n| WITHOUT_ME.contains(n))
    });
    let not_mine = words.windows(3).any(|w| {
        NEGATIONS.contains(&w[0])
            && matches!(w[1], "von" | "from" | "by")
            && matches!(w[2], "mir" | "me")
    }) || words.windows(2).any(|w| {
        NEGATIONS.contains(&w[0]) && matches!(w[1], "mine" | "meine" | "meins" | "meiner")
    });
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

/// Deeds a customer denies in a fraud report ("eine Abbuchung, die ich nicht kenne", "an order
/// I did not place", "nicht bestellt").
pub(super) const DEEDS: &[&str] = &[
    "bestellt",
    "gemacht",
    "getaetigt",
    "veranlasst",
    "gekauft",
    "autorisiert",
    "erlaubt",
    "freigegeben",
    "kenne",
    "erkenne",
    "order",
    "ordered",
    "aufgegeben",
    "place",
    "placed",
    "made",
    "make",
    "bought",
    "authori",
    "recogni",
    "allow",
    "approve",
];

/// Whether `words` (one clause) deny a deed: "nicht bestellt", "did not place".
pub(super) fn denies_deed(words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| starts_with_any(w, DEEDS) && negated(words, at))
}
