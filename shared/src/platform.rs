//! What runs the application on Lambda: typed settings parsed once from the environment and
//! the config files, the wiring that builds every handler from its ports, the Lambda glue,
//! deadlines, logs, metrics and TLS.

pub(crate) mod aws;
pub mod config;
pub mod config_file;
pub mod deadline;
pub mod handlers;
pub mod lambda;
pub mod live_config;
pub mod metrics;
pub mod telemetry;
pub mod tls;
pub mod wiring;
