//! SLA policies (`config/sla.toml`): calendars, policies chosen by ticket facts, targets, the
//! bot time limit and the escalation chain; and the deadlines a policy gives a start time.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, CalendarError, Opening, Pause};
use crate::domain::bot::Priority;
use crate::domain::bot::matcher::{contains_phrase, normalize};

/// The policies shipped with the code.
pub const DEFAULT_SLA: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../config/sla.toml"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
    NextResponse,
    Resolution,
    BotTimeLimit,
    /// Quiet after a self-service answer: resolved by the bot when it runs out.
    BotSilence,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Self::FirstResponse,
        Self::NextResponse,
        Self::Resolution,
        Self::BotTimeLimit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::NextResponse => "next_response",
            Self::Resolution => "resolution",
            Self::BotTimeLimit => "bot_time_limit",
            Self::BotSilence => "bot_silence",
        }
    }
}

/// What an escalation level does. Written as in the policy file: `notify_managers`,
/// `notify_assignee`, `raise_priority`, `reassign:<team>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Action {
    NotifyManagers,
    NotifyAssignee,
    RaisePriority,
    /// Move the ticket to this team (e.g. `senior`).
    Reassign(String),
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        match a {
            Action::NotifyManagers => "notify_managers".into(),
            Action::NotifyAssignee => "notify_assignee".into(),
            Action::RaisePriority => "raise_priority".into(),
            Action::Reassign(team) => format!("reassign:{team}"),
        }
    }
}

impl TryFrom<String> for Action {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("unknown action {s:?}"))
    }
}

impl Action {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "notify_managers" => Self::NotifyManagers,
            "notify_assignee" => Self::NotifyAssignee,
            "raise_priority" => Self::RaisePriority,
            other => {
                let team = other.strip_prefix("reassign:")?;
                if team.is_empty() {
                    return None;
                }
                Self::Reassign(team.to_owned())
            }
        })
    }
}

/// Why an SLA policy file cannot be used: the file, and the field and line with the problem.
pub type SlaConfigError = crate::platform::config_file::ConfigFileError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    default_policy: String,
    calendars: BTreeMap<String, CalendarSpec>,
    policies: Vec<PolicySpec>,
    bot: BotSpec,
    escalation: EscalationSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpec {
    #[serde(default)]
    always: bool,
    time_zone: Option<String>,
    #[serde(default)]
    monday: Vec<String>,
    #[serde(default)]
    tuesday: Vec<String>,
    #[serde(default)]
    wednesday: Vec<String>,
    #[serde(default)]
    thursday: Vec<String>,
    #[serde(default)]
    friday: Vec<String>,
    #[serde(default)]
    saturday: Vec<String>,
    #[serde(default)]
    sunday: Vec<String>,
    #[serde(default)]
    holidays: Vec<HolidaySpec>,
}

/// A holiday: `"2026-12-24"`, or with the name the admin area shows,
/// `{ date = "2026-12-24", name = "Heiligabend" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HolidaySpec {
    Date(String),
    Named(NamedHoliday),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedHoliday {
    date: String,
    #[allow(dead_code)] // shown by the admin area, not needed for deadlines
    name: String,
}

