//! Configuration documents in DynamoDB (Local): the conditional writes that make two
//! supervisors' saves safe, publish and rollback, the audit written with each change, seeding by
//! several starters at once, a cached reader picking up a publish without a restart, and the
//! admin area's promise end to end: a FAQ answer and a holiday published through the agent API
//! reach the running webhook and bot-reply handlers (production wiring, no restart).

use std::sync::Arc;

use helpdesk::app::agent_api::AgentApi;
use helpdesk::domain::config_doc::{ConfigKind, DiffLine, VersionOrigin};
use helpdesk::domain::sla::{SlaClocks, SlaConfig, Target};
use helpdesk::domain::templates::TemplateCatalog;
use helpdesk::platform::live_config::LiveConfig;
use helpdesk::ports::clock::{Clock, ManualClock};
use helpdesk::ports::config_docs::{
    CheckedBody, ConfigAction, ConfigDocs, ConfigDocsError, DynamoConfigDocs, NewVersion,
    seed_missing, shipped_bodies,
};
use helpdesk_tests::api::{CallApi, DEMO_CALLERS, api_keys};
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, at_second_up, customer_text, post_signed, s, warning_at};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const T0: &str = "2026-11-30T09:00:00Z";

async fn docs(stack: &Stack) -> DynamoConfigDocs {
    DynamoConfigDocs::new(stack.aws.dynamodb().clone(), &stack.resources.table)
}

/// The stack's config documents with the shipped bodies seeded, and a test clock standing at T0.
async fn seeded_docs(stack: &Stack) -> (Arc<dyn ConfigDocs>, Arc<ManualClock>) {
    let docs: Arc<dyn ConfigDocs> = Arc::new(docs(stack).await);
    let clock = Arc::new(ManualClock::new(at(0)));
    seed_missing(docs.as_ref(), &shipped_bodies(), clock.now())
        .await
        .unwrap();
    (docs, clock)
}

fn at(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>()
        .unwrap()
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap()
}

/// A templates document with one template per name.
fn templates(names: &[&str]) -> CheckedBody {
    let mut body = "version = 1\n".to_owned();
    for name in names {
        body.push_str(&format!(
            "\n[[templates]]\nname = \"{name}\"\nlanguage = \"en\"\ncategory = \"utility\"\nbody = \"Hi {{{{1}}}}\"\n"
        ));
    }
    CheckedBody::check(ConfigKind::Templates, &body, "test").unwrap()
}

fn names(c: &TemplateCatalog) -> Vec<String> {
    c.all().iter().map(|t| t.name.clone()).collect()
}

