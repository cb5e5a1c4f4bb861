//! What a customer's free text asks for: a handoff word (matched with its inflections and German
//! compounds, and with one typo only where the word is no other real word), else the intent
//! model's answer, confident or unsure (then the bot asks back with the two best intents).

use super::config::{BotConfig, HandoffReason, StepSpec};
use super::matcher::{IntentMatch, NOT_TYPOS, normalize, within_one_edit};
use super::model::{Model, NONE, Reading};

/// Endings a handoff word may carry and still be that word ("Mitarbeiterin", "Anwalts",
/// "Beschwerden", "frauds").
const INFLECTIONS: &[&str] = &[
    "", "s", "es", "e", "en", "n", "er", "ern", "in", "innen", "ed", "ing",
];

/// Endings only German words take: an English handoff word with one is a German word of its
/// own ("humanen Arbeitsbedingungen" is an adjective, not a request for a human).
const GERMAN_ENDINGS: &[&str] = &["e", "en", "n", "er", "ern", "in", "innen"];

/// Handoff words that are English only: they take English endings ("humans", "complaints",
/// "scammed") but no German ones (see [`GERMAN_ENDINGS`]).
const ENGLISH_KEYWORDS: &[&str] = &[
    "human",
    "urgent",
    "emergency",
    "immediately",
    "fraud",
    "scam",
    "stolen",
    "hacked",
    "complaint",
    "lawyer",
    "callback",
    "asap",
];

/// Where a clause ends: a negation reaches no further.
const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '(', ')', '-', '–'];

/// First words of a question (German puts the verb first: "Ist der Artikel sofort lieferbar",
/// "Liefert ihr sofort"): on WhatsApp the question mark is often left out.
const QUESTION_STARTS: &[&str] = &[
    "ist",
    "sind",
    "wird",
    "werden",
    "wurde",
    "kann",
    "koennt",
    "koennen",
    "kommt",
    "liefert",
    "liefern",
    "versendet",
    "verschickt",
    "habt",
    "hat",
    "gibt",
    "geht",
    "wie",
    "wann",
    "wo",
    "was",
    "welche",
    "welcher",
    "welches",
    "warum",
    "wieso",
    "bis",
    "is",
    "are",
    "will",
    "can",
    "could",
    "do",
    "does",
    "did",
    "how",
    "when",
    "where",
    "what",
    "which",
];

/// Urgency words that, in a question about delivery, ask about timing ("Ist der Artikel sofort
/// lieferbar", "is it shipped immediately"): only a question mark makes the others a question
/// about timing.
const TIMING_WORDS: &[&str] = &["sofort", "immediately"];

/// Word beginnings of delivery and availability: a question with a [`TIMING_WORDS`] word is
/// about timing only with one of these ("kann mir sofort jemand helfen" is a demand).
const DELIVERY_WORDS: &[&str] = &[
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

/// The sentences of a message, each with its end mark.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .filter(|s| !s.trim().is_empty())
}

/// The clauses of a sentence, normalized: a negation reaches no further than its clause.
fn clauses(sentence: &str) -> Vec<String> {
    sentence.split(CLAUSE_ENDS).map(normalize).collect()
}

/// Small talk in a message of several parts: a request in one part is what the message asks
/// ("Hallo! Wo ist mein Paket?", "Kurze Frage: geht PayPal?", "wo ist mein Paket? danke").
/// Openers (bot.toml's greeting, and "I have a question"): what follows them says what the
/// customer wants.
const OPENERS: &[&str] = &["hello", "question"];
const THANKS: &str = "thanks";

/// Whether a part of a message asks: it ends with a question mark or starts like a question.
fn asks(part: &str) -> bool {
    part.trim_end().ends_with('?')
        || normalize(part)
            .split_whitespace()
            .next()
            .is_some_and(|w| QUESTION_STARTS.contains(&w))
}

/// Where one part of a message ends, for reading a long message part by part.
const PART_ENDS: &[char] = &['.', '!', '?', '\n', ',', ';', ':'];

/// Each clause's words.
fn clause_words(clauses: &[String]) -> Vec<Vec<&str>> {
    clauses
        .iter()
        .map(|c| c.split_whitespace().collect())
        .collect()
}

/// The model's probability above which it overrules a request or urgency word.
const SURE_DESPITE_HANDOFF_WORD: f64 = 0.8;

/// A message with fewer known words than this share is not worth a clarifying question.
const MIN_COVERAGE_TO_ASK: f64 = 0.5;

/// The model's probability at which it hands over by an intent (not a handoff word): a false
/// handoff costs a person's time and the customer's wait, a clarifying question one tap.
pub const DEFAULT_HANDOFF_THRESHOLD: f64 = 0.55;

/// The model's answer below this probability is not worth a clarifying question.
pub const DEFAULT_CLARIFY_THRESHOLD: f64 = 0.2;

#[derive(Debug, Clone, PartialEq)]
pub enum Understanding {
    /// A handoff word: a person takes over at once.
    Handoff(HandoffReason),
    /// The model is confident.
    Intent(IntentMatch),
    /// The model hesitates between two intents: ask which.
    Unsure(IntentMatch, IntentMatch),
    /// The model is sure (or nearly) the message is about nothing the bot offers: say what it
    /// can help with instead of asking between two intents the message is not about.
    OffTopic,
    /// Nothing the bot knows.
    Unknown,
}

impl Understanding {
    /// The label this answer stands for in the labelled sets: an intent id, "none", or "?" for a
    /// clarifying question. A handoff word counts as the intent of the same handoff.
    pub fn label(&self) -> &str {
        match self {
            Self::Handoff(reason) => reason_label(*reason),
            Self::Intent(m) => &m.intent,
            Self::Unsure(..) => "?",
            Self::OffTopic | Self::Unknown => NONE,
        }
    }

