//! The shop's order vocabulary, without I/O: what an order lookup answers and how postcodes
//! compare. The bot asks for lookups in these terms; the order port (`ports::orders`) answers in
//! them.

use serde::{Deserialize, Serialize};

/// The shop's answer to an order lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookup {
    /// The order, confirmed by the shop to be this customer's.
    Found(OrderInfo),
    NotFound,
    /// The shop knows the order but not as this customer's (number not on it, postcode
    /// missing or wrong): nothing about it is told.
    NotYours,
    /// The shop could not be asked (timeout, error): a person takes over.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    pub order_id: String,
    /// `processing`, `shipped`, `delivered`, or the shop's own word.
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_url: Option<String>,
    /// Expected (or actual) delivery date, as the shop gives it.
    pub eta: Option<String>,
}

/// A postcode as the shop compares it: upper case, without spaces and hyphens ("d-10115",
/// "SW1A 1AA" -> "SW1A1AA").
pub fn normalize_postcode(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}
