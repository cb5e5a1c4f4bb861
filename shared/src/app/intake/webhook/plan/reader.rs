//! A strict, pull-style JSON reader for the one pass ([`super::one_pass`]): it walks the body
//! once, hands out keys and strings borrowed from it, and skips or slices whatever the planner
//! does not read. It exists for speed (serde_json's visitor machinery cost more than the rest of
//! the plan together, see benches/README.md) and so it is deliberately narrow:
//!
//! - It never accepts what serde_json refuses: trailing commas, leading zeros, control
//!   characters in strings, bad escapes, garbage after the value are all errors.
//! - It may refuse what serde_json accepts (a key written with escapes, nesting deeper than
//!   [`MAX_DEPTH`]): the one pass then gives up and the exact path, built on serde_json, reads
//!   the body. Giving up is always safe; accepting wrongly is never.
//!
//! Strings with escapes are decoded by serde_json itself, so there is one decoder of escapes.

use std::borrow::Cow;

/// Why the reader stopped. Never shown: the exact path says what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GiveUp;

pub(super) type Read<T> = Result<T, GiveUp>;

/// Deeper nesting than this gives up (serde_json's own limit for typed values is 128).
const MAX_DEPTH: u32 = 128;

#[derive(Clone)]
pub(super) struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not JSON whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    #[inline]
    fn expect(&mut self, wanted: u8) -> Read<()> {
        if self.peek() == Some(wanted) {
            self.at += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// Only whitespace is left.
    pub(super) fn end(&mut self) -> Read<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(GiveUp),
        }
    }

    /// Reads an object, calling `each` with every key; `each` must read the key's value.
    #[inline]
    pub(super) fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &'a str) -> Read<()>,
    ) -> Read<()> {
        self.items(b'{', b'}', |r| {
            r.expect(b'"')?;
            let (start, escaped) = r.string_body()?;
            if escaped {
                return Err(GiveUp);
            }
            let key = &r.text[start..r.at - 1];
            r.expect(b':')?;
            each(r, key)
        })
    }

    /// Reads a list, calling `each` at every element; `each` must read the element.
    #[inline]
    pub(super) fn array(&mut self, each: impl FnMut(&mut Self) -> Read<()>) -> Read<()> {
        self.items(b'[', b']', each)
    }

    /// Reads `open`, items separated by commas with `item`, and `close`.
    #[inline]
    fn items(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Read<()>,
    ) -> Read<()> {
        self.expect(open)?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        if self.peek() == Some(close) {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b) if b == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(GiveUp),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// A string, borrowed from the text unless it has escapes.
    pub(super) fn str(&mut self) -> Read<Cow<'a, str>> {
        self.expect(b'"')?;
        let (start, escaped) = self.string_body()?;
        if !escaped {
            return Ok(Cow::Borrowed(&self.text[start..self.at - 1]));
        }
        // With its quotes: serde_json decodes the escapes (and refuses lone surrogates).
        serde_json::from_str::<String>(&self.text[start - 1..self.at])
            .map(Cow::Owned)
            .map_err(|_| GiveUp)
    }

    /// A string or `null`.
    pub(super) fn opt_str(&mut self) -> Read<Option<Cow<'a, str>>> {
        if self.null()? {
            return Ok(None);
        }
        self.str().map(Some)
    }

    /// Whether the next value is `null` (consumed if it is).
    pub(super) fn null(&mut self) -> Read<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The next value's JSON text, validated.
    pub(super) fn raw(&mut self) -> Read<&'a str> {
        self.peek();
        let start = self.at;
        self.skip()?;
        Ok(&self.text[start..self.at])
    }

    /// Reads the next value with `read`, giving what it read and the value's text; if `read`
    /// gives up, the reader is back where it was.
    pub(super) fn try_read<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Read<T>,
    ) -> Option<(T, &'a str)> {
        self.peek();
        let mut probe = self.clone();
        let value = read(&mut probe).ok()?;
        let text = &self.text[self.at..probe.at];
        *self = probe;
        Some((value, text))
    }

    /// Reads past the next value, validating it.
    pub(super) fn skip(&mut self) -> Read<()> {
        match self.peek() {
            Some(b'"') => {
                self.at += 1;
                self.string_body().map(drop)
            }
            Some(b'{') => self.object(|r, _| r.skip()),
            Some(b'[') => self.array(Self::skip),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(GiveUp),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Read<()> {
        if self.bytes()[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Read<()> {
        let bytes = self.bytes();
        let at = |i: usize| bytes.get(i).copied();
        let digits = |mut i: usize| {
            while at(i).is_some_and(|b| b.is_ascii_digit()) {
                i += 1;
            }
            i
        };
        let mut i = self.at;
        if at(i) == Some(b'-') {
            i += 1;
        }
        match at(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => return Err(GiveUp),
        }
        if at(i) == Some(b'.') {
            let end = digits(i + 1);
            if end == i + 1 {
                return Err(GiveUp);
            }
            i = end;
        }
        if matches!(at(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(at(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let end = digits(i);
            if end == i {
                return Err(GiveUp);
            }
            i = end;
        }
        self.at = i;
        Ok(())
    }

    /// Reads a string's content after its opening quote, up to and including the closing one.
    /// Gives where the content starts and whether it has escapes (checked, not decoded).
    #[inline]
    fn string_body(&mut self) -> Read<(usize, bool)> {
        let bytes = self.bytes();
        let start = self.at;
        let mut at = start;
        let mut escaped = false;
        loop {
            at = next_special(bytes, at);
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok((start, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    self.at = at + 1;
                    self.escape()?;
                    at = self.at;
                }
                // A control character, or the text ends inside the string.
                _ => return Err(GiveUp),
            }
        }
    }

    /// Checks the escape after a backslash: `\" \\ \/ \b \f \n \r \t` or `\u` and 4 hex digits.
    fn escape(&mut self) -> Read<()> {
        let bytes = self.bytes();
        match bytes.get(self.at) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
            Some(b'u') => {
                let hex = bytes.get(self.at + 1..self.at + 5).ok_or(GiveUp)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(GiveUp);
                }
                self.at += 5;
            }
            _ => return Err(GiveUp),
        }
        Ok(())
    }
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Where the first `"`, `\\` or control character at or after `at` is (the length of `bytes`
/// if there is none), looked for eight bytes at a time.
#[inline(always)]
fn next_special(bytes: &[u8], mut at: usize) -> usize {
    // A byte of `x` is flagged when it is below `n`: its subtraction borrows and its top bit
    // was clear. A borrow can flag a byte above a flagged one too, never below: the lowest
    // flag is always a true one.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk);
        let flags = below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20);
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads one whole value with `skip`, the way the one pass reads unknown keys.
    fn skips(text: &str) -> bool {
        let mut r = Reader::new(text);
        r.skip().is_ok() && r.end().is_ok()
    }

    #[test]
    fn reads_what_json_allows() {
        for text in [
            r#"{}"#,
            r#" [ ] "#,
            r#"{"a":[1,-0,0.5,-12.25e+3,4E-2,1e9],"b":{"c":null,"d":true,"e":false}}"#,
            r#""tab\t quote\" slash\/ \\ \u00fc \ud83d\ude00""#,
            "\"Grüße 📦\"",
            "\n\t\r 7 \n",
        ] {
            assert!(skips(text), "{text}");
            assert!(serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok());
        }
    }

    #[test]
    fn refuses_what_json_refuses() {
        for text in [
            "",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            "01",
            "-",
            "1.",
            "1e",
            ".5",
            "+1",
            "tru",
            "nul",
            "\"open",
            "\"ctrl \u{1} char\"",
            r#""bad \x escape""#,
            r#""short \u12""#,
            "[1] 2",
            "{} x",
            "[[[]]",
        ] {
            assert!(!skips(text), "{text}");
        }
    }

    #[test]
    fn strings_borrow_unless_they_have_escapes() {
        let mut r = Reader::new(r#"["plain", "a\nb\u00fc", null]"#);
        let mut got = Vec::new();
        r.array(|r| {
            got.push(r.opt_str()?);
            Ok(())
        })
        .unwrap();
        assert!(matches!(got[0], Some(Cow::Borrowed("plain"))));
        assert!(matches!(&got[1], Some(Cow::Owned(s)) if s == "a\nbü"));
        assert_eq!(got[2], None);
    }

    #[test]
    fn a_lone_surrogate_in_a_string_read_as_text_gives_up() {
        assert_eq!(Reader::new(r#""\ud800""#).str(), Err(GiveUp));
        // ... but skipping it is fine, as in serde_json.
        assert!(skips(r#""\ud800""#));
    }

    #[test]
    fn keys_with_escapes_and_very_deep_nesting_give_up() {
        assert!(!skips(r#"{"t\u0065xt":1}"#));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(!skips(&deep));
        let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(skips(&fine));
    }

    #[test]
    fn raw_gives_the_value_text_without_surrounding_space() {
        let mut r = Reader::new(r#"{"a": {"b": [1, 2]} , "c": 3}"#);
        let mut raws = Vec::new();
        r.object(|r, key| {
            raws.push((key, r.raw()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(raws, [("a", r#"{"b": [1, 2]}"#), ("c", "3")]);
    }

    #[test]
    fn a_failed_try_read_leaves_the_reader_where_it_was() {
        /// The value of a one-key object, if it is not a string.
        fn not_a_string<'a>(r: &mut Reader<'a>) -> Read<&'a str> {
            let mut raw = "";
            r.object(|r, _| {
                raw = r.raw()?;
                if raw.starts_with('"') {
                    Err(GiveUp)
                } else {
                    Ok(())
                }
            })?;
            Ok(raw)
        }
        let mut r = Reader::new(r#"[ {"a": 1}, {"a": "x"} ]"#);
        let mut got = Vec::new();
        r.array(|r| {
            got.push(match r.try_read(not_a_string) {
                Some((n, text)) => format!("{n} from {text}"),
                None => format!("skipped {}", r.raw()?),
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [r#"1 from {"a": 1}"#, r#"skipped {"a": "x"}"#]);
    }

    #[test]
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes around the special one that could confuse the borrow trick.
                    if at > 0 {
                        bytes[at - 1] = 0x20;
                    }
                    if at < len {
                        bytes[at] = special;
                    }
                    assert_eq!(next_special(&bytes, 0), at, "{len} {at} {special}");
                }
            }
        }
        assert_eq!(next_special("ü€📦 plain".as_bytes(), 0), "ü€📦 plain".len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn never_accepts_what_serde_json_refuses(text in r#"[\[\]{}",:0-9.eE+\-tfrunlas\\ \n\x01]{0,24}"#) {
            if skips(&text) {
                prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{}", text);
            }
        }

        #[test]
        fn reads_what_serde_json_writes(v in any::<Vec<(String, Option<i64>, bool)>>()) {
            let text = serde_json::to_string(&v).unwrap();
            prop_assert!(skips(&text), "{}", text);
        }

        #[test]
        fn strings_read_as_serde_json_reads_them(s in any::<String>()) {
            let text = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(Reader::new(&text).str().map(Cow::into_owned), Ok(s));
        }
    }
}
