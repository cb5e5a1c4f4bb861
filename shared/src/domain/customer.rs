//! What agents know and keep about a customer beyond the tickets: the profile fields they edit
//! (name, language, tier, e-mail, custom fields), the customer's tags, and how names, phone
//! numbers and order numbers are turned into search keys. Pure: the store writes the keys, the
//! agent API validates with these rules.

use std::collections::{BTreeMap, BTreeSet};

/// Most custom fields one customer may carry.
pub const MAX_FIELDS: usize = 20;
/// Most tags one customer may carry.
pub const MAX_TAGS: usize = 20;
/// Longest name an agent may set.
pub const MAX_NAME_LEN: usize = 100;
/// Longest custom field value.
pub const MAX_FIELD_VALUE_LEN: usize = 200;
/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Name words indexed per name (a longer name is searchable by its first words).
pub const MAX_NAME_TOKENS: usize = 8;
/// Longest indexed name word (longer words are indexed by their start).
pub const MAX_TOKEN_LEN: usize = 24;
/// Fewest digits a phone search takes (the last digits of a number).
pub const MIN_PHONE_DIGITS: usize = 4;
/// Fewest digits of a query dialled with a leading `0` or `00` (a national or international
/// number rather than the last digits of one).
const NATIONAL_MIN_DIGITS: usize = 8;

/// A problem with an agent's edit: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

fn problem(field: &str, problem: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

/// Customers carry the same tags as tickets (one rule: `VIP` and ` vip ` are the tag `vip`).
pub use crate::domain::ticket_tags::Tag;

/// The profile fields agents edit. `None` in a [`ProfileEdit`] leaves a field as it is; an
/// empty string clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileEdit {
    pub name: Option<String>,
    pub language: Option<String>,
    pub tier: Option<String>,
    pub email: Option<String>,
    /// Custom fields to set (a value) or remove (an empty value).
    pub fields: BTreeMap<String, String>,
}

