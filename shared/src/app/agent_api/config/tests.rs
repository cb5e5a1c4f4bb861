use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::app::agent_api::Authenticator;
use crate::domain::templates::TemplateCatalog;
use crate::domain::unrecognised::{Guess, Miss, Outcome, Unrecognised};
use crate::ports::bot_feedback::MemoryBotFeedback;
use crate::ports::clock::{Clock, ManualClock};
use crate::ports::config_docs::{ConfigDocs as _, MemoryConfigDocs, seed_missing, shipped_bodies};
use crate::testkit::api::{Api, caller};
use crate::testkit::world;

/// A new FAQ answer (an intent with its own answer flow), as a supervisor adds one.
pub(crate) const GIFT_CARD_FAQ: &str =
    include_str!("../../../../../tests/fixtures/gift-card-faq.toml");

/// The agent API with the configuration documents: [`Api`] (its callers and requests), on a
/// clock of its own.
struct Admin {
    client: Api,
    docs: Arc<MemoryConfigDocs>,
    feedback: Arc<MemoryBotFeedback>,
    clock: Arc<dyn Clock>,
}

async fn admin_api() -> Admin {
    let w = world().await;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
        "2026-12-22T09:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let docs = Arc::new(MemoryConfigDocs::new());
    let bodies = shipped_bodies();
    seed_missing(docs.as_ref(), &bodies, clock.now())
        .await
        .unwrap();
    let auth = Authenticator::plain_keys([
        ("key-maria", caller("maria", Role::Supervisor)),
        ("key-tom", caller("tom", Role::Agent)),
        ("key-root", caller("root", Role::Admin)),
    ]);
    let feedback = Arc::new(MemoryBotFeedback::new());
    let config = ConfigApi::new(Arc::new(ConfigAdmin::new(docs.clone(), clock.clone())))
        .with_feedback(feedback.clone());
    let api = AgentApi::new(
        w.desk.clone(),
        auth,
        Arc::new(TemplateCatalog::default_catalog()),
        vec!["support".into()],
        clock.clone(),
    )
    .with_config(Arc::new(config));
    Admin {
        client: Api { w, api },
        docs,
        feedback,
        clock,
    }
}

impl std::ops::Deref for Admin {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.client
    }
}

impl Admin {
    async fn published_toml(&self, kind: &str) -> String {
        let doc = self
            .ok("tom", "GET", &format!("/config/{kind}"), Value::Null)
            .await;
        doc["published"]["toml"].as_str().unwrap().to_owned()
    }

    /// [`draft`](Self::draft) that must answer `status`: its body.
    async fn draft_answers(&self, status: u16, who: &str, kind: &str, toml: &str) -> Value {
        let r = self.draft(who, kind, toml).await;
        assert_eq!(r.status, status, "a {kind} draft by {who}: {}", r.body);
        r.body
    }

    /// Saves `toml` as a draft on top of the newest version.
    async fn draft(&self, who: &str, kind: &str, toml: &str) -> ApiResponse {
        let versions = self
            .ok(who, "GET", &format!("/config/{kind}/versions"), Value::Null)
            .await;
        let base = versions["latest_version"].as_u64().unwrap();
        self.call(
            who,
            "PUT",
            &format!("/config/{kind}/draft"),
            json!({"base_version": base, "toml": toml, "note": "test"}),
        )
        .await
    }
}

#[tokio::test]
async fn a_seeded_document_shows_its_published_text_and_json_and_no_draft() {
    let a = admin_api().await;
    let doc = a.ok("tom", "GET", "/config/sla", Value::Null).await;
    assert_eq!(doc["kind"], "sla");
    assert_eq!(doc["published"]["version"], 1);
    assert_eq!(doc["published"]["author"], "seed");
    assert_eq!(doc["published"]["json"]["default_policy"], "standard");
    assert!(
        doc["published"]["toml"]
            .as_str()
            .unwrap()
            .contains("[[policies]]")
    );
    assert!(doc["draft"].is_null());
    assert_eq!(doc["may_change"], false, "agents read only");
    a.answers(404, "tom", "GET", "/config/agents", Value::Null)
        .await;
}

