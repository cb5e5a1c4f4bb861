//! The helpdesk domain: WhatsApp webhook intake, tickets and conversation windows, and the ports
//! (store, queue, timers, clock) with their AWS and in-memory adapters. Every Lambda function is
//! a thin `main` over this crate.

pub mod agent;
pub mod analytics;
pub mod api;
mod aws;
pub mod bot;
pub mod clock;
pub mod config;
pub mod consent;
pub mod csat;
pub mod deadline;
pub mod escalation;
pub mod handoff;
pub mod ids;
pub mod intake;
pub mod lambda;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod orders;
pub mod outbox;
pub mod privacy;
pub mod queue;
pub mod reply;
pub mod routing;
pub mod sla;
pub mod store;
pub mod telemetry;
pub mod templates;
#[cfg(test)]
mod testkit;
pub mod ticket;
pub mod timers;
pub mod tls;
pub mod webhook;
pub mod whatsapp;
pub mod wiring;
