//! SLA timers end to end against the emulators: bot-reply arms EventBridge Scheduler schedules
//! (moto), the schedule pump fires what is due into sla-events, sla-breach (production wiring)
//! records breaches, publishes to SNS and arms the next level.

use helpdesk::domain::sla::{Fired, SlaConfig, Target, TimerPayload};
use helpdesk_local::pump::fire_due;
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{
    Stack, at_second_up, customer_text, customer_text_sent, drain, s, warning_at,
};
use jiff::{SignedDuration, Timestamp};

struct Setup {
    stack: Stack,
    whatsapp: WhatsAppStub,
    alerts_url: String,
}

async fn setup() -> Setup {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_whatsapp(&whatsapp.url).await;
    // Alerts reach a queue subscribed to the topic, standing in for the managers' inbox.
    let name = format!(
        "{}-alerts",
        stack.resources.table.trim_end_matches("-helpdesk")
    );
    let alerts_url = stack
        .aws
        .sqs()
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let alerts_arn = helpdesk_local::provision::queue_arn(stack.aws.sqs(), &alerts_url)
        .await
        .unwrap();
    stack
        .aws
        .sns()
        .subscribe()
        .topic_arn(&stack.resources.sla_topic_arn)
        .protocol("sqs")
        .endpoint(alerts_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    Setup {
        stack,
        whatsapp,
        alerts_url,
    }
}

impl Setup {
    async fn customer_writes(&self, wa_id: &str, wamid: &str, text: &str) {
        let body = customer_text(wa_id, wamid, text);
        self.stack.deliver_to_bot(&body).await;
    }

    async fn schedules(&self) -> Vec<(String, Timestamp)> {
        self.stack.schedules().await
    }

    /// Plays the Scheduler at `now`, then lets sla-breach handle what fired.
    async fn pump_and_handle(&self, now: Timestamp) -> Vec<TimerPayload> {
        fire_due(
            self.stack.aws.scheduler(),
            self.stack.aws.sqs(),
            &self.stack.resources.schedule_group,
            now,
        )
        .await
        .unwrap();
        let fired = drain(self.stack.aws.sqs(), &self.stack.resources.sla_queue_url).await;
        let records: Vec<helpdesk::app::bot_reply::QueueRecord> = fired
            .iter()
            .enumerate()
            .map(|(i, m)| helpdesk::app::bot_reply::QueueRecord {
                message_id: format!("t{i}"),
                group_id: None,
                body: m.body.to_string(),
            })
            .collect();
        let breach = helpdesk::platform::wiring::sla_breach(&self.stack.env, &self.stack.aws)
            .await
            .unwrap();
        assert!(breach.handle_batch(&records).await.is_empty());
        fired
            .iter()
            .map(|m| serde_json::from_value(m.body.clone()).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn a_handoff_arms_a_first_response_timer_at_the_policys_warning_time() {
    let t = setup().await;
    t.customer_writes(
        "4915112345678",
        "wamid.sla1",
        "Ich möchte mit einem Mitarbeiter sprechen",
    )
    .await;
    let ticket = &t.stack.items("ticket").await[0];
    let ticket_id = s(ticket, "ticket_id");
    let clocks: helpdesk::domain::sla::SlaClocks = serde_json::from_str(s(ticket, "sla")).unwrap();
    let started = clocks.clocks[&Target::FirstResponse].started_at;

    let sla = SlaConfig::default_policies();
    let expected = warning_at(&sla, &clocks.policy, Target::FirstResponse, started);
    let schedules = t.schedules().await;
    let fr = schedules
        .iter()
        .find(|(n, _)| n.contains("-fr-"))
        .expect("a first-response schedule");
    assert_eq!(fr.0, format!("sla-{ticket_id}-fr-g0-s1"));
    assert_eq!(fr.1, at_second_up(expected));
    assert!(
        schedules.iter().all(|(n, _)| !n.contains("-bot-")),
        "the bot timer is gone after the handoff"
    );
}

#[tokio::test]
async fn an_unanswered_ticket_breaches_notifies_managers_and_escalates_level_by_level() {
    let t = setup().await;
    t.customer_writes(
        "4915112345678",
        "wamid.sla2",
        "Ich möchte mit einem Mitarbeiter sprechen",
    )
    .await;
    let far = Timestamp::now()
        .checked_add(SignedDuration::from_hours(24 * 30))
        .unwrap();
    let mut stages = Vec::new();
    for _ in 0..6 {
        for p in t.pump_and_handle(far).await {
            stages.push((p.target, p.stage));
        }
    }
    let fr: Vec<u8> = stages
        .iter()
        .filter(|(t, _)| *t == Target::FirstResponse)
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(
        fr,
        [1, 2, 3, 4],
        "warning, breach and two more levels, each once"
    );

    let ticket = &t.stack.items("ticket").await[0];
    let clocks: helpdesk::domain::sla::SlaClocks = serde_json::from_str(s(ticket, "sla")).unwrap();
    assert!(
        clocks
            .breaches
            .iter()
            .any(|b| b.target == Target::FirstResponse && b.level == 1)
    );
    assert_eq!(s(ticket, "team"), "managers");
    // Raised at level 2 of first response (normal -> high) and of resolution (-> urgent).
    assert_eq!(s(ticket, "priority"), "urgent");

    let alerts = drain(t.stack.aws.sqs(), &t.alerts_url).await;
    let texts: Vec<String> = alerts
        .iter()
        .map(|a| a.body.as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("SLA breached: first_response")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("SLA escalation level 3: first_response")),
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| !t.contains("4915112345678")),
        "no phone numbers in alerts"
    );
}

#[tokio::test]
async fn the_bot_time_limit_hands_the_ticket_to_a_person() {
    let t = setup().await;
    t.customer_writes("4915112345679", "wamid.sla3", "Hallo")
        .await;
    let soon = Timestamp::now()
        .checked_add(SignedDuration::from_mins(6))
        .unwrap();
    let fired = t.pump_and_handle(soon).await;
    assert!(fired.iter().any(|p| p.target == Target::BotTimeLimit));
    let ticket = &t.stack.items("ticket").await[0];
    assert_eq!(s(ticket, "status"), "queued");
    assert_eq!(s(ticket, "handoff_reason"), "bot_time_limit");
    assert_eq!(t.stack.drain_handoffs().await.len(), 1);
    assert!(
        t.whatsapp
            .texts()
            .last()
            .unwrap()
            .starts_with("Wir verbinden Sie mit einem Mitarbeiter")
    );
}

#[tokio::test]
async fn a_timer_that_fires_after_the_bot_resolved_the_ticket_does_nothing() {
    let t = setup().await;
    t.customer_writes(
        "4915112345670",
        "wamid.sla4",
        "Wie hoch sind die Versandkosten?",
    )
    .await;
    let ticket = &t.stack.items("ticket").await[0];
    let clocks: helpdesk::domain::sla::SlaClocks = serde_json::from_str(s(ticket, "sla")).unwrap();
    let bot = &clocks.clocks[&Target::BotTimeLimit];
    let stale = TimerPayload {
        v: 1,
        ticket_id: helpdesk::domain::ids::TicketId::parse(s(ticket, "ticket_id")).unwrap(),
        target: Target::BotTimeLimit,
        generation: bot.generation,
        stage: 2,
        due_at: Timestamp::now(),
    };
    t.customer_writes("4915112345670", "wamid.sla5", "Ja, danke")
        .await;
    assert!(
        t.schedules().await.is_empty(),
        "resolution deletes every schedule"
    );
    let breach = helpdesk::platform::wiring::sla_breach(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    assert_eq!(breach.handle(&stale).await.unwrap(), Fired::Stale);
    assert_eq!(s(&t.stack.items("ticket").await[0], "status"), "resolved");
}

#[tokio::test]
async fn an_agents_reply_deletes_the_first_response_schedule() {
    let t = setup().await;
    t.customer_writes(
        "4915112345671",
        "wamid.sla6",
        "Ich möchte mit einem Mitarbeiter sprechen",
    )
    .await;
    assert!(t.schedules().await.iter().any(|(n, _)| n.contains("-fr-")));
    let ticket = &t.stack.items("ticket").await[0];
    let id = helpdesk::domain::ids::TicketId::parse(s(ticket, "ticket_id")).unwrap();
    // The agents exist; answering takes the ticket.
    t.stack.seed_demo_agents().await;
    let desk = helpdesk::platform::wiring::agent_desk(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    let reply = helpdesk::app::agent_api::desk::AgentAction::Reply {
        text: "Hallo Anna, ich schaue mir das an.".into(),
        quote: None,
    };
    desk.act(id, "maria", &reply, None).await.unwrap();
    let names: Vec<String> = t.schedules().await.into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| !n.contains("-fr-")), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("-res-")),
        "resolution still runs: {names:?}"
    );
    assert_eq!(
        t.whatsapp.texts().last().unwrap(),
        "Hallo Anna, ich schaue mir das an."
    );
}

#[tokio::test]
async fn an_escalation_gives_an_agents_ticket_to_a_free_senior_and_the_log_shows_every_stage_once()
{
    // GIVEN tom (support) works a ticket nobody answers, and sam, a senior, has room
    let t = setup().await;
    t.customer_writes(
        "4915112345672",
        "wamid.sla7",
        "Ich möchte mit einem Mitarbeiter sprechen",
    )
    .await;
    let desk = helpdesk::platform::wiring::agent_desk(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    let store = desk.store().clone();
    for (id, team) in [("tom", "support"), ("sam", "senior")] {
        store
            .add_agent(&helpdesk::ports::store::Agent {
                id: id.into(),
                name: id.into(),
                teams: vec![team.into()],
                languages: vec![helpdesk::domain::bot::Lang::De],
                capacity: 2,
                load: 0,
                online: true,
                last_assigned_at: None,
                deactivated_at: None,
            })
            .await
            .unwrap();
    }
    let ticket = &t.stack.items("ticket").await[0];
    let id = helpdesk::domain::ids::TicketId::parse(s(ticket, "ticket_id")).unwrap();
    let take = helpdesk::app::agent_api::desk::AgentAction::Assign {
        agent: Some("tom".into()),
    };
    desk.act(id, "tom", &take, None).await.unwrap();

    // WHEN every stage of the chain fires (Scheduler on moto, sla-breach as in production),
    // and each fired timer is then delivered a second time
    let far = Timestamp::now()
        .checked_add(SignedDuration::from_hours(24 * 30))
        .unwrap();
    let mut fired = Vec::new();
    for _ in 0..6 {
        fired.extend(t.pump_and_handle(far).await);
    }
    let log_before = t.stack.items("activity").await.len();
    let breach = helpdesk::platform::wiring::sla_breach(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    for payload in &fired {
        breach.handle(payload).await.unwrap();
    }

    // THEN sam has the ticket, tom's slot is free again and tom may still read it
    let ticket = store.ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.assignee.as_deref(), Some("sam"));
    assert_eq!(ticket.watchers, ["tom"]);
    let loads: Vec<(String, u32)> = store
        .agents()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.load))
        .collect();
    assert!(loads.contains(&("tom".into(), 0)), "{loads:?}");
    assert!(loads.contains(&("sam".into(), 1)), "{loads:?}");

    // AND the activity log (DynamoDB) has each first-response stage once, then sam's assignment
    let log = store.activities(id).await.unwrap();
    assert_eq!(
        t.stack.items("activity").await.len(),
        log_before,
        "redelivery added nothing"
    );
    let stages: Vec<(String, u8)> = log
        .iter()
        .filter_map(|a| {
            let mark = a.sla.as_ref()?;
            (mark.target == Target::FirstResponse).then(|| {
                (
                    serde_json::to_value(a.kind)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    mark.level,
                )
            })
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("sla_warning".to_owned(), 0),
            ("sla_breach".to_owned(), 1),
            ("sla_escalation".to_owned(), 2),
            ("sla_escalation".to_owned(), 3),
        ]
    );
    let by_sla: Vec<&str> = log
        .iter()
        .filter(|a| a.actor == "sla" && a.kind == helpdesk::ports::store::ActivityKind::Assigned)
        .map(|a| a.text.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(by_sla, ["sam"], "one assignment, to sam");

    // AND at level 3 nobody of `managers` was free: sam keeps it and the team was alerted once
    assert_eq!(ticket.team.as_deref(), Some("managers"));
    let alerts: Vec<String> = drain(t.stack.aws.sqs(), &t.alerts_url)
        .await
        .iter()
        .map(|a| a.body.as_str().unwrap_or_default().to_owned())
        .filter(|a| a.contains("first_response") && a.contains("nobody there is free"))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("it stays with sam"), "{alerts:?}");
}

