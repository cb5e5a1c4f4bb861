//! Identifiers that cross a trust boundary, parsed and validated once.
//!
//! Customer identifiers are personal data: their `Debug` and `Display` forms are masked so that a
//! stray `?wa_id` in a log line never prints a phone number. Use [`WaId::as_str`] where the real
//! value is needed (keys, API calls).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is empty")]
    Empty,
    #[error("is {len} characters long, at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("is {len} digits long, at least {min} are required")]
    TooShort { len: usize, min: usize },
    #[error("must contain only digits")]
    NotDigits,
    #[error("must be printable ASCII without spaces")]
    NotPrintable,
    #[error("is not a ticket id (26 characters, Crockford base32)")]
    NotTicketId,
}

fn digits(s: &str, min: usize, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits);
    }
    if s.len() < min {
        return Err(IdError::TooShort { len: s.len(), min });
    }
    if s.len() > max {
        return Err(IdError::TooLong { len: s.len(), max });
    }
    Ok(())
}

/// A customer's WhatsApp id: the phone number in international form, digits only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WaId(String);

impl WaId {
    pub const MIN_LEN: usize = 5;
    pub const MAX_LEN: usize = 20;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        digits(s, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(Self(s.to_owned()))
    }

    /// Whether `s` would parse, without copying it.
    pub fn is_valid(s: &str) -> bool {
        digits(s, Self::MIN_LEN, Self::MAX_LEN).is_ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The customer as audit records name them: `c:` and the first 16 hex digits of the SHA-256
    /// of the number. The same number always gives the same digest, so an admin asked about a
    /// customer finds their records (`printf %s 4915112345678 | sha256sum | cut -c1-16`), but
    /// the record itself shows no number. Pseudonymous, not anonymous: phone numbers are few
    /// enough to be tried one by one, so audit records are admin-only.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        format!("c:{}", hex::encode(&digest[..8]))
    }

    /// The form safe for logs: country code prefix and last two digits, e.g. `49*********78`.
    pub fn masked(&self) -> String {
        mask_digits(&self.0)
    }
}

pub(crate) fn mask_digits(s: &str) -> String {
    let n = s.len();
    s.char_indices()
        .map(|(i, c)| if i < 2 || i + 2 >= n { c } else { '*' })
        .collect()
}

impl fmt::Debug for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WaId({})", self.masked())
    }
}

impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl TryFrom<String> for WaId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        digits(&s, Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(Self(s))
    }
}

impl From<WaId> for String {
    fn from(id: WaId) -> String {
        id.0
    }
}

/// The id Meta gives our business phone number (not the number itself). Shared, not copied:
/// every message of a webhook carries the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumberId(std::sync::Arc<str>);

impl PhoneNumberId {
    pub const MAX_LEN: usize = 32;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        digits(s, 1, Self::MAX_LEN)?;
        Ok(Self(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumberId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        digits(&s, 1, Self::MAX_LEN)?;
        Ok(Self(s.into()))
    }
}

impl From<PhoneNumberId> for String {
    fn from(id: PhoneNumberId) -> String {
        id.0.to_string()
    }
}

/// A WhatsApp message id (`wamid.…`), inbound or outbound. Our idempotency key.
///
/// Meta's wamids are base64 that contains the customer's phone number, so `Display` and `Debug`
/// show the digest of [`Wamid::log_ref`]: an error message or a `?record` in a log line cannot
/// carry the number. Use [`Wamid::as_str`] where the real value is needed (keys, API calls).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Wamid(String);

impl Wamid {
    /// SQS caps MessageDeduplicationId at 128 characters; real wamids are about 60.
    pub const MAX_LEN: usize = 128;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        Self::check(s)?;
        Ok(Self(s.to_owned()))
    }

    fn check(s: &str) -> Result<(), IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::TooLong {
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdError::NotPrintable);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Wamid {
    /// What logs show of a wamid: Meta's wamids are base64 that contains the customer's phone
    /// number, so logs carry a digest instead (`w:` and 12 hex digits of SHA-256). The same
    /// wamid always gives the same digest: `printf %s "$WAMID" | sha256sum | cut -c1-12` finds it.
    pub fn log_ref(&self) -> LogRef {
        LogRef::of(&self.0)
    }
}

/// A wamid as logs show it (see [`Wamid::log_ref`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRef(String);

impl LogRef {
    /// The digest of any identifier that may carry a phone number (an SQS deduplication id, a
    /// storage key), in the same form as a wamid's.
    pub fn of(raw: &str) -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(raw.as_bytes());
        Self(hex::encode(&digest[..6]))
    }
}

impl fmt::Display for Wamid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.log_ref(), f)
    }
}

impl fmt::Debug for Wamid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Wamid({})", self.log_ref())
    }
}

impl fmt::Display for LogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w:{}", self.0)
    }
}

impl TryFrom<String> for Wamid {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::check(&s)?;
        Ok(Self(s))
    }
}

impl From<Wamid> for String {
    fn from(id: Wamid) -> String {
        id.0
    }
}

