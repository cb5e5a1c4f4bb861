//! GDPR/CCPA requests for one customer: export everything we hold (JSON), and erase it:
//! tickets with their messages, notes, outbox and idempotency records, kept media, the profile
//! and the consent record. Analytics keep only their anonymous counters (they never held a
//! customer's data). Used by the agent API (admins) and the runner's `gdpr` command.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use tracing::info;

use crate::ids::WaId;
use crate::media::{MediaError, MediaStore};
use crate::store::{StoreError, TicketStore};

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

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub tickets: usize,
    pub items: usize,
    pub media_files: usize,
}

pub struct Privacy {
    store: Arc<dyn TicketStore>,
    media: Option<Arc<dyn MediaStore>>,
}

impl Privacy {
    pub fn new(store: Arc<dyn TicketStore>, media: Option<Arc<dyn MediaStore>>) -> Self {
        Self { store, media }
    }

    /// Everything held about the customer, as one JSON document.
    pub async fn export(&self, wa_id: &WaId) -> Result<Value, PrivacyError> {
        let mut tickets = Vec::new();
        for ticket in self.store.customer_tickets(wa_id).await? {
            let messages = self.store.messages(ticket.id).await?;
            let notes = self.store.activities(ticket.id).await?;
            tickets.push(json!({ "ticket": ticket, "messages": messages, "activity": notes }));
        }
        Ok(json!({
            "wa_id": wa_id.as_str(),
            "exported_at": jiff::Timestamp::now(),
            "profile": self.store.customer(wa_id).await?,
            "consent": self.store.consent(wa_id).await?,
            "tickets": tickets,
        }))
    }

    /// Removes everything held about the customer. Safe to repeat: a retried erasure finishes
    /// what a failed one left.
    pub async fn erase(&self, wa_id: &WaId) -> Result<Erased, PrivacyError> {
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
            }
            erased.items += self.store.erase_ticket(&ticket).await?;
            erased.tickets += 1;
        }
        erased.items += self.store.erase_customer(wa_id).await?;
        // No phone number in the log: the count is the audit trail.
        info!(
            tickets = erased.tickets,
            items = erased.items,
            media_files = erased.media_files,
            "customer data erased"
        );
        Ok(erased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MemoryMediaStore;
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
            crate::agent::AgentAction::Note {
                text: "Kundin ruft morgen an".into(),
            },
        )
        .await;
        let privacy = Privacy::new(w.store.clone(), None);
        let anna = WaId::parse("4915112345678").unwrap();
        let export = privacy.export(&anna).await.unwrap();
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
                &crate::media::MediaRecord {
                    key: Some("media/x/wamid.1".into()),
                    mime_type: Some("image/png".into()),
                    size: Some(5),
                    refused: None,
                },
            )
            .await
            .unwrap();
        let privacy = Privacy::new(w.store.clone(), Some(media.clone()));
        let anna = WaId::parse("4915112345678").unwrap();

        let erased = privacy.erase(&anna).await.unwrap();
        assert_eq!((erased.tickets, erased.media_files), (1, 1));
        assert!(erased.items > 6, "{erased:?}");
        assert!(w.store.ticket(id).await.unwrap().is_none());
        assert!(w.store.messages(id).await.unwrap().is_empty());
        assert!(w.store.customer(&anna).await.unwrap().is_none());
        assert!(w.store.consent(&anna).await.unwrap().is_none());
        assert!(media.get("media/x/wamid.1").is_none());
        let everything = format!("{:?}", w.store);
        for trace in [
            "4915112345678",
            "Wo ist mein Paket",
            "100234",
            "wamid.1",
            "wamid.2",
        ] {
            assert!(!everything.contains(trace), "{trace} is still stored");
        }
        assert!(
            w.store.ticket(other).await.unwrap().is_some(),
            "Ben's ticket stays"
        );
        assert_eq!(
            privacy.erase(&anna).await.unwrap(),
            Erased::default(),
            "repeatable"
        );
    }
}
