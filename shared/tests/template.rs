//! The deployment template's settings checked against the arithmetic they rest on (the time
//! budget at `Globals` in `template.yaml`, README "Timeouts and the retry budget") and the
//! security settings the helpdesk relies on. Read as text: one resource is the block from its
//! two-space-indented name to the next one.

use std::time::Duration;

use helpdesk::platform::deadline::{FINISH_MARGIN, START_RESERVE};
use helpdesk::ports::whatsapp::{CALL_TIMEOUT, RetryPolicy};

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("template.yaml is readable")
}

/// The lines of resource `name` (under `Resources:`).
fn resource(template: &str, name: &str) -> String {
    let header = format!("  {name}:");
    let mut lines = template.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "{name} is in the template");
    lines
        .take_while(|l| l.is_empty() || l.starts_with("   ") || l.starts_with("  #"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of the first `key: value` line of a block.
fn property<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .map(str::trim)
}

fn seconds(block: &str, key: &str) -> Duration {
    let value = property(block, key).unwrap_or_else(|| panic!("{key} is set in\n{block}"));
    Duration::from_secs(value.parse().unwrap())
}

#[test]
fn queue_consumers_finish_before_their_timeout_with_a_slow_cloud_api() {
    let t = template();
    let send = RetryPolicy::default().worst_case(CALL_TIMEOUT);
    assert_eq!(send, Duration::from_millis(42_800), "one send, every retry");
    for (function, queue) in [
        ("BotReplyFunction", "InboundQueue"),
        ("AgentHandoffFunction", "HandoffQueue"),
        ("SlaBreachFunction", "SlaEventsQueue"),
    ] {
        let f = resource(&t, function);
        let timeout = seconds(&f, "Timeout");
        // The first record of a batch: mark read and two replies, each with every retry.
        assert!(
            timeout >= FINISH_MARGIN + CALL_TIMEOUT + send * 2,
            "{function}: {timeout:?} leaves the first record less than its full budget"
        );
        let batch: u32 = property(&f, "BatchSize").unwrap().parse().unwrap();
        // With every call answered just under the HTTP timeout, a bot turn is three calls.
        let slow_turn = CALL_TIMEOUT * 3;
        let fit = (timeout - START_RESERVE).as_secs() / slow_turn.as_secs() + 1;
        let handed_back = u64::from(batch).saturating_sub(fit);
        let receives: u64 = property(&resource(&t, queue), "maxReceiveCount")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            handed_back < receives - 1,
            "{function}: {handed_back} of {batch} may go back unstarted each time"
        );
        let visibility = seconds(&resource(&t, queue), "VisibilityTimeout");
        assert!(
            visibility >= timeout * 6,
            "{queue}: visibility {visibility:?} < 6 x {function}'s {timeout:?}"
        );
    }
}

#[test]
fn the_agent_api_answers_before_api_gateway_gives_up() {
    let f = resource(&template(), "AgentApiFunction");
    let timeout = seconds(&f, "Timeout");
    assert!(timeout < Duration::from_secs(30), "API Gateway waits 30 s");
    assert!(
        timeout >= FINISH_MARGIN + CALL_TIMEOUT * 2,
        "an agent's reply gets two whole attempts"
    );
}

#[test]
fn a_webhook_flood_cannot_take_the_other_functions_concurrency() {
    let f = resource(&template(), "WebhookIntakeFunction");
    assert!(
        property(&f, "ReservedConcurrentExecutions").is_some(),
        "webhook-intake has reserved (and capped) concurrency"
    );
}

#[test]
fn browsers_reach_the_agent_api_only_from_the_configured_origins_with_every_method() {
    let api = resource(&template(), "AgentHttpApi");
    assert!(!api.contains("\"*\""), "no wildcard origin:\n{api}");
    assert_eq!(
        property(&api, "AllowOrigins"),
        Some("!Ref AgentConsoleOrigins")
    );
    let methods = property(&api, "- AllowMethods").unwrap();
    for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
        assert!(methods.contains(method), "{method} in {methods}");
    }
}

#[test]
fn everyone_signs_in_with_a_second_factor() {
    let pool = resource(&template(), "AgentUserPool");
    assert_eq!(property(&pool, "MfaConfiguration"), Some("\"ON\""));
    assert_eq!(property(&pool, "EnabledMfas"), Some("[SOFTWARE_TOKEN_MFA]"));
}

#[test]
fn undeliverable_schedules_land_in_an_alarmed_dead_letter_queue() {
    let t = template();
    let dlq = "SlaSchedulesDeadLetterQueue";
    let queue = resource(&t, dlq);
    assert!(
        property(&queue, "FifoQueue").is_none(),
        "the Scheduler needs a standard queue"
    );
    assert!(
        resource(&t, "SchedulerRole").contains(&format!("!GetAtt {dlq}.Arn")),
        "the Scheduler may send to it"
    );
    assert!(resource(&t, "SlaSchedulesDeadLetterAlarm").contains(&format!("{dlq}.QueueName")));
    for function in ["BotReplyFunction", "SlaBreachFunction", "AgentApiFunction"] {
        assert_eq!(
            property(&resource(&t, function), "HELPDESK_SCHEDULER_DLQ_ARN"),
            Some(format!("!GetAtt {dlq}.Arn").as_str()),
            "{function} arms timers with it"
        );
    }
}
