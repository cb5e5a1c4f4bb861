//! CSV exports for supervisors and admins: the queue's tickets (`GET /tickets/export.csv`, the
//! queue's filters) and the dashboard's figures a day a row (`GET /analytics/export.csv`).
//!
//! RFC 4180 (the `csv` crate: quoted where needed, CRLF line ends), a header row, columns in a
//! fixed order that only grows at the end. No message text. Customers appear as the masked number
//! and the pseudonymous digest ticket events carry (`c:…`), so an export joins with the event
//! stream; the full number only for admins who ask (`phone=full`): a file leaves the helpdesk's
//! access control once downloaded, and admins already answer data requests with full numbers.
//! Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a
//! leading `'`.
//!
//! API Gateway and Lambda answer with at most 6 MB, so an export is built a page at a time up to
//! [`MAX_EXPORT_ROWS`] rows (~1.5 MB) and refused with 422 beyond, naming the filters that narrow
//! it.

use std::borrow::Cow;

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;

use super::router::{ApiError, ApiResponse, Call, Query};
use super::{AgentApi, Caller, mask_phone};
use crate::app::analytics::{Report, ReportQuery, compute};
use crate::domain::agent::Role;
use crate::domain::ticket::Ticket;
use crate::ports::store::StoreError;

/// Rows an export may have.
pub const MAX_EXPORT_ROWS: usize = 5000;
/// Days the analytics export may span (a row each).
pub const MAX_ANALYTICS_DAYS: i64 = 366;
/// Tickets read per store page.
const PAGE: u32 = 100;
/// Days read at once for the analytics export.
const DAYS_AT_ONCE: usize = 8;

/// The ticket export's columns, in order (new ones only at the end).
pub const TICKET_COLUMNS: [&str; 22] = [
    "id",
    "status",
    "priority",
    "category",
    "team",
    "assignee",
    "language",
    "handoff_reason",
    "opened_at",
    "first_response_at",
    "first_response_minutes",
    "resolved_at",
    "resolution_minutes",
    "resolved_by_bot",
    "sla_state",
    "sla_breaches",
    "sla_breached_targets",
    "csat",
    "csat_asked_at",
    "customer",
    "customer_ref",
    "tags",
];

/// The analytics export's columns, in order (new ones only at the end).
pub const ANALYTICS_COLUMNS: [&str; 20] = [
    "day",
    "opened",
    "resolved",
    "resolved_by_bot",
    "bot_resolution_rate",
    "handed_off",
    "handoff_rate",
    "first_response_count",
    "first_response_avg_minutes",
    "first_response_p90_minutes_at_most",
    "resolution_count",
    "resolution_avg_minutes",
    "resolution_p90_minutes_at_most",
    "sla_met",
    "sla_breached",
    "sla_compliance",
    "csat_count",
    "csat_average",
    "csat_asked",
    "csat_response_rate",
];

/// How the customer's number appears in the ticket export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneColumn {
    /// `+49******5678` (the default).
    Masked,
    /// The number (admins only).
    Full,
    /// Empty.
    Omitted,
}

/// `value` as a cell a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return would be run as a formula (CSV injection), so it gets a leading `'`.
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// An RFC 4180 document: `header`, then `rows`, every cell made safe.
pub fn csv_document<R, C>(header: &[&str], rows: R) -> Result<String, ApiError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = String>,
{
    let failed = |e: csv::Error| {
        tracing::error!(error = %e, "CSV export could not be written");
        ApiError::new(500, "internal", "the export could not be written")
    };
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(header).map_err(failed)?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| safe_cell(&c).into_owned())
            .collect();
        out.write_record(&cells).map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| failed(csv::Error::from(e.into_error())))?;
    String::from_utf8(bytes).map_err(|_| ApiError::new(500, "internal", "the export is not text"))
}

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn minutes_between(from: Timestamp, to: Option<Timestamp>) -> String {
    to.map(|to| format!("{:.1}", to.duration_since(from).as_secs_f64() / 60.0))
        .unwrap_or_default()
}