    /// Whether `label` is what this answer gives, or one of the options it asks about.
    pub fn resolves_to(&self, label: &str) -> bool {
        match self {
            Self::Unsure(a, b) => a.intent == label || b.intent == label,
            other => other.label() == label,
        }
    }
}

/// The intent id that stands for a handoff reason in the labelled sets.
pub fn reason_label(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::Urgent => "urgent",
        HandoffReason::Fraud => "fraud",
        HandoffReason::Complaint => "complaint",
        _ => "human",
    }
}

/// A list of handoff words or phrases, normalized.
#[derive(Debug, Clone, Default)]
pub struct Keywords(Vec<Vec<String>>);

impl Keywords {
    pub fn new(list: &[String]) -> Self {
        Self(
            list.iter()
                .map(|w| normalize(w).split_whitespace().map(str::to_owned).collect())
                .filter(|p: &Vec<String>| !p.is_empty())
                .collect(),
        )
    }

    /// Whether one of the phrases occurs in `words` (normalized, one clause), word by word,
    /// and is not negated ("nicht dringend", "no need to call me back"), nor praise
    /// ("unverschämt gut").
    pub fn found_in(&self, words: &[&str], model: &Model) -> bool {
        self.found_where(words, model, |_| true)
    }

    /// [`Keywords::found_in`] for the phrases `keep` accepts.
    fn found_where(&self, words: &[&str], model: &Model, keep: impl Fn(&[String]) -> bool) -> bool {
        !self.positions(words, model, keep).is_empty()
    }

    /// Where the phrases `keep` accepts occur in `words` (one clause), neither negated nor
    /// praise: the index of each occurrence's first word.
    fn positions(
        &self,
        words: &[&str],
        model: &Model,
        keep: impl Fn(&[String]) -> bool,
    ) -> Vec<usize> {
        self.occurrences(words, model)
            .into_iter()
            .filter(|&(phrase, at)| {
                keep(phrase)
                    && !negated(words, at)
                    && !negated_after(words, at + phrase.len())
                    && !praise_follows(words, at + phrase.len())
            })
            .map(|(_, at)| at)
            .collect()
    }

    /// Whether one of the phrases occurs negated in `words` (one clause): the customer says
    /// what they do NOT want or have ("no need to talk to someone", "kein Betrug").
    fn negated_in(&self, words: &[&str], model: &Model) -> bool {
        self.occurrences(words, model)
            .into_iter()
            .any(|(phrase, at)| negated(words, at) || negated_after(words, at + phrase.len()))
    }

    /// Whether a German word of the list opens the compound `word` ("Betrugsversuch",
    /// "Betrugsmasche", "Phishingmail"): the compound names the same thing.
    fn opens_compound(&self, word: &str) -> bool {
        self.0.iter().any(|phrase| {
            matches!(phrase.as_slice(), [k] if k.len() >= 6
                && !ENGLISH_KEYWORDS.contains(&k.as_str())
                && word.len() >= k.len() + 4
                && word.starts_with(k.as_str()))
        })
    }

    /// Every occurrence of a phrase in `words`, with the index of its first word.
    fn occurrences(&self, words: &[&str], model: &Model) -> Vec<(&[String], usize)> {
        self.0
            .iter()
            .filter(|phrase| phrase.len() <= words.len())
            .flat_map(|phrase| {
                words
                    .windows(phrase.len())
                    .enumerate()
                    .filter(move |(_, window)| {
                        window
                            .iter()
                            .zip(phrase)
                            .all(|(w, k)| word_is_keyword(w, k, model))
                    })
                    .map(move |(at, _)| (phrase.as_slice(), at))
            })
            .collect()
    }
}

