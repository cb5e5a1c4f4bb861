//! Customers' images, documents and audio: fetched from the Cloud API media endpoint (the url
//! it gives is valid five minutes and needs the bearer token), checked against the configured
//! size limit and MIME allow-list (the type the bytes show, not the one claimed), kept in the
//! media store (S3 with server-side encryption; in
//! memory locally) and linked on the message, so agents see them long after Meta's copy is gone.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::{TicketId, Wamid};

/// What we keep about a message's media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRecord {
    /// The media store key, once stored.
    pub key: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    /// Why it was not stored (type not allowed, too large, gone at Meta).
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("{size} bytes is more than the {max} allowed")]
    TooLarge { size: u64, max: u64 },
    #[error("type {0} is not allowed")]
    NotAllowed(String),
    #[error("the media is gone or refused ({0})")]
    Gone(String),
    #[error("the media does not match its checksum")]
    Corrupt,
    #[error("media transfer failed ({0})")]
    Transient(String),
    /// The content is not of the type it is said to be (e.g. a program sent as image/png).
    #[error("the content is not the {claimed} it is said to be")]
    Disguised { claimed: String },
    /// The download url is not https on an allowed host: the access token is not sent there.
    #[error("the media url is not on an allowed download host ({0})")]
    UntrustedUrl(String),
}

impl MediaError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Meta's hosts the Cloud API's media urls point to (`https://lookaside.fbsbx.com/...`); the
/// default of [`MediaPolicy::download_hosts`].
pub const META_MEDIA_HOSTS: [&str; 3] = ["*.fbsbx.com", "*.fbcdn.net", "*.whatsapp.net"];

/// Which media are kept, and where they may be downloaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPolicy {
    pub allowed: Vec<String>,
    pub max_bytes: u64,
    /// Where a media url may point for the bearer token to be sent there: `host` (https,
    /// that host), `*.domain` (https, any host under it) or a whole origin
    /// `http(s)://host[:port]` (that origin only: how the local simulator is allowed).
    pub download_hosts: Vec<String>,
}

impl Default for MediaPolicy {
    fn default() -> Self {
        Self {
            allowed: [
                "image/jpeg",
                "image/png",
                "image/webp",
                "application/pdf",
                "audio/ogg",
                "audio/mpeg",
                "audio/aac",
                "audio/mp4",
                "audio/amr",
                "video/mp4",
            ]
            .map(str::to_owned)
            .to_vec(),
            // WhatsApp's own largest audio and video; images are at most 5 MB there.
            max_bytes: 16 * 1024 * 1024,
            download_hosts: META_MEDIA_HOSTS.map(str::to_owned).to_vec(),
        }
    }
}

impl MediaPolicy {
    /// `image/jpeg; codecs=...` is `image/jpeg`.
    fn essence(mime: &str) -> String {
        mime.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    pub fn check_type(&self, mime: &str) -> Result<(), MediaError> {
        let essence = Self::essence(mime);
        if self.allowed.contains(&essence) {
            Ok(())
        } else {
            Err(MediaError::NotAllowed(essence))
        }
    }

    /// Whether `url` may be fetched with the access token: https on an allowed host, or an
    /// origin allowed as a whole.
    pub fn check_download_url(&self, url: &str) -> Result<(), MediaError> {
        let untrusted = |why: &str| MediaError::UntrustedUrl(why.to_owned());
        let parsed = reqwest::Url::parse(url).map_err(|_| untrusted("not a url"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| untrusted("no host"))?
            .to_ascii_lowercase();
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(untrusted("credentials in the url"));
        }
        let origin = parsed.origin().ascii_serialization();
        let allowed = self.download_hosts.iter().any(|entry| {
            let entry = entry.to_ascii_lowercase();
            if entry.contains("://") {
                return entry.trim_end_matches('/') == origin;
            }
            let https = parsed.scheme() == "https" && parsed.port().is_none();
            match entry.strip_prefix("*.") {
                Some(domain) => https && host.ends_with(&format!(".{domain}")),
                None => https && host == entry,
            }
        });
        if allowed {
            Ok(())
        } else {
            Err(untrusted(&format!("{}://{host}", parsed.scheme())))
        }
    }

    pub fn check_size(&self, size: u64) -> Result<(), MediaError> {
        if size > self.max_bytes {
            Err(MediaError::TooLarge {
                size,
                max: self.max_bytes,
            })
        } else {
            Ok(())
        }
    }
}

/// A downloaded media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// Meta's SHA-256 (hex), if it gave one.
    pub sha256: Option<String>,
}

