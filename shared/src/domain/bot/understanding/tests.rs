use super::*;

fn label(text: &str) -> String {
    BotConfig::default_shop().classify(text).label().to_owned()
}

#[test]
fn a_request_after_a_greeting_or_an_opener_is_what_the_message_asks() {
    for (text, want) in [
        (
            "Hallo zusammen, guten Tag! Schönen Sonntag euch. Wo ist mein Paket?",
            "order_status",
        ),
        (
            "Hallo, ich hätte da mal eine Frage. Geht auch Rechnung?",
            "payment",
        ),
        (
            "Hello, quick question. Do you accept credit cards? Thanks a lot",
            "payment",
        ),
        (
            "hallo, ich brauche das kleid bis samstag für eine feier. ist es schon verschickt?",
            "order_status",
        ),
        (
            "Guten Tag, eine Frage: liefert ihr auch nach Italien?",
            "shipping",
        ),
        ("Hallo, guten Tag", "hello"),
    ] {
        assert_eq!(label(text), want, "{text}");
    }
}

#[test]
fn an_intent_that_hands_over_needs_more_certainty_than_one_that_answers() {
    let mut config = BotConfig::default_shop();
    let text = "mein konto wurde gehackt, jemand hat bestellt";
    let score = match config.classify(text) {
        Understanding::Intent(m) if m.intent == "fraud" => m.score,
        other => panic!("{other:?}"),
    };
    config.file.limits.handoff_threshold = Some((score + 1.0) / 2.0);
    assert!(
        matches!(config.classify(text), Understanding::Unsure(ref a, _) if a.intent == "fraud"),
        "{:?}",
        config.classify(text)
    );
    // An intent that answers is entered at the match threshold.
    assert_eq!(config.classify("wo ist mein paket").label(), "order_status");
}

#[test]
fn a_declined_card_is_no_fraud_to_hand_over() {
    for text in ["meine karte wurde abgelehnt", "my card was declined"] {
        let got = BotConfig::default_shop().classify(text);
        assert!(
            !matches!(got, Understanding::Intent(ref m) if m.intent == "fraud"),
            "{text}: {got:?}"
        );
    }
}

#[test]
fn thanks_after_a_question_does_not_make_it_thanks_but_after_a_story_it_does() {
    for (text, want) in [
        ("wo ist mein paket? danke danke danke!", "order_status"),
        (
            "Vielen Dank schon mal! Wann kommt meine Bestellung?",
            "order_status",
        ),
        ("Paket ist heute angekommen, alles super. Danke!", "thanks"),
        ("danke, kein rückruf nötig", "thanks"),
    ] {
        assert_eq!(label(text), want, "{text}");
    }
}

/// The handoff the shipped bot makes at once for `text`, by a word or by the model.
fn handoff(text: &str) -> Option<HandoffReason> {
    let config = BotConfig::default_shop();
    match config.understand(text) {
        Understanding::Handoff(reason) => Some(reason),
        Understanding::Intent(m) => config.intent_handoff_reason(&m.intent),
        _ => None,
    }
}

fn assert_no_handoff(texts: &[&str]) {
    let handed: Vec<_> = texts
        .iter()
        .filter_map(|t| handoff(t).map(|r| (*t, r)))
        .collect();
    assert!(handed.is_empty(), "handed over: {handed:?}");
}

fn assert_handoff(reason: HandoffReason, texts: &[&str]) {
    let wrong: Vec<_> = texts
        .iter()
        .map(|t| (*t, handoff(t)))
        .filter(|(_, r)| *r != Some(reason))
        .collect();
    assert!(
        wrong.is_empty(),
        "not handed over for {reason:?}: {wrong:?}"
    );
}

#[test]
fn a_weak_urgency_word_telling_a_time_or_manner_does_not_hand_over() {
    assert_no_handoff(&[
        "Die Jacke kam sofort an, danke",
        "it arrived immediately, thanks a lot",
        "muss ich sofort bezahlen",
        "kann ich sofort stornieren wenn ich mich vertippt habe",
        "habe die Hose sofort zurückgeschickt",
        "bitte sofort stornieren",
        "do i need to pay immediately",
    ]);
}

