//! Media kept in memory for the local runner and the tests, with signed upload links that
//! behave like S3's presigned PUTs.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;

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
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            given.as_bytes(),
        )) {
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
