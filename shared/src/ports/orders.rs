//! The shop's order API, behind a port: the HTTP adapter (base URL and token from config,
//! timeout, one retry) and an in-memory adapter with demo orders.
//!
//! Every lookup names the customer who asks (their WhatsApp id and number) and, when the shop
//! asked for one, the postcode they gave: the shop reveals an order only to the customer it
//! belongs to, so nobody learns another customer's carrier, delivery date or tracking link by
//! typing order numbers. The contract is in the README ("Order API contract").

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::domain::ids::WaId;
pub use crate::domain::order::normalize_postcode;
use crate::domain::order::{Lookup, OrderInfo};

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

/// One customer's question about one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Digits only (the bot checks the format).
    pub order_id: String,
    /// Who asks: the WhatsApp id of the conversation (Meta vouches for it).
    pub customer: WaId,
    /// The postcode of the delivery address, when the customer gave one because the shop could
    /// not tie the order to their number.
    pub postcode: Option<String>,
}

/// What the shop says about an order asked for by a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAnswer {
    /// The order, confirmed to be the asking customer's (by their number or the postcode).
    Yours(OrderInfo),
    /// The order is not confirmed to be theirs (their number is not on it, and no postcode or a
    /// wrong one was given). Nothing about it may be told.
    NotYours,
    /// The shop knows no such order.
    Unknown,
}

#[async_trait]
pub trait OrderLookup: Send + Sync {
    async fn order(&self, query: &OrderQuery) -> Result<OrderAnswer, OrderError>;
}

/// What the bot makes of a lookup: a failure becomes [`Lookup::Failed`] (a person takes over).
pub async fn look_up(orders: &dyn OrderLookup, query: &OrderQuery) -> Lookup {
    match orders.order(query).await {
        Ok(OrderAnswer::Yours(order)) => Lookup::Found(order),
        Ok(OrderAnswer::NotYours) => Lookup::NotYours,
        Ok(OrderAnswer::Unknown) => Lookup::NotFound,
        Err(e) => {
            warn!(error = %e, "order lookup failed");
            Lookup::Failed
        }
    }
}

/// An order as the demo shop keeps it: what it tells, whose it is, where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopOrder {
    pub info: OrderInfo,
    /// The WhatsApp id (number) the customer ordered with.
    pub wa_id: String,
    pub postcode: String,
}

/// Orders kept in memory: the local runner's demo shop and tests. It answers as the contract
/// says a shop must: an order only to the customer whose number or postcode is on it.
#[derive(Debug, Clone, Default)]
pub struct MemoryOrders {
    orders: HashMap<String, ShopOrder>,
}

/// The demo customer the simulator opens by default (and `helpdesk-local say` writes as).
pub const DEMO_CUSTOMER: &str = "4915112345678";

impl MemoryOrders {
    pub fn new(orders: impl IntoIterator<Item = ShopOrder>) -> Self {
        Self {
            orders: orders
                .into_iter()
                .map(|o| (o.info.order_id.clone(), o))
                .collect(),
        }
    }

    /// Three demo orders: 100234 shipped and 100235 processing, both of the simulator's default
    /// customer 4915112345678 (postcode 10115), and 100236 delivered, of 4917600000001
    /// (postcode 80331). Any other number is asked for the postcode.
    pub fn demo() -> Self {
        let order = |id: &str, status: &str, carrier: Option<&str>, eta: Option<&str>| OrderInfo {
            order_id: id.into(),
            status: status.into(),
            carrier: carrier.map(Into::into),
            tracking_url: carrier.map(|_| format!("https://tracking.example/{id}")),
            eta: eta.map(Into::into),
        };
        let of = |info, wa_id: &str, postcode: &str| ShopOrder {
            info,
            wa_id: wa_id.into(),
            postcode: postcode.into(),
        };
        Self::new([
            of(
                order("100234", "shipped", Some("DHL"), Some("27.11.2026")),
                DEMO_CUSTOMER,
                "10115",
            ),
            of(
                order("100235", "processing", None, None),
                DEMO_CUSTOMER,
                "10115",
            ),
            of(
                order("100236", "delivered", Some("DHL"), Some("20.11.2026")),
                "4917600000001",
                "80331",
            ),
        ])
    }
}

#[async_trait]
impl OrderLookup for MemoryOrders {
    async fn order(&self, query: &OrderQuery) -> Result<OrderAnswer, OrderError> {
        let Some(order) = self.orders.get(&query.order_id) else {
            return Ok(OrderAnswer::Unknown);
        };
        let by_number = order.wa_id == query.customer.as_str();
        let by_postcode = query
            .postcode
            .as_deref()
            .is_some_and(|p| normalize_postcode(p) == normalize_postcode(&order.postcode));
        Ok(if by_number || by_postcode {
            OrderAnswer::Yours(order.info.clone())
        } else {
            OrderAnswer::NotYours
        })
    }
}

