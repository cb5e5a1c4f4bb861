use crate::domain::ids::Wamid;
use std::sync::Arc;

use jiff::Timestamp;

use super::*;
use crate::domain::bot::Priority;
use crate::domain::ids::{ConversationKey, PhoneNumberId, WaId};
use crate::domain::ticket::Ticket;
use crate::ports::clock::ManualClock;
use crate::ports::notify::MemoryNotifier;
use crate::ports::queue::MemoryQueue;
use crate::ports::store::{MemoryStore, MessageRecord};
use crate::ports::whatsapp::MemoryWhatsApp;

fn agent(id: &str, teams: &[&str], languages: &[Lang], capacity: u32, load: u32) -> Agent {
    Agent {
        id: id.into(),
        name: id.into(),
        teams: teams.iter().map(|t| t.to_string()).collect(),
        languages: languages.to_vec(),
        capacity,
        load,
        online: true,
        last_assigned_at: None,
        deactivated_at: None,
    }
}

#[test]
fn the_team_comes_from_the_reason_or_the_customers_words() {
    let config = RoutingConfig::default_routing();
    assert_eq!(
        config.team_for(HandoffReason::Request, "Ich will meine Rückerstattung"),
        "billing"
    );
    assert_eq!(
        config.team_for(HandoffReason::Complaint, "Das ist eine Frechheit"),
        "fraud"
    );
    assert_eq!(
        config.team_for(HandoffReason::Urgent, "Wo ist mein Paket?"),
        "logistics"
    );
    assert_eq!(
        config.team_for(HandoffReason::Request, "Ich habe eine Frage"),
        "support"
    );
}

#[test]
fn fraud_in_any_wording_goes_to_the_fraud_team_and_a_near_word_does_not() {
    let config = RoutingConfig::default_routing();
    assert_eq!(
        config.team_for(HandoffReason::Fraud, "Jemand hat mit meinem Konto bestellt"),
        "fraud"
    );
    // "Betrag" is one letter from the keyword "Betrug" but a different word.
    assert_eq!(
        config.team_for(HandoffReason::Request, "Wie hoch ist der Betrag?"),
        "support"
    );
}

#[test]
fn the_least_loaded_online_agent_who_speaks_the_language_comes_first() {
    let mut offline = agent("off", &["support"], &[Lang::De], 5, 0);
    offline.online = false;
    let agents = vec![
        agent("busy", &["support"], &[Lang::De], 5, 3),
        agent("free", &["support"], &[Lang::De, Lang::En], 5, 1),
        agent("english", &["support"], &[Lang::En], 5, 0),
        agent("full", &["support"], &[Lang::De], 2, 2),
        agent("other-team", &["billing"], &[Lang::De], 5, 0),
        offline,
    ];
    let ids: Vec<&str> = candidates(&agents, "support", Some(Lang::De))
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["free", "busy"]);
    let ids: Vec<&str> = candidates(&agents, "support", None)
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["english", "free", "busy"]);
}

#[test]
fn routing_errors_name_the_field() {
    let broken = |from: &str, to: &str| {
        assert!(DEFAULT_ROUTING.contains(from), "{from}");
        RoutingConfig::parse(&DEFAULT_ROUTING.replacen(from, to, 1), "routing.toml")
            .unwrap_err()
            .to_string()
    };
    assert!(
        broken(
            "reasons = [\"complaint\", \"fraud\"]",
            "reasons = [\"complain\", \"fraud\"]"
        )
        .contains("rules[0].reasons: unknown reason \"complain\"")
    );
}

#[test]
fn demo_agent_errors_name_the_field() {
    let broken = |from: &str, to: &str| {
        assert!(DEMO_AGENTS.contains(from), "{from}");
        AgentSeed::parse(&DEMO_AGENTS.replacen(from, to, 1), "demo-agents.toml")
            .unwrap_err()
            .to_string()
    };
    assert!(
        broken("id = \"tom\"", "id = \"maria\"").contains("agents[1].id: \"maria\" is used twice")
    );
    assert!(broken("capacity = 3", "capacity = 0").contains("agents[1]"));
    assert!(broken("role = \"supervisor\"", "role = \"boss\"").contains("agents[0].role"));
}

#[test]
fn the_shipped_routing_names_no_agent_and_refuses_a_file_that_does() {
    // The functions read this file in AWS: an agent in it would get real customers' tickets.
    assert!(!DEFAULT_ROUTING.contains("[[agents]]"));
    let with_agents = format!(
        "{DEFAULT_ROUTING}\n{}",
        DEMO_AGENTS.replace("version = 1", "")
    );
    let err = RoutingConfig::parse(&with_agents, "routing.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("agents") && err.contains("POST /agents"),
        "{err}"
    );
    let demo = AgentSeed::demo();
    let ids: Vec<&str> = demo.agents.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["maria", "tom", "alex", "ada"]);
}

#[tokio::test]
async fn planting_a_seed_adds_only_the_agents_the_store_lacks() {
    let store = MemoryStore::new();
    let mut maria = AgentSeed::demo().agents[0].clone();
    maria.capacity = 1;
    store.add_agent(&maria).await.unwrap();
    assert_eq!(AgentSeed::demo().plant(&store).await.unwrap(), 3);
    assert_eq!(AgentSeed::demo().plant(&store).await.unwrap(), 0, "again");
    let agents = store.agents().await.unwrap();
    assert_eq!(agents.len(), 4);
    let kept = agents.iter().find(|a| a.id == "maria").unwrap();
    assert_eq!(kept.capacity, 1, "an existing agent is left as it is");
}

struct World {
    router: Router,
    seed: AgentSeed,
    store: Arc<MemoryStore>,
    notifier: Arc<MemoryNotifier>,
    clock: Arc<ManualClock>,
}

