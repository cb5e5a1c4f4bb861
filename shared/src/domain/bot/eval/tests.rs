//! The CI gate on what the bot understands: each labelled set held to its measured figures, and
//! the sets kept apart from the training split and from each other.

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
    // Seventh round (3,000 more blind training lines, the rules of task i15-rules2): 93.9 % /
    // 94.6 % / 1 (the chat question is left).
    assert_figures(&holdout4(), 360, 0.93, 0.94, 1);
}

/// The sixth held-out set: written blind at the start of the seventh round (from bot.toml's
/// intent meanings only, a third of it in voices the writer thought a bot least likely to have
/// seen), kept off `main` until the round's training lines and rules had landed, never tuned on.
#[test]
fn the_sixth_holdout_set_is_understood_at_least_as_well_as_measured() {
    // Measured 95.3 % / 96.1 % / 0 on the sixth round's model, 96.6 % / 97.3 % / 0 after the
    // seventh round, 96.8 % / 97.5 % / 0 after the eighth.
    assert_figures(&holdout5(), 390, 0.96, 0.97, 0);
}

/// The seventh held-out set: written blind at the start of the eighth round (bot.toml's intent
/// meanings only; fraud told as a story, off-topic, self-descriptions among the rest), kept off
/// `main` until that round's training lines (round 9) and rules (self-descriptions) had landed,
/// never tuned on.
#[test]
fn the_seventh_holdout_set_is_understood_at_least_as_well_as_measured() {
    // Measured 95.3 % / 96.7 % / 0 on the seventh round's model, 95.8 % / 97.4 % / 0 after the
    // eighth round (96.2 % while three round-9 training lines equal to judge lines were still
    // in; they were taken out: measuring sets win).
    assert_figures(&holdout6(), 400, 0.955, 0.97, 0);
}

/// The eighth near-miss set, written blind with the seventh held-out set: 2 of 73 handed over
/// before and after the eighth round (a wrong-chat message asking to call someone else's boss
/// back "sofort", a job application naming "Fraud Prevention"). Held at that figure.
#[test]
fn the_eighth_near_miss_set_hands_over_at_most_as_often_as_measured() {
    assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses8(), 2);
}

/// The seventh near-miss set, written blind with the sixth held-out set: 8 of 88 handed over on
/// the sixth round's model, 4 after the seventh round's rules (which never saw it): Austrian
/// "net dringend", praise of a "support team ... spitze", fraud and a complaint named in
/// chit-chat. Held at that figure, not a promise.
#[test]
fn the_seventh_near_miss_set_hands_over_at_most_as_often_as_measured() {
    assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses7(), 4);
}

/// The fifth near-miss set, written with the fifth held-out set: 5 of 73 handed over (an idiom
/// "call me crazy", praise of "dem netten Berater", "echtes Leder", "stolen"/"Scam" in chit-chat
/// or a product name) until the seventh round's rules learnt those classes (task i15-rules2,
/// tuned on this set as a development set): none now.
#[test]
fn the_fifth_near_miss_set_hands_over_at_most_as_often_as_measured() {
    assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses5(), 0);
}

/// The third near-miss set, written with the fourth held-out set: the handoff rules cut its
/// false handoffs from 11 to 1 without seeing it; the last ("Mensch, endlich ist mein Paket
/// da" read as a request) went in the seventh round, which used it as a development set.
#[test]
fn the_unseen_near_miss_set_hands_over_at_most_as_often_as_measured() {
    assert_at_most_false_handoffs(&BotConfig::default_shop(), &near_misses3(), 0);
}

