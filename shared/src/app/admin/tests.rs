use super::*;

const BOT: &str = crate::domain::bot::config::DEFAULT_CONFIG;

#[test]
fn an_example_is_added_to_the_intent_keeping_the_rest_of_the_text() {
    let out = add_example(BOT, "cancel", "auftrag \"zurueck\"").unwrap();
    assert!(
        out.contains("examples = [\"auftrag \\\"zurueck\\\"\", "),
        "{out}"
    );
    assert_eq!(out.lines().count(), BOT.lines().count());
    let cfg = BotConfig::parse(&out, "t").unwrap();
    let intent = cfg.file.intents.iter().find(|i| i.id == "cancel").unwrap();
    assert!(intent.examples.iter().any(|e| e.contains("zurueck")));
    assert!(add_example(BOT, "nope", "x").is_err());
}

#[test]
fn a_new_faq_is_an_intent_with_its_own_answer_flow_a_supervisor_may_add() {
    let (out, id) = add_faq(
        BOT,
        "Do you sell gift cards?",
        Some("Ja, ab 10 €."),
        Some("Yes, from €10."),
    )
    .unwrap();
    assert_eq!(id, "faq_do_you_sell_gift");
    BotConfig::parse(&out, "t").unwrap();
    assert_eq!(faq_only_change(BOT, &out), Ok(()));
    let (again, id2) = add_faq(&out, "Do you sell gift cards?", Some("x"), None).unwrap();
    assert_eq!(id2, "faq_do_you_sell_gift_2");
    BotConfig::parse(&again, "t").unwrap();
    assert!(add_faq(BOT, "???", None, Some("x")).is_err());
    assert!(add_faq(BOT, "gift", None, None).is_err());
}

/// `json` with `edit` applied, saved onto `base` as a form does; checked to read back as the
/// edited JSON.
fn form_save(base: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut json = toml_to_json(base);
    edit(&mut json);
    let out = json_onto_toml(base, &json).unwrap();
    assert_eq!(toml_to_json(&out), json, "{out}");
    out
}

/// The lines of `a` that `b` no longer has.
fn lost_lines(a: &str, b: &str) -> Vec<String> {
    let kept: std::collections::HashSet<&str> = b.lines().collect();
    a.lines()
        .filter(|l| !kept.contains(l))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_form_save_keeps_the_comments_and_layout_of_what_it_did_not_change() {
    let out = form_save(BOT, |json| {
        json["flows"]["payment"]["steps"]["info"]["text"]["de"] = json!("Neu: Vorkasse.");
        let intents = json["intents"].as_array_mut().unwrap();
        intents.retain(|i| i["id"] != "cancel");
        intents.push(json!({"id": "gift", "flow": "gift", "examples": ["gutschein"]}));
        for lang in ["de", "en"] {
            json["menu"]["titles"][lang]
                .as_object_mut()
                .unwrap()
                .remove("cancel");
        }
        let flows = json["flows"].as_object_mut().unwrap();
        flows.remove("cancel");
        flows.insert(
            "gift".into(),
            json!({"start": "info", "steps": {"info": {"kind": "answer", "text": {"de": "Ja."}}}}),
        );
    });
    BotConfig::parse(&out, "t").unwrap();
    // The new FAQ's intent follows the last intent, its flow the last flow.
    let at = |text: &str| out.find(text).unwrap_or_else(|| panic!("{text}: {out}"));
    assert!(at("id = \"hello\"") < at("id = \"gift\"") && at("id = \"gift\"") < at("[menu]"));
    assert!(at("[flows.menu.steps.show]") < at("[flows.gift]"));
    for kept in [
        "# Words that mean the same to the matcher (after lower-casing, ä->ae, ö->oe, ü->ue, ß->ss).",
        "# The main menu: numbered, sent as reply buttons (three or fewer) or a list.",
        "  { id = \"table\", title.de = \"Größentabelle\", title.en = \"Size chart\", words = [\"tabelle\", \"chart\", \"table\", \"groessentabelle\"], next = \"table\" },",
        "text.de = \"Neu: Vorkasse.\"",
    ] {
        assert!(out.contains(kept), "{kept}");
    }
    // What went: the cancel intent and flow, and the old payment text; nothing else.
    let lost = lost_lines(BOT, &out);
    assert!(
        lost.iter().any(|l| l.contains("Sie können mit PayPal")),
        "{lost:?}"
    );
    assert!(
        lost.iter().all(|l| l.contains("Sie können mit PayPal")
            || l.contains("cancel")
            || l.contains("stornieren")
            || l.contains("storno")
            || l.contains("As long as your order")
            || l.contains("Solange Ihre Bestellung")
            || l.trim() == "[[intents]]"
            || l.trim() == "[flows.cancel.steps.info]"
            || l.trim() == "start = \"info\""
            || l.trim() == "kind = \"answer\""
            || l.trim() == "examples = ["
            || l.trim() == "]"),
        "{lost:?}"
    );
}

#[test]
fn a_named_holiday_from_a_form_keeps_the_rest_of_the_sla_text() {
    let sla = crate::domain::sla::policy::DEFAULT_SLA;
    let out = form_save(sla, |json| {
        json["calendars"]["office"]["holidays"]
            .as_array_mut()
            .unwrap()
            .push(json!({"date": "2027-05-05", "name": "Brückentag"}));
        json["policies"][3]["first_response"] = json!("1d2h");
    });
    SlaConfig::parse(&out, "t").unwrap();
    let lost = lost_lines(sla, &out);
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(out.contains("# At the breach."));
    assert!(out.contains("when = { categories = [\"fraud\"], keywords = [\"betrug\", \"fraud\", \"gestohlen\", \"stolen\"] }"));
}

#[test]
fn json_that_cannot_go_onto_the_base_is_saved_as_plain_toml() {
    let json = json!({"version": 1, "default_team": "support"});
    let out = json_onto_toml("not [ toml", &json).unwrap();
    assert_eq!(toml_to_json(&out), json);
    assert!(json_onto_toml("a = 1", &json!([1])).is_err());
}

#[test]
fn removing_a_faq_with_its_button_titles_is_a_faq_change() {
    let mut json = toml_to_json(BOT);
    json["intents"]
        .as_array_mut()
        .unwrap()
        .retain(|i| i["id"] != "payment");
    json["flows"].as_object_mut().unwrap().remove("payment");
    for lang in ["de", "en"] {
        json["menu"]["titles"][lang]
            .as_object_mut()
            .unwrap()
            .remove("payment");
    }
    let out = json_onto_toml(BOT, &json).unwrap();
    BotConfig::parse(&out, "t").unwrap();
    assert_eq!(faq_only_change(BOT, &out), Ok(()));
    // Another intent's title is still the menu's.
    let retitled = out.replacen("size = \"Größenberatung\"", "size = \"Größe\"", 1);
    assert!(
        faq_only_change(BOT, &retitled)
            .unwrap_err()
            .contains("menu")
    );
}

#[test]
fn changing_a_handoff_flow_is_not_a_faq_change() {
    let changed = BOT.replacen("reason = \"request\"", "reason = \"complaint\"", 1);
    assert!(
        faq_only_change(BOT, &changed)
            .unwrap_err()
            .contains("flows")
    );
}