#[test]
fn speed_praised_is_no_urgency_but_praise_beside_a_sign_of_haste_still_is() {
    assert_no_handoff(&[
        "wow, war sofort da, einfach super",
        "Paket kam sofort, echt top!",
        "came immediately, excellent service",
        "got it so quickly, perfect",
    ]);
    assert_handoff(
        HandoffReason::Urgent,
        &[
            "super wichtig: ich brauche heute noch eine antwort",
            "it's urgent, would be great if someone replies",
        ],
    );
}

/// The model alone, however sure, does not make praise an urgency or a complaint; a sign of haste
/// or a negative word beside the praise still backs it.
#[test]
fn the_models_urgency_or_complaint_is_not_backed_by_praise_alone() {
    let config = BotConfig::default_shop();
    for text in [
        "Paket kam sofort, echt top!",
        "came immediately, excellent service",
    ] {
        for reason in [HandoffReason::Urgent, HandoffReason::Complaint] {
            assert!(
                !config.backs_handoff(reason, text, 0.9),
                "{reason:?}: {text}"
            );
        }
    }
    assert!(config.backs_handoff(
        HandoffReason::Urgent,
        "brauche es heute noch, wäre super",
        0.9
    ));
    assert!(config.backs_handoff(
        HandoffReason::Complaint,
        "super unfreundlich am telefon",
        0.9
    ));
}

#[test]
fn a_weak_urgency_word_with_a_demand_hands_over_as_urgent() {
    assert_handoff(
        HandoffReason::Urgent,
        &[
            "brauche sofort hilfe",
            "bitte sofort zurückrufen",
            "answer immediately",
            "ruft mich sofort an",
            "Sofort!!",
            "kann mir sofort jemand helfen",
            "ich brauche das Kleid sofort für morgen",
        ],
    );
}

#[test]
fn a_strong_urgency_word_hands_over_on_its_own_unless_negated() {
    assert_handoff(
        HandoffReason::Urgent,
        &[
            "dringend!!",
            "ES IST EIN NOTFALL",
            "asap",
            "emergency with my order",
        ],
    );
    assert_no_handoff(&[
        "ist nicht dringend, wann kommt mein paket",
        "Notfall ist es keiner, wann kommt mein Paket",
    ]);
}

#[test]
fn a_negated_praising_or_settled_complaint_word_does_not_hand_over() {
    assert_no_handoff(&[
        "no complaints at all",
        "kein Grund zur Beschwerde, alles gut",
        "unverschämt gut",
        "Frechheit wie günstig das ist",
        "meine Beschwerde hat sich erledigt, danke",
        "never had a reason to complain, love your shop",
        "bin selbst Anwalt, gibt es den Anzug in 52",
    ]);
    assert_handoff(
        HandoffReason::Complaint,
        &[
            "ich will mich beschweren",
            "Unverschämtheit! Keiner meldet sich",
            "meine Beschwerde wurde nicht erledigt",
        ],
    );
}

#[test]
fn a_handoff_word_inside_another_word_or_naming_someone_else_does_not_hand_over() {
    assert_no_handoff(&[
        "Wird bei euch unter humanen Arbeitsbedingungen genäht?",
        "ist der Gürtel aus Kunstleder",
        "Menschenskinder, das ging fix",
        "Meine Modeberaterin sagt Größe 38, passt das?",
        "der DHL-Mitarbeiter sagt das Paket liegt in der Filiale",
        "ich bin ein Mensch, kein Bot",
        "was it human error or my typo in the address",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "ich möchte mit einem Mitarbeiter sprechen",
            "can i talk to a human",
        ],
    );
}