/// The agent-kept part of a customer profile, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// The name agents gave the customer (WhatsApp's profile name is kept apart).
    #[serde(default)]
    pub name: Option<String>,
    /// Preferred language (`de`, `en`, `pt-BR`).
    #[serde(default)]
    pub language: Option<String>,
    /// Service tier (`gold`, `business`).
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Custom fields (customer number, company, ...), by key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Profile {
    /// The profile with `edit` applied, or every problem of the edit (none is applied then).
    pub fn edited(&self, edit: &ProfileEdit) -> Result<Self, Vec<FieldProblem>> {
        let mut out = self.clone();
        let mut problems = Vec::new();
        let mut set = |field: &str,
                       value: &Option<String>,
                       slot: &mut Option<String>,
                       check: &dyn Fn(&str) -> Result<String, String>| {
            if let Some(v) = value {
                let v = v.trim();
                if v.is_empty() {
                    *slot = None;
                } else {
                    match check(v) {
                        Ok(v) => *slot = Some(v),
                        Err(p) => problems.push(problem(field, p)),
                    }
                }
            }
        };
        set("name", &edit.name, &mut out.name, &check_name);
        set(
            "language",
            &edit.language,
            &mut out.language,
            &check_language,
        );
        set("tier", &edit.tier, &mut out.tier, &check_tier);
        set("email", &edit.email, &mut out.email, &check_email);
        for (key, value) in &edit.fields {
            let field = format!("fields.{key}");
            if !valid_field_key(key) {
                problems.push(problem(
                    &field,
                    "a custom field's name is 1-32 letters a-z, digits or '_', starting with a letter",
                ));
                continue;
            }
            let value = value.trim();
            if value.is_empty() {
                out.fields.remove(key);
            } else if value.chars().count() > MAX_FIELD_VALUE_LEN {
                problems.push(problem(
                    &field,
                    format!("is longer than {MAX_FIELD_VALUE_LEN} characters"),
                ));
            } else if value.chars().any(char::is_control) {
                problems.push(problem(&field, "contains control characters"));
            } else {
                out.fields.insert(key.clone(), value.to_owned());
            }
        }
        if out.fields.len() > MAX_FIELDS {
            problems.push(problem(
                "fields",
                format!("a customer has at most {MAX_FIELDS} custom fields"),
            ));
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// Adds `tag`; whether it was new. Refused beyond [`MAX_TAGS`].
    pub fn add_tag(&mut self, tag: &Tag) -> Result<bool, FieldProblem> {
        if self.tags.iter().any(|t| t == tag.as_str()) {
            return Ok(false);
        }
        if self.tags.len() >= MAX_TAGS {
            return Err(problem(
                "tag",
                format!("a customer has at most {MAX_TAGS} tags; remove one first"),
            ));
        }
        self.tags.push(tag.as_str().to_owned());
        self.tags.sort();
        Ok(true)
    }

    /// Removes `tag`; whether it was there.
    pub fn remove_tag(&mut self, tag: &Tag) -> bool {
        let before = self.tags.len();
        self.tags.retain(|t| t != tag.as_str());
        self.tags.len() != before
    }
}

fn check_name(v: &str) -> Result<String, String> {
    if v.chars().count() > MAX_NAME_LEN {
        Err(format!("is longer than {MAX_NAME_LEN} characters"))
    } else if v.chars().any(char::is_control) {
        Err("contains control characters".into())
    } else {
        Ok(v.to_owned())
    }
}

/// A language tag as WhatsApp and browsers write it: `de`, `en`, `pt-BR`, `en_US`.
fn check_language(v: &str) -> Result<String, String> {
    let mut parts = v.split(['-', '_']);
    let primary = parts.next().unwrap_or("");
    let region = parts.next();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
        && parts.next().is_none();
    if ok {
        Ok(match region {
            Some(r) => format!("{}-{}", primary.to_lowercase(), r.to_uppercase()),
            None => primary.to_lowercase(),
        })
    } else {
        Err("is not a language code such as de, en or pt-BR".into())
    }
}

fn check_tier(v: &str) -> Result<String, String> {
    let t = v.to_lowercase();
    if t.len() <= 32
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Ok(t)
    } else {
        Err("is 1-32 letters a-z, digits, '-' or '_' (e.g. gold)".into())
    }
}

/// An address of the form `local@domain.tld`: one `@`, no spaces, a dot in the domain that
/// neither starts nor ends it. Deliverability is the mail server's to judge.
fn check_email(v: &str) -> Result<String, String> {
    let bad = || Err(format!("'{v}' is not an e-mail address (name@example.com)"));
    if v.len() > MAX_EMAIL_LEN || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = v.split_once('@') else {
        return bad();
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if ok {
        // Domains are case-insensitive; the local part is the mail server's business.
        Ok(format!("{local}@{}", domain.to_lowercase()))
    } else {
        bad()
    }
}

fn valid_field_key(key: &str) -> bool {
    (1..=32).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Appends `c` lowercase without its accent: `Ö` → `o` (`oe` when `german`), `ß` → `ss`,
/// `Ł` → `l`; a space for characters that are not letters or digits (they separate words).
fn fold_char(c: char, out: &mut String, german: bool) {
    let lower: String = c.to_lowercase().collect();
    for c in lower.chars() {
        let base = match c {
            'ä' if german => "ae",
            'ö' if german => "oe",
            'ü' if german => "ue",
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĵ' => "j",
            'ķ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => {
                out.push(' ');
                continue;
            }
        };
        out.push_str(base);
    }
}

fn fold(text: &str, german: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out, german);
    }
    out
}

fn words(folded: &str) -> impl Iterator<Item = String> + '_ {
    folded
        .split_whitespace()
        .map(|w| w.chars().take(MAX_TOKEN_LEN).collect())
}

/// The words a name is found by: lowercase, accents removed (`Jörg Müller` → `jorg`,
/// `muller`), and for German umlauts also their spelled-out form (`joerg`, `mueller`), so
/// either spelling of a search finds it. At most [`MAX_NAME_TOKENS`] words of the name count.
pub fn name_tokens(name: &str) -> BTreeSet<String> {
    let mut tokens = BTreeSet::new();
    for german in [false, true] {
        tokens.extend(words(&fold(name, german)).take(MAX_NAME_TOKENS));
    }
    tokens
}

