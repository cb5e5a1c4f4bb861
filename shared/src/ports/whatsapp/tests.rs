use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::domain::whatsapp::MAX_TEXT as MAX_TEXT_LEN;

fn choice(id: &str, title: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
    }
}

fn wa() -> WaId {
    WaId::parse("4915112345678").unwrap()
}

#[test]
fn a_text_request_has_the_cloud_api_shape() {
    let body = OutboundBody::Text {
        body: "Hallo Anna".into(),
    };
    assert_eq!(
        body.to_request(&wa()),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915112345678",
               "type": "text", "text": {"body": "Hallo Anna", "preview_url": false}})
    );
}

#[test]
fn a_quoted_reply_carries_the_quoted_wamid_as_context() {
    let body = OutboundBody::QuotedText {
        body: "Ja, genau".into(),
        reply_to: "wamid.IN1".into(),
    };
    let v = body.to_request(&wa());
    assert_eq!(v["type"], "text");
    assert_eq!(v["text"]["body"], "Ja, genau");
    assert_eq!(v["context"], json!({"message_id": "wamid.IN1"}));
    assert_eq!(body.kind(), "text");
    assert_eq!(body.context_id(), Some("wamid.IN1"));
}

#[test]
fn a_reaction_request_names_the_message_and_the_emoji() {
    let body = OutboundBody::Reaction {
        message_id: "wamid.IN1".into(),
        emoji: "👍".into(),
    };
    let v = body.to_request(&wa());
    assert_eq!(v["type"], "reaction");
    assert_eq!(
        v["reaction"],
        json!({"message_id": "wamid.IN1", "emoji": "👍"})
    );
    assert!(v.get("context").is_none());
    assert_eq!(body.kind(), "reaction");
    assert_eq!(body.text(), "👍");
}

#[test]
fn a_reaction_is_one_emoji_and_names_a_message() {
    let react = |id: &str, emoji: &str| OutboundBody::Reaction {
        message_id: id.into(),
        emoji: emoji.into(),
    };
    assert_eq!(react("wamid.1", "👍").validate(), Ok(()));
    assert_eq!(react("wamid.1", "👍🏽").validate(), Ok(()));
    assert_eq!(react("wamid.1", "❤️").validate(), Ok(()));
    assert_eq!(react("wamid.1", "ok").validate(), Err(BuildError::NotEmoji));
    assert_eq!(
        react("wamid.1", "👍 ").validate(),
        Err(BuildError::NotEmoji)
    );
    assert_eq!(
        react("wamid.1", &"👍".repeat(20)).validate(),
        Err(BuildError::NotEmoji)
    );
    assert_eq!(
        react("wamid.1", "").validate(),
        Err(BuildError::Missing { what: "emoji" })
    );
    assert_eq!(
        react(" ", "👍").validate(),
        Err(BuildError::Missing {
            what: "message reacted to"
        })
    );
    let quote = OutboundBody::QuotedText {
        body: "x".repeat(MAX_TEXT_LEN + 1),
        reply_to: "wamid.1".into(),
    };
    assert!(matches!(
        quote.validate(),
        Err(BuildError::TooLong { what: "text", .. })
    ));
}

