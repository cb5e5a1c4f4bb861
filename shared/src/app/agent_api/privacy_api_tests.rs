//! Consent, data export and erasure through the API: who may, what is left, and the audit.

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::*;
use crate::testkit::api::api;

/// The data export of the customer the tests use.
const ANNA_EXPORT: &str = "/customers/4915100000001/export";

#[tokio::test]
async fn consent_export_and_erasure_follow_the_roles_and_leave_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let consent_body = json!({"opted_in": true, "source": "web_form"});
    a.answers(
        403,
        "tom",
        "PUT",
        "/customers/4915100000001/consent",
        consent_body.clone(),
    )
    .await;
    let consent = a
        .ok(
            "maria",
            "PUT",
            "/customers/4915100000001/consent",
            consent_body,
        )
        .await;
    assert_eq!(consent["source"], "web_form (recorded by maria)");
    let r = a
        .call(
            "maria",
            "PUT",
            "/customers/4915100000001/consent",
            json!({"opted_in": true, "source": " "}),
        )
        .await;
    assert!(r.body["fields"]["source"].is_string());
    // admins only
    a.answers(403, "maria", "GET", ANNA_EXPORT, Value::Null)
        .await;
    let export = a.ok("root", "GET", ANNA_EXPORT, Value::Null).await;
    assert_eq!(export["tickets"][0]["ticket"]["id"], id.as_str());
    assert_eq!(export["consent"]["opted_in"], true);
    let r = a
        .call("root", "GET", "/customers/not-a-number/export", Value::Null)
        .await;
    assert!(r.body["fields"]["wa_id"].is_string(), "{}", r.body);
    let erased = a
        .ok("root", "DELETE", "/customers/4915100000001", Value::Null)
        .await;
    assert_eq!(erased["tickets"], 1);
    a.answers(404, "maria", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    let export = a.ok("root", "GET", ANNA_EXPORT, Value::Null).await;
    assert!(export["tickets"].as_array().unwrap().is_empty());
    assert!(export["profile"].is_null() && export["consent"].is_null());
}

#[tokio::test]
async fn an_erasure_answers_what_remains_where_and_admins_read_who_asked_in_the_audit() {
    // GIVEN a customer's ticket, exported and then erased by the admin
    let a = api().await;
    a.queued("4915100000001", "wamid.1").await;
    a.queued("4917600000001", "wamid.2").await;
    a.ok(
        "root",
        "GET",
        "/customers/4915100000001/export",
        Value::Null,
    )
    .await;
    a.w.clock.advance(SignedDuration::from_secs(30));
    let erased = a
        .ok("root", "DELETE", "/customers/4915100000001", Value::Null)
        .await;
    // THEN the erasure names the copies it could not reach and when they are gone
    let remains = erased["remains"].as_array().expect("remains");
    let days = |place: &str| {
        remains
            .iter()
            .find(|r| r["place"].as_str().unwrap_or("").contains(place))
            .map(|r| r["days"].clone())
            .unwrap_or_else(|| panic!("{place} missing in {erased}"))
    };
    assert_eq!(days("SQS"), json!(14));
    assert_eq!(days("point-in-time recovery"), json!(35));
    assert!(remains.iter().all(|r| r["holds"].is_string()), "{erased}");

    // AND the audit names who did what, when, by the customer's digest, never the number
    let audit = a.ok("root", "GET", "/audit", Value::Null).await;
    let records = audit["records"].as_array().unwrap();
    let digest = crate::domain::ids::WaId::parse("4915100000001")
        .unwrap()
        .digest();
    let summary: Vec<(String, String, String)> = records
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["customer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("root".into(), "export".into(), digest.clone()),
            ("root".into(), "erase".into(), digest.clone())
        ]
    );
    assert!(!audit.to_string().contains("4915100000001"), "{audit}");
    let today = a.w.clock.now().strftime("%Y-%m-%d").to_string();
    let hers = a
        .ok(
            "root",
            "GET",
            &format!("/audit?from={today}&to={today}&wa_id=4915100000001"),
            Value::Null,
        )
        .await;
    assert_eq!(hers["records"].as_array().unwrap().len(), 2);
    assert_eq!(hers["customer"], digest.as_str());
    let his = a
        .ok("root", "GET", "/audit?wa_id=4917600000001", Value::Null)
        .await;
    assert!(his["records"].as_array().unwrap().is_empty());

    // AND only admins read it, over a bounded and valid range
    assert_eq!(
        a.call("maria", "GET", "/audit", Value::Null).await.status,
        403
    );
    for (query, field) in [
        ("from=yesterday", "from"),
        ("from=2026-11-24&to=2026-11-01", "to"),
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("wa_id=+49", "wa_id"),
        ("who=me", "who"),
    ] {
        let r = a
            .call("root", "GET", &format!("/audit?{query}"), Value::Null)
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{query}: {}", r.body);
    }
}
