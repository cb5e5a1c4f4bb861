//! The shop's order API, behind a port: the HTTP adapter (base URL and token from config,
//! timeout, one retry) and an in-memory adapter with demo orders.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::warn;

use crate::bot::engine::{Lookup, OrderInfo};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order API did not answer in time")]
    Timeout,
    #[error("the order API failed ({0})")]
    Unavailable(String),
    #[error("the order API refused the request ({0})")]
    Rejected(String),
}

impl OrderError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout | Self::Unavailable(_))
    }
}

#[async_trait]
pub trait OrderLookup: Send + Sync {
    /// The order, or `None` when the shop does not know the number.
    async fn order(&self, order_id: &str) -> Result<Option<OrderInfo>, OrderError>;
}

/// What the bot makes of a lookup: a failure becomes [`Lookup::Failed`] (a person takes over).
pub async fn look_up(orders: &dyn OrderLookup, order_id: &str) -> Lookup {
    match orders.order(order_id).await {
        Ok(Some(order)) => Lookup::Found(order),
        Ok(None) => Lookup::NotFound,
        Err(e) => {
            warn!(error = %e, "order lookup failed");
            Lookup::Failed
        }
    }
}

/// Orders kept in memory: the local runner's demo shop and tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryOrders {
    orders: HashMap<String, OrderInfo>,
}

impl MemoryOrders {
    pub fn new(orders: impl IntoIterator<Item = OrderInfo>) -> Self {
        Self {
            orders: orders
                .into_iter()
                .map(|o| (o.order_id.clone(), o))
                .collect(),
        }
    }

    /// Three demo orders: 100234 shipped, 100235 processing, 100236 delivered.
    pub fn demo() -> Self {
        let order = |id: &str, status: &str, carrier: Option<&str>, eta: Option<&str>| OrderInfo {
            order_id: id.into(),
            status: status.into(),
            carrier: carrier.map(Into::into),
            tracking_url: carrier.map(|_| format!("https://tracking.example/{id}")),
            eta: eta.map(Into::into),
        };
        Self::new([
            order("100234", "shipped", Some("DHL"), Some("27.11.2026")),
            order("100235", "processing", None, None),
            order("100236", "delivered", Some("DHL"), Some("20.11.2026")),
        ])
    }
}

#[async_trait]
impl OrderLookup for MemoryOrders {
    async fn order(&self, order_id: &str) -> Result<Option<OrderInfo>, OrderError> {
        Ok(self.orders.get(order_id).cloned())
    }
}

/// No order API configured: every lookup fails, so a person answers order questions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unconfigured;

#[async_trait]
impl OrderLookup for Unconfigured {
    async fn order(&self, _order_id: &str) -> Result<Option<OrderInfo>, OrderError> {
        Err(OrderError::Unavailable("no order API is configured".into()))
    }
}

/// The shop's API: `GET {base_url}/orders/{id}` with a bearer token, answering
/// `{"order_id","status","carrier","tracking_url","eta"}`, or 404 for an unknown number.
pub struct HttpOrders {
    client: reqwest::Client,
    base_url: String,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct OrderBody {
    order_id: Option<String>,
    status: String,
    carrier: Option<String>,
    tracking_url: Option<String>,
    eta: Option<String>,
}

impl HttpOrders {
    pub const TIMEOUT: Duration = Duration::from_secs(3);

    pub fn new(base_url: &str, token: Option<SecretString>) -> Result<Self, OrderError> {
        let client = crate::tls::http_client_builder()
            .timeout(Self::TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| OrderError::Rejected(e.to_string()))?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    async fn once(&self, order_id: &str) -> Result<Option<OrderInfo>, OrderError> {
        let mut request = self
            .client
            .get(format!("{}/orders/{order_id}", self.base_url));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                OrderError::Timeout
            } else {
                OrderError::Unavailable(e.to_string())
            }
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(OrderError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(OrderError::Rejected(format!("HTTP {status}")));
        }
        let body: OrderBody = response
            .json()
            .await
            .map_err(|e| OrderError::Unavailable(format!("unreadable answer: {e}")))?;
        Ok(Some(OrderInfo {
            order_id: body.order_id.unwrap_or_else(|| order_id.to_owned()),
            status: body.status,
            carrier: body.carrier,
            tracking_url: body.tracking_url,
            eta: body.eta,
        }))
    }
}

#[async_trait]
impl OrderLookup for HttpOrders {
    async fn order(&self, order_id: &str) -> Result<Option<OrderInfo>, OrderError> {
        // Only digits reach the URL: the bot checks the format first; this keeps it so.
        if order_id.is_empty() || !order_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderError::Rejected("order ids are digits".into()));
        }
        match self.once(order_id).await {
            Err(e) if e.is_retryable() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.once(order_id).await
            }
            other => other,
        }
    }
}