fn opt(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One ticket's row (see [`TICKET_COLUMNS`]).
pub fn ticket_row(t: &Ticket, phone: PhoneColumn) -> Vec<String> {
    let breaches = t.sla.as_ref().map(|s| s.breaches.as_slice()).unwrap_or(&[]);
    let mut breached: Vec<&str> = breaches.iter().map(|b| b.target.as_str()).collect();
    breached.dedup();
    let since = t.handed_off_at.unwrap_or(t.created_at);
    vec![
        t.id.to_string(),
        t.status.as_str().to_owned(),
        opt(t.priority.map(|p| p.as_str())),
        opt(t.category.as_ref()),
        opt(t.team.as_ref()),
        opt(t.assignee.as_ref()),
        opt(t.bot.as_ref().and_then(|b| b.language).map(|l| l.code())),
        opt(t.handoff_reason.map(|r| r.as_str())),
        t.created_at.to_string(),
        time(t.first_response_at),
        minutes_between(since, t.first_response_at),
        time(t.resolved_at),
        minutes_between(t.created_at, t.resolved_at),
        t.resolved_at
            .map(|_| t.resolved_by_bot.to_string())
            .unwrap_or_default(),
        t.sla_state().as_str().to_owned(),
        breaches.iter().filter(|b| b.level == 1).count().to_string(),
        breached.join(" "),
        opt(t.csat.map(|c| c.score)),
        time(t.csat_asked_at),
        match phone {
            PhoneColumn::Masked => mask_phone(t.key.wa_id.as_str()),
            PhoneColumn::Full => t.key.wa_id.as_str().to_owned(),
            PhoneColumn::Omitted => String::new(),
        },
        t.key.wa_id.digest(),
        t.tags.join(" "),
    ]
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

fn minutes(seconds: Option<f64>) -> String {
    seconds
        .map(|s| format!("{:.1}", s / 60.0))
        .unwrap_or_default()
}

/// One day's row (see [`ANALYTICS_COLUMNS`]) from that day's report.
pub fn analytics_row(day: &str, r: &Report) -> Vec<String> {
    let (met, breached) = r
        .sla_by_policy
        .values()
        .fold((0, 0), |(m, b), c| (m + c.met, b + c.breached));
    let compliance = (met + breached > 0).then(|| met as f64 / (met + breached) as f64);
    let p90 = |s: Option<u64>| s.map(|s| s.div_ceil(60).to_string()).unwrap_or_default();
    vec![
        day.to_owned(),
        r.opened.to_string(),
        r.resolved.to_string(),
        r.resolved_by_bot.to_string(),
        rate(r.bot_resolution_rate),
        r.handed_off.to_string(),
        rate(r.handoff_rate),
        r.first_response.count.to_string(),
        minutes(r.first_response.average_seconds),
        p90(r.first_response.p90_seconds_at_most),
        r.resolution.count.to_string(),
        minutes(r.resolution.average_seconds),
        p90(r.resolution.p90_seconds_at_most),
        met.to_string(),
        breached.to_string(),
        rate(compliance),
        r.csat_count.to_string(),
        r.csat_average
            .map(|a| format!("{a:.2}"))
            .unwrap_or_default(),
        r.csat_asked.to_string(),
        rate(r.csat_response_rate),
    ]
}

fn supervisors_only(call: &Call<'_, '_>) -> Result<(), ApiError> {
    if call.caller.role.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "exports are for supervisors and admins",
        ))
    }
}