#[tokio::test]
async fn two_saves_on_the_same_base_the_second_gets_a_conflict_with_what_changed() {
    // GIVEN templates seeded as version 1
    let stack = Stack::new().await;
    let docs = docs(&stack).await;
    assert!(docs.seed(&templates(&["welcome"]), at(0)).await.unwrap());

    // WHEN two supervisors both edit version 1
    let anna = NewVersion::new(
        templates(&["welcome", "refund"]),
        1,
        "anna",
        "refunds",
        at(10),
    )
    .unwrap();
    let ben = NewVersion::new(templates(&["welcome", "holiday"]), 1, "ben", "", at(11)).unwrap();
    let saved = docs.save(&anna).await.unwrap();
    let err = docs.save(&ben).await.unwrap_err();

    // THEN anna's is version 2, a draft; ben's is refused with where the document is now, who
    // changed it and the lines that changed
    assert_eq!((saved.version, saved.based_on), (2, 1));
    let ConfigDocsError::Conflict(conflict) = &err else {
        panic!("expected a conflict, got {err}");
    };
    assert_eq!(conflict.current.latest, 2);
    assert_eq!(conflict.current.published, Some(1));
    assert_eq!(conflict.since.len(), 1);
    assert_eq!(conflict.since[0].author, "anna");
    assert_eq!(conflict.since[0].note, "refunds");
    let diff = conflict.diff.as_ref().unwrap();
    assert!(
        diff.lines
            .iter()
            .any(|l| matches!(l, DiffLine::Added { text, .. } if text == "name = \"refund\"")),
        "{diff}"
    );
    assert!(!err.is_retryable());
    // Nothing of ben's was stored; anna's is the draft.
    let history = docs.history(ConfigKind::Templates, 10).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        docs.draft(ConfigKind::Templates).await.unwrap().unwrap(),
        saved
    );
    assert_eq!(
        docs.published(ConfigKind::Templates)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

#[tokio::test]
async fn publish_and_rollback_move_the_live_version_atomically_with_an_audit_entry_each() {
    let stack = Stack::new().await;
    let docs = docs(&stack).await;
    docs.seed(&templates(&["welcome"]), at(0)).await.unwrap();
    let v2 = NewVersion::new(templates(&["welcome", "refund"]), 1, "anna", "", at(10)).unwrap();
    docs.save(&v2).await.unwrap();

    // A publish based on a stale view of the live version is refused.
    let head = docs
        .publish(ConfigKind::Templates, 2, Some(1), "anna", at(20))
        .await
        .unwrap();
    assert_eq!(head.published, Some(2));
    let stale = docs
        .publish(ConfigKind::Templates, 2, None, "ben", at(21))
        .await;
    assert!(
        matches!(stale, Err(ConfigDocsError::Conflict(_))),
        "{stale:?}"
    );
    let older = docs
        .publish(ConfigKind::Templates, 1, Some(2), "ben", at(21))
        .await;
    assert!(
        matches!(older, Err(ConfigDocsError::Older { .. })),
        "{older:?}"
    );

    // Rolling back to version 1 writes version 3 with version 1's text, live at once.
    let v3 = docs
        .rollback(
            ConfigKind::Templates,
            1,
            2,
            "root",
            "refund text wrong",
            at(30),
        )
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.origin, VersionOrigin::Rollback { from: 1 });
    assert_eq!(v3.body, templates(&["welcome"]).as_str());
    let head = docs.head(ConfigKind::Templates).await.unwrap().unwrap();
    assert_eq!((head.latest, head.published), (3, Some(3)));
    assert_eq!(head.published_by.as_deref(), Some("root"));
    let stale = docs
        .rollback(ConfigKind::Templates, 2, 2, "ben", "", at(31))
        .await;
    assert!(
        matches!(stale, Err(ConfigDocsError::Conflict(_))),
        "{stale:?}"
    );

    // The audit lists every change in order, beside (not inside) the data-request audit.
    let audit = docs.audit("2026-11-30").await.unwrap();
    let seen: Vec<(ConfigAction, u32, &str)> = audit
        .iter()
        .map(|e| (e.action, e.version, e.actor.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (ConfigAction::Seed, 1, "seed"),
            (ConfigAction::Save, 2, "anna"),
            (ConfigAction::Publish, 2, "anna"),
            (ConfigAction::Rollback, 3, "root"),
        ]
    );
    assert_eq!(audit[3].note, "to v1: refund text wrong");
    let data_requests = helpdesk::ports::store::DynamoStore::new(
        stack.aws.dynamodb().clone(),
        &stack.resources.table,
    );
    use helpdesk::ports::store::TicketStore;
    assert!(data_requests.audit("2026-11-30").await.unwrap().is_empty());
}

