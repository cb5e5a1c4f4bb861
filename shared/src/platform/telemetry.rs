//! One-line logging setup: JSON lines (what CloudWatch Logs Insights queries), level from
//! `RUST_LOG` (default `info`). Message bodies and phone numbers are never logged at info.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

pub fn init() {
    let (filter, invalid) = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    // A second init (tests, local runner after a function) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(LevelFilter::TRACE)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .finish()
        .with(filter)
        .try_init();
    if let Some(problem) = invalid {
        tracing::warn!(%problem, "RUST_LOG is not a valid filter; logging at info");
    }
}

/// The filter `RUST_LOG` names: a level (`debug`) or per-target directives
/// (`info,helpdesk=debug,aws_smithy_runtime=warn`); unset or empty means `info`. An invalid
/// value gives `info` and the reason, so a typo cannot silence a function.
pub fn log_filter(spec: Option<&str>) -> (Targets, Option<String>) {
    let info = Targets::new().with_default(LevelFilter::INFO);
    match spec.map(str::trim) {
        None | Some("") => (info, None),
        Some(spec) => match spec.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(e) => (info, Some(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn unset_or_empty_rust_log_logs_at_info() {
        for spec in [None, Some(""), Some("  ")] {
            let (filter, problem) = log_filter(spec);
            assert!(problem.is_none());
            assert!(filter.would_enable("helpdesk::intake", &Level::INFO));
            assert!(!filter.would_enable("helpdesk::intake", &Level::DEBUG));
        }
    }

    #[test]
    fn per_target_directives_raise_and_lower_levels() {
        let (filter, problem) = log_filter(Some("warn,helpdesk=debug"));
        assert!(problem.is_none());
        assert!(filter.would_enable("helpdesk::reply", &Level::DEBUG));
        assert!(!filter.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(filter.would_enable("aws_smithy_runtime", &Level::WARN));
    }

    #[test]
    fn an_invalid_rust_log_falls_back_to_info_and_says_why() {
        let (filter, problem) = log_filter(Some("helpdesk=loud"));
        assert!(problem.is_some_and(|p| !p.is_empty()));
        assert!(filter.would_enable("helpdesk", &Level::INFO));
        assert!(!filter.would_enable("helpdesk", &Level::DEBUG));
    }
}
