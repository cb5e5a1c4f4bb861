//! The bot's learning loop: the messages it did not understand, that led to a failed attempt or
//! to a handoff, kept scrubbed (digits, e-mail addresses and the customer's name masked) with the
//! intents the bot guessed, grouped by similarity for supervisors, who add them as examples to
//! an intent (a new draft of the bot configuration). Pure: the store is
//! `ports::bot_feedback`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The longest scrubbed text kept (a message beyond it is cut: examples are short).
pub const MAX_TEXT_CHARS: usize = 300;
/// Intent guesses kept per message.
pub const MAX_GUESSES: usize = 3;
/// Two messages whose word sets overlap at least this much (Jaccard) are one group.
pub const SIMILAR: f64 = 0.6;

/// Why a message was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Miss {
    /// No intent scored high enough.
    NotUnderstood,
    /// The message did not move the conversation forward (an unrecognised answer in a flow).
    FailedAttempt,
    /// The conversation went to a person after this message.
    Handoff,
}

/// An intent the bot considered, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guess {
    pub intent: String,
    pub score: f64,
}

/// One recorded message (already scrubbed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unrecognised {
    /// The digest of the normalised text: the same words are the same id.
    pub id: String,
    pub text: String,
    pub guesses: Vec<Guess>,
    pub miss: Miss,
    pub at: Timestamp,
}

impl Unrecognised {
    /// Scrubs `raw` and builds the record. `None`: nothing left to learn from (only masks).
    pub fn new(
        raw: &str,
        customer_name: Option<&str>,
        mut guesses: Vec<Guess>,
        miss: Miss,
        at: Timestamp,
    ) -> Option<Self> {
        let text = scrub(raw, customer_name);
        if tokens(&text).is_empty() {
            return None;
        }
        guesses.sort_by(|a, b| b.score.total_cmp(&a.score));
        guesses.truncate(MAX_GUESSES);
        for g in &mut guesses {
            g.score = (g.score * 1000.0).round() / 1000.0;
        }
        Some(Self {
            id: text_id(&text),
            text,
            guesses,
            miss,
            at,
        })
    }
}

/// The id of a scrubbed text: 16 hex digits of the SHA-256 of its normalised words.
pub fn text_id(text: &str) -> String {
    let norm = tokens(text).join(" ");
    hex::encode(&Sha256::digest(norm.as_bytes())[..8])
}

/// The message with e-mail addresses, digits and the customer's name masked, and a name the
/// customer gives ("ich heiße X", "my name is X"), cut to [`MAX_TEXT_CHARS`].
pub fn scrub(raw: &str, customer_name: Option<&str>) -> String {
    let names: Vec<String> = customer_name
        .into_iter()
        .flat_map(str::split_whitespace)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut mask_next = false;
    let mut prev_bare = String::new();
    for word in raw.split_whitespace() {
        let bare = word
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let masked = if word.contains('@') && word.contains('.') {
            "<email>".to_owned()
        } else if (mask_next && bare.chars().next().is_some_and(char::is_alphabetic))
            || (!bare.is_empty() && names.contains(&bare))
        {
            "<name>".to_owned()
        } else {
            word.chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect()
        };
        // "ich heiße X", "my name is X", "mein Name ist X": the next word is a name.
        mask_next = matches!(bare.as_str(), "heiße" | "heisse")
            || (matches!(bare.as_str(), "is" | "ist") && prev_bare == "name");
        prev_bare = bare;
        out.push(masked);
    }
    let text = out.join(" ");
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// The words of a text for comparison: lower case, letters and digits, masks dropped.
pub fn tokens(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '<' && c != '>')
        .filter(|w| !w.is_empty() && !w.starts_with('<') && !w.chars().all(|c| c == '#'))
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.iter().filter(|w| b.contains(w)).count();
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Similar messages together, as supervisors see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The id of its most frequent text (what adopt names).
    pub id: String,
    pub sample: String,
    pub count: usize,
    /// The other texts in the group (distinct), most frequent first.
    pub variants: Vec<String>,
    /// The guesses summed over the group, best first.
    pub guesses: Vec<Guess>,
    pub last_seen: Timestamp,
    pub handoffs: usize,
}

