//! Configuration as versioned data: what a support team changes week to week (the bot, SLA
//! policies, routing, approved templates, canned responses) is a document of one kind, kept as a
//! list of immutable versions. Each version holds the whole TOML text (the same format as the
//! files in `config/`, which seed a new stack), who wrote it, when and why. One version of a
//! kind is published (the one the functions run); newer ones are drafts. Pure: no I/O here; the
//! store is `ports::config_docs`, the validators are each kind's own parser.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The largest document body accepted (a DynamoDB item holds at most 400 KB; the shipped
/// `bot.toml` is under 20 KB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The longest change note.
pub const MAX_NOTE_CHARS: usize = 500;
/// The longest author id (agent ids, `cli:<name>`, `seed`).
pub const MAX_AUTHOR_CHARS: usize = 128;

/// What a document configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigKind {
    /// `config/bot.toml`: company, menu, intents, answers, flows, handoff words, limits.
    Bot,
    /// `config/sla.toml`: policies, calendars, business hours, holidays, escalation.
    Sla,
    /// `config/routing.toml`: routing rules and teams.
    Routing,
    /// `config/templates.toml`: approved WhatsApp templates agents may send.
    Templates,
    /// `config/canned-responses.toml`: agents' saved replies (personal, team, global).
    CannedResponses,
}

impl ConfigKind {
    pub const ALL: [ConfigKind; 5] = [
        Self::Bot,
        Self::Sla,
        Self::Routing,
        Self::Templates,
        Self::CannedResponses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Sla => "sla",
            Self::Routing => "routing",
            Self::Templates => "templates",
            Self::CannedResponses => "canned_responses",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The file in `config/` this kind is imported from and exported to.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Bot => "config/bot.toml",
            Self::Sla => "config/sla.toml",
            Self::Routing => "config/routing.toml",
            Self::Templates => "config/templates.toml",
            Self::CannedResponses => "config/canned-responses.toml",
        }
    }

    /// How errors name a version of this kind: `bot v7`.
    pub fn origin(self, version: u32) -> String {
        format!("{} v{version}", self.as_str())
    }
}

impl fmt::Display for ConfigKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum VersionOrigin {
    /// Imported from the file in `config/` when the stack had no document of the kind.
    Seed,
    /// Written by someone (console, API, import).
    Save,
    /// A copy of an older version's text, published at once.
    Rollback { from: u32 },
}

/// One immutable version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigVersion {
    pub kind: ConfigKind,
    /// 1, 2, 3, ... per kind, without gaps.
    pub version: u32,
    /// The version the author started from (0 for the seed).
    pub based_on: u32,
    /// The whole TOML text.
    pub body: String,
    /// An agent id, `cli:<name>` or `seed`.
    pub author: String,
    pub at: Timestamp,
    pub note: String,
    pub origin: VersionOrigin,
}

/// The version list of a kind: how many versions there are and which one is live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigHead {
    pub kind: ConfigKind,
    /// The newest version.
    pub latest: u32,
    /// The version the functions run (`None` until something is published).
    pub published: Option<u32>,
    pub published_at: Option<Timestamp>,
    pub published_by: Option<String>,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// Newer than the published version: written, not live yet.
    Draft,
    /// The live version.
    Published,
    /// Older than the published version (was live once, or a draft never published).
    Superseded,
}

impl ConfigHead {
    pub fn state_of(&self, version: u32) -> VersionState {
        match self.published {
            Some(p) if p == version => VersionState::Published,
            Some(p) if version < p => VersionState::Superseded,
            _ => VersionState::Draft,
        }
    }

    /// The newest version, if it is not published yet.
    pub fn draft(&self) -> Option<u32> {
        (self.state_of(self.latest) == VersionState::Draft && self.latest > 0)
            .then_some(self.latest)
    }
}

/// A version as a history list shows it (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub version: u32,
    pub based_on: u32,
    pub author: String,
    pub at: Timestamp,
    pub note: String,
    pub origin: VersionOrigin,
    pub state: VersionState,
}

impl VersionSummary {
    pub fn of(v: &ConfigVersion, head: &ConfigHead) -> Self {
        Self {
            version: v.version,
            based_on: v.based_on,
            author: v.author.clone(),
            at: v.at,
            note: v.note.clone(),
            origin: v.origin,
            state: head.state_of(v.version),
        }
    }
}

