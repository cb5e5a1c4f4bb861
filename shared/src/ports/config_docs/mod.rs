//! The versioned configuration documents (see `domain::config_doc`) in the table: save a new
//! version conditionally on the version it was based on, publish one atomically, roll back,
//! read the published one, the draft, any version and the history, and the audit of every
//! change. A separate port from the ticket store: admins write here, the functions read the
//! published version through `platform::live_config`.
//!
//! A broken document cannot get in: a body reaches an adapter only as a [`CheckedBody`], which
//! only its kind's validator makes, and publishing checks the stored text again (a newer release
//! may be stricter than the one that saved it).

pub mod dynamo;
pub mod memory;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::config_doc::{
    ConfigHead, ConfigKind, ConfigVersion, LineDiff, VersionSummary, check_envelope,
};
use crate::platform::config::ConfigFileError;
use crate::ports::store::StoreError;

pub use dynamo::DynamoConfigDocs;
pub use memory::MemoryConfigDocs;

/// A document text that passed its kind's validator (the same parser the functions use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBody {
    kind: ConfigKind,
    body: String,
}

impl CheckedBody {
    /// Runs `kind`'s validator on `body`; `origin` names it in errors (`bot v7`, an upload's
    /// file name). The error names the field and, where it can, the line.
    pub fn check(kind: ConfigKind, body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        check_body(kind, body, origin)?;
        Ok(Self {
            kind,
            body: body.to_owned(),
        })
    }

    pub fn kind(&self) -> ConfigKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.body
    }
}

/// `kind`'s validator: the parser each consumer runs at start.
pub fn check_body(kind: ConfigKind, body: &str, origin: &str) -> Result<(), ConfigFileError> {
    use crate::app::agent_handoff::RoutingConfig;
    use crate::domain::bot::BotConfig;
    use crate::domain::canned::CannedResponses;
    use crate::domain::sla::SlaConfig;
    use crate::domain::templates::TemplateCatalog;
    match kind {
        ConfigKind::Bot => BotConfig::parse(body, origin).map(drop),
        ConfigKind::Sla => SlaConfig::parse(body, origin).map(drop),
        ConfigKind::Routing => RoutingConfig::parse(body, origin).map(drop),
        ConfigKind::Templates => TemplateCatalog::parse(body, origin).map(drop),
        ConfigKind::CannedResponses => CannedResponses::parse(body, origin).map(drop),
    }
}

/// A version to be written: its checked text, who, when, why, and the version it was based on
/// (0: there is none yet).
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub body: CheckedBody,
    pub based_on: u32,
    pub author: String,
    pub note: String,
    pub at: Timestamp,
}

impl NewVersion {
    /// Checks author and note (the body was checked when it became a [`CheckedBody`]).
    pub fn new(
        body: CheckedBody,
        based_on: u32,
        author: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<Self, ConfigDocsError> {
        let origin = body.kind().origin(based_on + 1);
        check_envelope(body.as_str(), author, note).map_err(|(field, problem)| {
            ConfigDocsError::Invalid(ConfigFileError::invalid(&origin, field, problem))
        })?;
        Ok(Self {
            body,
            based_on,
            author: author.trim().to_owned(),
            note: note.trim().to_owned(),
            at,
        })
    }

    pub fn kind(&self) -> ConfigKind {
        self.body.kind()
    }
}

/// What a configuration change was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigAction {
    Seed,
    Save,
    Publish,
    Rollback,
}

impl ConfigAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seed => "seed",
            Self::Save => "save",
            Self::Publish => "publish",
            Self::Rollback => "rollback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Seed, Self::Save, Self::Publish, Self::Rollback]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// One entry of the configuration audit: who did what to which version, when. Written in the
/// same transaction as the change it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigAuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub kind: ConfigKind,
    pub action: ConfigAction,
    /// The version written or published.
    pub version: u32,
    /// The change note (for a publish: which version was live before).
    pub note: String,
}

impl ConfigAuditEntry {
    /// The UTC day it is filed under, `YYYY-MM-DD`.
    pub fn day(&self) -> String {
        self.at.strftime("%Y-%m-%d").to_string()
    }
}

/// Someone else changed the document since the caller read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub kind: ConfigKind,
    /// The version the caller based the change on (for a publish: the published version it
    /// expected).
    pub base: u32,
    /// Where the document stands now.
    pub current: ConfigHead,
    /// The versions written since `base`, oldest first.
    pub since: Vec<VersionSummary>,
    /// The text changes from `base` to the newest version (none when `base` is 0 or absent).
    pub diff: Option<LineDiff>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigDocsError {
    /// The body, author or note is not usable: the field and, where known, the line.
    #[error(transparent)]
    Invalid(#[from] ConfigFileError),
    /// Stale base: nothing was written.
    #[error("{} changed since v{}: it is now at v{} (published {})", .0.kind, .0.base, .0.current.latest, PublishedLabel(.0.current.published))]
    Conflict(Box<Conflict>),
    #[error("{kind} v{version} does not exist")]
    NotFound { kind: ConfigKind, version: u32 },
    /// A publish that would move the live version backwards: roll back instead (a new version).
    #[error("{kind} v{version} is older than the published v{published}: roll back to it instead")]
    Older {
        kind: ConfigKind,
        version: u32,
        published: u32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct PublishedLabel(Option<u32>);

impl std::fmt::Display for PublishedLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => write!(f, "v{v}"),
            None => f.write_str("none"),
        }
    }
}

