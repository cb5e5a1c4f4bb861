//! `[words]`: the words the handoff rules read besides the handoff words themselves (what negates,
//! what makes urgency a demand, whose person a person word names, what signs fraud or a
//! complaint...), so a support team can teach the bot a word ("eilig", a Swiss "pressant")
//! without a new release. README "The bot's rule words" says what each list does.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::{BotConfigFile, DEFAULT_CONFIG, Lang};
use crate::domain::bot::matcher::normalize;

/// A rule list written per language: `de = [...]`, `en = [...]`.
pub type ByLang = BTreeMap<Lang, Vec<String>>;

/// A rule list as written in the file: per language, or (for names such as parcel services) one
/// list for every language.
pub trait Written {
    /// The entries, each language's apart (`None`: the list is the same in every language).
    fn entries(&self) -> Vec<(Option<Lang>, &[String])>;
}

impl Written for ByLang {
    fn entries(&self) -> Vec<(Option<Lang>, &[String])> {
        self.iter().map(|(l, w)| (Some(*l), w.as_slice())).collect()
    }
}

impl Written for Vec<String> {
    fn entries(&self) -> Vec<(Option<Lang>, &[String])> {
        vec![(None, self.as_slice())]
    }
}

/// One rule list, normalized (lowercase, umlauts spelled out), every language's entries in one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordList(Vec<String>);

impl WordList {
    fn new(written: &dyn Written) -> Self {
        let mut words: Vec<String> = Vec::new();
        for (_, entries) in written.entries() {
            for e in entries {
                let e = normalize(e)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !e.is_empty() && !words.contains(&e) {
                    words.push(e);
                }
            }
        }
        Self(words)
    }

