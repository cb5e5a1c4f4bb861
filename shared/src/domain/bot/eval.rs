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
        let examples: std::collections::HashSet<String> = config
            .file
            .intents
            .iter()
            .flat_map(|i| &i.examples)
            .map(|e| words(e))
            .collect();
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
mod tests {
    use super::*;

    /// The CI gate on text the model was not trained on. The figures are deterministic; the
    /// floors are what the shipped model reaches (issue 15's goal is 95 % resolved): a change
    /// to the model, the examples or the training split must not make it worse.
    /// `cargo run -p helpdesk-local -- bot eval` prints the full report.
    #[test]
    fn the_test_split_is_understood_at_least_as_well_as_measured() {
        // Measured 97.7 % / 97.7 % in the sixth round (off-topic mechanics, dropout, 4,400
        // training lines; 97.3 % / 98.5 % with the fifth round's model on them); 97.0 % / 98.5 %
        // in the fifth (the new training lines, the handoff rules and the understanding
        // mechanics of issue 15; 95.1 % / 97.3 % before).
        assert_figures(&test_split(), 250, 0.975, 0.975, 0);
    }

    /// Holds `set` to its measured figures: at least `min_total` messages, shares right at once
    /// and resolved at least `right` and `resolved`, at most `false_handoffs` false handoffs.
    fn assert_figures(
        set: &[Labelled],
        min_total: usize,
        right: f64,
        resolved: f64,
        false_handoffs: usize,
    ) {
        let config = BotConfig::default_shop();
        let report = Report::run(&config, set);
        let share = |n: usize| n as f64 / report.total() as f64;
        assert!(report.total() >= min_total, "{} messages", report.total());
        assert!(
            share(report.right()) >= right,
            "right at once {:.1} %",
            100.0 * share(report.right())
        );
        assert!(
            share(report.resolved()) >= resolved,
            "resolved {:.1} %",
            100.0 * share(report.resolved())
        );
        assert!(
            report.false_handoffs().len() <= false_handoffs,
            "false handoffs"
        );
    }

    /// A near-miss set hands at most `most` of its messages to a person (names them if more).
    fn assert_at_most_false_handoffs(config: &BotConfig, set: &[Labelled], most: usize) {
        let report = Report::run(config, set);
        let handed: Vec<&str> = report
            .false_handoffs()
            .iter()
            .map(|o| o.text.as_str())
            .collect();
        assert!(handed.len() <= most, "{handed:?}");
    }

    /// The off-topic development set (tuned on: a floor, not a blind figure).
    #[test]
    fn the_off_topic_development_set_is_understood_at_least_as_well_as_measured() {
        // Measured 92.4 % / 92.4 % in the sixth round on 4,400 training lines (89.4 % before its
        // model changes, on 3,300).
        // 12 of its lines were taken out when the fifth held-out and near-miss sets landed (they
        // had written the same short lines: "lol", "servus", emoji alone).
        assert_figures(&off_topic(), 105, 0.92, 0.92, 0);
    }

    /// The second held-out set: written before the third round of tuning and never tuned on, so
    /// its figure shows whether what the test split measures carries over.
    #[test]
    fn the_holdout_set_is_understood_at_least_as_well_as_measured() {
        // Measured 97.2 % / 97.9 % in the fifth round (91.7 % / 95.2 % before, and one message
        // labelled "none" the model took for fraud; no false handoff since the model's fraud
        // needs a sign in the words).
        // Sixth round: 99.3 % / 99.3 %.
        assert_figures(&holdout(), 120, 0.985, 0.985, 0);
    }

    /// The third held-out set: customer-style text (typos, no punctuation, emoji, long
    /// messages, DE/EN mixed) written before the fourth round and never tuned on.
    #[test]
    fn the_third_holdout_set_is_understood_at_least_as_well_as_measured() {
        // Measured 96.8 % / 97.2 % in the fifth round (88.1 % / 91.3 % before, 79.8 % / 86.7 %
        // before the fourth); one payment question the model took for fraud, no false handoff
        // since the fifth round's handoff rules.
        // Sixth round: 97.2 % / 97.2 %.
        assert_figures(&holdout2(), 200, 0.97, 0.97, 0);
    }

