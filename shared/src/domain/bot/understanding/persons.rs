//! Requests for a person: person words, and the customer's own, another company's or the
//! customer as that person.

/// First-person possessives: a person word after one names the customer's own person
/// ("meine Modeberaterin meinte 38"), not one of the shop's.
pub(super) const POSSESSIVES: &[&str] = &[
    "mein", "meine", "meinen", "meinem", "meiner", "meines", "my", "unser", "unsere", "unseren",
    "unserem", "unserer", "our",
];

/// Request words that name a person (a possessive before one makes it the customer's own).
pub(super) const PERSON_WORDS: &[&str] = &[
    "mitarbeiter",
    "mitarbeiterin",
    "kundenberater",
    "berater",
    "agent",
    "human",
    "mensch",
];

/// Words before a person word that make it what the customer is ("ich bin selbst Anwältin",
/// "I'm a human, not a bot"), not whom they ask for.
pub(super) const IDENTITY_LEADS: &[&str] = &["bin", "am", "m", "sind", "are", "re", "als", "as"];

/// Articles and small words between an identity lead and the person word.
pub(super) const IDENTITY_GAP: &[&str] =
    &["a", "an", "ein", "eine", "selbst", "auch", "myself", "also"];

/// Whether the word at `words[at]` says what the customer is: "bin ein Mensch", "I'm a lawyer".
pub(super) fn describes_self(words: &[&str], at: usize) -> bool {
    words[..at]
        .iter()
        .rev()
        .find(|w| !IDENTITY_GAP.contains(w))
        .is_some_and(|w| IDENTITY_LEADS.contains(w))
}

/// Other companies whose staff a customer mentions ("der DHL-Mitarbeiter", "the agent from
/// Hermes"): not the shop's.
pub(super) const THIRD_PARTIES: &[&str] = &[
    "dhl",
    "hermes",
    "dpd",
    "ups",
    "gls",
    "fedex",
    "post",
    "paketdienst",
    "kurier",
    "courier",
    "bank",
    "paypal",
    "klarna",
    "zoll",
    "customs",
    "carrier",
    "spedition",
];

/// Whether the person word at `clauses[i][at]` is another company's: the company right
/// before it (also across a hyphen, "DHL-Mitarbeiter") or "von/from/of/at" it after it.
pub(super) fn third_party(clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
    let words = &clauses[i];
    let before = if at > 0 {
        Some(words[at - 1])
    } else {
        i.checked_sub(1).and_then(|p| clauses[p].last().copied())
    };
    before.is_some_and(|w| THIRD_PARTIES.contains(&w))
        || matches!(words.get(at + 1..at + 3), Some([link, company])
            if matches!(*link, "von" | "from" | "of" | "at" | "bei") && THIRD_PARTIES.contains(company))
}

/// Nouns "human" qualifies as an adjective ("human error"): no request for a person.
pub(super) const HUMAN_AS_ADJECTIVE: &[&str] = &[
    "error",
    "errors",
    "rights",
    "resources",
    "hair",
    "nature",
    "fehler",
    "body",
];

/// Whether the word at `words[at]` follows a first-person possessive (one adjective between).
pub(super) fn after_possessive(words: &[&str], at: usize) -> bool {
    (1..=2.min(at)).any(|back| POSSESSIVES.contains(&words[at - back]))
}

/// Signs of a request for a person besides the request words: talking, calling, reaching,
/// someone, a team, "something else" (the menu's way to a person). Naming the bot is none
/// ("eine persönliche Frage: wie alt ist der Bot").
pub(super) const REQUEST_SIGNS: &[&str] = &[
    "betreuer",
    "bearbeiter",
    "rufen",
    "ruf",
    "kollege",
    "kollegin",
    "colleague",
    "staff",
    "sprechen",
    "spreche",
    "sprech",
    "reden",
    "rede",
    "talk",
    "speak",
    "chat",
    "call",
    "calls",
    "anruf",
    "anrufen",
    "ruft",
    "rueckruf",
    "zurueckruf",
    "telefon",
    "phone",
    "hotline",
    "nummer",
    "number",
    "erreich",
    "reach",
    "contact",
    "kontakt",
    "person",
    "mensch",
    "menschen",
    "mitarbeiter",
    "jemand",
    "jemanden",
    "someone",
    "somebody",
    "anybody",
    "anyone",
    "agent",
    "human",
    "team",
    "service",
    "support",
    "berater",
    "operator",
    "representative",
    "manager",
    "supervisor",
    "escalat",
    "chef",
    "vorgesetzt",
    "echte",
    "echten",
    "real",
    "live",
    "anderes",
    "andere",
    "anders",
    "else",
    "other",
    "sonstig",
    "verbind",
    "connect",
    "durchstell",
    "transfer",
    "weiterleit",
    "ring",
    "wen",
    "niemand",
    "nobody",
];
