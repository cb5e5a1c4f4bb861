use super::*;

const T0: &str = "2026-11-30T09:00:00Z";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_shipped_catalogue_is_valid_and_counts_parameters() {
    let c = TemplateCatalog::default_catalog();
    let update = c.all().iter().find(|t| t.name == "ticket_update").unwrap();
    assert_eq!(update.params(), 2);
    assert!(c.all().iter().all(ApprovedTemplate::is_approved));
}

#[test]
fn a_request_is_checked_against_the_catalogue() {
    let c = TemplateCatalog::default_catalog();
    let ok = c
        .build(
            "ticket_update",
            "de",
            &["Anna".into(), "Ihr Paket ist unterwegs".into()],
        )
        .unwrap();
    assert_eq!(
        ok.components[0]["parameters"][1]["text"],
        "Ihr Paket ist unterwegs"
    );
    assert!(matches!(
        c.build("nope", "de", &[]),
        Err(TemplateRefusal::Unknown { .. })
    ));
    assert!(matches!(
        c.build("ticket_update", "fr", &[]),
        Err(TemplateRefusal::Unknown { .. })
    ));
    assert!(matches!(
        c.build("ticket_update", "de", &["Anna".into()]),
        Err(TemplateRefusal::Params(_))
    ));
    assert!(matches!(
        c.build("follow_up", "en", &["a\nb".into()]),
        Err(TemplateRefusal::Params(_))
    ));
}

#[test]
fn a_template_that_is_not_approved_is_listed_but_never_built() {
    let mut c = TemplateCatalog::default_catalog();
    let mut t = c.find("follow_up", "en").unwrap().clone();
    t.status = Some("PAUSED".into());
    c.upsert(t);
    let err = c.build("follow_up", "en", &["Anna".into()]).unwrap_err();
    assert_eq!(
        err,
        TemplateRefusal::NotApproved {
            name: "follow_up".into(),
            language: "en".into(),
            status: "PAUSED".into()
        }
    );
    assert!(err.to_string().contains("PAUSED"), "{err}");
    assert!(
        !c.approved()
            .iter()
            .any(|t| t.name == "follow_up" && t.language == "en")
    );
    assert_eq!(c.all().len(), c.approved().len() + 1);
}

#[test]
fn named_parameters_are_sent_with_their_names() {
    let c = TemplateCatalog::checked(vec![ApprovedTemplate {
        name: "order_ready".into(),
        language: "en_US".into(),
        category: "utility".into(),
        body: "Hi {{first_name}}, order {{order}} is ready, {{first_name}}!".into(),
        named_params: true,
        ..ApprovedTemplate::default()
    }])
    .unwrap();
    let t = c
        .build("order_ready", "en_US", &["Anna".into(), "100234".into()])
        .unwrap();
    assert_eq!(
        t.components[0]["parameters"][0]["parameter_name"],
        "first_name"
    );
    assert_eq!(t.components[0]["parameters"][1]["parameter_name"], "order");
}

#[test]
fn the_catalogue_survives_its_own_toml() {
    let mut c = TemplateCatalog::default_catalog();
    c.upsert(ApprovedTemplate {
        name: "promo".into(),
        language: "de".into(),
        category: "marketing".into(),
        body: "Hallo {{1}}".into(),
        status: Some("REJECTED".into()),
        id: Some("594425479261596".into()),
        status_at: Some(at(T0)),
        reason: Some("INVALID_FORMAT".into()),
        header: Some("Angebot".into()),
        footer: Some("Abmelden mit STOP".into()),
        buttons: vec!["Ja".into(), "Nein".into()],
        named_params: false,
    });
    let again = TemplateCatalog::parse(&c.to_toml(), "t").unwrap();
    assert_eq!(again, c);
}

