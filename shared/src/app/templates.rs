//! The template catalogue kept in step with Meta: a sync reads the WhatsApp Business Account's
//! templates (`ports::whatsapp::templates`), a `message_template_status_update` webhook changes
//! one template's status, and an admin submits a new template for review. Each change is
//! stored as a new version of the `templates` configuration document, authored
//! [`META_SYNC`] and published at once: the same history, diff, audit and rollback as every
//! configuration change, and every function reading the catalogue through `LiveConfig` sees it
//! within 30 s. Nothing changes when Meta has nothing new (no empty versions); a failed call
//! to Meta stores nothing.

use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use crate::domain::config_doc::{ConfigHead, ConfigKind, ConfigVersion, MAX_NOTE_CHARS};
use crate::domain::templates::{
    ApprovedTemplate, NewTemplate, StatusChange, StatusOutcome, TemplateCatalog,
};
use crate::ports::clock::Clock;
use crate::ports::config_docs::{CheckedBody, ConfigDocs, ConfigDocsError, NewVersion};
use crate::ports::whatsapp::{MessageTemplates, WhatsAppError};

/// The author of the versions the sync, the status webhook and a submission write.
pub const META_SYNC: &str = "meta-sync";
/// Rounds of read-change-save-publish before a contended write gives up.
const ATTEMPTS: usize = 4;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateSyncError {
    /// No WhatsApp Business Account id (or no Cloud API) in this function's settings.
    #[error("Meta's template API is not configured here: set WHATSAPP_BUSINESS_ACCOUNT_ID")]
    NotConfigured,
    /// Meta's Graph API failed or refused; nothing was stored.
    #[error("Meta's Graph API: {0}")]
    Meta(#[from] WhatsAppError),
    /// The submitted template is not valid (the field and what is wrong).
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("template '{name}' in language '{language}' already exists (status {status})")]
    Exists {
        name: String,
        language: String,
        status: String,
    },
    #[error(transparent)]
    Docs(#[from] ConfigDocsError),
}

impl TemplateSyncError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Meta(e) => e.is_retryable(),
            Self::Docs(e) => e.is_retryable() || matches!(e, ConfigDocsError::Conflict(_)),
            _ => false,
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The version written; `None`: the catalogue already matched Meta.
    pub version: Option<u32>,
    pub templates: usize,
    pub approved: usize,
}

pub struct TemplateSync {
    docs: Arc<dyn ConfigDocs>,
    clock: Arc<dyn Clock>,
    meta: Option<Arc<dyn MessageTemplates>>,
}

impl TemplateSync {
    /// Status updates only (intake: it has no access token for the Graph API).
    pub fn new(docs: Arc<dyn ConfigDocs>, clock: Arc<dyn Clock>) -> Self {
        Self {
            docs,
            clock,
            meta: None,
        }
    }

    /// With Meta's template API: sync and submit too.
    pub fn with_meta(mut self, meta: Arc<dyn MessageTemplates>) -> Self {
        self.meta = Some(meta);
        self
    }

    fn meta(&self) -> Result<&Arc<dyn MessageTemplates>, TemplateSyncError> {
        self.meta.as_ref().ok_or(TemplateSyncError::NotConfigured)
    }

    /// The published catalogue (the shipped one before anything is published).
    pub async fn published(&self) -> Result<TemplateCatalog, TemplateSyncError> {
        Ok(match self.docs.published(ConfigKind::Templates).await? {
            Some(v) => TemplateCatalog::parse(&v.body, &ConfigKind::Templates.origin(v.version))
                .map_err(ConfigDocsError::Invalid)?,
            None => TemplateCatalog::default_catalog(),
        })
    }