    /// The fourth held-out set: written by someone who had seen neither the training lines nor
    /// the other sets, before the fifth round's 2,300 training lines and rule changes, and never
    /// tuned on. The fairest figure of what unseen customers get.
    #[test]
    fn the_fourth_holdout_set_is_understood_at_least_as_well_as_measured() {
        // Measured 88.7 % / 92.4 % / 0 false handoffs after the sixth round (off-topic
        // mechanics, dropout, 4,400 training lines; 88.5 % / 92.1 % with the fifth round's model
        // on the same lines), 88.2 % / 91.0 % / 0 after the fifth (77.3 % / 85.5 % / 4 before).
        assert_figures(&holdout3(), 340, 0.885, 0.92, 0);
    }

    /// The fifth held-out set: written blind at the start of the sixth round (from bot.toml's
    /// intent meanings only), kept off `main` until the round's 4,300 blind training lines, the
    /// off-topic mechanics and the rule words had landed, never tuned on.
    #[test]
    fn the_fifth_holdout_set_is_understood_at_least_as_well_as_measured() {
        // Measured 93.4 % / 94.1 % / 2 false handoffs after the sixth round (88.0 % / 89.8 % / 0
        // before it). The two false handoffs ("if I order today will it be here before friday"
        // read as urgent, "hab ich das richtige chat?" as a request for a person) come from the
        // model, not the rule words: allowed here so CI holds the figure, not a promise.
        assert_figures(&holdout4(), 360, 0.91, 0.93, 2);
    }

