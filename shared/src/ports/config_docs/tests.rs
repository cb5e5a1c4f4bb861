//! The port's behaviour on the memory adapter (the emulator suite `tests/config_docs.rs` runs
//! the same scenarios against DynamoDB Local).

use std::sync::Arc;

use jiff::Timestamp;

use super::*;
use crate::domain::config_doc::{DiffLine, VersionOrigin, VersionState};
use crate::domain::sla::policy::DEFAULT_SLA;

const T0: &str = "2026-11-30T09:00:00Z";

fn at(offset_secs: i64) -> Timestamp {
    T0.parse::<Timestamp>()
        .unwrap()
        .checked_add(jiff::SignedDuration::from_secs(offset_secs))
        .unwrap()
}

fn sla(first_response: &str) -> CheckedBody {
    let body = DEFAULT_SLA.replacen(
        "first_response = \"",
        &format!("first_response = \"{first_response}\" # was \""),
        1,
    );
    CheckedBody::check(ConfigKind::Sla, &body, "sla").unwrap()
}

async fn seeded() -> MemoryConfigDocs {
    let docs = MemoryConfigDocs::new();
    let body = CheckedBody::check(ConfigKind::Sla, DEFAULT_SLA, "config/sla.toml").unwrap();
    assert!(docs.seed(&body, at(0)).await.unwrap());
    docs
}