#[test]
fn near_misses_of_handoff_words_do_not_hand_over() {
    let config = BotConfig::default_shop();
    let report = Report::run(&config, &near_misses());
    println!("{}", report.render("near misses"));
    let texts =
        |r: &Report| -> Vec<String> { r.false_handoffs().iter().map(|o| o.text.clone()).collect() };
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
/// else's complaint word; a suspicion the model reads as fraud) until the seventh round's
/// rules (task i15-rules2, tuned on the near misses as a development set): none now.
#[test]
fn the_second_request_set_hands_over_and_its_near_misses_do_not_as_measured() {
    let config = BotConfig::default_shop();
    let report = Report::run(&config, &handoff_requests2());
    // Seventh round: 79 of 82 handed over at once, all with the right reason.
    assert!(report.handed_over() >= 77, "{}", report.render("handoff2"));
    assert!(report.right() >= 77, "{}", report.render("handoff2"));
    assert_at_most_false_handoffs(&config, &near_misses6(), 0);
}

/// Which sets above it in [`labelled_sets`] a set must repeat no line of.
#[derive(Clone, Copy)]
enum Apart {
    /// The training split only: the early sets were written with each other in view and share
    /// short lines ("hallo", "danke").
    Training,
    /// The training split and the first `n` sets after it.
    TrainingAndFirst(usize),
    /// Every set above it (so, with every later set checked the same way, every other set).
    All,
}

/// Every labelled set in the order it was written: its file, its messages, the fewest messages it
/// may hold, and which sets above it it must repeat no line of. The training split comes first;
/// a new set goes at the end with [`Apart::All`].
fn labelled_sets() -> Vec<(&'static str, Vec<Labelled>, usize, Apart)> {
    use Apart::*;
    let training = parse_labelled(super::super::model::TRAINING).unwrap();
    vec![
        ("bot-train.tsv", training, 7000, Training),
        ("bot-test.tsv", test_split(), 250, Training),
        ("bot-nearmiss.tsv", near_misses(), 30, Training),
        ("bot-holdout.tsv", holdout(), 120, Training),
        ("bot-holdout2.tsv", holdout2(), 200, Training),
        ("bot-nearmiss2.tsv", near_misses2(), 30, Training),
        ("bot-nearmiss4.tsv", near_misses4(), 60, Training),
        ("bot-handoff.tsv", handoff_requests(), 50, Training),
        // Written without seeing the five sets after the training split.
        ("bot-holdout3.tsv", holdout3(), 320, TrainingAndFirst(5)),
        ("bot-nearmiss3.tsv", near_misses3(), 50, TrainingAndFirst(5)),
        // The sixth round's sets and everything after: new to every other set.
        ("bot-handoff2.tsv", handoff_requests2(), 80, All),
        ("bot-nearmiss6.tsv", near_misses6(), 60, All),
        ("bot-offtopic.tsv", off_topic(), 105, All),
        ("bot-holdout4.tsv", holdout4(), 360, All),
        ("bot-nearmiss5.tsv", near_misses5(), 60, All),
        // The seventh round's blind judge.
        ("bot-holdout5.tsv", holdout5(), 360, All),
        ("bot-nearmiss7.tsv", near_misses7(), 60, All),
        // The eighth round's blind judge.
        ("bot-holdout6.tsv", holdout6(), 360, All),
        ("bot-nearmiss8.tsv", near_misses8(), 60, All),
    ]
}

/// Each set holds at least its floor, and no message of a set equals (normalized) a message of
/// a set above it that it is kept [`Apart`] from: nothing measured was trained on, and a set
/// written blind repeats no line of the sets it did not see.
#[test]
fn the_splits_are_disjoint_and_large_enough() {
    let sets = labelled_sets();
    let normalized: Vec<std::collections::HashSet<String>> = sets
        .iter()
        .map(|(_, lines, _, _)| lines.iter().map(|e| words(&e.text)).collect())
        .collect();
    let mut problems = Vec::new();
    for (at, (name, lines, min, apart)) in sets.iter().enumerate() {
        if lines.len() < *min {
            problems.push(format!(
                "{name} has {} messages, fewer than its floor of {min}",
                lines.len()
            ));
        }
        let above = match *apart {
            Apart::Training => 1,
            Apart::TrainingAndFirst(n) => 1 + n,
            Apart::All => at,
        }
        .min(at);
        for (n, e) in lines.iter().enumerate() {
            let line = words(&e.text);
            for ((earlier, ..), _) in sets[..above]
                .iter()
                .zip(&normalized)
                .filter(|(_, seen)| seen.contains(&line))
            {
                problems.push(format!(
                    "{name} message {} {:?} is already in {earlier}",
                    n + 1,
                    e.text
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The off-topic development set measures both sides: enough off-topic lines, and enough
/// on-topic ones in unusual words.
#[test]
fn the_off_topic_set_holds_both_off_topic_and_on_topic_lines() {
    let off_topic = off_topic();
    let none = off_topic.iter().filter(|e| e.label == "none").count();
    assert!(
        none >= 70 && off_topic.len() - none >= 35,
        "{none} off-topic and {} on-topic lines",
        off_topic.len() - none
    );
}

/// The fifth to seventh held-out sets and their near-miss sets were written from the intents'
/// meaning only: none of their lines is a bot.toml example either.
#[test]
fn no_blind_judge_line_is_a_bot_toml_example() {
    let examples = example_texts(&BotConfig::default_shop());
    let blind = [
        holdout4(),
        near_misses5(),
        holdout5(),
        near_misses7(),
        holdout6(),
        near_misses8(),
    ];
    let repeated: Vec<&str> = blind
        .iter()
        .flatten()
        .filter(|e| examples.contains(&words(&e.text)))
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        repeated.is_empty(),
        "blind judge lines that are bot.toml examples: {repeated:?}"
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
