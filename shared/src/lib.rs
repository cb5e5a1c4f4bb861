//! The helpdesk: every Lambda function is a thin `main` over this crate. The folders are the
//! layers (see `ARCHITECTURE.md`): `domain` (no I/O) ← `app` (one module per function) ←
//! `ports` (traits with their AWS and in-memory adapters) and `platform` (settings, wiring,
//! Lambda glue).

pub mod app;
pub mod domain;
pub mod platform;
pub mod ports;
#[cfg(test)]
mod testkit;
