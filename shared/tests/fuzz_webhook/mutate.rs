//! Mutations of valid bodies: on the JSON tree (drop, duplicate, retype fields; odd timestamps;
//! unknown types; nulls; deep nesting; long strings), in how the tree is written (duplicate
//! keys, key order, escapes, number spellings) and on the bytes (truncation, bit flips, invalid
//! UTF-8, splices). Plus inputs that are not JSON at all.

use serde_json::{Number, Value, json};

use crate::rng::Rng;

/// Keys of the webhook format, so that renamed and added keys hit what `plan` reads.
const KEYS: [&str; 24] = [
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "contacts",
    "wa_id",
    "profile",
    "name",
    "messages",
    "statuses",
    "errors",
    "from",
    "timestamp",
    "type",
    "text",
    "body",
    "interactive",
    "button_reply",
    "context",
    "status",
];

/// Message types, known and not.
const TYPES: [&str; 12] = [
    "text",
    "interactive",
    "button",
    "image",
    "location",
    "reaction",
    "system",
    "unsupported",
    "order",
    "contacts",
    "hologram",
    "",
];

/// Strings that are almost numbers, ids or times.
const TRICKY_STRINGS: [&str; 20] = [
    "",
    " ",
    "-1",
    "1.5",
    "1e3",
    "99999999999999999999",
    "-9223372036854775808",
    "9223372036854775807",
    "253402207201",
    "-377705023202",
    " 1764061200",
    "0x10",
    "١٢٣٤٥٦",
    "NaN",
    "wamid.",
    "whatsapp_business_account",
    "messages",
    "4915112345678",
    "\u{0}",
    "\u{feff}1764061200",
];

/// How many bytes one mutation may add by repeating elements.
const MAX_GROWTH: usize = 256 * 1024;

/// Replaces random parts of `v`.
pub fn mutate_tree(v: &mut Value, rng: &mut Rng) {
    let node = pick_node(v, rng);
    match rng.below(14) {
        0 => *node = Value::Null,
        1 => *node = scalar(rng),
        2 => retype(node, rng),
        3 => match node {
            Value::Object(m) => m.clear(),
            Value::Array(a) => a.clear(),
            other => *other = json!([]),
        },
        4 => {
            // Drop a field or an element.
            match node {
                Value::Object(m) if !m.is_empty() => {
                    let key = m
                        .keys()
                        .nth(rng.below(m.len()))
                        .cloned()
                        .unwrap_or_default();
                    m.remove(&key);
                }
                Value::Array(a) if !a.is_empty() => {
                    a.remove(rng.below(a.len()));
                }
                _ => *node = Value::Null,
            }
        }
        5 => {
            // Duplicate elements, sometimes many times.
            if let Value::Array(a) = node
                && !a.is_empty()
            {
                let item = a[rng.below(a.len())].clone();
                let mut times = if rng.one_in(20) {
                    rng.between(50, 1200)
                } else {
                    rng.between(1, 3)
                };
                if times > 3 {
                    // Many copies of a small item (1000 updates per POST), not a huge body.
                    let size = serde_json::to_vec(&item).map_or(usize::MAX, |v| v.len());
                    times = times.min(MAX_GROWTH / size.max(1)).max(1);
                }
                a.extend(std::iter::repeat_n(item, times));
            } else if let Value::Object(m) = node {
                m.insert((*rng.pick(&KEYS)).into(), scalar(rng));
            }
        }
        6 => {
            // A known key with a value of any type.
            if let Value::Object(m) = node {
                let value = if rng.one_in(2) {
                    scalar(rng)
                } else {
                    json!({ "x": [] })
                };
                m.insert((*rng.pick(&KEYS)).into(), value);
            } else {
                *node = scalar(rng);
            }
        }
        7 => set_everywhere(node, "timestamp", &odd_timestamp(rng)),
        8 => set_everywhere(node, "type", &json!(rng.pick(&TYPES))),
        9 => {
            let depth = if rng.one_in(4) {
                rng.between(100, 3000)
            } else {
                rng.between(1, 40)
            };
            let mut nested = std::mem::take(node);
            for _ in 0..depth {
                // Not `json!`: it would copy the whole subtree at every level.
                nested = if rng.one_in(2) {
                    Value::Array(vec![nested])
                } else {
                    Value::Object([("value".to_owned(), nested)].into_iter().collect())
                };
            }
            *node = nested;
        }
        10 if rng.one_in(4) => *node = Value::String(long_string(rng)),
        10 => *node = small_scalar(rng),
        11 => set_everywhere(
            node,
            rng.pick::<&str>(&["from", "wa_id", "id", "phone_number_id"]),
            &small_scalar(rng),
        ),
        12 => {
            // Swap two siblings' values.
            if let Value::Array(a) = node
                && a.len() > 1
            {
                let (i, j) = (rng.below(a.len()), rng.below(a.len()));
                a.swap(i, j);
            }
        }
        _ => *node = json!([]),
    }
}

