//! The WhatsApp Cloud API webhook: signature check, wire format, planning and the HTTP handler
//! shared by the Lambda function and the local runner.

pub mod http;
pub mod payload;
pub mod plan;
pub mod sample;
pub mod signature;

pub use self::http::{MAX_BODY_BYTES, WebhookHandler};
pub use plan::{IntakePlan, PayloadError, plan};
pub use signature::{SignatureError, SignatureVerifier};
