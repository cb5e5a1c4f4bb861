//! The 24/7 bot: configuration, intent matching and the decision engine (pure: no I/O).

pub mod config;
pub mod engine;
pub mod matcher;
pub mod service;

pub use config::{BotConfig, BotConfigError, HandoffReason, Lang, Priority};
pub use engine::{
    BotState, Engine, Handoff, Inbound, Lookup, OrderInfo, OrderRequest, Reply, Turn,
};
pub use service::Bot;

#[cfg(test)]
mod eval {
    use super::BotConfig;

    const EVAL: &str = include_str!("../../../config/bot-eval.tsv");

    /// Accuracy of the shipped matcher on the labelled set in `config/bot-eval.tsv`.
    #[test]
    fn intent_accuracy_on_the_labelled_set_is_at_least_95_percent() {
        let config = BotConfig::default_shop();
        let threshold = config.file.limits.match_threshold;
        let (mut total, mut right) = (0, 0);
        let mut wrong = Vec::new();
        for line in EVAL
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (label, text) = line.split_once('\t').expect("intent<TAB>message");
            let got = config.matcher.best(text, threshold);
            let got_label = got.as_ref().map_or("none", |m| m.intent.as_str());
            total += 1;
            if got_label == label {
                right += 1;
            } else {
                wrong.push(format!(
                    "  {label:>12} <- {got_label:<12} {:.2}  {text}",
                    got.as_ref().map_or(0.0, |m| m.score)
                ));
            }
        }
        let accuracy = right as f64 / total as f64;
        println!(
            "intent accuracy: {right}/{total} = {:.1}%",
            accuracy * 100.0
        );
        for w in &wrong {
            println!("{w}");
        }
        assert!(total >= 150, "the set has {total} utterances");
        assert!(
            accuracy >= 0.95,
            "accuracy {:.1}% below 95%",
            accuracy * 100.0
        );
    }
}
