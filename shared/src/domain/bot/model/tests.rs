//! The intent model's unit tests: features, training, reading, the labelled-set parser.

use super::*;

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
    let examples: Vec<Labelled> = pairs
        .iter()
        .map(|(l, t)| Labelled {
            label: (*l).into(),
            text: (*t).into(),
        })
        .collect();
    Model::train(&[], &examples)
}

#[test]
fn training_is_deterministic() {
    let (a, b) = (tiny(), tiny());
    assert_eq!(a.weights, b.weights);
    assert_eq!(a.rank("wo ist mein pakte"), b.rank("wo ist mein pakte"));
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
    let m = trained(&[
        ("opt_in", "benachrichtigungen einschalten"),
        ("opt_in", "updates aktivieren"),
        ("opt_in", "whatsapp nachrichten wieder erlauben"),
        ("opt_out", "keine nachrichten mehr"),
        ("opt_out", "whatsapp abbestellen"),
        ("opt_out", "updates ausschalten"),
        ("order_status", "wo ist mein paket"),
    ]);
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
