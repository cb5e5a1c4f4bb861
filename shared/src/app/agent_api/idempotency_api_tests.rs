//! A repeated request through the API (its `Idempotency-Key`) acts once: a redelivery, a key
//! reused on another request, a repeat after a failure that gave a slot back.

use serde_json::json;

use super::*;
use crate::testkit::api::api;

#[tokio::test]
async fn a_repeated_request_with_its_idempotency_key_acts_once() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let body = json!({"text": "Nur einmal bitte"}).to_string();
    let path = format!("/tickets/{id}/reply");
    for _ in 0..2 {
        let r = a
            .api
            .handle(&ApiRequest {
                method: "POST",
                path: &path,
                authorization: Some("Bearer key-tom"),
                idempotency_key: Some("retry-key-0001"),
                body: body.as_bytes(),
                ..ApiRequest::default()
            })
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let sent =
        a.w.whatsapp
            .sent()
            .iter()
            .filter(|m| m.body.text() == "Nur einmal bitte")
            .count();
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn an_idempotency_key_reused_on_another_request_is_refused_and_changes_nothing() {
    let a = api().await;
    let id = a.queued("4915100000001", "wamid.1").await;
    let reply = format!("/tickets/{id}/reply");
    let first = a
        .call_keyed(
            "tom",
            "POST",
            &reply,
            r#"{"text": "Nur einmal bitte"}"#,
            "retry-key-0001",
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    // The same request, written differently, is the same request.
    let again = a
        .call_keyed(
            "tom",
            "POST",
            &reply,
            r#"{ "text":"Nur einmal bitte" }"#,
            "retry-key-0001",
        )
        .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    let version = first.body["version"].clone();
    for (who, method, path, body) in [
        ("tom", "POST", reply.clone(), r#"{"text": "Etwas anderes"}"#),
        (
            "tom",
            "POST",
            format!("/tickets/{id}/notes"),
            r#"{"text": "Nur einmal bitte"}"#,
        ),
        ("tom", "POST", format!("/tickets/{id}/resolve"), ""),
        (
            "tom",
            "PATCH",
            format!("/tickets/{id}"),
            r#"{"priority": "high"}"#,
        ),
        (
            "maria",
            "POST",
            reply.clone(),
            r#"{"text": "Nur einmal bitte"}"#,
        ),
    ] {
        let r = a
            .call_keyed(who, method, &path, body, "retry-key-0001")
            .await;
        assert_eq!(r.status, 422, "{who} {method} {path} {body}: {}", r.body);
        assert_eq!(r.body["error"], "idempotency_key_reused");
        assert!(
            r.body["fields"]["Idempotency-Key"].is_string(),
            "{}",
            r.body
        );
    }
    let t = a.detail("tom", &id).await;
    assert_eq!(t["version"], version, "nothing else was done");
    assert_eq!(t["status"], "assigned");
    let sent: Vec<String> = a.w.whatsapp.sent().iter().map(|m| m.body.text()).collect();
    assert_eq!(
        sent.iter().filter(|m| *m == "Nur einmal bitte").count(),
        1,
        "{sent:?}"
    );
    assert!(!sent.iter().any(|m| m == "Etwas anderes"));
    // A new key is a new request.
    a.call_keyed(
        "tom",
        "POST",
        &reply,
        r#"{"text": "Etwas anderes"}"#,
        "retry-key-0002",
    )
    .await;
    assert!(
        a.w.whatsapp
            .sent()
            .iter()
            .any(|m| m.body.text() == "Etwas anderes")
    );
}

#[tokio::test]
async fn a_slot_given_back_after_a_failure_comes_back_exactly_once_when_the_client_repeats() {
    // A store failure at every point of a resolve in turn; the client repeats with its key
    // until it is told the resolve is done.
    let mut failed_after_commit = 0;
    for passes in 0..40 {
        let a = api().await;
        let first = a.queued("4915100000001", "wamid.1").await;
        let second = a.queued("4915100000002", "wamid.2").await;
        for id in [&first, &second] {
            a.act("lea", &id, "assign", json!({"agent": "lea"})).await;
        }
        assert_eq!(a.w.load("lea").await, 2);
        a.w.store.fail_after(
            passes,
            [crate::ports::store::StoreError::Unavailable(
                "injected".into(),
            )],
        );
        let resolve = format!("/tickets/{first}/resolve");
        let mut answers = Vec::new();
        for _ in 0..3 {
            let r = a
                .call_keyed("lea", "POST", &resolve, "", "resolve-key-0001")
                .await;
            answers.push(r.status);
            if r.status == 200 {
                break;
            }
            assert_eq!(r.status, 503, "{}", r.body);
            if r.body["error"] == "delivery_pending" {
                failed_after_commit += 1;
            }
        }
        a.w.store.clear_faults();
        assert_eq!(
            answers.last(),
            Some(&200),
            "failure after {passes} calls: {answers:?}"
        );
        let t = a.detail("lea", &first).await;
        assert_eq!(t["status"], "resolved");
        assert_eq!(
            a.w.load("lea").await,
            1,
            "failure after {passes} store calls ({answers:?}): one slot back, the other ticket still held"
        );
    }
    assert!(
        failed_after_commit > 0,
        "some failures hit after the resolve was stored"
    );
}
