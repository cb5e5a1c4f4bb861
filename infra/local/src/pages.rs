//! The browser pages the runner serves: `/simulator` (a customer's phone on the simulated
//! WhatsApp) and `/console` (the agent console over `/api`). Plain HTML, CSS and JavaScript,
//! compiled into the binary; no build step.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route(
            "/simulator",
            get(|| async { asset(HTML, include_str!("../ui/simulator.html")) }),
        )
        .route(
            "/console",
            get(|| async { asset(HTML, include_str!("../ui/console.html")) }),
        )
        .route(
            "/ui/common.css",
            get(|| async { asset(CSS, include_str!("../ui/common.css")) }),
        )
        .route(
            "/ui/simulator.css",
            get(|| async { asset(CSS, include_str!("../ui/simulator.css")) }),
        )
        .route(
            "/ui/simulator.js",
            get(|| async { asset(JS, include_str!("../ui/simulator.js")) }),
        )
        .route(
            "/ui/console.css",
            get(|| async { asset(CSS, include_str!("../ui/console.css")) }),
        )
        .route(
            "/ui/console.js",
            get(|| async { asset(JS, include_str!("../ui/console.js")) }),
        )
}
