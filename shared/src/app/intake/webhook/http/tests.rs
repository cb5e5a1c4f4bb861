use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jiff::Timestamp;
use secrecy::SecretString;

use super::*;
use crate::app::intake::Intake;
use crate::app::intake::webhook::sample::many_customers;
use crate::domain::ticket::ConversationWindow;
use crate::ports::clock::ManualClock;
use crate::ports::queue::{MemoryQueue, QueueError};
use crate::ports::store::{MemoryStore, StoreError};

const SECRET: &str = "app-secret-for-tests";

struct Endpoint {
    handler: WebhookHandler,
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
}

fn endpoint() -> Endpoint {
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_second(1_764_061_300).unwrap(),
    ));
    let store = Arc::new(MemoryStore::new());
    let queue = Arc::new(MemoryQueue::new(clock.clone()));
    let intake = Intake::new(
        store.clone(),
        queue.clone(),
        clock,
        ConversationWindow::default(),
    );
    let handler = WebhookHandler::new(
        intake,
        &SecretString::from(SECRET),
        SecretString::from("verify-token"),
    );
    Endpoint {
        handler,
        store,
        queue,
    }
}

fn signed(body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let sig = SignatureVerifier::new(&SecretString::from(SECRET)).sign(body);
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sig).unwrap());
    headers
}

async fn post(e: &Endpoint, headers: &HeaderMap, body: &[u8]) -> Response<String> {
    e.handler.handle(&Method::POST, None, headers, body).await
}

async fn get(e: &Endpoint, query: &str) -> Response<String> {
    e.handler
        .handle(&Method::GET, Some(query), &HeaderMap::new(), b"")
        .await
}

fn error_code(r: &Response<String>) -> String {
    let v: serde_json::Value = serde_json::from_str(r.body()).unwrap();
    v["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn verification_echoes_the_challenge_when_the_token_matches() {
    let e = endpoint();
    let r = get(
        &e,
        "hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=1158201444",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");
    assert_eq!(r.body(), "1158201444");
}

#[tokio::test]
async fn verification_is_forbidden_with_a_wrong_token_or_mode() {
    let e = endpoint();
    for q in [
        "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=verify-token&hub.challenge=1",
    ] {
        assert_eq!(get(&e, q).await.status(), StatusCode::FORBIDDEN, "{q}");
    }
}

#[tokio::test]
async fn verification_without_its_parameters_is_a_bad_request() {
    let e = endpoint();
    for q in [
        "",
        "hub.mode=subscribe&hub.verify_token=verify-token",
        "hub.challenge=1",
    ] {
        let r = get(&e, q).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(error_code(&r), "missing_parameter");
    }
}

#[tokio::test]
async fn a_signed_notification_is_stored_and_acknowledged() {
    let e = endpoint();
    let body = many_customers(3, 1_764_061_200);
    let r = post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());
    assert_eq!(e.store.tickets().len(), 3);
    assert_eq!(e.queue.len(), 3);
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_bodies_are_unauthorized_and_store_nothing() {
    let e = endpoint();
    let body = many_customers(1, 1_764_061_200);
    let mut malformed = HeaderMap::new();
    malformed.insert(SIGNATURE_HEADER, HeaderValue::from_static("sha256=xyz"));
    let other = signed(b"another body");
    for headers in [HeaderMap::new(), malformed, other] {
        let r = post(&e, &headers, body.as_bytes()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&r), "invalid_signature");
    }
    assert!(e.store.tickets().is_empty());
    assert!(e.queue.is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_else() {
    let e = endpoint();
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let r = post(&e, &HeaderMap::new(), &body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&r), "payload_too_large");
}

#[tokio::test]
async fn signed_but_malformed_bodies_are_bad_requests_that_store_nothing() {
    let e = endpoint();
    for body in [
        &b"{not json"[..],
        br#"{"object":"instagram","entry":[]}"#,
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"wamid.ok","from":"4915112345678","timestamp":"1","type":"text","text":{"body":"a"}},{"id":"wamid.bad","from":"not-a-number","timestamp":"1","type":"text"}]}}]}]}"#,
    ] {
        let r = post(&e, &signed(body), body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        assert_eq!(error_code(&r), "invalid_payload");
    }
    assert!(
        e.store.tickets().is_empty(),
        "the valid first message of a rejected body is not stored"
    );
}

#[tokio::test]
async fn a_storage_failure_answers_503_so_meta_retries() {
    let e = endpoint();
    e.store
        .inject_faults([StoreError::Throttled("slow down".into())]);
    let body = many_customers(1, 1_764_061_200);
    let r = post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry = post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(e.queue.len(), 1);
}

#[tokio::test]
async fn a_non_retryable_queue_rejection_answers_500() {
    let e = endpoint();
    e.queue
        .inject_faults([QueueError::Rejected("no such queue".into())]);
    let body = many_customers(1, 1_764_061_200);
    let r = post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let e = endpoint();
    let r = e
        .handler
        .handle(&Method::PUT, None, &HeaderMap::new(), b"")
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[header::ALLOW], "GET, POST");
}

#[tokio::test]
async fn each_notification_writes_one_metric_line_with_messages_duplicates_and_ack_latency() {
    // GIVEN the endpoint with metrics
    let mut e = endpoint();
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("webhook-intake");
    e.handler = e.handler.with_metrics(metrics);
    let body = many_customers(3, 1_764_061_200);
    // WHEN Meta delivers a webhook twice, and a forged one arrives
    post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    post(&e, &signed(body.as_bytes()), body.as_bytes()).await;
    post(&e, &HeaderMap::new(), body.as_bytes()).await;
    // THEN a line per request: new messages, then duplicates, and every answer's latency
    let lines = capture.lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (&lines[0]["MessagesIn"], &lines[0]["DuplicateMessages"]),
        (&3.into(), &0.into())
    );
    assert_eq!(
        (&lines[1]["MessagesIn"], &lines[1]["DuplicateMessages"]),
        (&0.into(), &3.into())
    );
    assert!(
        lines[2].get("MessagesIn").is_none(),
        "a refused body counts no message"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["AckLatency"].as_f64().is_some_and(|ms| ms >= 0.0))
    );
    // Verification requests are not notifications: no line.
    get(
        &e,
        "hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=1",
    )
    .await;
    assert_eq!(capture.lines().len(), 3);
}
