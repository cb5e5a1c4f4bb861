//! The local runner's `--aws` mode against the emulators: its queue consumers play Lambda's SQS
//! event sources, so a webhook posted to the intake flows through the real queues to the bot and
//! on to routing without any test code moving messages by hand.

use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, post_signed, s};
use http::StatusCode;
use jiff::Timestamp;

#[tokio::test]
async fn the_runner_consumers_carry_a_message_from_intake_to_an_agent() {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::for_runner(&whatsapp.url).await;
    // As `--aws --demo-agents` does; the consumers themselves add no agent.
    stack.seed_demo_agents().await;
    helpdesk_local::consumers::spawn(&stack.env, &stack.aws)
        .await
        .expect("consumers from a valid environment");

    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id: "4915112345678",
            profile_name: "Anna",
            wamid: "wamid.runner1",
            timestamp: Timestamp::now().as_second(),
            body: "Das ist dringend, bitte rufen Sie mich an",
        }],
    );
    let webhook = stack.webhook().await;
    assert_eq!(
        post_signed(&webhook, body.as_bytes()).await.status(),
        StatusCode::OK
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let tickets = stack.items("ticket").await;
        if let Some(t) = tickets.first()
            && s(t, "status") == "assigned"
        {
            assert!(t.get("assignee").is_some());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the ticket was not routed: {tickets:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        whatsapp.texts().iter().any(|t| t.contains("Mitarbeiter")),
        "the bot told the customer: {:?}",
        whatsapp.texts()
    );
}

#[tokio::test]
async fn the_runner_refuses_to_start_its_consumers_without_the_sla_queue() {
    let stack = Stack::new().await;
    let err = helpdesk_local::consumers::spawn(&stack.env, &stack.aws)
        .await
        .expect_err("a missing setting");
    assert!(err.to_string().contains("HELPDESK_SLA_QUEUE_URL"), "{err}");
}
