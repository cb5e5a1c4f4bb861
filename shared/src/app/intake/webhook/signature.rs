//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the app secret, checked before the
//! body is parsed, in constant time.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not `sha256=` followed by 64 hex digits")]
    Malformed,
    #[error("the X-Hub-Signature-256 header does not match the body")]
    Mismatch,
}

/// Verifies webhook signatures. Keyed once at start; each check clones the keyed state.
#[derive(Clone)]
pub struct SignatureVerifier {
    keyed: HmacSha256,
}

impl std::fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignatureVerifier { .. }")
    }
}

impl SignatureVerifier {
    pub fn new(app_secret: &SecretString) -> Self {
        let keyed = HmacSha256::new_from_slice(app_secret.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        Self { keyed }
    }

    /// Checks `header` (the raw header value, if any) against `body`.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex = header
            .strip_prefix(PREFIX.as_bytes())
            .ok_or(SignatureError::Malformed)?;
        let expected = decode_hex(hex).ok_or(SignatureError::Malformed)?;
        let mut mac = self.keyed.clone();
        mac.update(body);
        let actual: [u8; 32] = mac.finalize().into_bytes().into();
        if bool::from(actual.ct_eq(&expected)) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The header value Meta would send for `body` (for the simulator, tests and tools).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(body);
        format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// 64 hex digits (either case) as 32 bytes. The header is not secret: its digits may take
/// different paths; only the comparison with our MAC must not depend on where they differ
/// (that one is `subtle`'s). The `hex` crate's decoder cost a measurable share of a 1-message
/// webhook's signature check.
fn decode_hex(hex: &[u8]) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let (pairs, []) = hex.as_chunks::<2>() else {
        return None;
    };
    if pairs.len() != 32 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, &[high, low]) in out.iter_mut().zip(pairs) {
        *byte = digit(high)? << 4 | digit(low)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> SignatureVerifier {
        SignatureVerifier::new(&SecretString::from("app-secret"))
    }

    #[test]
    fn accepts_the_signature_meta_computes() {
        // Computed independently: printf '{"a":1}' | openssl dgst -sha256 -hmac app-secret
        let header = b"sha256=a2ac6607a24977f9757e6d78319ae1660ad42ffeee0ee3f0dff30a92bcf85448";
        let body = br#"{"a":1}"#;
        assert_eq!(verifier().verify(Some(header), body), Ok(()));
        assert_eq!(verifier().sign(body).as_bytes(), header);
    }

    #[test]
    fn rejects_a_missing_header() {
        assert_eq!(verifier().verify(None, b"{}"), Err(SignatureError::Missing));
    }

    #[test]
    fn rejects_headers_that_are_not_sha256_hex() {
        let v = verifier();
        for header in [
            &b"sha1=abc"[..],
            b"sha256=",
            b"sha256=zz",
            b"SHA256=00",
            b"00000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(
                v.verify(Some(header), b"{}"),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
        let too_long = format!("sha256={}", "0".repeat(66));
        assert_eq!(
            v.verify(Some(too_long.as_bytes()), b"{}"),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn accepts_upper_case_hex_and_rejects_any_one_differing_byte() {
        let v = verifier();
        let body = br#"{"a":1}"#;
        let good = v.sign(body);
        assert_eq!(
            v.verify(
                Some(good.to_uppercase().replace("SHA256=", "sha256=").as_bytes()),
                body
            ),
            Ok(())
        );
        let digits = &good[PREFIX.len()..];
        for i in 0..digits.len() {
            let mut changed = digits.as_bytes().to_vec();
            changed[i] = if changed[i] == b'0' { b'1' } else { b'0' };
            let header = [PREFIX.as_bytes(), &changed].concat();
            assert_eq!(
                v.verify(Some(&header), body),
                Err(SignatureError::Mismatch),
                "digit {i}"
            );
        }
    }

    #[test]
    fn rejects_a_signature_of_another_body_or_secret() {
        let v = verifier();
        let good = v.sign(b"{\"a\":1}");
        assert_eq!(
            v.verify(Some(good.as_bytes()), b"{\"a\":2}"),
            Err(SignatureError::Mismatch)
        );
        let other = SignatureVerifier::new(&SecretString::from("other")).sign(b"{\"a\":1}");
        assert_eq!(
            v.verify(Some(other.as_bytes()), b"{\"a\":1}"),
            Err(SignatureError::Mismatch)
        );
    }
}
