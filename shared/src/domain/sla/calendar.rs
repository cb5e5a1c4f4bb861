//! Business calendars: opening hours per weekday in a time zone, holidays, or 24/7. Deadlines are
//! business time added to a start, minus paused periods, correct across daylight-saving changes
//! (intervals are laid out in local time and converted to instants one by one).

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// How far ahead a deadline is searched before the calendar is declared to have no time left.
const MAX_DAYS: i32 = 3 * 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("no business time within {MAX_DAYS} days of the start (check hours and holidays)")]
    NoTimeLeft,
    #[error("the time zone or date arithmetic failed: {0}")]
    Time(String),
}

/// A paused period (the ticket waited on the customer). `to: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// Opening hours of one day: `[open, close)` local times; `close` of `None` means midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub open: Time,
    pub close: Option<Time>,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    pub time_zone: TimeZone,
    /// Monday first; empty means closed all day. `None` for a 24/7 calendar.
    pub week: Option<[Vec<Opening>; 7]>,
    pub holidays: Vec<Date>,
}

impl Calendar {
    /// Open all the time: business time is elapsed time.
    pub fn always(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            time_zone: TimeZone::UTC,
            week: None,
            holidays: Vec::new(),
        }
    }

    /// The instant when `duration` of business time, not counting `pauses`, has passed since
    /// `start`. `Ok(None)` while a pause is still open (the clock is stopped).
    pub fn deadline(
        &self,
        start: Timestamp,
        duration: SignedDuration,
        pauses: &[Pause],
    ) -> Result<Option<Timestamp>, CalendarError> {
        let pauses = match merged(pauses) {
            Some(p) => p,
            None => return Ok(None),
        };
        let mut remaining = duration.max(SignedDuration::ZERO);
        if remaining.is_zero() {
            return Ok(Some(start));
        }
        let mut result = None;
        self.for_each_interval(start, |from, to| {
            for (a, b) in subtract(from, to, &pauses) {
                let length = match b {
                    Some(b) => b.duration_since(a),
                    None => SignedDuration::MAX,
                };
                if remaining <= length {
                    result = Some(
                        a.checked_add(remaining)
                            .map_err(|e| CalendarError::Time(e.to_string()))?,
                    );
                    return Ok(true);
                }
                remaining -= length;
            }
            Ok(false)
        })?;
        result.map(Some).ok_or(CalendarError::NoTimeLeft)
    }

    /// Calls `visit(from, to)` for each open interval at or after `start`, in order, until it
    /// returns true. `to: None` is an interval without end (24/7).
    fn for_each_interval(
        &self,
        start: Timestamp,
        mut visit: impl FnMut(Timestamp, Option<Timestamp>) -> Result<bool, CalendarError>,
    ) -> Result<(), CalendarError> {
        let Some(week) = &self.week else {
            visit(start, None)?;
            return Ok(());
        };
        let err = |e: jiff::Error| CalendarError::Time(e.to_string());
        // The day before, in case its hours reach past midnight in another offset.
        let mut day = start
            .to_zoned_datetime(self.time_zone.clone())
            .date()
            .yesterday()
            .map_err(err)?;
        for _ in 0..MAX_DAYS {
            if !self.holidays.contains(&day) {
                for opening in &week[weekday_index(day.weekday())] {
                    let open = day
                        .to_datetime(opening.open)
                        .to_zoned_datetime(self.time_zone.clone())
                        .map_err(err)?
                        .timestamp();
                    let close = match opening.close {
                        Some(t) => day.to_datetime(t),
                        None => day.tomorrow().map_err(err)?.to_datetime(Time::midnight()),
                    }
                    .to_zoned_datetime(self.time_zone.clone())
                    .map_err(err)?
                    .timestamp();
                    if close <= start {
                        continue;
                    }
                    if visit(open.max(start), Some(close))? {
                        return Ok(());
                    }
                }
            }
            day = day.tomorrow().map_err(err)?;
        }
        Err(CalendarError::NoTimeLeft)
    }
}

fn weekday_index(w: Weekday) -> usize {
    usize::try_from(w.to_monday_zero_offset()).unwrap_or(0)
}

/// Sorted, merged pauses; `None` if one is still open.
fn merged(pauses: &[Pause]) -> Option<Vec<(Timestamp, Timestamp)>> {
    let mut closed: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(pauses.len());
    for p in pauses {
        let to = p.to?;
        if to > p.from {
            closed.push((p.from, to));
        }
    }
    closed.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(closed.len());
    for (a, b) in closed {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    Some(out)
}

/// `[from, to)` without the pauses, as ordered pieces.
fn subtract(
    from: Timestamp,
    to: Option<Timestamp>,
    pauses: &[(Timestamp, Timestamp)],
) -> Vec<(Timestamp, Option<Timestamp>)> {
    let mut pieces = Vec::new();
    let mut cursor = from;
    for &(a, b) in pauses {
        if b <= cursor {
            continue;
        }
        if to.is_some_and(|t| a >= t) {
            break;
        }
        if a > cursor {
            pieces.push((cursor, Some(to.map_or(a, |t| a.min(t)))));
        }
        cursor = cursor.max(b);
    }
    if to.is_none_or(|t| cursor < t) {
        pieces.push((cursor, to));
    }
    pieces
}

#[cfg(test)]
mod tests;
