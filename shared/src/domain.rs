//! What the helpdesk is about, without I/O: tickets and their state transitions, identifiers,
//! consent, CSAT, SLA policies and clocks, WhatsApp template rules, and the bot's understanding
//! and conversation engine.

pub mod agent;
pub mod attachment;
pub mod bot;
pub mod canned;
pub mod config_doc;
pub mod consent;
pub mod csat;
pub mod customer;
pub mod handoff;
pub mod ids;
pub mod order;
pub mod retention;
pub mod sla;
pub mod templates;
pub mod ticket;
pub mod ticket_tags;
pub mod timer;
pub mod unrecognised;
pub mod whatsapp;