/// A random node, found by walking down from the root; nearer the leaves more often.
fn pick_node<'v>(mut v: &'v mut Value, rng: &mut Rng) -> &'v mut Value {
    loop {
        let len = match &*v {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 || rng.one_in(5) {
            return v;
        }
        let i = rng.below(len);
        v = match v {
            Value::Object(m) => m.values_mut().nth(i).expect("index below len"),
            Value::Array(a) => &mut a[i],
            _ => unreachable!("only containers have children"),
        };
    }
}

fn set_everywhere(v: &mut Value, key: &str, to: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(slot) = m.get_mut(key) {
                *slot = to.clone();
            }
            for child in m.values_mut() {
                set_everywhere(child, key, to);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| set_everywhere(c, key, to)),
        _ => {}
    }
}

fn odd_timestamp(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(u64::MAX),
        1 => json!(i64::MIN),
        2 => json!(-1),
        3 => json!(1.5),
        4 => json!(1e300),
        5 => json!(-0.0),
        6 => json!(253_402_207_201_i64),
        7 => json!(-377_705_023_202_i64),
        8 => json!(true),
        9 => json!({ "seconds": 1 }),
        _ => json!(rng.pick(&TRICKY_STRINGS)),
    }
}

fn scalar(rng: &mut Rng) -> Value {
    if rng.one_in(40) {
        json!(long_string(rng))
    } else {
        small_scalar(rng)
    }
}

fn small_scalar(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => json!(rng.next_u64() as i64),
        3 => json!(*rng.pick(&[0_u64, 1, u64::MAX, i64::MAX as u64])),
        4 => Number::from_f64(*rng.pick(&[0.5, -0.0, 1e308, -1e-308, 52.520008, f64::EPSILON]))
            .map_or(Value::Null, Value::Number),
        5 => json!(crate::generate::customer_text(rng)),
        _ => json!(rng.pick(&TRICKY_STRINGS)),
    }
}

fn long_string(rng: &mut Rng) -> String {
    let len = match rng.below(1000) {
        0 => rng.between(100_000, 1_000_000),
        1..=20 => rng.between(5_000, 50_000),
        _ => rng.between(300, 3_000),
    };
    let piece = *rng.pick(&["a", "ü", "👍", "\\", "\"", "\u{0}", "1"]);
    piece.repeat(len / piece.len())
}

fn retype(v: &mut Value, rng: &mut Rng) {
    *v = match std::mem::take(v) {
        Value::Object(m) => {
            if rng.one_in(2) {
                Value::Array(m.into_iter().map(|(_, v)| v).collect())
            } else {
                json!(m.len())
            }
        }
        Value::Array(a) => Value::Object(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| (KEYS[i % KEYS.len()].to_owned(), v))
                .collect(),
        ),
        Value::String(s) => match s.parse::<i64>() {
            Ok(n) if rng.one_in(2) => json!(n),
            _ => json!([s]),
        },
        Value::Number(n) => json!(n.to_string()),
        Value::Bool(b) => json!(b.to_string()),
        Value::Null => json!({}),
    }
}

