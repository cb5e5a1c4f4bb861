//! The outside world behind small traits, each with its AWS adapter and its in-memory adapter
//! side by side: the ticket store (DynamoDB), queues (SQS), timers (EventBridge Scheduler), the
//! WhatsApp Cloud API, the clock, the shop's order API, the media store (S3), notifications
//! (SNS) and ticket events for integrations (EventBridge).

pub mod aws_json;
pub mod bot_feedback;
pub mod clock;
pub mod config_docs;
pub mod events;
pub mod identity;
pub mod media;
pub mod notify;
pub mod orders;
pub mod queue;
pub mod store;
pub mod timers;
pub mod whatsapp;
