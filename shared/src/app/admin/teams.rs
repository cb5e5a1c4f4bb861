//! A routing change may not send handoffs to a team nobody works in. A team exists only as a
//! name, in the routing rules and in the agents' profiles, so a misspelt one (`logistic` for
//! `logistics`) or one whose agents are not set up yet is still a valid document: every
//! handoff its rule matches would wait in a queue no agent pulls from, silently, until the SLA
//! breaches. So a draft that names a team the version it is based on did not name must name a
//! team at least one active agent is in. Teams the routing already named are not checked
//! again (agents leaving a team is the agent admin's business, not a reason to refuse an
//! unrelated edit).

use toml::Value;

use crate::domain::config_doc::ConfigKind;
use crate::platform::config::ConfigFileError;

/// The teams a routing document sends handoffs to, each with the field that names it first.
fn routed_teams(doc: &Value) -> Vec<(String, String)> {
    let mut teams: Vec<(String, String)> = Vec::new();
    let mut add = |field: String, team: Option<&str>| {
        if let Some(team) = team.map(str::trim).filter(|t| !t.is_empty())
            && !teams.iter().any(|(_, t)| t == team)
        {
            teams.push((field, team.to_owned()));
        }
    };
    add(
        "default_team".into(),
        doc.get("default_team").and_then(Value::as_str),
    );
    for (i, rule) in doc
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        add(
            format!("rules[{i}].team"),
            rule.get("team").and_then(Value::as_str),
        );
    }
    teams
}

/// Refuses `new` (routing, to be saved as version `version` on top of `old`) if it names a team
/// `old` did not and that none of `staffed` (the teams of the active agents) is: the error names
/// the field, the team and the teams that have agents. Documents that do not parse are the
/// validator's to report.
pub fn new_teams_are_staffed(
    old: &str,
    new: &str,
    staffed: &[String],
    version: u32,
) -> Result<(), ConfigFileError> {
    let parse = |s: &str| toml::from_str::<Value>(s).ok();
    let (Some(old), Some(new)) = (parse(old), parse(new)) else {
        return Ok(());
    };
    let known: Vec<String> = routed_teams(&old).into_iter().map(|(_, t)| t).collect();
    let Some((field, team)) = routed_teams(&new)
        .into_iter()
        .find(|(_, team)| !known.contains(team) && !staffed.contains(team))
    else {
        return Ok(());
    };
    let mut with_agents: Vec<&str> = staffed.iter().map(String::as_str).collect();
    with_agents.sort_unstable();
    with_agents.dedup();
    let with_agents = if with_agents.is_empty() {
        "no team has active agents yet".to_owned()
    } else {
        format!("teams with agents: {}", with_agents.join(", "))
    };
    Err(ConfigFileError::invalid(
        &ConfigKind::Routing.origin(version),
        field,
        format!(
            "no active agent is in team {team:?}, so its tickets would wait unanswered; put \
             agents in it first (PATCH /agents/{{id}}) or name an existing team ({with_agents})"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTING: &str = crate::app::agent_handoff::DEFAULT_ROUTING;

    fn staffed(teams: &[&str]) -> Vec<String> {
        teams.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn a_rule_for_a_team_nobody_is_in_is_refused_naming_the_field_and_the_teams_with_agents() {
        let misspelt = ROUTING.replace("team = \"logistics\"", "team = \"logistic\"");
        assert_ne!(misspelt, ROUTING);
        let people = staffed(&["support", "billing", "logistics", "fraud"]);
        let err = new_teams_are_staffed(ROUTING, &misspelt, &people, 2).unwrap_err();
        let ConfigFileError::Invalid { field, problem, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(field, "rules[2].team");
        assert!(
            problem.contains("no active agent is in team \"logistic\""),
            "{problem}"
        );
        assert!(
            problem.contains("teams with agents: billing, fraud, logistics, support"),
            "{problem}"
        );
        // A new default team nobody is in, likewise.
        let default = ROUTING.replace("default_team = \"support\"", "default_team = \"help\"");
        let err = new_teams_are_staffed(ROUTING, &default, &people, 2).unwrap_err();
        assert!(err.to_string().contains("default_team"), "{err}");
    }

    #[test]
    fn a_new_team_with_an_agent_and_the_teams_already_routed_to_pass() {
        let returns =
            format!("{ROUTING}\n[[rules]]\nteam = \"returns\"\nkeywords = [\"retoure\"]\n");
        assert!(new_teams_are_staffed(ROUTING, &returns, &staffed(&["returns"]), 2).is_ok());
        assert!(new_teams_are_staffed(ROUTING, &returns, &staffed(&["support"]), 2).is_err());
        // A fresh stack has no agents yet: editing the teams the seed already routes to is fine.
        let wider = ROUTING.replace("\"zustellung\"]", "\"zustellung\", \"kurier\"]");
        assert!(new_teams_are_staffed(ROUTING, &wider, &[], 2).is_ok());
        // Once refused and kept: the returns rule saved by an admin stays editable.
        let more = returns.replace("[\"retoure\"]", "[\"retoure\", \"ruecksendung\"]");
        assert!(new_teams_are_staffed(&returns, &more, &[], 3).is_ok());
    }
}