/// How [`write`] spells a tree: all choices keep it valid JSON except `broken_escapes`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spelling {
    /// Out of 1000 object keys, how many are written twice (the second value wins in serde).
    pub duplicate_keys: usize,
    pub shuffle_keys: bool,
    /// Out of 1000 characters, how many are written as `\uXXXX`.
    pub escapes: usize,
    pub odd_numbers: bool,
    pub whitespace: bool,
    /// Out of 1000 strings, how many get a lone surrogate or an invalid escape.
    pub broken_escapes: usize,
}

impl Spelling {
    pub fn random(rng: &mut Rng) -> Self {
        Self {
            duplicate_keys: if rng.one_in(4) {
                rng.between(1, 300)
            } else {
                0
            },
            shuffle_keys: rng.one_in(3),
            escapes: if rng.one_in(4) {
                rng.between(1, 500)
            } else {
                0
            },
            odd_numbers: rng.one_in(4),
            whitespace: rng.one_in(4),
            broken_escapes: if rng.one_in(10) {
                rng.between(1, 50)
            } else {
                0
            },
        }
    }
}

/// Writes `v` as JSON text in the given spelling.
pub fn write(v: &Value, rng: &mut Rng, s: &Spelling, out: &mut Vec<u8>) {
    let space = |rng: &mut Rng, out: &mut Vec<u8>| {
        if s.whitespace && rng.one_in(3) {
            out.extend_from_slice(rng.pick::<&[u8]>(&[&b" "[..], b"\n", b"\t", b"\r\n  "]));
        }
    };
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_number(n, rng, s, out),
        Value::String(text) => write_string(text, rng, s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                space(rng, out);
                write(item, rng, s, out);
            }
            space(rng, out);
            out.push(b']');
        }
        Value::Object(m) => {
            let mut pairs: Vec<(&String, &Value)> = m.iter().collect();
            if s.shuffle_keys {
                for i in (1..pairs.len()).rev() {
                    pairs.swap(i, rng.below(i + 1));
                }
            }
            out.push(b'{');
            let mut first = true;
            for (k, item) in pairs {
                let times = if rng.below(1000) < s.duplicate_keys {
                    2
                } else {
                    1
                };
                for t in 0..times {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    space(rng, out);
                    write_string(k, rng, s, out);
                    space(rng, out);
                    out.push(b':');
                    space(rng, out);
                    // The first of a twin gets another value, so "last one wins" matters.
                    if t + 1 < times {
                        write(&small_scalar(rng), rng, s, out);
                    } else {
                        write(item, rng, s, out);
                    }
                }
            }
            space(rng, out);
            out.push(b'}');
        }
    }
}

fn write_number(n: &Number, rng: &mut Rng, s: &Spelling, out: &mut Vec<u8>) {
    let plain = n.to_string();
    if s.odd_numbers && rng.one_in(3) {
        let odd = match rng.below(4) {
            0 => format!("{plain}.0"),
            1 => format!("{plain}e0"),
            2 => format!("{plain}E+00"),
            _ => format!("{plain}000000000000000000000"),
        };
        out.extend_from_slice(odd.as_bytes());
    } else {
        out.extend_from_slice(plain.as_bytes());
    }
}

