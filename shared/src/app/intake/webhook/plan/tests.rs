use super::*;
use crate::app::intake::webhook::sample;
use proptest::prelude::*;

const ALL_TYPES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/all_message_types.json"
));
const MULTI: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/multi_entry_batch.json"
));
const STATUSES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/statuses.json"
));

fn kinds(plan: &IntakePlan<'_>) -> Vec<String> {
    plan.conversations[0]
        .messages
        .iter()
        .map(|m| m.content.kind().to_owned())
        .collect()
}

#[test]
fn every_documented_message_type_parses_into_its_variant() {
    let plan = plan(ALL_TYPES.as_bytes()).unwrap();
    assert_eq!(plan.conversations.len(), 1);
    assert_eq!(
        kinds(&plan),
        [
            "text",
            "button_reply",
            "list_reply",
            "quick_reply",
            "image",
            "document",
            "audio",
            "video",
            "sticker",
            "location",
            "contacts",
            "reaction",
            "order",
            "system",
            "unsupported",
            "unknown"
        ]
    );
    let m = &plan.conversations[0].messages;
    assert_eq!(
        m[0].content.text(),
        Some("Wo ist mein Paket? \"Bestellung\" 12345 ü")
    );
    assert_eq!(
        m[1].context
            .as_ref()
            .and_then(|c| c.id.as_ref())
            .map(Str::as_str),
        Some("wamid.OUT01")
    );
    assert_eq!(m[1].content.text(), Some("Bestellstatus"));
    assert_eq!(
        m[4].content.media().map(|x| x.id.as_str()),
        Some("1234567890")
    );
    assert_eq!(m[4].content.text(), Some("Beschädigt angekommen"));
    assert!(matches!(&m[9].content, Content::Location(l) if (l.latitude - 52.520008).abs() < 1e-9));
    assert!(
        matches!(&m[11].content, Content::Reaction { emoji: Some(e), .. } if e.as_str() == "👍")
    );
    assert!(matches!(&m[14].content, Content::Unsupported { errors } if errors[0].code == 131051));
}

#[test]
fn an_unknown_type_is_kept_with_its_raw_content() {
    let plan = plan(ALL_TYPES.as_bytes()).unwrap();
    let last = plan.conversations[0].messages.last().unwrap();
    match &last.content {
        Content::Unknown { type_name, raw } => {
            assert_eq!(type_name.as_str(), "hologram");
            assert_eq!(raw.as_ref().unwrap()["frames"], 3);
        }
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn stored_content_round_trips_through_json() {
    let plan = plan(ALL_TYPES.as_bytes()).unwrap();
    for m in &plan.conversations[0].messages {
        let json = serde_json::to_string(&m.content).unwrap();
        let back: Content<'_> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m.content, "{json}");
    }
}

#[test]
fn a_batch_is_split_by_conversation_and_ordered_by_customer_time() {
    let plan = plan(MULTI.as_bytes()).unwrap();
    assert_eq!(plan.summary.entries, 2);
    assert_eq!(plan.summary.changes, 3);
    assert_eq!(plan.summary.ignored_changes, 1);
    assert_eq!(plan.summary.messages, 4);
    assert_eq!(
        plan.conversations.len(),
        3,
        "same customer on two business numbers is two conversations"
    );
    let anna = &plan.conversations[0];
    assert_eq!(anna.key.wa_id.as_str(), "4915112345678");
    assert_eq!(anna.profile_name.as_deref(), Some("Anna"));
    let wamids: Vec<&str> = anna.messages.iter().map(|m| m.wamid.as_str()).collect();
    assert_eq!(wamids, ["wamid.A1", "wamid.A2"]);
    assert_eq!(
        plan.conversations[2].key.phone_number_id.as_str(),
        "106540352242923"
    );
    assert_eq!(plan.statuses.len(), 1);
}

#[test]
fn statuses_are_typed_and_unknown_states_counted_not_failed() {
    let plan = plan(STATUSES.as_bytes()).unwrap();
    assert_eq!(plan.summary.statuses, 6);
    assert_eq!(plan.summary.ignored_statuses, 1);
    let states: Vec<_> = plan.statuses.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            DeliveryState::Sent,
            DeliveryState::Delivered,
            DeliveryState::Read,
            DeliveryState::Failed,
            DeliveryState::Delivered
        ]
    );
    let failed = &plan.statuses[3];
    assert_eq!(failed.errors[0].code, 131047);
    assert_eq!(
        plan.statuses[0].pricing_category.as_ref().map(Str::as_str),
        Some("service")
    );
}