#[test]
fn buttons_and_lists_become_interactive_messages() {
    let buttons = OutboundBody::Buttons {
        body: "Wobei?".into(),
        buttons: vec![choice("menu.a", "A"), choice("menu.b", "B")],
    };
    let v = buttons.to_request(&wa());
    assert_eq!(v["type"], "interactive");
    assert_eq!(v["interactive"]["type"], "button");
    assert_eq!(
        v["interactive"]["action"]["buttons"][1]["reply"]["id"],
        "menu.b"
    );
    let list = OutboundBody::List {
        body: "Wobei?".into(),
        button: "Themen".into(),
        rows: (0..5).map(|i| choice(&format!("r{i}"), "Zeile")).collect(),
    };
    let v = list.to_request(&wa());
    assert_eq!(
        v["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn builders_refuse_what_whatsapp_would_refuse() {
    let four = OutboundBody::Buttons {
        body: "x".into(),
        buttons: (0..4).map(|i| choice(&i.to_string(), "t")).collect(),
    };
    assert!(matches!(
        four.validate(),
        Err(BuildError::Count { max: 3, .. })
    ));
    let long_title = OutboundBody::Buttons {
        body: "x".into(),
        buttons: vec![choice("a", "a title that is far too long")],
    };
    assert!(matches!(
        long_title.validate(),
        Err(BuildError::TooLong { max: 20, .. })
    ));
    let eleven = OutboundBody::List {
        body: "x".into(),
        button: "b".into(),
        rows: (0..11).map(|i| choice(&i.to_string(), "t")).collect(),
    };
    assert!(matches!(
        eleven.validate(),
        Err(BuildError::Count { max: 10, .. })
    ));
    let huge = OutboundBody::Text {
        body: "x".repeat(4097),
    };
    assert!(matches!(
        huge.validate(),
        Err(BuildError::TooLong { max: 4096, .. })
    ));
    assert_eq!(
        OutboundBody::Text { body: " ".into() }.validate(),
        Err(BuildError::Empty)
    );
}

#[test]
fn error_codes_are_classified_by_what_to_do() {
    let c = |status, code| WhatsAppError::classify(status, code, "m".into());
    assert!(c(400, 130429).is_retryable());
    assert!(c(400, 131056).is_retryable());
    assert!(c(500, 0).is_retryable());
    assert!(c(400, 2).is_retryable());
    assert!(c(400, 131047).needs_template());
    assert!(matches!(c(401, 190), WhatsAppError::Unauthorized { .. }));
    assert!(!c(401, 190).is_retryable());
    assert!(matches!(c(400, 131026), WhatsAppError::Rejected { .. }));
    assert!(matches!(c(400, 132000), WhatsAppError::Rejected { .. }));
}

#[test]
fn the_service_window_is_24_hours_from_the_customers_last_message() {
    let last: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
    assert!(service_window_open(
        last,
        "2026-11-26T09:59:59Z".parse().unwrap()
    ));
    assert!(!service_window_open(
        last,
        "2026-11-26T10:00:00Z".parse().unwrap()
    ));
}

#[test]
fn backoff_grows_and_is_capped() {
    let p = RetryPolicy {
        attempts: 5,
        base: Duration::from_millis(100),
        max: Duration::from_millis(300),
    };
    for _ in 0..50 {
        assert!(p.delay(1) <= Duration::from_millis(100));
        assert!(p.delay(4) <= Duration::from_millis(300));
    }
}

const FAST: RetryPolicy = RetryPolicy {
    attempts: 3,
    base: Duration::from_millis(1),
    max: Duration::from_millis(2),
};

#[tokio::test]
async fn a_rate_limit_is_retried_until_it_goes_through_once() {
    let client = MemoryWhatsApp::new();
    client.inject_faults([WhatsAppError::classify(429, 130429, "slow down".into())]);
    let from = PhoneNumberId::parse("1065").unwrap();
    let body = OutboundBody::Text {
        body: "Hallo".into(),
    };
    let (metrics, capture) = Metrics::capture("bot-reply");
    let wamid = send_with_retry(&client, FAST, &metrics, &from, &wa(), &body)
        .await
        .unwrap();
    assert_eq!(client.sent().len(), 1);
    assert_eq!(client.sent()[0].wamid, wamid);
    // The refused attempt is counted by its code, though the retry went through.
    metrics.flush();
    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (&lines[0]["Code"], &lines[0]["SendFailures"]),
        (&"130429".into(), &1.into())
    );
}

#[tokio::test]
async fn an_invalid_token_is_not_retried() {
    let client = MemoryWhatsApp::new();
    client.inject_faults([WhatsAppError::classify(401, 190, "expired".into())]);
    let from = PhoneNumberId::parse("1065").unwrap();
    let body = OutboundBody::Text {
        body: "Hallo".into(),
    };
    let err = send_with_retry(&client, FAST, &Metrics::off(), &from, &wa(), &body)
        .await
        .unwrap_err();
    assert!(matches!(err, WhatsAppError::Unauthorized { .. }));
    assert!(client.sent().is_empty());
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt() {
    let client = MemoryWhatsApp::new();
    client.inject_faults((0..3).map(|_| WhatsAppError::classify(503, 0, "down".into())));
    let from = PhoneNumberId::parse("1065").unwrap();
    let body = OutboundBody::Text {
        body: "Hallo".into(),
    };
    assert!(
        send_with_retry(&client, FAST, &Metrics::off(), &from, &wa(), &body)
            .await
            .unwrap_err()
            .is_retryable()
    );
}

/// A Cloud API that answers every call after `delay`, with a 503.
struct SlowAndDown {
    delay: Duration,
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl WhatsAppClient for SlowAndDown {
    async fn send(
        &self,
        _: &PhoneNumberId,
        _: &WaId,
        _: &OutboundBody,
    ) -> Result<Wamid, WhatsAppError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        Err(WhatsAppError::classify(503, 0, "down".into()))
    }

    async fn upload_media(
        &self,
        _: &PhoneNumberId,
        _: &super::MediaUpload<'_>,
    ) -> Result<String, WhatsAppError> {
        Err(WhatsAppError::classify(503, 0, "down".into()))
    }

    async fn mark_read(&self, _: &PhoneNumberId, _: &Wamid) -> Result<(), WhatsAppError> {
        Ok(())
    }

    async fn mark_read_typing(&self, _: &PhoneNumberId, _: &Wamid) -> Result<(), WhatsAppError> {
        Ok(())
    }
}

#[tokio::test]
async fn retries_stop_when_the_invocation_has_no_time_left_for_another_attempt() {
    use crate::platform::deadline::{Deadline, FINISH_MARGIN};
    let client = SlowAndDown {
        delay: Duration::from_millis(700),
        calls: Default::default(),
    };
    let from = PhoneNumberId::parse("1065").unwrap();
    let body = OutboundBody::Text {
        body: "Hallo".into(),
    };
    // Four attempts with pauses would take about 3 s; the invocation has 1.5 s to spend.
    let policy = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(100),
        max: Duration::from_millis(200),
    };
    let started = std::time::Instant::now();
    let deadline = Deadline::after(FINISH_MARGIN + Duration::from_millis(1500));
    let err = deadline
        .scope(send_with_retry(
            &client,
            policy,
            &Metrics::off(),
            &from,
            &wa(),
            &body,
        ))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "the queue tries the message again");
    assert_eq!(client.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn an_attempt_still_running_at_the_deadline_is_cut_off() {
    use crate::platform::deadline::{Deadline, FINISH_MARGIN};
    let client = SlowAndDown {
        delay: Duration::from_secs(30),
        calls: Default::default(),
    };
    let from = PhoneNumberId::parse("1065").unwrap();
    let body = OutboundBody::Text {
        body: "Hallo".into(),
    };
    let started = std::time::Instant::now();
    let deadline = Deadline::after(FINISH_MARGIN + Duration::from_millis(300));
    let err = deadline
        .scope(send_with_retry(
            &client,
            FAST,
            &Metrics::off(),
            &from,
            &wa(),
            &body,
        ))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2));
}