/// Where media come from (the Cloud API).
#[async_trait]
pub trait MediaSource: Send + Sync {
    /// Downloads `media_id`, refusing anything over `policy` before and while downloading.
    async fn fetch_media(
        &self,
        media_id: &str,
        policy: &MediaPolicy,
    ) -> Result<Fetched, MediaError>;
}

/// Where media are kept.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8], mime_type: &str) -> Result<(), MediaError>;
    /// A link a signed-in agent's browser can open for a while.
    async fn link(&self, key: &str) -> Result<String, MediaError>;

    /// Removes a kept file (erasure); a missing one is fine.
    async fn delete(&self, key: &str) -> Result<(), MediaError>;

    /// Removes every file whose key starts with `prefix` (erasure: a ticket's uploads, sent or
    /// not); returns how many there were. Safe to repeat.
    async fn delete_under(&self, prefix: &str) -> Result<usize, MediaError>;

    /// A URL the agent's browser PUTs one file to, directly (the file never passes the API):
    /// only under `key`, only of `content_type` and exactly `size` bytes, for `expires_in`.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: std::time::Duration,
    ) -> Result<UploadTarget, MediaError>;

    /// The size, stored type and first bytes (up to [`PROBE_BYTES`]) of a kept file; `None`
    /// if nothing is stored under `key`.
    async fn probe(&self, key: &str) -> Result<Option<StoredObject>, MediaError>;

    /// A kept file and its stored type; `None` if nothing is stored under `key`.
    async fn read(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, MediaError>;
}

/// How many leading bytes [`MediaStore::probe`] reads: enough for every signature `infer` knows.
pub const PROBE_BYTES: u64 = 8192;

/// When an upload URL valid for `expires_in` from now expires.
fn expiry(expires_in: std::time::Duration) -> Result<jiff::Timestamp, MediaError> {
    jiff::SignedDuration::try_from(expires_in)
        .map(|d| jiff::Timestamp::now() + d)
        .map_err(|e| MediaError::Transient(e.to_string()))
}

/// Where and how to upload one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadTarget {
    pub url: String,
    pub method: &'static str,
    /// Headers the upload must carry as they are (they are part of the signature).
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_at: jiff::Timestamp,
}

/// What [`MediaStore::probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub content_type: String,
    pub head: Vec<u8>,
}

/// The store key of a message's media: one per message, so a retry overwrites the same object.
pub fn media_key(ticket: TicketId, wamid: &Wamid) -> String {
    let safe: String = wamid
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("media/{ticket}/{safe}")
}

/// Fetches a message's media and keeps it, or says why not.
pub struct MediaArchive {
    pub source: std::sync::Arc<dyn MediaSource>,
    pub store: std::sync::Arc<dyn MediaStore>,
    pub policy: MediaPolicy,
}

impl MediaArchive {
    /// The record to put on the message. Retryable failures (the network, S3) are errors: the
    /// queue delivers the message again. Refusals are recorded, not retried.
    pub async fn archive(
        &self,
        ticket: TicketId,
        wamid: &Wamid,
        media_id: &str,
    ) -> Result<MediaRecord, MediaError> {
        let fetched = match self.source.fetch_media(media_id, &self.policy).await {
            Ok(f) => f,
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => return Ok(refused(&e, None)),
        };
        let size = u64::try_from(fetched.bytes.len()).unwrap_or(u64::MAX);
        if let Err(e) = self.policy.check_size(size) {
            return Ok(refused(&e, Some(&fetched.mime_type)));
        }
        if let Some(expected) = &fetched.sha256
            && !checksum_matches(expected, &fetched.bytes)
        {
            return Ok(refused(&MediaError::Corrupt, Some(&fetched.mime_type)));
        }
        // What is stored, served to agents and checked is the type of the bytes.
        let mime_type = match content_type(&fetched.bytes, &fetched.mime_type)
            .and_then(|t| self.policy.check_type(&t).map(|()| t))
        {
            Ok(t) => t,
            Err(e) => return Ok(refused(&e, Some(&fetched.mime_type))),
        };
        let key = media_key(ticket, wamid);
        self.store.put(&key, &fetched.bytes, &mime_type).await?;
        Ok(MediaRecord {
            key: Some(key),
            mime_type: Some(mime_type),
            size: Some(size),
            refused: None,
        })
    }
}

