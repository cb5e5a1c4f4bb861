//! The schedule pump: no emulator fires EventBridge Scheduler schedules, so locally and in tests
//! this plays the service. It lists the schedules of our group, and for each whose `at()` time
//! has come, sends its target Input to the target queue and deletes it (as ActionAfterCompletion
//! DELETE would). Production uses the real Scheduler.

use jiff::Timestamp;
use jiff::civil::DateTime;

#[derive(Debug, thiserror::Error)]
#[error("schedule pump: {0}")]
pub struct PumpError(String);

fn fail<E: std::error::Error>(what: &str, e: E) -> PumpError {
    PumpError(format!(
        "{what}: {}",
        aws_sdk_scheduler::error::DisplayErrorContext(e)
    ))
}

/// `at(2026-11-24T12:12:00)` (UTC) as an instant.
pub fn parse_at(expression: &str) -> Option<Timestamp> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let dt: DateTime = inner.parse().ok()?;
    dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Fires every schedule of `group` due at `now`; returns how many fired.
pub async fn fire_due(
    scheduler: &aws_sdk_scheduler::Client,
    sqs: &aws_sdk_sqs::Client,
    group: &str,
    now: Timestamp,
) -> Result<usize, PumpError> {
    let mut names = Vec::new();
    let mut pages = scheduler
        .list_schedules()
        .group_name(group)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail("ListSchedules", e))?;
        names.extend(
            page.schedules()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned)),
        );
    }
    let mut fired = 0;
    for name in names {
        let schedule = match scheduler
            .get_schedule()
            .group_name(group)
            .name(&name)
            .send()
            .await
        {
            Ok(s) => s,
            // Deleted meanwhile (disarmed): nothing to fire.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                continue;
            }
            Err(e) => return Err(fail("GetSchedule", e)),
        };
        let Some(due) = schedule.schedule_expression().and_then(parse_at) else {
            continue;
        };
        if due > now {
            continue;
        }
        let Some(target) = schedule.target() else {
            continue;
        };
        let queue_name = target.arn().rsplit(':').next().unwrap_or_default();
        let url = sqs
            .get_queue_url()
            .queue_name(queue_name)
            .send()
            .await
            .map_err(|e| fail("GetQueueUrl", e))?
            .queue_url
            .unwrap_or_default();
        sqs.send_message()
            .queue_url(&url)
            .message_body(target.input().unwrap_or("{}"))
            .send()
            .await
            .map_err(|e| fail("SendMessage", e))?;
        match scheduler
            .delete_schedule()
            .group_name(group)
            .name(&name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) => {}
            Err(e) => return Err(fail("DeleteSchedule", e)),
        }
        fired += 1;
    }
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_read_as_utc_instants() {
        assert_eq!(
            parse_at("at(2026-11-24T12:12:00)"),
            Some("2026-11-24T12:12:00Z".parse().unwrap())
        );
        assert_eq!(parse_at("rate(5 minutes)"), None);
        assert_eq!(parse_at("at(yesterday)"), None);
    }
}
