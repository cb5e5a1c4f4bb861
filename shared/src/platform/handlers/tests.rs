use super::*;
use crate::ports::clock::SystemClock;

#[test]
fn a_handler_without_a_port_it_needs_names_the_variable() {
    let ports = Ports::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
    let err = agent_handoff(&ports, &Settings::default())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(err, "WHATSAPP_ACCESS_TOKEN is not set");
    let err = intake(&ports, &Settings::default())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(err, "HELPDESK_INBOUND_QUEUE_URL is not set");
}

mod live_routing {
    use super::*;
    use crate::app::agent_handoff::Routed;
    use crate::app::bot_reply::QueueRecord;
    use crate::app::intake::webhook::plan::plan;
    use crate::app::intake::webhook::sample::{SampleText, text_notification};
    use crate::ports::clock::ManualClock;
    use crate::ports::config_docs::{CheckedBody, NewVersion};
    use crate::ports::whatsapp::MemoryWhatsApp;

    async fn publish(docs: &MemoryConfigDocs, kind: ConfigKind, body: &str, at: jiff::Timestamp) {
        let head = docs.head(kind).await.unwrap();
        let base = head.as_ref().map_or(0, |h| h.latest);
        let checked = CheckedBody::check(kind, body, "doc").unwrap();
        let new = NewVersion::new(checked, base, "lead", "", at).unwrap();
        let v = docs.save(&new).await.unwrap().version;
        let published = head.and_then(|h| h.published);
        docs.publish(kind, v, published, "lead", at).await.unwrap();
    }

    /// The customer asks for a person about `topic`; the bot hands over; the router routes.
    async fn handoff(
        memory: &MemoryPorts,
        intake: &Intake,
        bot: &BotReply,
        router: &Router,
        wa_id: &str,
        at: jiff::Timestamp,
    ) -> Routed {
        let body = text_notification(
            "106540352242922",
            &[SampleText {
                wa_id,
                profile_name: "Kunde",
                wamid: &format!("wamid.{wa_id}"),
                timestamp: at.as_second(),
                body: "Ich möchte mit einem Mitarbeiter sprechen, es geht um eine Mahnung",
            }],
        );
        intake.ingest(&plan(body.as_bytes()).unwrap()).await;
        let inbound: Vec<QueueRecord> = memory
            .inbound
            .receive(10)
            .into_iter()
            .map(QueueRecord::from)
            .collect();
        assert!(bot.handle_batch(&inbound).await.is_empty());
        let handoffs = memory.handoffs.receive(10);
        assert_eq!(handoffs.len(), 1, "the bot hands over");
        let item = serde_json::from_str(&handoffs[0].body).unwrap();
        router.route(&item).await.unwrap()
    }

    #[tokio::test]
    async fn a_published_routing_keyword_and_team_route_the_next_handoff_without_a_restart() {
        let start: jiff::Timestamp = "2026-11-24T09:00:00Z".parse().unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let memory = MemoryPorts::new(clock.clone());
        let ports = Ports::memory(&memory, clock.clone(), Arc::new(MemoryWhatsApp::new()));
        let settings = Settings::shipped();
        let shipped = include_str!("../../../../config/routing.toml");
        publish(&memory.config_docs, ConfigKind::Routing, shipped, start).await;
        let intake = intake(
            &Ports {
                timers: None,
                ..ports.clone()
            },
            &settings,
        )
        .unwrap();
        let bot = bot_reply(&ports, &settings).unwrap();
        let router = agent_handoff(&ports, &settings).unwrap();

        let before = handoff(&memory, &intake, &bot, &router, "4915100000001", start).await;
        assert_eq!(
            before,
            Routed::Queued {
                team: "support".into()
            }
        );

        // "Mahnung" (a dunning letter) now goes to a new team, dunning.
        let with_keyword =
            format!("{shipped}\n[[rules]]\nteam = \"dunning\"\nkeywords = [\"mahnung\"]\n");
        publish(
            &memory.config_docs,
            ConfigKind::Routing,
            &with_keyword,
            clock.now(),
        )
        .await;
        clock.advance(jiff::SignedDuration::from_secs(16));
        let after = handoff(
            &memory,
            &intake,
            &bot,
            &router,
            "4915100000002",
            clock.now(),
        )
        .await;
        assert_eq!(
            after,
            Routed::Queued {
                team: "dunning".into()
            }
        );
        let ticket = memory
            .store
            .tickets()
            .into_iter()
            .find(|t| t.key.wa_id.as_str() == "4915100000002")
            .unwrap();
        assert_eq!(ticket.team.as_deref(), Some("dunning"));
    }
}

mod live_sla {
    use super::*;
    use crate::app::intake::webhook::plan::plan;
    use crate::app::intake::webhook::sample::{SampleText, text_notification};
    use crate::domain::sla::{Target, TimerPayload};
    use crate::ports::clock::ManualClock;
    use crate::ports::config_docs::{CheckedBody, NewVersion};

