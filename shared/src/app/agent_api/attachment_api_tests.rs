//! Agents send files: limits checked before any upload, an upload URL bound to the ticket, the
//! file checked again when sent (present, of the type it claimed), uploaded to the Cloud API
//! once and sent by its media id, inside the 24 h window only.

use serde_json::{Value, json};

use crate::ports::clock::Clock as _;
use crate::ports::whatsapp::{MediaKind, OutboundBody, WhatsAppError};
use crate::testkit::api::{Api, api};

const WA: &str = "4915100000001";
const MB: u64 = 1024 * 1024;

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n".to_vec()
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    b.resize(64, 0);
    b
}

/// Asks for an upload URL: the answer.
async fn slot(
    a: &Api,
    id: &str,
    name: &str,
    ty: &str,
    size: u64,
) -> crate::app::agent_api::ApiResponse {
    a.call(
        "tom",
        "POST",
        &format!("/tickets/{id}/attachments"),
        json!({"file_name": name, "content_type": ty, "size": size}),
    )
    .await
}

/// Uploads `bytes` the way the browser does: to the URL given, with its headers.
fn upload(a: &Api, answer: &Value, ty: &str, bytes: &[u8]) -> String {
    let url = answer["upload"]["url"].as_str().unwrap();
    assert_eq!(answer["upload"]["method"], "PUT");
    assert_eq!(answer["upload"]["headers"]["Content-Type"], ty);
    let (path, query) = url.split_once('?').unwrap();
    let key = path.strip_prefix("/uploads/").unwrap();
    a.w.media
        .accept_upload(key, query, ty, bytes, jiff::Timestamp::now())
        .unwrap();
    answer["key"].as_str().unwrap().to_owned()
}

/// A ticket of tom's with a file of his uploaded: the ticket and the key.
async fn uploaded(a: &Api, name: &str, ty: &str, bytes: &[u8]) -> (String, String) {
    let id = a.queued(WA, "wamid.A1").await;
    a.act("tom", &id, "assign", json!({"agent": "tom"})).await;
    let r = slot(a, &id, name, ty, bytes.len() as u64).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let key = upload(a, &r.body, ty, bytes);
    (id, key)
}

/// Tom sends the uploaded file `key` on ticket `id`, without a caption.
async fn send(a: &Api, id: &str, key: &str) -> crate::app::agent_api::ApiResponse {
    a.call(
        "tom",
        "POST",
        &format!("/tickets/{id}/reply"),
        json!({ "attachment": key }),
    )
    .await
}

fn media_sent(a: &Api) -> Vec<OutboundBody> {
    a.w.whatsapp
        .sent()
        .into_iter()
        .map(|m| m.body)
        .filter(|b| matches!(b, OutboundBody::Media { .. }))
        .collect()
}

#[tokio::test]
async fn an_uploaded_pdf_is_uploaded_to_whatsapp_and_sent_by_its_media_id_and_shown_in_the_history()
{
    let a = api().await;
    let (id, key) = uploaded(&a, "Rechnung 4711.pdf", "application/pdf", &pdf()).await;
    assert!(key.starts_with(&format!("outbound/{id}/")), "{key}");
    a.act(
        "tom",
        &id,
        "reply",
        json!({"attachment": key, "caption": "Ihre Rechnung"}),
    )
    .await;
    let uploads = a.w.whatsapp.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, pdf());
    assert_eq!(uploads[0].mime_type, "application/pdf");
    assert_eq!(
        media_sent(&a),
        vec![OutboundBody::Media {
            kind: MediaKind::Document,
            id: Some(uploads[0].id.clone()),
            caption: Some("Ihre Rechnung".into()),
            filename: Some("Rechnung_4711.pdf".into()),
        }]
    );
    let t = a.detail("tom", &id).await;
    let m = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(m["kind"], "document");
    assert_eq!(m["text"], "Ihre Rechnung");
    assert_eq!(m["sent_by"], "tom");
    assert_eq!(m["media"]["mime_type"], "application/pdf");
    assert_eq!(m["media"]["file_name"], "Rechnung_4711.pdf");
    assert_eq!(m["media"]["url"], format!("/dev/{key}"));
    assert!(a.activity(&id).await.contains(&"replied".to_owned()));
}

