//! Files agents send: `POST /tickets/{id}/attachments` checks a file against WhatsApp's type
//! and size limits before anything is uploaded and answers a short-lived upload URL (a presigned
//! S3 PUT in AWS, the runner's `/uploads/` locally) under a key bound to the ticket. The file is
//! then sent with `POST /tickets/{id}/reply {attachment: key, caption?}` (see `desk`).

use serde::{Deserialize, Serialize};

use super::AgentApi;
use super::desk::AgentAction;
use super::router::{ApiError, ApiResponse, Call};
use crate::domain::attachment::{self, AttachmentError, MediaKind};
use crate::ports::media::UploadTarget;
use crate::ports::whatsapp::service_window_open;

/// How long an upload URL is valid: enough to send a large document on a slow line.
pub const UPLOAD_EXPIRY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentRequest {
    file_name: String,
    content_type: String,
    size: u64,
}

/// The answer: where to upload, and the key to send the file by afterwards.
#[derive(Debug, Serialize)]
pub struct UploadSlot {
    pub key: String,
    /// How WhatsApp will show it: `image`, `document`, `audio` or `video`.
    pub kind: MediaKind,
    pub max_bytes: u64,
    pub upload: UploadTarget,
}

impl AgentApi {
    /// `POST /tickets/{id}/attachments {file_name, content_type, size}`.
    pub(super) async fn attachment_upload(
        &self,
        call: &Call<'_, '_>,
        id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        let ticket = self.changeable_ticket(caller, id).await?;
        let probe = AgentAction::Attach {
            key: String::new(),
            caption: None,
        };
        Self::may_work(caller, &ticket, &probe)?;
        let body: AttachmentRequest = call.body()?;
        if ticket.is_closed() {
            return Err(ApiError::new(
                400,
                "invalid_request",
                "the ticket is resolved; reopen it to write",
            ));
        }
        if !service_window_open(ticket.last_inbound_at, self.clock.now()) {
            return Err(ApiError::new(
                422,
                "outside_service_window",
                "the customer's last message is more than 24 hours old: files can only be sent inside the 24 h window",
            ));
        }
        let file_name = attachment::file_name(&body.file_name)
            .map_err(|e| ApiError::field("file_name", e.to_string()))?;
        let kind = attachment::check(&body.content_type, body.size).map_err(|e| {
            let field = match e {
                AttachmentError::TypeNotAllowed(_) => "content_type",
                _ => "size",
            };
            let mut err = ApiError::new(422, "attachment_refused", e.to_string());
            err.fields.insert(field.to_owned(), e.to_string());
            err
        })?;
        let Some(store) = self.desk.media() else {
            return Err(ApiError::new(
                503,
                "unavailable",
                "attachments need a media store, and none is configured",
            ));
        };
        let key = attachment::upload_key(ticket.id, &ulid::Ulid::new().to_string(), &file_name);
        let content_type = attachment::essence(&body.content_type);
        let upload = store
            .presign_upload(&key, &content_type, body.size, UPLOAD_EXPIRY)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "agent API: no upload URL");
                ApiError::new(503, "unavailable", "the media store is busy; try again")
            })?;
        tracing::info!(ticket_id = %ticket.id, kind = kind.as_str(), size = body.size, "upload URL given");
        ApiResponse::created(UploadSlot {
            key,
            kind,
            max_bytes: kind.max_bytes(),
            upload,
        })
    }
}
