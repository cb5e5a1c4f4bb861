//! Customers' images, documents and audio: fetched from the Cloud API media endpoint (the url
//! it gives is valid five minutes and needs the bearer token), checked against the configured
//! size limit and MIME allow-list (the type the bytes show, not the one claimed), kept in the
//! media store (S3 with server-side encryption; in
//! memory locally) and linked on the message, so agents see them long after Meta's copy is gone.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::{TicketId, Wamid};

mod memory;
mod s3;

pub use memory::{MemoryMediaStore, UploadRefused};
pub use s3::S3MediaStore;

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
        return expected == aws_smithy_types::base64::encode(digest);
    }
    true
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

#[cfg(test)]
mod tests;
