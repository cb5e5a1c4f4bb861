//! WhatsApp templates: the picker's list, the sync with Meta and a new template for review.
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/templates` | everyone: the approved templates; `?all=1` supervisors: every status |
//! | POST | `/templates/sync` | supervisors: reads Meta's list now |
//! | POST | `/templates` `{name, language, category, body, examples}` | admins: submits for review |
//!
//! Errors besides the common ones: 400 (a submission's field), 409 `template_exists`, 422
//! `meta_rejected` (Meta refused the submission), 502 `meta_unavailable` (Meta's Graph API
//! failed: nothing was stored), 503 `not_configured` (no WhatsApp Business Account id).

use serde::Serialize;
use tracing::{error, warn};

use super::router::{ApiError, ApiResponse, Call};
use super::{AgentApi, Role};
use crate::app::templates::{SyncReport, TemplateSyncError};
use crate::domain::templates::{ApprovedTemplate, NewTemplate, TemplateRefusal};
use crate::ports::whatsapp::WhatsAppError;

/// `GET /templates`.
#[derive(Debug, Serialize)]
pub struct TemplateList {
    pub templates: Vec<TemplateView>,
}

/// A template as the API shows it: its status always named, and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateView {
    #[serde(flatten)]
    pub template: ApprovedTemplate,
    pub approved: bool,
    /// The parameters to fill in, in order (`1`, `2`, ... or the names).
    pub params: Vec<String>,
}

impl TemplateView {
    pub fn of(t: &ApprovedTemplate) -> Self {
        let mut template = t.clone();
        template.status = Some(t.status().to_owned());
        Self {
            approved: t.is_approved(),
            params: t.param_names(),
            template,
        }
    }
}

impl From<TemplateRefusal> for ApiError {
    fn from(e: TemplateRefusal) -> Self {
        let (status, code, field) = match &e {
            TemplateRefusal::Unknown { .. } => (422, "unknown_template", "name"),
            TemplateRefusal::NotApproved { .. } => (422, "template_not_approved", "name"),
            TemplateRefusal::Params(_) => (400, "invalid_request", "params"),
        };
        let mut err = ApiError::new(status, code, e.to_string());
        err.fields.insert(field.to_owned(), e.to_string());
        err
    }
}

impl From<TemplateSyncError> for ApiError {
    fn from(e: TemplateSyncError) -> Self {
        match e {
            TemplateSyncError::NotConfigured => ApiError::new(503, "not_configured", e.to_string()),
            TemplateSyncError::Invalid { field, problem } => ApiError::field(field, problem),
            TemplateSyncError::Exists { .. } => {
                ApiError::new(409, "template_exists", e.to_string())
            }
            TemplateSyncError::Meta(WhatsAppError::Rejected { ref message, .. }) => {
                warn!(error = %e, "Meta refused a template request");
                ApiError::new(
                    422,
                    "meta_rejected",
                    format!("Meta refused the template: {message}"),
                )
            }
            TemplateSyncError::Meta(ref m) => {
                if matches!(m, WhatsAppError::Unauthorized { .. }) {
                    error!(alarm = "whatsapp_auth", error = %e, "WhatsApp access token rejected; rotate WHATSAPP_ACCESS_TOKEN");
                } else {
                    warn!(error = %e, "Meta's Graph API failed for templates");
                }
                ApiError::new(
                    502,
                    "meta_unavailable",
                    format!(
                        "Meta's Graph API failed; nothing was changed here, try again later ({m})"
                    ),
                )
            }
            TemplateSyncError::Docs(d) => d.into(),
        }
    }
}

impl AgentApi {
    /// `GET /templates[?all=1]`.
    pub(super) async fn templates(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        call.query.only(&["all"])?;
        let all = match call.query.get("all") {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => return Err(ApiError::field("all", format!("'{other}' is not 1 or 0"))),
        };
        if all && !call.caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "templates in every status: supervisors and admins",
            ));
        }
        // Asked fresh (one small read): the picker shows a review decided a moment ago.
        let catalog = self.templates_now().await;
        let templates = catalog
            .all()
            .iter()
            .filter(|t| all || t.is_approved())
            .map(TemplateView::of)
            .collect();
        ApiResponse::ok(TemplateList { templates })
    }

    /// `POST /templates/sync`.
    pub(super) async fn sync_templates(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        if !call.caller.role.sees_everything() {
            return Err(ApiError::forbidden(
                "syncing templates: supervisors and admins",
            ));
        }
        let sync = self
            .template_sync
            .as_ref()
            .ok_or(TemplateSyncError::NotConfigured)?;
        let report: SyncReport = sync.sync().await?;
        self.templates_changed().await;
        ApiResponse::ok(report)
    }

    /// `POST /templates`.
    pub(super) async fn submit_template(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        if call.caller.role != Role::Admin {
            return Err(ApiError::forbidden("submitting templates: admins"));
        }
        let new: NewTemplate = call.body()?;
        let sync = self
            .template_sync
            .as_ref()
            .ok_or(TemplateSyncError::NotConfigured)?;
        let template = sync.submit(&new).await?;
        self.templates_changed().await;
        ApiResponse::created(TemplateView::of(&template))
    }

    /// The published catalogue as of now (not the cached one).
    async fn templates_now(&self) -> std::sync::Arc<crate::domain::templates::TemplateCatalog> {
        match &self.templates {
            crate::platform::live_config::ConfigSource::Live(live) => live.refresh_now().await,
            fixed => fixed.current().await,
        }
    }

    /// The catalogue to check a send of `name`/`language` against: the cached one, read again
    /// when it would refuse (a template approved since the last check is not refused).
    pub(super) async fn templates_for(&self, name: &str, language: &str) {
        let cached = self.templates.current().await;
        if !cached.find(name, language).is_some_and(|t| t.is_approved()) {
            self.templates_now().await;
        }
    }

    /// After a change here: the cached catalogue is read again (the other functions follow
    /// within their check interval).
    async fn templates_changed(&self) {
        if let crate::platform::live_config::ConfigSource::Live(live) = &self.templates {
            live.refresh_now().await;
        }
        self.desk.templates_changed().await;
    }
}

#[cfg(test)]
mod tests;
