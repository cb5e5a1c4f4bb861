//! A file uploaded for the ticket, sent to the customer (inside the 24 h window).

use super::reply::write_to_customer;
use super::{AgentDesk, AgentError};
use crate::app::outbox::AttachmentRef;
use crate::app::ticket_change::Draft;
use crate::domain::ticket::Ticket;
use crate::ports::whatsapp::{MediaKind, OutboundBody};

/// The checked file, sent with its caption (a document also with its file name).
pub(super) fn attach(
    ticket: &Ticket,
    actor: &str,
    caption: &Option<String>,
    checked: Option<(AttachmentRef, MediaKind)>,
    draft: &mut Draft,
) -> Result<(), AgentError> {
    let Some((attachment, kind)) = checked else {
        return Err(AgentError::invalid("the attachment was not checked"));
    };
    let filename = (kind == MediaKind::Document)
        .then(|| crate::domain::attachment::file_name_of_key(&attachment.key).to_owned());
    let body = OutboundBody::Media {
        kind,
        id: None,
        caption: caption.clone().filter(|c| !c.trim().is_empty()),
        filename,
    };
    write_to_customer(ticket, actor, body, Some(attachment), draft);
    Ok(())
}

impl AgentDesk {
    /// Checks an uploaded file before it is sent: uploaded for this ticket, present, of the
    /// type it was announced as (by its bytes, not its name) and within WhatsApp's limits.
    pub(super) async fn attachment(
        &self,
        ticket: &Ticket,
        key: &str,
        caption: Option<&str>,
    ) -> Result<(crate::app::outbox::AttachmentRef, MediaKind), AgentError> {
        use crate::domain::attachment;
        let Some(store) = &self.media else {
            return Err(AgentError::AttachmentRefused(
                "attachments need a media store, and none is configured (HELPDESK_MEDIA_BUCKET)"
                    .into(),
            ));
        };
        if !attachment::belongs_to(key, ticket.id) {
            return Err(AgentError::NoAttachment(key.to_owned()));
        }
        let object = store
            .probe(key)
            .await
            .map_err(|e| AgentError::MediaUnavailable(e.to_string()))?
            .ok_or_else(|| AgentError::NoAttachment(key.to_owned()))?;
        let claimed = attachment::essence(&object.content_type);
        let found = crate::ports::media::content_type(&object.head, &claimed)
            .map_err(|e| AgentError::AttachmentRefused(e.to_string()))?;
        if found != claimed {
            return Err(AgentError::AttachmentRefused(format!(
                "the file is {found}, not the {claimed} it was uploaded as"
            )));
        }
        let kind = attachment::check(&found, object.size)
            .map_err(|e| AgentError::AttachmentRefused(e.to_string()))?;
        if caption.is_some() && !kind.has_caption() {
            return Err(AgentError::field(
                "caption",
                format!("WhatsApp shows no caption with {}", kind.as_str()),
            ));
        }
        Ok((
            crate::app::outbox::AttachmentRef {
                key: key.to_owned(),
                mime_type: found,
                size: object.size,
            },
            kind,
        ))
    }
}
