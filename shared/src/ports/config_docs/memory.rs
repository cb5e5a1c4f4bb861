//! In-memory configuration documents with the DynamoDB adapter's semantics: the same conditions
//! (a stale base is a conflict, a moved published pointer is a conflict), each change and its
//! audit entry under one lock, as the table writes them in one transaction.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;

use super::{
    CheckedBody, ConfigAction, ConfigAuditEntry, ConfigDocs, ConfigDocsError, NewVersion,
    PublishPlan, describe_conflict, empty_head, plan_publish, published_under_draft,
    rollback_version, saved_version,
};
use crate::domain::config_doc::{ConfigHead, ConfigKind, ConfigVersion, VersionOrigin};
use crate::ports::store::StoreError;

#[derive(Debug, Default)]
struct State {
    heads: BTreeMap<ConfigKind, ConfigHead>,
    versions: BTreeMap<(ConfigKind, u32), ConfigVersion>,
    audit: Vec<ConfigAuditEntry>,
    /// Set by tests: every call fails as an unreachable table would.
    unavailable: bool,
    /// Set by tests: writes that still succeed before every write fails (a throttled table,
    /// or a function that times out between two writes).
    writes_left: Option<usize>,
    /// Counts `head` calls (what a cached reader is meant to keep cheap).
    head_reads: usize,
    version_reads: usize,
}

impl State {
    /// `kind`'s head, or the head of a kind nothing was saved for yet.
    fn head_or_empty(&self, kind: ConfigKind) -> ConfigHead {
        self.heads
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| empty_head(kind))
    }
}

#[derive(Debug, Default)]
pub struct MemoryConfigDocs {
    state: Mutex<State>,
}

impl MemoryConfigDocs {
    pub fn new() -> Self {
        Self::default()
    }

    fn begin(&self) -> Result<MutexGuard<'_, State>, ConfigDocsError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.unavailable {
            return Err(StoreError::Unavailable("the memory table is switched off".into()).into());
        }
        Ok(state)
    }

    /// Makes every call fail (retryably) until switched back: an outage.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unavailable = unavailable;
    }

    /// Lets the next `writes` writes through and fails every one after them (retryably)
    /// until [`Self::heal`]: a write that never lands, after some that did.
    pub fn fail_writes_after(&self, writes: usize) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .writes_left = Some(writes);
    }

    /// Ends [`Self::fail_writes_after`] and [`Self::set_unavailable`].
    pub fn heal(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.writes_left = None;
        s.unavailable = false;
    }

    /// [`Self::begin`] for a write: also counts down [`Self::fail_writes_after`].
    fn begin_write(&self) -> Result<MutexGuard<'_, State>, ConfigDocsError> {
        let mut state = self.begin()?;
        match state.writes_left {
            Some(0) => {
                Err(StoreError::Unavailable("the memory table refuses writes".into()).into())
            }
            Some(n) => {
                state.writes_left = Some(n - 1);
                Ok(state)
            }
            None => Ok(state),
        }
    }

    /// How many `head` and `version` reads were made.
    pub fn reads(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (s.head_reads, s.version_reads)
    }

    /// Stores a version without any check: tests use it to plant a document an older release
    /// accepted and this one refuses.
    pub fn plant_unchecked(&self, version: ConfigVersion, published: bool) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let head = s.heads.entry(version.kind).or_insert(ConfigHead {
            kind: version.kind,
            latest: 0,
            published: None,
            published_at: None,
            published_by: None,
        });
        head.latest = head.latest.max(version.version);
        if published {
            head.published = Some(version.version);
            head.published_at = Some(version.at);
            head.published_by = Some(version.author.clone());
        }
        s.versions.insert((version.kind, version.version), version);
    }

    /// The conflict for a stale `base`, described outside the lock.
    async fn conflict(&self, kind: ConfigKind, base: u32, current: ConfigHead) -> ConfigDocsError {
        describe_conflict(self, kind, base, current).await
    }
}

#[async_trait]
impl ConfigDocs for MemoryConfigDocs {
    async fn head(&self, kind: ConfigKind) -> Result<Option<ConfigHead>, ConfigDocsError> {
        let mut s = self.begin()?;
        s.head_reads += 1;
        Ok(s.heads.get(&kind).cloned())
    }

    async fn version(
        &self,
        kind: ConfigKind,
        version: u32,
    ) -> Result<Option<ConfigVersion>, ConfigDocsError> {
        let mut s = self.begin()?;
        s.version_reads += 1;
        Ok(s.versions.get(&(kind, version)).cloned())
    }