#[tokio::test]
async fn an_image_goes_as_an_image_and_audio_takes_no_caption() {
    let a = api().await;
    let (id, key) = uploaded(&a, "foto.png", "image/png", &png()).await;
    assert_eq!(send(&a, &id, &key).await.status, 200);
    assert!(matches!(
        &media_sent(&a)[..],
        [OutboundBody::Media {
            kind: MediaKind::Image,
            caption: None,
            filename: None,
            ..
        }]
    ));

    let mut ogg = b"OggS\x00\x02".to_vec();
    ogg.resize(28, 0);
    ogg.extend_from_slice(b"OpusHead");
    let r = slot(&a, &id, "memo.ogg", "audio/ogg", ogg.len() as u64).await;
    let key = upload(&a, &r.body, "audio/ogg", &ogg);
    let r = a
        .act_answers(
            400,
            "tom",
            &id,
            "reply",
            json!({"attachment": key, "caption": "hör mal"}),
        )
        .await;
    assert_eq!(
        r["fields"]["caption"],
        "WhatsApp shows no caption with audio"
    );
}

#[tokio::test]
async fn each_whatsapp_limit_is_refused_with_422_naming_it_before_any_upload_url() {
    let a = api().await;
    let id = a.queued(WA, "wamid.A1").await;
    for (name, ty, size, says, field) in [
        (
            "big.jpg",
            "image/jpeg",
            5 * MB + 1,
            "image files may be at most 5 MB",
            "size",
        ),
        (
            "big.pdf",
            "application/pdf",
            100 * MB + 1,
            "document files may be at most 100 MB",
            "size",
        ),
        (
            "big.mp3",
            "audio/mpeg",
            16 * MB + 1,
            "audio files may be at most 16 MB",
            "size",
        ),
        (
            "big.mp4",
            "video/mp4",
            16 * MB + 1,
            "video files may be at most 16 MB",
            "size",
        ),
        (
            "anim.gif",
            "image/gif",
            10,
            "image/gif cannot be sent on WhatsApp",
            "content_type",
        ),
        (
            "empty.pdf",
            "application/pdf",
            0,
            "the file is empty",
            "size",
        ),
    ] {
        let r = slot(&a, &id, name, ty, size).await;
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert_eq!(r.body["error"], "attachment_refused");
        let message = r.body["message"].as_str().unwrap();
        assert!(message.starts_with(says), "{name}: {message}");
        assert!(r.body["fields"][field].is_string(), "{name}: {}", r.body);
        assert!(r.body.get("upload").is_none());
    }
    let r = slot(&a, &id, "", "application/pdf", 10).await;
    assert_eq!(r.status, 400);
    assert!(r.body["fields"]["file_name"].is_string());
}

#[tokio::test]
async fn a_key_never_uploaded_or_of_another_ticket_is_404() {
    let a = api().await;
    let (id, key) = uploaded(&a, "a.pdf", "application/pdf", &pdf()).await;
    let other = a.queued("4915100000002", "wamid.B1").await;
    let never = format!("outbound/{id}/01JD0000000000000000000000/x.pdf");
    for (ticket, key) in [
        (&id, never.as_str()),
        (&other, key.as_str()),
        (&id, "media/x/../../etc"),
    ] {
        let r = a
            .call(
                "maria",
                "POST",
                &format!("/tickets/{ticket}/reply"),
                json!({"attachment": key}),
            )
            .await;
        assert_eq!(r.status, 404, "{key}: {}", r.body);
        assert_eq!(r.body["fields"]["attachment"], "no such upload");
    }
    assert!(a.w.whatsapp.uploads().is_empty());
}

