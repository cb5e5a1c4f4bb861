//! The intent model's unit tests: features, training, reading, the labelled-set parser.

use super::polarity::polarity;
use super::prediction::softmax;
use super::training::{Step, rare_words, scores};
use super::*;
use crate::domain::bot::matcher::normalize;

fn tiny() -> Model {
    trained(&[
        ("order_status", "wo ist mein paket"),
        ("order_status", "where is my order"),
        ("order_status", "sendungsverfolgung"),
        ("returns", "ich möchte etwas zurückschicken"),
        ("returns", "return an item"),
        ("returns", "rücksendung"),
        ("none", "wie ist das wetter"),
    ])
}

/// A model trained on (label, message) pairs, without synonyms.
fn trained(pairs: &[(&str, &str)]) -> Model {
    Model::train(&[], &labelled(pairs))
}

fn trained_with_settings(settings: Settings, pairs: &[(&str, &str)]) -> Model {
    Model::train_with(&[], &labelled(pairs), settings)
}

fn labelled(pairs: &[(&str, &str)]) -> Vec<Labelled> {
    pairs
        .iter()
        .map(|(l, t)| Labelled {
            label: (*l).into(),
            text: (*t).into(),
        })
        .collect()
}

#[test]
fn training_is_deterministic() {
    let (a, b) = (tiny(), tiny());
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.rank("wo ist mein pakte"), b.rank("wo ist mein pakte"));
}

/// The step as it was first written, label by label: the row-wise step must train exactly
/// (bit for bit) the model this did.
fn label_by_label(s: &Step, weights: &mut [f32], bias: &mut [f32], x: &[(u32, f32)]) {
    let k = bias.len();
    let mut p = vec![0.0; k];
    scores(weights, bias, k, x, &mut p);
    softmax(&mut p);
    for c in 0..k {
        let g = s.class_weight * (p[c] - f32::from(u8::from(c == s.y)));
        bias[c] -= s.lr * g;
        for &(f, v) in x {
            let w = &mut weights[f as usize * k + c];
            *w -= s.lr * (g * v + s.l2 * *w);
        }
    }
}

#[test]
fn the_row_wise_step_trains_the_same_weights_as_label_by_label() {
    let (features, k) = (40usize, 7usize);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut weights: Vec<f32> = (0..features * k)
        .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let mut bias: Vec<f32> = (0..k).map(|c| c as f32 * 0.1 - 0.3).collect();
    let (mut ref_weights, mut ref_bias) = (weights.clone(), bias.clone());
    let mut p = vec![0.0; k];
    for i in 0..500 {
        let mut x: Vec<(u32, f32)> = (0..1 + next() % 9)
            .map(|_| {
                (
                    (next() % features as u64) as u32,
                    (next() % 100) as f32 / 50.0,
                )
            })
            .collect();
        x.sort_unstable_by_key(|(f, _)| *f);
        x.dedup_by_key(|(f, _)| *f);
        let step = Step {
            y: (next() % k as u64) as usize,
            class_weight: 0.5 + (i % 3) as f32 * 0.75,
            lr: 0.6 / (1.0 + i as f32 * 0.02),
            l2: 1e-3,
        };
        step.apply(&mut weights, &mut bias, &x, &mut p);
        label_by_label(&step, &mut ref_weights, &mut ref_bias, &x);
    }
    let bits = |v: &[f32]| v.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&weights), bits(&ref_weights));
    assert_eq!(bits(&bias), bits(&ref_bias));
}

#[test]
fn inflections_typos_and_compounds_reach_the_trained_intent() {
    let m = tiny();
    for text in [
        "Wo sind meine Pakete?",
        "wo ist mein pakte",
        "Rücksendungen",
        "Rücksendeschein",
    ] {
        let best = &m.rank(text)[0];
        let want = if text.starts_with('R') {
            "returns"
        } else {
            "order_status"
        };
        assert_eq!(best.intent, want, "{text}: {:?}", m.rank(text));
    }
}

