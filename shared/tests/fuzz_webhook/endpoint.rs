//! Drives the HTTP handler (`WebhookHandler::handle`: method, query, headers, body → response)
//! with random requests, over the in-memory store and queue, and checks the status against
//! what the request deserves.

use std::sync::Arc;

use helpdesk::app::intake::Intake;
use helpdesk::app::intake::webhook::http::SIGNATURE_HEADER;
use helpdesk::app::intake::webhook::{MAX_BODY_BYTES, SignatureVerifier, WebhookHandler};
use helpdesk::domain::ticket::ConversationWindow;
use helpdesk::ports::clock::ManualClock;
use helpdesk::ports::queue::{MemoryQueue, QueueError};
use helpdesk::ports::store::{MemoryStore, StoreError};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use jiff::Timestamp;
use secrecy::SecretString;

use crate::check::expected_signature_result;
use crate::rng::Rng;

pub const APP_SECRET: &str = "fuzz-app-secret";
const VERIFY_TOKEN: &str = "fuzz-verify-token";
/// Requests on one store before it is replaced, so memory stays flat.
const REQUESTS_PER_STORE: usize = 500;

pub struct Endpoint {
    handler: WebhookHandler,
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    runtime: tokio::runtime::Runtime,
    requests: usize,
    /// Faults were injected: some may be left over, so the next request gets a fresh store.
    spoiled: bool,
}

