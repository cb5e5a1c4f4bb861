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

/// Relative pronouns: a deed word after one tells what the wanted person should do ("an agent
/// who has time"), not what a person did.
const RELATIVES: &[&str] = &["who", "that", "which", "der", "die", "welcher", "welche"];

/// Whether a word of `staff_deeds` within two words after the request word ending before `end`
/// tells what that person did or was: "your agent Lisa was great", "der Berater hat mir so
/// geholfen", "the support team sorted it".
pub(super) fn staff_deed(lex: &Lexicon, words: &[&str], end: usize) -> bool {
    words
        .iter()
        .copied()
        .skip(end)
        .take(2)
        .take_while(|w| !RELATIVES.contains(w))
        .any(|w| lex.staff_deeds.has(w))
}

/// Whether thanks addressed with "an"/"to" stand before the request word at `words[at]`
/// ("danke an den netten Berater", "big thanks to your agent").
pub(super) fn thanked(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    words[..at]
        .windows(2)
        .any(|w| lex.thanks_to.has(w[0]) && matches!(w[1], "an" | "to"))
}

/// Whether `clauses` (a message) talk about a job: a hiring word ("bewerben", "hiring") or a
/// German "stellt ... ein" (a clause with "stellt"/"stellen" ending in "ein").
pub(super) fn about_a_job(lex: &Lexicon, clauses: &[Vec<&str>]) -> bool {
    clauses.iter().any(|words| {
        words.iter().any(|w| starts_with_any(w, &lex.hiring))
            || (words.last() == Some(&"ein")
                && words
                    .iter()
                    .any(|w| matches!(*w, "stellt" | "stellen" | "stellst")))
    })
}

/// Whether `clauses` (a message) say the customer only asks out of curiosity ("nur neugierig",
/// "just curious"), not taken back ("nicht aus Neugier").
pub(super) fn out_of_curiosity(lex: &Lexicon, clauses: &[Vec<&str>]) -> bool {
    clauses.iter().any(|w| has_word(lex, w, &lex.curiosity))
}

/// The most words a letter's opening address has ("Liebes Support Team", "Dear customer
/// service team").
const SALUTATION_WORDS: usize = 5;

/// Whether the first of `clauses` (a message) is a letter's salutation: it starts with a word
/// of `salutations`, is short, asks nothing politely ("Hallo, echte Person bitte" asks), and
/// the message goes on after it ("Dear customer service, ...", "Liebes Support Team, ...").
pub(super) fn salutation(lex: &Lexicon, clauses: &[Vec<&str>]) -> bool {
    match clauses {
        [words, rest @ ..] => {
            words.len() <= SALUTATION_WORDS
                && words.first().is_some_and(|w| lex.salutations.has(w))
                && !words.iter().any(|w| lex.polite.has(w))
                && rest.iter().any(|c| !c.is_empty())
        }
        [] => false,
    }
}

/// Whether the first of `clauses` (a message) is a lone exclamation of `interjections` with
/// more after it: "Mensch, endlich ist mein Paket da!".
pub(super) fn exclaimed(lex: &Lexicon, clauses: &[Vec<&str>]) -> bool {
    match clauses {
        [first, rest @ ..] => {
            matches!(first.as_slice(), [w] if lex.interjections.has(w))
                && rest.iter().any(|c| !c.is_empty())
        }
        [] => false,
    }
}

/// The most words a self-description has after its lead ("auch nur ein echter Mensch").
const DESCRIPTION_WORDS: usize = 5;

/// Words that start something else after a self-description: a conjunction or a new subject
/// ("ich bin Rentner und ...", "I'm human I want a human").
const DESCRIPTION_LINKS: &[&str] = &[
    "und", "oder", "weil", "denn", "dass", "also", "ich", "wir", "and", "or", "because", "so", "i",
    "we",
];

/// An English word of a doing ("looking", "trying"): what follows it is no description.
const MIN_DOING_LEN: usize = 6;

/// Where `words` (one clause) say what the customer is, or someone of theirs: the words after a
/// self lead ("ich bin", "I'm") or, when a word of `request` stands in them, after a possessive,
/// one or two words and a copula ("my husband is a real person"). A description runs to a word
/// that starts something else (a link, a relative pronoun, a contrast, politeness, a question,
/// an imperative or a need: "ich bin Rentner, bitte ...", "I'm a person who ...") and at most
/// [`DESCRIPTION_WORDS`] words. None where the lead asks ("bin ich hier richtig?") or the first
/// word after it (past `identity_gap` words) is a place, time or doing (`description_breaks`,
/// an English "-ing": "ich bin auf der Suche nach", "I'm looking for").
pub(super) fn self_descriptions(
    lex: &Lexicon,
    request: &Keywords,
    model: &Model,
    words: &[&str],
) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    let mut add = |start: usize, needs_request: bool| {
        let Some(span) = description_from(lex, words, start) else {
            return;
        };
        if spans.contains(&span)
            || (needs_request
                && !request
                    .occurrences(words, model, lex)
                    .any(|(_, at)| span.contains(&at)))
        {
            return;
        }
        spans.push(span);
    };
    for lead in lex.self_leads.iter() {
        let lead: Vec<&str> = lead.split(' ').collect();
        for at in 0..(words.len() + 1).saturating_sub(lead.len()) {
            if words[at..].starts_with(&lead) {
                add(at + lead.len(), false);
            }
        }
    }
    for (at, w) in words.iter().enumerate() {
        if lex.copulas.has(w)
            && (2..=3).any(|back| at >= back && lex.possessives.has(words[at - back]))
        {
            add(at + 1, true);
        }
    }
    spans
}

/// The description starting at `words[start]` (see [`self_descriptions`]).
fn description_from(lex: &Lexicon, words: &[&str], start: usize) -> Option<std::ops::Range<usize>> {
    // "bin ich hier richtig", "am I talking to a bot": a question, not a description.
    if words.get(start).is_none_or(|w| matches!(*w, "ich" | "i")) {
        return None;
    }
    let first = words[start..].iter().find(|w| !lex.identity_gap.has(w));
    if first.is_some_and(|w| {
        lex.description_breaks.has(w) || (w.len() >= MIN_DOING_LEN && w.ends_with("ing"))
    }) {
        return None;
    }
    let ends = |w: &str| {
        DESCRIPTION_LINKS.contains(&w)
            || RELATIVES.contains(&w)
            || lex.contrasts.has(w)
            || lex.polite.has(w)
            || lex.question_starts.has(w)
            || lex.imperatives.has(w)
            || lex.needs.has(w)
    };
    let len = words[start..]
        .iter()
        .take(DESCRIPTION_WORDS)
        .enumerate()
        .take_while(|&(k, w)| k == 0 || !ends(w))
        .count();
    Some(start..start + len)
}
