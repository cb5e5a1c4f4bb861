use secrecy::ExposeSecret;

use super::*;
use crate::domain::ticket::ConversationWindow;

const URL: &str = "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-inbound.fifo";

fn env(overrides: &[(&'static str, &'static str)]) -> Env {
    let mut pairs = vec![
        (WHATSAPP_APP_SECRET, "s3cret-app"),
        (WHATSAPP_VERIFY_TOKEN, "verify-me"),
        (HELPDESK_TABLE, "helpdesk"),
        (HELPDESK_INBOUND_QUEUE_URL, URL),
    ];
    for (k, v) in overrides {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k, v));
    }
    Env::from_pairs(pairs)
}

#[test]
fn agent_handoff_needs_no_bot_sla_or_scheduler_settings() {
    let handoff = "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-handoff.fifo";
    let topic = "arn:aws:sns:eu-central-1:000000000000:helpdesk-sla-alerts";
    let pairs = [
        (HELPDESK_TABLE, "helpdesk"),
        (HELPDESK_HANDOFF_QUEUE_URL, handoff),
        (WHATSAPP_ACCESS_TOKEN, "token"),
        (HELPDESK_SLA_TOPIC_ARN, topic),
    ];
    let settings = HandoffSettings::from_env(&Env::from_pairs(pairs)).unwrap();
    assert_eq!(settings.handoff_queue_url, handoff);
    assert_eq!(settings.whatsapp.api_version, DEFAULT_WHATSAPP_API_VERSION);
    assert!(settings.routing.is_none());

    // The topic is where agents hear of assignments: without it the function does not start.
    let without_topic = Env::from_pairs(
        pairs
            .into_iter()
            .filter(|(k, _)| *k != HELPDESK_SLA_TOPIC_ARN),
    );
    let err = HandoffSettings::from_env(&without_topic).unwrap_err();
    assert!(err.to_string().contains(HELPDESK_SLA_TOPIC_ARN), "{err}");
}

#[test]
fn the_business_account_id_is_optional_and_must_be_digits() {
    let with = |id: Option<&str>| {
        let mut pairs = vec![(WHATSAPP_ACCESS_TOKEN, "token")];
        if let Some(id) = id {
            pairs.push((WHATSAPP_BUSINESS_ACCOUNT_ID, id));
        }
        WhatsAppSettings::from_env(&Env::from_pairs(pairs))
    };
    assert_eq!(with(None).unwrap().business_account_id, None);
    assert_eq!(with(Some("")).unwrap().business_account_id, None);
    assert_eq!(
        with(Some("102290129340398"))
            .unwrap()
            .business_account_id
            .as_deref(),
        Some("102290129340398")
    );
    for bad in ["waba-1", "12", "1234567890123456789012", "1029 0129"] {
        let err = with(Some(bad)).unwrap_err().to_string();
        assert!(err.contains(WHATSAPP_BUSINESS_ACCOUNT_ID), "{bad}: {err}");
    }
}

#[test]
fn the_agent_api_reads_no_bot_settings() {
    let pairs = [
        (HELPDESK_TABLE, "helpdesk"),
        (
            HELPDESK_HANDOFF_QUEUE_URL,
            "https://sqs.eu-central-1.amazonaws.com/000000000000/helpdesk-handoff.fifo",
        ),
        (WHATSAPP_ACCESS_TOKEN, "token"),
        (
            HELPDESK_SLA_QUEUE_ARN,
            "arn:aws:sqs:eu-central-1:000000000000:helpdesk-sla",
        ),
        (
            HELPDESK_SCHEDULER_ROLE_ARN,
            "arn:aws:iam::000000000000:role/helpdesk-scheduler",
        ),
        (
            HELPDESK_SLA_TOPIC_ARN,
            "arn:aws:sns:eu-central-1:000000000000:helpdesk-sla-alerts",
        ),
        (HELPDESK_API_AUTH, "jwt"),
        // Settings only the bot reads, broken: the agent API starts regardless.
        (HELPDESK_ORDER_API_URL, "order-api"),
        (WHATSAPP_REENGAGEMENT_TEMPLATE, "no language"),
    ];
    let env = Env::from_pairs(pairs);
    assert!(BotReplySettings::from_env(&env).is_err());
    let settings = AgentApiSettings::from_env(&env).unwrap();
    assert_eq!(settings.desk.table, "helpdesk");
    assert!(settings.desk.ports(None).orders.is_none());
}

#[tokio::test]
async fn a_complete_environment_parses_with_a_24_hour_default_window() {
    let config = IntakeSettings::from_env(&env(&[]))
        .unwrap()
        .resolve(None)
        .await
        .unwrap();
    assert_eq!(config.table, "helpdesk");
    assert_eq!(config.window, ConversationWindow::default());
    assert_eq!(config.app_secret.expose_secret(), "s3cret-app");
}