#[test]
fn the_shipped_files_pass_their_validators() {
    for (kind, body, origin) in shipped_bodies() {
        CheckedBody::check(kind, body, origin).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

#[test]
fn each_kind_is_checked_by_its_own_validator_naming_field_and_line() {
    let bad_sla = DEFAULT_SLA.replacen("first_response = \"", "first_response = \"soon", 1);
    let err = CheckedBody::check(ConfigKind::Sla, &bad_sla, "sla v2").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("sla v2"), "{text}");
    assert!(text.contains("first_response"), "{text}");
    // A TOML syntax error names the line.
    let err = CheckedBody::check(ConfigKind::Routing, "version = 1\n[[rules]\n", "routing v3")
        .unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    // A routing document is not a bot document.
    assert!(
        CheckedBody::check(
            ConfigKind::Bot,
            crate::app::agent_handoff::DEFAULT_ROUTING,
            "b"
        )
        .is_err()
    );
}

#[test]
fn author_and_note_are_checked_with_the_field_named() {
    let err = NewVersion::new(sla("2h"), 1, "  ", "", at(0)).unwrap_err();
    assert!(
        matches!(&err, ConfigDocsError::Invalid(ConfigFileError::Invalid { field, .. }) if field == "author"),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn seeding_imports_version_one_published_once() {
    let docs = seeded().await;
    let again = CheckedBody::check(ConfigKind::Sla, DEFAULT_SLA, "x").unwrap();
    assert!(!docs.seed(&again, at(5)).await.unwrap());
    let head = docs.head(ConfigKind::Sla).await.unwrap().unwrap();
    assert_eq!((head.latest, head.published), (1, Some(1)));
    let v1 = docs.published(ConfigKind::Sla).await.unwrap().unwrap();
    assert_eq!(v1.origin, VersionOrigin::Seed);
    assert_eq!(v1.body, DEFAULT_SLA);
    assert_eq!(docs.audit("2026-11-30").await.unwrap().len(), 1);
}

#[tokio::test]
async fn seed_missing_imports_only_the_kinds_without_a_document() {
    let docs = seeded().await;
    let bodies = shipped_bodies();
    let seeded = seed_missing(&docs, &bodies, at(1)).await.unwrap();
    assert_eq!(seeded.len(), ConfigKind::ALL.len() - 1);
    assert!(!seeded.contains(&ConfigKind::Sla));
    assert!(
        seed_missing(&docs, &bodies, at(2))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_save_on_the_latest_version_is_a_draft_until_published() {
    let docs = seeded().await;
    let new = NewVersion::new(sla("2h"), 1, "lead", "tighter", at(10)).unwrap();
    let v2 = docs.save(&new).await.unwrap();
    assert_eq!((v2.version, v2.based_on), (2, 1));
    assert_eq!(docs.draft(ConfigKind::Sla).await.unwrap().unwrap(), v2);
    assert_eq!(
        docs.published(ConfigKind::Sla)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );

    let head = docs
        .publish(ConfigKind::Sla, 2, Some(1), "lead", at(20))
        .await
        .unwrap();
    assert_eq!(head.published, Some(2));
    assert_eq!(head.published_by.as_deref(), Some("lead"));
    assert!(docs.draft(ConfigKind::Sla).await.unwrap().is_none());
    assert_eq!(head.state_of(1), VersionState::Superseded);
    let actions: Vec<ConfigAction> = docs
        .audit("2026-11-30")
        .await
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            ConfigAction::Seed,
            ConfigAction::Save,
            ConfigAction::Publish
        ]
    );
}

#[tokio::test]
async fn a_second_save_on_the_same_base_conflicts_with_what_changed() {
    let docs = seeded().await;
    let first = NewVersion::new(sla("2h"), 1, "anna", "VIP", at(10)).unwrap();
    docs.save(&first).await.unwrap();
    let second = NewVersion::new(sla("3h"), 1, "ben", "", at(11)).unwrap();
    let err = docs.save(&second).await.unwrap_err();
    let ConfigDocsError::Conflict(c) = &err else {
        panic!("expected a conflict, got {err}");
    };
    assert_eq!((c.base, c.current.latest), (1, 2));
    assert_eq!(c.since.len(), 1);
    assert_eq!(c.since[0].author, "anna");
    let diff = c.diff.as_ref().unwrap();
    assert!(diff.lines.iter().any(
        |l| matches!(l, DiffLine::Added { text, .. } if text.contains("first_response = \"2h\""))
    ));
    assert!(err.to_string().contains("changed since v1"), "{err}");
    assert!(!err.is_retryable());
    // Nothing of ben's was written.
    assert_eq!(docs.history(ConfigKind::Sla, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_publish_on_a_moved_pointer_conflicts_and_older_versions_are_rolled_back_not_published() {
    let docs = seeded().await;
    for (base, first) in [(1, "2h"), (2, "3h")] {
        let new = NewVersion::new(sla(first), base, "lead", "", at(10)).unwrap();
        docs.save(&new).await.unwrap();
    }
    docs.publish(ConfigKind::Sla, 2, Some(1), "anna", at(20))
        .await
        .unwrap();
    let stale = docs
        .publish(ConfigKind::Sla, 3, Some(1), "ben", at(21))
        .await;
    assert!(
        matches!(stale, Err(ConfigDocsError::Conflict(_))),
        "{stale:?}"
    );
    // The same publish again changes nothing.
    let again = docs
        .publish(ConfigKind::Sla, 2, Some(2), "anna", at(22))
        .await
        .unwrap();
    assert_eq!(again.published_at, Some(at(20)));
    let older = docs
        .publish(ConfigKind::Sla, 1, Some(2), "anna", at(23))
        .await;
    assert!(
        matches!(older, Err(ConfigDocsError::Older { .. })),
        "{older:?}"
    );
    let missing = docs
        .publish(ConfigKind::Sla, 9, Some(2), "anna", at(23))
        .await;
    assert!(
        matches!(missing, Err(ConfigDocsError::NotFound { .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_rollback_is_a_new_published_version_with_the_old_text() {
    let docs = seeded().await;
    let new = NewVersion::new(sla("2h"), 1, "lead", "", at(10)).unwrap();
    docs.save(&new).await.unwrap();
    docs.publish(ConfigKind::Sla, 2, Some(1), "lead", at(11))
        .await
        .unwrap();
    let v3 = docs
        .rollback(ConfigKind::Sla, 1, 2, "root", "too tight", at(12))
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.origin, VersionOrigin::Rollback { from: 1 });
    assert_eq!(v3.body, DEFAULT_SLA);
    let head = docs.head(ConfigKind::Sla).await.unwrap().unwrap();
    assert_eq!((head.latest, head.published), (3, Some(3)));
    let history: Vec<u32> = docs
        .history(ConfigKind::Sla, 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, [3, 2, 1]);
    // A rollback on a stale base is a conflict like a save.
    let stale = docs
        .rollback(ConfigKind::Sla, 2, 2, "root", "", at(13))
        .await;
    assert!(
        matches!(stale, Err(ConfigDocsError::Conflict(_))),
        "{stale:?}"
    );
    let last = docs.audit("2026-11-30").await.unwrap().pop().unwrap();
    assert_eq!(last.action, ConfigAction::Rollback);
    assert_eq!(last.note, "to v1: too tight");
}

#[tokio::test]
async fn a_stored_version_this_release_refuses_cannot_be_published() {
    let docs = seeded().await;
    let mut broken = docs.version(ConfigKind::Sla, 1).await.unwrap().unwrap();
    broken.version = 2;
    broken.body = DEFAULT_SLA.replacen("first_response = \"", "first_response = \"soon", 1);
    docs.plant_unchecked(broken, false);
    let err = docs
        .publish(ConfigKind::Sla, 2, Some(1), "lead", at(10))
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigDocsError::Invalid(_)), "{err}");
    assert!(err.to_string().starts_with("sla v2"), "{err}");
    let head = docs.head(ConfigKind::Sla).await.unwrap().unwrap();
    assert_eq!(head.published, Some(1));
}

#[tokio::test]
async fn concurrent_saves_on_one_base_make_exactly_one_version() {
    let docs = Arc::new(seeded().await);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let docs = docs.clone();
            tokio::spawn(async move {
                let new = NewVersion::new(sla(&format!("{}h", i + 1)), 1, "x", "", at(i)).unwrap();
                docs.save(&new).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(ConfigDocsError::Conflict(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test]
async fn publishing_under_a_draft_writes_both_versions_or_neither() {
    // GIVEN v1 live and a lead's draft v2
    let docs = seeded().await;
    let draft = NewVersion::new(sla("2h"), 1, "lead", "tighter", at(10)).unwrap();
    docs.save(&draft).await.unwrap();
    // WHEN someone publishes v3 with the draft written again on top as v4
    let new = NewVersion::new(sla("3h"), 2, "meta-sync", "from outside", at(20)).unwrap();
    let top = NewVersion::new(sla("2h"), 3, "meta-sync", "draft v2 again", at(20)).unwrap();
    let head = docs
        .publish_under_draft(&new, Some(1), Some(&top))
        .await
        .unwrap();
    // THEN v3 is live, v4 is the draft on top of it, with an audit entry for each step
    assert_eq!((head.latest, head.published), (4, Some(3)));
    assert_eq!(docs.head(ConfigKind::Sla).await.unwrap().unwrap(), head);
    let v4 = docs.draft(ConfigKind::Sla).await.unwrap().unwrap();
    assert_eq!((v4.version, v4.based_on), (4, 3));
    assert_eq!(v4.body, sla("2h").as_str());
    let mut steps: Vec<(ConfigAction, u32)> = docs
        .audit("2026-11-30")
        .await
        .unwrap()
        .iter()
        .filter(|e| e.actor == "meta-sync")
        .map(|e| (e.action, e.version))
        .collect();
    steps.sort_by_key(|(a, v)| (*v, a.as_str()));
    assert_eq!(
        steps,
        [
            (ConfigAction::Publish, 3),
            (ConfigAction::Save, 3),
            (ConfigAction::Save, 4)
        ]
    );

    // A stale base or a moved live version writes nothing.
    let stale = NewVersion::new(sla("4h"), 3, "meta-sync", "", at(30)).unwrap();
    let err = docs
        .publish_under_draft(&stale, Some(3), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigDocsError::Conflict(_)), "{err}");
    let moved = NewVersion::new(sla("4h"), 4, "meta-sync", "", at(30)).unwrap();
    let err = docs
        .publish_under_draft(&moved, Some(1), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigDocsError::Conflict(_)), "{err}");
    // A draft not based on the version under it is refused before anything is written.
    let astray = NewVersion::new(sla("2h"), 7, "meta-sync", "", at(30)).unwrap();
    let err = docs
        .publish_under_draft(&moved, Some(3), Some(&astray))
        .await
        .unwrap_err();
    assert!(matches!(err, ConfigDocsError::Invalid(_)), "{err}");
    assert_eq!(docs.head(ConfigKind::Sla).await.unwrap().unwrap(), head);
}
