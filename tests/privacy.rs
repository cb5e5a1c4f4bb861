//! Data requests against the emulators (DynamoDB Local with the customer index, moto S3): after
//! an erasure, a scan of the whole table and the bucket finds nothing of the customer (number,
//! texts, wamids, media), other customers are untouched, and the analytics counters remain.
//! Every item that names a customer carries a TTL within its retention, and the audit of the
//! export and the erasure outlives the erasure without naming the number.

use aws_sdk_dynamodb::types::AttributeValue;
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk::domain::ids::WaId;
use helpdesk_tests::Stack;
use helpdesk_tests::stubs::WhatsAppStub;
use jiff::Timestamp;
use serde_json::json;

const ANNA: &str = "4915112345678";
const BEN: &str = "4917600000001";

async fn writes(stack: &Stack, wa_id: &str, wamid: &str, text: &str) {
    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id,
            profile_name: if wa_id == ANNA { "Anna Kundin" } else { "Ben" },
            wamid,
            timestamp: Timestamp::now().as_second(),
            body: text,
        }],
    );
    deliver(stack, &body).await;
}

async fn deliver(stack: &Stack, body: &str) {
    stack.deliver_to_bot(body).await;
}

async fn everything(stack: &Stack) -> String {
    format!("{:?}", items(stack).await)
}

type Item = std::collections::HashMap<String, AttributeValue>;

async fn items(stack: &Stack) -> Vec<Item> {
    stack.scan().await
}

fn text(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        other => panic!("{name} is {other:?} in {item:?}"),
    }
}

/// Every item but the agents', the anonymous counters' (ticket stats, the live console's
/// desk counter) and the configuration documents' (with their audit
/// entries, which name agents, never customers) expires within its retention: the
/// conversation data within `HELPDESK_RETENTION_DAYS` (365), consent and audit within
/// `HELPDESK_PROOF_RETENTION_DAYS` (1095).
fn assert_every_customer_item_expires(items: &[Item], kinds_seen: &[&str]) {
    let now = Timestamp::now().as_second();
    let day = 24 * 3600;
    let mut kinds = std::collections::BTreeSet::new();
    for item in items {
        let pk = text(item, "PK");
        let sk = text(item, "SK");
        let no_customer_data = pk.starts_with("AGENT")
            || pk.starts_with("STATS")
            || pk.starts_with("CONFIG#")
            || pk == "CHANGES"
            // Saved views and personal canned responses name agents and teams only.
            || pk.starts_with("OWNED#")
            || (pk.starts_with("AUDIT#") && sk.starts_with("CFG#"));
        if no_customer_data {
            continue;
        }
        let expires: i64 = match item.get("expires_at") {
            Some(AttributeValue::N(n)) => n.parse().unwrap(),
            other => panic!("{pk} / {sk} never expires ({other:?}): {item:?}"),
        };
        let proof = sk == "CONSENT" || pk.starts_with("AUDIT#");
        let (min, max) = if proof { (1000, 1096) } else { (1, 366) };
        assert!(
            expires > now + min * day && expires <= now + max * day,
            "{pk} / {sk} expires at {expires}, not within {min}..{max} days"
        );
        kinds
            .insert(pk.split('#').next().unwrap().to_owned() + "/" + sk.split('#').next().unwrap());
    }
    for kind in kinds_seen {
        assert!(
            kinds.contains(*kind),
            "no {kind} item was checked: {kinds:?}"
        );
    }
}

#[tokio::test]
async fn an_erased_customer_leaves_no_trace_in_the_table_or_the_bucket() {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_whatsapp(&whatsapp.url).await;
    writes(&stack, ANNA, "wamid.gdpr1", "START").await;
    writes(
        &stack,
        ANNA,
        "wamid.gdpr2",
        "Wo ist mein Paket? Ich wohne in der Lindenstraße 5",
    )
    .await;
    whatsapp.add_media("m-gdpr", "image/png", b"\x89PNG a photo");
    let photo = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Anna Kundin"}, "wa_id": ANNA}],
            "messages": [{"from": ANNA, "id": "wamid.gdpr3",
                "timestamp": Timestamp::now().as_second().to_string(), "type": "image",
                "image": {"id": "m-gdpr", "mime_type": "image/png"}}]
        }}]}]
    });
    deliver(&stack, &photo.to_string()).await;
    writes(&stack, BEN, "wamid.ben1", "Hallo, hier ist Ben").await;
    let before = everything(&stack).await;
    assert!(before.contains("Lindenstraße") && before.contains(ANNA));
    assert_every_customer_item_expires(
        &items(&stack).await,
        &[
            "TICKET/META",
            "TICKET/MSG",
            "CONV/OPEN",
            "CUST/PROFILE",
            "CUST/CONSENT",
            "WAMID/SEEN",
        ],
    );

    let privacy = helpdesk::platform::wiring::privacy(&stack.env, &stack.aws).unwrap();
    let anna = WaId::parse(ANNA).unwrap();
    let export = privacy.export(&anna, "cli:dpo").await.unwrap();
    assert!(export.to_string().contains("Lindenstraße"));
    assert_eq!(export["consent"]["opted_in"], true);

    let erased = privacy.erase(&anna, "cli:dpo").await.unwrap();
    assert_eq!((erased.tickets, erased.media_files), (1, 1), "{erased:?}");
    let audit_days = erased
        .remains
        .iter()
        .find(|r| r.place.contains("audit"))
        .and_then(|r| r.days);
    assert_eq!(audit_days, Some(1095), "{erased:?}");

    let after = everything(&stack).await;
    for trace in [
        ANNA,
        "Lindenstraße",
        "wamid.gdpr1",
        "wamid.gdpr2",
        "wamid.gdpr3",
        "Anna Kundin",
    ] {
        assert!(!after.contains(trace), "{trace} is still in the table");
    }
    assert!(after.contains("Hallo, hier ist Ben"), "Ben's data stays");
    assert!(after.contains("STATS#"), "anonymous counters stay");
    assert_eq!(stack.media_objects().await, 0, "the photo is gone");
    assert_eq!(
        privacy.export(&anna, "cli:dpo").await.unwrap()["tickets"],
        json!([]),
        "an export after erasure is empty"
    );
    // The audit outlives the erasure: three requests, by digest, with a TTL of their own
    // (beside them the configuration changes' entries, `CFG#…`, which name no customer).
    let all = items(&stack).await;
    let audit: Vec<&Item> = all
        .iter()
        .filter(|i| text(i, "PK").starts_with("AUDIT#") && !text(i, "SK").starts_with("CFG#"))
        .collect();
    let filed: Vec<(String, String, String)> = audit
        .iter()
        .map(|i| (text(i, "actor"), text(i, "action"), text(i, "customer")))
        .collect();
    let digest = anna.digest();
    assert_eq!(
        filed,
        [
            ("cli:dpo".into(), "export".into(), digest.clone()),
            ("cli:dpo".into(), "erase".into(), digest.clone()),
            ("cli:dpo".into(), "export".into(), digest.clone()),
        ]
    );
    assert!(!format!("{audit:?}").contains(ANNA));
    assert_every_customer_item_expires(&all, &["AUDIT/REC", "TICKET/META"]);
    // (Yesterday too: the requests may have run just before midnight UTC.)
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    let now = Timestamp::now();
    let days = [day(now - jiff::SignedDuration::from_hours(24)), day(now)];
    assert_eq!(
        privacy.audit_log(&days, Some(&anna)).await.unwrap().len(),
        3
    );
}