#[test]
fn each_missing_variable_is_named() {
    for name in [
        WHATSAPP_APP_SECRET,
        WHATSAPP_VERIFY_TOKEN,
        HELPDESK_TABLE,
        HELPDESK_INBOUND_QUEUE_URL,
    ] {
        let err = IntakeSettings::from_env(&env(&[(name, "")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing { name });
        assert_eq!(err.to_string(), format!("{name} is not set"));
    }
}

#[test]
fn bad_values_say_what_is_wrong() {
    let cases: [(&'static str, &'static str, &str); 5] = [
        (
            HELPDESK_CONVERSATION_WINDOW_HOURS,
            "a day",
            "is not a whole number",
        ),
        (
            HELPDESK_CONVERSATION_WINDOW_HOURS,
            "500",
            "between 1 and 168 hours",
        ),
        (
            HELPDESK_INBOUND_QUEUE_URL,
            "https://sqs/q",
            "must be a FIFO queue",
        ),
        (HELPDESK_TABLE, "a b", "letters, digits"),
        (WHATSAPP_APP_SECRET, " secret", "white space"),
    ];
    for (name, value, expected) in cases {
        let err = IntakeSettings::from_env(&env(&[(name, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(name), "{err}");
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn retention_defaults_to_a_year_of_data_and_three_years_of_proof_and_both_are_configurable() {
    let s = IntakeSettings::from_env(&env(&[])).unwrap();
    assert_eq!(s.retention.data, jiff::SignedDuration::from_hours(365 * 24));
    assert_eq!(
        s.retention.proof,
        jiff::SignedDuration::from_hours(1095 * 24)
    );
    let s = IntakeSettings::from_env(&env(&[
        (HELPDESK_RETENTION_DAYS, "90"),
        (HELPDESK_PROOF_RETENTION_DAYS, "1825"),
    ]))
    .unwrap();
    assert_eq!(s.retention.data, jiff::SignedDuration::from_hours(90 * 24));
    assert_eq!(
        s.retention.proof,
        jiff::SignedDuration::from_hours(1825 * 24)
    );
    for (name, bad) in [
        (HELPDESK_RETENTION_DAYS, "0"),
        (HELPDESK_PROOF_RETENTION_DAYS, "forever"),
    ] {
        let err = IntakeSettings::from_env(&env(&[(name, bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(name) && err.contains("between 1 and 3650"),
            "{err}"
        );
    }
}

#[test]
fn the_window_accepts_48_hours() {
    let s = IntakeSettings::from_env(&env(&[(HELPDESK_CONVERSATION_WINDOW_HOURS, "48")])).unwrap();
    assert_eq!(s.window, ConversationWindow::from_hours(48).unwrap());
}

#[tokio::test]
async fn an_ssm_reference_needs_aws_to_resolve() {
    let s = IntakeSettings::from_env(&env(&[(WHATSAPP_APP_SECRET, "ssm:/helpdesk/app-secret")]))
        .unwrap();
    assert!(s.needs_ssm());
    let err = s.resolve(None).await.unwrap_err().to_string();
    assert!(
        err.contains("WHATSAPP_APP_SECRET") && err.contains("/helpdesk/app-secret"),
        "{err}"
    );
}

#[test]
fn the_environment_prints_names_not_values() {
    let printed = format!("{:?}", env(&[]));
    assert!(
        printed.contains("WHATSAPP_APP_SECRET") && !printed.contains("s3cret-app"),
        "{printed}"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let s = IntakeSettings::from_env(&env(&[])).unwrap();
    let printed = format!("{s:?}");
    assert!(
        !printed.contains("s3cret-app") && !printed.contains("verify-me"),
        "{printed}"
    );
}

#[test]
fn the_configuration_check_interval_is_1_to_30_seconds_and_named_when_wrong() {
    let env = |v: &str| Env::from_pairs([(HELPDESK_CONFIG_CHECK_SECONDS, v)]);
    assert_eq!(config_check_every(&Env::default()).unwrap(), None);
    assert_eq!(
        config_check_every(&env("2")).unwrap(),
        Some(jiff::SignedDuration::from_secs(2))
    );
    for bad in ["0", "31", "1.5", "soon"] {
        let err = config_check_every(&env(bad)).unwrap_err().to_string();
        assert!(
            err.starts_with("HELPDESK_CONFIG_CHECK_SECONDS is invalid"),
            "{err}"
        );
    }
}

#[test]
fn media_settings_are_checked_and_named() {
    let default = media_policy(&Env::default()).unwrap();
    assert!(default.allowed.contains(&"application/pdf".to_owned()));
    let custom = media_policy(&Env::from_pairs([
        (HELPDESK_MEDIA_TYPES, "image/png, Application/PDF"),
        (HELPDESK_MEDIA_MAX_BYTES, "1048576"),
        (
            HELPDESK_MEDIA_DOWNLOAD_HOSTS,
            "*.fbsbx.com, http://127.0.0.1:8080/",
        ),
    ]))
    .unwrap();
    assert_eq!(custom.allowed, ["image/png", "application/pdf"]);
    assert_eq!(custom.max_bytes, 1_048_576);
    assert_eq!(
        custom.download_hosts,
        ["*.fbsbx.com", "http://127.0.0.1:8080"]
    );
    assert_eq!(
        default.download_hosts,
        crate::ports::media::META_MEDIA_HOSTS,
        "Meta's hosts unless configured"
    );
    for (name, value) in [
        (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "evil.example/path"),
        (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "ftp://127.0.0.1"),
        (HELPDESK_MEDIA_DOWNLOAD_HOSTS, "http://127.0.0.1:port"),
        (HELPDESK_MEDIA_DOWNLOAD_HOSTS, ","),
        (HELPDESK_MEDIA_TYPES, "png"),
        (HELPDESK_MEDIA_TYPES, " , "),
        (HELPDESK_MEDIA_MAX_BYTES, "lots"),
        (HELPDESK_MEDIA_MAX_BYTES, "0"),
    ] {
        let err = media_policy(&Env::from_pairs([(name, value)])).unwrap_err();
        assert!(err.to_string().starts_with(name), "{err}");
    }
}
