//! Measuring what the bot understands on labelled customer messages: the fixed test split
//! (`config/bot-test.tsv`, never trained on) and the near-miss set (`config/bot-nearmiss.tsv`,
//! messages that must not hand over). `helpdesk-local bot eval` prints the report; unit tests
//! hold CI to its figures.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::config::{BotConfig, StepSpec};
use super::matcher::normalize;
use super::model::{Labelled, parse_labelled};
use super::understanding::Understanding;

pub const TEST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-test.tsv"
));
pub const NEAR_MISS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss.tsv"
));
pub const HOLDOUT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout.tsv"
));
pub const HOLDOUT2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout2.tsv"
));
pub const NEAR_MISS2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss2.tsv"
));
pub const NEAR_MISS4: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss4.tsv"
));
pub const HANDOFF_REQUESTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-handoff.tsv"
));
pub const HANDOFF_REQUESTS2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-handoff2.tsv"
));
pub const NEAR_MISS6: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss6.tsv"
));
pub const HOLDOUT3: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout3.tsv"
));
pub const NEAR_MISS3: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss3.tsv"
));
pub const OFF_TOPIC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-offtopic.tsv"
));
pub const HOLDOUT4: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout4.tsv"
));
pub const NEAR_MISS5: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss5.tsv"
));
pub const HOLDOUT5: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout5.tsv"
));
pub const NEAR_MISS7: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss7.tsv"
));
pub const HOLDOUT6: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-holdout6.tsv"
));
pub const NEAR_MISS8: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/bot-nearmiss8.tsv"
));

/// The shipped test split.
pub fn test_split() -> Vec<Labelled> {
    parse_labelled(TEST).expect("config/bot-test.tsv is label<TAB>message")
}

/// The off-topic development set: off-topic messages and on-topic ones in unusual words, for
/// measuring how the model tells them apart (tuned on, so not a blind figure).
pub fn off_topic() -> Vec<Labelled> {
    parse_labelled(OFF_TOPIC).expect("config/bot-offtopic.tsv is label<TAB>message")
}

/// The second held-out set, written before the model's last round of tuning and never tuned on.
pub fn holdout() -> Vec<Labelled> {
    parse_labelled(HOLDOUT).expect("config/bot-holdout.tsv is label<TAB>message")
}

/// The third held-out set, written in WhatsApp style from the intents' meaning before the
/// fourth round of changes and never tuned on.
pub fn holdout2() -> Vec<Labelled> {
    parse_labelled(HOLDOUT2).expect("config/bot-holdout2.tsv is label<TAB>message")
}

/// The fourth held-out set, written in WhatsApp style from the intents' meaning by someone who
/// had not seen the other sets, before the fifth round of changes, and never tuned on.
pub fn holdout3() -> Vec<Labelled> {
    parse_labelled(HOLDOUT3).expect("config/bot-holdout3.tsv is label<TAB>message")
}

/// The fifth held-out set, written in WhatsApp style from the intents' meaning by someone who
/// had not seen the other sets or the model, while the sixth round of changes was being made, and
/// never tuned on.
pub fn holdout4() -> Vec<Labelled> {
    parse_labelled(HOLDOUT4).expect("config/bot-holdout4.tsv is label<TAB>message")
}

/// The sixth held-out set, written in WhatsApp style from the intents' meaning by someone who
/// had not seen the other sets or the model, while the seventh round of changes was being made,
/// and never tuned on.
pub fn holdout5() -> Vec<Labelled> {
    parse_labelled(HOLDOUT5).expect("config/bot-holdout5.tsv is label<TAB>message")
}

/// The seventh held-out set, written in WhatsApp style from the intents' meaning by someone who
/// had not seen the other sets or the model, while the eighth round of changes was being made,
/// and never tuned on.
pub fn holdout6() -> Vec<Labelled> {
    parse_labelled(HOLDOUT6).expect("config/bot-holdout6.tsv is label<TAB>message")
}