    /// The fifth near-miss set, written with the fifth held-out set: 5 of 73 hand over (an idiom
    /// "call me crazy", praise of "dem netten Berater", "echtes Leder", "stolen"/"Scam" in chit-chat
    /// or a product name). Held at that figure until the rules learn those classes.
    #[test]
    fn the_fifth_near_miss_set_hands_over_at_most_as_often_as_measured() {
        assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses5(), 5);
    }

    /// The third near-miss set, written with the fourth held-out set and never tuned on: the
    /// handoff rules cut its false handoffs from 11 to 2 without seeing it. The two left are
    /// allowed here so CI holds the figure, not a promise we have not kept.
    #[test]
    fn the_unseen_near_miss_set_hands_over_at_most_as_often_as_measured() {
        assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses3(), 2);
    }

    #[test]
    fn near_misses_of_handoff_words_do_not_hand_over() {
        let config = BotConfig::default_shop();
        let report = Report::run(&config, &near_misses());
        println!("{}", report.render("near misses"));
        let texts = |r: &Report| -> Vec<String> {
            r.false_handoffs().iter().map(|o| o.text.clone()).collect()
        };
        let false_handoffs = texts(&report);
        assert!(false_handoffs.is_empty(), "{false_handoffs:?}");
        let false_handoffs = texts(&Report::run(&config, &near_misses2()));
        assert!(
            false_handoffs.is_empty(),
            "negated or embedded handoff words: {false_handoffs:?}"
        );
        let fourth = texts(&Report::run(&config, &near_misses4()));
        assert!(
            fourth.is_empty(),
            "adverbs of time, denied fraud, declined handoffs, topic words: {fourth:?}"
        );
        for near in ["betrag", "beraten", "betrugen", "stole", "stollen"] {
            assert!(
                !false_handoffs
                    .iter()
                    .any(|t| normalize(t).split_whitespace().any(|w| w == near)),
                "{near}: {false_handoffs:?}"
            );
        }
    }

    /// Real requests for a person hand over at once, with the right reason (the fraud team for
    /// fraud, high priority for a complaint): the rules against false handoffs must keep them.
    #[test]
    fn real_requests_for_a_person_hand_over_at_once() {
        let config = BotConfig::default_shop();
        let report = Report::run(&config, &handoff_requests());
        let share = |n: usize| n as f64 / report.total() as f64;
        let missed: Vec<&str> = report
            .outcomes
            .iter()
            .filter(|o| !o.hands_over)
            .map(|o| o.text.as_str())
            .collect();
        // Measured 57 of 57 handed over, all with the right reason (before the fourth round's
        // handoff rules 55 and 55); the floors leave a margin of two messages.
        assert!(
            share(report.handed_over()) >= 0.96,
            "not handed over: {missed:?}"
        );
        assert!(
            share(report.right()) >= 0.96,
            "right reason {:.1} %",
            100.0 * share(report.right())
        );
    }

    /// The second set of real requests (indirect wishes for a person, time pressure in any
    /// wording, fraud told as a story) and its near misses, at least as measured when they were
    /// written: 71 of 82 handed over at once, 70 with the right reason; 6 of 63 near misses
    /// handed over (a negation after a verb, "es eilt überhaupt nicht"; a past or someone
    /// else's complaint word; a suspicion the model reads as fraud). The next round's rules
    /// raise these floors.
    #[test]
    fn the_second_request_set_hands_over_and_its_near_misses_do_not_as_measured() {
        let config = BotConfig::default_shop();
        let report = Report::run(&config, &handoff_requests2());
        assert!(report.handed_over() >= 70, "{}", report.render("handoff2"));
        assert!(report.right() >= 69, "{}", report.render("handoff2"));
        assert_at_most_false_handoffs(&config, &near_misses6(), 6);
    }

    #[test]
    fn the_splits_are_disjoint_and_large_enough() {
        let train = parse_labelled(super::super::model::TRAINING).unwrap();
        let test = test_split();
        let near = near_misses();
        let holdout = holdout();
        let holdout2 = holdout2();
        let near2 = near_misses2();
        let near4 = near_misses4();
        let requests = handoff_requests();
        let holdout3 = holdout3();
        let near3 = near_misses3();
        let off_topic = off_topic();
        let holdout4 = holdout4();
        let near5 = near_misses5();
        let requests2 = handoff_requests2();
        let near6 = near_misses6();
        let holdout5 = holdout5();
        let near7 = near_misses7();
        let seen: std::collections::HashSet<String> =
            train.iter().map(|e| words(&e.text)).collect();
        let measuring: Vec<&Labelled> = test
            .iter()
            .chain(&near)
            .chain(&holdout)
            .chain(&holdout2)
            .chain(&near2)
            .chain(&near4)
            .chain(&requests)
            .chain(&holdout3)
            .chain(&near3)
            .chain(&requests2)
            .chain(&near6)
            .chain(&holdout4)
            .chain(&near5)
            .chain(&holdout5)
            .chain(&near7)
            .collect();
        let leaked: Vec<&str> = measuring
            .iter()
            .copied()
            .chain(&off_topic)
            .filter(|e| seen.contains(&words(&e.text)))
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>();
        assert!(
            leaked.is_empty(),
            "test messages in the training split: {leaked:?}"
        );
        assert!(train.len() + test.len() >= 400);
        assert!(holdout.len() >= 120, "{} holdout messages", holdout.len());
        assert!(
            holdout2.len() >= 200,
            "{} holdout2 messages",
            holdout2.len()
        );
        assert!(near2.len() >= 30, "{} second near misses", near2.len());
        assert!(near4.len() >= 60, "{} fourth near misses", near4.len());
        assert!(requests.len() >= 50, "{} handoff requests", requests.len());
        assert!(
            holdout3.len() >= 320,
            "{} holdout3 messages",
            holdout3.len()
        );
        assert!(near3.len() >= 50, "{} third near misses", near3.len());
        assert!(
            requests2.len() >= 80,
            "{} second handoff requests",
            requests2.len()
        );
        assert!(near6.len() >= 60, "{} sixth near misses", near6.len());
        // The fourth sets were written without seeing the others: none of their lines is
        // already in an earlier measuring set either.
        let earlier: std::collections::HashSet<String> = test
            .iter()
            .chain(&near)
            .chain(&holdout)
            .chain(&holdout2)
            .chain(&near2)
            .map(|e| words(&e.text))
            .collect();
        let repeated: Vec<&str> = holdout3
            .iter()
            .chain(&near3)
            .filter(|e| earlier.contains(&words(&e.text)))
            .map(|e| e.text.as_str())
            .collect();
        assert!(repeated.is_empty(), "already in another set: {repeated:?}");
        // The sets written later (the sixth round's handoff and near-miss sets, the off-topic
        // development set, the fifth held-out and near-miss sets): none of their lines is in any
        // other set.
        let later = [
            ("requests2", &requests2),
            ("near6", &near6),
            ("off_topic", &off_topic),
            ("holdout4", &holdout4),
            ("near5", &near5),
            ("holdout5", &holdout5),
            ("near7", &near7),
        ];
        for (name, set) in later {
            let own: std::collections::HashSet<*const Labelled> =
                set.iter().map(|e| e as *const Labelled).collect();
            let others: std::collections::HashSet<String> = measuring
                .iter()
                .copied()
                .chain(&off_topic)
                .filter(|e| !own.contains(&(*e as *const Labelled)))
                .map(|e| words(&e.text))
                .collect();
            let repeated: Vec<&str> = set
                .iter()
                .filter(|e| others.contains(&words(&e.text)))
                .map(|e| e.text.as_str())
                .collect();
            assert!(
                repeated.is_empty(),
                "{name} lines already in another set: {repeated:?}"
            );
        }
        let none = off_topic.iter().filter(|e| e.label == "none").count();
        assert!(
            none >= 70 && off_topic.len() - none >= 35,
            "{none} off-topic and {} on-topic lines",
            off_topic.len() - none
        );
        assert!(
            holdout4.len() >= 360,
            "{} holdout4 messages",
            holdout4.len()
        );
        assert!(near5.len() >= 60, "{} fifth near misses", near5.len());
        assert!(
            holdout5.len() >= 360,
            "{} holdout5 messages",
            holdout5.len()
        );
        assert!(near7.len() >= 60, "{} seventh near misses", near7.len());
        // Nor is a line of the fifth or sixth held-out sets (or their near misses) a bot.toml
        // example.
        let examples: std::collections::HashSet<String> = BotConfig::default_shop()
            .file
            .intents
            .iter()
            .flat_map(|i| &i.examples)
            .map(|e| words(e))
            .collect();
        let repeated: Vec<&str> = holdout4
            .iter()
            .chain(&near5)
            .chain(&holdout5)
            .chain(&near7)
            .filter(|e| examples.contains(&words(&e.text)))
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            repeated.is_empty(),
            "fifth- or sixth-set lines that are bot.toml examples: {repeated:?}"
        );
    }

    /// Figures only (no messages) of the test split, for checking a change made by
    /// cross-validation on the training split without reading the test messages.
    #[test]
    #[ignore = "tuning aid: cargo test -p helpdesk --lib test_split_figures -- --ignored --nocapture"]
    fn test_split_figures_only() {
        let config = BotConfig::default_shop();
        let r = Report::run(&config, &test_split());
        let text = r.render("test split");
        let figures = text.split("\nnot right at once").next().unwrap_or_default();
        println!("{figures}");
        let near = Report::run(&config, &near_misses());
        println!("near-miss false handoffs: {}", near.false_handoffs().len());
    }

    /// Five-fold cross-validation on the TRAINING split (for choosing the model's settings
    /// without looking at the test split).
    #[test]
    #[ignore = "tuning aid: cargo test -p helpdesk --lib cross_validation -- --ignored --nocapture"]
    fn cross_validation_on_the_training_split() {
        use super::super::model::Settings;
        let config = BotConfig::default_shop();
        let base = Settings::default();
        let verbose = std::env::var_os("CV_VERBOSE").is_some();
        let (match_at, clarify_at) = (
            config.file.limits.match_threshold,
            config.clarify_threshold(),
        );
        let mut grid: Vec<(Settings, f64, f64)> = vec![(base, match_at, clarify_at)];
        if std::env::var_os("CV_GRID").is_some() {
            for (m, c) in [(0.6, 0.2), (0.7, 0.2), (0.5, 0.15), (0.6, 0.15)] {
                grid.push((base, m, c));
            }
        }
        for (settings, match_threshold, clarify_threshold) in grid {
            let mut c = config.clone();
            c.file.limits.match_threshold = match_threshold;
            c.file.limits.clarify_threshold = Some(clarify_threshold);
            let folds = super::cross_validate(&c, settings);
            if verbose {
                for (fold, r) in folds.iter().enumerate() {
                    println!("{}", r.render(&format!("fold {fold}")));
                }
            }
            println!(
                "CV {settings:?} match {match_threshold} clarify {clarify_threshold}: {}",
                super::totals(&folds)
            );
        }
    }

    #[test]
    fn totals_add_up_the_figures_of_every_report() {
        let config = BotConfig::default_shop();
        let set = test_split();
        let (a, b) = set.split_at(set.len() / 2);
        let whole = Report::run(&config, &set);
        let t = super::totals(&[Report::run(&config, a), Report::run(&config, b)]);
        assert_eq!(
            (t.right, t.resolved, t.total),
            (whole.right(), whole.resolved(), whole.total())
        );
        assert!(
            t.right < t.total,
            "the split has misses: the sums are told apart"
        );
        assert_eq!(super::totals(&[]).pct(0), 0.0);
        let t = super::Totals {
            right: 1,
            resolved: 2,
            total: 4,
        };
        assert_eq!(
            t.to_string(),
            "right at once 1/4 = 25.0 %, resolved 2/4 = 50.0 %"
        );
    }
}
