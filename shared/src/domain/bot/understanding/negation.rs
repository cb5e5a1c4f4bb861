//! Negation and praise: a handoff word the customer takes back ("nicht dringend") or means
//! as praise ("unverschämt gut").

/// Whether a negation right after the handoff word ending before `end` takes it back, as
/// German puts it after the verb: "ich beschwere mich nicht", "Betrug ist das nicht", "ein
/// Rückruf ist nicht nötig", "callback not needed", "a human isn't necessary".
pub(super) fn negated_after(words: &[&str], end: usize) -> bool {
    const LINKS: &[&str] = &[
        "mich",
        "sich",
        "uns",
        "ist",
        "war",
        "is",
        "was",
        "sind",
        "are",
        "das",
        "es",
        "it",
        "that",
        "ja",
        "auch",
        "gar",
        "wirklich",
        "eigentlich",
        "doch",
        "hier",
    ];
    const NOT_NEEDED: &[&str] = &[
        "noetig",
        "notwendig",
        "erforderlich",
        "necessary",
        "needed",
        "required",
    ];
    let rest = &words[end.min(words.len())..];
    let links = rest.iter().take_while(|w| LINKS.contains(w)).count().min(3);
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
            links > 0 || after.get(1).is_some_and(|w| NOT_NEEDED.contains(w))
        }
        _ => short_not,
    }
}

/// Words between a complaint word and the praise it makes of it ("Frechheit wie gut die Jeans
/// sitzt", "unverschämt so günstig").
pub(super) const PRAISE_LEADS: &[&str] = &["wie", "so", "how", "echt", "richtig", "really"];

/// Whether praise follows the handoff word ending before `end`: "unverschämt gut",
/// "Frechheit wie gut".
pub(super) fn praise_follows(words: &[&str], end: usize) -> bool {
    match words.get(end) {
        Some(next) if PRAISE.contains(next) => true,
        Some(next) if PRAISE_LEADS.contains(next) => {
            words.get(end + 1).is_some_and(|w| PRAISE.contains(w))
        }
        _ => false,
    }
}

/// Negation words: a handoff word right after one of them (with at most a few small words
/// between, see [`NEGATION_GAP`]) is what the customer does NOT want: "kein Notfall", "nicht
/// dringend", "ich brauche keinen Mitarbeiter", "not an emergency", "no complaints".
pub(super) const NEGATIONS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nix",
    "nichts", "ohne", "no", "not", "nothing", "never", "without", "dont", "doesnt", "didnt",
    "isnt", "arent", "wasnt", "cant", "wont", "neither", "nor",
];

/// Small words that may stand between a negation and the handoff word it negates ("nicht mit
/// einem Mitarbeiter", "no need to call me back", "doesnt have to be asap"). Any other word
/// ends the negation's reach: "Paket nicht angekommen dringend" is still urgent.
pub(super) const NEGATION_GAP: &[&str] = &[
    "a",
    "an",
    "the",
    "to",
    "be",
    "it",
    "me",
    "need",
    "needs",
    "have",
    "has",
    "for",
    "with",
    "so",
    "very",
    "really",
    "any",
    "really",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "der",
    "die",
    "das",
    "den",
    "dem",
    "mit",
    "zu",
    "so",
    "sehr",
    "wirklich",
    "ganz",
    "sein",
    "muss",
    "brauche",
    "brauch",
    "brauchen",
    "unbedingt",
    "extra",
    "mehr",
    // "kein Grund zur Beschwerde", "no reason for a complaint".
    "grund",
    "anlass",
    "zur",
    "zum",
    "reason",
    "cause",
];

/// How many words before a handoff word a negation reaches.
pub(super) const NEGATION_REACH: usize = 4;

/// Adjectives after which a complaint word is praise ("unverschämt gut", "frech günstig").
pub(super) const PRAISE: &[&str] = &[
    "gut",
    "guenstig",
    "billig",
    "schoen",
    "toll",
    "bequem",
    "weich",
    "schnell",
    "preiswert",
    "lecker",
    "suess",
    "good",
    "cheap",
    "nice",
    "comfy",
    "comfortable",
    "fast",
];

/// Whether the handoff word at `words[at]` is negated by a word before it in its clause.
pub(super) fn negated(words: &[&str], at: usize) -> bool {
    for back in 1..=NEGATION_REACH.min(at) {
        let word = words[at - back];
        // "don't", "isn't" are normalized to "don t", "isn t".
        let short_not = word == "t" && at - back > 0 && words[at - back - 1].ends_with('n');
        if NEGATIONS.contains(&word) || short_not {
            return true;
        }
        if !NEGATION_GAP.contains(&word) {
            return false;
        }
    }
    false
}

/// Whether a word of `words` begins with one of `stems` (short stems: is one), is not negated
/// by a word before it in the clause ("nicht erledigt", "never had a reason to complain") nor
/// praise ("unverschämt gut").
pub(super) fn has_word(words: &[&str], stems: &[&str]) -> bool {
    words.iter().enumerate().any(|(at, w)| {
        starts_with_any(w, stems)
            && !words[..at].iter().any(|b| NEGATIONS.contains(b))
            && !negated(words, at)
            && !praise_follows(words, at + 1)
    })
}

/// Whether `word` begins with one of `stems`, or is one when it is short (under five letters).
pub(super) fn starts_with_any(word: &str, stems: &[&str]) -> bool {
    stems
        .iter()
        .any(|s| word == *s || (s.len() >= 5 && word.starts_with(s)))
}