    // Tuesday 2025-11-25, 16:00 in Berlin. Intake starts the resolution clock on the office
    // calendar (08:00-18:00 Berlin; the first-response clock starts at the handoff), so its
    // first timer (the warning) moves by a business day when a day before it is a holiday.
    const TUESDAY_1600_BERLIN: i64 = 1_764_082_800;

    async fn publish_sla(docs: &MemoryConfigDocs, body: &str, at: jiff::Timestamp) {
        let head = docs.head(ConfigKind::Sla).await.unwrap();
        let base = head.as_ref().map_or(0, |h| h.latest);
        let checked = CheckedBody::check(ConfigKind::Sla, body, "sla").unwrap();
        let new = NewVersion::new(checked, base, "lead", "holiday", at).unwrap();
        let v = docs.save(&new).await.unwrap().version;
        let published = head.and_then(|h| h.published);
        docs.publish(ConfigKind::Sla, v, published, "lead", at)
            .await
            .unwrap();
    }

    fn message(wa_id: &str, wamid: &str) -> String {
        text_notification(
            "106540352242922",
            &[SampleText {
                wa_id,
                profile_name: "Kunde",
                wamid,
                timestamp: TUESDAY_1600_BERLIN,
                body: "Ich habe eine Frage zu meiner Rechnung",
            }],
        )
    }

    fn resolution_warning_at(memory: &MemoryPorts, ticket: crate::domain::ids::TicketId) -> String {
        let mut due: Vec<_> = memory
            .timers
            .armed()
            .iter()
            .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
            .filter(|p| p.ticket_id == ticket && p.target == Target::Resolution)
            .map(|p| p.due_at)
            .collect();
        due.sort();
        due.dedup();
        assert_eq!(due.len(), 1, "one resolution timer: {due:?}");
        due[0].to_string()
    }

    #[tokio::test]
    async fn a_published_holiday_moves_the_next_tickets_business_time_deadline_without_a_restart() {
        let start = jiff::Timestamp::from_second(TUESDAY_1600_BERLIN + 5).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let memory = MemoryPorts::new(clock.clone());
        let ports = Ports {
            inbound: Some(memory.inbound.clone()),
            timers: Some(memory.timers.clone()),
            config_docs: Some(memory.config_docs.clone()),
            ..Ports::new(memory.store.clone(), clock.clone())
        };
        let shipped = include_str!("../../../../config/sla.toml");
        publish_sla(&memory.config_docs, shipped, start).await;
        let intake = intake(&ports, &Settings::shipped()).unwrap();

        let report = intake
            .ingest(&plan(message("4915100000001", "wamid.A").as_bytes()).unwrap())
            .await;
        assert_eq!(report.tickets_opened, 1, "{report:?}");
        let first = memory.store.tickets()[0].id;
        assert_eq!(
            resolution_warning_at(&memory, first),
            "2025-12-03T08:36:00Z"
        );

        // Wednesday becomes a holiday; the same intake sees it once the interval passed.
        let with_holiday = shipped.replace(
            "holidays = [\"2026-12-24\"",
            "holidays = [\"2025-11-26\", \"2026-12-24\"",
        );
        assert_ne!(with_holiday, shipped);
        publish_sla(&memory.config_docs, &with_holiday, clock.now()).await;
        clock.advance(jiff::SignedDuration::from_secs(16));

        let report = intake
            .ingest(&plan(message("4915100000002", "wamid.B").as_bytes()).unwrap())
            .await;
        assert_eq!(report.tickets_opened, 1, "{report:?}");
        let second = memory
            .store
            .tickets()
            .into_iter()
            .find(|t| t.id != first)
            .unwrap()
            .id;
        assert_eq!(
            resolution_warning_at(&memory, second),
            "2025-12-04T08:36:00Z"
        );
        // The ticket opened before keeps the deadline it was given.
        assert_eq!(
            resolution_warning_at(&memory, first),
            "2025-12-03T08:36:00Z"
        );
    }

    fn first_response_due(
        w: &crate::testkit::World,
        ticket: crate::domain::ids::TicketId,
    ) -> jiff::Timestamp {
        w.timers
            .armed()
            .iter()
            .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
            .find(|p| p.ticket_id == ticket && p.target == Target::FirstResponse)
            .map(|p| p.due_at)
            .expect("a first-response timer")
    }

    /// The first timer armed for `target` of `ticket` (its next stage).
    fn due(
        w: &crate::testkit::World,
        ticket: crate::domain::ids::TicketId,
        target: Target,
    ) -> Option<jiff::Timestamp> {
        w.timers
            .armed()
            .iter()
            .filter_map(|t| serde_json::from_str::<TimerPayload>(&t.payload).ok())
            .find(|p| p.ticket_id == ticket && p.target == target)
            .map(|p| p.due_at)
    }

    /// The shipped policies with `standard` renamed `normal` (and the default with it), and
    /// a next response due in 1 h instead of 8 h.
    fn renamed(shipped: &str) -> String {
        let out = shipped
            .replace(
                "default_policy = \"standard\"",
                "default_policy = \"normal\"",
            )
            .replace("name = \"standard\"", "name = \"normal\"")
            .replace("next_response = \"8h\"", "next_response = \"1h\"");
        assert!(!out.contains("\"standard\""), "{out}");
        out
    }