/// Whether a negation right after the handoff word ending before `end` takes it back, as
/// German puts it after the verb: "ich beschwere mich nicht", "Betrug ist das nicht", "ein
/// Rückruf ist nicht nötig", "callback not needed", "a human isn't necessary".
fn negated_after(words: &[&str], end: usize) -> bool {
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
const PRAISE_LEADS: &[&str] = &["wie", "so", "how", "echt", "richtig", "really"];

/// Whether praise follows the handoff word ending before `end`: "unverschämt gut",
/// "Frechheit wie gut".
fn praise_follows(words: &[&str], end: usize) -> bool {
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
const NEGATIONS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nix",
    "nichts", "ohne", "no", "not", "nothing", "never", "without", "dont", "doesnt", "didnt",
    "isnt", "arent", "wasnt", "cant", "wont", "neither", "nor",
];

/// Small words that may stand between a negation and the handoff word it negates ("nicht mit
/// einem Mitarbeiter", "no need to call me back", "doesnt have to be asap"). Any other word
/// ends the negation's reach: "Paket nicht angekommen dringend" is still urgent.
const NEGATION_GAP: &[&str] = &[
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
const NEGATION_REACH: usize = 4;

/// Adjectives after which a complaint word is praise ("unverschämt gut", "frech günstig").
const PRAISE: &[&str] = &[
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
fn negated(words: &[&str], at: usize) -> bool {
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

/// Urgency words that are just as often adverbs of time or manner ("kam sofort an", "arrived
/// immediately", "kann ich sofort stornieren"): they ask for a person only in a sentence that
/// demands something ([`demands_action`]). The others (dringend, Notfall, urgent, asap, eilig)
/// count on their own.
const WEAK_URGENCY: &[&str] = &[
    "sofort",
    "immediately",
    "schnell",
    "gleich",
    "quickly",
    "now",
    "jetzt",
];

fn is_weak_urgency(phrase: &[String]) -> bool {
    matches!(phrase, [word] if WEAK_URGENCY.contains(&word.as_str()))
}

/// Word beginnings that demand help, an answer, contact or a person ("brauche sofort Hilfe",
/// "kann mir sofort jemand helfen", "answer immediately", "melden Sie sich sofort").
const DEMANDS: &[&str] = &[
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
const POLITE: &[&str] = &["bitte", "please", "pls", "plz", "pleas"];

/// A need, a demand in a statement ("ich brauche das Kleid sofort", "I need it immediately"),
/// not in a question ("do I need to pay immediately?").
const NEEDS: &[&str] = &[
    "brauche",
    "brauch",
    "brauchen",
    "benoetige",
    "need",
    "needs",
];

/// Verbs that open an imperative asking the shop to act ("Ruft mich sofort an", "Schickt es
/// sofort los", "fix it immediately").
const IMPERATIVES: &[&str] = &[
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
const FILLERS: &[&str] = &[
    "bitte", "please", "jetzt", "now", "ganz", "echt", "mal", "hier", "aber", "und", "and", "so",
    "really", "very", "sehr", "ja", "right",
];

/// Whether `sentence` (its normalized `clauses`) demands an action: help, an answer, contact or
/// a person, a need or an imperative in a statement, or urgency alone ("Sofort bitte!").
fn demands_action(sentence: &str, clauses: &[Vec<&str>]) -> bool {
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

/// Whether a word of `words` begins with one of `stems` (short stems: is one), is not negated
/// by a word before it in the clause ("nicht erledigt", "never had a reason to complain") nor
/// praise ("unverschämt gut").
fn has_word(words: &[&str], stems: &[&str]) -> bool {
    words.iter().enumerate().any(|(at, w)| {
        starts_with_any(w, stems)
            && !words[..at].iter().any(|b| NEGATIONS.contains(b))
            && !negated(words, at)
            && !praise_follows(words, at + 1)
    })
}

/// Whether `word` begins with one of `stems`, or is one when it is short (under five letters).
fn starts_with_any(word: &str, stems: &[&str]) -> bool {
    stems
        .iter()
        .any(|s| word == *s || (s.len() >= 5 && word.starts_with(s)))
}

/// Words that say a complaint is settled ("meine Beschwerde hat sich erledigt").
const SETTLED: &[&str] = &[
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

/// First-person possessives: a person word after one names the customer's own person
/// ("meine Modeberaterin meinte 38"), not one of the shop's.
const POSSESSIVES: &[&str] = &[
    "mein", "meine", "meinen", "meinem", "meiner", "meines", "my", "unser", "unsere", "unseren",
    "unserem", "unserer", "our",
];

/// Request words that name a person (a possessive before one makes it the customer's own).
const PERSON_WORDS: &[&str] = &[
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
const IDENTITY_LEADS: &[&str] = &["bin", "am", "m", "sind", "are", "re", "als", "as"];

/// Articles and small words between an identity lead and the person word.
const IDENTITY_GAP: &[&str] = &["a", "an", "ein", "eine", "selbst", "auch", "myself", "also"];

/// Whether the word at `words[at]` says what the customer is: "bin ein Mensch", "I'm a lawyer".
fn describes_self(words: &[&str], at: usize) -> bool {
    words[..at]
        .iter()
        .rev()
        .find(|w| !IDENTITY_GAP.contains(w))
        .is_some_and(|w| IDENTITY_LEADS.contains(w))
}

/// Other companies whose staff a customer mentions ("der DHL-Mitarbeiter", "the agent from
/// Hermes"): not the shop's.
const THIRD_PARTIES: &[&str] = &[
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
fn third_party(clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
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
const HUMAN_AS_ADJECTIVE: &[&str] = &[
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
fn after_possessive(words: &[&str], at: usize) -> bool {
    (1..=2.min(at)).any(|back| POSSESSIVES.contains(&words[at - back]))
}

/// Words of a suspicion ("dachte schon es wär Betrug", "thought it was a scam").
const SUSPICIONS: &[&str] = &[
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
const CONTRASTS: &[&str] = &[
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
fn suspicion_denied(clauses: &[Vec<&str>], i: usize, at: usize) -> bool {
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
const FRAUD_SIGNS: &[&str] = &[
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
const WITHOUT_ME: &[&str] = &[
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
fn without_the_customer(words: &[&str]) -> bool {
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

/// The model's probability of a handing-over intent (fraud aside) at which it needs no sign in
/// the words ("der Service ist a joke", "es pressiert"); below it, the words must show one.
const SURE_WITHOUT_SIGNS: f64 = 0.8;

/// The model's probability of fraud at which a statement ("Fakeshop mit eurem Namen") needs
/// no sign; a question ("wie ändere ich meine E-Mail im Konto") always does.
const SURE_OF_FRAUD: f64 = 0.9;

/// Whether `text` asks a question: a question mark, or a clause that opens like one.
fn asks_a_question(text: &str, clauses: &[Vec<&str>]) -> bool {
    text.contains('?')
        || clauses
            .iter()
            .any(|c| c.first().is_some_and(|w| QUESTION_STARTS.contains(w)))
}

/// Signs of urgency besides the urgency words ("es eilt", "hurry", "umgehend").
const URGENT_SIGNS: &[&str] = &[
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

/// Signs of a request for a person besides the request words: talking, calling, reaching,
/// someone, a team, "something else" (the menu's way to a person). Naming the bot is none
/// ("eine persönliche Frage: wie alt ist der Bot").
const REQUEST_SIGNS: &[&str] = &[
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

/// Deeds a customer denies in a fraud report ("eine Abbuchung, die ich nicht kenne", "an order
/// I did not place", "nicht bestellt").
const DEEDS: &[&str] = &[
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
fn denies_deed(words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| starts_with_any(w, DEEDS) && negated(words, at))
}

/// Negative words of a complaint ("unzufrieden", "terrible", "inakzeptabel").
const NEGATIVE: &[&str] = &[
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
const NEGATIVE_PHRASES: &[&str] = &[
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
fn complaint_phrase(words: &[&str]) -> bool {
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
const PRAISE_WORDS: &[&str] = &[
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
fn negated_praise(words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .any(|(at, w)| PRAISE_WORDS.contains(w) && negated(words, at))
}

/// Whole words (with their endings) that end in a request word but name someone else's
/// adviser or staff: "mein Steuerberater braucht eine Rechnung" asks for an invoice.
const NOT_REQUEST_COMPOUNDS: &[&str] = &[
    "steuerberater",
    "finanzberater",
    "anlageberater",
    "vermoegensberater",
    "unternehmensberater",
    "rechtsberater",
    "versicherungsberater",
    "bankberater",
    "energieberater",
    "ernaehrungsberater",
    "reiseberater",
];

/// `word` is `keyword`, inflected, at the end of a compound ("Kundenberater",
/// "Kreditkartenbetrug"), or mistyped by one letter when it is no word the bot knows.
pub fn word_is_keyword(word: &str, keyword: &str, model: &Model) -> bool {
    if word == keyword {
        return true;
    }
    // Every way below needs the keyword at the start of the word, inside a long word, or the
    // same first letter and length within one: most pairs stop here, cheaply.
    let (w, k) = (word.as_bytes(), keyword.as_bytes());
    let maybe = w.starts_with(k)
        || (k.len() >= 6
            && (w.first() == k.first() && w.len().abs_diff(k.len()) <= 1
                || word.contains(keyword)));
    if !maybe
        || NOT_TYPOS.contains(&word)
        || NOT_REQUEST_COMPOUNDS.iter().any(|c| word.starts_with(c))
    {
        return false;
    }
    let english = ENGLISH_KEYWORDS.contains(&keyword);
    for ending in INFLECTIONS {
        if english && GERMAN_ENDINGS.contains(ending) {
            continue;
        }
        let Some(stem) = word.strip_suffix(ending) else {
            continue;
        };
        if stem == keyword {
            return true;
        }
        // Only long keywords close a compound: "agent" in "reagent" is not a request.
        if keyword.len() >= 6
            && stem.len() >= keyword.len() + 3
            && stem.ends_with(keyword)
            && stem.is_char_boundary(stem.len() - keyword.len())
        {
            return true;
        }
    }
    keyword.len() >= 6
        && word.len() >= 5
        && word.as_bytes().first() == keyword.as_bytes().first()
        && !model.knows(word)
        && within_one_edit(word, keyword)
}

impl BotConfig {
    /// What `text` asks for (see the module documentation).
    pub fn understand(&self, text: &str) -> Understanding {
        match self.handoff(text) {
            Some(reason) => Understanding::Handoff(reason),
            None => self.classify(text),
        }
    }

    /// The handoff a message asks for by its words. A request word in a message the model reads,
    /// sure, as one that does not ask for a person ("danke an die nette Mitarbeiterin") does not
    /// hand over, nor does an urgency word in such a question ("wird das sofort verschickt?"):
    /// "Wo ist mein Paket? Dringend!" still does, and fraud and complaint words always do.
    pub fn handoff(&self, text: &str) -> Option<HandoffReason> {
        let reason = self.handoff_word(text)?;
        let overrulable = match reason {
            HandoffReason::Request => true,
            HandoffReason::Urgent => self.urgency_only_asked(text),
            _ => false,
        };
        // The model's likeliest label, "none" included: "sucht ihr noch Mitarbeiter im Lager"
        // asks for a job, not for a person.
        if overrulable
            && let Some(top) = self.model.read(text).top
            && top.score >= SURE_DESPITE_HANDOFF_WORD
            && !self.intent_hands_over(&top.intent)
            && (top.intent != NONE || reason == HandoffReason::Request)
        {
            return None;
        }
        Some(reason)
    }

    /// Whether entering `intent`'s flow hands the conversation over at once.
    pub fn intent_hands_over(&self, intent: &str) -> bool {
        self.intent_handoff_reason(intent).is_some()
    }

    /// The intent model's answer alone (no handoff words). A message the model reads as a
    /// whole as small talk, or is unsure about, is also read part by part (see
    /// [`BotConfig::by_part`]): in "Hallo, ich habe am Montag bestellt und noch nichts bekommen.
    /// Wo ist mein Paket? Danke!" the greeting, the story and the thanks drown the question.
    pub fn classify(&self, text: &str) -> Understanding {
        let whole = self.classify_whole(text);
        let only_questions = match &whole {
            Understanding::Intent(m) if m.intent == THANKS => true,
            Understanding::Intent(m) if !OPENERS.contains(&m.intent.as_str()) => return whole,
            _ => false,
        };
        self.by_part(text, only_questions).unwrap_or(whole)
    }

    /// The most confident request among the parts (sentences and clauses) of a message of
    /// several: an intent the model is sure of in one part, neither small talk nor one that
    /// hands over (a part alone misses what the rest says: "danke, kein Rückruf nötig"). With
    /// `only_questions`, only a part that asks counts: "wo ist mein Paket? danke" asks where the
    /// parcel is, "Paket ist heute gekommen, danke!" thanks.
    fn by_part(&self, text: &str, only_questions: bool) -> Option<Understanding> {
        let parts: Vec<&str> = text
            .split_inclusive(PART_ENDS)
            .filter(|p| p.chars().any(char::is_alphanumeric))
            .collect();
        if parts.len() < 2 {
            return None;
        }
        parts
            .iter()
            .filter(|part| !only_questions || asks(part))
            .filter_map(|part| self.model.read(part).top)
            .filter(|top| {
                top.intent != NONE
                    && !OPENERS.contains(&top.intent.as_str())
                    && top.intent != THANKS
                    && top.score >= self.file.limits.match_threshold
                    && !self.intent_hands_over(&top.intent)
            })
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(Understanding::Intent)
    }

    /// The model's answer for the whole message. A handing-over intent the message's words do
    /// not back ([`BotConfig::backs_handoff`]) gives way to the model's answer among the other
    /// labels.
    fn classify_whole(&self, text: &str) -> Understanding {
        let reading = self.model.read(text);
        if let Some(top) = &reading.top
            && top.score >= self.file.limits.match_threshold
            && let Some(reason) = self.intent_handoff_reason(&top.intent)
            && !self.backs_handoff(reason, text, top.score)
        {
            let other = self.read_without(text, reason, reading.coverage);
            // Sure of something else: answer it; else ask back, the handoff one of the options
            // (a real report the words did not show costs the customer a tap, not a person).
            return match (&other.top, other.best.clone()) {
                (Some(o), _) if o.score >= self.file.limits.match_threshold => self.answer(other),
                (_, Some(best)) => Understanding::Unsure(top.clone(), best),
                _ => Understanding::Unknown,
            };
        }
        self.answer(reading)
    }

    /// The model's reading of `text` without the intents that hand over for `reason`, the
    /// others' probabilities scaled to sum to one again.
    fn read_without(&self, text: &str, reason: HandoffReason, coverage: f64) -> Reading {
        let kept: Vec<IntentMatch> = self
            .model
            .rank(text)
            .into_iter()
            .filter(|m| self.intent_handoff_reason(&m.intent) != Some(reason))
            .collect();
        let sum: f64 = kept.iter().map(|m| m.score).sum();
        let scaled = |m: &IntentMatch| IntentMatch {
            intent: m.intent.clone(),
            score: if sum > 0.0 { m.score / sum } else { 0.0 },
        };
        let mut intents = kept.iter().filter(|m| m.intent != NONE);
        Reading {
            top: kept.first().map(scaled),
            best: intents.next().map(scaled),
            second: intents.next().map(scaled),
            coverage,
        }
    }

    /// What a reading of the model means: an intent when it is confident, a clarifying
    /// question between two intents when it hesitates, else nothing the bot knows.
    fn answer(&self, reading: Reading) -> Understanding {
        let (Some(top), Some(best)) = (reading.top, reading.best) else {
            return Understanding::Unknown;
        };
        let threshold = if self.intent_hands_over(&top.intent) {
            self.handoff_threshold()
        } else {
            self.file.limits.match_threshold
        };
        if top.score >= threshold {
            return if top.intent == NONE {
                Understanding::OffTopic
            } else {
                Understanding::Intent(top)
            };
        }
        // Off-topic likeliest: two intents it barely resembles are no question worth asking.
        let off_topic = top.intent == NONE
            && best.score < f64::from(self.model.settings().none_ask_ratio) * top.score;
        match reading.second {
            Some(second)
                if best.score >= self.clarify_threshold()
                    && reading.coverage >= MIN_COVERAGE_TO_ASK
                    && !off_topic =>
            {
                Understanding::Unsure(best, second)
            }
            _ if off_topic => Understanding::OffTopic,
            _ => Understanding::Unknown,
        }
    }

    /// The handoff a message's words ask for, if any: fraud first (it goes to its own team).
    pub fn handoff_word(&self, text: &str) -> Option<HandoffReason> {
        let clauses = clauses(text);
        let clauses = clause_words(&clauses);
        [
            HandoffReason::Fraud,
            HandoffReason::Urgent,
            HandoffReason::Complaint,
            HandoffReason::Request,
        ]
        .into_iter()
        .find(|reason| match reason {
            HandoffReason::Fraud => self.fraud_word(&clauses),
            HandoffReason::Urgent => self.urgency_demanded(text) && !self.urgency_only_timing(text),
            HandoffReason::Complaint => self.complaint_word(text),
            _ => self.request_word(&clauses),
        })
    }

    /// A fraud word, also opening a compound ("Betrugsversuch"), unless the customer only
    /// suspected fraud and says it was none ("dachte schon es wär Betrug, ist aber angekommen").
    fn fraud_word(&self, clauses: &[Vec<&str>]) -> bool {
        clauses.iter().enumerate().any(|(i, words)| {
            let compounds = words.iter().enumerate().filter_map(|(at, w)| {
                (self.fraud.opens_compound(w) && !negated(words, at)).then_some(at)
            });
            self.fraud
                .positions(words, &self.model, |_| true)
                .into_iter()
                .chain(compounds)
                .any(|at| !suspicion_denied(clauses, i, at))
        })
    }

    /// An urgency word that asks for a person: a strong one (dringend, Notfall, urgent, asap)
    /// on its own, a weak one ([`WEAK_URGENCY`]: sofort, immediately) only in a sentence that
    /// demands help, an answer, contact or a person ("brauche sofort Hilfe", "bitte sofort
    /// zurückrufen", "answer immediately"); "kam sofort an" and "kann ich sofort stornieren"
    /// tell a time.
    fn urgency_demanded(&self, text: &str) -> bool {
        sentences(text).any(|sentence| {
            let clauses = clauses(sentence);
            let clauses = clause_words(&clauses);
            let found = |weak: bool| {
                clauses.iter().any(|words| {
                    self.urgent
                        .found_where(words, &self.model, |k| is_weak_urgency(k) == weak)
                })
            };
            found(false) || (found(true) && demands_action(sentence, &clauses))
        })
    }

    /// A complaint word, unless its sentence says the complaint is settled ("meine Beschwerde
    /// hat sich erledigt") or it is what the customer is ("bin selbst Anwalt").
    fn complaint_word(&self, text: &str) -> bool {
        sentences(text).any(|sentence| {
            let clauses = clauses(sentence);
            let clauses = clause_words(&clauses);
            clauses.iter().any(|words| {
                self.complaint
                    .positions(words, &self.model, |_| true)
                    .into_iter()
                    .any(|at| !describes_self(words, at))
            }) && !clauses.iter().any(|words| has_word(words, SETTLED))
        })
    }

    /// A request word, unless it names the customer's own person ("meine Modeberaterin
    /// meinte 38"), what the customer is ("bin ein Mensch, kein Bot"), another company's
    /// staff ("der DHL-Mitarbeiter") or qualifies a noun ("human error").
    fn request_word(&self, clauses: &[Vec<&str>]) -> bool {
        let person = |p: &[String]| matches!(p, [w] if PERSON_WORDS.contains(&w.as_str()));
        clauses.iter().enumerate().any(|(i, words)| {
            self.request.found_where(words, &self.model, |p| !person(p))
                || self
                    .request
                    .positions(words, &self.model, person)
                    .into_iter()
                    .any(|at| {
                        !after_possessive(words, at)
                            && !describes_self(words, at)
                            && !third_party(clauses, i, at)
                            && !words
                                .get(at + 1)
                                .is_some_and(|n| HUMAN_AS_ADJECTIVE.contains(n))
                    })
        })
    }

    /// The handoff reason entering `intent`'s flow hands over for, if it does at once.
    pub fn intent_handoff_reason(&self, intent: &str) -> Option<HandoffReason> {
        match self
            .intent(intent)
            .and_then(|i| self.file.flows.get(&i.flow))
            .and_then(|f| f.steps.get(&f.start))
        {
            Some(StepSpec::Handoff { reason }) => Some(*reason),
            _ => None,
        }
    }

    /// Whether the words of `text` back the model's reading that it asks for `reason`'s
    /// handoff: the model learns topics ("Konto", "E-Mail", "Karte" are fraud words to it), so a
    /// handoff from the model alone needs the customer not to decline it ("no need to talk to
    /// someone", "no complaints"), and for fraud something unknown, unauthorised, stolen or
    /// misused, for a complaint a negative word, for urgency a demand or a sign of haste, for a
    /// person a word of contact or someone unless the model is `sure` (its probability) of it.
    pub fn backs_handoff(&self, reason: HandoffReason, text: &str, sure: f64) -> bool {
        let clauses = clauses(text);
        let clauses = clause_words(&clauses);
        let list = match reason {
            HandoffReason::Fraud => &self.fraud,
            HandoffReason::Urgent => &self.urgent,
            HandoffReason::Complaint => &self.complaint,
            _ => &self.request,
        };
        if clauses.iter().any(|w| list.negated_in(w, &self.model)) {
            return false;
        }
        let sure_enough = sure >= SURE_WITHOUT_SIGNS;
        match reason {
            // Fraud words are the model's topic words too ("Konto", "E-Mail", "Passwort"): a
            // question needs a sign even when the model is sure.
            HandoffReason::Fraud => {
                self.fraud_word(&clauses)
                    || clauses.iter().any(|w| {
                        has_word(w, FRAUD_SIGNS) || denies_deed(w) || without_the_customer(w)
                    })
                    || (sure >= SURE_OF_FRAUD && !asks_a_question(text, &clauses))
            }
            HandoffReason::Urgent => {
                sure_enough
                    || self.urgency_demanded(text)
                    || clauses.iter().any(|w| has_word(w, URGENT_SIGNS))
            }
            HandoffReason::Complaint => {
                let negative = clauses.iter().any(|w| has_word(w, NEGATIVE));
                // "never had a reason to complain", "Frechheit wie günstig": the only negative
                // words are negated or praise.
                let denied = !negative
                    && clauses.iter().any(|w| {
                        w.iter().enumerate().any(|(at, x)| {
                            starts_with_any(x, NEGATIVE)
                                && (w[..at].iter().any(|b| NEGATIONS.contains(b))
                                    || praise_follows(w, at + 1))
                        })
                    });
                !denied
                    && !clauses.iter().any(|w| has_word(w, SETTLED))
                    && (sure_enough
                        || negative
                        || clauses.iter().any(|w| {
                            list.found_in(w, &self.model)
                                || negated_praise(w)
                                || complaint_phrase(w)
                        }))
            }
            _ => {
                sure_enough
                    || clauses.iter().any(|w| {
                        // Negation is no sign here: "kann ich nicht mit jemandem sprechen?"
                        // asks; a declined request word was caught above.
                        list.found_in(w, &self.model)
                            || w.iter().any(|x| {
                                starts_with_any(x, REQUEST_SIGNS)
                                    || REQUEST_SIGNS.iter().any(|s| s.len() >= 8 && x.contains(s))
                            })
                    })
            }
        }
    }

    /// Whether every sentence with an urgency word (and there is one) passes `test`, given
    /// whether it ends with a question mark, starts like a question, and has only
    /// [`TIMING_WORDS`] for urgency words next to a delivery word ([`DELIVERY_WORDS`]).
    fn every_urgency(&self, text: &str, test: impl Fn(bool, bool, bool) -> bool) -> bool {
        let mut any = false;
        for sentence in sentences(text) {
            let clauses = clauses(sentence);
            let clauses = clause_words(&clauses);
            let found = |keep: &dyn Fn(&[String]) -> bool| {
                clauses
                    .iter()
                    .any(|words| self.urgent.found_where(words, &self.model, keep))
            };
            if !found(&|_| true) {
                continue;
            }
            any = true;
            let asked = sentence.trim_end().ends_with('?');
            let starts_as_question = clauses
                .iter()
                .flatten()
                .next()
                .is_some_and(|w| QUESTION_STARTS.contains(w));
            let timing_only = !found(&|k| !(k.len() == 1 && TIMING_WORDS.contains(&k[0].as_str())))
                && clauses
                    .iter()
                    .flatten()
                    .any(|w| DELIVERY_WORDS.iter().any(|d| w.starts_with(d)));
            if !test(asked, starts_as_question, timing_only) {
                return false;
            }
        }
        any
    }

    /// Urgency words only in questions ("wird das sofort verschickt?"): the model may overrule.
    fn urgency_only_asked(&self, text: &str) -> bool {
        self.every_urgency(text, |asked, _, _| asked)
    }

    /// Urgency words only as the delivery timing a question asks about ("ist der Artikel
    /// sofort lieferbar", "liefert ihr sofort nach der Bestellung"): no urgency at all.
    fn urgency_only_timing(&self, text: &str) -> bool {
        self.every_urgency(text, |asked, starts, timing| timing && (asked || starts))
    }

    /// The probability at which the bot enters an intent that hands over at once.
    pub fn handoff_threshold(&self) -> f64 {
        self.file
            .limits
            .handoff_threshold
            .unwrap_or(DEFAULT_HANDOFF_THRESHOLD)
            .max(self.file.limits.match_threshold)
    }

    pub fn clarify_threshold(&self) -> f64 {
        self.file
            .limits
            .clarify_threshold
            .unwrap_or(DEFAULT_CLARIFY_THRESHOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> String {
        BotConfig::default_shop().classify(text).label().to_owned()
    }

    #[test]
    fn a_request_after_a_greeting_or_an_opener_is_what_the_message_asks() {
        for (text, want) in [
            (
                "Hallo zusammen, guten Tag! Schönen Sonntag euch. Wo ist mein Paket?",
                "order_status",
            ),
            (
                "Hallo, ich hätte da mal eine Frage. Geht auch Rechnung?",
                "payment",
            ),
            (
                "Hello, quick question. Do you accept credit cards? Thanks a lot",
                "payment",
            ),
            (
                "hallo, ich brauche das kleid bis samstag für eine feier. ist es schon verschickt?",
                "order_status",
            ),
            (
                "Guten Tag, eine Frage: liefert ihr auch nach Italien?",
                "shipping",
            ),
            ("Hallo, guten Tag", "hello"),
        ] {
            assert_eq!(label(text), want, "{text}");
        }
    }

    #[test]
    fn an_intent_that_hands_over_needs_more_certainty_than_one_that_answers() {
        let mut config = BotConfig::default_shop();
        let text = "mein konto wurde gehackt, jemand hat bestellt";
        let score = match config.classify(text) {
            Understanding::Intent(m) if m.intent == "fraud" => m.score,
            other => panic!("{other:?}"),
        };
        config.file.limits.handoff_threshold = Some((score + 1.0) / 2.0);
        assert!(
            matches!(config.classify(text), Understanding::Unsure(ref a, _) if a.intent == "fraud"),
            "{:?}",
            config.classify(text)
        );
        // An intent that answers is entered at the match threshold.
        assert_eq!(config.classify("wo ist mein paket").label(), "order_status");
    }

    #[test]
    fn a_declined_card_is_no_fraud_to_hand_over() {
        for text in ["meine karte wurde abgelehnt", "my card was declined"] {
            let got = BotConfig::default_shop().classify(text);
            assert!(
                !matches!(got, Understanding::Intent(ref m) if m.intent == "fraud"),
                "{text}: {got:?}"
            );
        }
    }

    #[test]
    fn thanks_after_a_question_does_not_make_it_thanks_but_after_a_story_it_does() {
        for (text, want) in [
            ("wo ist mein paket? danke danke danke!", "order_status"),
            (
                "Vielen Dank schon mal! Wann kommt meine Bestellung?",
                "order_status",
            ),
            ("Paket ist heute angekommen, alles super. Danke!", "thanks"),
            ("danke, kein rückruf nötig", "thanks"),
        ] {
            assert_eq!(label(text), want, "{text}");
        }
    }

    /// The handoff the shipped bot makes at once for `text`, by a word or by the model.
    fn handoff(text: &str) -> Option<HandoffReason> {
        let config = BotConfig::default_shop();
        match config.understand(text) {
            Understanding::Handoff(reason) => Some(reason),
            Understanding::Intent(m) => config.intent_handoff_reason(&m.intent),
            _ => None,
        }
    }

    fn assert_no_handoff(texts: &[&str]) {
        let handed: Vec<_> = texts
            .iter()
            .filter_map(|t| handoff(t).map(|r| (*t, r)))
            .collect();
        assert!(handed.is_empty(), "handed over: {handed:?}");
    }

    fn assert_handoff(reason: HandoffReason, texts: &[&str]) {
        let wrong: Vec<_> = texts
            .iter()
            .map(|t| (*t, handoff(t)))
            .filter(|(_, r)| *r != Some(reason))
            .collect();
        assert!(
            wrong.is_empty(),
            "not handed over for {reason:?}: {wrong:?}"
        );
    }

    #[test]
    fn a_weak_urgency_word_telling_a_time_or_manner_does_not_hand_over() {
        assert_no_handoff(&[
            "Die Jacke kam sofort an, danke",
            "it arrived immediately, thanks a lot",
            "muss ich sofort bezahlen",
            "kann ich sofort stornieren wenn ich mich vertippt habe",
            "habe die Hose sofort zurückgeschickt",
            "bitte sofort stornieren",
            "do i need to pay immediately",
        ]);
    }

    #[test]
    fn a_weak_urgency_word_with_a_demand_hands_over_as_urgent() {
        assert_handoff(
            HandoffReason::Urgent,
            &[
                "brauche sofort hilfe",
                "bitte sofort zurückrufen",
                "answer immediately",
                "ruft mich sofort an",
                "Sofort!!",
                "kann mir sofort jemand helfen",
                "ich brauche das Kleid sofort für morgen",
            ],
        );
    }

    #[test]
    fn a_strong_urgency_word_hands_over_on_its_own_unless_negated() {
        assert_handoff(
            HandoffReason::Urgent,
            &[
                "dringend!!",
                "ES IST EIN NOTFALL",
                "asap",
                "emergency with my order",
            ],
        );
        assert_no_handoff(&[
            "ist nicht dringend, wann kommt mein paket",
            "Notfall ist es keiner, wann kommt mein Paket",
        ]);
    }

    #[test]
    fn a_negated_praising_or_settled_complaint_word_does_not_hand_over() {
        assert_no_handoff(&[
            "no complaints at all",
            "kein Grund zur Beschwerde, alles gut",
            "unverschämt gut",
            "Frechheit wie günstig das ist",
            "meine Beschwerde hat sich erledigt, danke",
            "never had a reason to complain, love your shop",
            "bin selbst Anwalt, gibt es den Anzug in 52",
        ]);
        assert_handoff(
            HandoffReason::Complaint,
            &[
                "ich will mich beschweren",
                "Unverschämtheit! Keiner meldet sich",
                "meine Beschwerde wurde nicht erledigt",
            ],
        );
    }

    #[test]
    fn a_handoff_word_inside_another_word_or_naming_someone_else_does_not_hand_over() {
        assert_no_handoff(&[
            "Wird bei euch unter humanen Arbeitsbedingungen genäht?",
            "ist der Gürtel aus Kunstleder",
            "Menschenskinder, das ging fix",
            "Meine Modeberaterin sagt Größe 38, passt das?",
            "der DHL-Mitarbeiter sagt das Paket liegt in der Filiale",
            "ich bin ein Mensch, kein Bot",
            "was it human error or my typo in the address",
        ]);
        assert_handoff(
            HandoffReason::Request,
            &[
                "ich möchte mit einem Mitarbeiter sprechen",
                "can i talk to a human",
            ],
        );
    }

    #[test]
    fn fraud_mentioned_only_to_deny_it_does_not_hand_over() {
        assert_no_handoff(&[
            "dachte schon es wär Betrug, ist aber angekommen",
            "thought it was a scam but the parcel came",
            "Betrug ist das nicht, ich hatte es nur vergessen",
        ]);
        assert_handoff(
            HandoffReason::Fraud,
            &["ich dachte erst an ein Versehen, aber das ist Betrug"],
        );
    }

    #[test]
    fn a_german_fraud_word_opening_a_compound_hands_over() {
        assert_handoff(
            HandoffReason::Fraud,
            &["Betrugsversuch?", "ist das eine Betrugsmasche"],
        );
        assert_no_handoff(&["die Versandkosten betrugen 4,95?"]);
    }

    #[test]
    fn a_request_not_to_be_handed_over_is_answered() {
        assert_no_handoff(&[
            "i don't need to talk to someone, just tell me how returns work",
            "Rückruf ist nicht nötig, wo ist mein Paket",
        ]);
    }

    #[test]
    fn the_models_fraud_or_complaint_needs_evidence_in_the_words() {
        assert_no_handoff(&[
            "how do i change my email address in my account",
            "can i log in with my google account",
            "i changed my phone number, how do i update it in my account",
        ]);
        assert_handoff(
            HandoffReason::Fraud,
            &[
                "someone took money from my card",
                "ich habe eine Abbuchung von euch die ich nicht kenne",
                "mein Passwort wurde geändert, ohne dass ich das war",
            ],
        );
    }

    #[test]
    fn real_requests_for_a_person_still_hand_over_at_once() {
        assert_handoff(HandoffReason::Urgent, &["dringend!!", "ES IST EIN NOTFALL"]);
        assert_handoff(
            HandoffReason::Request,
            &[
                "I need a person now",
                "könnt ihr mich mal anrufen",
                "wäre nett wenn mich jemand zurückruft",
            ],
        );
        assert_handoff(
            HandoffReason::Fraud,
            &[
                "someone took money from my card",
                "mein Konto wurde gehackt",
            ],
        );
        assert_handoff(HandoffReason::Complaint, &["ich will mich beschweren"]);
    }

    #[test]
    fn an_english_handoff_word_takes_no_german_ending() {
        let model = &BotConfig::default_shop().model;
        assert!(!word_is_keyword("humanen", "human", model));
        assert!(!word_is_keyword("humane", "human", model));
        assert!(word_is_keyword("humans", "human", model));
        assert!(word_is_keyword("mitarbeiterin", "mitarbeiter", model));
    }

    #[test]
    fn a_person_word_after_my_or_i_am_is_the_customers_own() {
        let words = |t: &'static str| t.split_whitespace().collect::<Vec<_>>();
        assert!(after_possessive(&words("meine modeberaterin"), 1));
        assert!(after_possessive(&words("meine liebe beraterin"), 2));
        assert!(!after_possessive(&words("einen mitarbeiter"), 1));
        assert!(describes_self(&words("ich bin ein mensch"), 3));
        assert!(describes_self(&words("i m a lawyer"), 3));
        assert!(!describes_self(&words("ich will einen menschen"), 3));
    }

    #[test]
    fn a_negation_after_the_word_takes_it_back_only_with_a_link_or_not_needed() {
        let words = |t: &'static str| t.split_whitespace().collect::<Vec<_>>();
        assert!(negated_after(&words("beschwere mich nicht"), 1));
        assert!(negated_after(&words("betrug ist das nicht"), 1));
        assert!(negated_after(&words("rueckruf nicht noetig"), 1));
        assert!(!negated_after(&words("mitarbeiter nicht erreichbar"), 1));
        assert!(!negated_after(&words("dringend bitte"), 1));
    }
}
