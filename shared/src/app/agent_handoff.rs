//! agent-handoff: a ticket the bot handed over (an item on `handoff.fifo`) goes to a team by
//! rules (`config/routing.toml`) and to the least loaded online agent of that team who speaks
//! the customer's language; nobody free leaves it in the team queue. Capacity is claimed with a
//! conditional write before the ticket is assigned, and given back if the assignment loses a race.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use tracing::info;

pub mod assign;

pub use assign::candidates;

use crate::app::bot_reply::QueueRecord;
use crate::app::outbox::{HandlerError, OutboxRunner};
use crate::app::queue_batch::{Order, handle_records};
use crate::app::ticket_change::{
    ChangeKey, Decision, Draft, Gathered, TicketChange, TicketChanger,
};
use crate::domain::agent::{Agent, Role};
use crate::domain::bot::matcher::{contains_phrase, normalize};
use crate::domain::bot::{HandoffReason, Lang};
use crate::domain::handoff::HandoffItem;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::platform::deadline::Deadline;
use crate::platform::live_config::ConfigSource;
use crate::platform::metrics::Count;
use crate::ports::clock::Clock;
use crate::ports::notify::{Audience, Notification, Notifier};
use crate::ports::queue::Queue;
use crate::ports::store::{ActivityKind, Direction, OutboxKind, StoreError, TicketStore};
use crate::ports::whatsapp::WhatsAppClient;

/// The routing shipped with the code (rules only: it names no agent).
pub const DEFAULT_ROUTING: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/routing.toml"
));
/// The demo agents of the local runner and the tests (see [`AgentSeed`]).
pub const DEMO_AGENTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../config/demo-agents.toml"
));

