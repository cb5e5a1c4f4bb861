//! The demo shop's order API, served by the runner in every mode: the README's order API
//! contract (`POST /shop/orders/lookup` with a bearer token and `{"order_id", "customer":
//! {"wa_id", "phone"}, "postcode"?}`; 200 with the order when it is the customer's, 403 when it
//! is not confirmed to be, 404 for an unknown number), answered from the demo orders. In memory
//! mode the bot reads the same orders directly; in `--aws` mode the runner points
//! `HELPDESK_ORDER_API_URL` here (unless it is set, or real customers could be answered) and the
//! production HTTP adapter calls it, so the walk-through gives the same answers on the
//! emulators and on LocalStack.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use helpdesk::domain::ids::WaId;
use helpdesk::platform::config::{self, Env};
use helpdesk::ports::orders::{MemoryOrders, OrderAnswer, OrderLookup, OrderQuery};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

/// The bearer token the demo shop accepts.
pub const SHOP_TOKEN: &str = "local-shop-token";

/// The routes under `/shop`.
pub fn routes(orders: MemoryOrders) -> Router {
    Router::new()
        .route("/shop/orders/lookup", post(lookup))
        .with_state(Arc::new(orders))
}

/// The environment of the `--aws` handlers: the demo shop at `base` (the runner's own address)
/// unless the environment names a shop. Its token is only added for the demo shop, so a real
/// shop's URL is never sent the demo token.
pub fn with_demo_shop(env: Env, base: &str) -> Env {
    if env.get(config::HELPDESK_ORDER_API_URL).is_some() {
        return env;
    }
    env.or_default(config::HELPDESK_ORDER_API_URL, &format!("{base}/shop"))
        .or_default(config::HELPDESK_ORDER_API_TOKEN, SHOP_TOKEN)
}

#[derive(Deserialize)]
struct LookupBody {
    order_id: String,
    customer: CustomerBody,
    postcode: Option<String>,
}

#[derive(Deserialize)]
struct CustomerBody {
    wa_id: String,
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

async fn lookup(
    State(orders): State<Arc<MemoryOrders>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let authorized = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(SHOP_TOKEN);
    if !authorized {
        return refuse(StatusCode::UNAUTHORIZED, "a bearer token is required");
    }
    let Ok(request) = serde_json::from_slice::<LookupBody>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "expected {\"order_id\", \"customer\": {\"wa_id\"}, \"postcode\"?}",
        );
    };
    let id = &request.order_id;
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(StatusCode::BAD_REQUEST, "order_id: digits only");
    }
    let Ok(customer) = WaId::parse(&request.customer.wa_id) else {
        return refuse(StatusCode::BAD_REQUEST, "customer.wa_id: not a WhatsApp id");
    };
    let query = OrderQuery {
        order_id: request.order_id,
        customer,
        postcode: request.postcode,
    };
    match orders.order(&query).await {
        Ok(OrderAnswer::Yours(info)) => axum::Json(info).into_response(),
        Ok(OrderAnswer::NotYours) => refuse(StatusCode::FORBIDDEN, "not_customer"),
        Ok(OrderAnswer::Unknown) => refuse(StatusCode::NOT_FOUND, "not_found"),
        Err(e) => refuse(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpdesk::ports::orders::HttpOrders;
    use secrecy::SecretString;

    async fn serve() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, routes(MemoryOrders::demo()))
                .await
                .unwrap()
        });
        format!("http://{addr}")
    }

    fn ask(order_id: &str, wa_id: &str, postcode: Option<&str>) -> OrderQuery {
        OrderQuery {
            order_id: order_id.into(),
            customer: WaId::parse(wa_id).unwrap(),
            postcode: postcode.map(Into::into),
        }
    }

    #[tokio::test]
    async fn the_production_order_adapter_reads_the_demo_orders_from_the_runner() {
        let base = serve().await;
        let env = with_demo_shop(Env::from_pairs([]), &base);
        let url = env.get(config::HELPDESK_ORDER_API_URL).unwrap();
        let token = env.get(config::HELPDESK_ORDER_API_TOKEN).unwrap();
        let shop = HttpOrders::new(url, Some(SecretString::from(token))).unwrap();

        let OrderAnswer::Yours(shipped) = shop
            .order(&ask("100234", helpdesk::ports::orders::DEMO_CUSTOMER, None))
            .await
            .unwrap()
        else {
            panic!("the demo customer's own order")
        };
        assert_eq!(
            (shipped.status.as_str(), shipped.carrier.as_deref()),
            ("shipped", Some("DHL"))
        );
        // As the contract says: someone else's order only with its postcode; unknown is 404.
        let stranger = "4917699999999";
        assert_eq!(
            shop.order(&ask("100234", stranger, None)).await.unwrap(),
            OrderAnswer::NotYours
        );
        assert!(matches!(
            shop.order(&ask("100234", stranger, Some("10115")))
                .await
                .unwrap(),
            OrderAnswer::Yours(_)
        ));
        assert_eq!(
            shop.order(&ask("999999", stranger, None)).await.unwrap(),
            OrderAnswer::Unknown
        );
    }

    #[tokio::test]
    async fn the_demo_shop_refuses_callers_without_its_token() {
        let base = serve().await;
        let query = ask("100234", helpdesk::ports::orders::DEMO_CUSTOMER, None);
        let shop = HttpOrders::new(&format!("{base}/shop"), None).unwrap();
        let err = shop.order(&query).await.unwrap_err();
        assert!(err.to_string().contains("401"), "{err}");
        let wrong = HttpOrders::new(&format!("{base}/shop"), Some("nope".into())).unwrap();
        assert!(wrong.order(&query).await.is_err());
    }

    #[test]
    fn a_configured_shop_is_kept_and_never_given_the_demo_token() {
        let env = Env::from_pairs([(config::HELPDESK_ORDER_API_URL, "https://shop.example/api")]);
        let env = with_demo_shop(env, "http://127.0.0.1:8080");
        assert_eq!(
            env.get(config::HELPDESK_ORDER_API_URL),
            Some("https://shop.example/api")
        );
        assert_eq!(env.get(config::HELPDESK_ORDER_API_TOKEN), None);
    }

    #[test]
    fn without_a_shop_the_runner_points_the_bot_at_its_demo_shop() {
        let env = with_demo_shop(Env::from_pairs([]), "http://127.0.0.1:8080");
        assert_eq!(
            env.get(config::HELPDESK_ORDER_API_URL),
            Some("http://127.0.0.1:8080/shop")
        );
        assert_eq!(env.get(config::HELPDESK_ORDER_API_TOKEN), Some(SHOP_TOKEN));
    }
}
