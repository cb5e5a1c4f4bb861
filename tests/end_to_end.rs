//! The whole helpdesk through real queues, on the backend the `HELPDESK_TEST_*` variables name:
//! moto + DynamoDB Local, or LocalStack (`tests/run.sh` runs this suite on both). No test code
//! moves a message: the runner's consumers play Lambda's SQS event sources, as `helpdesk-local
//! --aws` does, so a customer's webhook goes intake → inbound.fifo → bot-reply (asking the demo
//! shop over HTTP) → handoff.fifo → agent-handoff → an agent; the agent works the ticket through
//! the agent API; the first-response timer the handoff armed in EventBridge Scheduler is fired
//! by the schedule pump into sla-events, where sla-breach records the breach.

use std::time::{Duration, Instant};

use helpdesk::app::agent_api::AgentApi;
use helpdesk::domain::sla::{SlaClocks, Target};
use helpdesk_tests::api::{CallApi, DEMO_CALLERS, api_keys};
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, customer_text, s};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const CUSTOMER: &str = "4915112345678";

/// Which emulators this run uses, for failure messages.
fn backend() -> String {
    std::env::var("HELPDESK_TEST_BACKEND").unwrap_or_else(|_| "moto + DynamoDB Local".into())
}

/// Polls `check` until it gives a value, or fails naming `what` after `secs` seconds.
async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "on {}: {what} did not happen within {secs} s",
            backend()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Desk {
    stack: Stack,
    whatsapp: WhatsAppStub,
    api: AgentApi,
}

impl Desk {
    async fn start() -> Self {
        helpdesk::platform::telemetry::init();
        let whatsapp = WhatsAppStub::start().await;
        // The runner's demo shop, over HTTP, as `--aws` mode serves it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shop = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                helpdesk_local::shop::routes(helpdesk::ports::orders::MemoryOrders::demo()),
            )
            .await
            .unwrap()
        });
        let mut stack = Stack::for_runner(&whatsapp.url).await;
        stack.env = helpdesk_local::shop::with_demo_shop(
            stack
                .env
                .clone()
                .or_default("HELPDESK_API_AUTH", "api_keys")
                .or_default("HELPDESK_API_KEYS", &api_keys(DEMO_CALLERS)),
            &shop,
        );
        // As `--aws --demo-agents` does; the consumers themselves add no agent.
        stack.seed_demo_agents().await;
        helpdesk_local::consumers::spawn(&stack.env, &stack.aws)
            .await
            .expect("consumers from a valid environment");
        let api = stack.agent_api().await;
        Self {
            stack,
            whatsapp,
            api,
        }
    }

    /// The customer writes; the webhook must take it (the consumers do the rest).
    async fn customer_writes(&self, wamid: &str, text: &str) {
        let body = customer_text(CUSTOMER, wamid, text);
        self.stack.post_accepted(&body).await;
    }

    /// Waits for a WhatsApp text to the customer containing `part`.
    async fn customer_reads(&self, part: &str) -> String {
        eventually(&format!("a WhatsApp text with {part:?}"), 30, || async {
            self.whatsapp.texts().into_iter().find(|t| t.contains(part))
        })
        .await
    }

    async fn ticket(
        &self,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.stack.items("ticket").await.into_iter().next()
    }
}

#[tokio::test]
async fn a_customer_goes_from_the_bot_to_an_agent_and_an_unanswered_ticket_breaches_on_time() {
    let desk = Desk::start().await;

    // The bot answers an order question from the demo shop.
    desk.customer_writes("wamid.e2e1", "Wo ist mein Paket?")
        .await;
    desk.customer_reads("Bestellnummer").await;
    desk.customer_writes("wamid.e2e2", "100234").await;
    let answer = desk.customer_reads("100234").await;
    assert!(answer.contains("DHL"), "the shop's carrier: {answer}");

    // Asking for a person hands over; routing assigns an agent through handoff.fifo.
    desk.customer_writes("wamid.e2e3", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let agent = eventually("routing to an agent", 30, || async {
        let t = desk.ticket().await?;
        (s(&t, "status") == "assigned").then(|| s(&t, "assignee").to_owned())
    })
    .await;

    // The agent sees it in their own list and reads the conversation through the agent API.
    let mine = desk
        .api
        .ok(&agent, "GET", "/tickets?assignee=me", Value::Null)
        .await;
    let id = mine["tickets"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("on {}: no ticket for {agent}: {mine}", backend()))
        .to_owned();
    let detail = desk
        .api
        .ok(&agent, "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert!(detail.to_string().contains("100234"), "{detail}");

    // Nobody answers: the pump fires the first-response timers (warning, then breach) when
    // they are due, and sla-breach, on its queue, records the breach.
    let far = Timestamp::now()
        .checked_add(SignedDuration::from_hours(24 * 30))
        .unwrap();
    let stack = &desk.stack;
    eventually("a first-response breach", 60, || async {
        helpdesk_local::pump::fire_due(
            stack.aws.scheduler(),
            stack.aws.sqs(),
            &stack.resources.schedule_group,
            far,
        )
        .await
        .expect("the pump");
        let t = desk.ticket().await?;
        let clocks: SlaClocks = serde_json::from_str(s(&t, "sla")).ok()?;
        clocks
            .breaches
            .iter()
            .any(|b| b.target == Target::FirstResponse)
            .then_some(())
    })
    .await;

    // The supervisor answers (escalation may have moved it to the managers) and resolves; the
    // customer gets both on WhatsApp.
    desk.api
        .ok(
            "maria",
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "Hallo Anna, ich helfe Ihnen gern."}),
        )
        .await;
    desk.customer_reads("ich helfe Ihnen gern").await;
    let resolved = desk
        .api
        .ok(
            "maria",
            "POST",
            &format!("/tickets/{id}/resolve"),
            Value::Null,
        )
        .await;
    assert_eq!(resolved["status"], "resolved", "{resolved}");
}