/// The words of a name search, folded as names are (`Müller` → `muller`); each must start a
/// word of the customer's name.
pub fn query_words(query: &str) -> Vec<String> {
    words(&fold(query, false)).collect()
}

/// Whether `name` has, for every word of `query` (folded), a word starting with it.
pub fn name_matches(name: &str, query: &[String]) -> bool {
    let tokens = name_tokens(name);
    query
        .iter()
        .all(|q| tokens.iter().any(|t| t.starts_with(q.as_str())))
}

/// The digits of a phone search, if the query is one: digits with optional `+`, spaces,
/// dashes, dots, slashes and parentheses, at least [`MIN_PHONE_DIGITS`] digits, at most 20.
/// A leading `00` or `0` (dialling prefixes) is dropped: the rest ends the WhatsApp id.
pub fn phone_digits(query: &str) -> Option<String> {
    let q = query.trim();
    if !q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '/' | '(' | ')'))
    {
        return None;
    }
    let mut digits: String = q.chars().filter(char::is_ascii_digit).collect();
    // `00 49 ...` (international prefix) and `0151 ...` (national trunk prefix): the rest is
    // the end of the international number.
    // Only in numbers that long: "0777" is the last four digits, not a dialled number.
    if digits.len() >= NATIONAL_MIN_DIGITS {
        let international = digits.strip_prefix("00").map(str::to_owned);
        let national = digits.strip_prefix('0').map(str::to_owned);
        if let Some(rest) = international.or(national) {
            digits = rest;
        }
    }
    (MIN_PHONE_DIGITS..=20)
        .contains(&digits.len())
        .then_some(digits)
}

