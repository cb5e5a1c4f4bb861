//! Running the helpdesk on one machine: resource provisioning for AWS emulators (moto,
//! DynamoDB Local, LocalStack) and the local runner's HTTP server.

pub mod provision;
pub mod pump;
pub mod server;