    /// Reads Meta's templates and stores them as the catalogue.
    pub async fn sync(&self) -> Result<SyncReport, TemplateSyncError> {
        let from_meta = self.meta()?.list().await?;
        let now = self.clock.now();
        let (templates, approved) = (
            from_meta.len(),
            from_meta.iter().filter(|t| t.is_approved()).count(),
        );
        let note = format!("sync with Meta: {templates} templates, {approved} approved");
        let version = self
            .store(&note, |current| {
                Some(current.synced(from_meta.clone(), now))
            })
            .await?;
        info!(templates, approved, version, "templates synced with Meta");
        Ok(SyncReport {
            version,
            templates,
            approved,
        })
    }

    /// Applies Meta's status update (see [`TemplateCatalog::apply_status`]): a redelivery or
    /// an older update stores nothing.
    pub async fn apply_status(
        &self,
        change: &StatusChange,
    ) -> Result<StatusOutcome, TemplateSyncError> {
        let mut outcome = StatusOutcome::Unknown;
        let note = format!(
            "Meta: {} {} is {}",
            change.name, change.language, change.event
        );
        self.store(&note, |current| {
            let mut next = current.clone();
            outcome = next.apply_status(change);
            (outcome == StatusOutcome::Applied).then_some(next)
        })
        .await?;
        match outcome {
            StatusOutcome::Applied | StatusOutcome::Duplicate => {
                info!(template = %change.name, language = %change.language, event = %change.event, ?outcome, "template status update")
            }
            _ => {
                warn!(template = %change.name, language = %change.language, event = %change.event, ?outcome, "template status update not applied")
            }
        }
        Ok(outcome)
    }

    /// Submits `new` to Meta for review and stores it as it answered (`PENDING`).
    pub async fn submit(&self, new: &NewTemplate) -> Result<ApprovedTemplate, TemplateSyncError> {
        new.validate()
            .map_err(|(field, problem)| TemplateSyncError::Invalid { field, problem })?;
        let meta = self.meta()?;
        if let Some(t) = self.published().await?.find(&new.name, &new.language) {
            return Err(TemplateSyncError::Exists {
                name: t.name.clone(),
                language: t.language.clone(),
                status: t.status().to_owned(),
            });
        }
        let created = meta.create(new).await?;
        let template = new.pending(&created.id, &created.status, self.clock.now());
        let note = format!("submitted to Meta: {} {}", new.name, new.language);
        // Meta has it now: a failure to store it here is mended by the next sync.
        self.store(&note, |current| {
            let mut next = current.clone();
            next.upsert(template.clone());
            Some(next)
        })
        .await?;
        info!(template = %new.name, language = %new.language, status = %created.status, "template submitted to Meta");
        Ok(template)
    }

