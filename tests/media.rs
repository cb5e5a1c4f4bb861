//! Customers' media against the emulators: bot-reply (production wiring) fetches the file
//! through the Cloud API media endpoint (a stub that answers as Meta does), checks it, keeps it
//! in S3 (moto) with server-side encryption and links it on the message; the agent API hands
//! out a presigned link. Files of a type not allowed are refused and recorded, not retried.

use helpdesk::app::agent_api::{AgentApi, ApiRequest};
use helpdesk_tests::api::{CallApi, api_keys};
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, s};
use jiff::Timestamp;
use serde_json::json;

const NUMBER: &str = "106540352242922";

fn media_webhook(wamid: &str, kind: &str, media_id: &str, mime: &str) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": NUMBER},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "4915112345678"}],
            "messages": [{"from": "4915112345678", "id": wamid,
                "timestamp": Timestamp::now().as_second().to_string(), "type": kind,
                kind: {"id": media_id, "mime_type": mime, "caption": "Das kam kaputt an"}}]
        }}]}]
    })
    .to_string()
}

async fn setup() -> (Stack, WhatsAppStub) {
    let whatsapp = WhatsAppStub::start().await;
    // The stub's loopback origin is allowed explicitly, as the local runner allows its own.
    let stack = stack_with(
        &whatsapp,
        &[("HELPDESK_MEDIA_DOWNLOAD_HOSTS", &whatsapp.url)],
    )
    .await;
    (stack, whatsapp)
}

async fn stack_with(whatsapp: &WhatsAppStub, extra: &[(&str, &str)]) -> Stack {
    helpdesk::platform::telemetry::init();
    let keys = api_keys(&[("maria", "supervisor")]);
    let mut env = vec![
        ("WHATSAPP_ACCESS_TOKEN", "t"),
        ("WHATSAPP_API_BASE_URL", whatsapp.url.as_str()),
        ("HELPDESK_API_AUTH", "api_keys"),
        ("HELPDESK_API_KEYS", keys.as_str()),
        ("HELPDESK_MEDIA_MAX_BYTES", "1024"),
    ];
    env.extend_from_slice(extra);
    Stack::with_env(&env).await
}

#[tokio::test]
async fn a_media_url_off_metas_hosts_gets_no_token_and_the_file_is_refused() {
    let whatsapp = WhatsAppStub::start().await;
    // Meta's hosts only (the default): the stub's url is plain http on loopback.
    let stack = stack_with(&whatsapp, &[]).await;
    whatsapp.add_media("m-photo-2", "image/png", b"\x89PNG\r\n\x1a\n a photo");
    deliver(
        &stack,
        &media_webhook("wamid.media2", "image", "m-photo-2", "image/png"),
    )
    .await;
    assert!(
        whatsapp.downloads().is_empty(),
        "nothing was fetched from it"
    );
    let message = stack
        .items("message")
        .await
        .into_iter()
        .find(|m| s(m, "wamid") == "wamid.media2")
        .unwrap();
    let media: serde_json::Value = serde_json::from_str(s(&message, "media")).unwrap();
    assert!(media["key"].is_null());
    assert!(
        media["refused"]
            .as_str()
            .unwrap()
            .contains("not on an allowed download host"),
        "{media}"
    );
    assert_eq!(stack.media_objects().await, 0);
    assert!(!whatsapp.texts().is_empty(), "the bot still answered");
}