fn world(agents: Vec<Agent>) -> World {
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_second(1_795_510_800).unwrap(),
    ));
    let store = Arc::new(MemoryStore::new());
    let notifier = Arc::new(MemoryNotifier::new());
    let router = Router::new(
        store.clone(),
        Arc::new(MemoryWhatsApp::new()),
        Arc::new(MemoryQueue::new(clock.clone())),
        notifier.clone(),
        Arc::new(RoutingConfig::default_routing()),
        clock.clone(),
    );
    World {
        router,
        seed: AgentSeed {
            agents,
            roles: Vec::new(),
        },
        store,
        notifier,
        clock,
    }
}

/// A queued ticket whose customer wrote `text`, as the bot leaves it at a handoff.
async fn queued(w: &World, wa_id: &str, text: &str) -> HandoffItem {
    let now = w.clock.now();
    let key = ConversationKey {
        phone_number_id: PhoneNumberId::parse("1065").unwrap(),
        wa_id: WaId::parse(wa_id).unwrap(),
    };
    let wamid = Wamid::parse(&format!("wamid.{wa_id}")).unwrap();
    let mut ticket = Ticket::open(key, wamid.clone(), now, Some("Anna".into()), now);
    ticket.status = TicketStatus::Queued;
    ticket.priority = Some(Priority::Normal);
    ticket.bot = Some(crate::domain::bot::BotState {
        language: Some(Lang::De),
        ..Default::default()
    });
    let first = MessageRecord::inbound_text(ticket.id, wamid.clone(), text, now);
    w.store.open_ticket(&ticket, None, &first).await.unwrap();
    HandoffItem::for_ticket(
        &ticket,
        HandoffReason::Request,
        Priority::Normal,
        now,
        wamid,
    )
}

#[tokio::test]
async fn a_refund_question_goes_to_a_german_speaking_billing_agent_once() {
    let w = world(AgentSeed::demo().agents);
    w.seed.plant(w.store.as_ref()).await.unwrap();
    let item = queued(&w, "4915112345678", "Ich warte auf meine Rückerstattung").await;
    let routed = w.router.route(&item).await.unwrap();
    assert_eq!(
        routed,
        Routed::Assigned {
            agent: "maria".into(),
            team: "billing".into()
        }
    );
    let ticket = w.store.ticket(item.ticket_id).await.unwrap().unwrap();
    assert_eq!(
        (ticket.status, ticket.assignee.as_deref()),
        (TicketStatus::Assigned, Some("maria"))
    );
    assert_eq!(w.notifier.sent().len(), 1);
    assert_eq!(w.notifier.sent()[0].agent.as_deref(), Some("maria"));

    assert_eq!(
        w.router.route(&item).await.unwrap(),
        Routed::AlreadyDone,
        "a redelivery"
    );
    assert_eq!(w.notifier.sent().len(), 1);
    let maria = w
        .store
        .agents()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == "maria")
        .unwrap();
    assert_eq!(maria.load, 1);
}

#[tokio::test]
async fn two_tickets_racing_for_the_last_slot_never_overfill_an_agent() {
    let w = world(vec![agent("solo", &["support"], &[Lang::De], 1, 0)]);
    w.seed.plant(w.store.as_ref()).await.unwrap();
    let a = queued(&w, "4915100000001", "Ich habe eine Frage").await;
    let b = queued(&w, "4915100000002", "Ich habe eine Frage").await;
    let (ra, rb) = tokio::join!(w.router.route(&a), w.router.route(&b));
    let mut outcomes = [ra.unwrap(), rb.unwrap()];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        outcomes,
        [
            Routed::Assigned {
                agent: "solo".into(),
                team: "support".into()
            },
            Routed::Queued {
                team: "support".into()
            }
        ]
    );
    assert_eq!(w.store.agents().await.unwrap()[0].load, 1);
}

#[tokio::test]
async fn with_nobody_free_the_ticket_waits_in_its_team_queue() {
    let w = world(vec![]);
    let item = queued(&w, "4915112345678", "Wo ist mein Paket?").await;
    assert_eq!(
        w.router.route(&item).await.unwrap(),
        Routed::Queued {
            team: "logistics".into()
        }
    );
    let ticket = w.store.ticket(item.ticket_id).await.unwrap().unwrap();
    assert_eq!(
        (ticket.status, ticket.team.as_deref()),
        (TicketStatus::Queued, Some("logistics"))
    );
}

#[tokio::test]
async fn each_batch_writes_one_metric_line_of_assigned_and_queued_tickets() {
    // GIVEN one support agent with room for one ticket, and the router counting
    let mut w = world(vec![agent("solo", &["support"], &[Lang::De], 1, 0)]);
    let (metrics, capture) = crate::platform::metrics::Metrics::capture("agent-handoff");
    w.router = w.router.with_metrics(metrics);
    w.seed.plant(w.store.as_ref()).await.unwrap();
    let record = |item: &HandoffItem, n: u32| crate::app::bot_reply::QueueRecord {
        message_id: format!("m{n}"),
        group_id: Some(format!("g{n}")),
        body: serde_json::to_string(item).unwrap(),
    };
    let first = queued(&w, "4915100000001", "Ich habe eine Frage").await;
    let second = queued(&w, "4915100000002", "Ich habe eine Frage").await;

    // WHEN both tickets come in one batch, the first one twice (SQS delivers again)
    let failed = w
        .router
        .handle_batch(&[record(&first, 1), record(&second, 2), record(&first, 3)])
        .await;

    // THEN one is assigned, one waits, the repeat counts nothing, in one line
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(capture.lines().len(), 1);
    assert_eq!(capture.total("TicketsAssigned"), 1.0);
    assert_eq!(capture.total("TicketsQueued"), 1.0);
}