    /// Writes `change(published)` as a new version and publishes it, again from the top if
    /// someone else wrote meanwhile. `None` or an equal catalogue: nothing is written.
    ///
    /// An admin's open draft is not buried under it: it is written again on top, rebased
    /// ([`TemplateCatalog::rebased`]: the admin's edits kept, Meta's change applied), in the
    /// same transaction that publishes the new catalogue
    /// ([`ConfigDocs::publish_under_draft`]), so the newest version is still the admin's draft
    /// and publishing it later does not undo what Meta changed. A crash or a refused write
    /// leaves both written or neither: a retry starts from where the admin left it.
    async fn store(
        &self,
        note: &str,
        mut change: impl FnMut(&TemplateCatalog) -> Option<TemplateCatalog>,
    ) -> Result<Option<u32>, TemplateSyncError> {
        let kind = ConfigKind::Templates;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let head = self.docs.head(kind).await?;
            let current = self.published().await?;
            let Some(next) = change(&current).filter(|next| *next != current) else {
                return Ok(None);
            };
            let draft = self.open_draft(head.as_ref()).await?;
            let now = self.clock.now();
            let body = CheckedBody::check(kind, &next.to_toml(), META_SYNC)
                .map_err(ConfigDocsError::Invalid)?;
            let based_on = head.as_ref().map_or(0, |h| h.latest);
            let expected = head.and_then(|h| h.published);
            let written = based_on + 1;
            let new = NewVersion::new(body, based_on, META_SYNC, note, now)?;
            let on_top = match &draft {
                Some(draft) => carried_over(draft, &current, &next, written, now)?,
                None => None,
            };
            match self
                .docs
                .publish_under_draft(&new, expected, on_top.as_ref())
                .await
            {
                Ok(_) => {
                    if let (Some(draft), Some(_)) = (&draft, &on_top) {
                        info!(
                            draft = draft.version.version,
                            version = written + 1,
                            "templates draft carried over Meta's change"
                        );
                    }
                    return Ok(Some(written));
                }
                Err(ConfigDocsError::Conflict(_)) if attempt < ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The unpublished newest version, parsed. One that no longer parses (a stricter release)
    /// cannot be rebased: it stays in the history, and the log says so.
    async fn open_draft(
        &self,
        head: Option<&ConfigHead>,
    ) -> Result<Option<Draft>, ConfigDocsError> {
        let kind = ConfigKind::Templates;
        let Some(number) = head.and_then(ConfigHead::draft) else {
            return Ok(None);
        };
        let Some(version) = self.docs.version(kind, number).await? else {
            return Ok(None);
        };
        match TemplateCatalog::parse(&version.body, &kind.origin(number)) {
            Ok(catalog) => Ok(Some(Draft { version, catalog })),
            Err(e) => {
                warn!(version = number, error = %e, "templates draft does not parse: not carried over Meta's change");
                Ok(None)
            }
        }
    }
}

/// `draft` rebased onto `next` (version `written`), as the version to write on top of it. Its
/// text is kept word for word (comments too) when Meta's change does not touch it; `None` when
/// it comes out equal to `next` (a draft without edits of its own).
fn carried_over(
    draft: &Draft,
    base: &TemplateCatalog,
    next: &TemplateCatalog,
    written: u32,
    now: jiff::Timestamp,
) -> Result<Option<NewVersion>, ConfigDocsError> {
    let kind = ConfigKind::Templates;
    let rebased = draft.catalog.rebased(base, next);
    if rebased.same_templates(next) {
        return Ok(None);
    }
    let text = if rebased.same_templates(&draft.catalog) {
        draft.version.body.clone()
    } else {
        rebased.to_toml()
    };
    let body = CheckedBody::check(kind, &text, META_SYNC)?;
    let mut note = format!(
        "draft v{} by {} carried over onto v{written} with Meta's change",
        draft.version.version, draft.version.author
    );
    if !draft.version.note.is_empty() {
        note = format!("{note}: {}", draft.version.note);
    }
    let note: String = note.chars().take(MAX_NOTE_CHARS).collect();
    NewVersion::new(body, written, META_SYNC, &note, now).map(Some)
}

/// An admin's unpublished version of the catalogue.
struct Draft {
    version: ConfigVersion,
    catalog: TemplateCatalog,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::clock::ManualClock;
    use crate::ports::config_docs::{MemoryConfigDocs, seed_missing, shipped_bodies};
    use crate::ports::whatsapp::MemoryTemplates;

    struct World {
        docs: Arc<MemoryConfigDocs>,
        meta: Arc<MemoryTemplates>,
        clock: Arc<ManualClock>,
        sync: TemplateSync,
    }

    async fn world() -> World {
        let docs = Arc::new(MemoryConfigDocs::new());
        let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
        seed_missing(docs.as_ref(), &shipped_bodies(), clock.now())
            .await
            .unwrap();
        let meta = Arc::new(MemoryTemplates::shipped());
        let sync = TemplateSync::new(docs.clone(), clock.clone()).with_meta(meta.clone());
        World {
            docs,
            meta,
            clock,
            sync,
        }
    }

    fn order_update() -> NewTemplate {
        NewTemplate {
            name: "order_update".into(),
            language: "en".into(),
            category: "UTILITY".into(),
            body: "Hi {{1}}, your order {{2}} has shipped.".into(),
            examples: vec!["Anna".into(), "100234".into()],
        }
    }

    fn approval(id: &str, at: &str) -> StatusChange {
        StatusChange {
            id: Some(id.into()),
            name: "order_update".into(),
            language: "en".into(),
            event: "APPROVED".into(),
            reason: Some("NONE".into()),
            at: at.parse().unwrap(),
        }
    }

    #[tokio::test]
    async fn a_sync_writes_a_version_by_meta_sync_only_when_meta_changed_something() {
        let w = world().await;
        let first = w.sync.sync().await.unwrap();
        assert_eq!(first.version, Some(2));
        let v = w
            .docs
            .version(ConfigKind::Templates, 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v.author, META_SYNC);
        let head = w.docs.head(ConfigKind::Templates).await.unwrap().unwrap();
        assert_eq!(head.published, Some(2));
        // The audit shows who did it, like an admin's change.
        let audit = w.docs.audit("2026-11-30").await.unwrap();
        assert!(audit.iter().any(|e| e.actor == META_SYNC && e.version == 2));
        w.clock.advance(jiff::SignedDuration::from_secs(60));
        assert_eq!(w.sync.sync().await.unwrap().version, None, "nothing new");
        w.meta.set_status("follow_up", "en", "PAUSED");
        assert_eq!(w.sync.sync().await.unwrap().version, Some(3));
        let catalog = w.sync.published().await.unwrap();
        assert!(!catalog.find("follow_up", "en").unwrap().is_approved());
    }

    /// An admin saves a draft of the catalogue on top of the published version.
    async fn admins_draft(w: &World, edit: impl FnOnce(&str) -> String, note: &str) -> u32 {
        let kind = ConfigKind::Templates;
        let head = w.docs.head(kind).await.unwrap().unwrap();
        let published = w.docs.published(kind).await.unwrap().unwrap();
        let body = CheckedBody::check(kind, &edit(&published.body), "test").unwrap();
        let v = w
            .docs
            .save(&NewVersion::new(body, head.latest, "ada", note, w.clock.now()).unwrap())
            .await
            .unwrap();
        v.version
    }

    fn footer(text: &str) -> String {
        let mut c = TemplateCatalog::parse(text, "test").unwrap();
        let mut t = c.find("ticket_update", "de").unwrap().clone();
        t.footer = Some("Ihr Nordlicht-Team".into());
        c.upsert(t);
        c.to_toml()
    }

    #[tokio::test]
    async fn a_sync_publishes_meta_s_list_and_keeps_the_admin_s_draft_on_top_with_meta_s_statuses()
    {
        let w = world().await;
        let kind = ConfigKind::Templates;
        // GIVEN an admin's unpublished draft
        let draft = admins_draft(&w, footer, "team signature").await;
        assert_eq!(draft, 2);
        // WHEN Meta paused a template and the sync runs
        w.meta.set_status("follow_up", "en", "PAUSED");
        let report = w.sync.sync().await.unwrap();
        // THEN Meta's list is published
        assert_eq!(report.version, Some(3));
        let head = w.docs.head(kind).await.unwrap().unwrap();
        assert_eq!(head.published, Some(3));
        let live = w.sync.published().await.unwrap();
        assert!(!live.find("follow_up", "en").unwrap().is_approved());
        assert_eq!(live.find("ticket_update", "de").unwrap().footer, None);
        // AND the newest version is still the admin's draft, with Meta's status in it
        assert_eq!(head.draft(), Some(4));
        let carried = w.docs.draft(kind).await.unwrap().unwrap();
        assert_eq!(carried.based_on, 3);
        assert!(carried.note.contains("draft v2 by ada"), "{}", carried.note);
        assert!(carried.note.contains("team signature"), "{}", carried.note);
        let c = TemplateCatalog::parse(&carried.body, "v4").unwrap();
        let t = c.find("ticket_update", "de").unwrap();
        assert_eq!(t.footer.as_deref(), Some("Ihr Nordlicht-Team"));
        assert_eq!(t.status(), "APPROVED");
        assert!(t.id.is_some(), "Meta's id");
        assert!(!c.find("follow_up", "en").unwrap().is_approved());

        // WHEN Meta's status webhook comes while the draft is open
        let id = live.find("follow_up", "en").unwrap().id.clone().unwrap();
        let mut reinstated = approval(&id, "2026-11-30T09:30:00Z");
        reinstated.name = "follow_up".into();
        reinstated.event = "REINSTATED".into();
        assert_eq!(
            w.sync.apply_status(&reinstated).await.unwrap(),
            StatusOutcome::Applied
        );
        // THEN the status is live, and the draft on top has it too
        let head = w.docs.head(kind).await.unwrap().unwrap();
        assert_eq!((head.published, head.draft()), (Some(5), Some(6)));
        // AND publishing the admin's draft keeps both the edit and Meta's statuses
        w.docs
            .publish(kind, 6, Some(5), "ada", w.clock.now())
            .await
            .unwrap();
        let live = w.sync.published().await.unwrap();
        assert!(live.find("follow_up", "en").unwrap().is_approved());
        assert_eq!(
            live.find("ticket_update", "de").unwrap().footer.as_deref(),
            Some("Ihr Nordlicht-Team")
        );
    }

    /// The admin's footer edit is in `version` of the catalogue.
    async fn has_footer(w: &World, version: u32) -> bool {
        let v = w
            .docs
            .version(ConfigKind::Templates, version)
            .await
            .unwrap()
            .unwrap();
        let c = TemplateCatalog::parse(&v.body, "t").unwrap();
        c.find("ticket_update", "de").unwrap().footer.as_deref() == Some("Ihr Nordlicht-Team")
    }

    #[tokio::test]
    async fn a_sync_cut_off_after_any_write_never_buries_the_admin_s_draft_and_a_retry_finishes_it()
    {
        let kind = ConfigKind::Templates;
        for writes in 0..3 {
            // GIVEN an admin's open draft, and a table that takes `writes` writes and then
            // none (a throttled write, or a Lambda timing out between two writes)
            let w = world().await;
            admins_draft(&w, footer, "team signature").await;
            w.meta.set_status("follow_up", "en", "PAUSED");
            w.docs.fail_writes_after(writes);
            // WHEN the sync runs
            let first = w.sync.sync().await;
            // THEN whatever it got to, the newest version is still the admin's draft, unpublished
            let head = w.docs.head(kind).await.unwrap().unwrap();
            let draft = head.draft().expect("a draft on top");
            assert!(
                has_footer(&w, draft).await,
                "writes {writes}: {first:?} {head:?}"
            );
            // AND a retry, once the table takes writes again, publishes Meta's change with the
            // draft rebased on top
            w.docs.heal();
            w.sync.sync().await.unwrap();
            let head = w.docs.head(kind).await.unwrap().unwrap();
            let live = w.sync.published().await.unwrap();
            assert!(
                !live.find("follow_up", "en").unwrap().is_approved(),
                "writes {writes}"
            );
            let draft = head.draft().expect("the draft still on top");
            assert!(has_footer(&w, draft).await, "writes {writes}: {head:?}");
            let carried = w.docs.version(kind, draft).await.unwrap().unwrap();
            let c = TemplateCatalog::parse(&carried.body, "t").unwrap();
            assert!(
                !c.find("follow_up", "en").unwrap().is_approved(),
                "writes {writes}"
            );
        }
    }

    #[tokio::test]
    async fn a_draft_meta_s_change_does_not_touch_keeps_its_text_and_one_without_edits_is_not_copied()
     {
        let w = world().await;
        let kind = ConfigKind::Templates;
        w.sync.sync().await.unwrap();
        // A draft that removes follow_up en, with a comment.
        let remove = |text: &str| {
            let mut c = TemplateCatalog::parse(text, "t").unwrap();
            let kept: Vec<_> = c
                .all()
                .iter()
                .filter(|t| !(t.name == "follow_up" && t.language == "en"))
                .cloned()
                .collect();
            c = TemplateCatalog::checked(kept).unwrap();
            format!("# without follow_up en\n{}", c.to_toml())
        };
        admins_draft(&w, remove, "").await;
        w.clock.advance(jiff::SignedDuration::from_secs(60));
        w.meta.set_status("follow_up", "en", "PAUSED");
        assert_eq!(w.sync.sync().await.unwrap().version, Some(4));
        let carried = w.docs.draft(kind).await.unwrap().unwrap();
        assert_eq!(carried.version, 5);
        assert!(
            carried.body.starts_with("# without follow_up en"),
            "word for word"
        );

        // A "draft" equal to the published catalogue is not carried over.
        w.docs
            .publish(kind, 5, Some(4), "ada", w.clock.now())
            .await
            .unwrap();
        admins_draft(&w, |t| t.to_owned(), "no edits").await;
        w.meta.set_status("follow_up", "de", "PAUSED");
        assert_eq!(w.sync.sync().await.unwrap().version, Some(7));
        let head = w.docs.head(kind).await.unwrap().unwrap();
        assert_eq!((head.latest, head.draft()), (7, None));
    }

    #[tokio::test]
    async fn meta_failing_stores_nothing() {
        let w = world().await;
        w.meta.fail_next(WhatsAppError::Transient {
            status: 500,
            code: 2,
            message: "down".into(),
        });
        let err = w.sync.sync().await.unwrap_err();
        assert!(matches!(err, TemplateSyncError::Meta(_)), "{err}");
        let head = w.docs.head(ConfigKind::Templates).await.unwrap().unwrap();
        assert_eq!((head.latest, head.published), (1, Some(1)));
    }

    #[tokio::test]
    async fn a_submitted_template_is_pending_until_meta_approves_it_once() {
        let w = world().await;
        let t = w.sync.submit(&order_update()).await.unwrap();
        assert_eq!(t.status(), "PENDING");
        let catalog = w.sync.published().await.unwrap();
        assert!(catalog.find("order_update", "en").is_some());
        assert!(
            catalog
                .build("order_update", "en", &["a".into(), "b".into()])
                .is_err()
        );
        let again = w.sync.submit(&order_update()).await.unwrap_err();
        assert!(matches!(again, TemplateSyncError::Exists { .. }), "{again}");

        let id = t.id.clone().unwrap();
        let approved = approval(&id, "2026-11-30T09:10:00Z");
        assert_eq!(
            w.sync.apply_status(&approved).await.unwrap(),
            StatusOutcome::Applied
        );
        let head = w.docs.head(ConfigKind::Templates).await.unwrap().unwrap();
        // Meta redelivers: no new version.
        assert_eq!(
            w.sync.apply_status(&approved).await.unwrap(),
            StatusOutcome::Duplicate
        );
        assert_eq!(
            w.docs.head(ConfigKind::Templates).await.unwrap().unwrap(),
            head
        );
        let catalog = w.sync.published().await.unwrap();
        assert!(
            catalog
                .build("order_update", "en", &["a".into(), "b".into()])
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_submission_is_checked_before_meta_is_asked() {
        let w = world().await;
        let mut bad = order_update();
        bad.examples.pop();
        let err = w.sync.submit(&bad).await.unwrap_err();
        assert!(
            matches!(
                err,
                TemplateSyncError::Invalid {
                    field: "examples",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            w.meta
                .list()
                .await
                .unwrap()
                .iter()
                .all(|t| t.name != "order_update")
        );
        let unconfigured = TemplateSync::new(w.docs.clone(), w.clock.clone());
        assert_eq!(
            unconfigured.submit(&order_update()).await.unwrap_err(),
            TemplateSyncError::NotConfigured
        );
    }
}