#[test]
fn a_person_word_followed_by_what_that_person_said_does_not_hand_over() {
    assert_no_handoff(&[
        "die Mitarbeiterin an der Hotline meinte, ich soll das Paket einfach zurückschicken",
        "the agent on the phone told me to send it back, how do i do that",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &["bitte einen Mitarbeiter, der Bot versteht mich nicht"],
    );
}

#[test]
fn fraud_mentioned_only_to_deny_it_does_not_hand_over() {
    assert_no_handoff(&[
        "dachte schon es wär Betrug, ist aber angekommen",
        "thought it was a scam but the parcel came",
        "Betrug ist das nicht, ich hatte es nur vergessen",
    ]);
    assert_handoff(
        HandoffReason::Fraud,
        &["ich dachte erst an ein Versehen, aber das ist Betrug"],
    );
}

#[test]
fn a_german_fraud_word_opening_a_compound_hands_over() {
    assert_handoff(
        HandoffReason::Fraud,
        &["Betrugsversuch?", "ist das eine Betrugsmasche"],
    );
    assert_no_handoff(&["die Versandkosten betrugen 4,95?"]);
}

#[test]
fn a_request_not_to_be_handed_over_is_answered() {
    assert_no_handoff(&[
        "i don't need to talk to someone, just tell me how returns work",
        "Rückruf ist nicht nötig, wo ist mein Paket",
    ]);
}

#[test]
fn the_models_fraud_or_complaint_needs_evidence_in_the_words() {
    assert_no_handoff(&[
        "how do i change my email address in my account",
        "can i log in with my google account",
        "i changed my phone number, how do i update it in my account",
    ]);
    assert_handoff(
        HandoffReason::Fraud,
        &[
            "someone took money from my card",
            "ich habe eine Abbuchung von euch die ich nicht kenne",
            "mein Passwort wurde geändert, ohne dass ich das war",
        ],
    );
}

#[test]
fn real_requests_for_a_person_still_hand_over_at_once() {
    assert_handoff(HandoffReason::Urgent, &["dringend!!", "ES IST EIN NOTFALL"]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "I need a person now",
            "könnt ihr mich mal anrufen",
            "wäre nett wenn mich jemand zurückruft",
        ],
    );
    assert_handoff(
        HandoffReason::Fraud,
        &[
            "someone took money from my card",
            "mein Konto wurde gehackt",
        ],
    );
    assert_handoff(HandoffReason::Complaint, &["ich will mich beschweren"]);
}

#[test]
fn an_english_handoff_word_takes_no_german_ending() {
    let config = BotConfig::default_shop();
    let (model, lex) = (&config.model, &config.words);
    assert!(!word_is_keyword(lex, "humanen", "human", model));
    assert!(!word_is_keyword(lex, "humane", "human", model));
    assert!(word_is_keyword(lex, "humans", "human", model));
    assert!(word_is_keyword(lex, "mitarbeiterin", "mitarbeiter", model));
}

#[test]
fn a_person_word_after_my_or_i_am_is_the_customers_own() {
    let config = BotConfig::default_shop();
    let lex = &config.words;
    let words = |t: &'static str| t.split_whitespace().collect::<Vec<_>>();
    assert!(after_possessive(lex, &words("meine modeberaterin"), 1));
    assert!(after_possessive(lex, &words("meine liebe beraterin"), 2));
    assert!(!after_possessive(lex, &words("einen mitarbeiter"), 1));
    assert!(describes_self(lex, &words("ich bin ein mensch"), 3));
    assert!(describes_self(lex, &words("i m a lawyer"), 3));
    assert!(!describes_self(lex, &words("ich will einen menschen"), 3));
}

#[test]
fn a_negation_after_the_word_takes_it_back_only_with_a_link_or_not_needed() {
    let config = BotConfig::default_shop();
    let lex = &config.words;
    let words = |t: &'static str| t.split_whitespace().collect::<Vec<_>>();
    assert!(negated_after(lex, &words("beschwere mich nicht"), 1));
    assert!(negated_after(lex, &words("betrug ist das nicht"), 1));
    assert!(negated_after(lex, &words("rueckruf nicht noetig"), 1));
    assert!(!negated_after(
        lex,
        &words("mitarbeiter nicht erreichbar"),
        1
    ));
    assert!(!negated_after(lex, &words("dringend bitte"), 1));
}

/// The shipped configuration with `from` replaced by `to` (in its `[words]` section).
fn taught(from: &str, to: &str) -> BotConfig {
    use crate::domain::bot::config::DEFAULT_CONFIG;
    assert!(DEFAULT_CONFIG.contains(from), "{from:?} not in the config");
    BotConfig::parse(&DEFAULT_CONFIG.replacen(from, to, 1), "bot.toml").unwrap()
}

#[test]
fn a_negation_the_team_adds_to_the_words_takes_a_handoff_word_back() {
    let swiss = "es isch nöd dringend, nur e frag zur lieferig";
    assert_eq!(
        BotConfig::default_shop().handoff(swiss),
        Some(HandoffReason::Urgent)
    );
    let config = taught(
        "[words.negations]\nde = [\n  \"nicht\"",
        "[words.negations]\nde = [\n  \"nöd\", \"nicht\"",
    );
    assert_eq!(config.handoff(swiss), None);
}