/// Groups `records` by similarity, most frequent first (then most recent), at most `limit`.
pub fn group(records: &[Unrecognised], limit: usize) -> Vec<Group> {
    // Identical texts first, then similar ones merged greedily, most frequent first.
    let mut by_id: BTreeMap<&str, Vec<&Unrecognised>> = BTreeMap::new();
    for r in records {
        by_id.entry(r.id.as_str()).or_default().push(r);
    }
    let mut texts: Vec<Vec<&Unrecognised>> = by_id.into_values().collect();
    texts.sort_by(|a, b| b.len().cmp(&a.len()).then(last(b).cmp(&last(a))));
    let mut groups: Vec<(Vec<String>, Vec<Vec<&Unrecognised>>)> = Vec::new();
    for same in texts {
        let words = tokens(&same[0].text);
        match groups
            .iter_mut()
            .find(|(head, _)| jaccard(head, &words) >= SIMILAR)
        {
            Some((_, members)) => members.push(same),
            None => groups.push((words, vec![same])),
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(_, members)| {
            let all: Vec<&Unrecognised> = members.iter().flatten().copied().collect();
            let mut scores: BTreeMap<&str, f64> = BTreeMap::new();
            for r in &all {
                for g in &r.guesses {
                    *scores.entry(g.intent.as_str()).or_default() += g.score;
                }
            }
            let mut guesses: Vec<Guess> = scores
                .into_iter()
                .map(|(intent, total)| Guess {
                    intent: intent.to_owned(),
                    score: ((total / all.len() as f64) * 1000.0).round() / 1000.0,
                })
                .collect();
            guesses.sort_by(|a, b| b.score.total_cmp(&a.score));
            guesses.truncate(MAX_GUESSES);
            Group {
                id: members[0][0].id.clone(),
                sample: members[0][0].text.clone(),
                count: all.len(),
                variants: members[1..].iter().map(|m| m[0].text.clone()).collect(),
                guesses,
                last_seen: all.iter().map(|r| r.at).max().unwrap_or(members[0][0].at),
                handoffs: all.iter().filter(|r| r.miss == Miss::Handoff).count(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
    out.truncate(limit);
    out
}

fn last(records: &[&Unrecognised]) -> Option<Timestamp> {
    records.iter().map(|r| r.at).max()
}

/// How conversations with an intent ended, counted per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The bot answered (no handoff).
    Contained,
    HandedOff,
}

/// An intent's counts over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentCounts {
    pub contained: u64,
    pub handed_off: u64,
}

impl IntentCounts {
    pub fn total(&self) -> u64 {
        self.contained + self.handed_off
    }

    /// (containment rate, handoff rate), each 0..1 rounded to 3 places.
    pub fn rates(&self) -> (f64, f64) {
        let total = self.total();
        if total == 0 {
            return (0.0, 0.0);
        }
        let r = |n: u64| ((n as f64 / total as f64) * 1000.0).round() / 1000.0;
        (r(self.contained), r(self.handed_off))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn scrubbing_masks_digits_emails_and_names() {
        let s = scrub(
            "Hallo, ich heiße Jana, Bestellung 100234, mail jana.k@example.org bitte",
            None,
        );
        assert_eq!(
            s,
            "Hallo, ich heiße <name> Bestellung ######, mail <email> bitte"
        );
        assert_eq!(
            scrub("my name is Peter and I want a refund", None),
            "my name is <name> and I want a refund"
        );
        assert_eq!(
            scrub("Hier ist Anna Schulz wegen Paket", Some("Anna Schulz")),
            "Hier ist <name> <name> wegen Paket"
        );
        assert_eq!(scrub("name of the product?", None), "name of the product?");
    }

    #[test]
    fn a_message_of_only_masks_is_not_kept() {
        assert!(
            Unrecognised::new(
                "100234",
                None,
                vec![],
                Miss::NotUnderstood,
                at("2026-12-01T10:00:00Z")
            )
            .is_none()
        );
        let r = Unrecognised::new(
            "Gutschein 50",
            None,
            vec![
                Guess {
                    intent: "a".into(),
                    score: 0.1,
                },
                Guess {
                    intent: "b".into(),
                    score: 0.3,
                },
                Guess {
                    intent: "c".into(),
                    score: 0.2,
                },
                Guess {
                    intent: "d".into(),
                    score: 0.05,
                },
            ],
            Miss::NotUnderstood,
            at("2026-12-01T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(r.text, "Gutschein ##");
        let names: Vec<&str> = r.guesses.iter().map(|g| g.intent.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        // The same words with other digits are the same message.
        assert_eq!(r.id, text_id(&scrub("gutschein 12", None)));
    }

    #[test]
    fn similar_messages_group_and_the_most_frequent_group_comes_first() {
        let rec = |text: &str, t: &str, miss: Miss| {
            Unrecognised::new(
                text,
                None,
                vec![Guess {
                    intent: "shipping".into(),
                    score: 0.4,
                }],
                miss,
                at(t),
            )
            .unwrap()
        };
        let records = vec![
            rec(
                "do you sell gift cards",
                "2026-12-01T10:00:00Z",
                Miss::NotUnderstood,
            ),
            rec(
                "Do you sell gift cards?",
                "2026-12-01T11:00:00Z",
                Miss::Handoff,
            ),
            rec(
                "do you sell gift cards online",
                "2026-12-01T12:00:00Z",
                Miss::NotUnderstood,
            ),
            rec(
                "wo ist mein paket",
                "2026-12-02T10:00:00Z",
                Miss::FailedAttempt,
            ),
        ];
        let groups = group(&records, 10);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 3);
        assert_eq!(groups[0].handoffs, 1);
        assert_eq!(groups[0].id, text_id("do you sell gift cards"));
        assert_eq!(
            groups[0].variants,
            vec!["do you sell gift cards online".to_owned()]
        );
        assert_eq!(groups[0].last_seen, at("2026-12-01T12:00:00Z"));
        assert_eq!(groups[0].guesses[0].intent, "shipping");
        assert_eq!(groups[1].sample, "wo ist mein paket");
        assert_eq!(group(&records, 1).len(), 1);
    }

    #[test]
    fn rates_are_shares_of_the_intent_s_conversations() {
        let c = IntentCounts {
            contained: 3,
            handed_off: 1,
        };
        assert_eq!(c.rates(), (0.75, 0.25));
        assert_eq!(IntentCounts::default().rates(), (0.0, 0.0));
    }
}