/// A routing file that cannot be used (file, line or field, problem).
pub type RoutingConfigError = crate::platform::config::ConfigFileError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    default_team: String,
    #[serde(default)]
    rules: Vec<RuleSpec>,
    /// Read only to refuse it with a message that says where agents live now.
    #[serde(default)]
    agents: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsFile {
    version: u32,
    #[serde(default)]
    agents: Vec<AgentSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    team: String,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentSpec {
    id: String,
    name: String,
    teams: Vec<String>,
    languages: Vec<Lang>,
    capacity: u32,
    /// What the demo agent may do in the agent API locally: agent (default), supervisor, admin.
    #[serde(default)]
    role: Option<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    team: String,
    reasons: Vec<HandoffReason>,
    keywords: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct RoutingConfig {
    pub default_team: String,
    rules: Vec<Rule>,
}

/// Agents to add to a table that does not have them: the demo agents of the local runner and
/// the tests. Nothing seeds them unless asked (the runner in memory, `--aws --demo-agents`, a
/// test); the functions never do, so a deployed stack only has the agents an admin added.
#[derive(Debug, Clone, Default)]
pub struct AgentSeed {
    pub agents: Vec<Agent>,
    /// Each agent's role (the local runner gives each an API key `demo-<id>`).
    pub roles: Vec<(String, Role)>,
}

impl RoutingConfig {
    pub fn default_routing() -> Self {
        Self::parse(DEFAULT_ROUTING, "config/routing.toml").expect("the shipped routing is valid")
    }

    pub fn load(path: &std::path::Path) -> Result<Self, RoutingConfigError> {
        let (source, origin) = crate::platform::config::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    pub fn parse(source: &str, origin: &str) -> Result<Self, RoutingConfigError> {
        let file: File = crate::platform::config::parse_toml(source, origin)?;
        version_one(file.version, origin)?;
        let fail =
            |field: String, problem: String| RoutingConfigError::invalid(origin, field, problem);
        if file.default_team.trim().is_empty() {
            return Err(fail("default_team".into(), "is empty".into()));
        }
        let mut rules = Vec::new();
        for (i, r) in file.rules.iter().enumerate() {
            if r.team.trim().is_empty() {
                return Err(fail(format!("rules[{i}].team"), "is empty".into()));
            }
            if r.reasons.is_empty() && r.keywords.is_empty() {
                return Err(fail(
                    format!("rules[{i}]"),
                    "needs reasons or keywords".into(),
                ));
            }
            let reasons = r
                .reasons
                .iter()
                .map(|x| {
                    HandoffReason::parse(x).ok_or_else(|| {
                        fail(
                            format!("rules[{i}].reasons"),
                            format!("unknown reason {x:?}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(Rule {
                team: r.team.clone(),
                reasons,
                keywords: r
                    .keywords
                    .iter()
                    .map(|k| normalize(k).split_whitespace().map(str::to_owned).collect())
                    .collect(),
            });
        }
        if file.agents.is_some() {
            return Err(fail(
                "agents".into(),
                "agents are not part of the routing any more: add them through the agent API \
                 (POST /agents); the local runner's demo agents are in config/demo-agents.toml"
                    .into(),
            ));
        }
        Ok(Self {
            default_team: file.default_team,
            rules,
        })
    }

    /// The team for a handoff: the first rule matching its reason or the customer's words.
    pub fn team_for(&self, reason: HandoffReason, customer_text: &str) -> &str {
        let normalized = normalize(customer_text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        self.rules
            .iter()
            .find(|r| {
                r.reasons.contains(&reason) || r.keywords.iter().any(|k| contains_phrase(&words, k))
            })
            .map_or(self.default_team.as_str(), |r| r.team.as_str())
    }

    /// Every team the rules name, the default first.
    pub fn teams(&self) -> Vec<String> {
        let mut teams = vec![self.default_team.clone()];
        for rule in &self.rules {
            if !teams.contains(&rule.team) {
                teams.push(rule.team.clone());
            }
        }
        teams
    }
}

/// Both routing files are version 1; a newer file is refused rather than half read.
fn version_one(version: u32, origin: &str) -> Result<(), RoutingConfigError> {
    if version == 1 {
        return Ok(());
    }
    Err(RoutingConfigError::invalid(
        origin,
        "version",
        format!("is {version}, this code reads version 1"),
    ))
}

impl AgentSeed {
    /// The demo agents shipped in `config/demo-agents.toml` (maria, tom, alex, and the admin ada).
    pub fn demo() -> Self {
        Self::parse(DEMO_AGENTS, "config/demo-agents.toml").expect("the demo agents are valid")
    }

    pub fn load(path: &std::path::Path) -> Result<Self, RoutingConfigError> {
        let (source, origin) = crate::platform::config::read_config_file(path)?;
        Self::parse(&source, &origin)
    }

    pub fn parse(source: &str, origin: &str) -> Result<Self, RoutingConfigError> {
        let file: AgentsFile = crate::platform::config::parse_toml(source, origin)?;
        version_one(file.version, origin)?;
        let fail =
            |field: String, problem: String| RoutingConfigError::invalid(origin, field, problem);
        let mut ids = HashSet::new();
        let mut agents = Vec::new();
        let mut roles = Vec::new();
        for (i, a) in file.agents.iter().enumerate() {
            let ok_id = !a.id.is_empty()
                && a.id.len() <= 64
                && a.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok_id {
                return Err(fail(
                    format!("agents[{i}].id"),
                    "must be 1-64 letters, digits, '-' or '_'".into(),
                ));
            }
            if !ids.insert(a.id.as_str()) {
                return Err(fail(
                    format!("agents[{i}].id"),
                    format!("{:?} is used twice", a.id),
                ));
            }
            if a.capacity == 0 || a.teams.is_empty() || a.languages.is_empty() {
                return Err(fail(
                    format!("agents[{i}]"),
                    "needs a capacity of at least 1, a team and a language".into(),
                ));
            }
            let role = match a.role.as_deref() {
                None => Role::Agent,
                Some(r) => Role::parse(r).ok_or_else(|| {
                    fail(
                        format!("agents[{i}].role"),
                        "must be agent, supervisor or admin".into(),
                    )
                })?,
            };
            roles.push((a.id.clone(), role));
            agents.push(Agent {
                id: a.id.clone(),
                name: a.name.clone(),
                teams: a.teams.clone(),
                languages: a.languages.clone(),
                capacity: a.capacity,
                load: 0,
                online: true,
                last_assigned_at: None,
                deactivated_at: None,
            });
        }
        Ok(Self { agents, roles })
    }

    /// Adds the agents the store does not have yet (an existing agent is left as it is);
    /// returns how many were added.
    pub async fn plant(&self, store: &dyn TicketStore) -> Result<usize, StoreError> {
        let known: BTreeSet<String> = store.agents().await?.into_iter().map(|a| a.id).collect();
        let mut added = 0;
        for agent in self.agents.iter().filter(|a| !known.contains(&a.id)) {
            store.add_agent(agent).await?;
            added += 1;
        }
        Ok(added)
    }
}

/// What became of a handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    Assigned {
        agent: String,
        team: String,
    },
    /// Nobody free: in the team's queue.
    Queued {
        team: String,
    },
    /// Assigned, resolved or closed before: nothing to do.
    AlreadyDone,
}

pub struct Router {
    store: Arc<dyn TicketStore>,
    /// The routing rules: the published document when live (checked at most every interval,
    /// so a published keyword or team applies to the next handoff without a restart).
    config: ConfigSource<RoutingConfig>,
    clock: Arc<dyn Clock>,
    changer: TicketChanger,
}

impl Router {
    pub fn new(
        store: Arc<dyn TicketStore>,
        whatsapp: Arc<dyn WhatsAppClient>,
        handoffs: Arc<dyn Queue>,
        notifier: Arc<dyn Notifier>,
        config: impl Into<ConfigSource<RoutingConfig>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            changer: TicketChanger::new(
                store.clone(),
                OutboxRunner {
                    notifier: Some(notifier),
                    ..OutboxRunner::new(store.clone(), whatsapp, handoffs, clock.clone())
                },
            ),
            store,
            config: config.into(),
            clock,
        }
    }

    /// Publishes ticket events (opened, assigned, resolved, ...) to `bus` through the outbox.
    pub fn with_events(mut self, bus: Arc<dyn crate::ports::events::EventBus>) -> Self {
        self.changer.outbox.events = Some(bus);
        self
    }

    /// Counts assignments, queued tickets and failed sends (CloudWatch EMF, one line per batch).
    pub fn with_metrics(mut self, metrics: crate::platform::metrics::Metrics) -> Self {
        self.changer.outbox.metrics = metrics;
        self
    }

    /// Handles a batch from `handoff.fifo`; a failure holds back later records of its group.
    pub async fn handle_batch(&self, records: &[QueueRecord]) -> Vec<String> {
        self.handle_batch_until(records, Deadline::none()).await
    }

    /// [`Self::handle_batch`] within the invocation's `deadline`: records it leaves no time
    /// for are not started but delivered again (with every later one, so order is kept), and
    /// every Cloud API wait is bounded by the time left.
    pub async fn handle_batch_until(
        &self,
        records: &[QueueRecord],
        deadline: Deadline,
    ) -> Vec<String> {
        let failed = handle_records(
            records,
            deadline,
            Order::PerGroup,
            "handoff not routed",
            |record| async move {
                let item = match serde_json::from_str::<HandoffItem>(&record.body) {
                    Ok(item) if item.v == HandoffItem::VERSION => item,
                    Ok(item) => {
                        return Err(HandlerError::Poison(format!(
                            "handoff item version {} is not {}",
                            item.v,
                            HandoffItem::VERSION
                        )));
                    }
                    Err(e) => {
                        return Err(HandlerError::Poison(format!(
                            "body is not a handoff item: {e}"
                        )));
                    }
                };
                let routed = self.route(&item).await?;
                info!(ticket_id = %item.ticket_id, outcome = ?routed, "handoff routed");
                match routed {
                    Routed::Assigned { .. } => {
                        self.changer.outbox.metrics.add(Count::TicketsAssigned, 1)
                    }
                    Routed::Queued { .. } => {
                        self.changer.outbox.metrics.add(Count::TicketsQueued, 1)
                    }
                    Routed::AlreadyDone => {}
                }
                Ok(())
            },
        )
        .await;
        self.changer.outbox.metrics.flush();
        failed
    }

    /// Picks the team for the handoff and gives the ticket to its best free agent (or leaves
    /// it in the team's queue), as one ticket change keyed by the handoff's message.
    pub async fn route(&self, item: &HandoffItem) -> Result<Routed, HandlerError> {
        let key = ChangeKey::parse(&format!(
            "route.{}",
            item.inbound.as_str().chars().take(100).collect::<String>()
        ))
        .map_err(|e| HandlerError::Poison(e.to_string()))?;
        let change = RouteChange { router: self, item };
        Ok(self
            .changer
            .change(item.ticket_id, &key, &change)
            .await?
            .outcome)
    }
}

/// The team a handoff goes to and the agent whose capacity was claimed for it (if any).
struct RouteInput {
    team: String,
    chosen: Option<String>,
}

/// Routing one handoff: the team from the rules, the agent from [`assign::claim_best`].
struct RouteChange<'a> {
    router: &'a Router,
    item: &'a HandoffItem,
}

impl TicketChange for RouteChange<'_> {
    /// `None`: routed before (a redelivery) or taken meanwhile.
    type Input = Option<RouteInput>;
    type Outcome = Routed;
    type Error = HandlerError;

    fn missing(&self, id: TicketId) -> HandlerError {
        HandlerError::Poison(format!("ticket {id} does not exist"))
    }

    fn actor(&self) -> &str {
        assign::PULL_ACTOR
    }

    async fn gather(&self, ticket: &Ticket) -> Result<Gathered<Self::Input>, HandlerError> {
        if ticket.status != TicketStatus::Queued || ticket.assignee.is_some() {
            return Ok(None.into());
        }
        let store = self.router.store.as_ref();
        let messages = store.messages(ticket.id).await?;
        let words: Vec<&str> = messages
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .rev()
            .take(10)
            .filter_map(|m| m.text.as_deref())
            .collect();
        let routing = self.router.config.current().await;
        let team = routing
            .team_for(self.item.reason, &words.join(" "))
            .to_owned();
        let language = ticket.bot.as_ref().and_then(|b| b.language);
        let agents = store.agents().await?;
        let now = self.router.clock.now();
        let chosen = assign::claim_best(store, &agents, &team, language, now).await?;
        Ok(Gathered {
            claimed: chosen.clone(),
            input: Some(RouteInput { team, chosen }),
        })
    }

    fn decide(
        &self,
        ticket: &Ticket,
        input: Option<RouteInput>,
        draft: &mut Draft,
    ) -> Result<Decision<Routed>, HandlerError> {
        let Some(RouteInput { team, chosen }) = input else {
            // Finish what the first routing left pending.
            return Ok(Decision::Keep {
                outcome: Routed::AlreadyDone,
                flush: true,
            });
        };
        let item = self.item;
        let next = &mut draft.next;
        next.team = Some(team.clone());
        if next.category.is_none() {
            next.category = Some(team.clone());
        }
        let Some(agent) = chosen else {
            return Ok(Decision::Write(Routed::Queued { team }));
        };
        next.status = TicketStatus::Assigned;
        next.assignee = Some(agent.clone());
        let notification = Notification {
            audience: Audience::Assignee,
            kind: "ticket_assigned".into(),
            ticket_id: ticket.id,
            target: None,
            level: 0,
            due_at: None,
            agent: Some(agent.clone()),
            team: Some(team.clone()),
            priority: next.priority.map(|p| p.as_str().to_owned()),
            summary: format!(
                "Ticket {} is yours ({}, priority {}): transcript {}",
                ticket.id,
                item.reason.as_str(),
                item.priority.as_str(),
                item.transcript
            ),
        };
        draft.outbox.push(OutboxKind::Notify, &notification);
        draft.log(
            ActivityKind::Assigned,
            Some(format!(
                "{agent} ({team}, reason {}, least loaded)",
                item.reason.as_str()
            )),
            Vec::new(),
        );
        Ok(Decision::Write(Routed::Assigned { agent, team }))
    }
}

#[cfg(test)]
mod tests;