/// A ticket id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketId(ulid::Ulid);

impl TicketId {
    /// A fresh id whose time part is `at`.
    pub fn new(at: jiff::Timestamp) -> Self {
        let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
        Self(ulid::Ulid::from_parts(ms, ulid::Ulid::new().random()))
    }

    pub fn parse(s: &str) -> Result<Self, IdError> {
        ulid::Ulid::from_string(s)
            .map(Self)
            .map_err(|_| IdError::NotTicketId)
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<String> for TicketId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<TicketId> for String {
    fn from(id: TicketId) -> String {
        id.0.to_string()
    }
}

/// One customer talking to one of our business numbers: the unit of conversation windows and of
/// message ordering (the FIFO message group).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationKey {
    pub phone_number_id: PhoneNumberId,
    pub wa_id: WaId,
}

impl ConversationKey {
    /// `phone_number_id#wa_id`: the SQS FIFO MessageGroupId (at most 53 characters).
    pub fn group_id(&self) -> String {
        format!("{}#{}", self.phone_number_id.as_str(), self.wa_id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_see_a_stable_digest_of_a_wamid_not_the_number_inside_it() {
        // Meta's wamids are base64 of the number: "NDkxNTExMjM0NTY3OA" is "4915112345678".
        let w = Wamid::parse("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=").unwrap();
        let shown = w.log_ref().to_string();
        assert!(shown.starts_with("w:") && shown.len() == 14, "{shown}");
        assert!(!shown.contains("NDkx"));
        assert_eq!(
            shown,
            w.log_ref().to_string(),
            "the same wamid, the same digest"
        );
        assert_ne!(
            shown,
            Wamid::parse("wamid.other").unwrap().log_ref().to_string()
        );
    }

    #[test]
    fn a_wamid_in_an_error_message_or_a_debug_print_shows_only_its_digest() {
        let w = Wamid::parse("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=").unwrap();
        let digest = w.log_ref().to_string();
        assert_eq!(w.to_string(), digest);
        assert_eq!(
            format!("message {w} failed"),
            format!("message {digest} failed")
        );
        assert_eq!(format!("{w:?}"), format!("Wamid({digest})"));
        assert_eq!(LogRef::of(w.as_str()), w.log_ref());
        assert_eq!(w.as_str(), "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMDk=");
    }

    #[test]
    fn wa_id_accepts_international_numbers_and_rejects_everything_else() {
        assert!(WaId::parse("4915112345678").is_ok());
        assert_eq!(WaId::parse(""), Err(IdError::Empty));
        assert_eq!(WaId::parse("+4915112345678"), Err(IdError::NotDigits));
        assert_eq!(WaId::parse("49 151"), Err(IdError::NotDigits));
        assert_eq!(
            WaId::parse("1234"),
            Err(IdError::TooShort { len: 4, min: 5 })
        );
        assert!(matches!(
            WaId::parse(&"1".repeat(21)),
            Err(IdError::TooLong { .. })
        ));
    }

    #[test]
    fn a_customer_digest_is_stable_and_shows_no_digit_run_of_the_number() {
        let id = WaId::parse("4915112345678").unwrap();
        // printf %s 4915112345678 | sha256sum | cut -c1-16
        assert_eq!(id.digest(), "c:8efb96404be52f61");
        assert_eq!(id.digest(), WaId::parse("4915112345678").unwrap().digest());
        assert_ne!(id.digest(), WaId::parse("4915112345679").unwrap().digest());
    }

    #[test]
    fn wa_id_never_prints_the_whole_number() {
        let id = WaId::parse("4915112345678").unwrap();
        assert_eq!(id.to_string(), "49*********78");
        assert_eq!(format!("{id:?}"), "WaId(49*********78)");
        assert_eq!(id.as_str(), "4915112345678");
    }

    #[test]
    fn wamid_must_be_printable_and_fit_a_dedup_id() {
        assert!(
            Wamid::parse("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=").is_ok()
        );
        assert_eq!(Wamid::parse("wamid. x"), Err(IdError::NotPrintable));
        assert!(matches!(
            Wamid::parse(&"w".repeat(129)),
            Err(IdError::TooLong { .. })
        ));
    }

    #[test]
    fn ticket_ids_sort_by_creation_time_and_round_trip() {
        let a = TicketId::new(jiff::Timestamp::from_second(1_700_000_000).unwrap());
        let b = TicketId::new(jiff::Timestamp::from_second(1_700_000_001).unwrap());
        assert!(a.to_string() < b.to_string());
        assert_eq!(TicketId::parse(&a.to_string()), Ok(a));
        assert_eq!(TicketId::parse("not-a-ticket"), Err(IdError::NotTicketId));
    }

    #[test]
    fn group_id_joins_business_number_and_customer() {
        let key = ConversationKey {
            phone_number_id: PhoneNumberId::parse("106540352242922").unwrap(),
            wa_id: WaId::parse("4915112345678").unwrap(),
        };
        assert_eq!(key.group_id(), "106540352242922#4915112345678");
    }
}
