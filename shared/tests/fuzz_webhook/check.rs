//! What must hold for any input: the properties each case checks.

use helpdesk::app::intake::webhook::plan::{self, Content, IntakePlan};
use helpdesk::app::intake::webhook::{PayloadError, SignatureError, SignatureVerifier};
use helpdesk::domain::ids::{PhoneNumberId, WaId, Wamid};

use crate::generate::Expected;

/// Invariants of any plan `plan` accepted.
pub fn plan_invariants(plan: &IntakePlan<'_>) {
    let s = &plan.summary;
    assert_eq!(
        plan.message_count() + s.repeated_in_body,
        s.messages,
        "every message read is planned once or counted as repeated"
    );
    assert_eq!(plan.statuses.len() + s.ignored_statuses, s.statuses);
    assert_eq!(plan.webhook_errors.len(), s.webhook_errors);
    assert!(s.ignored_changes <= s.changes);
    assert!(s.entries > 0 || s.changes == 0, "changes come from entries");
    for pair in plan.conversations.windows(2) {
        assert!(
            pair[0].key < pair[1].key,
            "one plan per conversation, in key order"
        );
    }
    for c in &plan.conversations {
        assert!(!c.messages.is_empty(), "a conversation plan has messages");
        assert!(WaId::parse(c.key.wa_id.as_str()).is_ok());
        assert!(PhoneNumberId::parse(c.key.phone_number_id.as_str()).is_ok());
        assert!(
            c.profile_name
                .as_deref()
                .is_none_or(|n| !n.trim().is_empty()),
            "a blank profile name is no name"
        );
        for pair in c.messages.windows(2) {
            assert!(
                (pair[0].sent_at, &pair[0].wamid) <= (pair[1].sent_at, &pair[1].wamid),
                "messages are in the customer's order"
            );
            assert_ne!(
                pair[0].wamid, pair[1].wamid,
                "a repeated wamid is planned once"
            );
        }
        for m in &c.messages {
            assert!(!m.wamid.as_str().is_empty());
            assert!(Wamid::parse(m.wamid.as_str()).is_ok());
            content_round_trips(&m.content);
        }
    }
    for pair in plan.statuses.windows(2) {
        assert!((pair[0].at, pair[0].state) <= (pair[1].at, pair[1].state));
    }
    for status in &plan.statuses {
        assert!(!status.wamid.as_str().is_empty());
    }
}

/// The one pass (our own JSON reader) never plans a body differently from the exact path
/// (serde_json), and never takes one the exact path refuses. Gives which path planned it.
pub fn one_pass_agrees_with_the_exact_path(body: &[u8]) -> String {
    match plan::plan_one_pass(body) {
        Some(fast) => {
            assert_eq!(
                Ok(fast),
                plan::plan_exact(body),
                "the one pass and the exact path disagree"
            );
            "Ok (one pass)".to_owned()
        }
        None => "Ok (exact path)".to_owned(),
    }
}

/// Content is stored as JSON and read back by the bot: what it reads must be what was planned.
fn content_round_trips(content: &Content<'_>) {
    let json = serde_json::to_string(content).expect("content serializes");
    let back: Content<'_> = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("stored content does not read back ({e}): {json}"));
    assert_eq!(back.kind(), content.kind(), "{json}");
    assert_eq!(back.text(), content.text(), "{json}");
    assert_eq!(
        back.media().map(|m| m.id.as_str()),
        content.media().map(|m| m.id.as_str())
    );
    if let (
        Content::ButtonReply(a) | Content::ListReply(a),
        Content::ButtonReply(b) | Content::ListReply(b),
    ) = (&back, content)
    {
        assert_eq!(a.id, b.id);
    }
}

