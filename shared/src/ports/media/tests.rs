use std::sync::Arc;

use super::*;

struct Source(Result<Fetched, MediaError>);

#[async_trait]
impl MediaSource for Source {
    async fn fetch_media(&self, _: &str, _: &MediaPolicy) -> Result<Fetched, MediaError> {
        self.0.clone()
    }
}

fn archive(source: Result<Fetched, MediaError>) -> (MediaArchive, Arc<MemoryMediaStore>) {
    let store = Arc::new(MemoryMediaStore::new());
    (
        MediaArchive {
            source: Arc::new(Source(source)),
            store: store.clone(),
            policy: MediaPolicy {
                max_bytes: 10,
                ..MediaPolicy::default()
            },
        },
        store,
    )
}

fn ids() -> (TicketId, Wamid) {
    (
        TicketId::new(jiff::Timestamp::from_second(1_795_510_800).unwrap()),
        Wamid::parse("wamid.HBg=").unwrap(),
    )
}

/// The start of a real PNG file: what makes bytes a PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

fn png(bytes: &[u8], sha: Option<String>) -> Result<Fetched, MediaError> {
    Ok(Fetched {
        bytes: bytes.to_vec(),
        mime_type: "image/png".into(),
        sha256: sha,
    })
}

#[tokio::test]
async fn an_allowed_file_is_kept_under_its_message_key() {
    let sha = hex::encode(Sha256::digest(PNG));
    let (a, store) = archive(png(PNG, Some(sha)));
    let (t, w) = ids();
    let record = a.archive(t, &w, "m1").await.unwrap();
    let key = record.key.unwrap();
    assert_eq!(key, format!("media/{t}/wamid.HBg_"));
    assert_eq!(store.get(&key).unwrap(), (PNG.to_vec(), "image/png".into()));
    assert_eq!(record.size, Some(8));
}

#[tokio::test]
async fn a_wrong_type_too_large_or_corrupt_file_is_refused_not_retried() {
    let (t, w) = ids();
    let exe = Ok(Fetched {
        bytes: b"MZ".to_vec(),
        mime_type: "application/x-msdownload".into(),
        sha256: None,
    });
    for (source, why) in [
        (exe, "not allowed"),
        (png(b"far too many bytes", None), "more than"),
        (png(PNG, Some("0".repeat(64))), "checksum"),
        (png(b"MZ\x90\x00", None), "not allowed"),
        (png(b"just words", None), "not the image/png"),
        (Err(MediaError::Gone("404".into())), "gone"),
    ] {
        let (a, _) = archive(source);
        let record = a.archive(t, &w, "m1").await.unwrap();
        assert!(record.key.is_none());
        assert!(
            record.refused.as_deref().unwrap().contains(why),
            "{record:?}"
        );
    }
}

#[tokio::test]
async fn a_network_failure_is_an_error_so_the_queue_retries() {
    let (a, _) = archive(Err(MediaError::Transient("timeout".into())));
    let (t, w) = ids();
    assert!(a.archive(t, &w, "m1").await.unwrap_err().is_retryable());
}

#[test]
fn checksums_are_read_as_hex_or_base64() {
    let base64 = aws_smithy_types::base64::encode;
    let digest = Sha256::digest(b"x");
    assert!(checksum_matches(&hex::encode(digest), b"x"));
    assert!(checksum_matches(&base64(digest), b"x"));
    assert!(!checksum_matches(&base64(digest), b"y"));
    assert!(
        checksum_matches("not-a-checksum", b"y"),
        "unknown forms are not checked"
    );
}

#[tokio::test]
async fn the_stored_type_is_the_one_the_bytes_show_not_the_one_claimed() {
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'];
    let (a, store) = archive(png(&jpeg, None));
    let (t, w) = ids();
    let record = a.archive(t, &w, "m1").await.unwrap();
    assert_eq!(record.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(store.get(&record.key.unwrap()).unwrap().1, "image/jpeg");
}

#[test]
fn whatsapps_names_for_voice_notes_and_audio_are_kept() {
    let mut ogg = b"OggS\x00\x02".to_vec();
    ogg.resize(28, 0);
    ogg.extend_from_slice(b"OpusHead");
    assert_eq!(
        content_type(&ogg, "audio/ogg; codecs=opus").unwrap(),
        "audio/ogg"
    );
    let m4a = b"\x00\x00\x00\x20ftypM4A \x00\x00";
    assert_eq!(content_type(m4a, "audio/mp4").unwrap(), "audio/mp4");
    assert_eq!(
        content_type(b"plain words", "text/plain").unwrap(),
        "text/plain",
        "a type bytes cannot show keeps its claim"
    );
}

#[test]
fn media_is_downloaded_only_over_https_from_allowed_hosts() {
    let meta = MediaPolicy::default();
    for ok in [
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2",
        "https://scontent.xx.fbcdn.net/v/t1/abc.jpg",
    ] {
        assert_eq!(meta.check_download_url(ok), Ok(()), "{ok}");
    }
    for bad in [
        "http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
        "https://evil.example/steal",
        "https://fbsbx.com.evil.example/x",
        "https://evilfbsbx.com/x",
        "https://lookaside.fbsbx.com@evil.example/x",
        "https://lookaside.fbsbx.com:8443/x",
        "http://127.0.0.1:8080/graph/media/m1/download",
        "file:///etc/passwd",
        "not a url",
    ] {
        assert!(
            matches!(
                meta.check_download_url(bad),
                Err(MediaError::UntrustedUrl(_))
            ),
            "{bad}"
        );
    }
    let local = MediaPolicy {
        download_hosts: vec!["http://127.0.0.1:8080".into()],
        ..MediaPolicy::default()
    };
    assert_eq!(
        local.check_download_url("http://127.0.0.1:8080/graph/media/m1/download"),
        Ok(())
    );
    assert!(
        local
            .check_download_url("http://127.0.0.1:9999/graph/media/m1/download")
            .is_err(),
        "only the origin named"
    );
}

#[test]
fn mime_parameters_do_not_change_the_type() {
    let p = MediaPolicy::default();
    assert!(p.check_type("audio/ogg; codecs=opus").is_ok());
    assert!(p.check_type("IMAGE/PNG").is_ok());
    assert!(p.check_type("text/html").is_err());
}