impl Endpoint {
    pub fn new() -> Self {
        let clock = Arc::new(ManualClock::new(
            Timestamp::from_second(1_764_061_300).expect("valid time"),
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
            &SecretString::from(APP_SECRET),
            SecretString::from(VERIFY_TOKEN),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        Self {
            handler,
            store,
            queue,
            runtime,
            requests: 0,
            spoiled: false,
        }
    }
}

/// What one request was.
pub struct Outcome {
    pub method: &'static str,
    pub status: u16,
}

/// Sends one random request built around `body` (whose `plan` result is `plan_ok`).
pub fn request(
    endpoint: &mut Endpoint,
    rng: &mut Rng,
    verifier: &SignatureVerifier,
    body: &[u8],
    plan_ok: bool,
) -> Outcome {
    if endpoint.spoiled || endpoint.requests >= REQUESTS_PER_STORE {
        *endpoint = Endpoint::new();
    }
    endpoint.requests += 1;
    let (method, label) = method(rng);
    let query = query(rng);
    let oversized;
    let body = if rng.one_in(20_000) {
        oversized = vec![b'{'; MAX_BODY_BYTES + 1 + rng.below(10)];
        &oversized[..]
    } else {
        body
    };
    let correct = verifier.sign(body);
    let headers = headers(rng, &correct);
    let faults = rng.one_in(32);
    if faults {
        endpoint.spoiled = true;
        if rng.one_in(2) {
            endpoint.store.inject_faults([match rng.below(3) {
                0 => StoreError::Throttled("fuzz".into()),
                1 => StoreError::Unavailable("fuzz".into()),
                _ => StoreError::Rejected("fuzz".into()),
            }]);
        } else {
            endpoint.queue.inject_faults([match rng.below(2) {
                0 => QueueError::Throttled("fuzz".into()),
                _ => QueueError::Rejected("fuzz".into()),
            }]);
        }
    }
    let response = endpoint.runtime.block_on(endpoint.handler.handle(
        &method,
        query.as_deref(),
        &headers,
        body,
    ));
    let status = response.status();
    let context = || {
        format!(
            "{method} ?{query:?} headers {headers:?} body {} bytes -> {status} {}",
            body.len(),
            response.body()
        )
    };
    match method {
        Method::GET => {
            let (want, challenge) = expected_verification(query.as_deref());
            assert_eq!(status, want, "{}", context());
            if status == StatusCode::OK {
                assert_eq!(Some(response.body().as_str()), challenge.as_deref());
                assert_eq!(response.headers()[header::CONTENT_TYPE], "text/plain");
            }
        }
        Method::POST => {
            let signature = headers.get(SIGNATURE_HEADER).map(HeaderValue::as_bytes);
            let want = if body.len() > MAX_BODY_BYTES {
                StatusCode::PAYLOAD_TOO_LARGE
            } else if expected_signature_result(signature, &correct).is_err() {
                StatusCode::UNAUTHORIZED
            } else if !plan_ok {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            let store_failed = faults
                && want == StatusCode::OK
                && matches!(
                    status,
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR
                );
            assert!(
                status == want || store_failed,
                "expected {want}: {}",
                context()
            );
        }
        _ => {
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{}", context());
            assert_eq!(response.headers()[header::ALLOW], "GET, POST");
        }
    }
    if !(method == Method::GET && status == StatusCode::OK) {
        let json: serde_json::Value = serde_json::from_str(response.body())
            .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {}", context()));
        assert_eq!(
            json.get("error").is_some(),
            status != StatusCode::OK,
            "{}",
            context()
        );
    }
    Outcome {
        method: label,
        status: status.as_u16(),
    }
}

fn method(rng: &mut Rng) -> (Method, &'static str) {
    const OTHERS: [&str; 9] = [
        "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "TRACE", "CONNECT", "post", "X-FUZZ",
    ];
    match rng.below(10) {
        0..=5 => (Method::POST, "POST"),
        6 | 7 => (Method::GET, "GET"),
        _ => {
            let name = *rng.pick(&OTHERS);
            (
                Method::from_bytes(name.as_bytes()).expect("a valid method"),
                "other",
            )
        }
    }
}

/// Meta's verification query, right, wrong, partial or garbled.
fn query(rng: &mut Rng) -> Option<String> {
    if rng.one_in(10) {
        return None;
    }
    if rng.one_in(10) {
        let n = rng.skewed(300);
        return Some(String::from_utf8_lossy(&rng.bytes(n)).into_owned());
    }
    let mode = *rng.pick(&[
        "subscribe",
        "subscribe",
        "unsubscribe",
        "",
        "Subscribe",
        "sub%73cribe",
        "subscribe%00",
    ]);
    let token = *rng.pick(&[
        VERIFY_TOKEN,
        VERIFY_TOKEN,
        "fuzz%2Dverify%2Dtoken",
        "fuzz-verify-token ",
        "fuzz-verify-toke",
        "",
        "%FF%FE",
        "fuzz+verify+token",
    ]);
    let challenge = match rng.below(8) {
        0..=3 => {
            let len = rng.between(1, 12);
            rng.digits(len)
        }
        4 => "x".repeat(rng.between(250, 260)),
        5 => rng
            .pick(&["", "+", "a%20b", "%00", "12%FF", "%F0%9F%98%80", "1;2", "%"])
            .to_string(),
        _ => {
            let n = rng.skewed(40);
            String::from_utf8_lossy(&rng.bytes(n)).replace(['&', '#'], "")
        }
    };
    let mut pairs = vec![
        format!("hub.mode={mode}"),
        format!("hub.verify_token={token}"),
        format!("hub.challenge={challenge}"),
    ];
    pairs.retain(|_| !rng.one_in(12));
    if rng.one_in(10) {
        let copy = pairs.get(rng.below(pairs.len().max(1))).cloned();
        pairs.extend(copy);
    }
    if rng.one_in(10) {
        pairs.push(
            rng.pick(&["", "=", "x", "hub.mode", "a=b=c", "%zz=1"])
                .to_string(),
        );
    }
    for i in (1..pairs.len()).rev() {
        pairs.swap(i, rng.below(i + 1));
    }
    Some(pairs.join("&"))
}

/// The documented answer to a verification request, and the challenge to echo.
fn expected_verification(query: Option<&str>) -> (StatusCode, Option<String>) {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*k {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    let (Some(mode), Some(token), Some(challenge)) = (mode, token, challenge) else {
        return (StatusCode::BAD_REQUEST, None);
    };
    if challenge.is_empty()
        || challenge.len() > 256
        || !challenge.bytes().all(|b| b.is_ascii_graphic())
    {
        return (StatusCode::BAD_REQUEST, None);
    }
    if mode != "subscribe" || token != VERIFY_TOKEN {
        return (StatusCode::FORBIDDEN, None);
    }
    (StatusCode::OK, Some(challenge))
}

/// Headers as Meta, a misconfigured proxy or an attacker might send them.
fn headers(rng: &mut Rng, correct: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let signature = HeaderName::from_static(SIGNATURE_HEADER);
    match rng.below(6) {
        0..=2 => {}
        3 => {
            // A second signature header; the first one counts.
            let first = odd_signature(rng, correct);
            if let Ok(v) = HeaderValue::from_bytes(&first) {
                headers.append(signature.clone(), v);
            }
        }
        4 => {
            headers.insert(signature.clone(), HeaderValue::from_static("sha256=0"));
        }
        _ => {
            // Not a header of ours, but close.
            headers.insert(
                "x-hub-signature",
                HeaderValue::from_str(&correct.replace("sha256", "sha1")).expect("ascii"),
            );
        }
    }
    let value = if rng.one_in(2) {
        correct.as_bytes().to_vec()
    } else {
        odd_signature(rng, correct)
    };
    if !rng.one_in(10)
        && let Ok(v) = HeaderValue::from_bytes(&value)
    {
        headers.append(signature, v);
    }
    for _ in 0..rng.skewed(4) {
        let name = *rng.pick(&[
            "content-type",
            "content-length",
            "x-forwarded-for",
            "user-agent",
            "x-amzn-trace-id",
            "host",
        ]);
        let n = rng.skewed(64);
        if let Ok(v) = HeaderValue::from_bytes(&rng.bytes(n)) {
            headers.append(name, v);
        }
    }
    headers
}

/// Signature header values that are not the right one, some nearly.
pub fn odd_signature(rng: &mut Rng, correct: &str) -> Vec<u8> {
    let hex = &correct[7..];
    let mut v = match rng.below(12) {
        0 => format!("sha256={}", &hex[..rng.below(64)]).into_bytes(),
        1 => format!("{correct}0").into_bytes(),
        2 => format!("SHA256={hex}").into_bytes(),
        3 => format!("sha256= {hex}").into_bytes(),
        4 => format!("{correct}\n").into_bytes(),
        5 => format!("sha256={}", hex.to_ascii_uppercase()).into_bytes(),
        6 => format!("sha1={hex}").into_bytes(),
        7 => format!("sha256={}", "g".repeat(64)).into_bytes(),
        8 => hex.as_bytes().to_vec(),
        9 => {
            let mut v = correct.as_bytes().to_vec();
            let i = 7 + rng.below(64);
            v[i] = if v[i] == b'f' { b'e' } else { b'f' };
            v
        }
        10 => format!("sha256={}", "0".repeat(64)).into_bytes(),
        _ => {
            let n = rng.skewed(200);
            rng.bytes(n)
        }
    };
    if rng.one_in(10) {
        v.extend_from_slice("é".as_bytes());
    }
    v
}
