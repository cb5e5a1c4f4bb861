use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::ports::whatsapp::WhatsAppError;

fn failure_code(error: &WhatsAppError) -> String {
    error.failure_code()
}

/// Checks a line against the EMF specification: `_aws.Timestamp` in ms, every directive with
/// namespace, dimension sets and metric definitions, and every referenced member at the top.
fn assert_emf(line: &Value) {
    let aws = &line["_aws"];
    let timestamp = aws["Timestamp"]
        .as_u64()
        .expect("_aws.Timestamp is a number");
    assert!(
        timestamp > 1_700_000_000_000,
        "milliseconds since the epoch"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    for d in directives {
        assert_eq!(d["Namespace"], NAMESPACE);
        for set in d["Dimensions"].as_array().expect("Dimensions") {
            for key in set.as_array().expect("a dimension set is an array") {
                let key = key.as_str().expect("dimension keys are strings");
                assert!(line[key].is_string(), "dimension {key} is a string member");
            }
        }
        for m in d["Metrics"].as_array().expect("Metrics") {
            let name = m["Name"].as_str().expect("Name");
            assert!(matches!(m["Unit"].as_str(), Some("Count" | "Milliseconds")));
            let value = &line[name];
            assert!(
                value.is_number()
                    || value
                        .as_array()
                        .is_some_and(|a| a.iter().all(Value::is_number)),
                "{name} has a number or numbers at the top level"
            );
        }
    }
}

fn directive_for<'a>(line: &'a Value, metric: &str) -> &'a Value {
    line["_aws"]["CloudWatchMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["Metrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["Name"] == metric)
        })
        .unwrap_or_else(|| panic!("no directive for {metric}"))
}

#[test]
fn a_webhook_request_is_one_line_with_counts_and_latency_by_function() {
    // GIVEN metrics for the intake function
    let (metrics, capture) = Metrics::capture("helpdesk-webhook-intake");
    // WHEN a request stores three messages, sees one again and answers in 12.5 ms
    metrics.add(Count::MessagesIn, 3);
    metrics.add(Count::DuplicateMessages, 1);
    metrics.ack_latency(Duration::from_micros(12_500));
    metrics.flush();
    // THEN one valid EMF line carries them with the Function dimension
    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_emf(line);
    assert_eq!(line["Function"], "helpdesk-webhook-intake");
    assert_eq!(line["MessagesIn"], 3);
    assert_eq!(line["DuplicateMessages"], 1);
    assert_eq!(line["AckLatency"], 12.5);
    let d = directive_for(line, "AckLatency");
    assert_eq!(d["Dimensions"], json!([["Function"]]));
    assert!(
        d["Metrics"]
            .as_array()
            .unwrap()
            .contains(&json!({"Name": "AckLatency", "Unit": "Milliseconds"}))
    );
    assert!(
        d["Metrics"]
            .as_array()
            .unwrap()
            .contains(&json!({"Name": "MessagesIn", "Unit": "Count"}))
    );
}

#[test]
fn a_batch_aggregates_into_one_line_however_many_messages_it_had() {
    let (metrics, capture) = Metrics::capture("f");
    for _ in 0..10 {
        metrics.add(Count::BotReplies, 2);
    }
    metrics.handoff("urgent");
    metrics.handoff("urgent");
    metrics.handoff("requested");
    metrics.flush();
    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    assert_emf(&lines[0]);
    assert_eq!(lines[0]["BotReplies"], 20);
    assert_eq!(lines[0]["Handoffs"], 3);
    // The reason is a property, not a dimension (no metric per reason).
    assert_eq!(
        lines[0]["HandoffReasons"],
        json!({"urgent": 2, "requested": 1})
    );
    assert_eq!(
        directive_for(&lines[0], "Handoffs")["Dimensions"],
        json!([["Function"]])
    );
}

#[test]
fn breaches_have_no_dimension_and_name_the_target_as_a_property() {
    let (metrics, capture) = Metrics::capture("f");
    metrics.sla_breach("first_response");
    metrics.sla_breach("resolution");
    metrics.flush();
    let line = &capture.lines()[0];
    assert_emf(line);
    assert_eq!(line["SlaBreaches"], 2);
    assert_eq!(
        directive_for(line, "SlaBreaches")["Dimensions"],
        json!([[]])
    );
    assert_eq!(
        line["SlaTargets"],
        json!({"first_response": 1, "resolution": 1})
    );
}