/// The plan of a generated body holds exactly the generated messages.
pub fn matches_expected(plan: &IntakePlan<'_>, x: &Expected) {
    let s = &plan.summary;
    assert_eq!(s.messages, x.messages, "messages read");
    assert_eq!(s.repeated_in_body, x.repeated_in_body, "repeats");
    assert_eq!(s.statuses, x.statuses, "statuses read");
    assert_eq!(plan.statuses.len(), x.tracked_statuses, "statuses tracked");
    assert_eq!(
        (s.changes, s.ignored_changes),
        (x.changes, x.ignored_changes)
    );
    assert_eq!(s.webhook_errors, x.webhook_errors);
    let got: Vec<(String, String)> = plan
        .conversations
        .iter()
        .map(|c| {
            (
                c.key.phone_number_id.as_str().to_owned(),
                c.key.wa_id.as_str().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = x.conversations.keys().cloned().collect();
    assert_eq!(got, want, "conversations");
    for (c, (name, messages)) in plan.conversations.iter().zip(x.conversations.values()) {
        assert_eq!(c.profile_name.as_deref(), name.as_deref(), "profile name");
        let got: Vec<(i64, &str, &str, Option<&str>)> = c
            .messages
            .iter()
            .map(|m| {
                (
                    m.sent_at.as_second(),
                    m.wamid.as_str(),
                    m.content.kind(),
                    m.content.text(),
                )
            })
            .collect();
        let want: Vec<(i64, &str, &str, Option<&str>)> = messages
            .iter()
            .map(|m| (m.sent_at, m.wamid.as_str(), m.kind, m.text.as_deref()))
            .collect();
        assert_eq!(got, want, "messages of {:?}", c.key);
    }
}

/// An independent reading of the `X-Hub-Signature-256` rules: `sha256=` and 64 hex digits
/// (either case) equal to the MAC of the body.
pub fn expected_signature_result(
    header: Option<&[u8]>,
    correct: &str,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let Some(hex) = header.strip_prefix(b"sha256=") else {
        return Err(SignatureError::Malformed);
    };
    if hex.len() != 64 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(SignatureError::Malformed);
    }
    if hex.eq_ignore_ascii_case(&correct.as_bytes()[7..]) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The signature checks of one body.
/// `thorough` adds the checks that cost one more MAC each.
pub fn signatures(verifier: &SignatureVerifier, body: &[u8], thorough: bool) -> String {
    let correct = verifier.sign(body);
    assert_eq!(
        verifier.verify(Some(correct.as_bytes()), body),
        Ok(()),
        "the correct signature verifies"
    );
    // The body altered by one bit, one byte more, one byte less.
    let mut altered = body.to_vec();
    match altered.len() {
        0 => altered.push(b'{'),
        n => altered[n / 2] ^= 1 << (n % 8),
    }
    assert_eq!(
        verifier.verify(Some(correct.as_bytes()), &altered),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(verifier.verify(None, body), Err(SignatureError::Missing));
    if !thorough {
        return correct;
    }
    assert_eq!(
        verifier.verify(
            Some(
                correct
                    .to_ascii_uppercase()
                    .replace("SHA256=", "sha256=")
                    .as_bytes()
            ),
            body
        ),
        Ok(()),
        "hex digits in upper case are the same signature"
    );
    let mut longer = body.to_vec();
    longer.push(b' ');
    assert_eq!(
        verifier.verify(Some(correct.as_bytes()), &longer),
        Err(SignatureError::Mismatch)
    );
    // The signature altered in one hex digit.
    let mut wrong = correct.clone().into_bytes();
    let i = 7 + body.len() % 64;
    wrong[i] = if wrong[i] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        verifier.verify(Some(&wrong), body),
        Err(SignatureError::Mismatch)
    );
    correct
}

/// A bucket for counting rejections: the error's kind and, for `Invalid`, where and why
/// (with indexes and numbers left out).
pub fn error_bucket(e: &PayloadError) -> String {
    fn strip_numbers(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut in_number = false;
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('N');
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        out
    }
    match e {
        PayloadError::Json(m) => {
            let end = [": ", " at line", " `", " \""]
                .iter()
                .filter_map(|p| m.find(p))
                .min()
                .unwrap_or(m.len());
            format!("Json: {}", strip_numbers(&m[..end]))
        }
        PayloadError::WrongObject(_) => "WrongObject".into(),
        PayloadError::Invalid { path, reason } => {
            let path = path
                .rsplit_once("].")
                .map_or(path.as_str(), |(_, tail)| tail);
            let reason = reason.split([':', '`']).next().unwrap_or(reason);
            format!(
                "Invalid: {}: {}",
                strip_numbers(path),
                strip_numbers(reason)
            )
        }
    }
}
