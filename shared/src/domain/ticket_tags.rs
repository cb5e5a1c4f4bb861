//! Ticket tags: short labels agents put on tickets ("refund", "vip-order") to find and filter
//! them. A tag is normalised once when it enters (trimmed, lower case, inner spaces as `-`), so
//! "Refund " and "refund" are the same tag, and the tag index has one partition per tag.

use std::fmt;

/// The most tags one ticket carries (each one is an index item written with the ticket).
pub const MAX_TAGS_PER_TICKET: usize = 10;

/// Longest tag, in characters.
pub const MAX_TAG_LEN: usize = 32;

/// A tag, normalised: 1-32 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or
/// a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("is empty")]
    Empty,
    #[error("has {0} characters; a tag has at most {MAX_TAG_LEN}")]
    TooLong(usize),
    #[error(
        "'{0}' is not allowed: a tag has letters a-z, digits, '-' and '_' (spaces become '-') and starts with a letter or digit"
    )]
    Character(char),
}

impl Tag {
    /// Normalises `raw` (trim, lower case, runs of spaces to one `-`) and checks it.
    pub fn parse(raw: &str) -> Result<Self, TagError> {
        let words: Vec<&str> = raw.split_whitespace().collect();
        let tag = words.join("-").to_lowercase();
        let n = tag.chars().count();
        if n == 0 {
            return Err(TagError::Empty);
        }
        if n > MAX_TAG_LEN {
            return Err(TagError::TooLong(n));
        }
        if let Some(c) = tag
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')))
        {
            return Err(TagError::Character(c));
        }
        if tag.starts_with(['-', '_']) {
            return Err(TagError::Character(tag.chars().next().unwrap_or('-')));
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a tag change does to a ticket's tags (kept sorted, without repeats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    /// The tags changed.
    Changed,
    /// Nothing to do: the tag was there already (tagging) or was not (untagging).
    Unchanged,
}

/// Adds `tag` to `tags`, unless there; refuses an eleventh tag.
pub fn add_tag(tags: &mut Vec<String>, tag: &Tag) -> Result<Tagging, String> {
    if tags.iter().any(|t| t == tag.as_str()) {
        return Ok(Tagging::Unchanged);
    }
    if tags.len() >= MAX_TAGS_PER_TICKET {
        return Err(format!(
            "a ticket has at most {MAX_TAGS_PER_TICKET} tags; remove one first"
        ));
    }
    tags.push(tag.as_str().to_owned());
    tags.sort();
    Ok(Tagging::Changed)
}

/// Removes `tag` from `tags`, if there.
pub fn remove_tag(tags: &mut Vec<String>, tag: &Tag) -> Tagging {
    let before = tags.len();
    tags.retain(|t| t != tag.as_str());
    if tags.len() == before {
        Tagging::Unchanged
    } else {
        Tagging::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_so_spelling_variants_are_one_tag() {
        assert_eq!(Tag::parse("  Refund ").unwrap().as_str(), "refund");
        assert_eq!(Tag::parse("VIP  order").unwrap().as_str(), "vip-order");
        assert_eq!(Tag::parse("late_2").unwrap().as_str(), "late_2");
    }

    #[test]
    fn tags_out_of_shape_are_refused_with_the_reason() {
        assert_eq!(Tag::parse("   "), Err(TagError::Empty));
        assert_eq!(Tag::parse(&"a".repeat(33)), Err(TagError::TooLong(33)));
        assert!(Tag::parse(&"a".repeat(32)).is_ok());
        assert_eq!(Tag::parse("re#fund"), Err(TagError::Character('#')));
        assert_eq!(Tag::parse("-x"), Err(TagError::Character('-')));
        assert_eq!(Tag::parse("größe"), Err(TagError::Character('ö')));
    }

    #[test]
    fn adding_twice_or_removing_an_absent_tag_changes_nothing() {
        let (a, b) = (Tag::parse("b").unwrap(), Tag::parse("a").unwrap());
        let mut tags = Vec::new();
        assert_eq!(add_tag(&mut tags, &a), Ok(Tagging::Changed));
        assert_eq!(add_tag(&mut tags, &b), Ok(Tagging::Changed));
        assert_eq!(add_tag(&mut tags, &a), Ok(Tagging::Unchanged));
        assert_eq!(tags, ["a", "b"], "kept sorted, no repeats");
        assert_eq!(remove_tag(&mut tags, &a), Tagging::Changed);
        assert_eq!(remove_tag(&mut tags, &a), Tagging::Unchanged);
        assert_eq!(tags, ["a"]);
    }

    #[test]
    fn a_ticket_takes_at_most_ten_tags() {
        let mut tags: Vec<String> = (0..MAX_TAGS_PER_TICKET).map(|i| format!("t{i}")).collect();
        let extra = Tag::parse("one-more").unwrap();
        assert!(add_tag(&mut tags, &extra).is_err());
        assert_eq!(tags.len(), MAX_TAGS_PER_TICKET);
        // One already there is still fine (nothing to add).
        assert_eq!(
            add_tag(&mut tags, &Tag::parse("t3").unwrap()),
            Ok(Tagging::Unchanged)
        );
    }
}
