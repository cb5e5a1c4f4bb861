//! The search index: small items beside the data they point at, written in the same
//! transaction as that data and deleted by a customer's erasure. One layout for both adapters.
//!
//! | search | partition (`PK`) | sort key (`SK`) | points at |
//! |---|---|---|---|
//! | phone, last 4+ digits or whole | `SEARCH#PHONE#<last 4 digits>` | the number's digits reversed | `wa_id` |
//! | name word prefix | `SEARCH#NAME#<first 2 letters of the word>` | `<word>#<wa_id>` | `wa_id` |
//! | order number | `SEARCH#ORDER#<order>` | `<ticket id>` | `ticket_id` |
//!
//! A search is one `Query` of one partition with `begins_with(SK, ...)` (the reversed digits
//! searched, the word typed, nothing), so it reads only items that match.
//! A ticket keeps a back reference (`TICKET#<id>`, `SEARCH#ORDER#<order>`) so erasing the
//! ticket finds its order items even when the bot forgot the order since; a customer's profile
//! lists the name words indexed (`index_words`) for the same reason.

use crate::domain::customer::{MIN_PHONE_DIGITS, name_tokens};
use crate::domain::ids::{TicketId, WaId};

/// What one search looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// The last (at least 4) digits of a number, or all of them.
    Phone(String),
    /// The start of one word of a name, folded (`domain::customer::query_words`).
    Name(String),
    /// An order number (`domain::customer::order_key`).
    Order(String),
}

/// One index item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchHit {
    Customer(WaId),
    Ticket(TicketId),
}

/// An index item's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

/// The prefix of every index partition.
pub const SEARCH_PREFIX: &str = "SEARCH#";
/// The sort-key prefix of a ticket's back reference to an order item.
pub const ORDER_REF_PREFIX: &str = "SEARCH#ORDER#";

impl SearchKey {
    /// The partition and the sort-key prefix to read; `None` when the key cannot match
    /// anything (fewer than 4 digits, an empty word).
    pub fn range(&self) -> Option<(String, String)> {
        match self {
            Self::Phone(digits) if digits.len() >= MIN_PHONE_DIGITS => {
                Some((phone_partition(digits), digits.chars().rev().collect()))
            }
            Self::Name(word) if !word.is_empty() => Some((name_partition(word), word.clone())),
            Self::Order(order) if !order.is_empty() => {
                Some((format!("{SEARCH_PREFIX}ORDER#{order}"), String::new()))
            }
            _ => None,
        }
    }
}

fn phone_partition(digits: &str) -> String {
    format!(
        "{SEARCH_PREFIX}PHONE#{}",
        &digits[digits.len() - MIN_PHONE_DIGITS..]
    )
}

fn name_partition(word: &str) -> String {
    let head: String = word.chars().take(2).collect();
    format!("{SEARCH_PREFIX}NAME#{head}")
}

/// The customer's phone item.
pub fn phone_item(wa_id: &WaId) -> IndexKey {
    let digits = wa_id.as_str();
    IndexKey {
        pk: phone_partition(digits),
        sk: digits.chars().rev().collect(),
    }
}

/// The name items of one indexed word.
pub fn name_item(word: &str, wa_id: &WaId) -> IndexKey {
    IndexKey {
        pk: name_partition(word),
        sk: format!("{word}#{}", wa_id.as_str()),
    }
}

/// The words a customer is found by: those of WhatsApp's profile name and of the name agents
/// gave them.
pub fn customer_words(profile_name: Option<&str>, agent_name: Option<&str>) -> Vec<String> {
    let mut words = std::collections::BTreeSet::new();
    for name in [profile_name, agent_name].into_iter().flatten() {
        words.extend(name_tokens(name));
    }
    words.into_iter().collect()
}

/// The order item of a ticket, and the ticket's back reference to it.
pub fn order_items(order: &str, ticket: TicketId) -> (IndexKey, IndexKey) {
    (
        IndexKey {
            pk: format!("{SEARCH_PREFIX}ORDER#{order}"),
            sk: ticket.to_string(),
        },
        IndexKey {
            pk: format!("TICKET#{ticket}"),
            sk: format!("{ORDER_REF_PREFIX}{order}"),
        },
    )
}

/// The order the bot holds on a ticket, as the index keys it.
pub fn ticket_order(ticket: &crate::domain::ticket::Ticket) -> Option<String> {
    ticket
        .bot
        .as_ref()
        .and_then(|b| b.order_id.as_deref())
        .and_then(crate::domain::customer::order_key)
}

/// Most index items one search reads.
pub const MAX_HITS: u32 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_search_reads_the_partition_of_its_last_four_digits_from_the_end() {
        let wa = WaId::parse("491512345678").unwrap();
        let item = phone_item(&wa);
        for digits in ["5678", "45678", "491512345678"] {
            let (pk, prefix) = SearchKey::Phone(digits.into()).range().unwrap();
            assert_eq!(pk, item.pk);
            assert!(item.sk.starts_with(&prefix), "{digits}");
        }
        let (pk, prefix) = SearchKey::Phone("15678".into()).range().unwrap();
        assert!(
            pk == item.pk && !item.sk.starts_with(&prefix),
            "another number"
        );
        assert_eq!(SearchKey::Phone("678".into()).range(), None);
    }

    #[test]
    fn a_name_search_reads_the_partition_of_the_words_first_letters() {
        let wa = WaId::parse("491512345678").unwrap();
        let words = customer_words(Some("Jörg Müller"), None);
        assert!(words.contains(&"muller".to_string()));
        let item = name_item("muller", &wa);
        let (pk, prefix) = SearchKey::Name("mul".into()).range().unwrap();
        assert_eq!(pk, item.pk);
        assert!(item.sk.starts_with(&prefix));
        assert_eq!(SearchKey::Name(String::new()).range(), None);
    }
}