impl ConfigDocsError {
    /// Whether trying the same call again later can succeed (a conflict needs a new base).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_retryable())
    }
}

#[async_trait]
pub trait ConfigDocs: Send + Sync {
    /// Where `kind` stands (latest and published version): one small read, what a cached
    /// reader checks. `None`: the kind has no document yet.
    async fn head(&self, kind: ConfigKind) -> Result<Option<ConfigHead>, ConfigDocsError>;

    async fn version(
        &self,
        kind: ConfigKind,
        version: u32,
    ) -> Result<Option<ConfigVersion>, ConfigDocsError>;

    /// The versions, newest first, at most `limit`.
    async fn history(
        &self,
        kind: ConfigKind,
        limit: usize,
    ) -> Result<Vec<ConfigVersion>, ConfigDocsError>;

    /// Writes version `based_on + 1` if the newest version is still `based_on`; else
    /// [`ConfigDocsError::Conflict`] and nothing is written. The new version is a draft.
    async fn save(&self, new: &NewVersion) -> Result<ConfigVersion, ConfigDocsError>;

    /// Makes `version` the live one if the live one is still `expected` (what the caller saw),
    /// after checking its text again. Publishing the live version again changes nothing; an
    /// older version is refused ([`ConfigDocsError::Older`]: roll back to it).
    async fn publish(
        &self,
        kind: ConfigKind,
        version: u32,
        expected: Option<u32>,
        actor: &str,
        at: Timestamp,
    ) -> Result<ConfigHead, ConfigDocsError>;

