//! Media in S3 (server-side encryption, presigned links).

use async_trait::async_trait;

use super::*;

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