#[tokio::test]
async fn several_starters_seeding_at_once_import_each_kind_exactly_once() {
    let stack = Stack::new().await;
    let docs = Arc::new(docs(&stack).await);
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let docs = docs.clone();
            tokio::spawn(async move {
                let bodies = shipped_bodies();
                // A starter that loses a race on contention simply tries again, as a
                // function's start would be retried.
                for _ in 0..5 {
                    match seed_missing(&*docs, &bodies, at(0)).await {
                        Ok(kinds) => return kinds,
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
                panic!("seeding kept contending");
            })
        })
        .collect();
    let mut imported = Vec::new();
    for s in starters {
        imported.extend(s.await.unwrap());
    }
    imported.sort();
    assert_eq!(imported, ConfigKind::ALL.to_vec(), "each kind once");
    for kind in ConfigKind::ALL {
        let history = docs.history(kind, 10).await.unwrap();
        assert_eq!(history.len(), 1, "{kind}");
        assert_eq!(history[0].origin, VersionOrigin::Seed);
        let head = docs.head(kind).await.unwrap().unwrap();
        assert_eq!((head.latest, head.published), (1, Some(1)), "{kind}");
    }
    let seeds = docs.audit("2026-11-30").await.unwrap();
    assert_eq!(seeds.len(), ConfigKind::ALL.len());
    // A later start imports nothing.
    assert!(
        seed_missing(&*docs, &shipped_bodies(), at(60))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_running_reader_picks_up_a_publish_within_its_interval_without_a_restart() {
    let stack = Stack::new().await;
    let docs = Arc::new(docs(&stack).await);
    docs.seed(&templates(&["welcome"]), at(0)).await.unwrap();
    let clock = Arc::new(ManualClock::new(at(0)));
    let live = LiveConfig::new(
        docs.clone(),
        clock.clone(),
        TemplateCatalog::default_catalog(),
    );
    assert_eq!(names(&*live.get().await), ["welcome"]);

    let new = NewVersion::new(
        templates(&["welcome", "holiday"]),
        1,
        "anna",
        "",
        clock.now(),
    )
    .unwrap();
    docs.save(&new).await.unwrap();
    // A draft is not live.
    clock.advance(SignedDuration::from_secs(15));
    assert_eq!(names(&*live.get().await), ["welcome"]);
    docs.publish(ConfigKind::Templates, 2, Some(1), "anna", clock.now())
        .await
        .unwrap();
    clock.advance(SignedDuration::from_secs(14));
    assert_eq!(
        names(&*live.get().await),
        ["welcome"],
        "cached within the interval"
    );
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(names(&*live.get().await), ["welcome", "holiday"]);
    assert_eq!(live.version(), 2);
}

/// A new FAQ answer (an intent with its own answer flow), as a supervisor adds one.
const GIFT_CARD_FAQ: &str = include_str!("fixtures/gift-card-faq.toml");

/// Saves `toml` as a draft of `kind` on the newest version and publishes it, as `who` through
/// the agent API.
async fn publish_through_api(api: &AgentApi, who: &str, kind: &str, edit: impl Fn(&str) -> String) {
    let doc = api
        .ok(who, "GET", &format!("/config/{kind}"), Value::Null)
        .await;
    let live = doc["published"]["toml"].as_str().unwrap().to_owned();
    let base = doc["published"]["version"].as_u64().unwrap();
    let saved = api
        .ok(
            who,
            "PUT",
            &format!("/config/{kind}/draft"),
            json!({"base_version": base, "toml": edit(&live), "note": "emulator test"}),
        )
        .await;
    api.ok(
        who,
        "POST",
        &format!("/config/{kind}/publish"),
        json!({"version": saved["version"]}),
    )
    .await;
}

/// The resolution timer armed for `ticket_id` (its next stage).
async fn resolution_timer(stack: &Stack, ticket_id: &str) -> Timestamp {
    stack
        .schedules()
        .await
        .into_iter()
        .find(|(name, _)| name.starts_with(&format!("sla-{ticket_id}-res-")))
        .unwrap_or_else(|| panic!("no resolution timer for {ticket_id}"))
        .1
}

/// The ticket of customer `wa_id` and its SLA clocks, as stored.
async fn ticket_of(stack: &Stack, wa_id: &str) -> (String, SlaClocks) {
    let tickets = stack.items("ticket").await;
    let ticket = tickets
        .iter()
        .find(|t| s(t, "wa_id") == wa_id)
        .unwrap_or_else(|| panic!("no ticket of {wa_id}"));
    (
        s(ticket, "ticket_id").to_owned(),
        serde_json::from_str(s(ticket, "sla")).unwrap(),
    )
}

#[tokio::test]
async fn a_faq_answer_and_a_holiday_published_through_the_admin_api_reach_the_running_handlers() {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_env(&[
        ("WHATSAPP_ACCESS_TOKEN", "t"),
        ("WHATSAPP_API_BASE_URL", &whatsapp.url),
        ("HELPDESK_API_AUTH", "api_keys"),
        ("HELPDESK_API_KEYS", &api_keys(DEMO_CALLERS)),
        // The functions ask for the published version every second (the test waits for it).
        ("HELPDESK_CONFIG_CHECK_SECONDS", "1"),
    ])
    .await;
    stack.seed_demo_agents().await;
    // Each handler built once, as a warm Lambda keeps it; the first start seeds the table.
    let webhook = stack.webhook().await;
    let bot = helpdesk::platform::wiring::bot_reply(&stack.env, &stack.aws)
        .await
        .unwrap();
    let api = stack.agent_api().await;
    let customer_writes = |wa_id: &'static str, wamid: &'static str, text: &'static str| {
        let (webhook, bot, stack) = (&webhook, &bot, &stack);
        async move {
            let body = customer_text(wa_id, wamid, text);
            let response = post_signed(webhook, body.as_bytes()).await;
            assert_eq!(
                response.status(),
                http::StatusCode::OK,
                "{}",
                response.body()
            );
            let records = stack.inbound_records().await;
            assert!(bot.handle_batch(&records).await.is_empty());
        }
    };

    // GIVEN a customer asked before the publish: the bot does not know gift cards.
    customer_writes("4915100000001", "wamid.before", "do you sell gift cards").await;
    assert!(
        !whatsapp
            .texts()
            .iter()
            .any(|t| t.contains("Gift cards from"))
    );
    let (first, first_clocks) = ticket_of(&stack, "4915100000001").await;
    let first_timer = resolution_timer(&stack, &first).await;

    // WHEN a supervisor publishes a FAQ answer and, as holidays, the days the next ticket's
    // resolution warning would fall on, through the admin API
    let shipped = SlaConfig::default_policies();
    let policy = shipped
        .policies
        .iter()
        .find(|p| p.name == first_clocks.policy)
        .unwrap();
    let zone = shipped.calendar(policy).time_zone.clone();
    let warning_day = |at: Timestamp| {
        warning_at(&shipped, &policy.name, Target::Resolution, at)
            .to_zoned_datetime(zone.clone())
            .date()
            .to_string()
    };
    let now = Timestamp::now();
    let mut holidays = vec![
        warning_day(now),
        warning_day(now + SignedDuration::from_mins(2)),
    ];
    holidays.dedup();
    let quoted: Vec<String> = holidays.iter().map(|d| format!("\"{d}\", ")).collect();
    publish_through_api(&api, "maria", "bot", |live| {
        format!("{live}{GIFT_CARD_FAQ}")
    })
    .await;
    publish_through_api(&api, "maria", "sla", |live| {
        let edited = live.replace("holidays = [", &format!("holidays = [{}", quoted.concat()));
        assert_ne!(edited, live);
        edited
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // THEN the next customer message, through the same handlers, gets the new answer
    customer_writes("4915100000002", "wamid.after", "do you sell gift cards").await;
    assert!(
        whatsapp
            .texts()
            .iter()
            .any(|t| t.contains("Gift cards from")),
        "{:?}",
        whatsapp.texts()
    );
    // ... and the next ticket's deadline skips the holiday
    let (second, clocks) = ticket_of(&stack, "4915100000002").await;
    assert_eq!(
        clocks.policy_version,
        Some(2),
        "chosen from the published SLA"
    );
    let started = clocks.clocks[&Target::Resolution].started_at;
    let with_holidays = stack_sla(&api, "maria").await;
    let expected = warning_at(&with_holidays, &clocks.policy, Target::Resolution, started);
    let timer = resolution_timer(&stack, &second).await;
    assert_eq!(timer, at_second_up(expected));
    let day = timer.to_zoned_datetime(zone.clone()).date().to_string();
    assert!(
        !holidays.contains(&day),
        "{day} is a holiday now: {holidays:?}"
    );
    let without = warning_at(&shipped, &policy.name, Target::Resolution, started);
    assert!(
        timer > at_second_up(without),
        "{timer} is later than {without}"
    );
    // The ticket opened before keeps its deadline.
    assert_eq!(resolution_timer(&stack, &first).await, first_timer);
}

/// The published SLA policies, as the admin API shows them.
async fn stack_sla(api: &AgentApi, who: &str) -> SlaConfig {
    let doc = api.ok(who, "GET", "/config/sla", Value::Null).await;
    SlaConfig::parse(doc["published"]["toml"].as_str().unwrap(), "published").unwrap()
}

#[tokio::test]
async fn meta_s_template_status_updates_become_versions_once_and_never_backwards_in_dynamodb() {
    use helpdesk::app::templates::{META_SYNC, TemplateSync};
    use helpdesk::domain::templates::{NewTemplate, StatusChange, StatusOutcome};
    use helpdesk::ports::whatsapp::MemoryTemplates;
    // GIVEN the shipped documents in DynamoDB and an admin's submission (PENDING)
    let stack = Stack::new().await;
    let (docs, clock) = seeded_docs(&stack).await;
    let admin = TemplateSync::new(docs.clone(), clock.clone())
        .with_meta(Arc::new(MemoryTemplates::shipped()));
    let submitted = admin
        .submit(&NewTemplate {
            name: "order_update".into(),
            language: "en".into(),
            category: "UTILITY".into(),
            body: "Hi {{1}}".into(),
            examples: vec!["Anna".into()],
        })
        .await
        .unwrap();
    // WHEN intake (no Graph API there) applies Meta's approval, then the same again, then an
    // older PENDING delivered late
    let intake = TemplateSync::new(docs.clone(), clock.clone());
    let change = |event: &str, secs: i64| StatusChange {
        id: submitted.id.clone(),
        name: "order_update".into(),
        language: "en".into(),
        event: event.into(),
        reason: Some("NONE".into()),
        at: at(secs),
    };
    let outcomes = [
        intake.apply_status(&change("APPROVED", 60)).await.unwrap(),
        intake.apply_status(&change("APPROVED", 60)).await.unwrap(),
        intake.apply_status(&change("PENDING", 30)).await.unwrap(),
    ];
    // THEN one version was written for it, by meta-sync, published, with its audit entry
    assert_eq!(
        outcomes,
        [
            StatusOutcome::Applied,
            StatusOutcome::Duplicate,
            StatusOutcome::Stale
        ]
    );
    let head = docs.head(ConfigKind::Templates).await.unwrap().unwrap();
    assert_eq!((head.latest, head.published), (3, Some(3)));
    let v3 = docs
        .version(ConfigKind::Templates, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v3.author, META_SYNC);
    let catalog = TemplateCatalog::parse(&v3.body, "v3").unwrap();
    assert!(catalog.find("order_update", "en").unwrap().is_approved());
    let audit = docs
        .audit(&at(0).strftime("%Y-%m-%d").to_string())
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == META_SYNC && e.version == 3 && e.action == ConfigAction::Publish),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_template_sync_publishes_meta_s_list_and_the_admin_s_rebased_draft_in_one_transaction() {
    use helpdesk::app::templates::{META_SYNC, TemplateSync};
    use helpdesk::ports::whatsapp::MemoryTemplates;
    // GIVEN the shipped documents in DynamoDB and an admin's open draft of the templates
    let stack = Stack::new().await;
    let (docs, clock) = seeded_docs(&stack).await;
    let kind = ConfigKind::Templates;
    let live = docs.published(kind).await.unwrap().unwrap();
    let mut edited = TemplateCatalog::parse(&live.body, "v1").unwrap();
    let mut t = edited.find("ticket_update", "de").unwrap().clone();
    t.footer = Some("Ihr Nordlicht-Team".into());
    edited.upsert(t);
    let body = CheckedBody::check(kind, &edited.to_toml(), "ada").unwrap();
    docs.save(&NewVersion::new(body, 1, "ada", "team signature", at(10)).unwrap())
        .await
        .unwrap();
    // WHEN Meta paused a template and the sync runs
    let meta = Arc::new(MemoryTemplates::shipped());
    meta.set_status("follow_up", "en", "PAUSED");
    let sync = TemplateSync::new(docs.clone(), clock.clone()).with_meta(meta);
    assert_eq!(sync.sync().await.unwrap().version, Some(3));
    // THEN Meta's list is live as v3 and the admin's draft is v4 on top of it, with both
    // her footer and Meta's status
    let head = docs.head(kind).await.unwrap().unwrap();
    assert_eq!((head.latest, head.published), (4, Some(3)));
    assert_eq!(head.published_by.as_deref(), Some(META_SYNC));
    let v3 =
        TemplateCatalog::parse(&docs.version(kind, 3).await.unwrap().unwrap().body, "v3").unwrap();
    assert!(!v3.find("follow_up", "en").unwrap().is_approved());
    assert_eq!(v3.find("ticket_update", "de").unwrap().footer, None);
    let v4 = docs.draft(kind).await.unwrap().unwrap();
    assert_eq!(v4.based_on, 3);
    assert!(v4.note.contains("draft v2 by ada"), "{}", v4.note);
    let c = TemplateCatalog::parse(&v4.body, "v4").unwrap();
    assert!(!c.find("follow_up", "en").unwrap().is_approved());
    assert_eq!(
        c.find("ticket_update", "de").unwrap().footer.as_deref(),
        Some("Ihr Nordlicht-Team")
    );
    // AND the same write on a stale base is refused whole: nothing half written
    let stale = NewVersion::new(
        CheckedBody::check(kind, &v3.to_toml(), "t").unwrap(),
        2,
        META_SYNC,
        "",
        at(20),
    )
    .unwrap();
    let err = docs
        .publish_under_draft(&stale, Some(1), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigDocsError::Conflict(_)), "{err}");
    assert_eq!(docs.head(kind).await.unwrap().unwrap(), head);
    let steps: Vec<(ConfigAction, u32)> = docs
        .audit(&at(0).strftime("%Y-%m-%d").to_string())
        .await
        .unwrap()
        .iter()
        .filter(|e| e.actor == META_SYNC)
        .map(|e| (e.action, e.version))
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    for step in [
        (ConfigAction::Save, 3),
        (ConfigAction::Publish, 3),
        (ConfigAction::Save, 4),
    ] {
        assert!(steps.contains(&step), "{steps:?}");
    }
}
