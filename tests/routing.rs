//! agent-handoff against the emulators: a ticket the bot hands over reaches the right agent, and
//! agents' capacity holds when tickets race for it (conditional writes on DynamoDB Local).

use std::sync::Arc;

use helpdesk::app::agent_handoff::{AgentSeed, Routed, Router, RoutingConfig};
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk::domain::bot::{HandoffReason, Lang, Priority};
use helpdesk::domain::handoff::HandoffItem;
use helpdesk::ports::clock::SystemClock;
use helpdesk::ports::notify::MemoryNotifier;
use helpdesk::ports::queue::SqsQueue;
use helpdesk::ports::store::{Agent, DynamoStore, TicketStore};
use helpdesk::ports::whatsapp::MemoryWhatsApp;
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, post_signed, s};
use http::StatusCode;
use jiff::Timestamp;

async fn handed_over(stack: &Stack, wa_id: &str, text: &str) -> HandoffItem {
    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id,
            profile_name: "Anna",
            wamid: &format!("wamid.{wa_id}"),
            timestamp: Timestamp::now().as_second(),
            body: text,
        }],
    );
    let webhook = stack.webhook().await;
    assert_eq!(
        post_signed(&webhook, body.as_bytes()).await.status(),
        StatusCode::OK
    );
    let bot = helpdesk::platform::wiring::bot_reply(&stack.env, &stack.aws)
        .await
        .unwrap();
    assert!(
        bot.handle_batch(&stack.inbound_records().await)
            .await
            .is_empty()
    );
    let handoffs = stack.drain_handoffs().await;
    assert_eq!(handoffs.len(), 1, "the bot handed over");
    serde_json::from_value(handoffs[0].body.clone()).unwrap()
}

#[tokio::test]
async fn a_german_refund_request_is_assigned_to_the_billing_agent_who_speaks_german() {
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_whatsapp(&whatsapp.url).await;
    let item = handed_over(
        &stack,
        "4915112345678",
        "Ich möchte mit einem Mitarbeiter über meine Rückerstattung sprechen",
    )
    .await;
    stack.seed_demo_agents().await;
    let router = helpdesk::platform::wiring::agent_handoff(&stack.env, &stack.aws)
        .await
        .unwrap();
    assert_eq!(
        router.route(&item).await.unwrap(),
        Routed::Assigned {
            agent: "maria".into(),
            team: "billing".into()
        }
    );
    assert_eq!(
        router.route(&item).await.unwrap(),
        Routed::AlreadyDone,
        "redelivery"
    );
    let ticket = &stack.items("ticket").await[0];
    assert_eq!(
        (
            s(ticket, "status"),
            s(ticket, "assignee"),
            s(ticket, "team")
        ),
        ("assigned", "maria", "billing")
    );
    let maria = stack
        .items("agent")
        .await
        .into_iter()
        .find(|a| s(a, "agent_id") == "maria")
        .unwrap();
    assert_eq!(
        maria
            .get("load")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("1")
    );
}

#[tokio::test]
async fn tickets_racing_for_one_agents_last_slots_never_overfill_the_agent() {
    let stack = Stack::new().await;
    let store = Arc::new(DynamoStore::new(
        stack.aws.dynamodb().clone(),
        &stack.resources.table,
    ));
    let seed = AgentSeed {
        agents: vec![Agent {
            id: "solo".into(),
            name: "Solo".into(),
            teams: vec!["support".into()],
            languages: vec![Lang::De],
            capacity: 3,
            load: 0,
            online: true,
            last_assigned_at: None,
            deactivated_at: None,
        }],
        roles: Vec::new(),
    };
    let router = Arc::new(Router::new(
        store.clone(),
        Arc::new(MemoryWhatsApp::new()),
        Arc::new(SqsQueue::new(
            stack.aws.sqs().clone(),
            &stack.resources.handoff_queue_url,
        )),
        Arc::new(MemoryNotifier::new()),
        Arc::new(RoutingConfig::default_routing()),
        Arc::new(SystemClock),
    ));
    seed.plant(store.as_ref()).await.unwrap();
    // Ten queued tickets, opened directly in the store.
    let mut items = Vec::new();
    for i in 0..10 {
        let now = Timestamp::now();
        let key = helpdesk::domain::ids::ConversationKey {
            phone_number_id: helpdesk::domain::ids::PhoneNumberId::parse("1065").unwrap(),
            wa_id: helpdesk::domain::ids::WaId::parse(&format!("49151000000{i:02}")).unwrap(),
        };
        let wamid = helpdesk::domain::ids::Wamid::parse(&format!("wamid.race{i}")).unwrap();
        let mut ticket = helpdesk::domain::ticket::Ticket::open(key, wamid.clone(), now, None, now);
        ticket.status = helpdesk::domain::ticket::TicketStatus::Queued;
        let first = helpdesk::ports::store::MessageRecord::inbound_text(
            ticket.id,
            wamid.clone(),
            "Ich habe eine Frage",
            now,
        );
        store.open_ticket(&ticket, None, &first).await.unwrap();
        items.push(HandoffItem::for_ticket(
            &ticket,
            HandoffReason::Request,
            Priority::Normal,
            now,
            wamid,
        ));
    }
    let tasks: Vec<_> = items
        .into_iter()
        .map(|item| {
            let router = router.clone();
            tokio::spawn(async move { router.route(&item).await.unwrap() })
        })
        .collect();
    let mut assigned = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Routed::Assigned { .. }) {
            assigned += 1;
        }
    }
    assert_eq!(assigned, 3, "exactly the agent's capacity");
    let agents = store.agents().await.unwrap();
    assert_eq!(agents[0].load, 3);
}

#[tokio::test]
async fn a_stack_started_as_the_template_starts_it_has_no_agent_it_was_not_given() {
    // GIVEN every function wired from the environment the template gives it (no routing or
    // agents file), on a fresh table
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_whatsapp(&whatsapp.url).await;
    assert_eq!(
        stack
            .env
            .get(helpdesk::platform::config::HELPDESK_ROUTING_CONFIG),
        None
    );
    helpdesk::platform::wiring::agent_api(&stack.env, &stack.aws)
        .await
        .unwrap();
    helpdesk::platform::wiring::sla_breach(&stack.env, &stack.aws)
        .await
        .unwrap();
    let router = helpdesk::platform::wiring::agent_handoff(&stack.env, &stack.aws)
        .await
        .unwrap();
    // WHEN a customer asks for a person and the handoff is routed
    let item = handed_over(
        &stack,
        "4915112345679",
        "Ich möchte mit einem Mitarbeiter sprechen",
    )
    .await;
    assert_eq!(
        router.route(&item).await.unwrap(),
        Routed::Queued {
            team: "support".into()
        }
    );
    // THEN the table holds no agent (no demo maria, tom or alex), and the ticket waits for
    // a real one in its team's queue
    assert_eq!(stack.items("agent").await, Vec::new());
    let ticket = &stack.items("ticket").await[0];
    assert_eq!(s(ticket, "status"), "queued");
    assert!(ticket.get("assignee").is_none(), "{ticket:?}");
}