/// What the author, note and body of a new version must satisfy whatever its kind: the part of
/// the check that is not the kind's own validator. Names the field.
pub fn check_envelope(body: &str, author: &str, note: &str) -> Result<(), (String, String)> {
    let fail = |field: &str, problem: String| Err((field.to_owned(), problem));
    if body.trim().is_empty() {
        return fail("body", "is empty".into());
    }
    if body.len() > MAX_BODY_BYTES {
        return fail(
            "body",
            format!("is {} bytes; at most {MAX_BODY_BYTES}", body.len()),
        );
    }
    let author_ok = !author.trim().is_empty()
        && author.chars().count() <= MAX_AUTHOR_CHARS
        && !author.chars().any(char::is_control);
    if !author_ok {
        return fail(
            "author",
            format!("needs 1-{MAX_AUTHOR_CHARS} characters without control characters"),
        );
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return fail(
            "note",
            format!("is longer than {MAX_NOTE_CHARS} characters"),
        );
    }
    Ok(())
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum DiffLine {
    /// In both (`old` and `new` are its 1-based line numbers).
    Same {
        old: usize,
        new: usize,
        text: String,
    },
    Removed {
        old: usize,
        text: String,
    },
    Added {
        new: usize,
        text: String,
    },
}

/// A readable line diff between two versions' texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiff {
    pub from: u32,
    pub to: u32,
    pub lines: Vec<DiffLine>,
}

/// Lines of context kept around each change in the text form.
const CONTEXT: usize = 2;
/// Beyond this many lines on both sides an exact longest-common-subsequence table would cost
/// too much memory; the middle is then shown as removed and added (still correct, less tidy).
const MAX_LCS_CELLS: usize = 4_000_000;