#[test]
fn a_demand_the_team_adds_to_the_words_makes_a_weak_urgency_word_hand_over() {
    let text = "bitte sofort zurückschreiben";
    assert_eq!(BotConfig::default_shop().handoff_word(text), None);
    let config = taught(
        "[words.demands]\nde = [\n  \"hilf\"",
        "[words.demands]\nde = [\n  \"zurueckschreib\", \"hilf\"",
    );
    assert_eq!(config.handoff_word(text), Some(HandoffReason::Urgent));
}

#[test]
fn a_configuration_without_words_reads_with_the_shipped_lists() {
    use crate::domain::bot::config::DEFAULT_CONFIG;
    let start = DEFAULT_CONFIG.find("[words]").unwrap();
    let end = DEFAULT_CONFIG
        .find("# Words that mean the same to the matcher")
        .unwrap();
    let without = format!("{}{}", &DEFAULT_CONFIG[..start], &DEFAULT_CONFIG[end..]);
    let config = BotConfig::parse(&without, "bot.toml").unwrap();
    assert!(config.file.words.missing().len() > 30);
    assert_eq!(config.words, BotConfig::default_shop().words);
    assert!(config.words.negations.has("nicht") && config.words.third_parties.has("dhl"));
}

// Near misses of the seventh round (task i15-rules2): each class with fresh wordings (in no
// labelled set; each handed over before its fix), and the real requests of the class that
// must still hand over.

#[test]
fn call_me_with_a_word_and_but_before_a_question_is_an_idiom() {
    assert_no_handoff(&[
        "call me picky, but is the navy colour really dark blue?",
        "call me impatient but when does the sale start?",
        "call me a fan, but is there a discount for students?",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "please call me",
            "call me back, but not before 5 pm please",
            "can you call me? it's about my order",
        ],
    );
}

#[test]
fn a_listed_idiom_holds_no_fraud_word() {
    assert_no_handoff(&[
        "this coat has stolen my heart 😍",
        "die neue Kollektion hat mir echt das Herz gestohlen",
    ]);
    assert_handoff(
        HandoffReason::Fraud,
        &[
            "my credit card was stolen and someone ordered with it",
            "mein Paket wurde gestohlen, der Nachbar hat es genommen",
        ],
    );
}

#[test]
fn a_capitalised_product_name_holds_no_handoff_word() {
    assert_no_handoff(&[
        "habt ihr die Mütze \"Stolen Dreams\" noch in blau?",
        "is the „Fraud Alert“ sweater still available in M",
        "do you still have the Scam Likely hoodie in black?",
    ]);
    // One quoted word is emphasis; a name needs an English determiner before it (German
    // capitalises nouns).
    assert_handoff(
        HandoffReason::Fraud,
        &[
            "ich wurde \"betrogen\", das Geld ist weg",
            "I got a Scam call from someone claiming to be you",
            "ich habe einen Scam Anruf bekommen, angeblich von euch",
        ],
    );
}

#[test]
fn praise_or_thanks_naming_staff_does_not_hand_over() {
    assert_no_handoff(&[
        "your agent Mike was so patient with me yesterday, thanks",
        "eure Mitarbeiterin war gestern am Telefon total lieb",
        "der Kundenberater hat mir gestern super geholfen",
        "der Berater hatte echt Geduld mit mir",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "I need an agent who has access to my account",
            "danke, aber ich möchte jetzt mit einem Mitarbeiter sprechen",
            "ich will einen Mitarbeiter sprechen",
        ],
    );
}

#[test]
fn a_lawyer_who_said_something_or_a_specialty_is_no_threat() {
    assert_no_handoff(&[
        "mein anwalt meinte ich soll nach einer rechnungskopie fragen",
        "my lawyer told me to ask you for a copy of the invoice",
        "könnt ihr mir einen Anwalt für Verkehrsrecht empfehlen?",
        "is there a lawyer for consumer law you work with?",
    ]);
    assert_handoff(
        HandoffReason::Complaint,
        &[
            "mein Anwalt wird sich melden wenn ihr nicht zahlt",
            "I will get my lawyer involved if this is not fixed",
        ],
    );
}

#[test]
fn a_person_word_in_a_question_about_a_job_is_no_request() {
    assert_no_handoff(&[
        "stellt ihr zurzeit Kundenberater ein?",
        "are you hiring customer service agents?",
        "do you hire agents for your customer service?",
    ]);
}

