//! Customers: consent to business-initiated messages, and the data requests (GDPR access and
//! erasure) with their audit.

use serde::{Deserialize, Serialize};

use super::router::{ApiError, ApiResponse, Call};
use super::{AgentApi, Role};
use crate::app::privacy::Privacy;
use crate::domain::consent::Consent;
use crate::domain::ids::WaId;
use crate::ports::store::AuditRecord;

/// Days one audit request may read.
const MAX_AUDIT_DAYS: usize = 31;

/// `GET /audit`: who exported or erased which customer, per UTC day.
#[derive(Debug, Serialize)]
pub struct AuditLog {
    pub from: String,
    pub to: String,
    /// The digest of the customer asked about, if one was.
    pub customer: Option<String>,
    pub records: Vec<AuditRecord>,
    /// Configuration changes of the same days (the admin area; none when asked about a
    /// customer).
    pub config: Vec<crate::ports::config_docs::ConfigAuditEntry>,
}

impl AgentApi {
    /// `PUT /customers/{wa_id}/consent` (supervisors).
    pub(super) async fn set_consent(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        let caller = &call.caller;
        if !caller.role.sees_everything() {
            return Err(ApiError::forbidden("a supervisor records consent"));
        }
        let wa_id = customer_id(wa_id)?;
        let b: ConsentBody = call.body()?;
        let source = b.source.trim();
        if source.is_empty() || source.chars().count() > 64 {
            return Err(ApiError::field(
                "source",
                "say where the consent came from (1-64 characters, e.g. web_form)",
            ));
        }
        let consent = Consent {
            opted_in: b.opted_in,
            at: self.clock.now(),
            source: format!("{source} (recorded by {})", caller.agent),
        };
        self.desk.store().set_consent(&wa_id, &consent).await?;
        ApiResponse::ok(consent)
    }

    /// `GET /customers/{wa_id}/export` (admins): everything kept about the customer.
    pub(super) async fn export(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        if call.caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins answer data requests"));
        }
        let wa_id = customer_id(wa_id)?;
        ApiResponse::ok(self.privacy().export(&wa_id, &call.caller.agent).await?)
    }

    /// `DELETE /customers/{wa_id}` (admins): what was erased, and what remains where until when.
    pub(super) async fn erase(
        &self,
        call: &Call<'_, '_>,
        wa_id: &str,
    ) -> Result<ApiResponse, ApiError> {
        if call.caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins erase customer data"));
        }
        let wa_id = customer_id(wa_id)?;
        ApiResponse::ok(self.privacy().erase(&wa_id, &call.caller.agent).await?)
    }

    /// `GET /audit?from=&to=&wa_id=` (admins): the data-request audit, by customer digest.
    pub(super) async fn audit(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        if call.caller.role != Role::Admin {
            return Err(ApiError::forbidden("admins read the data-request audit"));
        }
        let q = &call.query;
        q.only(&["from", "to", "wa_id"])?;
        let days = self.audit_days(q, MAX_AUDIT_DAYS)?;
        let customer = q.get("wa_id").map(customer_id).transpose()?;
        let records = self.privacy().audit_log(&days, customer.as_ref()).await?;
        let config = match customer {
            Some(_) => Vec::new(),
            None => self.config_audit_entries(&days).await?,
        };
        ApiResponse::ok(AuditLog {
            config,
            // `audit_days` answers at least one day, from `from` to `to`.
            from: days.first().cloned().unwrap_or_default(),
            to: days.last().cloned().unwrap_or_default(),
            customer: customer.map(|c| c.digest()),
            records,
        })
    }

    fn privacy(&self) -> Privacy {
        Privacy::new(self.desk.store().clone(), self.media.clone()).with_clock(self.clock.clone())
    }
}

pub(super) fn customer_id(wa_id: &str) -> Result<WaId, ApiError> {
    WaId::parse(wa_id).map_err(|e| ApiError::field("wa_id", format!("is not a WhatsApp id: {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    opted_in: bool,
    source: String,
}
