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

use crate::domain::bot::matcher::{NOT_TYPOS, normalize, within_one_edit};
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
    if kind == ConfigKind::Routing {
        refused.extend(routing_order_changes(&old, &new, teams));
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

/// The routing rules of a document, in order.
fn rules(doc: &Value) -> Vec<Value> {
    doc.get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The strings of a rule's list field (`reasons`, `keywords`).
fn strings<'a>(rule: &'a Value, key: &str) -> Vec<&'a str> {
    rule.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// A rule as a refusal names it: its place in the new list, its team and what it matches.
fn name_rule(at: usize, rule: &Value) -> String {
    let team = text(rule, "team").unwrap_or_default();
    let mut what: Vec<&str> = strings(rule, "reasons");
    what.extend(strings(rule, "keywords"));
    let shown: Vec<&str> = what.iter().take(3).copied().collect();
    let more = if what.len() > 3 { ", ..." } else { "" };
    format!("rules[{at}] (team {team}: {}{more})", shown.join(", "))
}

/// Whether a handoff `later` matches could be matched by `earlier` too (the first rule that
/// matches wins). Keywords match words of the customer's text, which may hold any of them
/// beside `later`'s reason or keyword; only two rules matching reasons alone, different ones,
/// never meet.
fn can_take(earlier: &Value, later: &Value) -> bool {
    let (reasons, words) = (strings(earlier, "reasons"), strings(earlier, "keywords"));
    let later_reasons = strings(later, "reasons");
    let later_matches = !later_reasons.is_empty() || !strings(later, "keywords").is_empty();
    (!words.is_empty() && later_matches)
        || reasons.iter().any(|r| later_reasons.contains(r))
        || (!reasons.is_empty() && !strings(later, "keywords").is_empty())
}

/// Which old rule each new rule is: the equal one; else (an edited rule) the old rule of the
/// same team at the same place among that team's rules. `None`: a new rule.
fn correspondence(old: &[Value], new: &[Value]) -> Vec<Option<usize>> {
    let mut used = vec![false; old.len()];
    let mut corr: Vec<Option<usize>> = new
        .iter()
        .map(|rule| {
            let i = (0..old.len()).find(|&i| !used[i] && old[i] == *rule)?;
            used[i] = true;
            Some(i)
        })
        .collect();
    let team = |r: &Value| text(r, "team").map(str::to_owned);
    for (j, rule) in new.iter().enumerate() {
        if corr[j].is_some() {
            continue;
        }
        let rank = new[..j].iter().filter(|r| team(r) == team(rule)).count();
        let same_place = (0..old.len())
            .filter(|&i| team(&old[i]) == team(rule))
            .nth(rank);
        if let Some(i) = same_place.filter(|&i| !used[i]) {
            used[i] = true;
            corr[j] = Some(i);
        }
    }
    corr
}

/// The first matching rule wins, so a rule's priority is which rules come before it. For every
/// rule of another team (unchanged: a changed one is refused as a part), a supervisor's change
/// may not put before it a rule that can take its tickets and did not come before it (moved up
/// or new), nor move after it a rule that came before it and whose tickets it can now take.
/// Editing a rule in its place is the part check's business. Returns each refusal, naming both
/// rules.
fn routing_order_changes(old: &Value, new: &Value, teams: &[String]) -> Vec<String> {
    let (old, new) = (rules(old), rules(new));
    let corr = correspondence(&old, &new);
    let mut refused = Vec::new();
    for (j, theirs) in new.iter().enumerate() {
        let team = text(theirs, "team").unwrap_or_default();
        let Some(i) = corr[j].filter(|&i| old[i] == *theirs) else {
            continue;
        };
        if teams.iter().any(|t| t == team) {
            continue;
        }
        let theirs_named = name_rule(j, theirs);
        for (k, earlier) in new[..j].iter().enumerate() {
            let was_before = corr[k].is_some_and(|p| p < i);
            if !was_before && can_take(earlier, theirs) {
                refused.push(format!(
                    "the priority of team {team}'s {theirs_named}: {} would come before it",
                    name_rule(k, earlier)
                ));
            }
            // Edited in its place above theirs: what it gained may take their tickets.
            let Some(before) = corr[k].filter(|&p| p < i).map(|p| &old[p]) else {
                continue;
            };
            for (gained, what_they_match) in gained_over(before, earlier, theirs) {
                refused.push(format!(
                    "the tickets of team {team}'s {theirs_named}: {gained} added to {}, which \
                     comes first, would take those its {what_they_match} matches",
                    name_rule(k, earlier)
                ));
            }
        }
        for (k, later) in new.iter().enumerate().skip(j + 1) {
            let was_before = corr[k].is_some_and(|p| p < i);
            if was_before && can_take(theirs, later) {
                refused.push(format!(
                    "the priority of team {team}'s {theirs_named}: {} would come after it",
                    name_rule(k, later)
                ));
            }
        }
    }
    refused
}

/// What `after` (a rule edited in place, `before` as it was) gained that matches a handoff
/// `theirs`, a later rule, matches: a reason both name, or a keyword that shares a word with one
/// of theirs as routing matches words (after lower-casing and spelling umlauts out, one typo
/// allowed in a word of five letters or more, so "pakete" matches "paket"). Each as (what was
/// added, what of theirs it meets), both quoted. A keyword that only co-occurs with theirs in
/// a message is not counted: that message names both teams' subjects.
fn gained_over(before: &Value, after: &Value, theirs: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (had, their_reasons) = (strings(before, "reasons"), strings(theirs, "reasons"));
    for reason in strings(after, "reasons") {
        if !had.contains(&reason) && their_reasons.contains(&reason) {
            out.push((format!("reason {reason:?}"), format!("reason {reason:?}")));
        }
    }
    let phrase =
        |k: &str| -> Vec<String> { normalize(k).split_whitespace().map(str::to_owned).collect() };
    let had: Vec<Vec<String>> = strings(before, "keywords")
        .into_iter()
        .map(phrase)
        .collect();
    let their_keywords = strings(theirs, "keywords");
    for keyword in strings(after, "keywords") {
        let words = phrase(keyword);
        if had.contains(&words) {
            continue;
        }
        let met = their_keywords.iter().find(|theirs| {
            let their_words = phrase(theirs);
            words
                .iter()
                .any(|w| their_words.iter().any(|t| words_meet(w, t)))
        });
        if let Some(met) = met {
            out.push((format!("keyword {keyword:?}"), format!("keyword {met:?}")));
        }
    }
    out
}

/// Whether a customer's word can match both keyword words `a` and `b` (normalized), as routing
/// matches a word: the same, or one typo away from one of five letters or more (see
/// `contains_phrase`), so also two apart when both are that long (a word between them).
fn words_meet(a: &str, b: &str) -> bool {
    let matches = |word: &str, keyword: &str| {
        word == keyword
            || (keyword.len() >= 5 && !NOT_TYPOS.contains(&word) && within_one_edit(word, keyword))
    };
    matches(a, b) || matches(b, a) || (a.len() >= 5 && b.len() >= 5 && within_two_edits(a, b))
}

/// Optimal string alignment distance of at most two (what two typos make of a word).
fn within_two_edits(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut rows = vec![(0..=b.len()).collect::<Vec<usize>>()];
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (rows[i - 1][j] + 1)
                .min(row[j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(rows[i - 2][j - 2] + 1);
            }
        }
        rows.push(row);
    }
    rows[a.len()][b.len()] <= 2
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

    /// `ROUTING` with its rules in the order of `teams`, plus `extra` rules at the end.
    fn reordered(order: &[&str]) -> String {
        let doc: Value = toml::from_str(ROUTING).unwrap();
        let rules = rules(&doc);
        let mut sorted = Vec::new();
        for team in order {
            sorted.extend(
                rules
                    .iter()
                    .filter(|r| text(r, "team") == Some(team))
                    .cloned(),
            );
        }
        let mut doc = doc.clone();
        doc.as_table_mut()
            .unwrap()
            .insert("rules".into(), Value::Array(sorted));
        toml::to_string(&doc).unwrap()
    }

    #[test]
    fn a_supervisor_may_not_move_their_rule_above_another_team_s_rule_or_it_below_theirs() {
        // The shipped order: fraud, billing, logistics.
        let logistics = teams(&["logistics"]);
        let above = reordered(&["fraud", "logistics", "billing"]);
        let err =
            team_scope_change(ConfigKind::Routing, ROUTING, &above, "m", &logistics).unwrap_err();
        assert!(
            err.contains("the priority of team billing's rules[2] (team billing: rueckerstattung"),
            "{err}"
        );
        assert!(err.contains("rules[1] (team logistics: paket"), "{err}");
        // Moving another team's rule down below theirs is refused too, naming both rules.
        let billing = teams(&["billing"]);
        let err =
            team_scope_change(ConfigKind::Routing, ROUTING, &above, "m", &billing).unwrap_err();
        assert!(err.contains("team logistics's rules[1]"), "{err}");
        // A supervisor of both teams may.
        let both = teams(&["billing", "logistics"]);
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &above, "m", &both),
            Ok(())
        );
        // Neither team's supervisor may swap two other teams' rules.
        let swapped = reordered(&["billing", "fraud", "logistics"]);
        let err =
            team_scope_change(ConfigKind::Routing, ROUTING, &swapped, "m", &logistics).unwrap_err();
        assert!(err.contains("team fraud's rules[1]"), "{err}");
    }

    #[test]
    fn a_new_rule_or_an_edited_one_moved_before_another_team_s_rule_is_refused_one_at_the_end_or_edited_in_place_is_not()
     {
        let logistics = teams(&["logistics"]);
        let doc: Value = toml::from_str(ROUTING).unwrap();
        let with_rules = |rules: Vec<Value>| {
            let mut doc = doc.clone();
            doc.as_table_mut()
                .unwrap()
                .insert("rules".into(), Value::Array(rules));
            toml::to_string(&doc).unwrap()
        };
        let shipped = rules(&doc);
        let rule = |kw: &[&str]| {
            let mut r = toml::map::Map::new();
            r.insert("team".into(), Value::String("logistics".into()));
            r.insert(
                "keywords".into(),
                Value::Array(kw.iter().map(|k| Value::String((*k).into())).collect()),
            );
            Value::Table(r)
        };
        // A new logistics rule first: it takes fraud's and billing's tickets.
        let mut first = vec![rule(&["kurier"])];
        first.extend(shipped.clone());
        let err = team_scope_change(
            ConfigKind::Routing,
            ROUTING,
            &with_rules(first),
            "m",
            &logistics,
        )
        .unwrap_err();
        assert!(err.contains("team fraud's rules[1]"), "{err}");
        assert!(err.contains("rules[0] (team logistics: kurier)"), "{err}");
        // The same rule last changes nobody else's tickets.
        let mut last = shipped.clone();
        last.push(rule(&["kurier"]));
        assert_eq!(
            team_scope_change(
                ConfigKind::Routing,
                ROUTING,
                &with_rules(last),
                "m",
                &logistics
            ),
            Ok(())
        );
        // Editing a rule in its place is the part check's business: fraud's own rule, first,
        // may grow a keyword.
        let fraud = teams(&["fraud"]);
        let wider = ROUTING.replace("\"phishing\"]", "\"phishing\", \"abzocke\"]");
        assert_ne!(wider, ROUTING);
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &wider, "m", &fraud),
            Ok(())
        );
        // Edited and moved up at once is still a move.
        let mut edited_up = shipped.clone();
        let moved = rule(&["paket", "kurier"]);
        edited_up.remove(2);
        edited_up.insert(0, moved);
        let err = team_scope_change(
            ConfigKind::Routing,
            ROUTING,
            &with_rules(edited_up),
            "m",
            &logistics,
        )
        .unwrap_err();
        assert!(err.contains("team billing's rules[2]"), "{err}");
    }

    #[test]
    fn a_supervisor_may_not_add_to_her_rule_above_another_team_s_a_keyword_or_reason_that_takes_its_tickets()
     {
        // The shipped order: fraud, billing, logistics. Billing's rule sits above logistics'.
        let billing = teams(&["billing"]);
        let with_billing =
            |extra: &str| ROUTING.replace("\"abbuchung\"]", &format!("\"abbuchung\", {extra}]"));
        // logistics' own word, in another spelling and inflected the way routing still matches
        // it, inside a phrase: each would route a parcel question to billing.
        for (added, theirs) in [
            ("\"paket\"", "\"paket\""),
            ("\"Pakete\"", "\"paket\""),
            ("\"Zustellungen\"", "\"zustellung\""),
            ("\"falsche lieferung\"", "\"lieferung\""),
        ] {
            let changed = with_billing(added);
            let err = team_scope_change(ConfigKind::Routing, ROUTING, &changed, "m", &billing)
                .unwrap_err();
            assert!(
                err.contains("the tickets of team logistics's rules[2] (team logistics: paket"),
                "{added}: {err}"
            );
            assert!(
                err.contains(&format!("keyword {added} added to rules[1] (team billing")),
                "{added}: {err}"
            );
            assert!(
                err.contains(&format!("its keyword {theirs} matches")),
                "{added}: {err}"
            );
        }
        // A reason added to fraud's rule (first) that a rule below names takes its handoffs.
        let fraud = teams(&["fraud"]);
        let doc: Value = toml::from_str(ROUTING).unwrap();
        let mut rules = rules(&doc);
        rules[2]
            .as_table_mut()
            .unwrap()
            .insert("reasons".into(), Value::Array(vec!["media".into()]));
        let mut below = doc.clone();
        below
            .as_table_mut()
            .unwrap()
            .insert("rules".into(), Value::Array(rules.clone()));
        let below = toml::to_string(&below).unwrap();
        let fraud_takes_media = below.replace(
            "reasons = [\"complaint\", \"fraud\"]",
            "reasons = [\"complaint\", \"fraud\", \"media\"]",
        );
        assert_ne!(fraud_takes_media, below);
        let err = team_scope_change(ConfigKind::Routing, &below, &fraud_takes_media, "m", &fraud)
            .unwrap_err();
        assert!(err.contains("reason \"media\" added to rules[0]"), "{err}");
        // Words of her team's own subject, a keyword removed, and the same keyword in her rule
        // below another team's change nobody else's tickets.
        for ok in ["\"mahnung\"", "\"zahlungen\", \"lastschrift\""] {
            assert_eq!(
                team_scope_change(
                    ConfigKind::Routing,
                    ROUTING,
                    &with_billing(ok),
                    "m",
                    &billing
                ),
                Ok(()),
                "{ok}"
            );
        }
        let fewer = ROUTING.replace(", \"abbuchung\"]", "]");
        assert_ne!(fewer, ROUTING);
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &fewer, "m", &billing),
            Ok(())
        );
        let logistics = teams(&["logistics"]);
        let last = ROUTING.replace("\"zustellung\"]", "\"zustellung\", \"rechnungen\"]");
        assert_eq!(
            team_scope_change(ConfigKind::Routing, ROUTING, &last, "m", &logistics),
            Ok(())
        );
        // A supervisor of both teams may.
        assert_eq!(
            team_scope_change(
                ConfigKind::Routing,
                ROUTING,
                &with_billing("\"paket\""),
                "m",
                &teams(&["billing", "logistics"])
            ),
            Ok(())
        );
    }

    #[test]
    fn words_meet_where_routing_would_match_one_customer_word_to_both() {
        assert!(words_meet("paket", "paket"));
        assert!(words_meet("pakete", "paket"));
        assert!(words_meet("zustellungen", "zustellung") && words_meet("sendunge", "sendungen"));
        assert!(!words_meet("mahnung", "sendung"));
        assert!(!words_meet("rechnung", "lieferung"));
        // Short words match only as they are.
        assert!(!words_meet("box", "boxen") && !words_meet("bar", "bart"));
        assert!(
            within_two_edits("zahlung", "zahlungen") && !within_two_edits("zahlung", "zahlungenx")
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