    /// Copies version `to` as a new version (`based_on + 1`, conditional like a save) and
    /// publishes it, in one transaction.
    async fn rollback(
        &self,
        kind: ConfigKind,
        to: u32,
        based_on: u32,
        actor: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<ConfigVersion, ConfigDocsError>;

    /// Imports `body` as version 1, published, if the kind has no document: `true` if this
    /// call did it. Safe when several functions start at once (one wins, the others see it).
    async fn seed(&self, body: &CheckedBody, at: Timestamp) -> Result<bool, ConfigDocsError>;

    /// The configuration changes of the UTC day `day` (`YYYY-MM-DD`), oldest first.
    async fn audit(&self, day: &str) -> Result<Vec<ConfigAuditEntry>, ConfigDocsError>;

    /// The live version, if any.
    async fn published(&self, kind: ConfigKind) -> Result<Option<ConfigVersion>, ConfigDocsError> {
        let Some(head) = self.head(kind).await? else {
            return Ok(None);
        };
        let Some(v) = head.published else {
            return Ok(None);
        };
        self.version(kind, v).await
    }

    /// The newest version if it is not published yet.
    async fn draft(&self, kind: ConfigKind) -> Result<Option<ConfigVersion>, ConfigDocsError> {
        let Some(v) = self.head(kind).await?.and_then(|h| h.draft()) else {
            return Ok(None);
        };
        self.version(kind, v).await
    }
}

/// Seeds every kind that has no document yet from `bodies` (kind, text, origin): the start of a
/// new stack. Each body is checked first; returns the kinds this call imported.
pub async fn seed_missing(
    docs: &dyn ConfigDocs,
    bodies: &[(ConfigKind, &str, &str)],
    at: Timestamp,
) -> Result<Vec<ConfigKind>, ConfigDocsError> {
    let mut seeded = Vec::new();
    for (kind, body, origin) in bodies {
        if docs.head(*kind).await?.is_some() {
            continue;
        }
        let checked = CheckedBody::check(*kind, body, origin)?;
        if docs.seed(&checked, at).await? {
            seeded.push(*kind);
        }
    }
    Ok(seeded)
}

/// The shipped files of every kind (the default seed), as `seed_missing` takes them.
pub fn shipped_bodies() -> Vec<(ConfigKind, &'static str, &'static str)> {
    vec![
        (
            ConfigKind::Bot,
            crate::domain::bot::config::DEFAULT_CONFIG,
            ConfigKind::Bot.file_name(),
        ),
        (
            ConfigKind::Sla,
            crate::domain::sla::policy::DEFAULT_SLA,
            ConfigKind::Sla.file_name(),
        ),
        (
            ConfigKind::Routing,
            crate::app::agent_handoff::DEFAULT_ROUTING,
            ConfigKind::Routing.file_name(),
        ),
        (
            ConfigKind::Templates,
            crate::domain::templates::DEFAULT_TEMPLATES,
            ConfigKind::Templates.file_name(),
        ),
        (
            ConfigKind::CannedResponses,
            crate::domain::canned::DEFAULT_CANNED,
            ConfigKind::CannedResponses.file_name(),
        ),
    ]
}

/// A kind's head before anything was saved.
pub(crate) fn empty_head(kind: ConfigKind) -> ConfigHead {
    ConfigHead {
        kind,
        latest: 0,
        published: None,
        published_at: None,
        published_by: None,
    }
}

/// The audit entry of version `v`, written by `action`.
pub(crate) fn audit_entry(v: &ConfigVersion, action: ConfigAction, note: &str) -> ConfigAuditEntry {
    ConfigAuditEntry {
        at: v.at,
        actor: v.author.clone(),
        kind: v.kind,
        action,
        version: v.version,
        note: note.to_owned(),
    }
}

/// What publishing a version comes to, decided alike by both adapters before either writes.
#[derive(Debug)]
pub(crate) enum PublishPlan {
    /// The live version is no longer the one the caller saw: nothing is written.
    Stale(ConfigHead),
    /// The version is live already: nothing to write.
    Unchanged(ConfigHead),
    /// Write this head (if the live version is still the expected one) and this entry.
    Publish {
        head: ConfigHead,
        audit: ConfigAuditEntry,
    },
}

/// Publishing `target` over `head` (the kind's current head, or [`empty_head`]) when the
/// caller saw `expected` live. `Err`: an older version than the live one, or a text that no
/// longer passes its checks (the release that saved it may have been more lenient).
pub(crate) fn plan_publish(
    target: &ConfigVersion,
    head: ConfigHead,
    expected: Option<u32>,
    actor: &str,
    at: Timestamp,
) -> Result<PublishPlan, ConfigDocsError> {
    let (kind, version) = (target.kind, target.version);
    if head.published != expected {
        return Ok(PublishPlan::Stale(head));
    }
    if let Some(published) = expected {
        if version == published {
            return Ok(PublishPlan::Unchanged(head));
        }
        if version < published {
            return Err(ConfigDocsError::Older {
                kind,
                version,
                published,
            });
        }
    }
    CheckedBody::check(kind, &target.body, &kind.origin(version))?;
    let before = expected.map_or("none".to_owned(), |v| format!("v{v}"));
    let audit = ConfigAuditEntry {
        at,
        actor: actor.to_owned(),
        kind,
        action: ConfigAction::Publish,
        version,
        note: format!("was {before}"),
    };
    let head = ConfigHead {
        published: Some(version),
        published_at: Some(at),
        published_by: Some(actor.to_owned()),
        ..head
    };
    Ok(PublishPlan::Publish { head, audit })
}

/// Version `old` copied as version `based_on + 1`, published by the rollback, with its audit
/// entry. `Err`: its text no longer passes the checks, or `actor`/`note` are not acceptable.
pub(crate) fn rollback_version(
    old: ConfigVersion,
    based_on: u32,
    actor: &str,
    note: &str,
    at: Timestamp,
) -> Result<(ConfigVersion, ConfigAuditEntry), ConfigDocsError> {
    let (kind, to) = (old.kind, old.version);
    let body = CheckedBody::check(kind, &old.body, &kind.origin(to))?;
    let new = NewVersion::new(body, based_on, actor, note, at)?;
    let version = ConfigVersion {
        kind,
        version: based_on + 1,
        based_on,
        body: old.body,
        author: new.author.clone(),
        at,
        note: new.note.clone(),
        origin: crate::domain::config_doc::VersionOrigin::Rollback { from: to },
    };
    let what = format!("to v{to}: {}", new.note);
    let audit = audit_entry(&version, ConfigAction::Rollback, what.trim_end());
    Ok((version, audit))
}

/// The conflict a stale write met: where the document stands, the versions since `base` and
/// what changed in the text. Shared by both adapters, so both answer the same.
pub(crate) async fn describe_conflict(
    docs: &(impl ConfigDocs + ?Sized),
    kind: ConfigKind,
    base: u32,
    current: ConfigHead,
) -> ConfigDocsError {
    let mut since = Vec::new();
    let mut newest_body = None;
    for v in base + 1..=current.latest {
        if let Ok(Some(version)) = docs.version(kind, v).await {
            since.push(VersionSummary::of(&version, &current));
            if v == current.latest {
                newest_body = Some(version.body);
            }
        }
    }
    let diff = match (base, newest_body) {
        (0, _) | (_, None) => None,
        (b, Some(newest)) => match docs.version(kind, b).await {
            Ok(Some(old)) => Some(LineDiff::between(b, &old.body, current.latest, &newest)),
            _ => None,
        },
    };
    ConfigDocsError::Conflict(Box::new(Conflict {
        kind,
        base,
        current,
        since,
        diff,
    }))
}

#[cfg(test)]
mod tests;
