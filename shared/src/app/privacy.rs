//! GDPR/CCPA requests for one customer: export everything we hold (JSON), and erase it:
//! tickets with their messages, notes, outbox and idempotency records, kept media, the profile
//! and the consent record, and the search index items pointing at any of them. Analytics keep only their anonymous counters (they never held a
//! customer's data). Every export and erasure files an audit record (who, what, when, the
//! customer's digest) that erasure does not touch, and an erasure says what it could not reach
//! (queues, backups) and when that is gone too. Used by the agent API (admins) and the runner's
//! `gdpr` command.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};
use tracing::info;

use crate::domain::attachment::key_prefix;
use crate::domain::ids::WaId;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::media::{MediaError, MediaStore};
use crate::ports::store::{AuditAction, AuditRecord, StoreError, TicketStore};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Media(#[from] MediaError),
}

impl PrivacyError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Media(e) => e.is_retryable(),
        }
    }
}

/// How long SQS keeps a message nobody deleted (`MessageRetentionPeriod` of every queue and
/// dead-letter queue in `template.yaml`).
pub const QUEUE_RETENTION_DAYS: u32 = 14;

/// How far back DynamoDB point-in-time recovery reaches (the table's recovery period; the
/// template leaves it at AWS's default and maximum).
pub const BACKUP_RETENTION_DAYS: u32 = 35;

/// What an erasure removed, and what of the customer is still somewhere it cannot reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub tickets: usize,
    pub items: usize,
    pub media_files: usize,
    /// Copies outside the table and bucket, each gone by a known time (or not ours to erase).
    pub remains: Vec<Remnant>,
}

/// A copy of a customer's data an erasure cannot delete item by item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remnant {
    /// Where it is.
    pub place: String,
    /// What of the customer it holds.
    pub holds: String,
    /// It is gone at most this many days after the erasure; `None`: no fixed end (outside our
    /// hands, or kept until removed).
    pub days: Option<u32>,
    /// The time by which it is gone (`days` after the erasure).
    pub gone_by: Option<Timestamp>,
}

pub struct Privacy {
    store: Arc<dyn TicketStore>,
    media: Option<Arc<dyn MediaStore>>,
    clock: Arc<dyn Clock>,
}

