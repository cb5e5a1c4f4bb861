//! Urgency: strong and weak urgency words, demands, and questions about delivery timing.

use super::*;

/// Urgency words that, in a question about delivery, ask about timing ("Ist der Artikel sofort
/// lieferbar", "is it shipped immediately"): only a question mark makes the others a question
/// about timing.
pub(super) const TIMING_WORDS: &[&str] = &["sofort", "immediately"];

/// Word beginnings of delivery and availability: a question with a [`TIMING_WORDS`] word is
/// about timing only with one of these ("kann mir sofort jemand helfen" is a demand).
pub(super) const DELIVERY_WORDS: &[&str] = &[
    "liefer",
    "verschick",
    "versend",
    "versand",
    "verfuegbar",
    "lager",
    "ship",
    "deliver",
    "dispatch",
    "availab",
    "stock",
    "sent",
    "send",
];

/// Urgency words that are just as often adverbs of time or manner ("kam sofort an", "arrived
/// immediately", "kann ich sofort stornieren"): they ask for a person only in a sentence that
/// demands something ([`demands_action`]). The others (dringend, Notfall, urgent, asap, eilig)
/// count on their own.
pub(super) const WEAK_URGENCY: &[&str] = &[
    "sofort",
    "immediately",
    "schnell",
    "gleich",
    "quickly",
    "now",
    "jetzt",
];

pub(super) fn is_weak_urgency(phrase: &[String]) -> bool {
    matches!(phrase, [word] if WEAK_URGENCY.contains(&word.as_str()))
}

/// Word beginnings that demand help, an answer, contact or a person ("brauche sofort Hilfe",
/// "kann mir sofort jemand helfen", "answer immediately", "melden Sie sich sofort").
pub(super) const DEMANDS: &[&str] = &[
    "hilf",
    "helf",
    "help",
    "antwort",
    "answer",
    "respond",
    "reply",
    "meld",
    "rueckruf",
    "zurueckruf",
    "anruf",
    "ruf",
    "call",
    "contact",
    "kontakt",
    "jemand",
    "someone",
    "somebody",
    "anyone",
    "person",
    "mitarbeiter",
    "agent",
    "human",
    "mensch",
    "support",
    "reagier",
    "kuemmer",
];

/// Politeness before an imperative ("bitte ruft mich sofort an"); alone it makes no demand:
/// "bitte sofort stornieren" asks the bot to cancel.
pub(super) const POLITE: &[&str] = &["bitte", "please", "pls", "plz", "pleas"];

/// A need, a demand in a statement ("ich brauche das Kleid sofort", "I need it immediately"),
/// not in a question ("do I need to pay immediately?").
pub(super) const NEEDS: &[&str] = &[
    "brauche",
    "brauch",
    "brauchen",
    "benoetige",
    "need",
    "needs",
];

/// Verbs that open an imperative asking the shop to act ("Ruft mich sofort an", "Schickt es
/// sofort los", "fix it immediately").
pub(super) const IMPERATIVES: &[&str] = &[
    "ruf",
    "ruft",
    "rufen",
    "schick",
    "schickt",
    "schicken",
    "mach",
    "macht",
    "gebt",
    "gib",
    "kuemmert",
    "erstattet",
    "storniert",
    "send",
    "fix",
    "refund",
    "cancel",
    "give",
    "sort",
    "handle",
    "tell",
    "get",
];

/// Words a sentence of urgency alone is made of besides the urgency word ("Sofort!!", "jetzt
/// sofort bitte").
pub(super) const FILLERS: &[&str] = &[
    "bitte", "please", "jetzt", "now", "ganz", "echt", "mal", "hier", "aber", "und", "and", "so",
    "really", "very", "sehr", "ja", "right",
];

/// Whether `sentence` (its normalized `clauses`) demands an action: help, an answer, contact or
/// a person, a need or an imperative in a statement, or urgency alone ("Sofort bitte!").
pub(super) fn demands_action(sentence: &str, clauses: &[Vec<&str>]) -> bool {
    let words: Vec<&str> = clauses.iter().flatten().copied().collect();
    let asked = sentence.trim_end().ends_with('?')
        || words.first().is_some_and(|w| QUESTION_STARTS.contains(w));
    let opening = words.iter().find(|w| !POLITE.contains(w));
    words
        .iter()
        .any(|w| DEMANDS.iter().any(|d| w.starts_with(d)))
        || words
            .iter()
            .all(|w| WEAK_URGENCY.contains(w) || FILLERS.contains(w))
        || (!asked
            && (words.iter().any(|w| NEEDS.contains(w))
                || opening.is_some_and(|w| IMPERATIVES.contains(w))))
}

/// Signs of urgency besides the urgency words ("es eilt", "hurry", "umgehend").
pub(super) const URGENT_SIGNS: &[&str] = &[
    "wichtig",
    "important",
    "priorit",
    "pressier",
    "moeglich",
    "possible",
    "eilt",
    "eile",
    "hurry",
    "rush",
    "schnellstens",
    "schnellstmoeglich",
    "umgehend",
    "unverzueglich",
    "hilfe",
    "help",
    "sos",
];