#[tokio::test]
async fn a_draft_is_a_new_version_that_publishing_makes_live_and_history_lists_newest_first() {
    let a = admin_api().await;
    let sla = a
        .published_toml("sla")
        .await
        .replace("\"2026-12-24\"", "\"2026-12-23\", \"2026-12-24\"");
    let saved = a.draft("maria", "sla", &sla).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["version"], 2);
    let doc = a.ok("tom", "GET", "/config/sla", Value::Null).await;
    assert_eq!(doc["published"]["version"], 1);
    assert_eq!(doc["draft"]["version"], 2);
    assert_eq!(doc["draft"]["author"], "maria");

    let p = a
        .ok(
            "maria",
            "POST",
            "/config/sla/publish",
            json!({"version": 2}),
        )
        .await;
    assert_eq!(p["published_version"], 2);
    let versions = a
        .ok("tom", "GET", "/config/sla/versions", Value::Null)
        .await;
    let list: Vec<(u64, &str)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(list, vec![(2, "published"), (1, "superseded")]);
    let one = a
        .ok("tom", "GET", "/config/sla/versions/1", Value::Null)
        .await;
    assert!(!one["toml"].as_str().unwrap().contains("2026-12-23"));
    let diff = a
        .ok("tom", "GET", "/config/sla/diff?from=1&to=2", Value::Null)
        .await;
    let changed: Vec<&Value> = diff["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["op"] != "same")
        .collect();
    assert_eq!(changed.len(), 2, "{diff}");
    assert_eq!(changed[0]["op"], "remove");
    assert_eq!(changed[1]["op"], "add");
    assert!(changed[1]["line"].as_str().unwrap().contains("2026-12-23"));
}