impl Privacy {
    pub fn new(store: Arc<dyn TicketStore>, media: Option<Arc<dyn MediaStore>>) -> Self {
        Self {
            store,
            media,
            clock: Arc::new(SystemClock),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Everything held about the customer, as one JSON document; `actor` (who asked) is filed
    /// in the audit log before the data is handed out.
    pub async fn export(&self, wa_id: &WaId, actor: &str) -> Result<Value, PrivacyError> {
        let mut tickets = Vec::new();
        for ticket in self.store.customer_tickets(wa_id).await? {
            let messages = self.store.messages(ticket.id).await?;
            let notes = self.store.activities(ticket.id).await?;
            tickets.push(json!({ "ticket": ticket, "messages": messages, "activity": notes }));
        }
        let now = self.clock.now();
        let export = json!({
            "wa_id": wa_id.as_str(),
            "exported_at": now,
            "profile": self.store.customer(wa_id).await?,
            "consent": self.store.consent(wa_id).await?,
            "tickets": tickets,
        });
        let detail = format!("{} tickets", tickets_len(&export));
        self.file(AuditAction::Export, wa_id, actor, now, detail)
            .await?;
        Ok(export)
    }

    /// Removes everything held about the customer and files who did it. Safe to repeat: a
    /// retried erasure finishes what a failed one left.
    pub async fn erase(&self, wa_id: &WaId, actor: &str) -> Result<Erased, PrivacyError> {
        let mut erased = Erased::default();
        for ticket in self.store.customer_tickets(wa_id).await? {
            // Media first: once the messages are gone, nothing would name the files.
            if let Some(media) = &self.media {
                for message in self.store.messages(ticket.id).await? {
                    if let Some(key) = message.media.and_then(|m| m.key) {
                        media.delete(&key).await?;
                        erased.media_files += 1;
                    }
                }
                // Agents' uploads live under the ticket's prefix, also those never sent (no
                // message names them): without this they would wait for the bucket's lifecycle.
                erased.media_files += media.delete_under(&key_prefix(ticket.id)).await?;
            }
            erased.items += self.store.erase_ticket(&ticket).await?;
            erased.tickets += 1;
        }
        erased.items += self.store.erase_customer(wa_id).await?;
        let now = self.clock.now();
        erased.remains = self.remains(now);
        let detail = format!(
            "{} tickets, {} items, {} media files",
            erased.tickets, erased.items, erased.media_files
        );
        self.file(AuditAction::Erase, wa_id, actor, now, detail)
            .await?;
        // No phone number in the log: the digest and the counts are the trail.
        info!(
            customer = %wa_id.digest(),
            tickets = erased.tickets,
            items = erased.items,
            media_files = erased.media_files,
            "customer data erased"
        );
        Ok(erased)
    }

    /// The audit records of the UTC days `days` (`YYYY-MM-DD`), only the customer's if one is
    /// named, oldest first.
    pub async fn audit_log(
        &self,
        days: &[String],
        customer: Option<&WaId>,
    ) -> Result<Vec<AuditRecord>, PrivacyError> {
        let digest = customer.map(WaId::digest);
        let mut records = Vec::new();
        for day in days {
            records.extend(
                self.store
                    .audit(day)
                    .await?
                    .into_iter()
                    .filter(|r| digest.as_ref().is_none_or(|d| &r.customer == d)),
            );
        }
        Ok(records)
    }

    async fn file(
        &self,
        action: AuditAction,
        wa_id: &WaId,
        actor: &str,
        at: Timestamp,
        detail: String,
    ) -> Result<(), StoreError> {
        let record = AuditRecord {
            id: ulid::Ulid::from_parts(
                u64::try_from(at.as_millisecond()).unwrap_or(0),
                ulid::Ulid::new().random(),
            )
            .to_string(),
            at,
            actor: actor.to_owned(),
            action,
            customer: wa_id.digest(),
            detail,
        };
        self.store.record_audit(&record).await?;
        info!(customer = %record.customer, actor, action = action.as_str(), "data request filed");
        Ok(())
    }

    /// Where copies remain after an erasure at `now`, and until when.
    fn remains(&self, now: Timestamp) -> Vec<Remnant> {
        let after = |days: u32| {
            now.checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
                .ok()
        };
        let remnant = |place: &str, holds: &str, days: Option<u32>| Remnant {
            place: place.to_owned(),
            holds: holds.to_owned(),
            days,
            gone_by: days.and_then(after),
        };
        let proof_days = self
            .store
            .retention()
            .map(|r| u32::try_from(r.proof.as_hours() / 24).unwrap_or(u32::MAX));
        vec![
            remnant(
                "SQS queues (inbound, handoff, SLA events) and their dead-letter queues",
                "messages not processed yet or dead-lettered: ticket id, WhatsApp id and message \
                 ids, no message text; a late one finds no ticket and is dropped",
                Some(QUEUE_RETENTION_DAYS),
            ),
            remnant(
                "DynamoDB point-in-time recovery of the table",
                "the table as it was before the erasure, restorable; after a restore, erase \
                 again every customer the audit log shows erased since the restore point",
                Some(BACKUP_RETENTION_DAYS),
            ),
            remnant(
                "the audit log (AUDIT#<day> items of the table)",
                "this request: who, when, what, and the customer's digest (no number)",
                proof_days,
            ),
            remnant(
                "WhatsApp (Meta)",
                "the chat on Meta's servers and the customer's phone, under Meta's terms; the \
                 customer deletes it in WhatsApp",
                None,
            ),
        ]
    }
}

fn tickets_len(export: &Value) -> usize {
    export["tickets"].as_array().map_or(0, Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TicketId;
    use crate::ports::media::MemoryMediaStore;
    use crate::testkit::world;

    #[tokio::test]
    async fn an_export_holds_every_ticket_message_and_note_of_the_customer() {
        let w = world().await;
        w.opt_in().await;
        let id = w
            .customer("wamid.1", "Ich möchte mit einem Mitarbeiter sprechen")
            .await;
        w.act(
            id,
            "maria",
            crate::app::agent_api::desk::AgentAction::Note {
                text: "Kundin ruft morgen an".into(),
            },
        )
        .await;
        let privacy = Privacy::new(w.store.clone(), None);
        let anna = WaId::parse("4915112345678").unwrap();
        let export = privacy.export(&anna, "root").await.unwrap();
        let text = export.to_string();
        assert!(text.contains("Ich möchte mit einem Mitarbeiter sprechen"));
        assert!(text.contains("Kundin ruft morgen an"));
        assert_eq!(export["consent"]["opted_in"], true);
        assert_eq!(export["tickets"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn after_erasure_nothing_of_the_customer_remains_but_others_are_untouched() {
        let w = world().await;
        w.opt_in().await;
        let id = w.customer("wamid.1", "Wo ist mein Paket?").await;
        w.customer("wamid.2", "100234").await;
        let other = w
            .customer_as("4917600000001", "wamid.3", "Hallo, ich bin Ben")
            .await;
        let media = Arc::new(MemoryMediaStore::new());
        media
            .put("media/x/wamid.1", b"photo", "image/png")
            .await
            .unwrap();
        let first = w.store.messages(id).await.unwrap().remove(0);
        w.store
            .attach_media(
                &first,
                &crate::ports::media::MediaRecord {
                    key: Some("media/x/wamid.1".into()),
                    mime_type: Some("image/png".into()),
                    size: Some(5),
                    refused: None,
                },
            )
            .await
            .unwrap();
        // An agent uploaded a file for her and never sent it; one for Ben stays.
        let unsent =
            crate::domain::attachment::upload_key(id, "01JD000000000000000000000A", "Rechnung.pdf");
        let bens =
            crate::domain::attachment::upload_key(other, "01JD000000000000000000000B", "x.pdf");
        for key in [&unsent, &bens] {
            media
                .put(key, b"%PDF-1.4", "application/pdf")
                .await
                .unwrap();
        }
        // An agent tagged her ticket: the tag index item goes with the ticket.
        let tag = crate::app::agent_api::desk::AgentAction::Tag {
            tag: crate::domain::ticket_tags::Tag::parse("erasure-probe").unwrap(),
        };
        w.desk.act(id, "tom", &tag, None).await.unwrap();
        assert!(format!("{:?}", w.store).contains("erasure-probe"));
        let privacy = Privacy::new(w.store.clone(), Some(media.clone()));
        let anna = WaId::parse("4915112345678").unwrap();
        // Anna is in the search index by number, name and the order the bot found.
        let mut t = w.store.ticket(id).await.unwrap().unwrap();
        t.bot.get_or_insert_default().order_id = Some("A-1042".into());
        crate::testkit::save(&w.store, t.clone(), w.clock.now()).await;
        // The bot forgets the order later; the ticket still remembers it was indexed.
        let mut t = w.store.ticket(id).await.unwrap().unwrap();
        t.bot.get_or_insert_default().order_id = None;
        crate::testkit::save(&w.store, t, w.clock.now()).await;
        let mut profile = w.store.customer(&anna).await.unwrap().unwrap();
        profile.profile.name = Some("Anna Bäcker".into());
        profile.version += 1;
        let read = w.store.customer(&anna).await.unwrap();
        assert!(
            w.store
                .update_customer(read.as_ref(), &profile)
                .await
                .unwrap()
        );
        let index_of = |who: &str, id: TicketId| {
            let reversed: String = who.chars().rev().collect();
            let ticket = id.to_string();
            w.store
                .index_items()
                .into_iter()
                .filter(move |(pk, sk)| {
                    sk.contains(who) || sk == &reversed || sk == &ticket || pk.contains(&ticket)
                })
                .collect::<Vec<_>>()
        };
        let indexed = index_of(anna.as_str(), id);
        for kind in ["PHONE", "NAME#an", "NAME#ba", "ORDER#A-1042"] {
            assert!(
                indexed.iter().any(|(pk, _)| pk.contains(kind)),
                "{kind}: {indexed:?}"
            );
        }

        let erased = privacy.erase(&anna, "root").await.unwrap();
        assert_eq!(
            index_of(anna.as_str(), id),
            Vec::new(),
            "no index item survives"
        );
        assert!(!index_of("4917600000001", other).is_empty(), "Ben's stay");
        assert_eq!((erased.tickets, erased.media_files), (1, 2));
        assert!(media.get(&unsent).is_none(), "the unsent upload is gone");
        assert!(media.get(&bens).is_some(), "Ben's upload stays");
        assert!(erased.items > 6, "{erased:?}");
        assert!(w.store.ticket(id).await.unwrap().is_none());
        assert!(w.store.messages(id).await.unwrap().is_empty());
        assert!(w.store.customer(&anna).await.unwrap().is_none());
        assert!(w.store.consent(&anna).await.unwrap().is_none());
        assert!(media.get("media/x/wamid.1").is_none());
        let everything = format!("{:?}", w.store);
        let digest = |w: &str| {
            crate::domain::ids::Wamid::parse(w)
                .unwrap()
                .log_ref()
                .to_string()
        };
        for trace in [
            "4915112345678",
            "Wo ist mein Paket",
            "100234",
            "wamid.1",
            "wamid.2",
            &digest("wamid.1"),
            &digest("wamid.2"),
            "erasure-probe",
        ] {
            assert!(!everything.contains(trace), "{trace} is still stored");
        }
        assert!(
            w.store.ticket(other).await.unwrap().is_some(),
            "Ben's ticket stays"
        );
        let again = privacy.erase(&anna, "root").await.unwrap();
        assert_eq!(
            (again.tickets, again.items, again.media_files),
            (0, 0, 0),
            "repeatable"
        );
    }

    #[tokio::test]
    async fn every_export_and_erasure_is_audited_and_the_audit_survives_the_erasure() {
        // GIVEN Anna's ticket
        let w = world().await;
        w.opt_in().await;
        w.customer("wamid.1", "Wo ist mein Paket?").await;
        let privacy = Privacy::new(w.store.clone(), None).with_clock(w.clock.clone());
        let anna = WaId::parse("4915112345678").unwrap();
        let ben = WaId::parse("4917600000001").unwrap();
        // WHEN an admin exports and then erases her data
        privacy.export(&anna, "root").await.unwrap();
        w.clock.advance(jiff::SignedDuration::from_mins(5));
        privacy.erase(&anna, "cli:ops").await.unwrap();
        // THEN the day's audit log has both, in order, naming her only by digest
        let day = w.clock.now().strftime("%Y-%m-%d").to_string();
        let log = privacy
            .audit_log(std::slice::from_ref(&day), Some(&anna))
            .await
            .unwrap();
        let seen: Vec<_> = log
            .iter()
            .map(|r| (r.actor.as_str(), r.action, r.customer.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("root", AuditAction::Export, anna.digest().as_str()),
                ("cli:ops", AuditAction::Erase, anna.digest().as_str()),
            ]
        );
        assert_eq!(log[1].at, w.clock.now());
        assert!(log[1].detail.contains("1 tickets"), "{}", log[1].detail);
        let printed = format!("{log:?} {:?}", w.store);
        assert!(!printed.contains("4915112345678"), "{printed}");
        // AND another customer's question finds none of it
        assert!(
            privacy
                .audit_log(&[day], Some(&ben))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn an_erasure_says_what_remains_in_queues_backups_and_the_audit_and_until_when() {
        let w = world().await;
        w.customer("wamid.1", "Wo ist mein Paket?").await;
        let privacy = Privacy::new(w.store.clone(), None).with_clock(w.clock.clone());
        let erased = privacy
            .erase(&WaId::parse("4915112345678").unwrap(), "root")
            .await
            .unwrap();
        let days = |place: &str| {
            let r = erased
                .remains
                .iter()
                .find(|r| r.place.contains(place))
                .unwrap_or_else(|| panic!("{place} is not reported: {erased:?}"));
            (r.days, r.gone_by)
        };
        let after = |d: i64| Some(w.clock.now() + jiff::SignedDuration::from_hours(d * 24));
        assert_eq!(days("SQS"), (Some(14), after(14)));
        assert_eq!(days("point-in-time recovery"), (Some(35), after(35)));
        assert_eq!(days("WhatsApp"), (None, None));
        // The in-memory store keeps its audit log until it stops.
        assert_eq!(days("audit log"), (None, None));
    }

    #[test]
    fn the_reported_queue_retention_is_what_the_template_configures() {
        let template = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"));
        let periods: Vec<&str> = template
            .lines()
            .filter_map(|l| l.trim().strip_prefix("MessageRetentionPeriod:"))
            .map(str::trim)
            .collect();
        assert!(periods.len() >= 6, "{periods:?}");
        let reported = (QUEUE_RETENTION_DAYS * 24 * 3600).to_string();
        assert!(periods.iter().all(|p| *p == reported), "{periods:?}");
        // Point-in-time recovery at AWS's default recovery period (35 days).
        assert!(template.contains("PointInTimeRecoveryEnabled: true"));
        assert!(!template.contains("RecoveryPeriodInDays"));
    }
}