#[tokio::test]
async fn a_file_that_is_not_the_type_it_was_uploaded_as_is_refused() {
    let a = api().await;
    let (id, key) = uploaded(
        &a,
        "x.png",
        "image/png",
        b"MZ\x90\x00 a program, not a picture",
    )
    .await;
    let r = send(&a, &id, &key).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"], "attachment_refused");
    // A type WhatsApp takes, but not the one announced (and signed into the upload URL).
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    let r = slot(&a, &id, "y.png", "image/png", jpeg.len() as u64).await;
    let key = upload(&a, &r.body, "image/png", &jpeg);
    let r = send(&a, &id, &key).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "the file is image/jpeg, not the image/png it was uploaded as"
    );
    assert!(a.w.whatsapp.uploads().is_empty());
}

#[tokio::test]
async fn outside_the_24h_window_no_upload_url_is_given_and_no_file_is_sent() {
    let a = api().await;
    let (id, key) = uploaded(&a, "a.pdf", "application/pdf", &pdf()).await;
    a.w.clock.advance(jiff::SignedDuration::from_hours(25));
    let r = slot(&a, &id, "b.pdf", "application/pdf", 100).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"], "outside_service_window");
    let r = send(&a, &id, &key).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"], "outside_service_window");
    assert!(a.w.whatsapp.uploads().is_empty());
    assert!(media_sent(&a).is_empty());
}

#[tokio::test]
async fn a_repeat_after_a_failed_upload_or_send_uploads_once_and_sends_once() {
    let a = api().await;
    let (id, key) = uploaded(&a, "a.pdf", "application/pdf", &pdf()).await;
    let path = format!("/tickets/{id}/reply");
    let body = json!({"attachment": key}).to_string();
    let down = || WhatsAppError::Transient {
        status: 503,
        code: 0,
        message: "down".into(),
    };
    // The upload fails: the change is stored, the client repeats with the same key.
    a.w.whatsapp.inject_upload_faults([down()]);
    let r = a
        .call_keyed("tom", "POST", &path, &body, "attach-0001")
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.body["error"], "delivery_pending");
    // Now the upload passes but every send attempt fails.
    a.w.whatsapp.inject_faults((0..4).map(|_| down()));
    let r = a
        .call_keyed("tom", "POST", &path, &body, "attach-0001")
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(a.w.whatsapp.uploads().len(), 1);
    // The last repeat sends by the media id kept, without uploading again.
    let r = a
        .call_keyed("tom", "POST", &path, &body, "attach-0001")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = a
        .call_keyed("tom", "POST", &path, &body, "attach-0001")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uploads = a.w.whatsapp.uploads();
    assert_eq!(uploads.len(), 1, "uploaded once");
    let sent = media_sent(&a);
    assert_eq!(sent.len(), 1, "sent once");
    assert!(matches!(&sent[0], OutboundBody::Media { id: Some(i), .. } if *i == uploads[0].id));
    let t = a.detail("tom", &id).await;
    let documents = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "document")
        .count();
    assert_eq!(documents, 1);
}

#[tokio::test]
async fn an_upload_url_only_takes_the_file_it_was_given_for() {
    let a = api().await;
    let id = a.queued(WA, "wamid.A1").await;
    let r = slot(&a, &id, "a.pdf", "application/pdf", pdf().len() as u64).await;
    let url = r.body["upload"]["url"].as_str().unwrap();
    let (path, query) = url.split_once('?').unwrap();
    let key = path.strip_prefix("/uploads/").unwrap();
    let now = jiff::Timestamp::now();
    let m = &a.w.media;
    assert!(
        m.accept_upload(key, query, "image/png", &pdf(), now)
            .is_err(),
        "another type"
    );
    assert!(
        m.accept_upload(key, query, "application/pdf", b"%PDF-", now)
            .is_err(),
        "another size"
    );
    let other = format!("{key}x");
    assert!(
        m.accept_upload(&other, query, "application/pdf", &pdf(), now)
            .is_err(),
        "another key"
    );
    let later = now + jiff::SignedDuration::from_mins(6);
    assert!(
        m.accept_upload(key, query, "application/pdf", &pdf(), later)
            .is_err(),
        "expired"
    );
    assert!(
        m.accept_upload(key, query, "application/pdf", &pdf(), now)
            .is_ok()
    );
    let _ = a.w.clock.now();
}
