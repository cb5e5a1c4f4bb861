//! One module per Lambda function (webhook intake, bot reply, agent handoff, SLA breach, agent
//! API) and the use cases they share (the outbox, privacy requests, analytics). Each reads and
//! writes only through the ports.

pub mod admin;
pub mod agent_api;
pub mod agent_handoff;
pub mod analytics;
pub mod bot_reply;
pub mod intake;
pub mod outbox;
pub mod privacy;
pub mod queue_batch;
pub mod sla_breach;
pub mod templates;
pub mod ticket_change;
pub mod ticket_events;