/// An order number as the index keeps it: trimmed, uppercase, `#` in front dropped
/// (`#a-1042` and `A-1042` are one order), 1-64 letters, digits, `-` or `_`.
pub fn order_key(raw: &str) -> Option<String> {
    let o = raw.trim().trim_start_matches('#').to_uppercase();
    ((1..=64).contains(&o.len())
        && o.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then_some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_by_any_word_without_case_or_accents() {
        let tokens = name_tokens("Jörg Müller-Lüdenscheidt");
        for t in ["jorg", "joerg", "muller", "mueller", "ludenscheidt"] {
            assert!(tokens.contains(t), "{t} in {tokens:?}");
        }
        let q = query_words("MÜLLER");
        assert_eq!(q, ["muller"]);
        assert!(name_matches("Jörg Müller", &q));
        assert!(name_matches("Jörg Müller", &query_words("jorg mül")));
        assert!(name_matches("Jörg Müller", &query_words("mueller")));
        assert!(!name_matches("Jörg Müller", &query_words("jorg schmidt")));
        assert_eq!(name_tokens("Łukasz Żółć"), name_tokens("lukasz zolc"));
        assert_eq!(query_words("  "), Vec::<String>::new());
    }

    #[test]
    fn very_long_names_index_a_bounded_number_of_words() {
        let name = (0..50)
            .map(|i| format!("w{i:02}x"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(name_tokens(&name).len() <= 2 * MAX_NAME_TOKENS);
        let long = "a".repeat(300);
        assert!(name_tokens(&long).iter().all(|t| t.len() <= MAX_TOKEN_LEN));
    }

    #[test]
    fn phone_searches_take_full_numbers_in_any_notation_or_the_last_digits() {
        assert_eq!(
            phone_digits("+49 151 2345-678").as_deref(),
            Some("491512345678")
        );
        assert_eq!(phone_digits("0049 151 2345").as_deref(), Some("491512345"));
        assert_eq!(phone_digits("5678").as_deref(), Some("5678"));
        assert_eq!(
            phone_digits("0777").as_deref(),
            Some("0777"),
            "last digits keep their 0"
        );
        assert_eq!(phone_digits("0151 2345").as_deref(), Some("1512345"));
        assert_eq!(phone_digits("678"), None, "too few digits");
        assert_eq!(phone_digits("müller"), None);
        assert_eq!(phone_digits("A-1042"), None);
        assert_eq!(phone_digits(&"1".repeat(21)), None);
    }

    #[test]
    fn tags_are_normalised_lowercase_and_refused_when_malformed() {
        assert_eq!(Tag::parse(" VIP ").unwrap().as_str(), "vip");
        assert_eq!(Tag::parse("late-payer_2").unwrap().as_str(), "late-payer_2");
        assert_eq!(Tag::parse("call  back").unwrap().as_str(), "call-back");
        for bad in ["", "-x", "a/b", "ümlaut", &"x".repeat(33)] {
            assert!(Tag::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_kept_once_sorted_and_bounded() {
        let mut p = Profile::default();
        assert!(p.add_tag(&Tag::parse("vip").unwrap()).unwrap());
        assert!(
            !p.add_tag(&Tag::parse("VIP").unwrap()).unwrap(),
            "a repeat changes nothing"
        );
        assert!(p.add_tag(&Tag::parse("b2b").unwrap()).unwrap());
        assert_eq!(p.tags, ["b2b", "vip"]);
        for i in 2..MAX_TAGS {
            p.add_tag(&Tag::parse(&format!("t{i}")).unwrap()).unwrap();
        }
        assert!(p.add_tag(&Tag::parse("one-more").unwrap()).is_err());
        assert!(p.remove_tag(&Tag::parse("vip").unwrap()));
        assert!(!p.remove_tag(&Tag::parse("vip").unwrap()));
    }

    #[test]
    fn an_edit_sets_clears_and_validates_every_field() {
        let before = Profile {
            tier: Some("silver".into()),
            fields: BTreeMap::from([("customer_no".into(), "K-1".into())]),
            ..Profile::default()
        };
        let edit = ProfileEdit {
            name: Some(" Jörg Müller ".into()),
            language: Some("pt_br".into()),
            tier: Some("".into()),
            email: Some("Joerg@Example.COM".into()),
            fields: BTreeMap::from([
                ("customer_no".into(), "".into()),
                ("company".into(), "ACME".into()),
            ]),
        };
        let after = before.edited(&edit).unwrap();
        assert_eq!(after.name.as_deref(), Some("Jörg Müller"));
        assert_eq!(after.language.as_deref(), Some("pt-BR"));
        assert_eq!(after.tier, None);
        assert_eq!(after.email.as_deref(), Some("Joerg@example.com"));
        assert_eq!(
            after.fields,
            BTreeMap::from([("company".into(), "ACME".into())])
        );
    }

    #[test]
    fn a_bad_edit_names_every_wrong_field_and_changes_nothing() {
        let edit = ProfileEdit {
            name: Some("x".repeat(MAX_NAME_LEN + 1)),
            language: Some("german".into()),
            tier: Some("gold plus".into()),
            email: Some("joerg@localhost".into()),
            fields: BTreeMap::from([
                ("Bad Key".into(), "v".into()),
                ("note".into(), "y".repeat(MAX_FIELD_VALUE_LEN + 1)),
            ]),
        };
        let problems = Profile::default().edited(&edit).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "language",
                "tier",
                "email",
                "fields.Bad Key",
                "fields.note"
            ]
        );
        for bad in [
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@@example.com",
            "a@-x.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        let too_many = ProfileEdit {
            fields: (0..=MAX_FIELDS)
                .map(|i| (format!("f{i}"), "v".into()))
                .collect(),
            ..ProfileEdit::default()
        };
        let problems = Profile::default().edited(&too_many).unwrap_err();
        assert_eq!(problems[0].field, "fields");
    }

    #[test]
    fn order_numbers_are_matched_whatever_their_case_or_hash() {
        assert_eq!(order_key("#a-1042").as_deref(), Some("A-1042"));
        assert_eq!(order_key(" 1042 ").as_deref(), Some("1042"));
        assert_eq!(order_key("a b"), None);
        assert_eq!(order_key(""), None);
    }
}
