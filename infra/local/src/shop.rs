//! The demo shop's order API, served by the runner at `/shop` in every mode: the same contract
//! as a real shop (`GET /shop/orders/{id}` with a bearer token, the order as JSON, 404 for an
//! unknown number), so the bot's order questions get the same answers in memory, on the
//! emulators and on LocalStack. In memory mode the bot reads the same orders directly; in `--aws`
//! mode the runner points `HELPDESK_ORDER_API_URL` here (unless it is set) and the production
//! HTTP adapter calls it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use helpdesk::config::{self, Env};
use helpdesk::orders::{MemoryOrders, OrderLookup};
use http::{HeaderMap, StatusCode};

/// The bearer token the demo shop accepts.
pub const SHOP_TOKEN: &str = "local-shop-token";

/// The routes under `/shop`.
pub fn routes(orders: MemoryOrders) -> Router {
    Router::new()
        .route("/shop/orders/{id}", get(order))
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

async fn order(
    State(orders): State<Arc<MemoryOrders>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let authorized = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(SHOP_TOKEN);
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "a bearer token is required"})),
        )
            .into_response();
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "order ids are digits"})),
        )
            .into_response();
    }
    match orders.order(&id).await {
        Ok(Some(found)) => axum::Json(found).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "no such order"})),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpdesk::orders::HttpOrders;
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

    #[tokio::test]
    async fn the_production_order_adapter_reads_the_demo_orders_from_the_runner() {
        let base = serve().await;
        let env = with_demo_shop(Env::from_pairs([]), &base);
        let url = env.get(config::HELPDESK_ORDER_API_URL).unwrap();
        let token = env.get(config::HELPDESK_ORDER_API_TOKEN).unwrap();
        let shop = HttpOrders::new(url, Some(SecretString::from(token))).unwrap();

        let shipped = shop.order("100234").await.unwrap().expect("a demo order");
        assert_eq!(
            (shipped.status.as_str(), shipped.carrier.as_deref()),
            ("shipped", Some("DHL"))
        );
        assert_eq!(shop.order("999999").await.unwrap(), None, "unknown number");
    }

    #[tokio::test]
    async fn the_demo_shop_refuses_callers_without_its_token() {
        let base = serve().await;
        let shop = HttpOrders::new(&format!("{base}/shop"), None).unwrap();
        let err = shop.order("100234").await.unwrap_err();
        assert!(err.to_string().contains("401"), "{err}");
        let wrong = HttpOrders::new(&format!("{base}/shop"), Some("nope".into())).unwrap();
        assert!(wrong.order("100234").await.is_err());
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