/// The shipped near-miss set.
pub fn near_misses() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS).expect("config/bot-nearmiss.tsv is label<TAB>message")
}

/// The second near-miss set: negated handoff words, handoff words inside other words.
pub fn near_misses2() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS2).expect("config/bot-nearmiss2.tsv is label<TAB>message")
}

/// The fourth near-miss set: weak urgency words as adverbs of time, negated or praising complaint
/// words, handoff words inside other words, denied fraud, requests not to be handed over, and
/// topic words the model reads as fraud.
pub fn near_misses4() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS4).expect("config/bot-nearmiss4.tsv is label<TAB>message")
}

/// Real requests for a person (urgent, human, fraud, complaint) that must hand over at once.
pub fn handoff_requests() -> Vec<Labelled> {
    parse_labelled(HANDOFF_REQUESTS).expect("config/bot-handoff.tsv is label<TAB>message")
}

/// The second set of real requests that must hand over at once: indirect wishes for a person,
/// time pressure in any wording, fraud told as a story, complaints without a complaint word.
pub fn handoff_requests2() -> Vec<Labelled> {
    parse_labelled(HANDOFF_REQUESTS2).expect("config/bot-handoff2.tsv is label<TAB>message")
}

/// The sixth near-miss set: times without pressure, staff named in thanks, someone else's
/// person, account words in a plain question, complaint words negated or past.
pub fn near_misses6() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS6).expect("config/bot-nearmiss6.tsv is label<TAB>message")
}

/// The third near-miss set: handoff words negated, inside other words, as praise or idiom, and
/// their real-word neighbours ("Betrag").
pub fn near_misses3() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS3).expect("config/bot-nearmiss3.tsv is label<TAB>message")
}

/// The fifth near-miss set, written with the fifth held-out set: handoff words negated, inside
/// other words, in product names, as praise naming a person, and their real-word neighbours.
pub fn near_misses5() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS5).expect("config/bot-nearmiss5.tsv is label<TAB>message")
}

/// The seventh near-miss set, written with the sixth held-out set: handoff words negated, quoted,
/// inside other words or product names, praise naming staff, someone else's person or call,
/// greetings alone in many languages, off-topic messages, shipping and returns told as a story.
pub fn near_misses7() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS7).expect("config/bot-nearmiss7.tsv is label<TAB>message")
}

/// The eighth near-miss set, written with the seventh held-out set: handoff words negated, in
/// product names or inside other words, look-alikes, praise naming staff, someone else's person,
/// customers describing themselves, greetings alone in many languages, off-topic messages.
pub fn near_misses8() -> Vec<Labelled> {
    parse_labelled(NEAR_MISS8).expect("config/bot-nearmiss8.tsv is label<TAB>message")
}

/// One labelled message and what the bot made of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub label: String,
    pub text: String,
    pub got: Understanding,
    /// The bot would hand the conversation to a person at once.
    pub hands_over: bool,
}

impl Outcome {
    /// Right at once: the intent (or "not understood") the label names.
    pub fn right(&self) -> bool {
        self.got.label() == self.label
    }

    /// Right at once, or a clarifying question whose options include the label (the
    /// customer's tap resolves it).
    pub fn resolved(&self) -> bool {
        self.got.resolves_to(&self.label)
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Messages whose normalized text is also an example in the configuration.
    pub duplicates_of_examples: usize,
    handoff_labels: Vec<String>,
}

impl Report {
    pub fn run(config: &BotConfig, set: &[Labelled]) -> Self {
        let examples = example_texts(config);
        let handoff_labels: Vec<String> = config
            .file
            .intents
            .iter()
            .filter(|i| hands_over(config, &i.id))
            .map(|i| i.id.clone())
            .chain(["urgent", "fraud", "complaint", "human"].map(String::from))
            .collect();
        let outcomes = set
            .iter()
            .map(|e| {
                let got = config.understand(&e.text);
                let hands_over = match &got {
                    Understanding::Handoff(_) => true,
                    Understanding::Intent(m) => hands_over(config, &m.intent),
                    _ => false,
                };
                Outcome {
                    label: e.label.clone(),
                    text: e.text.clone(),
                    got,
                    hands_over,
                }
            })
            .collect();
        Self {
            outcomes,
            duplicates_of_examples: set
                .iter()
                .filter(|e| examples.contains(&words(&e.text)))
                .count(),
            handoff_labels,
        }
    }

