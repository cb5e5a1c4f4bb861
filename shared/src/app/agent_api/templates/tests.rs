use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::json;

use crate::app::templates::TemplateSync;
use crate::domain::config_doc::ConfigKind;
use crate::domain::templates::TemplateCatalog;
use crate::platform::live_config::LiveConfig;
use crate::ports::clock::Clock as _;
use crate::ports::config_docs::{ConfigDocs as _, seed_missing, shipped_bodies};
use crate::ports::whatsapp::{MemoryTemplates, WhatsAppError};
use crate::testkit::api::{Api, api};

/// The agent API with the live catalogue (over the world's configuration documents, seeded
/// with the shipped files) and Meta's side in memory.
async fn live_api() -> (Api, Arc<MemoryTemplates>) {
    let mut a = api().await;
    let docs = a.w.config_docs.clone();
    seed_missing(docs.as_ref(), &shipped_bodies(), a.w.clock.now())
        .await
        .unwrap();
    let meta = Arc::new(MemoryTemplates::shipped());
    let live = Arc::new(LiveConfig::new(
        docs.clone(),
        a.w.clock.clone(),
        TemplateCatalog::default_catalog(),
    ));
    let sync = TemplateSync::new(docs, a.w.clock.clone()).with_meta(meta.clone());
    let placeholder = crate::app::agent_api::AgentApi::new(
        a.w.desk.clone(),
        crate::app::agent_api::Authenticator::plain_keys([]),
        Arc::new(TemplateCatalog::default_catalog()),
        vec![],
        a.w.clock.clone(),
    );
    let api = std::mem::replace(&mut a.api, placeholder);
    a.api = api
        .with_live_templates(live)
        .with_template_sync(Arc::new(sync));
    (a, meta)
}

/// Tom sends template `name` in `language` on ticket `id`.
async fn send(
    a: &Api,
    id: &str,
    name: &str,
    language: &str,
    params: &[&str],
) -> crate::app::agent_api::ApiResponse {
    a.call(
        "tom",
        "POST",
        &format!("/tickets/{id}/template"),
        json!({"name": name, "language": language, "params": params}),
    )
    .await
}

fn order_update() -> serde_json::Value {
    json!({
        "name": "order_update", "language": "de", "category": "UTILITY",
        "body": "Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs.",
        "examples": ["Anna", "100234"],
    })
}

fn names(body: &serde_json::Value) -> Vec<String> {
    body["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}:{}:{}", t["name"], t["language"], t["status"]).replace('"', ""))
        .collect()
}

#[tokio::test]
async fn an_admin_submits_a_template_that_is_pending_and_not_offered_until_meta_approves_it() {
    let (a, meta) = live_api().await;
    let r = a
        .answers(201, "root", "POST", "/templates", order_update())
        .await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["approved"], false);
    assert_eq!(r["params"], json!(["1", "2"]));

    let offered = a.ok("tom", "GET", "/templates", json!(null)).await;
    assert!(
        !names(&offered)
            .iter()
            .any(|n| n.starts_with("order_update"))
    );
    let all = a.ok("maria", "GET", "/templates?all=1", json!(null)).await;
    assert!(names(&all).contains(&"order_update:de:PENDING".to_owned()));

    // Sending it is refused, naming the problem.
    let id = a.queued("4915100000001", "wamid.1").await;
    // She agreed to messages from us: templates may go to her.
    a.w.clock.advance(SignedDuration::from_secs(1));
    a.w.customer_as("4915100000001", "wamid.2", "START").await;
    let r = send(&a, &id, "order_update", "de", &["Anna", "1"]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"], "template_not_approved");
    assert!(r.body["message"].as_str().unwrap().contains("PENDING"));

    // Meta approves; a sync brings it (the webhook path is intake's test).
    meta.set_status("order_update", "de", "APPROVED");
    a.w.clock.advance(SignedDuration::from_secs(5));
    let report = a.ok("maria", "POST", "/templates/sync", json!(null)).await;
    assert!(report["version"].as_u64().is_some(), "{report}");
    let offered = a.ok("tom", "GET", "/templates", json!(null)).await;
    assert!(names(&offered).contains(&"order_update:de:APPROVED".to_owned()));
    let r = send(&a, &id, "order_update", "de", &["Anna", "100234"]).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn an_unknown_template_is_422_and_wrong_parameters_400() {
    let (a, _) = live_api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    // She agreed to messages from us: templates may go to her.
    a.w.clock.advance(SignedDuration::from_secs(1));
    a.w.customer_as("4915100000001", "wamid.2", "START").await;
    let r = send(&a, &id, "nope", "de", &[]).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("unknown_template"))
    );
    assert!(r.body["fields"]["name"].is_string());
    let r = send(&a, &id, "follow_up", "de", &[]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["fields"]["params"].is_string());
}