#[test]
fn a_bad_catalogue_names_the_field() {
    let err = TemplateCatalog::parse(
            "version = 1\n[[templates]]\nname = \"Bad Name\"\nlanguage = \"de\"\ncategory = \"utility\"\nbody = \"x\"\n",
            "t.toml",
        )
        .unwrap_err();
    assert!(err.to_string().contains("templates[0].name"), "{err}");
    let err = TemplateCatalog::parse(
            "version = 1\n[[templates]]\nname = \"ok\"\nlanguage = \"de\"\ncategory = \"utility\"\nbody = \"x\"\nstatus = \"approved\"\n",
            "t.toml",
        )
        .unwrap_err();
    assert!(err.to_string().contains("templates[0].status"), "{err}");
}

fn new_template(body: &str, examples: &[&str]) -> NewTemplate {
    NewTemplate {
        name: "order_update".into(),
        language: "en".into(),
        category: "UTILITY".into(),
        body: body.into(),
        examples: examples.iter().map(|e| (*e).to_owned()).collect(),
    }
}

#[test]
fn a_submission_is_checked_as_meta_would() {
    assert_eq!(
        new_template("Hi {{1}}, order {{2}} ships", &["Anna", "100234"]).validate(),
        Ok(())
    );
    let field = |t: NewTemplate| t.validate().unwrap_err().0;
    assert_eq!(field(new_template("Hi {{1}} {{3}}", &["a", "b"])), "body");
    assert_eq!(field(new_template("Hi {{2}}", &["a"])), "body");
    assert_eq!(field(new_template("Hi {{name}}", &["a"])), "body");
    assert_eq!(field(new_template("Hi {{1}}", &[])), "examples");
    assert_eq!(field(new_template("Hi {{1}}", &[" "])), "examples");
    assert_eq!(field(new_template(&"x".repeat(1025), &[])), "body");
    assert_eq!(new_template(&"x".repeat(1024), &[]).validate(), Ok(()));
    let mut t = new_template("Hi", &[]);
    t.name = "Order Update".into();
    assert_eq!(field(t.clone()), "name");
    t.name = "a".repeat(513);
    assert_eq!(field(t.clone()), "name");
    t.name = "a".repeat(512);
    assert_eq!(t.validate(), Ok(()));
    t.category = "PROMOTION".into();
    assert_eq!(field(t.clone()), "category");
    t.category = "marketing".into();
    assert_eq!(t.validate(), Ok(()));
}

fn change(event: &str, when: &str) -> StatusChange {
    StatusChange {
        id: Some("77".into()),
        name: "order_update".into(),
        language: "en".into(),
        event: event.into(),
        reason: Some("NONE".into()),
        at: at(when),
    }
}

fn with_pending() -> TemplateCatalog {
    let mut c = TemplateCatalog::default_catalog();
    c.upsert(new_template("Hi {{1}}", &["Anna"]).pending("77", "PENDING", at(T0)));
    c
}

#[test]
fn a_status_update_is_applied_once_and_never_moves_back_in_time() {
    let mut c = with_pending();
    assert_eq!(
        c.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z")),
        StatusOutcome::Applied
    );
    assert!(c.find("order_update", "en").unwrap().is_approved());
    let before = c.clone();
    // Meta delivers again.
    assert_eq!(
        c.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z")),
        StatusOutcome::Duplicate
    );
    // An older PENDING arriving late does not resurrect the review.
    assert_eq!(
        c.apply_status(&change("PENDING", "2026-11-30T09:01:00Z")),
        StatusOutcome::Stale
    );
    assert_eq!(c, before);
    let mut paused = change("PAUSED", "2026-11-30T10:00:00Z");
    paused.reason = Some("LOW_QUALITY".into());
    assert_eq!(c.apply_status(&paused), StatusOutcome::Applied);
    let t = c.find("order_update", "en").unwrap();
    assert_eq!(
        (t.status(), t.reason.as_deref()),
        ("PAUSED", Some("LOW_QUALITY"))
    );
    assert_eq!(
        c.apply_status(&change("LOCKED", "2026-11-30T11:00:00Z")),
        StatusOutcome::NotAStatus
    );
    let mut other = change("APPROVED", "2026-11-30T11:00:00Z");
    other.id = Some("999".into());
    other.name = "elsewhere".into();
    assert_eq!(c.apply_status(&other), StatusOutcome::Unknown);
}