/// The type of a file as its bytes show it (magic numbers, the `infer` crate), named as the
/// media policy names types. A file whose bytes show no type it could be recognised by keeps
/// its claimed type only if that is a type the bytes cannot show (plain text, say); a file that
/// claims a recognisable type but does not have its signature is refused.
pub fn content_type(bytes: &[u8], claimed: &str) -> Result<String, MediaError> {
    let claimed = MediaPolicy::essence(claimed);
    match infer::get(bytes).map(|t| t.mime_type()) {
        // The names WhatsApp and our policy use for the same formats.
        Some("audio/m4a") => Ok("audio/mp4".into()),
        Some("audio/opus") => Ok("audio/ogg".into()),
        Some(found) => Ok(found.to_owned()),
        None if recognisable(&claimed) => Err(MediaError::Disguised { claimed }),
        None => Ok(claimed),
    }
}

/// Whether files of `mime` have a signature [`content_type`] knows.
fn recognisable(mime: &str) -> bool {
    infer::is_mime_supported(mime) || matches!(mime, "audio/mp4" | "audio/ogg")
}

/// Meta's `sha256` of the file, as hex or base64; a value in neither form is not checked.
fn checksum_matches(expected: &str, bytes: &[u8]) -> bool {
    let digest = Sha256::digest(bytes);
    if expected.len() == 64 && expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return expected.eq_ignore_ascii_case(&hex::encode(digest));
    }
    if expected.len() == 44 {
        return expected == base64(&digest);
    }
    true
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn refused(e: &MediaError, mime: Option<&str>) -> MediaRecord {
    tracing::warn!(error = %e, "media not kept");
    MediaRecord {
        key: None,
        mime_type: mime.map(MediaPolicy::essence),
        size: None,
        refused: Some(e.to_string()),
    }
}

/// Media kept in memory (local runner, tests); links point at the runner's `/dev/media/`, and
/// uploads go to its `/uploads/` with a signed query, as presigned S3 PUTs do.
#[derive(Debug)]
pub struct MemoryMediaStore {
    objects: Mutex<HashMap<String, (Vec<u8>, String)>>,
    /// Signs upload URLs (random per process, like a credential nobody else has).
    secret: [u8; 32],
}

impl Default for MemoryMediaStore {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        if getrandom::fill(&mut secret).is_err() {
            // No randomness: a fixed secret still binds key, type and size to the URL.
            secret = *b"helpdesk-local-upload-signing-k!";
        }
        Self {
            objects: Mutex::new(HashMap::new()),
            secret,
        }
    }
}

/// Why [`MemoryMediaStore::accept_upload`] refused an upload (S3's 403 for a presigned PUT).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    #[error("the upload link is not valid for this file (signature, type or size differ)")]
    BadSignature,
    #[error("the upload link expired")]
    Expired,
}

impl MemoryMediaStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn upload_signature(&self, key: &str, content_type: &str, size: u64, expires: i64) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes a key of any length");
        mac.update(format!("PUT\n{key}\n{content_type}\n{size}\n{expires}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Stores an upload to a URL [`MediaStore::presign_upload`] gave (`query` is its query
    /// string), if the signature matches this key, type and size and has not expired.
    pub fn accept_upload(
        &self,
        key: &str,
        query: &str,
        content_type: &str,
        bytes: &[u8],
        now: jiff::Timestamp,
    ) -> Result<(), UploadRefused> {
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let expires: i64 = param("expires")
            .and_then(|e| e.parse().ok())
            .ok_or(UploadRefused::BadSignature)?;
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let expected = self.upload_signature(key, content_type, size, expires);
        let given = param("signature").unwrap_or("");
        // Constant time, as S3 compares signatures.
        use subtle_compare::eq;
        if !eq(expected.as_bytes(), given.as_bytes()) {
            return Err(UploadRefused::BadSignature);
        }
        if now.as_second() > expires {
            return Err(UploadRefused::Expired);
        }
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), (bytes.to_vec(), content_type.to_owned()));
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<(Vec<u8>, String)> {
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }
}

#[async_trait]
impl MediaStore for MemoryMediaStore {
    async fn put(&self, key: &str, bytes: &[u8], mime_type: &str) -> Result<(), MediaError> {
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), (bytes.to_vec(), mime_type.to_owned()));
        Ok(())
    }

    async fn link(&self, key: &str) -> Result<String, MediaError> {
        Ok(format!("/dev/{key}"))
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }

    async fn delete_under(&self, prefix: &str) -> Result<usize, MediaError> {
        let mut objects = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        let before = objects.len();
        objects.retain(|key, _| !key.starts_with(prefix));
        Ok(before - objects.len())
    }

    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: std::time::Duration,
    ) -> Result<UploadTarget, MediaError> {
        let expires_at = expiry(expires_in)?;
        let expires = expires_at.as_second();
        let signature = self.upload_signature(key, content_type, size, expires);
        Ok(UploadTarget {
            url: format!("/uploads/{key}?expires={expires}&signature={signature}"),
            method: "PUT",
            headers: [("Content-Type".to_owned(), content_type.to_owned())].into(),
            expires_at,
        })
    }

    async fn probe(&self, key: &str) -> Result<Option<StoredObject>, MediaError> {
        Ok(self.get(key).map(|(bytes, content_type)| StoredObject {
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            head: bytes[..bytes.len().min(PROBE_BYTES as usize)].to_vec(),
            content_type,
        }))
    }

    async fn read(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, MediaError> {
        Ok(self.get(key))
    }
}

