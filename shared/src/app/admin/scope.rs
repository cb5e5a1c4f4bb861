//! Which parts of a configuration document a supervisor may change: those of their own teams.
//! Compared on the parsed TOML (comments and layout may change freely), part by part; a part
//! that differs between the two versions must belong to the supervisor's teams, before and
//! after the change.
//!
//! - **routing**: the rules of a team are that team's (in their order); `default_team` (the team
//!   that owns the channel) belongs to the old and the new default team.
//! - **sla**: a policy whose `when.categories` name teams (a ticket's category is the team routing
//!   chose) belongs to those teams; a policy without categories applies to every team's tickets.
//!   The calendars (business hours, holidays) are the company's: every supervisor may change them
//!   (the shop is closed for everyone on a holiday). The bot limits, the escalation levels and
//!   `default_policy` concern every team.
//! - **canned_responses**: a team response belongs to its team; a personal one to its owner; a
//!   global one to every team.
//!
//! What belongs to every team only admins change.

use std::collections::BTreeMap;

use toml::Value;

use crate::domain::config_doc::ConfigKind;

/// Who a part of a document belongs to.
#[derive(Debug, Clone, PartialEq)]
enum Owner {
    /// These teams (all of them must be the supervisor's).
    Teams(Vec<String>),
    /// One agent's own.
    Agent(String),
    /// Every team's.
    Everyone,
    /// Shared by every team but open to every supervisor (the SLA calendars).
    Shared,
}

/// A document as named parts: what each part is and whom it belongs to.
type Parts = BTreeMap<String, (Value, Owner)>;