#[tokio::test]
async fn a_file_is_stored_as_the_type_its_bytes_show() {
    let (stack, whatsapp) = setup().await;
    // Sent as a PNG, but a JPEG: agents' browsers get the type of what they open.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    whatsapp.add_media("m-photo-3", "image/png", &jpeg);
    deliver(
        &stack,
        &media_webhook("wamid.media3", "image", "m-photo-3", "image/png"),
    )
    .await;
    let message = stack
        .items("message")
        .await
        .into_iter()
        .find(|m| s(m, "wamid") == "wamid.media3")
        .unwrap();
    let media: serde_json::Value = serde_json::from_str(s(&message, "media")).unwrap();
    assert_eq!(media["mime_type"], "image/jpeg", "{media}");
    let object = stack
        .aws
        .s3()
        .get_object()
        .bucket(&stack.resources.media_bucket)
        .key(media["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("image/jpeg"));
}

async fn deliver(stack: &Stack, body: &str) {
    stack.deliver_to_bot(body).await;
}

#[tokio::test]
async fn a_customers_photo_is_kept_encrypted_in_s3_and_linked_for_agents() {
    let (stack, whatsapp) = setup().await;
    let photo = b"\x89PNG\r\n\x1a\n a small photo of a broken parcel";
    whatsapp.add_media("m-photo-1", "image/png", photo);
    deliver(
        &stack,
        &media_webhook("wamid.media1", "image", "m-photo-1", "image/png"),
    )
    .await;

    let message = stack
        .items("message")
        .await
        .into_iter()
        .find(|m| s(m, "wamid") == "wamid.media1")
        .unwrap();
    let media: serde_json::Value = serde_json::from_str(s(&message, "media")).unwrap();
    let key = media["key"].as_str().unwrap();
    assert_eq!(media["mime_type"], "image/png");
    let object = stack
        .aws
        .s3()
        .get_object()
        .bucket(&stack.resources.media_bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object.server_side_encryption().map(|e| e.as_str()),
        Some("AES256")
    );
    assert_eq!(object.content_type(), Some("image/png"));
    let bytes = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], photo);

    // The agent API links the file (a presigned GET on the bucket).
    stack.seed_demo_agents().await;
    let api = stack.agent_api().await;
    let ticket = s(&stack.items("ticket").await[0], "ticket_id").to_owned();
    let r = api
        .call(
            Some("key-maria"),
            "GET",
            &format!("/tickets/{ticket}"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.body["messages"][0]["media"]["url"].as_str().unwrap();
    assert!(url.contains(&stack.resources.media_bucket), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");

    // A redelivery does not fetch again.
    let lookups = whatsapp
        .received()
        .iter()
        .filter(|r| r.path.contains("m-photo-1"))
        .count();
    deliver(
        &stack,
        &media_webhook("wamid.media1", "image", "m-photo-1", "image/png"),
    )
    .await;
    assert_eq!(
        whatsapp
            .received()
            .iter()
            .filter(|r| r.path.contains("m-photo-1"))
            .count(),
        lookups
    );
}

#[tokio::test]
async fn a_file_of_a_forbidden_type_or_size_is_refused_and_the_bot_still_answers() {
    let (stack, whatsapp) = setup().await;
    whatsapp.add_media("m-exe", "application/x-msdownload", b"MZ...");
    whatsapp.add_media("m-big", "application/pdf", &[b'%'; 4096]);
    deliver(
        &stack,
        &media_webhook("wamid.exe", "document", "m-exe", "application/x-msdownload"),
    )
    .await;
    deliver(
        &stack,
        &media_webhook("wamid.big", "document", "m-big", "application/pdf"),
    )
    .await;
    let messages = stack.items("message").await;
    for (wamid, why) in [("wamid.exe", "not allowed"), ("wamid.big", "more than")] {
        let m = messages.iter().find(|m| s(m, "wamid") == wamid).unwrap();
        let media: serde_json::Value = serde_json::from_str(s(m, "media")).unwrap();
        assert!(media["key"].is_null());
        assert!(media["refused"].as_str().unwrap().contains(why), "{media}");
    }
    assert_eq!(stack.media_objects().await, 0, "nothing kept");
    assert!(!whatsapp.texts().is_empty(), "the bot answered");
}

/// Somewhere `needle` starts in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A small valid PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/// Anna writes, which opens her ticket; the agent API with the demo agents, and the ticket's id.
async fn invoice_ticket(stack: &Stack, wamid: &str) -> (AgentApi, String) {
    stack.seed_demo_agents().await;
    let text = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": NUMBER},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "4915112345678"}],
            "messages": [{"from": "4915112345678", "id": wamid,
                "timestamp": Timestamp::now().as_second().to_string(), "type": "text",
                "text": {"body": "Können Sie mir die Rechnung schicken?"}}]
        }}]}]
    })
    .to_string();
    deliver(stack, &text).await;
    let api = stack.agent_api().await;
    let ticket = s(&stack.items("ticket").await[0], "ticket_id").to_owned();
    (api, ticket)
}