#[test]
fn a_subscription_request_has_a_direction() {
    for (text, want) in [
        ("opt out", Some("off")),
        ("opt in", Some("on")),
        ("benachrichtigungen ausschalten", Some("off")),
        ("whatsapp updates deaktivieren", Some("off")),
        ("keine nachrichten mehr", Some("off")),
        ("dont contact me again", Some("off")),
        ("cancel my subscription to messages", Some("off")),
        ("meldet mich ab", Some("off")),
        ("meldet mich wieder an", Some("on")),
        ("nachrichten bitte wieder aktivieren", Some("on")),
        ("whatsapp benachrichtigungen an", Some("on")),
        ("turn on whatsapp notifications", Some("on")),
        // Prepositions and articles are no switch; a short "no" is no unsubscription.
        ("any update on my delivery", None),
        ("ich möchte ein update zu meiner bestellung", None),
        ("no thanks", None),
        ("der mitarbeiter sagte ich soll die retoure anmelden", None),
        ("wo ist mein paket", None),
    ] {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        let got = polarity(&words).map(|d| std::str::from_utf8(d).unwrap());
        assert_eq!(got, want, "{text}");
    }
}

#[test]
fn switching_off_is_not_read_as_switching_on() {
    // Seven examples: without dropout (it leaves out a fifth of so few features at random).
    let m = trained_with_settings(
        Settings {
            dropout: 0.0,
            ..Settings::default()
        },
        &[
            ("opt_in", "benachrichtigungen einschalten"),
            ("opt_in", "updates aktivieren"),
            ("opt_in", "whatsapp nachrichten wieder erlauben"),
            ("opt_out", "keine nachrichten mehr"),
            ("opt_out", "whatsapp abbestellen"),
            ("opt_out", "updates ausschalten"),
            ("order_status", "wo ist mein paket"),
        ],
    );
    for text in ["whatsapp updates deaktivieren", "deaktiviert die updates"] {
        assert_eq!(
            m.rank(text)[0].intent,
            "opt_out",
            "{text}: {:?}",
            m.rank(text)
        );
    }
    assert_eq!(m.rank("nachrichten aktivieren")[0].intent, "opt_in");
}

#[test]
fn scores_are_probabilities() {
    let ranked = tiny().rank("wo ist mein paket");
    let sum: f64 = ranked.iter().map(|m| m.score).sum();
    assert!((sum - 1.0).abs() < 1e-4, "{sum}");
}

#[test]
fn the_labelled_files_parse_and_name_a_bad_line() {
    assert!(parse_labelled(TRAINING).unwrap().len() >= 250);
    let err = parse_labelled("# c\nreturns\tok\nno tab here\n").unwrap_err();
    assert_eq!(err, "line 3: needs label<TAB>message");
}

#[test]
fn words_of_one_example_are_rare_unless_a_synonym_or_a_typo_of_a_known_word() {
    let examples = labelled(&[
        ("order_status", "wo ist mein paket"),
        ("order_status", "wo ist mein pakett"),
        ("none", "ich mag katzen"),
        ("none", "ich mag fussball"),
    ]);
    let synonyms = vec![("fussball".to_owned(), vec!["soccer".to_owned()])];
    let rare = rare_words(&synonyms, &examples);
    let mut sorted: Vec<&str> = rare.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    assert_eq!(sorted, ["katzen", "paket", "pakett"]);
    let model = Model::train(&synonyms, &examples);
    let unknown = model.analyzer.unknown_without_own_example(rare);
    // "paket" and "pakett" are one typo apart: each would be known without its own example.
    assert_eq!(unknown.into_iter().collect::<Vec<_>>(), ["katzen"]);
}

#[test]
fn a_message_of_words_the_model_never_saw_leans_to_none() {
    let examples = labelled(&[
        ("order_status", "wo ist mein paket"),
        ("order_status", "wo ist meine bestellung"),
        ("order_status", "paket verfolgen"),
        ("returns", "ich möchte etwas zurückschicken"),
        ("returns", "rücksendung anmelden"),
        ("returns", "wie funktioniert die rücksendung"),
        ("none", "ich mag katzen"),
        ("none", "schönes wetter heute"),
        ("none", "wer hat gewonnen"),
    ]);
    let none = |settings: Settings| {
        let model = Model::train_with(&[], &examples, settings);
        model
            .rank("wo ist der flughafen")
            .into_iter()
            .find(|m| m.intent == NONE)
            .map_or(0.0, |m| m.score)
    };
    let without = none(Settings {
        unknown_weight: 0.0,
        ..Settings::default()
    });
    let with = none(Settings::default());
    assert!(
        with > without,
        "none {with} with the feature, {without} without"
    );
}
