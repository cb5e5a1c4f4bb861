//! The 24/7 bot: configuration, intent matching and the decision engine (pure: no I/O).

pub mod config;
pub mod engine;
pub mod eval;
pub mod matcher;
pub mod model;
pub mod model_cache;
pub mod understanding;

pub use config::{BotConfig, BotConfigError, HandoffReason, Lang, Priority};
pub use engine::{
    BotState, Engine, Handoff, Inbound, Lookup, OrderInfo, OrderRequest, Reply, Turn,
};
pub use understanding::Understanding;