fn write_string(text: &str, rng: &mut Rng, s: &Spelling, out: &mut Vec<u8>) {
    if s.escapes == 0 && s.broken_escapes == 0 {
        // The common case, without a random draw per character.
        serde_json::to_writer(&mut *out, text).expect("writing to memory");
        return;
    }
    out.push(b'"');
    if rng.below(1000) < s.broken_escapes {
        out.extend_from_slice(rng.pick::<&[u8]>(&[
            &b"\\ud800"[..],
            b"\\udc00\\ud800",
            b"\\x41",
            b"\\u12",
            b"\\",
        ]));
    }
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 || rng.below(1000) < s.escapes => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Byte sequences that are not UTF-8: stray continuation bytes, overlong forms, surrogates,
/// code points past U+10FFFF, truncated sequences.
const INVALID_UTF8: [&[u8]; 8] = [
    b"\x80",
    b"\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\xf0",
    b"\xc3\x28",
];

/// Changes the bytes of a body in 1 to 4 places.
pub fn mutate_bytes(body: &mut Vec<u8>, rng: &mut Rng, donors: &[Vec<u8>]) {
    for _ in 0..rng.between(1, 4) {
        let at = if body.is_empty() {
            0
        } else {
            rng.below(body.len() + 1)
        };
        match rng.below(9) {
            0 => body.truncate(at),
            1 => {
                if let Some(b) = body.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            2 => {
                if let Some(b) = body.get_mut(at) {
                    *b = rng.byte();
                }
            }
            3 => {
                let bad = *rng.pick(&INVALID_UTF8);
                body.splice(at..at, bad.iter().copied());
            }
            4 => {
                let token = *rng.pick(&[
                    &b"{"[..],
                    b"}",
                    b"[",
                    b"]",
                    b"\"",
                    b",",
                    b":",
                    b"\\",
                    b"null",
                    b"-",
                    b"0",
                    b"\x00",
                ]);
                body.splice(at..at, token.iter().copied());
            }
            5 => {
                let end = (at + rng.skewed(64)).min(body.len());
                body.drain(at..end);
            }
            6 => {
                let end = (at + rng.skewed(256)).min(body.len());
                let chunk = body[at..end].to_vec();
                body.splice(at..at, chunk);
            }
            7 => {
                // Splice in part of another body.
                let donor = rng.pick(donors);
                if !donor.is_empty() {
                    let from = rng.below(donor.len());
                    let to = (from + rng.skewed(512)).min(donor.len());
                    body.splice(at..at, donor[from..to].iter().copied());
                }
            }
            _ => {
                let n = rng.skewed(16);
                let noise = rng.bytes(n);
                body.splice(at..at, noise);
            }
        }
    }
}

/// Inputs that owe nothing to the webhook format.
pub fn random_input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => {
            let n = rng.skewed(2048);
            rng.bytes(n)
        }
        1 => {
            // JSON-ish token soup.
            const TOKENS: [&[u8]; 14] = [
                b"{",
                b"}",
                b"[",
                b"]",
                b",",
                b":",
                b"\"object\"",
                b"\"entry\"",
                b"\"a\"",
                b"1",
                b"-0.5e-7",
                b"null",
                b"true",
                b" ",
            ];
            (0..rng.skewed(400))
                .flat_map(|_| rng.pick(&TOKENS).iter().copied())
                .collect()
        }
        2 => {
            // serde_json stops at 128 levels; far past that is as good as any.
            let depth = if rng.one_in(20) {
                rng.between(129, 5_000)
            } else {
                rng.between(1, 140)
            };
            let open = *rng.pick(&[&b"["[..], b"{\"a\":", b"{\"entry\":["]);
            let mut v = Vec::with_capacity(depth * open.len() + 2);
            for _ in 0..depth {
                v.extend_from_slice(open);
            }
            v
        }
        3 => {
            let n = rng.skewed(4096);
            (0..n).map(|_| b' ' + rng.below(95) as u8).collect()
        }
        _ => {
            // A well-formed envelope around a random value.
            let mut v = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": scalar(rng) }] }] });
            if rng.one_in(2) {
                v["entry"] = scalar(rng);
            }
            let mut out = Vec::new();
            write(&v, rng, &Spelling::default(), &mut out);
            out
        }
    }
}