#[test]
fn a_repeated_wamid_in_one_body_is_planned_once() {
    let body = sample::text_notification(
        "1065",
        &[
            sample::SampleText {
                wa_id: "4915112345678",
                profile_name: "A",
                wamid: "wamid.X",
                timestamp: 1,
                body: "a",
            },
            sample::SampleText {
                wa_id: "4915112345678",
                profile_name: "A",
                wamid: "wamid.X",
                timestamp: 1,
                body: "a",
            },
        ],
    );
    let plan = plan(body.as_bytes()).unwrap();
    assert_eq!(plan.message_count(), 1);
    assert_eq!(plan.summary.repeated_in_body, 1);
}

#[test]
fn rejections_name_what_is_wrong() {
    let cases: [(&str, &str); 6] = [
        ("not json", "not valid JSON"),
        (r#"{"object":"page","entry":[]}"#, "\"page\""),
        (
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]}"#,
            "entry[0].changes[0].value: missing",
        ),
        (
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"x1"}}}]}]}"#,
            "entry[0].changes[0].value.metadata.phone_number_id: must contain only digits",
        ),
        (
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"wamid.1","timestamp":"1","type":"text"}]}}]}]}"#,
            "messages[0].from: missing",
        ),
        (
            r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"wamid.1","from":"4915112345678","timestamp":"yesterday","type":"text"}]}}]}]}"#,
            "messages[0].timestamp: not a unix time",
        ),
    ];
    for (body, expected) in cases {
        let err = plan(body.as_bytes()).unwrap_err().to_string();
        assert!(err.contains(expected), "{body} -> {err}");
    }
}

#[test]
fn another_fields_value_that_clashes_with_the_messages_shape_is_still_read() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[
        {"value":{"messages":"not a list"},"field":"some_future_field"},
        {"value":{"metadata":{"phone_number_id":"1065"},"messages":[{"from":"4915112345678","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"hi"}}]},"field":"messages"}
    ]}]}"#;
    let plan = plan(body).unwrap();
    assert_eq!(plan.summary.ignored_changes, 1);
    assert_eq!(plan.message_count(), 1);
}

#[test]
fn a_timestamp_sent_as_a_number_is_read_like_a_string() {
    // Meta sends strings; `Str` promises to take numbers too rather than fail the batch.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1065"},"messages":[{"from":"4915112345678","id":"wamid.1","timestamp":1764061200,"type":"text","text":{"body":"hi"}}],"statuses":[{"id":"wamid.2","status":"read","timestamp":-1}]}}]}]}"#;
    let plan = plan(body).unwrap();
    assert_eq!(
        plan.conversations[0].messages[0].sent_at,
        Timestamp::from_second(1_764_061_200).unwrap()
    );
    assert_eq!(plan.statuses[0].at, Timestamp::from_second(-1).unwrap());
}

#[test]
fn the_redacted_error_keeps_no_value_from_the_body() {
    let bodies: [&[u8]; 4] = [
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":"Hallo \"4915112345678\" Geheimweg"}}]}]}"#,
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":4915112345678.5}]}}]}]}"#,
        br#"{"object":"4915112345678","entry":[]}"#,
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"x4915112345678","id":"wamid.1","timestamp":"1"}]}}]}]}"#,
    ];
    for body in bodies {
        let e = plan(body).unwrap_err();
        let redacted = e.redacted();
        assert!(!redacted.contains("4915112345678"), "{redacted}");
        assert!(!redacted.contains("Geheimweg"), "{redacted}");
        assert!(
            redacted.contains("entry[0]") || redacted.contains("object"),
            "still says where: {redacted}"
        );
    }
}