impl AgentApi {
    /// `GET /tickets/export.csv?status=&team=&assignee=&priority=&sla=&from=&to=&phone=`: every
    /// ticket the queue's filters list (opened `from`..`to`, UTC days, when given), as CSV.
    pub(super) async fn export_tickets(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        supervisors_only(call)?;
        let (caller, q) = (&call.caller, &call.query);
        q.only(&[
            "status", "team", "assignee", "priority", "sla", "tag", "from", "to", "phone",
        ])?;
        let phone = phone_column(q, caller)?;
        let today = self
            .clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        let opened = opened_range(q, &today)?;
        let in_range = |t: &Ticket| {
            opened.as_ref().is_none_or(|r| {
                let day = t
                    .created_at
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .date();
                r.from <= day && day <= r.to
            })
        };
        let (mut query, my_teams) = self.queue_listing(call, PAGE).await?;
        let mut tickets: Vec<Ticket> = Vec::new();
        loop {
            let page = query
                .run(self.desk.store().as_ref(), |t| {
                    Self::may_see(caller, &my_teams, t) && in_range(t)
                })
                .await
                .map_err(|e: StoreError| ApiError::from(e))?;
            tickets.extend(page.tickets);
            if tickets.len() > MAX_EXPORT_ROWS {
                let err = ApiError::new(
                    422,
                    "export_too_large",
                    format!(
                        "more than {MAX_EXPORT_ROWS} tickets match: narrow the export with status, team, assignee, priority, sla or an opening range (from, to)"
                    ),
                );
                return Err(err);
            }
            match page.next {
                Some(cursor) => {
                    query = query.resume(&cursor).map_err(|_| {
                        ApiError::new(500, "internal", "the listing lost its place")
                    })?;
                }
                None => break,
            }
        }
        let csv = csv_document(
            &TICKET_COLUMNS,
            tickets.iter().map(|t| ticket_row(t, phone)),
        )?;
        tracing::info!(
            agent = %caller.agent,
            rows = tickets.len(),
            "tickets exported"
        );
        ApiResponse::csv(csv, format!("tickets-{today}.csv"))
    }

    /// `GET /analytics/export.csv?from=&to=&scope=`: a row per day (UTC) from `from` to `to`
    /// (at most [`MAX_ANALYTICS_DAYS`]) with the dashboard's figures of that day.
    pub(super) async fn export_analytics(
        &self,
        call: &Call<'_, '_>,
    ) -> Result<ApiResponse, ApiError> {
        supervisors_only(call)?;
        let q = &call.query;
        q.only(&["from", "to", "scope"])?;
        let from = q
            .get("from")
            .ok_or_else(|| ApiError::field("from", "is required (YYYY-MM-DD)"))?;
        let to = q
            .get("to")
            .ok_or_else(|| ApiError::field("to", "is required (YYYY-MM-DD)"))?;
        let range = ReportQuery::spanning(
            from,
            to,
            q.get("scope").unwrap_or("all"),
            MAX_ANALYTICS_DAYS,
        )?;
        let store = self.desk.store();
        let days = range.days();
        let rows: Vec<Vec<String>> = futures::stream::iter(days.iter().copied())
            .map(|day| {
                let store = store.clone();
                let scope = range.scope.clone();
                async move {
                    let stats = store.stats(&day.to_string()).await?;
                    let one = ReportQuery {
                        from: day,
                        to: day,
                        scope,
                    };
                    Ok::<_, StoreError>(analytics_row(&day.to_string(), &compute(&one, &stats)))
                }
            })
            .buffered(DAYS_AT_ONCE)
            .try_collect()
            .await?;
        let csv = csv_document(&ANALYTICS_COLUMNS, rows)?;
        ApiResponse::csv(csv, format!("analytics-{}-{}.csv", range.from, range.to))
    }
}

/// How the export shows phone numbers (`phone=`): masked unless asked; whole for admins only.
fn phone_column(q: &Query, caller: &Caller) -> Result<PhoneColumn, ApiError> {
    match q.get("phone") {
        None | Some("masked") => Ok(PhoneColumn::Masked),
        Some("none") => Ok(PhoneColumn::Omitted),
        Some("full") if caller.role == Role::Admin => Ok(PhoneColumn::Full),
        Some("full") => Err(ApiError::forbidden(
            "full phone numbers are exported for admins only; leave out phone= for masked numbers",
        )),
        Some(_) => Err(ApiError::field("phone", "must be masked, full or none")),
    }
}

/// The days the exported tickets were opened on (`from`, `to`: today if left out), if any.
fn opened_range(q: &Query, today: &str) -> Result<Option<ReportQuery>, ApiError> {
    Ok(match (q.get("from"), q.get("to")) {
        (None, None) => None,
        (None, Some(_)) => return Err(ApiError::field("from", "is needed with to")),
        (Some(from), to) => Some(ReportQuery::spanning(
            from,
            to.unwrap_or(today),
            "all",
            MAX_ANALYTICS_DAYS,
        )?),
    })
}

#[cfg(test)]
mod tests;
