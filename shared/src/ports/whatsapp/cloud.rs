//! The WhatsApp Cloud API over HTTPS: `POST /{version}/{phone-number-id}/messages`.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{MediaUpload, OutboundBody, WhatsAppClient, WhatsAppError};
use crate::domain::ids::{PhoneNumberId, WaId, Wamid};

/// How long one Cloud API call may take (connecting included) in the functions: the unit of
/// the time budget in `template.yaml` and [`crate::platform::deadline`].
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct CloudApiConfig {
    /// `https://graph.facebook.com` in production; a local stub in tests.
    pub base_url: String,
    /// Graph API version, e.g. `v23.0`.
    pub version: String,
    pub access_token: SecretString,
    pub timeout: Duration,
}

pub struct CloudApi {
    http: reqwest::Client,
    config: CloudApiConfig,
}

impl CloudApi {
    pub fn new(config: CloudApiConfig) -> Result<Self, WhatsAppError> {
        let http = crate::platform::tls::http_client_builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| WhatsAppError::Transient {
                status: 0,
                code: 0,
                message: e.to_string(),
            })?;
        Ok(Self { http, config })
    }

    async fn post(&self, from: &PhoneNumberId, body: &Value) -> Result<Value, WhatsAppError> {
        self.graph_post(&format!("{}/messages", from.as_str()), body)
            .await
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{path}",
            self.config.base_url.trim_end_matches('/'),
            self.config.version,
        )
    }

    /// `POST /{version}/{path}` with `body`; the answer, or the error classified.
    pub(crate) async fn graph_post(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Value, WhatsAppError> {
        let request = self.http.post(self.url(path)).json(body);
        self.call(request).await
    }

    /// `GET /{version}/{path}?{query}`; the answer, or the error classified.
    pub(crate) async fn graph_get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, WhatsAppError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let request = self.http.get(format!("{}?{query}", self.url(path)));
        self.call(request).await
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, WhatsAppError> {
        let response = request
            .bearer_auth(self.config.access_token.expose_secret())
            .send()
            .await
            .map_err(|e| WhatsAppError::Transient {
                status: 0,
                code: 0,
                message: if e.is_timeout() {
                    "timed out".into()
                } else {
                    e.to_string()
                },
            })?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        let error = &answer["error"];
        let code = error["code"].as_i64().unwrap_or(0);
        let message = error["message"]
            .as_str()
            .unwrap_or("no error message")
            .to_owned();
        Err(WhatsAppError::classify(status, code, message))
    }
}

#[async_trait]
impl WhatsAppClient for CloudApi {
    async fn send(
        &self,
        from: &PhoneNumberId,
        to: &WaId,
        body: &OutboundBody,
    ) -> Result<Wamid, WhatsAppError> {
        let answer = self.post(from, &body.to_request(to)).await?;
        let id = answer["messages"][0]["id"].as_str().unwrap_or_default();
        Wamid::parse(id).map_err(|e| WhatsAppError::Transient {
            status: 200,
            code: 0,
            message: format!("answer without a usable message id ({e})"),
        })
    }

    /// `POST /{version}/{phone-number-id}/media` as `multipart/form-data` (`messaging_product`,
    /// `type`, `file`): the id to send the file by.
    async fn upload_media(
        &self,
        from: &PhoneNumberId,
        file: &MediaUpload<'_>,
    ) -> Result<String, WhatsAppError> {
        let url = self.url(&format!("{}/media", from.as_str()));
        let boundary = format!("helpdesk-{}", ulid::Ulid::new());
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(multipart_body(&boundary, file));
        let answer = self.call(request).await?;
        answer["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| WhatsAppError::Transient {
                status: 200,
                code: 0,
                message: "media upload answered without an id".into(),
            })
    }

    async fn mark_read(&self, from: &PhoneNumberId, wamid: &Wamid) -> Result<(), WhatsAppError> {
        let body = json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid.as_str() });
        self.post(from, &body).await.map(|_| ())
    }

    async fn mark_read_typing(
        &self,
        from: &PhoneNumberId,
        wamid: &Wamid,
    ) -> Result<(), WhatsAppError> {
        let body = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid.as_str(),
            "typing_indicator": { "type": "text" },
        });
        self.post(from, &body).await.map(|_| ())
    }
}

/// The media upload's form: `messaging_product=whatsapp`, `type=<mime>` and the file.
pub fn multipart_body(boundary: &str, file: &MediaUpload<'_>) -> Vec<u8> {
    let name = file.file_name.replace(['"', '\r', '\n', '\\'], "_");
    let mime = file.mime_type.replace(['\r', '\n'], "");
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (field, value) in [("messaging_product", "whatsapp"), ("type", mime.as_str())] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Media: `GET /{version}/{media-id}` gives a short-lived url (bearer token needed) and the size,
/// checked before anything is downloaded; the download stops past the limit.
#[async_trait]
impl crate::ports::media::MediaSource for CloudApi {
    async fn fetch_media(
        &self,
        media_id: &str,
        policy: &crate::ports::media::MediaPolicy,
    ) -> Result<crate::ports::media::Fetched, crate::ports::media::MediaError> {
        use crate::ports::media::MediaError;
        let valid = !media_id.is_empty()
            && media_id.len() <= 128
            && media_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(MediaError::Gone(format!(
                "media id {media_id:?} is not usable"
            )));
        }
        let classify = |status: u16, what: &str| {
            if status == 429 || status >= 500 || status == 0 {
                MediaError::Transient(format!("{what}: HTTP {status}"))
            } else {
                MediaError::Gone(format!("{what}: HTTP {status}"))
            }
        };
        let url = format!(
            "{}/{}/{media_id}",
            self.config.base_url.trim_end_matches('/'),
            self.config.version
        );
        let meta = self
            .http
            .get(url)
            .bearer_auth(self.config.access_token.expose_secret())
            .send()
            .await
            .map_err(|e| MediaError::Transient(format!("media lookup: {e}")))?;
        if !meta.status().is_success() {
            return Err(classify(meta.status().as_u16(), "media lookup"));
        }
        let meta: Value = meta
            .json()
            .await
            .map_err(|e| MediaError::Transient(format!("media lookup answer: {e}")))?;
        let mime_type = meta["mime_type"].as_str().unwrap_or_default().to_owned();
        policy.check_type(&mime_type)?;
        if let Some(size) = meta["file_size"]
            .as_u64()
            .or_else(|| meta["file_size"].as_str().and_then(|s| s.parse().ok()))
        {
            policy.check_size(size)?;
        }
        let Some(download) = meta["url"].as_str() else {
            return Err(MediaError::Gone("the media lookup gave no url".into()));
        };
        // The bearer token goes only to Meta's media hosts (or an origin configured explicitly).
        policy.check_download_url(download)?;
        let mut response = self
            .http
            .get(download)
            .bearer_auth(self.config.access_token.expose_secret())
            .send()
            .await
            .map_err(|e| MediaError::Transient(format!("media download: {e}")))?;
        if !response.status().is_success() {
            return Err(classify(response.status().as_u16(), "media download"));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| MediaError::Transient(format!("media download: {e}")))?
        {
            bytes.extend_from_slice(&chunk);
            policy.check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
        }
        Ok(crate::ports::media::Fetched {
            bytes,
            mime_type,
            sha256: meta["sha256"].as_str().map(str::to_owned),
        })
    }
}