#[test]
fn an_empty_notification_plans_nothing() {
    let plan = plan(br#"{"object":"whatsapp_business_account","entry":[]}"#).unwrap();
    assert_eq!(plan, IntakePlan::default());
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z0-9.#]{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("messages"),
            Just("text"),
            Just("wamid.1"),
            Just("4915112345678"),
            Just("whatsapp_business_account")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop_oneof![
            Just("object".to_owned()),
            Just("entry".to_owned()),
            Just("changes".to_owned()),
            Just("field".to_owned()),
            Just("value".to_owned()),
            Just("metadata".to_owned()),
            Just("phone_number_id".to_owned()),
            Just("messages".to_owned()),
            Just("statuses".to_owned()),
            Just("from".to_owned()),
            Just("id".to_owned()),
            Just("timestamp".to_owned()),
            Just("type".to_owned()),
            Just("text".to_owned()),
            Just("body".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = plan(&bytes);
    }

    #[test]
    fn random_json_in_the_webhook_shape_never_panics(v in arb_json()) {
        let _ = plan(v.to_string().as_bytes());
        let wrapped = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": v}]}]});
        let _ = plan(wrapped.to_string().as_bytes());
    }

    #[test]
    fn the_one_pass_plan_is_the_exact_plan_or_leaves_the_body_to_it(v in arb_json()) {
        let wrapped = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": v}]}]});
        for body in [v.to_string(), wrapped.to_string()] {
            if let Some(fast) = one_pass::plan(&body) {
                prop_assert_eq!(Ok(fast), exact(&body));
            }
        }
    }
}

fn both_paths(body: &str) -> IntakePlan<'_> {
    let exact = exact(body).expect("a valid body");
    let fast =
        one_pass::plan(body).unwrap_or_else(|| panic!("the one pass reads a valid body: {body}"));
    assert_eq!(fast, exact, "{body}");
    fast
}

#[test]
fn the_one_pass_and_the_exact_path_plan_every_valid_body_alike() {
    let message = sample::SampleText {
        wa_id: "4915112345678",
        profile_name: "Kundin",
        wamid: "wamid.one",
        timestamp: 1_764_061_200,
        body: "Wo ist mein \"Paket\"?\n",
    };
    let status = sample::SampleStatus {
        wamid: "wamid.out",
        status: "read",
        recipient: "4915112345678",
        timestamp: 1_764_061_300,
    };
    for body in [
        ALL_TYPES.to_owned(),
        MULTI.to_owned(),
        STATUSES.to_owned(),
        sample::many_customers(50, 1_764_061_200),
        sample::text_notification("106540352242922", std::slice::from_ref(&message)),
        sample::button_reply_notification("106540352242922", &message, "menu.orders"),
        sample::status_notification("106540352242922", &[status]),
    ] {
        both_paths(&body);
        // The same keys in alphabetical order: `metadata` after `contacts` and `messages`.
        let reordered = serde_json::from_str::<serde_json::Value>(&body)
            .expect("JSON")
            .to_string();
        assert_eq!(both_paths(&reordered), both_paths(&body));
    }
}

#[test]
fn key_order_and_other_fields_do_not_change_the_one_pass_plan() {
    // `object` last, an account update before the messages (its value first, then its
    // field), `field` before `value`, and keys nobody knows.
    let body = r#"{"entry":[{"changes":[
        {"value":{"event":"VERIFIED","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE"}},"field":"account_update"},
        {"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},
         "messages":[{"from":"4915112345678","id":"wamid.a","timestamp":"1764061200",
         "type":"text","text":{"body":"Hallo"}}]},"extra":1}],"id":"1","x":[]}],
        "object":"whatsapp_business_account","y":{}}"#;
    let plan = both_paths(body);
    assert_eq!(plan.message_count(), 1);
    assert_eq!(plan.summary.ignored_changes, 1);

    // Another field's value written before its field, shaped like messages: what it added
    // is taken back.
    let lookalike = body.replace(
        r#"{"event":"VERIFIED","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE"}}"#,
        r#"{"metadata":{"phone_number_id":"1"},"messages":[{"from":"4917600000001","id":"wamid.x","timestamp":"1","type":"text","text":{"body":"x"}}],"statuses":[{"id":"wamid.y","status":"read","timestamp":"1"}],"errors":[{"code":1}]}"#,
    );
    assert_eq!(both_paths(&lookalike), plan);

    // ... and one that does not read as a messages value leaves the body to the exact path.
    let clash = body.replace(r#""event":"VERIFIED""#, r#""messages":"not a list""#);
    assert!(one_pass::plan(&clash).is_none());
    assert_eq!(super::plan(clash.as_bytes()), Ok(plan));
}

#[test]
fn bodies_the_one_pass_leaves_get_the_exact_paths_error() {
    let message = r#"{"from":"4915112345678","id":"wamid.a","timestamp":"1764061200","type":"text","text":{"body":"Hi"}}"#;
    let value = |messages: &str| {
        format!(r#"{{"metadata":{{"phone_number_id":"106540352242922"}},"messages":[{messages}]}}"#)
    };
    let notification = |object: &str, value: &str| {
        format!(
            r#"{{"object":"{object}","entry":[{{"changes":[{{"value":{value},"field":"messages"}}]}}]}}"#
        )
    };
    let cases = [
        notification("page", &value(message)),
        notification(
            "whatsapp_business_account",
            &value(&message.replace("4915112345678", "+49 151")),
        ),
        notification("whatsapp_business_account", "null"),
        r#"{"object":"whatsapp_business_account","object":"whatsapp_business_account","entry":[]}"#
            .to_owned(),
        r#"{"entry":[]}"#.to_owned(),
    ];
    for body in &cases {
        assert!(one_pass::plan(body).is_none(), "{body}");
        let expected = exact(body);
        assert!(expected.is_err(), "{body}");
        assert_eq!(super::plan(body.as_bytes()), expected);
    }
}
