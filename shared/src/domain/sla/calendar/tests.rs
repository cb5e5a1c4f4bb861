use jiff::civil::{date, time};
use proptest::prelude::*;

use super::*;

fn office() -> Calendar {
    let day = vec![Opening {
        open: time(8, 0, 0, 0),
        close: Some(time(18, 0, 0, 0)),
    }];
    Calendar {
        name: "office".into(),
        time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        week: Some([
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ]),
        holidays: vec![date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)],
    }
}

fn around_the_clock_berlin() -> Calendar {
    let day = vec![Opening {
        open: time(0, 0, 0, 0),
        close: None,
    }];
    Calendar {
        name: "berlin-24h".into(),
        time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        week: Some(std::array::from_fn(|_| day.clone())),
        holidays: vec![],
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

#[test]
fn business_time_is_counted_only_during_opening_hours() {
    let cases = [
        // start (UTC)                 business time  deadline (UTC)               why
        ("2026-11-24T09:00:00Z", hours(2), "2026-11-24T11:00:00Z"), // Tue 10:00 CET, within the day
        ("2026-11-24T15:00:00Z", hours(4), "2026-11-25T09:00:00Z"), // Tue 16:00 CET: 2 h today, 2 h Wed
        ("2026-11-27T15:00:00Z", hours(4), "2026-11-30T09:00:00Z"), // Fri 16:00: weekend skipped
        ("2026-11-28T10:00:00Z", hours(1), "2026-11-30T08:00:00Z"), // Sat: starts Mon 08:00 CET
        ("2026-11-24T05:00:00Z", hours(1), "2026-11-24T08:00:00Z"), // before opening
        ("2026-12-23T15:00:00Z", hours(4), "2026-12-28T09:00:00Z"), // holidays 24-26 Dec + Sunday
    ];
    for (start, duration, due) in cases {
        assert_eq!(
            office().deadline(ts(start), duration, &[]).unwrap(),
            Some(ts(due)),
            "{start} + {duration}"
        );
    }
}

#[test]
fn spring_forward_in_berlin_counts_the_real_hours_of_the_short_day() {
    // 29 Mar 2026 has 23 hours in Berlin. 24 business hours of a 24 h calendar from Saturday
    // 12:00 CET end on Sunday 13:00 CEST: 24 real hours later.
    let due = around_the_clock_berlin()
        .deadline(ts("2026-03-28T11:00:00Z"), hours(24), &[])
        .unwrap();
    assert_eq!(due, Some(ts("2026-03-29T11:00:00Z")));
    // Office hours around it: Friday 16:00 CET + 4 h ends Monday 10:00 CEST (08:00 UTC).
    let due = office()
        .deadline(ts("2026-03-27T15:00:00Z"), hours(4), &[])
        .unwrap();
    assert_eq!(due, Some(ts("2026-03-30T08:00:00Z")));
}

#[test]
fn fall_back_in_berlin_counts_the_real_hours_of_the_long_day() {
    // 25 Oct 2026 has 25 hours in Berlin.
    let due = around_the_clock_berlin()
        .deadline(ts("2026-10-24T10:00:00Z"), hours(24), &[])
        .unwrap();
    assert_eq!(due, Some(ts("2026-10-25T10:00:00Z")));
    // Office: Friday 23 Oct 16:00 CEST (14:00 UTC) + 4 h -> Monday 10:00 CET (09:00 UTC).
    let due = office()
        .deadline(ts("2026-10-23T14:00:00Z"), hours(4), &[])
        .unwrap();
    assert_eq!(due, Some(ts("2026-10-26T09:00:00Z")));
}

#[test]
fn paused_time_pushes_the_deadline_by_the_business_time_it_covered() {
    let start = ts("2026-11-24T09:00:00Z"); // Tue 10:00 CET
    let pause = Pause {
        from: ts("2026-11-24T10:00:00Z"),
        to: Some(ts("2026-11-24T11:30:00Z")),
    };
    assert_eq!(
        office().deadline(start, hours(2), &[pause]).unwrap(),
        Some(ts("2026-11-24T12:30:00Z"))
    );
    // A pause outside opening hours changes nothing.
    let night = Pause {
        from: ts("2026-11-24T20:00:00Z"),
        to: Some(ts("2026-11-25T06:00:00Z")),
    };
    assert_eq!(
        office().deadline(start, hours(2), &[night]).unwrap(),
        Some(ts("2026-11-24T11:00:00Z"))
    );
}

#[test]
fn an_open_pause_stops_the_clock() {
    let pause = Pause {
        from: ts("2026-11-24T10:00:00Z"),
        to: None,
    };
    assert_eq!(
        office()
            .deadline(ts("2026-11-24T09:00:00Z"), hours(2), &[pause])
            .unwrap(),
        None
    );
}

#[test]
fn a_24_7_calendar_adds_elapsed_time() {
    let always = Calendar::always("always");
    assert_eq!(
        always
            .deadline(ts("2026-11-24T09:00:00Z"), hours(2), &[])
            .unwrap(),
        Some(ts("2026-11-24T11:00:00Z"))
    );
    let pause = Pause {
        from: ts("2026-11-24T09:30:00Z"),
        to: Some(ts("2026-11-24T10:00:00Z")),
    };
    assert_eq!(
        always
            .deadline(ts("2026-11-24T09:00:00Z"), hours(2), &[pause])
            .unwrap(),
        Some(ts("2026-11-24T11:30:00Z"))
    );
}

#[test]
fn a_calendar_without_hours_has_no_time_left() {
    let mut closed = office();
    closed.week = Some(std::array::from_fn(|_| vec![]));
    assert_eq!(
        closed.deadline(ts("2026-11-24T09:00:00Z"), hours(1), &[]),
        Err(CalendarError::NoTimeLeft)
    );
}

fn arb_pauses() -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec((0i64..30 * 24 * 60, 0i64..3 * 24 * 60), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(from, len)| {
                let from = ts("2026-03-20T00:00:00Z")
                    .checked_add(SignedDuration::from_mins(from))
                    .unwrap();
                Pause {
                    from,
                    to: Some(from.checked_add(SignedDuration::from_mins(len)).unwrap()),
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_deadline_is_never_before_its_start(start_min in 0i64..60 * 24 * 60, minutes in 0i64..5000, pauses in arb_pauses()) {
        let start = ts("2026-03-20T00:00:00Z").checked_add(SignedDuration::from_mins(start_min)).unwrap();
        for calendar in [office(), around_the_clock_berlin(), Calendar::always("always")] {
            let due = calendar.deadline(start, SignedDuration::from_mins(minutes), &pauses).unwrap().unwrap();
            prop_assert!(due >= start);
        }
    }

    #[test]
    fn adding_a_pause_never_makes_a_deadline_earlier(start_min in 0i64..60 * 24 * 60, minutes in 1i64..5000, pauses in arb_pauses(), extra in arb_pauses()) {
        let start = ts("2026-03-20T00:00:00Z").checked_add(SignedDuration::from_mins(start_min)).unwrap();
        let mut more = pauses.clone();
        more.extend(extra);
        for calendar in [office(), around_the_clock_berlin(), Calendar::always("always")] {
            let before = calendar.deadline(start, SignedDuration::from_mins(minutes), &pauses).unwrap().unwrap();
            let after = calendar.deadline(start, SignedDuration::from_mins(minutes), &more).unwrap().unwrap();
            prop_assert!(after >= before);
        }
    }
}