    pub fn total(&self) -> usize {
        self.outcomes.len()
    }

    pub fn right(&self) -> usize {
        self.outcomes.iter().filter(|o| o.right()).count()
    }

    pub fn resolved(&self) -> usize {
        self.outcomes.iter().filter(|o| o.resolved()).count()
    }

    /// Messages handed to a person at once, for whatever reason.
    pub fn handed_over(&self) -> usize {
        self.outcomes.iter().filter(|o| o.hands_over).count()
    }

    pub fn clarified(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.got, Understanding::Unsure(..)))
            .count()
    }

    /// Messages handed to a person although their label does not ask for one.
    pub fn false_handoffs(&self) -> Vec<&Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.hands_over && !self.handoff_labels.contains(&o.label))
            .collect()
    }

    /// Per label: (messages, right at once, resolved).
    pub fn per_label(&self) -> BTreeMap<&str, (usize, usize, usize)> {
        let mut out: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for o in &self.outcomes {
            let row = out.entry(o.label.as_str()).or_default();
            row.0 += 1;
            row.1 += usize::from(o.right());
            row.2 += usize::from(o.resolved());
        }
        out
    }

    /// (label, answer) -> count; the answer is an intent, "none", or "?" (asked back).
    pub fn confusion(&self) -> BTreeMap<(&str, &str), usize> {
        let mut out = BTreeMap::new();
        for o in &self.outcomes {
            *out.entry((o.label.as_str(), o.got.label())).or_default() += 1;
        }
        out
    }

    /// The report as text: totals, per-label accuracy, the confusion table, the misses.
    pub fn render(&self, title: &str) -> String {
        let mut s = String::new();
        let pct = |n: usize| 100.0 * n as f64 / self.total().max(1) as f64;
        let _ = writeln!(s, "== {title}: {} messages", self.total());
        let _ = writeln!(
            s,
            "right at once   {:>4}  {:5.1} %",
            self.right(),
            pct(self.right())
        );
        let _ = writeln!(
            s,
            "resolved        {:>4}  {:5.1} %  (right at once, or asked back with the right intent among the two buttons)",
            self.resolved(),
            pct(self.resolved())
        );
        let _ = writeln!(s, "asked back      {:>4}", self.clarified());
        let _ = writeln!(
            s,
            "false handoffs  {:>4}  (handed to a person though the message does not ask for one)",
            self.false_handoffs().len()
        );
        let _ = writeln!(
            s,
            "same text as a bot.toml example: {}",
            self.duplicates_of_examples
        );
        let _ = writeln!(
            s,
            "\n{:<14} {:>5} {:>8} {:>9}",
            "label", "n", "right %", "resolved %"
        );
        for (label, (n, right, resolved)) in self.per_label() {
            let _ = writeln!(
                s,
                "{label:<14} {n:>5} {:>8.1} {:>9.1}",
                100.0 * right as f64 / n as f64,
                100.0 * resolved as f64 / n as f64
            );
        }
        let confusion = self.confusion();
        let mut answers: Vec<&str> = confusion.keys().map(|(_, a)| *a).collect();
        answers.sort_unstable();
        answers.dedup();
        let labels: Vec<&str> = self.per_label().keys().copied().collect();
        let _ = writeln!(
            s,
            "\nconfusion (rows: label, columns: the bot's answer; ? = asked back)"
        );
        let _ = write!(s, "{:<14}", "");
        for a in &answers {
            let _ = write!(s, " {:>5}", short(a));
        }
        let _ = writeln!(s);
        for l in &labels {
            let _ = write!(s, "{l:<14}");
            for a in &answers {
                match confusion.get(&(*l, *a)) {
                    Some(n) => {
                        let _ = write!(s, " {n:>5}");
                    }
                    None => {
                        let _ = write!(s, " {:>5}", ".");
                    }
                }
            }
            let _ = writeln!(s);
        }
        let misses: Vec<&Outcome> = self.outcomes.iter().filter(|o| !o.right()).collect();
        if !misses.is_empty() {
            let _ = writeln!(s, "\nnot right at once (label <- answer):");
            for o in misses {
                let answer = match &o.got {
                    Understanding::Unsure(a, b) => format!(
                        "? {} {:.2} / {} {:.2}",
                        a.intent, a.score, b.intent, b.score
                    ),
                    Understanding::Intent(m) => format!("{} {:.2}", m.intent, m.score),
                    other => other.label().to_owned(),
                };
                let flag = if o.hands_over && !self.handoff_labels.contains(&o.label) {
                    "  FALSE HANDOFF"
                } else {
                    ""
                };
                let _ = writeln!(s, "  {:<12} <- {answer:<34} {}{flag}", o.label, o.text);
            }
        }
        s
    }
}