    const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

    #[tokio::test]
    async fn a_ticket_keeps_the_policy_version_it_started_with_when_a_publish_renames_its_policy() {
        let a = crate::testkit::api::api().await;
        let w = &a.w;
        let shipped = include_str!("../../../../config/sla.toml");
        publish_sla(&w.config_docs, shipped, w.clock.now()).await;
        let id = w.customer("wamid.1", HANDOFF).await;
        let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
        assert_eq!(
            (clocks.policy.as_str(), clocks.policy_version),
            ("standard", Some(1))
        );
        let resolution = due(w, id, Target::Resolution).expect("a resolution timer");

        publish_sla(&w.config_docs, &renamed(shipped), w.clock.now()).await;
        w.clock.advance(jiff::SignedDuration::from_secs(16));
        let reply = crate::app::agent_api::desk::AgentAction::Reply {
            text: "Hallo, ich kümmere mich darum.".into(),
            quote: None,
        };
        w.desk.act(id, "maria", &reply, None).await.unwrap();
        // The running resolution deadline keeps its timer and due time.
        assert_eq!(due(w, id, Target::Resolution), Some(resolution));

        // The customer writes: next response starts under the ticket's version (8 h, its
        // warning at 80 %), not the published 1 h.
        w.customer("wamid.2", "Danke, wann kommt das Geld?").await;
        let next = due(w, id, Target::NextResponse).expect("a next-response timer");
        assert!(
            next.duration_since(w.clock.now()) > jiff::SignedDuration::from_hours(2),
            "{next}"
        );
        let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
        assert_eq!(
            (clocks.policy.as_str(), clocks.policy_version),
            ("standard", Some(1))
        );
        // The agents see the deadlines the timers keep.
        let detail = a
            .ok(
                "maria",
                "GET",
                &format!("/tickets/{id}"),
                serde_json::Value::Null,
            )
            .await;
        let view = detail["sla"]["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["target"] == "next_response")
            .cloned()
            .unwrap();
        let shown: jiff::Timestamp = serde_json::from_value(view["warning_at"].clone()).unwrap();
        assert_eq!(shown, next);

        // A new ticket is chosen from the published version.
        let other = w.customer_as("4915100000002", "wamid.3", HANDOFF).await;
        let clocks = w.store.ticket(other).await.unwrap().unwrap().sla.unwrap();
        assert_eq!(
            (clocks.policy.as_str(), clocks.policy_version),
            ("normal", Some(2))
        );
    }

    #[tokio::test]
    async fn a_ticket_whose_policy_no_version_has_is_given_the_published_one_and_keeps_its_timers()
    {
        // Opened on the start-up file (no version), as tickets from before this release.
        let w = crate::testkit::world().await;
        let id = w.customer("wamid.1", HANDOFF).await;
        let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
        assert_eq!(
            (clocks.policy.as_str(), clocks.policy_version),
            ("standard", None)
        );

        let shipped = include_str!("../../../../config/sla.toml");
        publish_sla(&w.config_docs, &renamed(shipped), w.clock.now()).await;
        w.clock.advance(jiff::SignedDuration::from_secs(16));
        let reply = crate::app::agent_api::desk::AgentAction::Reply {
            text: "Hallo".into(),
            quote: None,
        };
        w.desk.act(id, "maria", &reply, None).await.unwrap();
        let clocks = w.store.ticket(id).await.unwrap().unwrap().sla.unwrap();
        assert_eq!(
            (clocks.policy.as_str(), clocks.policy_version),
            ("normal", Some(1))
        );
        assert!(
            due(&w, id, Target::Resolution).is_some(),
            "armed: {:?}",
            w.armed()
        );
    }

    #[tokio::test]
    async fn a_handoff_after_a_publish_plans_first_response_with_the_published_holiday() {
        let w = crate::testkit::world().await;
        let shipped = include_str!("../../../../config/sla.toml");
        publish_sla(&w.config_docs, shipped, w.clock.now()).await;
        let handoff = "Ich möchte mit einem Mitarbeiter sprechen";
        let first = w.customer_as("4915100000001", "wamid.A", handoff).await;
        let before = first_response_due(&w, first);

        // The day of both tickets (Tue 24 Nov 2026) becomes a holiday.
        let with_holiday = shipped.replace(
            "holidays = [\"2026-12-24\"",
            "holidays = [\"2026-11-24\", \"2026-12-24\"",
        );
        publish_sla(&w.config_docs, &with_holiday, w.clock.now()).await;
        w.clock.advance(jiff::SignedDuration::from_secs(16));
        let second = w.customer_as("4915100000002", "wamid.B", handoff).await;
        let after = first_response_due(&w, second);
        assert!(before.to_string().starts_with("2026-11-24"), "{before}");
        assert!(after.to_string().starts_with("2026-11-25"), "{after}");
        assert_eq!(
            first_response_due(&w, first),
            before,
            "armed deadlines stay"
        );
    }
}