#[tokio::test]
async fn who_may_list_every_status_sync_and_submit() {
    let (a, _) = live_api().await;
    // Agents list approved ones only; a supervisor lists all and syncs but does not submit.
    for (who, method, path, body, status) in [
        ("tom", "GET", "/templates?all=1", json!(null), 403),
        ("tom", "POST", "/templates/sync", json!(null), 403),
        ("tom", "POST", "/templates", order_update(), 403),
        ("maria", "POST", "/templates", order_update(), 403),
        ("maria", "GET", "/templates?all=1", json!(null), 200),
        ("maria", "POST", "/templates/sync", json!(null), 200),
        ("root", "POST", "/templates", order_update(), 201),
    ] {
        let r = a.call(who, method, path, body).await;
        assert_eq!(r.status, status, "{who} {method} {path}: {}", r.body);
    }
    let again = a.call("root", "POST", "/templates", order_update()).await;
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (409, Some("template_exists"))
    );
    assert_eq!(
        a.call("tom", "GET", "/templates?all=yes", json!(null))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_bad_submission_is_400_naming_the_field() {
    let (a, _) = live_api().await;
    for (change, field) in [
        (json!({"name": "Order Update"}), "name"),
        (json!({"category": "PROMO"}), "category"),
        (json!({"body": "Hallo {{1}} {{3}}"}), "body"),
        (json!({"body": "x".repeat(1025)}), "body"),
        (json!({"examples": ["Anna"]}), "examples"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let mut body = order_update();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = a.call("root", "POST", "/templates", body).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{field}: {}", r.body);
    }
}

#[tokio::test]
async fn meta_failing_is_502_and_the_catalogue_stays_as_it_was() {
    let (a, meta) = live_api().await;
    let before = a.w.config_docs.head(ConfigKind::Templates).await.unwrap();
    meta.fail_next(WhatsAppError::Transient {
        status: 503,
        code: 2,
        message: "Service temporarily unavailable".into(),
    });
    let r = a
        .call("maria", "POST", "/templates/sync", json!(null))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (502, Some("meta_unavailable")),
        "{}",
        r.body
    );
    assert!(r.body["message"].as_str().unwrap().contains("Meta"));
    meta.fail_next(WhatsAppError::Unauthorized {
        code: 190,
        message: "token expired".into(),
    });
    a.answers(502, "root", "POST", "/templates", order_update())
        .await;
    // Meta refusing the template itself is the admin's to fix: 422 with Meta's words.
    meta.fail_next(WhatsAppError::Rejected {
        status: 400,
        code: 100,
        message: "Invalid parameter".into(),
    });
    let r = a.call("root", "POST", "/templates", order_update()).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("meta_rejected"))
    );
    assert_eq!(
        a.w.config_docs.head(ConfigKind::Templates).await.unwrap(),
        before
    );
    let offered = a.ok("tom", "GET", "/templates", json!(null)).await;
    assert_eq!(
        offered["templates"].as_array().unwrap().len(),
        TemplateCatalog::default_catalog().all().len()
    );
}

#[tokio::test]
async fn a_template_paused_in_a_published_version_is_refused_without_a_restart() {
    let (a, _) = live_api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    // She agreed to messages from us: templates may go to her.
    a.w.clock.advance(SignedDuration::from_secs(1));
    a.w.customer_as("4915100000001", "wamid.2", "START").await;
    // Another function (intake, on Meta's webhook) pauses follow_up/de in the table.
    let other = TemplateSync::new(a.w.config_docs.clone(), a.w.clock.clone());
    let change = crate::domain::templates::StatusChange {
        id: None,
        name: "follow_up".into(),
        language: "de".into(),
        event: "PAUSED".into(),
        reason: Some("LOW_QUALITY".into()),
        at: a.w.clock.now(),
    };
    other.apply_status(&change).await.unwrap();
    // Within the check interval the agent API sees it.
    a.w.clock.advance(SignedDuration::from_secs(16));
    let r = send(&a, &id, "follow_up", "de", &["Anna"]).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (422, Some("template_not_approved")),
        "{}",
        r.body
    );
}