/// maria asks for an upload URL for [`PDF`] on `ticket`: the 201's body.
async fn upload_url(api: &AgentApi, ticket: &str) -> serde_json::Value {
    let r = api
        .call(
            Some("key-maria"),
            "POST",
            &format!("/tickets/{ticket}/attachments"),
            json!({"file_name": "Rechnung.pdf", "content_type": "application/pdf", "size": PDF.len()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// The browser's PUT of [`PDF`] to the presigned URL, with the signed headers.
async fn put_upload(upload: &serde_json::Value) {
    let mut put = reqwest::Client::new()
        .put(upload["upload"]["url"].as_str().unwrap())
        .body(PDF.to_vec());
    for (name, value) in upload["upload"]["headers"].as_object().unwrap() {
        put = put.header(name.as_str(), value.as_str().unwrap());
    }
    let uploaded = put.send().await.unwrap();
    assert!(uploaded.status().is_success(), "{}", uploaded.status());
}

#[tokio::test]
async fn an_agent_uploads_a_pdf_to_s3_through_the_presigned_url_and_it_goes_to_whatsapp_by_media_id()
 {
    let (stack, whatsapp) = setup().await;
    let (api, ticket) = invoice_ticket(&stack, "wamid.att1").await;
    let pdf = PDF.to_vec();

    // WHEN the agent asks for an upload URL (limits checked first) ...
    let upload = upload_url(&api, &ticket).await;
    let key = upload["key"].as_str().unwrap().to_owned();
    let url = upload["upload"]["url"].as_str().unwrap();
    assert!(url.contains(&stack.resources.media_bucket), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(
        url.contains("X-Amz-Expires=300"),
        "expires in five minutes: {url}"
    );

    // ... and the browser PUTs the file straight to S3 with the signed headers
    put_upload(&upload).await;
    let object = stack
        .aws
        .s3()
        .get_object()
        .bucket(&stack.resources.media_bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("application/pdf"));
    assert_eq!(
        object.server_side_encryption().map(|e| e.as_str()),
        Some("AES256")
    );

    // WHEN the agent sends it with a caption, and WhatsApp is down for every send attempt
    let auth = "Bearer key-maria".to_owned();
    let path = format!("/tickets/{ticket}/reply");
    let body = json!({"attachment": key, "caption": "Ihre Rechnung"}).to_string();
    let request = ApiRequest {
        method: "POST",
        path: &path,
        authorization: Some(&auth),
        idempotency_key: Some("attach-emulator-1"),
        body: body.as_bytes(),
        ..ApiRequest::default()
    };
    let send = || api.handle(&request);
    let down = json!({"error": {"code": 1, "message": "temporarily down"}});
    whatsapp.answer_next((0..4).map(|_| (503, down.clone())));
    let r = send().await;
    assert_eq!(r.status, 503, "{}", r.body);
    // THEN the repeat with the same Idempotency-Key sends it by the media id kept in the
    // outbox entry (DynamoDB), without uploading again
    let r = send().await;
    assert_eq!(r.status, 200, "{}", r.body);

    // THEN the file was uploaded to the Cloud API once, as a multipart form ...
    let uploads = whatsapp.uploads();
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].0.starts_with("multipart/form-data; boundary="));
    assert!(contains(&uploads[0].1, &pdf), "the file's bytes");
    assert!(contains(
        &uploads[0].1,
        b"name=\"messaging_product\"\r\n\r\nwhatsapp"
    ));
    // ... and sent by the media id it gave
    let sent = whatsapp.sent();
    let document = sent.iter().find(|b| b["type"] == "document").unwrap();
    assert_eq!(
        document["document"],
        json!({"id": "stub-media-1", "caption": "Ihre Rechnung", "filename": "Rechnung.pdf"})
    );
    // AND the ticket's history links the file
    let r = api
        .call(
            Some("key-maria"),
            "GET",
            &format!("/tickets/{ticket}"),
            serde_json::Value::Null,
        )
        .await;
    let message = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "document")
        .unwrap()
        .clone();
    assert_eq!(message["media"]["file_name"], "Rechnung.pdf");
    assert!(
        message["media"]["url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Signature="),
        "{message}"
    );

    // A key that was never uploaded is not found.
    let never = format!("outbound/{ticket}/01JD0000000000000000000000/x.pdf");
    let r = api
        .call(
            Some("key-maria"),
            "POST",
            &format!("/tickets/{ticket}/reply"),
            json!({"attachment": never}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn an_erasure_deletes_the_customers_uploads_an_agent_never_sent() {
    let (stack, _whatsapp) = setup().await;
    let (api, ticket) = invoice_ticket(&stack, "wamid.unsent1").await;
    // GIVEN an agent uploaded a file to S3 for her ticket through the presigned URL ...
    let upload = upload_url(&api, &ticket).await;
    let key = upload["key"].as_str().unwrap().to_owned();
    put_upload(&upload).await;
    // ... and never sent it; another ticket's upload is in the bucket too
    let s3 = stack.aws.s3();
    let bucket = &stack.resources.media_bucket;
    let someone_elses = "outbound/01JD0000000000000000000000/01JD000000000000000000000B/x.pdf";
    s3.put_object()
        .bucket(bucket)
        .key(someone_elses)
        .body(b"%PDF-1.4".to_vec().into())
        .send()
        .await
        .unwrap();

    // WHEN the customer is erased
    let privacy = helpdesk::platform::wiring::privacy(&stack.env, &stack.aws).unwrap();
    let anna = helpdesk::domain::ids::WaId::parse("4915112345678").unwrap();
    let erased = privacy.erase(&anna, "cli:dpo").await.unwrap();

    // THEN her unsent upload is gone from S3, and only hers
    assert_eq!((erased.tickets, erased.media_files), (1, 1), "{erased:?}");
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(!keys.contains(&key.as_str()), "{keys:?}");
    assert_eq!(keys, [someone_elses]);
    // AND a repeated erasure finds nothing more
    assert_eq!(
        privacy.erase(&anna, "cli:dpo").await.unwrap().media_files,
        0
    );
}
