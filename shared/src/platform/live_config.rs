//! The published configuration as the running functions see it: [`LiveConfig<T>`] holds the
//! parsed published document of one kind and asks the table which version is published at most
//! once every interval (default 15 s: a publish is live within 30 s, without a redeploy or a cold
//! start). The check is one small read (`ConfigDocs::head`); the document is fetched and parsed
//! again only when the published version changed. A document that does not parse (impossible
//! through the port, which checks on save and publish, but a newer release may be stricter) or
//! a table that cannot be reached leaves the last good configuration in place, with a warning.

use std::sync::{Arc, RwLock};

use jiff::{SignedDuration, Timestamp};
use tracing::{info, warn};

use crate::app::agent_handoff::RoutingConfig;
use crate::domain::bot::BotConfig;
use crate::domain::canned::CannedResponses;
use crate::domain::config_doc::ConfigKind;
use crate::domain::sla::SlaConfig;
use crate::domain::templates::TemplateCatalog;
use crate::platform::config::ConfigFileError;
use crate::ports::clock::Clock;
use crate::ports::config_docs::ConfigDocs;

/// Older versions asked for by number ([`LiveConfig::at_version`]) kept parsed, at most.
const KEPT_VERSIONS: usize = 8;

/// How often the published version is checked unless told otherwise.
pub const DEFAULT_CHECK_EVERY: SignedDuration = SignedDuration::from_secs(15);

/// A configuration that lives in the table as a versioned document.
pub trait LiveDoc: Sized + Send + Sync + 'static {
    const KIND: ConfigKind;
    /// The same parser (and validator) the function runs on its file at start.
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError>;
}

impl LiveDoc for BotConfig {
    const KIND: ConfigKind = ConfigKind::Bot;
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        Self::parse(body, origin)
    }
}

impl LiveDoc for SlaConfig {
    const KIND: ConfigKind = ConfigKind::Sla;
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        Self::parse(body, origin)
    }
}

impl LiveDoc for RoutingConfig {
    const KIND: ConfigKind = ConfigKind::Routing;
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        Self::parse(body, origin)
    }
}

impl LiveDoc for TemplateCatalog {
    const KIND: ConfigKind = ConfigKind::Templates;
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        Self::parse(body, origin)
    }
}

impl LiveDoc for CannedResponses {
    const KIND: ConfigKind = ConfigKind::CannedResponses;
    fn parse_doc(body: &str, origin: &str) -> Result<Self, ConfigFileError> {
        Self::parse(body, origin)
    }
}

/// What a reader holds: the configuration and the published version it came from (0: the
/// file the function started with, before the table had anything).
struct Current<T> {
    value: Arc<T>,
    version: u32,
    /// When the published version was last asked for (`None`: never).
    checked_at: Option<Timestamp>,
    /// A published version that did not parse: not fetched again.
    rejected: Option<u32>,
}

/// The published document of kind `T::KIND`, parsed, re-checked at most every interval.
pub struct LiveConfig<T: LiveDoc> {
    docs: Arc<dyn ConfigDocs>,
    clock: Arc<dyn Clock>,
    every: SignedDuration,
    current: RwLock<Current<T>>,
    /// One refresh at a time; callers arriving meanwhile use the value they have.
    refreshing: tokio::sync::Mutex<()>,
    /// Versions other than the published one that were asked for by number, parsed (a
    /// version never changes once saved, so they need no check), newest use last.
    kept: std::sync::Mutex<Vec<(u32, Arc<T>)>>,
}

