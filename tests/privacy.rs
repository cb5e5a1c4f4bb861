//! Data requests against the emulators (DynamoDB Local with the customer index, moto S3): after
//! an erasure, a scan of the whole table and the bucket finds nothing of the customer (number,
//! texts, wamids, media), other customers are untouched, and the analytics counters remain.

use helpdesk::ids::WaId;
use helpdesk::webhook::sample::{SampleText, text_notification};
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
    let items = stack
        .aws
        .dynamodb()
        .scan()
        .table_name(&stack.resources.table)
        .send()
        .await
        .unwrap();
    format!("{:?}", items.items())
}

#[tokio::test]
async fn an_erased_customer_leaves_no_trace_in_the_table_or_the_bucket() {
    helpdesk::telemetry::init();
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

    let privacy = helpdesk::wiring::privacy(&stack.env, &stack.aws).unwrap();
    let anna = WaId::parse(ANNA).unwrap();
    let export = privacy.export(&anna).await.unwrap();
    assert!(export.to_string().contains("Lindenstraße"));
    assert_eq!(export["consent"]["opted_in"], true);

    let erased = privacy.erase(&anna).await.unwrap();
    assert_eq!((erased.tickets, erased.media_files), (1, 1), "{erased:?}");

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
        privacy.export(&anna).await.unwrap()["tickets"],
        json!([]),
        "an export after erasure is empty"
    );
}