#[test]
fn meta_s_approval_in_the_same_second_as_the_submission_is_applied() {
    // Meta's webhook time has whole seconds; the submission was stored at .700 s.
    let mut c = TemplateCatalog::default_catalog();
    c.upsert(new_template("Hi {{1}}", &["Anna"]).pending(
        "77",
        "PENDING",
        at("2026-11-30T09:00:00.700Z"),
    ));
    assert_eq!(
        c.apply_status(&change("APPROVED", "2026-11-30T09:00:00Z")),
        StatusOutcome::Applied
    );
}

#[test]
fn a_sync_keeps_the_status_time_of_what_did_not_change() {
    let c = with_pending();
    let mut meta = c.all().to_vec();
    for t in &mut meta {
        t.status = Some(t.status().to_owned());
        t.status_at = None;
    }
    let once = c.synced(meta.clone(), at("2026-11-30T12:00:00Z"));
    let twice = once.synced(meta, at("2026-11-30T13:00:00Z"));
    assert_eq!(once, twice, "an unchanged account makes the same catalogue");
    assert_eq!(
        twice.find("order_update", "en").unwrap().status_at,
        Some(at(T0))
    );
}

#[test]
fn a_draft_rebased_on_meta_s_change_keeps_the_admin_s_edits_and_takes_meta_s_statuses() {
    let base = with_pending();
    // The admin's draft: a clearer footer on ticket_update de, follow_up de hidden from
    // agents by hand (PAUSED), csat_survey en removed, a hand-written template added.
    let mut draft = base.clone();
    let mut footer = draft.find("ticket_update", "de").unwrap().clone();
    footer.footer = Some("Ihr Nordlicht-Team".into());
    draft.upsert(footer);
    let mut hidden = draft.find("follow_up", "de").unwrap().clone();
    hidden.status = Some("PAUSED".into());
    draft.upsert(hidden);
    draft
        .templates
        .retain(|t| !(t.name == "csat_survey" && t.language == "en"));
    let mut own = draft.find("follow_up", "en").unwrap().clone();
    own.name = "winter_sale".into();
    draft.upsert(own);
    // Meta meanwhile: order_update approved, ticket_update de paused, follow_up en deleted,
    // a new template.
    let mut next = base.clone();
    next.apply_status(&change("APPROVED", "2026-11-30T09:05:00Z"));
    let mut paused = next.find("ticket_update", "de").unwrap().clone();
    paused.status = Some("PAUSED".into());
    paused.status_at = Some(at("2026-11-30T09:06:00Z"));
    next.upsert(paused);
    next.templates
        .retain(|t| !(t.name == "follow_up" && t.language == "en"));
    let mut fresh = next.find("follow_up", "de").unwrap().clone();
    fresh.name = "new_at_meta".into();
    next.upsert(fresh);

    let rebased = draft.rebased(&base, &next);

    let t = rebased.find("ticket_update", "de").unwrap();
    assert_eq!(
        t.footer.as_deref(),
        Some("Ihr Nordlicht-Team"),
        "the admin's edit"
    );
    assert_eq!(t.status(), "PAUSED", "Meta's status");
    assert_eq!(t.status_at, Some(at("2026-11-30T09:06:00Z")));
    assert_eq!(
        rebased.find("follow_up", "de").unwrap().status(),
        "PAUSED",
        "Meta did not change it: the admin's status stays"
    );
    assert!(rebased.find("csat_survey", "en").is_none(), "stays removed");
    assert!(
        rebased.find("winter_sale", "en").is_some(),
        "the admin's own"
    );
    assert!(rebased.find("follow_up", "en").is_none(), "deleted at Meta");
    assert!(rebased.find("new_at_meta", "de").is_some(), "new at Meta");
    assert!(rebased.find("order_update", "en").unwrap().is_approved());
    // A draft without edits becomes what is published.
    assert!(base.rebased(&base, &next).same_templates(&next));
}
