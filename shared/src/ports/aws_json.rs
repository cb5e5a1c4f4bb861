//! One signed call of an AWS JSON-protocol API (`x-amz-target`, SigV4) over the HTTP client the
//! Cloud API adapter uses. For the services whose SDK crate would cost more build time and binary
//! than the few calls we make (the Cognito user pool's admin calls, EventBridge `PutEvents`).

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use serde_json::Value;

/// A service's JSON endpoint, with the region and credentials its calls are signed with.
pub struct AwsJsonApi {
    http: reqwest::Client,
    credentials: SharedCredentialsProvider,
    region: String,
    endpoint: String,
    /// The SigV4 signing name (`cognito-idp`, `events`).
    service: &'static str,
    /// `application/x-amz-json-1.0` or `-1.1`, as the service speaks it.
    content_type: &'static str,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsJsonFailure {
    /// No answer (connection, timeout) or no credentials: worth trying again.
    #[error("{0}")]
    Unreachable(String),
    /// The request could not be signed or the client not built.
    #[error("{0}")]
    Local(String),
    /// The service answered with an error: its status, error type (after the last `#`) and
    /// message.
    #[error("{status} {kind}: {message}")]
    Service {
        status: u16,
        kind: String,
        message: String,
    },
}

impl std::fmt::Debug for AwsJsonApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsJsonApi")
            .field("service", &self.service)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl AwsJsonApi {
    /// Over the SDK configuration's credentials and region; the endpoint is the first of the
    /// environment variables `endpoint_vars` that is set (an emulator), else `default`, given
    /// the region and the SDK configuration's endpoint override (`AWS_ENDPOINT_URL`, a test's
    /// emulator) if it has one.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        service: &'static str,
        content_type: &'static str,
        endpoint_vars: &[&str],
        default: impl FnOnce(&str, Option<&str>) -> String,
    ) -> Result<Self, AwsJsonFailure> {
        let region = sdk
            .region()
            .map(ToString::to_string)
            .ok_or_else(|| AwsJsonFailure::Local("no AWS region is configured".into()))?;
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| AwsJsonFailure::Local("no AWS credentials are configured".into()))?;
        let endpoint = endpoint_vars
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| default(&region, sdk.endpoint_url()));
        let http = crate::platform::tls::http_client_builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| AwsJsonFailure::Local(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            credentials,
            region,
            endpoint,
            service,
            content_type,
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// `POST` of `body` as the operation `target` (`AWSEvents.PutEvents`): the JSON answer, or
    /// why there is none.
    pub async fn call(&self, target: &str, body: &Value) -> Result<Value, AwsJsonFailure> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let body = body.to_string();
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| AwsJsonFailure::Unreachable(format!("AWS credentials: {e}")))?;
        let identity = credentials.into();
        let local = |e: &dyn std::fmt::Display| AwsJsonFailure::Local(format!("signing: {e}"));
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(std::time::SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| local(&e))?
            .into();
        let headers = [
            ("content-type", self.content_type),
            ("x-amz-target", target),
        ];
        let signable = SignableRequest::new(
            "POST",
            &self.endpoint,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| local(&e))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| local(&e))?.into_parts();
        let mut request = self.http.post(&self.endpoint).body(body);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AwsJsonFailure::Unreachable(format!("{target}: {e}")))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let kind = answer["__type"]
            .as_str()
            .unwrap_or_default()
            .rsplit('#')
            .next()
            .unwrap_or_default()
            .to_owned();
        let message = answer["message"]
            .as_str()
            .or(answer["Message"].as_str())
            .unwrap_or_default()
            .to_owned();
        Err(AwsJsonFailure::Service {
            status: status.as_u16(),
            kind,
            message,
        })
    }
}