/// Whether entering `intent`'s flow hands the conversation over at once.
pub fn hands_over(config: &BotConfig, intent: &str) -> bool {
    config
        .intent(intent)
        .and_then(|i| config.file.flows.get(&i.flow))
        .and_then(|f| f.steps.get(&f.start))
        .is_some_and(|s| matches!(s, StepSpec::Handoff { .. }))
}

/// The configuration's intent examples, normalized as [`words`] compares them.
fn example_texts(config: &BotConfig) -> std::collections::HashSet<String> {
    config
        .file
        .intents
        .iter()
        .flat_map(|i| &i.examples)
        .map(|e| words(e))
        .collect()
}

fn words(text: &str) -> String {
    normalize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A column header of at most five characters.
fn short(label: &str) -> String {
    label.chars().take(5).collect()
}

/// Five-fold cross-validation on `config`'s training split: each fifth held out in turn and
/// measured on a model trained on the rest, one report per fold. For choosing settings and
/// training lines without reading the test or held-out sets.
pub fn cross_validate(config: &BotConfig, settings: super::model::Settings) -> Vec<Report> {
    (0..5)
        .map(|fold| {
            let (held, kept): (Vec<_>, Vec<_>) = config
                .training
                .iter()
                .enumerate()
                .partition(|(i, _)| i % 5 == fold);
            let mut c = config.clone();
            c.training = std::sync::Arc::new(kept.into_iter().map(|(_, e)| e.clone()).collect());
            c.retrain_with(settings);
            let held: Vec<Labelled> = held.into_iter().map(|(_, e)| e.clone()).collect();
            Report::run(&c, &held)
        })
        .collect()
}

/// Several reports' figures added up (cross-validation's folds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub right: usize,
    pub resolved: usize,
    pub total: usize,
}

impl Totals {
    /// `n` as a percentage of the messages (0 when there are none).
    pub fn pct(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.total.max(1) as f64
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "right at once {}/{} = {:.1} %, resolved {}/{} = {:.1} %",
            self.right,
            self.total,
            self.pct(self.right),
            self.resolved,
            self.total,
            self.pct(self.resolved)
        )
    }
}

pub fn totals(reports: &[Report]) -> Totals {
    reports.iter().fold(Totals::default(), |t, r| Totals {
        right: t.right + r.right(),
        resolved: t.resolved + r.resolved(),
        total: t.total + r.total(),
    })
}

#[cfg(test)]
mod tests;
