//! `GET /analytics`: the figures of a period, for supervisors (any scope) and agents (their own).

use super::AgentApi;
use super::router::{ApiError, ApiResponse, Call};
use crate::app::analytics::{ReportQuery, report};

impl AgentApi {
    /// `GET /analytics?from=&to=&scope=`: the last seven days (UTC) unless told otherwise.
    pub(super) async fn analytics(&self, call: &Call<'_, '_>) -> Result<ApiResponse, ApiError> {
        let (caller, q) = (&call.caller, &call.query);
        q.only(&["from", "to", "scope"])?;
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let week_ago = today
            .checked_sub(jiff::ToSpan::days(6))
            .unwrap_or(today)
            .to_string();
        let today = today.to_string();
        let own = format!("agent:{}", caller.agent);
        let scope = q.get("scope").unwrap_or(if caller.role.sees_everything() {
            "all"
        } else {
            &own
        });
        if !caller.role.sees_everything() && scope != own {
            return Err(ApiError::forbidden(
                "agents see their own figures; supervisors see all",
            ));
        }
        let query = ReportQuery::new(
            q.get("from").unwrap_or(&week_ago),
            q.get("to").unwrap_or(&today),
            scope,
        )?;
        ApiResponse::ok(report(self.desk.store().as_ref(), &query).await?)
    }
}
