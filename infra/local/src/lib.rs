//! Running the helpdesk on one machine: resource provisioning for AWS emulators (moto,
//! DynamoDB Local, LocalStack), the local runner's HTTP server, its simulated WhatsApp Cloud API
//! and the browser pages.

pub mod consumers;
pub mod dlq;
pub mod load;
pub mod pages;
pub mod provision;
pub mod pump;
pub mod safety;
pub mod server;
pub mod shop;
pub mod simulator;