impl<T: LiveDoc> LiveConfig<T> {
    /// Starts from `initial` (the function's file or built-in configuration, version 0): the
    /// first [`get`](Self::get) asks the table and switches to its published version.
    pub fn new(docs: Arc<dyn ConfigDocs>, clock: Arc<dyn Clock>, initial: T) -> Self {
        Self {
            docs,
            clock,
            every: DEFAULT_CHECK_EVERY,
            current: RwLock::new(Current {
                value: Arc::new(initial),
                version: 0,
                checked_at: None,
                rejected: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Checks the published version at most this often (at least one second).
    pub fn with_interval(mut self, every: SignedDuration) -> Self {
        self.every = every.max(SignedDuration::from_secs(1));
        self
    }

    /// The configuration to use now: the cached one, after asking the table which version is
    /// published if the last check is older than the interval. Never fails: trouble keeps the
    /// last good configuration.
    pub async fn get(&self) -> Arc<T> {
        self.get_versioned().await.0
    }

    /// [`get`](Self::get) with the published version it came from (0: the start-up file),
    /// read together.
    pub async fn get_versioned(&self) -> (Arc<T>, u32) {
        let now = self.clock.now();
        let (value, due) = {
            let c = self.read();
            let due = c
                .checked_at
                .is_none_or(|at| at.saturating_add(self.every).is_ok_and(|next| now >= next));
            ((c.value.clone(), c.version), due)
        };
        if !due {
            return value;
        }
        // Somebody else is refreshing: what we have is at most one interval old.
        let Ok(_refresh) = self.refreshing.try_lock() else {
            return value;
        };
        self.refresh(now).await;
        let c = self.read();
        (c.value.clone(), c.version)
    }

    /// Version `version` if it is at hand without I/O: the version in use or one kept by an
    /// earlier [`at_version`](Self::at_version).
    pub fn kept_version(&self, version: u32) -> Option<Arc<T>> {
        {
            let c = self.read();
            if c.version == version && version > 0 {
                return Some(c.value.clone());
            }
        }
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(v, _)| *v == version)
            .map(|(_, value)| value.clone())
    }

    /// Version `version` of the document, parsed: the cached one when it is the version in use,
    /// else read from the table once and kept (the last few). `None` when it does not exist,
    /// does not parse or cannot be read now (the caller falls back to the current one).
    pub async fn at_version(&self, version: u32) -> Option<Arc<T>> {
        {
            let c = self.read();
            if c.version == version && version > 0 {
                return Some(c.value.clone());
            }
        }
        {
            let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = kept.iter().position(|(v, _)| *v == version) {
                let hit = kept.remove(i);
                let value = hit.1.clone();
                kept.push(hit);
                return Some(value);
            }
        }
        let kind = T::KIND;
        let doc = match self.docs.version(kind, version).await {
            Ok(Some(doc)) => doc,
            Ok(None) => {
                warn!(%kind, version, "a configuration version asked for does not exist");
                return None;
            }
            Err(e) => {
                warn!(%kind, version, error = %e, "configuration version read failed");
                return None;
            }
        };
        match T::parse_doc(&doc.body, &kind.origin(version)) {
            Ok(value) => {
                let value = Arc::new(value);
                let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
                if kept.len() >= KEPT_VERSIONS {
                    kept.remove(0);
                }
                kept.push((version, value.clone()));
                Some(value)
            }
            Err(e) => {
                warn!(%kind, version, error = %e, "a configuration version asked for does not parse");
                None
            }
        }
    }

    /// The configuration as of the last check, without asking the table (for synchronous
    /// readers next to one that calls [`get`](Self::get)).
    pub fn cached(&self) -> Arc<T> {
        self.read().value.clone()
    }

    /// The published version the cached configuration came from (0: the start-up file).
    pub fn version(&self) -> u32 {
        self.read().version
    }

    /// Asks the table now, whatever the interval (after a publish in the same process).
    pub async fn refresh_now(&self) -> Arc<T> {
        let _refresh = self.refreshing.lock().await;
        self.refresh(self.clock.now()).await;
        self.read().value.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Current<T>> {
        self.current.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Current<T>> {
        self.current.write().unwrap_or_else(|p| p.into_inner())
    }

    async fn refresh(&self, now: Timestamp) {
        let kind = T::KIND;
        let (held, rejected) = {
            let mut c = self.write();
            // Counted from the attempt: an outage is asked about once per interval, not on
            // every message.
            c.checked_at = Some(now);
            (c.version, c.rejected)
        };
        let published = match self.docs.head(kind).await {
            Ok(head) => head.and_then(|h| h.published),
            Err(e) => {
                warn!(%kind, version = held, error = %e, "configuration check failed; keeping the version in use");
                return;
            }
        };
        let Some(published) = published else {
            return;
        };
        if published == held || Some(published) == rejected {
            return;
        }
        let doc = match self.docs.version(kind, published).await {
            Ok(Some(doc)) => doc,
            Ok(None) => {
                warn!(%kind, version = published, "the published configuration version is missing; keeping the version in use");
                return;
            }
            Err(e) => {
                warn!(%kind, version = published, error = %e, "configuration read failed; keeping the version in use");
                return;
            }
        };
        match T::parse_doc(&doc.body, &kind.origin(published)) {
            Ok(value) => {
                let mut c = self.write();
                c.value = Arc::new(value);
                c.version = published;
                c.rejected = None;
                info!(%kind, version = published, was = held, "configuration version loaded");
            }
            Err(e) => {
                self.write().rejected = Some(published);
                warn!(%kind, version = published, error = %e, "the published configuration does not parse; keeping the version in use");
            }
        }
    }
}

/// Where a handler reads a configuration: a fixed value (tests, a function without the config
/// table) or the published document through [`LiveConfig`]. Cloning shares the live cache.
pub enum ConfigSource<T: LiveDoc> {
    Fixed(Arc<T>),
    Live(Arc<LiveConfig<T>>),
}

impl<T: LiveDoc> Clone for ConfigSource<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Fixed(v) => Self::Fixed(v.clone()),
            Self::Live(l) => Self::Live(l.clone()),
        }
    }
}

impl<T: LiveDoc> ConfigSource<T> {
    /// The configuration to use now (cheap: the cached value unless the interval has passed).
    pub async fn current(&self) -> Arc<T> {
        match self {
            Self::Fixed(v) => v.clone(),
            Self::Live(live) => live.get().await,
        }
    }
}

impl<T: LiveDoc> ConfigSource<T> {
    /// [`current`](Self::current) with the published version it is (`None`: a fixed value or
    /// the start-up file, which have no version).
    pub async fn current_versioned(&self) -> (Arc<T>, Option<u32>) {
        match self {
            Self::Fixed(v) => (v.clone(), None),
            Self::Live(live) => {
                let (value, version) = live.get_versioned().await;
                (value, Some(version).filter(|v| *v > 0))
            }
        }
    }

    /// [`cached`](Self::cached) with its version, as [`current_versioned`](Self::current_versioned).
    pub fn cached_versioned(&self) -> (Arc<T>, Option<u32>) {
        match self {
            Self::Fixed(v) => (v.clone(), None),
            Self::Live(live) => {
                let c = live.read();
                (c.value.clone(), Some(c.version).filter(|v| *v > 0))
            }
        }
    }

    /// Published version `version` (a fixed value stands for every version). `None`: not
    /// available now; use the current one.
    pub async fn at_version(&self, version: u32) -> Option<Arc<T>> {
        match self {
            Self::Fixed(v) => Some(v.clone()),
            Self::Live(live) => live.at_version(version).await,
        }
    }

    /// [`at_version`](Self::at_version) without I/O: `None` unless it is at hand.
    pub fn kept_version(&self, version: u32) -> Option<Arc<T>> {
        match self {
            Self::Fixed(v) => Some(v.clone()),
            Self::Live(live) => live.kept_version(version),
        }
    }

    /// The configuration as of the last [`current`](Self::current), without any I/O.
    pub fn cached(&self) -> Arc<T> {
        match self {
            Self::Fixed(v) => v.clone(),
            Self::Live(live) => live.cached(),
        }
    }
}

impl<T: LiveDoc> From<Arc<T>> for ConfigSource<T> {
    fn from(value: Arc<T>) -> Self {
        Self::Fixed(value)
    }
}

impl<T: LiveDoc> From<Arc<LiveConfig<T>>> for ConfigSource<T> {
    fn from(live: Arc<LiveConfig<T>>) -> Self {
        Self::Live(live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config_doc::{ConfigVersion, VersionOrigin};
    use crate::ports::clock::ManualClock;
    use crate::ports::config_docs::{CheckedBody, MemoryConfigDocs, NewVersion};

    const T0: &str = "2026-11-30T09:00:00Z";

    fn templates(names: &[&str]) -> String {
        let mut body = "version = 1\n".to_owned();
        for name in names {
            body.push_str(&format!(
                "\n[[templates]]\nname = \"{name}\"\nlanguage = \"en\"\ncategory = \"utility\"\nbody = \"Hi {{{{1}}}}\"\n"
            ));
        }
        body
    }

    fn names(c: &TemplateCatalog) -> Vec<String> {
        c.all().iter().map(|t| t.name.clone()).collect()
    }

    struct World {
        docs: Arc<MemoryConfigDocs>,
        clock: Arc<ManualClock>,
        live: LiveConfig<TemplateCatalog>,
    }

    fn world() -> World {
        let docs = Arc::new(MemoryConfigDocs::new());
        let clock = Arc::new(ManualClock::new(T0.parse().unwrap()));
        let initial = TemplateCatalog::parse(&templates(&["from_file"]), "file").unwrap();
        let live = LiveConfig::new(docs.clone(), clock.clone(), initial);
        World { docs, clock, live }
    }

    impl World {
        async fn publish(&self, names: &[&str]) -> u32 {
            let head = self.docs.head(ConfigKind::Templates).await.unwrap();
            let base = head.as_ref().map_or(0, |h| h.latest);
            let body = CheckedBody::check(ConfigKind::Templates, &templates(names), "t").unwrap();
            let new = NewVersion::new(body, base, "lead", "", self.clock.now()).unwrap();
            let v = self.docs.save(&new).await.unwrap().version;
            let published = head.and_then(|h| h.published);
            self.docs
                .publish(
                    ConfigKind::Templates,
                    v,
                    published,
                    "lead",
                    self.clock.now(),
                )
                .await
                .unwrap();
            v
        }

        fn advance(&self, secs: i64) {
            self.clock.advance(SignedDuration::from_secs(secs));
        }
    }

    #[tokio::test]
    async fn the_file_configuration_serves_until_the_table_has_a_published_version() {
        let w = world();
        assert_eq!(names(&*w.live.get().await), ["from_file"]);
        assert_eq!(w.live.version(), 0);
        w.publish(&["first"]).await;
        // Within the interval nothing is asked.
        w.advance(14);
        assert_eq!(names(&*w.live.get().await), ["from_file"]);
        w.advance(1);
        assert_eq!(names(&*w.live.get().await), ["first"]);
        assert_eq!(w.live.version(), 1);
    }

    #[tokio::test]
    async fn a_publish_is_picked_up_within_two_intervals_with_one_head_read_per_interval() {
        let w = world();
        w.publish(&["first"]).await;
        w.live.get().await;
        let (heads_before, versions_before) = w.docs.reads();
        // Many requests within one interval: no reads at all.
        for _ in 0..100 {
            w.live.get().await;
        }
        assert_eq!(w.docs.reads(), (heads_before, versions_before));
        w.advance(15);
        w.live.get().await;
        // Unchanged version: one head read, no document read, no parse.
        assert_eq!(w.docs.reads(), (heads_before + 1, versions_before));

        w.advance(3);
        w.publish(&["second"]).await;
        let (heads, versions) = w.docs.reads();
        let mut waited = 0;
        while names(&*w.live.get().await) != ["second"] {
            w.advance(1);
            waited += 1;
            assert!(waited <= 30, "not live after 30 s");
        }
        assert!(waited <= 15, "took {waited} s");
        assert_eq!(w.docs.reads().1, versions + 1, "the new document read once");
        assert!(w.docs.reads().0 <= heads + 2);
    }

    #[tokio::test]
    async fn an_outage_keeps_the_last_good_configuration_and_is_asked_once_per_interval() {
        let w = world();
        w.publish(&["first"]).await;
        w.live.get().await;
        w.docs.set_unavailable(true);
        w.advance(15);
        assert_eq!(names(&*w.live.get().await), ["first"]);
        w.docs.set_unavailable(false);
        let (heads, _) = w.docs.reads();
        assert_eq!(names(&*w.live.get().await), ["first"]);
        assert_eq!(
            w.docs.reads().0,
            heads,
            "not asked again within the interval"
        );
        w.publish(&["second"]).await;
        w.advance(15);
        assert_eq!(names(&*w.live.get().await), ["second"]);
    }

    #[tokio::test]
    async fn a_published_document_that_does_not_parse_leaves_the_last_good_one_and_is_read_once() {
        let w = world();
        w.publish(&["first"]).await;
        w.live.get().await;
        // An older release stored a text this release refuses (a category it no longer knows).
        let broken = templates(&["second"]).replace("utility", "promotional");
        w.docs.plant_unchecked(
            ConfigVersion {
                kind: ConfigKind::Templates,
                version: 2,
                based_on: 1,
                body: broken,
                author: "old-release".into(),
                at: w.clock.now(),
                note: String::new(),
                origin: VersionOrigin::Save,
            },
            true,
        );
        w.advance(15);
        assert_eq!(names(&*w.live.get().await), ["first"]);
        assert_eq!(w.live.version(), 1);
        let (_, versions) = w.docs.reads();
        w.advance(15);
        w.live.get().await;
        assert_eq!(
            w.docs.reads().1,
            versions,
            "the broken version is not fetched again"
        );
        // The fix is published as a new version and taken.
        let body = CheckedBody::check(ConfigKind::Templates, &templates(&["third"]), "t").unwrap();
        let new = NewVersion::new(body, 2, "lead", "fix", w.clock.now()).unwrap();
        w.docs.save(&new).await.unwrap();
        w.docs
            .publish(ConfigKind::Templates, 3, Some(2), "lead", w.clock.now())
            .await
            .unwrap();
        w.advance(15);
        assert_eq!(names(&*w.live.get().await), ["third"]);
    }

    #[tokio::test]
    async fn a_rollback_is_picked_up_like_a_publish() {
        let w = world();
        w.publish(&["first"]).await;
        w.publish(&["second"]).await;
        w.live.get().await;
        assert_eq!(names(&*w.live.get().await), ["second"]);
        w.docs
            .rollback(ConfigKind::Templates, 1, 2, "lead", "undo", w.clock.now())
            .await
            .unwrap();
        assert_eq!(names(&*w.live.refresh_now().await), ["first"]);
        assert_eq!(w.live.version(), 3);
    }

    #[test]
    fn the_interval_is_at_least_a_second() {
        let w = world();
        let live = w.live.with_interval(SignedDuration::ZERO);
        assert_eq!(live.every, SignedDuration::from_secs(1));
    }
}