    /// Whether `word` is one of the entries.
    pub fn has(&self, word: &str) -> bool {
        self.0.iter().any(|w| w == word)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether `word` begins with one of the entries (word beginnings: "beschwer" is
    /// "Beschwerde" and "beschweren").
    pub fn begins(&self, word: &str) -> bool {
        self.0.iter().any(|w| word.starts_with(w.as_str()))
    }
}

/// Lists whose entries are phrases of several words; every other list's entries are one word.
pub const PHRASE_LISTS: &[&str] = &["negative_phrases", "idioms", "urgent_phrases", "self_leads"];

macro_rules! word_lists {
    ($($(#[$doc:meta])* $name:ident: $ty:ty,)*) => {
        /// `[words]` as written in the file. A list left out is the shipped one.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct WordLists {
            $($(#[$doc])* #[serde(default)] pub $name: Option<$ty>,)*
        }

        impl WordLists {
            /// Every list the file has, by its key.
            pub fn each(&self) -> Vec<(&'static str, &dyn Written)> {
                let mut lists: Vec<(&'static str, &dyn Written)> = Vec::new();
                $(if let Some(list) = &self.$name {
                    lists.push((stringify!($name), list));
                })*
                lists
            }

            /// The keys the file leaves out.
            pub fn missing(&self) -> Vec<&'static str> {
                let mut missing = Vec::new();
                $(if self.$name.is_none() {
                    missing.push(stringify!($name));
                })*
                missing
            }
        }

        /// The rule words a configuration reads with: its own lists, the shipped ones where it
        /// has none.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Lexicon {
            $($(#[$doc])* pub $name: WordList,)*
        }

        impl Lexicon {
            pub fn new(lists: &WordLists) -> Self {
                let shipped = &*SHIPPED;
                Self {
                    $($name: lists
                        .$name
                        .as_ref()
                        .or(shipped.$name.as_ref())
                        .map(|l| WordList::new(l))
                        .unwrap_or_default(),)*
                }
            }
        }
    };
}

word_lists! {
    /// Urgency words that are just as often adverbs of time or manner ("kam sofort an"): they
    /// hand over only in a sentence that demands something.
    weak_urgency: ByLang,
    /// Word beginnings that demand help, an answer, contact or a person.
    demands: ByLang,
    /// Politeness before an imperative ("bitte ruft mich sofort an").
    polite: ByLang,
    /// A need, a demand in a statement ("ich brauche das sofort").
    needs: ByLang,
    /// Verbs that open an imperative asking the shop to act ("Ruft mich sofort an").
    imperatives: ByLang,
    /// Words a sentence of urgency alone is made of besides the urgency word ("jetzt sofort bitte").
    fillers: ByLang,
    /// Urgency words that, in a question about delivery, ask about timing ("sofort lieferbar?").
    timing_words: ByLang,
    /// Word beginnings of delivery and availability (for `timing_words`).
    delivery_words: ByLang,
    /// Signs of urgency besides the urgency words, backing the model's "urgent".
    urgent_signs: ByLang,
    /// First words of a question (the question mark is often left out).
    question_starts: ByLang,
    /// Negation words: a handoff word right after one is what the customer does not want.
    negations: ByLang,
    /// Small words that may stand between a negation and the word it negates.
    negation_gap: ByLang,
    /// Words between a handoff word and a negation after it ("ein Rückruf ist nicht nötig").
    negation_links: ByLang,
    /// "Not needed" after a negation right behind a handoff word ("callback not needed").
    not_needed: ByLang,
    /// Adjectives after which a complaint word is praise ("unverschämt gut").
    praise: ByLang,
    /// Words between a complaint word and the praise it makes ("Frechheit wie gut").
    praise_leads: ByLang,
    /// Praise a complaint negates ("nicht zufrieden").
    praise_words: ByLang,
    /// Words that say a complaint is settled.
    settled: ByLang,
    /// Negative words (beginnings) of a complaint, backing the model's "complaint".
    negative: ByLang,
    /// Phrases of a complaint ("schon wieder", "no answer").
    negative_phrases: ByLang,
    /// Request words that name a person (a possessive before one makes it the customer's own).
    person_words: ByLang,
    /// First-person possessives ("meine Beraterin meinte 38").
    possessives: ByLang,
    /// Words before a person word that make it what the customer is ("bin ein Mensch").
    identity_leads: ByLang,
    /// Small words between an identity lead and the person word.
    identity_gap: ByLang,
    /// How a customer starts saying what they are ("ich bin", "I'm"): the words after it
    /// describe them and ask for no one ("ich bin ein Mensch, kein Bot").
    self_leads: ByLang,
    /// Verbs after a possessive and one or two words that say what someone of the customer's is
    /// ("my husband is a real person", "meine Frau ist auch nur ein Mensch").
    copulas: ByLang,
    /// Words right after a self lead that make what follows a place, a time or a doing, not
    /// what the customer is ("ich bin auf der Suche nach einem Menschen", "I'm looking for").
    description_breaks: ByLang,
    /// Signs of a wish for contact (beginnings) that count even in a self-description ("ich bin
    /// telefonisch erreichbar").
    contact_signs: ByLang,
    /// Other companies whose staff a customer mentions ("der DHL-Mitarbeiter").
    third_parties: Vec<String>,
    /// Nouns "human" qualifies as an adjective ("human error").
    human_as_adjective: ByLang,
    /// Verbs of reported speech a few words after a person word make that person the one who
    /// said something, not the one asked for ("der Mitarbeiter am Telefon sagte ...").
    reported_speech: ByLang,
    /// Whole words ending in a request word that name someone else's adviser ("Steuerberater").
    not_request_compounds: ByLang,
    /// Signs of a request for a person (word beginnings), backing the model's "human".
    request_signs: ByLang,
    /// Words of a suspicion ("dachte schon es wär Betrug").
    suspicions: ByLang,
    /// Words that turn a suspicion round ("ist aber angekommen").
    contrasts: ByLang,
    /// Signs of fraud or misuse (word beginnings), backing the model's "fraud".
    fraud_signs: ByLang,
    /// Words after "ohne"/"without" that make it unauthorised ("ohne mein Wissen").
    without_me: ByLang,
    /// Deeds a customer denies in a fraud report ("nicht bestellt").
    deeds: ByLang,
    /// Phrases whose words are no handoff word nor sign ("call me crazy", "stole my heart").
    idioms: ByLang,
    /// Phrases of haste (several words), backing the model's "urgent" as `urgent_signs` do.
    urgent_phrases: ByLang,
    /// Words within two after a person word that tell what that person did or was ("your agent
    /// Lisa was great", "der Berater hat mir geholfen"): praise or a story, not a request.
    staff_deeds: ByLang,
    /// Thanks or praise that, followed by "an"/"to", address a person word ("danke an den
    /// netten Berater", "thanks to your agent").
    thanks_to: ByLang,
    /// Words (beginnings) of a job or hiring: a person word in their sentence is a job, not a
    /// request ("stellt ihr Mitarbeiter ein", "are you hiring agents").
    hiring: ByLang,
    /// Curiosity ("nur neugierig", "just curious"): a question about a person in a message with
    /// one asks out of interest ("ist das ein echter Mensch?").
    curiosity: ByLang,
    /// Words that open a letter's salutation ("Dear customer service", "Liebes Support Team"):
    /// a request word in the opening address is no request.
    salutations: ByLang,
    /// Words of a past time ("früher", "once"): a complaint word after one, with praise or a
    /// settled word after it, is an old complaint ("früher hatte ich eine Beschwerde, jetzt alles
    /// gut").
    past_markers: ByLang,
    /// Request words that, alone in a message's first clause, are an exclamation ("Mensch,
    /// endlich ist es da!"), not a request.
    interjections: ByLang,
    /// Endings of a field of law: "für/for" and one after a complaint word names a lawyer's
    /// specialty ("Anwalt für Mietrecht", "lawyer for family law"), not a threat.
    legal_fields: ByLang,
}

/// The shipped configuration's lists: what a file without a `[words]` list reads with.
static SHIPPED: LazyLock<WordLists> = LazyLock::new(|| {
    toml::from_str::<BotConfigFile>(DEFAULT_CONFIG)
        .map(|f| f.words)
        .unwrap_or_default()
});