#[tokio::test]
async fn a_save_on_a_stale_version_is_a_conflict_that_says_what_changed() {
    let a = admin_api().await;
    let base = a.published_toml("routing").await;
    let first = a
        .call(
            "maria",
            "PUT",
            "/config/routing/draft",
            json!({"base_version": 1, "toml": format!("{base}\n# maria's change\n")}),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = a
        .call(
            "root",
            "PUT",
            "/config/routing/draft",
            json!({"base_version": 1, "toml": format!("{base}\n# root's change\n")}),
        )
        .await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(second.body["error"], "conflict");
    assert_eq!(second.body["current_version"], 2);
    assert!(
        second.body["diff"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["op"] == "add" && l["line"] == "# maria's change"),
        "{}",
        second.body
    );
    // Nothing was written.
    let versions = a
        .ok("tom", "GET", "/config/routing/versions", Value::Null)
        .await;
    assert_eq!(versions["latest_version"], 2);
}

#[tokio::test]
async fn a_bot_draft_with_a_bad_rule_word_is_refused_naming_the_list_the_entry_and_the_line() {
    let a = admin_api().await;
    let bot = a.published_toml("bot").await;
    let from = "[words.negations]\nde = [\n  \"nicht\"";
    assert!(bot.contains(from));
    let broken = bot.replacen(from, "[words.negations]\nde = [\n  \"Nöd\", \"nicht\"", 1);
    let r = a.draft_answers(422, "root", "bot", &broken).await;
    assert_eq!(r["error"], "invalid");
    assert_eq!(r["field"], "words.negations.de", "{r}");
    assert!(
        r["problem"]
            .as_str()
            .unwrap()
            .contains("\"Nöd\" must be lowercase"),
        "{r}"
    );
    let line = broken.lines().position(|l| l.contains("\"Nöd\"")).unwrap() + 1;
    assert_eq!(r["line"], line, "{r}");
    // The same word in lowercase is taken (from an admin: rule words are no FAQ part).
    let fixed = broken.replacen("\"Nöd\"", "\"nöd\"", 1);
    a.draft_answers(200, "root", "bot", &fixed).await;
}

#[tokio::test]
async fn an_invalid_document_is_refused_naming_the_field_or_the_line() {
    let a = admin_api().await;
    let sla = a.published_toml("sla").await;
    let broken = sla.replace("first_response = \"4h\"", "first_response = \"soon\"");
    let r = a.draft_answers(422, "maria", "sla", &broken).await;
    assert_eq!(r["error"], "invalid");
    assert!(
        r["field"].as_str().unwrap().contains("first_response"),
        "{}",
        r
    );
    assert!(r["problem"].as_str().is_some());

    let syntax = format!("{sla}\n[calendars.office\n");
    let r = a.draft_answers(422, "maria", "sla", &syntax).await;
    let expected_line = syntax.lines().count();
    assert_eq!(r["line"], expected_line, "{}", r);
    // Nothing was saved.
    let versions = a
        .ok("tom", "GET", "/config/sla/versions", Value::Null)
        .await;
    assert_eq!(versions["latest_version"], 1);
}

#[tokio::test]
async fn a_form_can_save_the_document_as_json() {
    let a = admin_api().await;
    let doc = a.ok("maria", "GET", "/config/sla", Value::Null).await;
    let mut json = doc["published"]["json"].clone();
    json["calendars"]["office"]["holidays"]
        .as_array_mut()
        .unwrap()
        .push(json!("2026-12-23"));
    a.answers(
        200,
        "maria",
        "PUT",
        "/config/sla/draft",
        json!({"base_version": 1, "json": json, "note": "holiday"}),
    )
    .await;
    let v2 = a
        .ok("maria", "GET", "/config/sla/versions/2", Value::Null)
        .await;
    let text = v2["toml"].as_str().unwrap();
    assert!(text.contains("2026-12-23"));
    assert_eq!(v2["note"], "holiday");
    // The JSON went onto the text it was based on: its comments and layout stay.
    assert!(text.contains("# At the breach."), "{text}");
    assert!(text.contains("when = { categories = [\"fraud\"]"), "{text}");
    let diff = a
        .ok("maria", "GET", "/config/sla/diff?from=1&to=2", Value::Null)
        .await;
    let changed = diff["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["op"] != "same")
        .count();
    assert_eq!(changed, 2, "only the holidays line changes: {diff}");
}

#[tokio::test]
async fn roles_decide_who_changes_which_kind() {
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    // agents read only
    a.draft_answers(403, "tom", "routing", &format!("{routing}\n# x\n"))
        .await;
    let templates = a.published_toml("templates").await;
    // templates are the admins'
    a.draft_answers(403, "maria", "templates", &format!("{templates}\n# x\n"))
        .await;
    a.draft_answers(200, "root", "templates", &format!("{templates}\n# x\n"))
        .await;
    for who in ["tom", "maria"] {
        let publish = json!({"version": 2});
        a.answers(403, who, "POST", "/config/templates/publish", publish)
            .await;
    }
    a.answers(
        403,
        "tom",
        "POST",
        "/config/bot/try",
        json!({"text": "hallo"}),
    )
    .await;
    a.answers(403, "maria", "GET", "/config/audit", Value::Null)
        .await;
}

#[tokio::test]
async fn a_supervisor_changes_only_the_faq_part_of_the_bot() {
    let a = admin_api().await;
    let bot = a.published_toml("bot").await;
    // A new FAQ answer with its examples, and another example for an existing intent.
    let faq = format!("{bot}{GIFT_CARD_FAQ}").replacen(
        "\"bestellung stornieren\",",
        "\"bestellung stornieren\", \"auftrag zurueckziehen\",",
        1,
    );
    a.draft_answers(200, "maria", "bot", &faq).await;
    // An answer text changed.
    let answer = faq.replace(
        "Wir liefern in 2–4 Werktagen",
        "Wir liefern in 1–3 Werktagen",
    );
    a.draft_answers(200, "maria", "bot", &answer).await;
    // The limits and handoff words are the admins'.
    let limits = answer.replacen("[limits]", "[limits]\n# tightened", 1);
    assert_eq!(
        a.draft("maria", "bot", &limits).await.status,
        200,
        "a comment is no change"
    );
    let mut doc: toml::Value = toml::from_str(&answer).unwrap();
    doc["handoff"]
        .as_table_mut()
        .unwrap()
        .insert("extra".into(), toml::Value::Boolean(true));
    let changed_flow = answer.replace(
        "[flows.human.steps.handoff]\nkind = \"handoff\"\nreason = \"request\"",
        "[flows.human.steps.handoff]\nkind = \"handoff\"\nreason = \"complaint\"",
    );
    assert_ne!(changed_flow, answer);
    let r = a.draft_answers(403, "maria", "bot", &changed_flow).await;
    assert!(r["message"].as_str().unwrap().contains("flows"), "{}", r);
    // admins change everything
    let r = a.draft_answers(200, "root", "bot", &changed_flow).await;
    // ... and a supervisor cannot publish the admin's flow change either.
    let latest = r["version"].as_u64().unwrap();
    a.answers(
        403,
        "maria",
        "POST",
        "/config/bot/publish",
        json!({"version": latest}),
    )
    .await;
}

#[tokio::test]
async fn the_bot_tryout_runs_the_draft_and_the_live_bot_does_not_know_it_yet() {
    let a = admin_api().await;
    let bot = a.published_toml("bot").await;
    a.draft_answers(200, "maria", "bot", &format!("{bot}{GIFT_CARD_FAQ}"))
        .await;
    let draft = a
        .ok(
            "maria",
            "POST",
            "/config/bot/try",
            json!({"text": "do you sell gift cards"}),
        )
        .await;
    assert_eq!(draft["version"], 2);
    assert_eq!(draft["intent"], "gift_cards", "{draft}");
    assert!(
        draft["replies"].to_string().contains("Gift cards from €10"),
        "{draft}"
    );
    assert!(draft["state"].is_object());
    let live = a
        .ok(
            "maria",
            "POST",
            "/config/bot/try",
            json!({"text": "do you sell gift cards", "version": 1}),
        )
        .await;
    assert_ne!(live["intent"], "gift_cards", "{live}");
    let r = a
        .answers(
            400,
            "maria",
            "POST",
            "/config/bot/try",
            json!({"text": " "}),
        )
        .await;
    assert!(r["fields"]["text"].is_string());
}

#[tokio::test]
async fn the_sla_preview_shows_a_drafted_holiday_moving_the_deadline() {
    let a = admin_api().await;
    let sla = a.published_toml("sla").await;
    let with_holiday = sla.replace("\"2026-12-24\"", "\"2026-12-23\", \"2026-12-24\"");
    assert_eq!(a.draft("maria", "sla", &with_holiday).await.status, 200);
    // Tuesday 22 Dec 17:00 Berlin: a standard ticket's first response (4 business hours) is due
    // on Wednesday 23 Dec under v1, on Monday 28 Dec (after the holidays and Sunday) under the draft.
    let sample = |version: Option<u32>| json!({"version": version, "priority": "normal", "category": "other", "opened_at": "2026-12-22T17:00:00+01:00"});
    let live = a
        .ok("maria", "POST", "/config/sla/preview", sample(Some(1)))
        .await;
    let draft = a
        .ok("maria", "POST", "/config/sla/preview", sample(None))
        .await;
    assert_eq!(live["policy"], "standard");
    let due = |p: &Value| {
        p["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == "first_response")
            .unwrap()["due"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(due(&live).starts_with("2026-12-23"), "{live}");
    assert!(due(&draft).starts_with("2026-12-28"), "{draft}");
    let r = a
        .answers(
            400,
            "maria",
            "POST",
            "/config/sla/preview",
            json!({"opened_at": "tomorrow"}),
        )
        .await;
    assert!(r["fields"]["opened_at"].is_string());
}

#[tokio::test]
async fn a_rollback_publishes_the_old_text_as_a_new_version_and_the_audit_shows_every_change() {
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    let changed = format!("{routing}\n# changed\n");
    assert_eq!(a.draft("maria", "routing", &changed).await.status, 200);
    a.ok(
        "maria",
        "POST",
        "/config/routing/publish",
        json!({"version": 2}),
    )
    .await;
    let r = a
        .ok(
            "maria",
            "POST",
            "/config/routing/rollback",
            json!({"version": 1}),
        )
        .await;
    assert_eq!(r["version"], 3);
    assert_eq!(r["published_version"], 3);
    assert_eq!(a.published_toml("routing").await, routing);
    let export = a
        .call("tom", "GET", "/config/routing/export", Value::Null)
        .await;
    assert_eq!(export.status, 200);
    assert_eq!(export.content_type(), "text/plain; charset=utf-8");
    assert_eq!(export.body_text(), routing);

    let audit = a.ok("root", "GET", "/config/audit", Value::Null).await;
    let general = a.ok("root", "GET", "/audit", Value::Null).await;
    assert_eq!(
        general["config"], audit["entries"],
        "GET /audit shows them too"
    );
    let actions: Vec<(String, String, u64)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "routing")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("seed".into(), "seed".into(), 1),
            ("maria".into(), "save".into(), 2),
            ("maria".into(), "publish".into(), 2),
            ("maria".into(), "rollback".into(), 3),
        ]
    );
    assert!(a.docs.head(ConfigKind::Routing).await.unwrap().is_some());
}

#[tokio::test]
async fn publishing_after_someone_else_published_is_a_conflict() {
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    assert_eq!(
        a.draft("maria", "routing", &format!("{routing}\n# a\n"))
            .await
            .status,
        200
    );
    assert_eq!(
        a.draft("root", "routing", &format!("{routing}\n# b\n"))
            .await
            .status,
        200
    );
    a.ok(
        "root",
        "POST",
        "/config/routing/publish",
        json!({"version": 3}),
    )
    .await;
    // Maria saw v1 live and publishes her v2: v3 is live meanwhile.
    let r = a
        .answers(
            409,
            "maria",
            "POST",
            "/config/routing/publish",
            json!({"version": 2, "published_version": 1}),
        )
        .await;
    assert_eq!(r["error"], "conflict");
    assert_eq!(r["current_version"], 3);
}

#[tokio::test]
async fn unrecognised_messages_are_listed_most_frequent_first_with_rates_per_intent() {
    let a = admin_api().await;
    let now = a.clock.now();
    let miss = |text: &str, key: &str| {
        let item = Unrecognised::new(
            text,
            None,
            vec![Guess {
                intent: "shipping".into(),
                score: 0.31,
            }],
            Miss::NotUnderstood,
            now,
        )
        .unwrap();
        let feedback = a.feedback.clone();
        let key = key.to_owned();
        async move { feedback.record(&key, &item).await.unwrap() }
    };
    miss("wo ist die filiale in 10115 berlin", "w1").await;
    miss("do you sell gift vouchers", "w2").await;
    miss("Do you sell gift vouchers?", "w3").await;
    miss("Do you sell gift vouchers?", "w3").await; // a redelivery: the same item
    a.feedback
        .count("s1", now, "shipping", Outcome::Contained)
        .await
        .unwrap();
    a.feedback
        .count("s2", now, "shipping", Outcome::Contained)
        .await
        .unwrap();
    a.feedback
        .count("s3", now, "shipping", Outcome::Contained)
        .await
        .unwrap();
    a.feedback
        .count("s4", now, "shipping", Outcome::HandedOff)
        .await
        .unwrap();
    let list = a.ok("maria", "GET", "/bot/unrecognised", Value::Null).await;
    let groups = list["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{list}");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(groups[0]["sample"], "do you sell gift vouchers");
    assert_eq!(
        groups[1]["sample"], "wo ist die filiale in ##### berlin",
        "digits masked"
    );
    assert_eq!(groups[0]["guesses"][0]["intent"], "shipping");
    assert_eq!(list["intents"][0]["intent"], "shipping");
    assert_eq!(list["intents"][0]["containment_rate"], 0.75);
    assert_eq!(list["intents"][0]["handoff_rate"], 0.25);
    assert_eq!(
        a.call("tom", "GET", "/bot/unrecognised", Value::Null)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn an_adopted_message_becomes_an_intent_example_in_a_draft_and_the_published_bot_answers_it()
{
    let a = admin_api().await;
    let question = "wann kommt mein zeug endlich an";
    let before = a
        .ok(
            "maria",
            "POST",
            "/config/bot/try",
            json!({"text": question, "version": 1}),
        )
        .await;
    assert_ne!(before["intent"], "shipping", "{before}");
    let item =
        Unrecognised::new(question, None, vec![], Miss::NotUnderstood, a.clock.now()).unwrap();
    a.feedback.record("wamid.1", &item).await.unwrap();
    let list = a.ok("maria", "GET", "/bot/unrecognised", Value::Null).await;
    let id = list["groups"][0]["id"].as_str().unwrap().to_owned();

    let r = a
        .answers(
            400,
            "maria",
            "POST",
            &format!("/bot/unrecognised/{id}/adopt"),
            json!({"intent": "nope"}),
        )
        .await;
    assert!(r["fields"]["intent"].is_string());
    let r = a
        .ok(
            "maria",
            "POST",
            &format!("/bot/unrecognised/{id}/adopt"),
            json!({"intent": "shipping"}),
        )
        .await;
    assert_eq!(r["version"], 2);
    let draft = a
        .ok("maria", "GET", "/config/bot/versions/2", Value::Null)
        .await;
    assert!(draft["toml"].as_str().unwrap().contains(question));
    a.ok(
        "maria",
        "POST",
        "/config/bot/publish",
        json!({"version": 2}),
    )
    .await;
    let after = a
        .ok(
            "maria",
            "POST",
            "/config/bot/try",
            json!({"text": question, "version": 2}),
        )
        .await;
    assert_eq!(after["intent"], "shipping", "{after}");

    // ... or as a new FAQ answer.
    let r = a
        .ok(
            "maria",
            "POST",
            &format!("/bot/unrecognised/{id}/adopt"),
            json!({"faq": {"question": "Gibt es Gutscheine?", "answer_de": "Ja, ab 10 €."}}),
        )
        .await;
    assert_eq!(r["version"], 3);
    let missing = a
        .call(
            "maria",
            "POST",
            "/bot/unrecognised/0000/adopt",
            json!({"intent": "shipping"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

/// What the customer was sent, as text.
fn texts(w: &crate::testkit::World) -> Vec<String> {
    w.whatsapp.sent().iter().map(|s| s.body.text()).collect()
}

#[tokio::test]
async fn the_running_bot_answers_with_a_published_faq_without_restart_and_keeps_what_it_missed() {
    use crate::ports::bot_feedback::{BotFeedback, last_days};
    use crate::ports::config_docs::{CheckedBody, NewVersion};
    let w = world().await;
    let bodies = shipped_bodies();
    seed_missing(w.config_docs.as_ref(), &bodies, w.clock.now())
        .await
        .unwrap();
    w.customer("wamid.g1", "do you sell gift vouchers").await;
    assert!(!texts(&w).iter().any(|t| t.contains("Gift cards from")));
    let days = last_days(w.clock.now(), 2);
    let missed = w.bot_feedback.unrecognised(&days).await.unwrap();
    assert!(
        missed.iter().any(|m| m.text.contains("gift vouchers")),
        "the question the bot did not understand is kept: {missed:?}"
    );

    let with_faq = format!(
        "{}{GIFT_CARD_FAQ}",
        crate::domain::bot::config::DEFAULT_CONFIG
    );
    let body = CheckedBody::check(ConfigKind::Bot, &with_faq, "t").unwrap();
    let new = NewVersion::new(body, 1, "maria", "gift cards", w.clock.now()).unwrap();
    w.config_docs.save(&new).await.unwrap();
    w.config_docs
        .publish(ConfigKind::Bot, 2, Some(1), "maria", w.clock.now())
        .await
        .unwrap();
    // The reader checks the published version at most every 15 s.
    w.clock.advance(jiff::SignedDuration::from_secs(16));
    w.customer("wamid.g2", "do you sell gift vouchers").await;
    assert!(
        texts(&w).iter().any(|t| t.contains("Gift cards from")),
        "{:?}",
        texts(&w)
    );
}

#[tokio::test]
async fn a_supervisor_changes_only_their_teams_routing_sla_and_canned_parts_and_admins_everything()
{
    // maria supervises team support (her profile); root is an admin; tom an agent.
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    let own_rule = format!("{routing}\n[[rules]]\nteam = \"support\"\nkeywords = [\"frage\"]\n");
    assert_eq!(a.draft("maria", "routing", &own_rule).await.status, 200);
    let billing = routing.replace("\"abbuchung\"]", "\"abbuchung\", \"mahnung\"]");
    let r = a.draft_answers(403, "maria", "routing", &billing).await;
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("the rules of team billing"), "{message}");
    assert!(message.contains("yours: support"), "{message}");
    assert_eq!(a.draft("tom", "routing", &own_rule).await.status, 403);
    let saved = a.draft("root", "routing", &billing).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // Publishing (and rolling back to) a version that changes billing's rules is refused to
    // her as well, whoever drafted it; the admin publishes it.
    let v = saved.body["version"].as_u64().unwrap();
    let publish = json!({"version": v});
    a.answers(
        403,
        "maria",
        "POST",
        "/config/routing/publish",
        publish.clone(),
    )
    .await;
    a.ok("root", "POST", "/config/routing/publish", publish)
        .await;
    a.answers(
        403,
        "maria",
        "POST",
        "/config/routing/rollback",
        json!({"version": 1}),
    )
    .await;

    // SLA: holidays are everyone's to add; the standard policy applies to every team.
    let sla = a.published_toml("sla").await;
    let holiday = sla.replace("\"2026-12-24\", ", "\"2026-12-23\", \"2026-12-24\", ");
    assert_eq!(a.draft("maria", "sla", &holiday).await.status, 200);
    let standard = holiday.replace("resolution = \"3d\"", "resolution = \"2d\"");
    let r = a.draft_answers(403, "maria", "sla", &standard).await;
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("policy \"standard\""),
        "{}",
        r
    );
    assert_eq!(a.draft("root", "sla", &standard).await.status, 200);

    // Canned responses: a support response of her own is hers; the global greeting is not.
    let canned = a.published_toml("canned_responses").await;
    let support = format!(
        "{canned}\n[[responses]]\nid = \"support-hours\"\ntitle = \"Hours\"\nscope = \"team\"\nteam = \"support\"\ntext = \"Mo-Fr 8-18\"\n"
    );
    assert_eq!(
        a.draft("maria", "canned_responses", &support).await.status,
        200
    );
    let greeting = support.replace("Wie kann ich helfen?", "Was kann ich tun?");
    assert_ne!(greeting, support);
    let r = a
        .draft_answers(403, "maria", "canned_responses", &greeting)
        .await;
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("response \"greeting\""),
        "{}",
        r
    );
}

#[tokio::test]
async fn a_supervisor_may_not_add_a_keyword_to_her_rule_that_takes_the_tickets_of_another_team_s_rule_below()
 {
    // GIVEN an admin published a rule of team support (maria's) above logistics' rule
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    let (head, logistics) = routing.rsplit_once("[[rules]]").unwrap();
    let support = "[[rules]]\nteam = \"support\"\nkeywords = [\"frage\"]\n";
    let placed = format!("{head}{support}\n[[rules]]{logistics}");
    let saved = a.draft("root", "routing", &placed).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let v = saved.body["version"].as_u64().unwrap();
    a.ok(
        "root",
        "POST",
        "/config/routing/publish",
        json!({"version": v}),
    )
    .await;
    // WHEN maria adds to it a plural of logistics' "paket"
    let stealing = placed.replace("[\"frage\"]", "[\"frage\", \"Pakete\"]");
    assert_ne!(stealing, placed);
    let r = a.draft_answers(403, "maria", "routing", &stealing).await;
    // THEN it is refused, naming logistics' rule, her keyword and the one it meets
    let message = r["message"].as_str().unwrap();
    assert!(
        message.contains("the tickets of team logistics's rules[3] (team logistics: paket"),
        "{message}"
    );
    assert!(
        message.contains("keyword \"Pakete\" added to rules[2] (team support: frage, Pakete)"),
        "{message}"
    );
    assert!(
        message.contains("its keyword \"paket\" matches"),
        "{message}"
    );
    // A word of her own subject is hers to add; the admin may add the other.
    let own = placed.replace("[\"frage\"]", "[\"frage\", \"rueckruf\"]");
    assert_eq!(a.draft("maria", "routing", &own).await.status, 200);
    assert_eq!(a.draft("root", "routing", &stealing).await.status, 200);
}

#[tokio::test]
async fn a_routing_draft_naming_a_team_no_active_agent_is_in_is_refused_naming_the_field() {
    // GIVEN the shipped routing; maria and tom work in team support
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    // WHEN an admin misspells logistics
    let misspelt = routing.replace("team = \"logistics\"", "team = \"logistic\"");
    assert_ne!(misspelt, routing);
    let r = a.draft_answers(422, "root", "routing", &misspelt).await;
    // THEN nothing is saved and the answer names the field and the team
    assert_eq!(r["field"], "rules[2].team", "{r}");
    let problem = r["problem"].as_str().unwrap();
    assert!(
        problem.contains("no active agent is in team \"logistic\""),
        "{problem}"
    );
    assert!(problem.contains("support"), "{problem}");
    let versions = a
        .ok("root", "GET", "/config/routing/versions", Value::Null)
        .await;
    assert_eq!(versions["latest_version"], 1);
    // A rule for a team that has agents is saved, and so are edits of the teams the routing
    // already names.
    let support = format!("{routing}\n[[rules]]\nteam = \"support\"\nkeywords = [\"frage\"]\n");
    assert_eq!(a.draft("root", "routing", &support).await.status, 200);
}

#[tokio::test]
async fn a_supervisor_may_not_put_their_team_s_rule_above_another_team_s_rule() {
    // maria supervises team support; the shipped rules are fraud's, billing's, logistics'.
    let a = admin_api().await;
    let routing = a.published_toml("routing").await;
    let support_rule = "[[rules]]\nteam = \"support\"\nkeywords = [\"frage\"]\n";
    let first = routing.replacen("[[rules]]", &format!("{support_rule}\n[[rules]]"), 1);
    assert_ne!(first, routing);
    let r = a.draft("maria", "routing", &first).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains("the priority of team fraud's rules[1] (team fraud: complaint"),
        "{message}"
    );
    assert!(
        message.contains("rules[0] (team support: frage) would come before it"),
        "{message}"
    );
    // At the end it takes nobody's tickets: saved. Moving it up afterwards is refused too.
    let last = format!("{routing}\n{support_rule}");
    assert_eq!(a.draft("maria", "routing", &last).await.status, 200);
    let r = a.draft("maria", "routing", &first).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // An admin may.
    assert_eq!(a.draft("root", "routing", &first).await.status, 200);
}