    async fn history(
        &self,
        kind: ConfigKind,
        limit: usize,
    ) -> Result<Vec<ConfigVersion>, ConfigDocsError> {
        let s = self.begin()?;
        Ok(s.versions
            .range((kind, 0)..=(kind, u32::MAX))
            .rev()
            .take(limit)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn save(&self, new: &NewVersion) -> Result<ConfigVersion, ConfigDocsError> {
        let kind = new.kind();
        let stale = {
            let mut s = self.begin_write()?;
            let head = s.heads.get(&kind).cloned();
            let latest = head.as_ref().map_or(0, |h| h.latest);
            if latest == new.based_on {
                let version = saved_version(new);
                let head = s.heads.entry(kind).or_insert_with(|| empty_head(kind));
                head.latest = version.version;
                s.versions.insert((kind, version.version), version.clone());
                s.audit.push(ConfigAuditEntry::of(
                    &version,
                    ConfigAction::Save,
                    &version.note,
                ));
                return Ok(version);
            }
            head.unwrap_or_else(|| empty_head(kind))
        };
        Err(self.conflict(kind, new.based_on, stale).await)
    }

    async fn publish(
        &self,
        kind: ConfigKind,
        version: u32,
        expected: Option<u32>,
        actor: &str,
        at: Timestamp,
    ) -> Result<ConfigHead, ConfigDocsError> {
        let stale = {
            let mut s = self.begin_write()?;
            let Some(target) = s.versions.get(&(kind, version)).cloned() else {
                return Err(ConfigDocsError::NotFound { kind, version });
            };
            let head = s.head_or_empty(kind);
            match plan_publish(&target, head, expected, actor, at)? {
                PublishPlan::Stale(head) => head,
                PublishPlan::Unchanged(head) => return Ok(head),
                PublishPlan::Publish { head, audit } => {
                    s.heads.insert(kind, head.clone());
                    s.audit.push(audit);
                    return Ok(head);
                }
            }
        };
        Err(self.conflict(kind, expected.unwrap_or(0), stale).await)
    }

    async fn publish_under_draft(
        &self,
        new: &NewVersion,
        expected: Option<u32>,
        on_top: Option<&NewVersion>,
    ) -> Result<ConfigHead, ConfigDocsError> {
        let kind = new.kind();
        let (versions, entries) = published_under_draft(new, expected, on_top)?;
        let stale = {
            let mut s = self.begin_write()?;
            let head = s.head_or_empty(kind);
            if head.latest == new.based_on && head.published == expected {
                let published = &versions[0];
                let head = s.heads.entry(kind).or_insert_with(|| empty_head(kind));
                head.latest = versions.last().map_or(published.version, |v| v.version);
                head.published = Some(published.version);
                head.published_at = Some(published.at);
                head.published_by = Some(published.author.clone());
                let head = head.clone();
                for v in versions {
                    s.versions.insert((kind, v.version), v);
                }
                s.audit.extend(entries);
                return Ok(head);
            }
            head
        };
        Err(self.conflict(kind, new.based_on, stale).await)
    }

    async fn rollback(
        &self,
        kind: ConfigKind,
        to: u32,
        based_on: u32,
        actor: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<ConfigVersion, ConfigDocsError> {
        let Some(old) = self.version(kind, to).await? else {
            return Err(ConfigDocsError::NotFound { kind, version: to });
        };
        let (version, entry) = rollback_version(old, based_on, actor, note, at)?;
        let stale = {
            let mut s = self.begin_write()?;
            let head = s.head_or_empty(kind);
            if head.latest == based_on {
                let head = s.heads.entry(kind).or_insert_with(|| empty_head(kind));
                head.latest = version.version;
                head.published = Some(version.version);
                head.published_at = Some(at);
                head.published_by = Some(version.author.clone());
                s.versions.insert((kind, version.version), version.clone());
                s.audit.push(entry);
                return Ok(version);
            }
            head
        };
        Err(self.conflict(kind, based_on, stale).await)
    }

    async fn seed(&self, body: &CheckedBody, at: Timestamp) -> Result<bool, ConfigDocsError> {
        let kind = body.kind();
        let mut s = self.begin_write()?;
        if s.heads.contains_key(&kind) {
            return Ok(false);
        }
        let version = seed_version(body, at);
        s.heads.insert(
            kind,
            ConfigHead {
                kind,
                latest: 1,
                published: Some(1),
                published_at: Some(at),
                published_by: Some(version.author.clone()),
            },
        );
        s.audit.push(ConfigAuditEntry::of(
            &version,
            ConfigAction::Seed,
            &version.note,
        ));
        s.versions.insert((kind, 1), version);
        Ok(true)
    }

    async fn audit(&self, day: &str) -> Result<Vec<ConfigAuditEntry>, ConfigDocsError> {
        let s = self.begin()?;
        let mut entries: Vec<ConfigAuditEntry> =
            s.audit.iter().filter(|e| e.day() == day).cloned().collect();
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }
}

/// Version 1 of a kind, imported from its file.
pub(super) fn seed_version(body: &CheckedBody, at: Timestamp) -> ConfigVersion {
    ConfigVersion {
        kind: body.kind(),
        version: 1,
        based_on: 0,
        body: body.as_str().to_owned(),
        author: "seed".to_owned(),
        at,
        note: format!("imported from {}", body.kind().file_name()),
        origin: VersionOrigin::Seed,
    }
}