/// No order API configured: every lookup fails, so a person answers order questions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unconfigured;

#[async_trait]
impl OrderLookup for Unconfigured {
    async fn order(&self, _query: &OrderQuery) -> Result<OrderAnswer, OrderError> {
        Err(OrderError::Unavailable("no order API is configured".into()))
    }
}

/// The shop's API: `POST {base_url}/orders/lookup` with a bearer token and
/// `{"order_id", "customer": {"wa_id", "phone"}, "postcode"?}`; 200 with
/// `{"order_id","status","carrier","tracking_url","eta"}` when the order is the customer's, 403
/// when it is not confirmed to be, 404 for an unknown number (README, "Order API contract").
pub struct HttpOrders {
    client: reqwest::Client,
    base_url: String,
    token: Option<SecretString>,
}

#[derive(Serialize)]
struct LookupBody<'a> {
    order_id: &'a str,
    customer: CustomerBody<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postcode: Option<&'a str>,
}

#[derive(Serialize)]
struct CustomerBody<'a> {
    wa_id: &'a str,
    /// E.164: `+` and the WhatsApp id's digits.
    phone: String,
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
        let client = crate::platform::tls::http_client_builder()
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

    async fn once(&self, query: &OrderQuery) -> Result<OrderAnswer, OrderError> {
        let postcode = query.postcode.as_deref().map(normalize_postcode);
        let body = LookupBody {
            order_id: &query.order_id,
            customer: CustomerBody {
                wa_id: query.customer.as_str(),
                phone: format!("+{}", query.customer.as_str()),
            },
            postcode: postcode.as_deref(),
        };
        let mut request = self
            .client
            .post(format!("{}/orders/lookup", self.base_url))
            .json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                OrderError::Timeout
            } else {
                OrderError::Unavailable(e.without_url().to_string())
            }
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(OrderAnswer::Unknown);
        }
        if status == reqwest::StatusCode::FORBIDDEN {
            return Ok(OrderAnswer::NotYours);
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
        // An answer about another order than the one asked for is not passed on.
        if body
            .order_id
            .as_deref()
            .is_some_and(|id| id != query.order_id)
        {
            return Err(OrderError::Rejected(
                "the answer is about another order".into(),
            ));
        }
        Ok(OrderAnswer::Yours(OrderInfo {
            order_id: query.order_id.clone(),
            status: body.status,
            carrier: body.carrier,
            tracking_url: body.tracking_url,
            eta: body.eta,
        }))
    }
}

#[async_trait]
impl OrderLookup for HttpOrders {
    async fn order(&self, query: &OrderQuery) -> Result<OrderAnswer, OrderError> {
        // Only digits reach the shop as an order id: the bot checks the format first; this
        // keeps it so.
        let id = &query.order_id;
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderError::Rejected("order ids are digits".into()));
        }
        match self.once(query).await {
            Err(e) if e.is_retryable() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.once(query).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(order_id: &str, customer: &str, postcode: Option<&str>) -> OrderQuery {
        OrderQuery {
            order_id: order_id.into(),
            customer: WaId::parse(customer).unwrap(),
            postcode: postcode.map(Into::into),
        }
    }

    #[tokio::test]
    async fn the_demo_shop_tells_an_order_only_to_its_customer_or_with_its_postcode() {
        let shop = MemoryOrders::demo();
        let yours = shop.order(&ask("100234", DEMO_CUSTOMER, None)).await;
        assert!(matches!(yours, Ok(OrderAnswer::Yours(o)) if o.carrier.as_deref() == Some("DHL")));
        let stranger = "4915100000101";
        assert_eq!(
            shop.order(&ask("100234", stranger, None)).await,
            Ok(OrderAnswer::NotYours)
        );
        assert_eq!(
            shop.order(&ask("100234", stranger, Some("99999"))).await,
            Ok(OrderAnswer::NotYours)
        );
        assert!(matches!(
            shop.order(&ask("100234", stranger, Some("10115"))).await,
            Ok(OrderAnswer::Yours(_))
        ));
        assert_eq!(
            shop.order(&ask("999999", DEMO_CUSTOMER, None)).await,
            Ok(OrderAnswer::Unknown)
        );
    }

    #[test]
    fn postcodes_compare_without_case_spaces_or_hyphens() {
        assert_eq!(normalize_postcode("sw1a 1aa"), "SW1A1AA");
        assert_eq!(normalize_postcode("D-10115"), "D10115");
    }

    #[tokio::test]
    async fn an_order_id_that_is_not_digits_never_reaches_the_shop() {
        let shop = HttpOrders::new("http://127.0.0.1:9", None).unwrap();
        assert!(matches!(
            shop.order(&ask("1/../admin", DEMO_CUSTOMER, None)).await,
            Err(OrderError::Rejected(_))
        ));
    }
}