impl LineDiff {
    /// The changes from `old` (version `from`) to `new` (version `to`).
    pub fn between(from: u32, old: &str, to: u32, new: &str) -> Self {
        let a: Vec<&str> = old.lines().collect();
        let b: Vec<&str> = new.lines().collect();
        // The common head and tail are cheap; the LCS runs on the changed middle only.
        let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let tail = a[head..]
            .iter()
            .rev()
            .zip(b[head..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
        let mut lines = Vec::with_capacity(a.len().max(b.len()));
        for (i, text) in a.iter().enumerate().take(head) {
            lines.push(DiffLine::Same {
                old: i + 1,
                new: i + 1,
                text: (*text).to_owned(),
            });
        }
        middle(ma, mb, head, head, &mut lines);
        for k in 0..tail {
            let (i, j) = (a.len() - tail + k, b.len() - tail + k);
            lines.push(DiffLine::Same {
                old: i + 1,
                new: j + 1,
                text: a[i].to_owned(),
            });
        }
        Self { from, to, lines }
    }

    /// Whether the texts differ line by line.
    pub fn is_empty(&self) -> bool {
        self.lines
            .iter()
            .all(|l| matches!(l, DiffLine::Same { .. }))
    }

    /// (lines added, lines removed).
    pub fn counts(&self) -> (usize, usize) {
        self.lines.iter().fold((0, 0), |(a, r), l| match l {
            DiffLine::Added { .. } => (a + 1, r),
            DiffLine::Removed { .. } => (a, r + 1),
            DiffLine::Same { .. } => (a, r),
        })
    }
}

/// The LCS diff of the changed middles `a` and `b`, which start after `off_a`/`off_b` lines.
fn middle(a: &[&str], b: &[&str], off_a: usize, off_b: usize, out: &mut Vec<DiffLine>) {
    let removed = |i: usize| DiffLine::Removed {
        old: off_a + i + 1,
        text: a[i].to_owned(),
    };
    let added = |j: usize| DiffLine::Added {
        new: off_b + j + 1,
        text: b[j].to_owned(),
    };
    if (a.len() + 1).saturating_mul(b.len() + 1) > MAX_LCS_CELLS {
        out.extend((0..a.len()).map(removed));
        out.extend((0..b.len()).map(added));
        return;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let w = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(DiffLine::Same {
                old: off_a + i + 1,
                new: off_b + j + 1,
                text: a[i].to_owned(),
            });
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            out.push(removed(i));
            i += 1;
        } else {
            out.push(added(j));
            j += 1;
        }
    }
    out.extend((i..a.len()).map(removed));
    out.extend((j..b.len()).map(added));
}

/// The unified form reviewers know: `--- bot v3`, `+++ bot v4`, hunks `@@ -12,5 +12,6 @@` with
/// two lines of context, `-` removed, `+` added.
impl fmt::Display for LineDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- v{}", self.from)?;
        writeln!(f, "+++ v{}", self.to)?;
        let changed: Vec<usize> = (0..self.lines.len())
            .filter(|&i| !matches!(self.lines[i], DiffLine::Same { .. }))
            .collect();
        let mut k = 0;
        while k < changed.len() {
            let start = changed[k].saturating_sub(CONTEXT);
            let mut end = changed[k] + CONTEXT + 1;
            while k + 1 < changed.len() && changed[k + 1] <= end + CONTEXT {
                k += 1;
                end = changed[k] + CONTEXT + 1;
            }
            k += 1;
            let hunk = &self.lines[start..end.min(self.lines.len())];
            let (mut old_start, mut new_start) = (None, None);
            let (mut old_len, mut new_len) = (0, 0);
            for l in hunk {
                match l {
                    DiffLine::Same { old, new, .. } => {
                        old_start.get_or_insert(*old);
                        new_start.get_or_insert(*new);
                        old_len += 1;
                        new_len += 1;
                    }
                    DiffLine::Removed { old, .. } => {
                        old_start.get_or_insert(*old);
                        old_len += 1;
                    }
                    DiffLine::Added { new, .. } => {
                        new_start.get_or_insert(*new);
                        new_len += 1;
                    }
                }
            }
            writeln!(
                f,
                "@@ -{},{old_len} +{},{new_len} @@",
                old_start.unwrap_or(0),
                new_start.unwrap_or(0)
            )?;
            for l in hunk {
                match l {
                    DiffLine::Same { text, .. } => writeln!(f, " {text}")?,
                    DiffLine::Removed { text, .. } => writeln!(f, "-{text}")?,
                    DiffLine::Added { text, .. } => writeln!(f, "+{text}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(latest: u32, published: Option<u32>) -> ConfigHead {
        ConfigHead {
            kind: ConfigKind::Sla,
            latest,
            published,
            published_at: None,
            published_by: None,
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in ConfigKind::ALL {
            assert_eq!(ConfigKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.as_str());
        }
        assert_eq!(ConfigKind::parse("agents"), None);
    }

    #[test]
    fn versions_newer_than_the_published_one_are_drafts_older_ones_superseded() {
        let h = head(5, Some(3));
        assert_eq!(h.state_of(3), VersionState::Published);
        assert_eq!(h.state_of(2), VersionState::Superseded);
        assert_eq!(h.state_of(4), VersionState::Draft);
        assert_eq!(h.draft(), Some(5));
        assert_eq!(head(3, Some(3)).draft(), None);
        assert_eq!(head(2, None).draft(), Some(2));
    }

    #[test]
    fn the_envelope_names_the_field_that_is_wrong() {
        assert_eq!(check_envelope("a = 1", "maria", "holiday"), Ok(()));
        assert_eq!(check_envelope("  \n", "maria", "").unwrap_err().0, "body");
        assert_eq!(check_envelope("a = 1", " ", "").unwrap_err().0, "author");
        assert_eq!(check_envelope("a = 1", "a\nb", "").unwrap_err().0, "author");
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            check_envelope("a = 1", "maria", &long).unwrap_err().0,
            "note"
        );
        let huge = "#".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(check_envelope(&huge, "maria", "").unwrap_err().0, "body");
    }

    #[test]
    fn a_diff_shows_the_changed_line_with_its_numbers_and_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\nj\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\nj\ni\n";
        let d = LineDiff::between(1, old, 2, new);
        assert_eq!(d.counts(), (2, 1));
        assert!(d.lines.contains(&DiffLine::Removed {
            old: 4,
            text: "d".into()
        }));
        assert!(d.lines.contains(&DiffLine::Added {
            new: 4,
            text: "D".into()
        }));
        assert!(d.lines.contains(&DiffLine::Added {
            new: 10,
            text: "i".into()
        }));
        assert_eq!(
            d.to_string(),
            "--- v1\n+++ v2\n@@ -2,5 +2,5 @@\n b\n c\n-d\n+D\n e\n f\n@@ -8,2 +8,3 @@\n h\n j\n+i\n"
        );
    }

    #[test]
    fn a_diff_of_equal_texts_is_empty_and_an_insertion_keeps_the_rest_the_same() {
        assert!(LineDiff::between(1, "x\ny", 2, "x\ny").is_empty());
        let d = LineDiff::between(1, "a\nc", 2, "a\nb\nc");
        assert_eq!(d.counts(), (1, 0));
        assert_eq!(
            d.lines,
            vec![
                DiffLine::Same {
                    old: 1,
                    new: 1,
                    text: "a".into()
                },
                DiffLine::Added {
                    new: 2,
                    text: "b".into()
                },
                DiffLine::Same {
                    old: 2,
                    new: 3,
                    text: "c".into()
                },
            ]
        );
    }

    #[test]
    fn a_reordered_middle_is_shown_as_the_fewest_changes() {
        let d = LineDiff::between(1, "h\nx\ny\nz\nt", 2, "h\ny\nz\nx\nt");
        assert_eq!(d.counts(), (1, 1));
    }
}
