use super::*;

#[test]
fn the_shipped_configuration_is_valid() {
    let config = BotConfig::default_shop();
    assert_eq!(config.file.company, "Nordlicht Mode");
    assert_eq!(config.file.menu.items, ["order_status", "returns", "human"]);
}

#[test]
fn building_a_configuration_again_reuses_its_model_and_an_edit_retrains() {
    let first = BotConfig::parse(DEFAULT_CONFIG, "bot.toml").unwrap();
    let again = BotConfig::parse(DEFAULT_CONFIG, "draft v2").unwrap();
    assert!(Arc::ptr_eq(&first.model, &again.model));
    assert!(Arc::ptr_eq(&first.model, &BotConfig::default_shop().model));

    let mut edited = again.clone();
    edited
        .add_example("returns", "das kleid passt nicht, zurück damit")
        .unwrap();
    assert!(!Arc::ptr_eq(&first.model, &edited.model));
    // The edit published and loaded elsewhere: the model trained for the edit.
    let mut same_edit = first.clone();
    same_edit
        .add_example("returns", "das kleid passt nicht, zurück damit")
        .unwrap();
    assert!(Arc::ptr_eq(&edited.model, &same_edit.model));
}

fn broken(from: &str, to: &str) -> String {
    assert!(
        DEFAULT_CONFIG.contains(from),
        "fixture text {from:?} not in the config"
    );
    let source = DEFAULT_CONFIG.replacen(from, to, 1);
    BotConfig::parse(&source, "bot.toml")
        .unwrap_err()
        .to_string()
}

/// The configuration with `from` replaced by `to` is refused with a message naming every one of
/// `names` (the key, the entry, what is wrong).
fn assert_refused(from: &str, to: &str, names: &[&str]) {
    let err = broken(from, to);
    let missing: Vec<_> = names.iter().filter(|n| !err.contains(*n)).collect();
    assert!(missing.is_empty(), "{err} does not name {missing:?}");
}

#[test]
fn a_handoff_threshold_below_the_match_threshold_is_refused() {
    let err = broken("handoff_threshold = 0.55", "handoff_threshold = 0.3");
    assert!(err.contains("limits.handoff_threshold"), "{err}");
}

#[test]
fn a_syntax_error_names_the_line() {
    let err = broken("company = \"Nordlicht Mode\"", "company = Nordlicht Mode");
    let line = DEFAULT_CONFIG
        .lines()
        .position(|l| l.starts_with("company = "))
        .unwrap()
        + 1;
    assert!(err.starts_with(&format!("bot.toml: line {line}:")), "{err}");
}

#[test]
fn a_missing_text_names_the_field() {
    let err = broken(
        "handoff_urgent = \"Wir verbinden Sie sofort",
        "handoff_urgnt = \"Wir verbinden Sie sofort",
    );
    assert!(
        err.contains("handoff_urgnt") || err.contains("handoff_urgent"),
        "{err}"
    );
}

#[test]
fn a_dangling_step_reference_names_field_and_line() {
    let err = broken("next = \"lookup\"", "next = \"lokup\"");
    assert!(
        err.contains("flows.order_status.steps.ask_order_id.next"),
        "{err}"
    );
    assert!(err.contains("line "), "{err}");
    assert!(err.contains("no step named \"lokup\""), "{err}");
}

#[test]
fn a_button_title_over_whatsapps_limit_is_refused() {
    assert_refused(
        "order_status = \"Bestellstatus\"",
        "order_status = \"Wo ist meine Bestellung bloß\"",
        &["menu.titles.de.order_status", "1-20 characters"],
    );
}

#[test]
fn an_unknown_placeholder_is_refused() {
    assert_refused(
        "Hallo {customer_name}!",
        "Hallo {kunde}!",
        &["texts.de.greeting", "unknown placeholder {kunde}"],
    );
}

#[test]
fn an_intent_pointing_at_a_missing_flow_is_refused() {
    assert_refused(
        "flow = \"returns\"",
        "flow = \"retours\"",
        &["intents[1].flow", "no flow named \"retours\""],
    );
}

