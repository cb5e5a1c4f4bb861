//! Complaints: negative words and phrases, negated praise, and complaints said to be settled.

use super::*;

/// Words that say a complaint is settled ("meine Beschwerde hat sich erledigt").
pub(super) const SETTLED: &[&str] = &[
    "erledigt",
    "geklaert",
    "geloest",
    "zurueckgezogen",
    "resolved",
    "solved",
    "sorted",
    "settled",
    "withdrawn",
];

/// Negative words of a complaint ("unzufrieden", "terrible", "inakzeptabel").
pub(super) const NEGATIVE: &[&str] = &[
    "livid",
    "disgrace",
    "disgust",
    "shocking",
    "rubbish",
    "joke",
    "peinlich",
    "allerletzte",
    "sauerei",
    "review",
    "bewertung",
    "enough",
    "schwach",
    "excuse",
    "unzufrieden",
    "enttaeusch",
    "disappoint",
    "schlecht",
    "schlimm",
    "terrible",
    "horrible",
    "awful",
    "worst",
    "furchtbar",
    "schrecklich",
    "miserab",
    "mies",
    "miese",
    "katastroph",
    "unverschaemt",
    "frechheit",
    "inakzeptabel",
    "unacceptable",
    "ridiculous",
    "laecherlich",
    "useless",
    "nutzlos",
    "sauer",
    "wuetend",
    "angry",
    "furious",
    "aerger",
    "annoy",
    "genervt",
    "unmoeglich",
    "zumutung",
    "skandal",
    "complain",
    "beschwer",
    "unhappy",
    "unfreundlich",
    "rude",
    "unprofession",
    "incompeten",
    "inkompeten",
    "respektlos",
    "disrespect",
    "pathetic",
    "erbaermlich",
    "dreist",
    "poor",
    "crap",
    "shit",
    "scheiss",
    "ignor",
    "veraerger",
    "stinksauer",
    "verarsch",
    "veraeppel",
    "abgezockt",
    "frustr",
    "wuetend",
    "mad",
    "upset",
    "fed",
    "sick",
    "unverschaemtheit",
];

/// Phrases of a complaint (normalized, in one clause).
pub(super) const NEGATIVE_PHRASES: &[&str] = &[
    "geht gar nicht",
    "geht das nicht",
    "geht so nicht",
    "schon wieder",
    "zum dritten mal",
    "zum zweiten mal",
    "nie wieder",
    "nie mehr",
    "das letzte mal",
    "never again",
    "not good enough",
    "niemand meldet",
    "keiner meldet",
    "niemand antwortet",
    "keiner antwortet",
    "keine antwort",
    "nobody answers",
    "no one answers",
    "nobody replies",
    "no answer",
    "no response",
    "no reply",
];

/// Whether `words` (one clause) hold a phrase of a complaint, or "never ... again".
pub(super) fn complaint_phrase(words: &[&str]) -> bool {
    let clause = format!(" {} ", words.join(" "));
    NEGATIVE_PHRASES
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

/// Praise a complaint negates ("nicht zufrieden", "not happy").
pub(super) const PRAISE_WORDS: &[&str] = &[
    "zufrieden",
    "happy",
    "satisfied",
    "ok",
    "okay",
    "gut",
    "good",
    "akzeptabel",
    "acceptable",
    "professionell",
    "professional",
];

/// Whether `words` (one clause) negate praise: "nicht zufrieden", "not happy at all".
pub(super) fn negated_praise(words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| PRAISE_WORDS.contains(w) && negated(words, at))
}
