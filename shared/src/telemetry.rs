//! One-line logging setup: JSON lines (what CloudWatch Logs Insights queries), level from
//! `RUST_LOG` (default `info`). Message bodies and phone numbers are never logged at info.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests, local runner after a function) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .try_init();
}