impl HolidaySpec {
    fn date(&self) -> &str {
        match self {
            Self::Date(d) => d,
            Self::Named(n) => &n.date,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    priorities: Vec<Priority>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    tiers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    name: String,
    #[serde(default)]
    when: WhenSpec,
    calendar: String,
    first_response: String,
    next_response: String,
    resolution: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BotSpec {
    time_limit: String,
    resolve_after_silence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationSpec {
    warning_percent: u8,
    levels: Vec<LevelSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelSpec {
    after: String,
    actions: Vec<String>,
}

/// What decides a ticket's policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketFacts<'a> {
    pub channel: &'a str,
    pub priority: Option<Priority>,
    pub category: Option<&'a str>,
    /// The customer's words, for keyword conditions.
    pub text: Option<&'a str>,
    pub tier: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub calendar: String,
    channels: Vec<String>,
    priorities: Vec<Priority>,
    categories: Vec<String>,
    keywords: Vec<Vec<String>>,
    tiers: Vec<String>,
    pub first_response: SignedDuration,
    pub next_response: SignedDuration,
    pub resolution: SignedDuration,
}

impl Policy {
    fn matches(&self, facts: &TicketFacts<'_>) -> bool {
        let channel = self.channels.is_empty() || self.channels.iter().any(|c| c == facts.channel);
        let priority = self.priorities.is_empty()
            || facts.priority.is_some_and(|p| self.priorities.contains(&p));
        let tier = self.tiers.is_empty()
            || facts
                .tier
                .is_some_and(|t| self.tiers.iter().any(|x| x == t));
        let topic = (self.categories.is_empty() && self.keywords.is_empty())
            || facts
                .category
                .is_some_and(|c| self.categories.iter().any(|x| x == c))
            || facts.text.is_some_and(|text| {
                let normalized = normalize(text);
                let words: Vec<&str> = normalized.split_whitespace().collect();
                self.keywords.iter().any(|k| contains_phrase(&words, k))
            });
        channel && priority && tier && topic
    }
}

#[derive(Debug, Clone)]
pub struct Level {
    /// 1 is the breach itself.
    pub number: u8,
    /// Business time after the breach.
    pub after: SignedDuration,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct SlaConfig {
    pub calendars: BTreeMap<String, Calendar>,
    pub policies: Vec<Policy>,
    default_policy: usize,
    pub bot_time_limit: SignedDuration,
    pub bot_silence: SignedDuration,
    pub warning_percent: u8,
    pub levels: Vec<Level>,
}

/// The timeline of one target: warning, breach and escalation levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetSchedule {
    pub target: Target,
    pub warning_at: Timestamp,
    pub due_at: Timestamp,
    /// (level number, when, actions), level 1 at the breach.
    pub levels: Vec<(u8, Timestamp, Vec<Action>)>,
}

impl SlaConfig {
    /// The teams escalation levels move tickets to (`reassign:<team>`), in level order.
    pub fn escalation_teams(&self) -> Vec<String> {
        let mut teams: Vec<String> = Vec::new();
        for action in self.levels.iter().flat_map(|l| &l.actions) {
            if let Action::Reassign(team) = action
                && !teams.contains(team)
            {
                teams.push(team.clone());
            }
        }
        teams
    }

    pub fn default_policies() -> Self {
        Self::parse(DEFAULT_SLA, "config/sla.toml").expect("the shipped SLA policies are valid")
    }

    pub fn load(path: &std::path::Path) -> Result<Self, SlaConfigError> {
        let (source, origin) = crate::platform::config_file::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    pub fn parse(source: &str, origin: &str) -> Result<Self, SlaConfigError> {
        let file: File = crate::platform::config_file::parse_toml(source, origin)?;
        let at = Spots { source, origin };
        at.check_version(&file)?;
        let calendars = at.calendars(&file)?;
        let policies = at.policies(&file, &calendars)?;
        let default_policy = at.default_policy(&file, &policies)?;
        let (bot_time_limit, bot_silence) = at.bot_times(&file.bot)?;
        let levels = at.escalation_levels(&file.escalation)?;
        Ok(Self {
            calendars,
            policies,
            default_policy,
            bot_time_limit,
            bot_silence,
            warning_percent: file.escalation.warning_percent,
            levels,
        })
    }

    /// The first policy whose conditions match, else the default.
    pub fn select(&self, facts: &TicketFacts<'_>) -> &Policy {
        self.policies
            .iter()
            .find(|p| p.matches(facts))
            .unwrap_or(&self.policies[self.default_policy])
    }

    /// Whether a policy of this name exists.
    pub fn has_policy(&self, name: &str) -> bool {
        self.policies.iter().any(|p| p.name == name)
    }

    pub fn calendar(&self, policy: &Policy) -> &Calendar {
        &self.calendars[&policy.calendar]
    }

    /// The warning, breach and escalation times of `target` started at `start`. `Ok(None)` while
    /// paused.
    pub fn schedule(
        &self,
        policy: &Policy,
        target: Target,
        start: Timestamp,
        pauses: &[Pause],
    ) -> Result<Option<TargetSchedule>, CalendarError> {
        let calendar = self.calendar(policy);
        let duration = match target {
            Target::FirstResponse => policy.first_response,
            Target::NextResponse => policy.next_response,
            Target::Resolution => policy.resolution,
            // The bot works around the clock.
            Target::BotTimeLimit | Target::BotSilence => {
                let limit = if target == Target::BotTimeLimit {
                    self.bot_time_limit
                } else {
                    self.bot_silence
                };
                let always = Calendar::always("bot");
                let Some(due) = always.deadline(start, limit, pauses)? else {
                    return Ok(None);
                };
                return Ok(Some(TargetSchedule {
                    target,
                    warning_at: due,
                    due_at: due,
                    levels: Vec::new(),
                }));
            }
        };
        let Some(due_at) = calendar.deadline(start, duration, pauses)? else {
            return Ok(None);
        };
        let warning = duration
            .checked_mul(i32::from(self.warning_percent))
            .unwrap_or(duration)
            / 100;
        let Some(warning_at) = calendar.deadline(start, warning, pauses)? else {
            return Ok(None);
        };
        let mut levels = Vec::new();
        for level in &self.levels {
            match calendar.deadline(due_at, level.after, pauses)? {
                Some(at) => levels.push((level.number, at, level.actions.clone())),
                None => return Ok(None),
            }
        }
        Ok(Some(TargetSchedule {
            target,
            warning_at,
            due_at,
            levels,
        }))
    }
}

/// Where in the policy file a problem is: every error names the file, the field and, when it
/// can be found, the line holding the bad value (or, for a number, its key).
struct Spots<'a> {
    source: &'a str,
    origin: &'a str,
}

impl Spots<'_> {
    fn fail_at(&self, field: String, line: Option<usize>, problem: String) -> SlaConfigError {
        SlaConfigError::invalid(self.origin, field, problem).at_line(line)
    }

    fn fail(&self, field: String, problem: String) -> SlaConfigError {
        self.fail_at(field, None, problem)
    }

    fn near(&self, value: &str) -> Option<usize> {
        crate::platform::config_file::line_of(self.source, value)
    }

    fn check_version(&self, file: &File) -> Result<(), SlaConfigError> {
        if file.version != 1 {
            return Err(self.fail_at(
                "version".into(),
                crate::platform::config_file::line_of_key(self.source, "version"),
                format!("is {}, this code reads version 1", file.version),
            ));
        }
        Ok(())
    }

    fn calendars(&self, file: &File) -> Result<BTreeMap<String, Calendar>, SlaConfigError> {
        let mut calendars = BTreeMap::new();
        for (name, spec) in &file.calendars {
            calendars.insert(
                name.clone(),
                calendar(name, spec)
                    .map_err(|(f, p)| self.fail(format!("calendars.{name}.{f}"), p))?,
            );
        }
        Ok(calendars)
    }

    fn policies(
        &self,
        file: &File,
        calendars: &BTreeMap<String, Calendar>,
    ) -> Result<Vec<Policy>, SlaConfigError> {
        let mut policies = Vec::new();
        for (i, p) in file.policies.iter().enumerate() {
            let field = |f: &str| format!("policies[{i}].{f}");
            if !calendars.contains_key(&p.calendar) {
                return Err(self.fail_at(
                    field("calendar"),
                    self.near(&p.calendar),
                    format!("no calendar named {:?}", p.calendar),
                ));
            }
            if policies.iter().any(|q: &Policy| q.name == p.name) {
                return Err(self.fail(
                    field("name"),
                    format!("policy {:?} is defined twice", p.name),
                ));
            }
            let target = |f: &str, v: &str| {
                let d = parse_duration(v).map_err(|e| self.fail_at(field(f), self.near(v), e))?;
                if d.is_zero() {
                    return Err(self.fail_at(
                        field(f),
                        self.near(v),
                        "must be longer than zero".into(),
                    ));
                }
                Ok(d)
            };
            policies.push(Policy {
                name: p.name.clone(),
                calendar: p.calendar.clone(),
                channels: p.when.channels.clone(),
                priorities: p.when.priorities.clone(),
                categories: p.when.categories.clone(),
                keywords: p
                    .when
                    .keywords
                    .iter()
                    .map(|k| normalize(k).split_whitespace().map(str::to_owned).collect())
                    .collect(),
                tiers: p.when.tiers.clone(),
                first_response: target("first_response", &p.first_response)?,
                next_response: target("next_response", &p.next_response)?,
                resolution: target("resolution", &p.resolution)?,
            });
        }
        Ok(policies)
    }

    fn default_policy(&self, file: &File, policies: &[Policy]) -> Result<usize, SlaConfigError> {
        policies
            .iter()
            .position(|p| p.name == file.default_policy)
            .ok_or_else(|| {
                self.fail_at(
                    "default_policy".into(),
                    self.near(&file.default_policy),
                    format!("no policy named {:?}", file.default_policy),
                )
            })
    }

    /// The bot's time limit and the silence after which it resolves.
    fn bot_times(&self, bot: &BotSpec) -> Result<(SignedDuration, SignedDuration), SlaConfigError> {
        let time_limit = parse_duration(&bot.time_limit)
            .map_err(|e| self.fail_at("bot.time_limit".into(), self.near(&bot.time_limit), e))?;
        let silence = parse_duration(&bot.resolve_after_silence).map_err(|e| {
            self.fail_at(
                "bot.resolve_after_silence".into(),
                self.near(&bot.resolve_after_silence),
                e,
            )
        })?;
        Ok((time_limit, silence))
    }

    /// The warning share and the levels: the breach and at least two further ones, each later
    /// than the one before.
    fn escalation_levels(&self, e: &EscalationSpec) -> Result<Vec<Level>, SlaConfigError> {
        if !(1..=99).contains(&e.warning_percent) {
            return Err(self.fail_at(
                "escalation.warning_percent".into(),
                crate::platform::config_file::line_of_key(self.source, "warning_percent"),
                "must be 1-99".into(),
            ));
        }
        if e.levels.len() < 3 {
            return Err(self.fail(
                "escalation.levels".into(),
                "needs the breach and at least two further levels".into(),
            ));
        }
        let mut levels = Vec::new();
        for (i, l) in e.levels.iter().enumerate() {
            let after = parse_duration(&l.after).map_err(|p| {
                self.fail_at(
                    format!("escalation.levels[{i}].after"),
                    self.near(&l.after),
                    p,
                )
            })?;
            if levels
                .last()
                .is_some_and(|prev: &Level| prev.after >= after)
            {
                return Err(self.fail_at(
                    format!("escalation.levels[{i}].after"),
                    self.near(&l.after),
                    "must be later than the level before".into(),
                ));
            }
            let actions = l
                .actions
                .iter()
                .map(|a| {
                    Action::parse(a).ok_or_else(|| {
                        self.fail_at(
                            format!("escalation.levels[{i}].actions"),
                            self.near(a),
                            format!("unknown action {a:?}; known: notify_managers, notify_assignee, raise_priority, reassign:<team>"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            levels.push(Level {
                number: u8::try_from(i + 1).unwrap_or(u8::MAX),
                after,
                actions,
            });
        }
        Ok(levels)
    }
}

fn calendar(name: &str, spec: &CalendarSpec) -> Result<Calendar, (String, String)> {
    let time_zone = match &spec.time_zone {
        Some(tz) => TimeZone::get(tz).map_err(|e| {
            (
                "time_zone".to_owned(),
                format!("{tz:?} is not a time zone ({e})"),
            )
        })?,
        None if spec.always => TimeZone::UTC,
        None => {
            return Err((
                "time_zone".into(),
                "is required for a calendar with opening hours".into(),
            ));
        }
    };
    if spec.always {
        return Ok(Calendar {
            time_zone,
            ..Calendar::always(name)
        });
    }
    let days = [
        ("monday", &spec.monday),
        ("tuesday", &spec.tuesday),
        ("wednesday", &spec.wednesday),
        ("thursday", &spec.thursday),
        ("friday", &spec.friday),
        ("saturday", &spec.saturday),
        ("sunday", &spec.sunday),
    ];
    let mut week: [Vec<Opening>; 7] = Default::default();
    for (i, (day, ranges)) in days.into_iter().enumerate() {
        for range in ranges {
            week[i].push(opening(range).map_err(|p| (day.to_owned(), p))?);
        }
        week[i].sort_by_key(|o| o.open);
        if week[i]
            .windows(2)
            .any(|w| w[0].close.is_none_or(|c| c > w[1].open))
        {
            return Err((day.to_owned(), "has overlapping hours".into()));
        }
    }
    if week.iter().all(Vec::is_empty) {
        return Err((
            "hours".into(),
            "the calendar is never open; give hours or `always = true`".into(),
        ));
    }
    let holidays = spec
        .holidays
        .iter()
        .map(|h| {
            let h = h.date();
            h.parse::<Date>().map_err(|_| {
                (
                    "holidays".to_owned(),
                    format!("{h:?} is not a date like 2026-12-24"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Calendar {
        name: name.to_owned(),
        time_zone,
        week: Some(week),
        holidays,
    })
}

/// `"08:00-18:00"`; `24:00` closes at midnight.
fn opening(range: &str) -> Result<Opening, String> {
    let bad = || format!("{range:?} is not like \"08:00-18:00\"");
    let (open, close) = range.split_once('-').ok_or_else(bad)?;
    let open: Time = open.trim().parse().map_err(|_| bad())?;
    let close = match close.trim() {
        "24:00" => None,
        c => Some(c.parse::<Time>().map_err(|_| bad())?),
    };
    if close.is_some_and(|c| c <= open) {
        return Err(format!("{range:?} closes before it opens"));
    }
    Ok(Opening { open, close })
}

/// `"15m"`, `"4h"`, `"1h30m"`, `"1d 2h"`, `"2d"` (a day is 24 hours), `"0m"`. Spaces may part
/// the units (not a number from its unit).
pub fn parse_duration(s: &str) -> Result<SignedDuration, String> {
    let bad = || format!("{s:?} is not a duration like \"15m\", \"4h\", \"1h30m\" or \"2d\"");
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if c == ' ' && number.is_empty() {
            continue;
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let minutes = match c {
            'd' => n.checked_mul(24 * 60),
            'h' => n.checked_mul(60),
            'm' => Some(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(minutes).ok_or_else(bad)?;
    }
    if !number.is_empty() || s.trim().is_empty() {
        return Err(bad());
    }
    Ok(SignedDuration::from_mins(total))
}

#[cfg(test)]
mod tests;