#[test]
fn haste_or_a_request_taken_back_after_the_verb_does_not_hand_over() {
    assert_no_handoff(&[
        "eilt echt nicht",
        "pressiert überhaupt nicht",
        "i dont want to talk to someone, just answer here",
        "I don't want a callback, just tell me the price of shipping",
    ]);
    assert_handoff(
        HandoffReason::Urgent,
        &["dringend!", "es ist dringend, bitte melden"],
    );
}

#[test]
fn a_complaint_told_as_past_and_settled_does_not_hand_over() {
    assert_no_handoff(&[
        "letztes Jahr hatte ich mal eine Beschwerde, aber diesmal war alles super",
        "damals hatte ich mich beschwert, jetzt ist alles gut",
        "I had a complaint years ago but now I'm happy",
    ]);
    assert_handoff(
        HandoffReason::Complaint,
        &[
            "letztes Jahr hatte ich schon eine Beschwerde und jetzt ist es wieder schlecht",
            "ich hatte eine Beschwerde geschickt und sie ist immer noch nicht gelöst",
            "ich habe eine Beschwerde",
        ],
    );
}

#[test]
fn a_question_about_a_person_out_of_curiosity_does_not_hand_over() {
    assert_no_handoff(&[
        "bin ich hier mit einem Menschen verbunden? frage nur aus Neugier",
        "is there a real person reading this? just curious",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &["gibt es bei euch noch echte Menschen? ich will mit einem Mitarbeiter sprechen"],
    );
}

#[test]
fn a_request_word_in_a_letters_salutation_is_the_address() {
    assert_no_handoff(&[
        "Liebes Support Team, habt ihr auch Gutscheine?",
        "Dear support team, do you ship to Ireland?",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "Liebes Team, bitte verbindet mich mit einem Mitarbeiter",
            "Dear team, I want to talk to a real person",
        ],
    );
}

#[test]
fn a_question_the_model_barely_reads_as_a_complaint_needs_a_negative_word() {
    assert_no_handoff(&["ist das echtes silber?", "ist das echtes leder"]);
    assert_handoff(
        HandoffReason::Complaint,
        &[
            "warum ist der Service so schlecht?",
            "ich will mich beschweren",
        ],
    );
}

#[test]
fn haste_words_hand_over_as_urgent() {
    assert_handoff(
        HandoffReason::Urgent,
        &[
            "bitte beeilt euch mit dem Versand, die Feier ist am Samstag",
            "beeil dich bitte mit meiner Bestellung",
            "ich stehe gerade unter Zeitdruck, bitte meldet euch",
        ],
    );
    assert_no_handoff(&[
        "kein Zeitdruck, wann kommt das Paket ungefähr?",
        "ihr braucht euch nicht zu beeilen, wie lange dauert der Versand",
    ]);
}

#[test]
fn a_hedged_urgency_word_is_no_urgent_handoff() {
    assert_no_handoff(&["need the parcel asap-ish, do you ship on saturdays?"]);
}

#[test]
fn a_contact_verb_taken_back_after_it_is_no_request() {
    assert_no_handoff(&[
        "bitte ruft nicht an, schreibt lieber",
        "ruft mich bitte nicht an, schreibt mir einfach hier",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &[
            "ruft mich bitte an",
            "kann ich nicht mit jemandem sprechen?",
        ],
    );
}

#[test]
fn a_short_first_clause_asking_politely_is_no_salutation() {
    assert_handoff(HandoffReason::Request, &["Hallo echte Person bitte"]);
}

#[test]
fn a_person_word_alone_before_the_message_is_an_exclamation() {
    assert_no_handoff(&[
        "Mensch, das hat ja gedauert, aber jetzt ist alles da",
        "Menschenskind, endlich ist die Jacke angekommen",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &["Mensch, ich will endlich mit einem Mitarbeiter reden"],
    );
}

#[test]
fn fraud_suspected_and_taken_back_is_no_sign_for_the_model() {
    assert_no_handoff(&[
        "hatte kurz Angst es sei Betrug, war aber wirklich eure Mail",
        "I thought it was a scam at first, but the parcel really came from you",
    ]);
}

#[test]
fn schnellstmoeglich_with_a_demand_is_urgent_and_alone_a_time() {
    assert_handoff(
        HandoffReason::Urgent,
        &["bitte ruft mich schnellstmöglich zurück, es geht um meine Bestellung"],
    );
    assert_no_handoff(&["liefert ihr schnellstmöglich nach Österreich?"]);
}

#[test]
fn a_customer_saying_what_they_are_asks_for_no_person() {
    let config = BotConfig::default_shop();
    // Checked at a sure model (0.9): the words alone decide, whatever the model reads today.
    let described = [
        "bin auch bloß ein Mensch, kein Computer",
        "Ich bin selbst Kundenberaterin in einer Bank",
        "ich bin Rentnerin und komme mit Apps nicht so klar",
        "mein Freund ist auch ein echter Mensch",
        "wir sind ganz normale Menschen",
        "I'm a real human, promise",
        "im a human being too haha",
        "my wife is a real person as well",
        "I am a support agent myself, I know the drill",
    ];
    let backed: Vec<_> = described
        .iter()
        .filter(|t| config.backs_handoff(HandoffReason::Request, t, 0.9))
        .collect();
    assert!(
        backed.is_empty(),
        "backed as a request for a person: {backed:?}"
    );
    assert_no_handoff(&described);
}

#[test]
fn a_customer_who_says_what_they_are_and_asks_for_contact_still_hands_over() {
    let config = BotConfig::default_shop();
    let requests = [
        "ich bin Rentnerin, könnt ihr mich bitte anrufen",
        "bin Kunde seit Jahren und möchte jetzt einen Mitarbeiter sprechen",
        "Ich bin ein Mensch, ich will auch mit einem Menschen reden",
        "Ich bin telefonisch gut erreichbar, bitte um Rückmeldung",
        "I'm a real human, let me speak to one of yours",
        "I'm 80 and not good with this, can someone ring me",
        "I'm looking for a real person to help me",
        "ich bin auf der Suche nach einem echten Menschen",
    ];
    let unbacked: Vec<_> = requests
        .iter()
        .filter(|t| !config.backs_handoff(HandoffReason::Request, t, 0.9))
        .collect();
    assert!(unbacked.is_empty(), "not backed: {unbacked:?}");
    assert_handoff(
        HandoffReason::Request,
        &[
            "ich bin Rentnerin, könnt ihr mich bitte anrufen",
            "I'm a real human, let me speak to one of yours",
            "bin Kunde seit Jahren und möchte jetzt einen Mitarbeiter sprechen",
        ],
    );
}

#[test]
fn a_german_adjective_of_human_is_no_sign_of_a_request() {
    let config = BotConfig::default_shop();
    for text in [
        "sind eure Jeans unter humanen Bedingungen genäht",
        "achtet ihr auf humane Löhne in der Fabrik",
    ] {
        assert!(
            !config.backs_handoff(HandoffReason::Request, text, 0.6),
            "{text}"
        );
    }
    assert!(config.backs_handoff(HandoffReason::Request, "any humans here?", 0.6));
}

#[test]
fn contact_declined_with_a_modal_and_a_pronoun_before_the_negation_does_not_hand_over() {
    assert_no_handoff(&[
        "mit einer Mitarbeiterin muss ich nicht reden, bitte nur stornieren",
        "zurückrufen müsst ihr mich nicht, sagt mir nur die Lieferzeit",
        "einen Rückruf brauche ich nicht, nur die Rechnung bitte",
    ]);
    assert_handoff(
        HandoffReason::Request,
        &["mit einer Mitarbeiterin muss ich reden, bitte"],
    );
}

/// "muss nicht mit jemandem reden": the person stands between the negation and the contact
/// word, and a model that reads "human" (but is not sure without signs) is not backed by it.
#[test]
fn contact_with_someone_declined_does_not_back_the_models_request_for_a_person() {
    let config = BotConfig::default_shop();
    for text in [
        "ich muss nicht mit jemandem telefonieren, die Adresse reicht",
        "brauche nicht mit wem zu sprechen, nur die Rechnung",
        "no need to speak with anyone, just send the invoice",
        "I don't need to talk to somebody, the tracking link is enough",
    ] {
        assert!(
            !config.backs_handoff(HandoffReason::Request, text, 0.6),
            "{text}"
        );
    }
    for text in [
        "ich muss mit jemandem telefonieren",
        "I need to talk to somebody",
        "kann ich nicht mit jemandem sprechen?",
    ] {
        assert!(
            config.backs_handoff(HandoffReason::Request, text, 0.6),
            "{text}"
        );
    }
}