#[test]
fn send_failures_are_one_line_per_code_with_the_code_dimension() {
    let (metrics, capture) = Metrics::capture("f");
    let rate = WhatsAppError::classify(400, 131056, "pair rate".into());
    metrics.send_failure(&rate);
    metrics.send_failure(&rate);
    metrics.send_failure(&WhatsAppError::classify(401, 190, "expired".into()));
    metrics.flush();
    let lines = capture.lines();
    assert_eq!(lines.len(), 2, "one line per code");
    for line in &lines {
        assert_emf(line);
        assert_eq!(
            directive_for(line, "SendFailures")["Dimensions"],
            json!([["Code"]])
        );
    }
    let by_code: Vec<(String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["Code"].as_str().unwrap().to_owned(),
                l["SendFailures"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_code, [("131056".to_owned(), 2), ("190".to_owned(), 1)]);
}

#[test]
fn codes_name_what_meta_said_or_the_class_of_failure() {
    let code = |status, code| failure_code(&WhatsAppError::classify(status, code, String::new()));
    assert_eq!(code(400, 131056), "131056");
    assert_eq!(code(401, 190), "190");
    assert_eq!(code(503, 0), "5xx");
    assert_eq!(code(500, 131000), "131000");
    assert_eq!(code(429, 0), "429");
    assert_eq!(code(400, 131026), "131026");
    assert_eq!(code(404, 0), "404");
    let network = WhatsAppError::Transient {
        status: 0,
        code: 0,
        message: "timed out".into(),
    };
    assert_eq!(failure_code(&network), "network");
    assert_eq!(failure_code(&WhatsAppError::OutsideServiceWindow), "131047");
}

#[test]
fn nothing_counted_writes_nothing_and_a_flush_starts_over() {
    let (metrics, capture) = Metrics::capture("f");
    metrics.flush();
    assert!(capture.lines().is_empty());
    metrics.add(Count::MessagesIn, 1);
    metrics.flush();
    metrics.flush();
    assert_eq!(capture.lines().len(), 1);
    assert_eq!(capture.total("MessagesIn"), 1.0);
}

#[test]
fn a_zero_count_is_a_zero_not_a_gap() {
    let (metrics, capture) = Metrics::capture("f");
    metrics.add(Count::MessagesIn, 0);
    metrics.flush();
    assert_eq!(capture.lines()[0]["MessagesIn"], 0);
}

#[test]
fn concurrent_requests_keep_every_latency() {
    let (metrics, capture) = Metrics::capture("f");
    metrics.ack_latency(Duration::from_millis(5));
    metrics.ack_latency(Duration::from_millis(7));
    metrics.flush();
    let line = &capture.lines()[0];
    assert_emf(line);
    assert_eq!(line["AckLatency"], json!([5.0, 7.0]));
}

#[test]
fn lines_hold_no_customer_data() {
    let (metrics, capture) = Metrics::capture("f");
    metrics.send_failure(&WhatsAppError::classify(
        400,
        131026,
        "Message undeliverable to 4917612345678: Hallo Anna".into(),
    ));
    metrics.flush();
    let text = capture.lines()[0].to_string();
    assert!(
        !text.contains("4917612345678") && !text.contains("Anna"),
        "{text}"
    );
}

#[test]
fn the_environment_names_the_function_and_can_turn_metrics_off() {
    assert!(!Metrics::from_env(&Env::from_pairs([("HELPDESK_METRICS", "off")])).is_on());
    assert!(!Metrics::from_env(&Env::from_pairs([("HELPDESK_METRICS", "OFF")])).is_on());
    assert!(Metrics::from_env(&Env::from_pairs([])).is_on());
    let on = Metrics::from_env(&Env::from_pairs([(
        AWS_LAMBDA_FUNCTION_NAME,
        "stack-bot-reply",
    )]));
    assert_eq!(format!("{on:?}"), "Metrics(stack-bot-reply)");
    assert_eq!(
        format!("{:?}", Metrics::from_env(&Env::default())),
        "Metrics(local)"
    );
}

#[test]
fn off_counts_nothing_and_writes_nothing() {
    let metrics = Metrics::off();
    metrics.add(Count::MessagesIn, 1);
    metrics.flush();
    assert!(!metrics.is_on());
}