/// Equality in time independent of where the inputs differ.
mod subtle_compare {
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// S3 with server-side encryption; links are presigned GETs valid for 15 minutes.
pub struct S3MediaStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3MediaStore {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

impl S3MediaStore {
    /// GetObject (of `range`, if given); `None` if there is no such key.
    async fn get(
        &self,
        key: &str,
        range: Option<String>,
    ) -> Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>, MediaError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range)
            .send()
            .await;
        match answer {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(MediaError::Transient(
                crate::platform::aws::sdk_failure("GetObject", e).detail,
            )),
        }
    }
}

/// The bytes of a GetObject answer and the type stored with them.
async fn body_of(
    object: aws_sdk_s3::operation::get_object::GetObjectOutput,
) -> Result<(Vec<u8>, String), MediaError> {
    let content_type = object.content_type().unwrap_or_default().to_owned();
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| MediaError::Transient(format!("GetObject body: {e}")))?
        .to_vec();
    Ok((bytes, content_type))
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn put(&self, key: &str, bytes: &[u8], mime_type: &str) -> Result<(), MediaError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(mime_type)
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(bytes.to_vec().into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let failure = crate::platform::aws::sdk_failure("PutObject", e);
                MediaError::Transient(failure.detail)
            })
    }

    async fn link(&self, key: &str) -> Result<String, MediaError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(15 * 60),
        )
        .map_err(|e| MediaError::Transient(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| MediaError::Transient(e.to_string()))?;
        Ok(request.uri().to_owned())
    }

    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: std::time::Duration,
    ) -> Result<UploadTarget, MediaError> {
        let transient = |e: String| MediaError::Transient(e);
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires_in)
            .map_err(|e| transient(e.to_string()))?;
        let expires_at = expiry(expires_in)?;
        // Type, length and encryption are signed: S3 refuses a PUT with another of them.
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .presigned(config)
            .await
            .map_err(|e| transient(e.to_string()))?;
        // A browser sets Content-Length and Host itself (and may not set them).
        let headers = request
            .headers()
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host")
            })
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Ok(UploadTarget {
            url: request.uri().to_owned(),
            method: "PUT",
            headers,
            expires_at,
        })
    }

    async fn probe(&self, key: &str) -> Result<Option<StoredObject>, MediaError> {
        let range = format!("bytes=0-{}", PROBE_BYTES - 1);
        let Some(object) = self.get(key, Some(range)).await? else {
            return Ok(None);
        };
        // `bytes 0-8191/123456`: the whole size after the slash.
        let total = object
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|n| n.parse::<u64>().ok());
        let length = object.content_length().and_then(|n| u64::try_from(n).ok());
        let (head, content_type) = body_of(object).await?;
        Ok(Some(StoredObject {
            size: total.or(length).unwrap_or(head.len() as u64),
            content_type,
            head,
        }))
    }

    async fn read(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, MediaError> {
        match self.get(key, None).await? {
            Some(object) => body_of(object).await.map(Some),
            None => Ok(None),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                MediaError::Transient(crate::platform::aws::sdk_failure("DeleteObject", e).detail)
            })
    }

    /// Lists the keys under `prefix` (`ListObjectsV2`, every page) and deletes them one by one
    /// (a customer's tickets hold a handful of files; `DeleteObjects` would need a checksum
    /// header not every S3-compatible store takes).
    async fn delete_under(&self, prefix: &str) -> Result<usize, MediaError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                MediaError::Transient(crate::platform::aws::sdk_failure("ListObjectsV2", e).detail)
            })?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        for key in &keys {
            self.delete(key).await?;
        }
        Ok(keys.len())
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        let digest = Sha256::digest(b"x");
        assert!(checksum_matches(&hex::encode(digest), b"x"));
        assert!(checksum_matches(&base64(&digest), b"x"));
        assert!(!checksum_matches(&base64(&digest), b"y"));
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
}