#[test]
fn a_rule_word_in_capitals_is_refused_naming_the_list_and_the_entry() {
    let err = broken(
        "[words.negations]\nde = [\n  \"nicht\"",
        "[words.negations]\nde = [\n  \"Nicht\"",
    );
    assert!(
        err.contains("words.negations.de") && err.contains("entry \"Nicht\" must be lowercase"),
        "{err}"
    );
    let line = DEFAULT_CONFIG
        .lines()
        .position(|l| l.starts_with("[words.negations]"))
        .unwrap()
        + 3;
    assert!(err.contains(&format!("line {line}")), "{err}");
}

#[test]
fn an_empty_twice_listed_or_several_word_rule_entry_is_refused() {
    let at = "[words.demands]\nde = [\n  \"hilf\"";
    assert_refused(
        at,
        "[words.demands]\nde = [\n  \" \", \"hilf\"",
        &["words.demands.de", "empty entry"],
    );
    assert_refused(
        at,
        "[words.demands]\nde = [\n  \"helf\", \"hilf\"",
        &["words.demands.de", "lists \"helf\" twice"],
    );
    assert_refused(
        at,
        "[words.demands]\nde = [\n  \"ruft an\", \"hilf\"",
        &["words.demands.de", "must be one word"],
    );
}

#[test]
fn a_rule_list_in_an_unknown_language_or_under_an_unknown_key_is_refused() {
    assert_refused(
        "[words.negations]\nde = [",
        "[words.negations]\nfr = [\"pas\"]\nde = [",
        &["fr", "de"],
    );
    assert_refused("[words.negations]", "[words.negationz]", &["negationz"]);
}

#[test]
fn the_shipped_configuration_writes_every_rule_list() {
    let config = BotConfig::default_shop();
    assert_eq!(config.file.words.missing(), Vec::<&str>::new());
    assert!(config.words.weak_urgency.has("sofort") && config.words.negative.has("beschwer"));
}

#[test]
fn order_numbers_are_found_and_checked() {
    let rule = OrderIdRule {
        min_digits: 5,
        max_digits: 8,
    };
    assert_eq!(
        rule.find_in("Bestellung 100234 bitte"),
        Some("100234".into())
    );
    assert_eq!(rule.find_in("#12-34"), None);
    assert!(rule.accepts("12345") && !rule.accepts("1234") && !rule.accepts("123456789"));
}

#[test]
fn the_near_miss_lists_take_phrases_only_where_the_key_says_so() {
    // Idioms and phrases of haste are phrases; a hiring word or a salutation is one word.
    assert_refused(
        "[words.hiring]\nde = [\n  \"einstell\"",
        "[words.hiring]\nde = [\n  \"stellt ein\", \"einstell\"",
        &["words.hiring.de", "must be one word"],
    );
    assert_refused(
        "[words.salutations]\nde = [\n  \"liebes\"",
        "[words.salutations]\nde = [\n  \"Liebes\"",
        &["words.salutations.de", "must be lowercase"],
    );
    let idiom = DEFAULT_CONFIG.replacen(
        "[words.idioms]\nde = [\n",
        "[words.idioms]\nde = [\n  \"ruf mich nicht an\",\n",
        1,
    );
    let config = BotConfig::parse(&idiom, "bot.toml").expect("a phrase is an idiom entry");
    assert!(config.words.idioms.has("ruf mich nicht an"));
}

#[test]
fn the_self_description_lists_are_checked_like_the_others() {
    // A self lead may be a phrase ("ich bin"); a copula, a break or a contact sign is one word.
    let config = BotConfig::default_shop();
    assert!(config.words.self_leads.has("ich bin") && config.words.copulas.has("ist"));
    assert_refused(
        "[words.copulas]\nde = [\"ist\"",
        "[words.copulas]\nde = [\"ist ein\"",
        &["words.copulas.de", "must be one word"],
    );
    assert_refused(
        "[words.contact_signs]\nde = [\n  \"rufen\"",
        "[words.contact_signs]\nde = [\n  \"Rufen\"",
        &["words.contact_signs.de", "must be lowercase"],
    );
    assert_refused(
        "[words.self_leads]\nde = [\"ich bin\"",
        "[words.self_leads]\nde = [\"bin\", \"ich bin\"",
        &["words.self_leads.de", "lists \"bin\" twice"],
    );
}