/// Routes what is on the handoff queue with agent-handoff (production wiring); every record
/// must be routed.
async fn route_handoffs(t: &Setup) -> usize {
    let router = helpdesk::platform::wiring::agent_handoff(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    let records = t.stack.handoff_records().await;
    let failed = router.handle_batch(&records).await;
    assert!(failed.is_empty(), "handoffs not routed: {failed:?}");
    records.len()
}

#[tokio::test]
async fn a_ticket_handed_over_by_its_opening_message_is_routed_again_at_the_next_bot_time_limit() {
    // GIVEN an urgent opening message the bot handed over, routed to an agent who resolved it
    let t = setup().await;
    let store = helpdesk::ports::store::DynamoStore::new(
        t.stack.aws.dynamodb().clone(),
        &t.stack.resources.table,
    );
    use helpdesk::ports::store::TicketStore;
    store
        .add_agent(&helpdesk::ports::store::Agent {
            id: "lea".into(),
            name: "Lea".into(),
            teams: vec!["support".into()],
            languages: vec![helpdesk::domain::bot::Lang::De],
            capacity: 3,
            load: 0,
            online: true,
            last_assigned_at: None,
            deactivated_at: None,
        })
        .await
        .unwrap();
    t.customer_writes(
        "4915112345672",
        "wamid.again1",
        "Dringend! Ich brauche sofort Hilfe",
    )
    .await;
    assert_eq!(route_handoffs(&t).await, 1);
    let ticket = &t.stack.items("ticket").await[0];
    assert_eq!(s(ticket, "status"), "assigned");
    let id = helpdesk::domain::ids::TicketId::parse(s(ticket, "ticket_id")).unwrap();
    let agent = s(ticket, "assignee").to_owned();
    let desk = helpdesk::platform::wiring::agent_desk(&t.stack.env, &t.stack.aws)
        .await
        .unwrap();
    desk.act(
        id,
        &agent,
        &helpdesk::app::agent_api::desk::AgentAction::Resolve,
        None,
    )
    .await
    .unwrap();

    // WHEN the customer writes again, the bot takes it back and runs out of time
    t.customer_writes("4915112345672", "wamid.again2", "Hallo")
        .await;
    assert_eq!(s(&t.stack.items("ticket").await[0], "status"), "bot");
    let soon = Timestamp::now()
        .checked_add(SignedDuration::from_mins(6))
        .unwrap();
    let fired = t.pump_and_handle(soon).await;
    assert!(fired.iter().any(|p| p.target == Target::BotTimeLimit));

    // THEN the second handoff reaches agent-handoff and is routed, once
    assert_eq!(route_handoffs(&t).await, 1, "the second handoff is queued");
    let tickets = t.stack.items("ticket").await;
    assert_eq!(tickets.len(), 1, "the same ticket");
    assert_eq!(s(&tickets[0], "status"), "assigned");
    assert_eq!(s(&tickets[0], "handoff_reason"), "bot_time_limit");
    let assigned = t
        .stack
        .items("activity")
        .await
        .into_iter()
        .filter(|a| {
            let data: serde_json::Value = serde_json::from_str(s(a, "data")).unwrap();
            data["kind"] == "assigned"
        })
        .count();
    assert_eq!(assigned, 2, "one assignment per handoff");
}

#[tokio::test]
async fn a_first_message_has_its_sla_schedules_from_its_send_time_before_the_bot_runs() {
    // GIVEN a message the customer sent 2 minutes ago, only now delivered to the webhook
    let t = setup().await;
    let sent = Timestamp::now().as_second() - 120;
    let body = customer_text_sent("4915112345673", "wamid.intake-sla", "Hallo", sent);
    t.stack.post_accepted(&body).await;
    // THEN, with no bot turn yet, the bot's time limit is scheduled 5 minutes after it was sent
    let ticket = &t.stack.items("ticket").await[0];
    let bot = format!("sla-{}-bot-g0-s2", s(ticket, "ticket_id"));
    let schedules = t.schedules().await;
    let due = schedules
        .iter()
        .find(|(n, _)| *n == bot)
        .unwrap_or_else(|| panic!("no {bot} in {schedules:?}"))
        .1;
    assert_eq!(due, Timestamp::from_second(sent + 300).unwrap());
    // AND when the bot never runs, the pump's firing hands the ticket to a person
    let fired = t
        .pump_and_handle(Timestamp::from_second(sent + 301).unwrap())
        .await;
    assert!(fired.iter().any(|p| p.target == Target::BotTimeLimit));
    assert_eq!(s(&t.stack.items("ticket").await[0], "status"), "queued");
}
