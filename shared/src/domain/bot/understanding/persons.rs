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