/// Whether a supervisor (`agent`, in `teams`) may change `kind` from `old` to `new`. `Err` names
/// every part of another team (or of everyone) the change touches. Documents that do not parse
/// are the validator's to report: nothing to compare.
pub fn team_scope_change(
    kind: ConfigKind,
    old: &str,
    new: &str,
    agent: &str,
    teams: &[String],
) -> Result<(), String> {
    let parse = |s: &str| toml::from_str::<Value>(s).ok();
    let (Some(old), Some(new)) = (parse(old), parse(new)) else {
        return Ok(());
    };
    let split = match kind {
        ConfigKind::Routing => routing_parts,
        ConfigKind::Sla => sla_parts,
        ConfigKind::CannedResponses => canned_parts,
        // The bot's FAQ rule and admin-only kinds are checked elsewhere.
        _ => return Ok(()),
    };
    let (a, b) = (split(&old), split(&new));
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    let mut refused = Vec::new();
    for name in names {
        let (before, after) = (a.get(name), b.get(name));
        if before.map(|p| &p.0) == after.map(|p| &p.0) {
            continue;
        }
        let mine = |owner: &Owner| match owner {
            Owner::Teams(ts) => !ts.is_empty() && ts.iter().all(|t| teams.contains(t)),
            Owner::Agent(a) => a == agent,
            Owner::Everyone => false,
            Owner::Shared => true,
        };
        let owners: Vec<&Owner> = [before, after]
            .into_iter()
            .flatten()
            .map(|p| &p.1)
            .collect();
        if let Some(other) = owners.iter().find(|o| !mine(o)) {
            refused.push(format!("{name} ({})", describe(other)));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let yours = if teams.is_empty() {
        "you are in no team".to_owned()
    } else {
        format!("yours: {}", teams.join(", "))
    };
    Err(format!(
        "supervisors change only their own teams' parts of {kind} ({yours}); this also changes {}",
        refused.join(", ")
    ))
}

fn describe(owner: &Owner) -> String {
    match owner {
        Owner::Teams(ts) if ts.len() == 1 => format!("team {}", ts[0]),
        Owner::Teams(ts) => format!("teams {}", ts.join(", ")),
        Owner::Agent(a) => format!("agent {a}'s own"),
        Owner::Everyone | Owner::Shared => "every team: admins change it".to_owned(),
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Everything but `keys` as one part that belongs to every team.
fn rest(doc: &Value, keys: &[&str], parts: &mut Parts) {
    let mut rest = doc.clone();
    if let Some(t) = rest.as_table_mut() {
        for k in keys {
            t.remove(*k);
        }
    }
    parts.insert("the rest of the document".into(), (rest, Owner::Everyone));
}

fn routing_parts(doc: &Value) -> Parts {
    let mut parts = Parts::new();
    if let Some(team) = doc.get("default_team") {
        let owner = Owner::Teams(team.as_str().map(str::to_owned).into_iter().collect());
        parts.insert("default_team".into(), (team.clone(), owner));
    }
    let mut by_team: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for rule in doc
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let team = text(rule, "team").unwrap_or_default().to_owned();
        by_team.entry(team).or_default().push(rule.clone());
    }
    for (team, rules) in by_team {
        parts.insert(
            format!("the rules of team {team}"),
            (Value::Array(rules), Owner::Teams(vec![team])),
        );
    }
    rest(doc, &["default_team", "rules"], &mut parts);
    parts
}

fn sla_parts(doc: &Value) -> Parts {
    let mut parts = Parts::new();
    if let Some(calendars) = doc.get("calendars") {
        parts.insert("calendars".into(), (calendars.clone(), Owner::Shared));
    }
    for policy in doc
        .get("policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(policy, "name").unwrap_or_default();
        let categories: Vec<String> = policy
            .get("when")
            .and_then(|w| w.get("categories"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let owner = if categories.is_empty() {
            Owner::Everyone
        } else {
            Owner::Teams(categories)
        };
        parts.insert(format!("policy {name:?}"), (policy.clone(), owner));
    }
    rest(doc, &["calendars", "policies"], &mut parts);
    parts
}

fn canned_parts(doc: &Value) -> Parts {
    let mut parts = Parts::new();
    for response in doc
        .get("responses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = text(response, "id").unwrap_or_default();
        let owner = match text(response, "scope") {
            Some("team") => Owner::Teams(
                text(response, "team")
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
            ),
            Some("personal") => Owner::Agent(text(response, "owner").unwrap_or_default().into()),
            _ => Owner::Everyone,
        };
        parts.insert(format!("response {id:?}"), (response.clone(), owner));
    }
    rest(doc, &["responses"], &mut parts);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTING: &str = crate::app::agent_handoff::DEFAULT_ROUTING;
    const SLA: &str = include_str!("../../../../config/sla.toml");
    const CANNED: &str = include_str!("../../../../config/canned-responses.toml");

    fn teams(ts: &[&str]) -> Vec<String> {
        ts.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn a_billing_supervisor_adds_a_billing_keyword_but_not_a_logistics_one() {
        let billing = ROUTING.replace("\"abbuchung\"]", "\"abbuchung\", \"mahnung\"]");
        assert_ne!(billing, ROUTING);
        let mine = teams(&["billing"]);
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &billing, "m", &mine),
            Ok(())
        );
        let logistics = ROUTING.replace("\"zustellung\"]", "\"zustellung\", \"kurier\"]");
        let err =
            team_scope_change(ConfigKind::Routing, ROUTING, &logistics, "m", &mine).unwrap_err();
        assert!(
            err.contains("the rules of team logistics (team logistics)"),
            "{err}"
        );
        // A new team's rule is that team's.
        let new_team =
            format!("{ROUTING}\n[[rules]]\nteam = \"returns\"\nkeywords = [\"retoure\"]\n");
        let err =
            team_scope_change(ConfigKind::Routing, ROUTING, &new_team, "m", &mine).unwrap_err();
        assert!(err.contains("team returns"), "{err}");
        assert_eq!(
            team_scope_change(
                ConfigKind::Routing,
                ROUTING,
                &new_team,
                "m",
                &teams(&["returns"])
            ),
            Ok(())
        );
    }

    #[test]
    fn moving_the_default_team_needs_both_teams_and_comments_change_nothing() {
        let moved = ROUTING.replace("default_team = \"support\"", "default_team = \"billing\"");
        let err = team_scope_change(
            ConfigKind::Routing,
            ROUTING,
            &moved,
            "m",
            &teams(&["billing"]),
        )
        .unwrap_err();
        assert!(err.contains("default_team (team support)"), "{err}");
        let both = teams(&["billing", "support"]);
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &moved, "m", &both),
            Ok(())
        );
        let commented = format!("# reviewed\n{ROUTING}");
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &commented, "m", &[]),
            Ok(())
        );
    }

    #[test]
    fn a_fraud_supervisor_tightens_the_fraud_policy_and_adds_holidays_but_not_the_standard_policy()
    {
        let fraud = SLA.replacen("first_response = \"15m\"", "first_response = \"10m\"", 1);
        let mine = teams(&["fraud"]);
        assert_eq!(
            team_scope_change(ConfigKind::Sla, SLA, &fraud, "m", &mine),
            Ok(())
        );
        let holiday = SLA.replace("\"2026-12-24\", ", "\"2026-12-23\", \"2026-12-24\", ");
        assert_ne!(holiday, SLA);
        assert_eq!(
            team_scope_change(ConfigKind::Sla, SLA, &holiday, "m", &mine),
            Ok(())
        );
        let standard = SLA.replace("resolution = \"3d\"", "resolution = \"2d\"");
        let err = team_scope_change(ConfigKind::Sla, SLA, &standard, "m", &mine).unwrap_err();
        assert!(
            err.contains("policy \"standard\" (every team: admins change it)"),
            "{err}"
        );
        let escalation = SLA.replace("warning_percent = 80", "warning_percent = 70");
        let err = team_scope_change(ConfigKind::Sla, SLA, &escalation, "m", &mine).unwrap_err();
        assert!(err.contains("the rest of the document"), "{err}");
    }

    #[test]
    fn a_supervisor_changes_their_teams_canned_responses_and_their_own_but_not_global_ones() {
        let mine = teams(&["billing"]);
        let refund = CANNED.replace("3 bis 5 Werktage", "2 bis 4 Werktage");
        assert_ne!(refund, CANNED);
        assert_eq!(
            team_scope_change(ConfigKind::CannedResponses, CANNED, &refund, "m", &mine),
            Ok(())
        );
        let own = format!(
            "{CANNED}\n[[responses]]\nid = \"mine\"\ntitle = \"Mine\"\nscope = \"personal\"\nowner = \"m\"\ntext = \"Hi\"\n"
        );
        assert_eq!(
            team_scope_change(ConfigKind::CannedResponses, CANNED, &own, "m", &mine),
            Ok(())
        );
        let err =
            team_scope_change(ConfigKind::CannedResponses, CANNED, &own, "x", &mine).unwrap_err();
        assert!(err.contains("agent m's own"), "{err}");
        let greeting = CANNED.replace("Wie kann ich helfen?", "Was kann ich tun?");
        let err = team_scope_change(ConfigKind::CannedResponses, CANNED, &greeting, "m", &mine)
            .unwrap_err();
        assert!(err.contains("response \"greeting\" (every team"), "{err}");
        // Moving a billing response to another team touches that team too.
        let moved = CANNED.replace("team = \"billing\"", "team = \"logistics\"");
        let err =
            team_scope_change(ConfigKind::CannedResponses, CANNED, &moved, "m", &mine).unwrap_err();
        assert!(err.contains("team logistics"), "{err}");
    }
}
