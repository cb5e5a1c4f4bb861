use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_shipped_policies_are_valid() {
    let sla = SlaConfig::default_policies();
    assert_eq!(sla.policies.len(), 4);
    assert_eq!(sla.levels.len(), 3);
    assert_eq!(sla.bot_time_limit, SignedDuration::from_mins(5));
}

#[test]
fn the_first_matching_policy_wins_and_the_default_catches_the_rest() {
    let sla = SlaConfig::default_policies();
    let pick = |facts: TicketFacts<'_>| sla.select(&facts).name.clone();
    let base = TicketFacts {
        channel: "whatsapp",
        ..Default::default()
    };
    assert_eq!(pick(base), "standard");
    assert_eq!(
        pick(TicketFacts {
            priority: Some(Priority::Urgent),
            ..base
        }),
        "urgent"
    );
    assert_eq!(
        pick(TicketFacts {
            category: Some("fraud"),
            priority: Some(Priority::Urgent),
            ..base
        }),
        "fraud"
    );
    assert_eq!(
        pick(TicketFacts {
            text: Some("Das ist Betrug!"),
            ..base
        }),
        "fraud"
    );
    assert_eq!(
        pick(TicketFacts {
            tier: Some("vip"),
            ..base
        }),
        "vip"
    );
}

#[test]
fn a_schedule_has_warning_breach_and_escalations_in_business_time() {
    let sla = SlaConfig::default_policies();
    let standard = sla.select(&TicketFacts::default());
    // Tue 24 Nov 2026 10:00 CET; first response 4 h of office time.
    let s = sla
        .schedule(
            standard,
            Target::FirstResponse,
            ts("2026-11-24T09:00:00Z"),
            &[],
        )
        .unwrap()
        .unwrap();
    assert_eq!(s.due_at, ts("2026-11-24T13:00:00Z"));
    assert_eq!(s.warning_at, ts("2026-11-24T12:12:00Z"), "80 % of 4 h");
    let levels: Vec<Timestamp> = s.levels.iter().map(|l| l.1).collect();
    assert_eq!(
        levels,
        [
            ts("2026-11-24T13:00:00Z"),
            ts("2026-11-24T13:30:00Z"),
            ts("2026-11-24T15:00:00Z")
        ]
    );
    assert_eq!(
        s.levels[1].2,
        [Action::RaisePriority, Action::Reassign("senior".into())]
    );
}

#[test]
fn a_holiday_may_carry_a_name_and_counts_like_a_plain_date() {
    let named = DEFAULT_SLA.replacen(
        "holidays = [\"2026-12-24\"",
        "holidays = [{ date = \"2026-11-25\", name = \"Betriebsausflug\" }, \"2026-12-24\"",
        1,
    );
    let sla = SlaConfig::parse(&named, "sla.toml").unwrap();
    let office = sla.calendars.get("office").unwrap();
    assert!(office.holidays.contains(&"2026-11-25".parse().unwrap()));
    assert!(office.holidays.contains(&"2026-12-24".parse().unwrap()));
    let bad = named.replacen("2026-11-25", "2026-11-31", 1);
    assert!(
        SlaConfig::parse(&bad, "sla.toml")
            .unwrap_err()
            .to_string()
            .contains("calendars.office.holidays: \"2026-11-31\" is not a date"),
    );
}

#[test]
fn durations_read_as_written() {
    assert_eq!(parse_duration("15m"), Ok(SignedDuration::from_mins(15)));
    assert_eq!(parse_duration("1h30m"), Ok(SignedDuration::from_mins(90)));
    assert_eq!(parse_duration("2d"), Ok(SignedDuration::from_hours(48)));
    assert_eq!(parse_duration("1d 2h"), Ok(SignedDuration::from_hours(26)));
    for bad in [
        "",
        "15",
        "m",
        "1x",
        "1.5h",
        "-1h",
        "4 h",
        "1 5m",
        "15 minutes",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

fn broken(from: &str, to: &str) -> String {
    assert!(DEFAULT_SLA.contains(from), "{from}");
    SlaConfig::parse(&DEFAULT_SLA.replacen(from, to, 1), "sla.toml")
        .unwrap_err()
        .to_string()
}

/// The 1-based line of the first occurrence of `text` in the shipped policies.
fn line_in_default(text: &str) -> usize {
    DEFAULT_SLA[..DEFAULT_SLA.find(text).unwrap()]
        .matches('\n')
        .count()
        + 1
}

#[test]
fn configuration_errors_name_the_line_of_the_bad_value() {
    let cases = [
        ("calendar = \"always\"", "calendar = \"allways\""),
        (
            "first_response = \"15m\"",
            "first_response = \"15 minutes\"",
        ),
        (
            "default_policy = \"standard\"",
            "default_policy = \"normal\"",
        ),
        ("\"raise_priority\"", "\"raise_prio\""),
        ("warning_percent = ", "warning_percent = 0 #"),
    ];
    for (from, to) in cases {
        let line = line_in_default(from);
        let err = broken(from, to);
        assert!(
            err.starts_with(&format!("sla.toml line {line}: ")),
            "{from}: {err}"
        );
    }
}

#[test]
fn configuration_errors_name_the_field() {
    assert!(
        broken("calendar = \"always\"", "calendar = \"allways\"")
            .contains("policies[0].calendar: no calendar named \"allways\"")
    );
    assert!(
        broken(
            "default_policy = \"standard\"",
            "default_policy = \"normal\""
        )
        .contains("default_policy: no policy named \"normal\"")
    );
    assert!(
        broken(
            "first_response = \"15m\"",
            "first_response = \"15 minutes\""
        )
        .contains("policies[0].first_response")
    );
    assert!(
        broken(
            "time_zone = \"Europe/Berlin\"",
            "time_zone = \"Europe/Berlim\""
        )
        .contains("calendars.office.time_zone")
    );
    assert!(
        broken("monday = [\"08:00-18:00\"]", "monday = [\"18:00-08:00\"]")
            .contains("calendars.office.monday")
    );
    assert!(
        broken("\"raise_priority\"", "\"raise_prio\"").contains("unknown action \"raise_prio\"")
    );
    assert!(
        broken("after = \"2h\"", "after = \"10m\"").contains("must be later than the level before")
    );
}
