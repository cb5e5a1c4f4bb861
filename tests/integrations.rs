//! Ticket events to EventBridge against moto: the production wiring of every function publishes
//! to a bus made for the test, a rule on it forwards `source: helpdesk` to an SQS queue (as a
//! CRM's subscription would), and the test reads what a subscriber receives.

use helpdesk::app::agent_api::AgentApi;
use helpdesk::ports::aws_json::AwsJsonApi;
use helpdesk_tests::api::{Assigned, CallApi, DEMO_CALLERS, api_keys, first_assigned};
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Emulators, Stack, customer_text, drain, sdk};
use serde_json::{Value, json};

const CUSTOMER: &str = "4915112345678";

/// A bus and a subscriber queue: (bus name, queue URL).
async fn subscribed_bus(name: &str) -> (String, String) {
    let moto = Emulators::from_env().moto;
    let sdk = sdk(&moto).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = AwsJsonApi::new(&sdk, "events", "application/x-amz-json-1.1", &[], |_, _| {
        moto.clone()
    })
    .unwrap();
    let bus = format!("{name}-tickets");
    events
        .call("AWSEvents.CreateEventBus", &json!({"Name": bus}))
        .await
        .unwrap();
    let queue = sqs
        .create_queue()
        .queue_name(format!("{name}-crm"))
        .send()
        .await
        .unwrap();
    let url = queue.queue_url().unwrap().to_owned();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs
        .attributes()
        .unwrap()
        .get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .unwrap()
        .clone();
    events
        .call(
            "AWSEvents.PutRule",
            &json!({"Name": "crm", "EventBusName": bus,
                    "EventPattern": json!({"source": ["helpdesk"]}).to_string()}),
        )
        .await
        .unwrap();
    events
        .call(
            "AWSEvents.PutTargets",
            &json!({"Rule": "crm", "EventBusName": bus,
                    "Targets": [{"Id": "crm-queue", "Arn": arn}]}),
        )
        .await
        .unwrap();
    (bus, url)
}

struct Flow {
    stack: Stack,
    _whatsapp: WhatsAppStub,
    api: AgentApi,
    crm_queue: String,
}

async fn flow() -> Flow {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let name = format!("e{}", ulid::Ulid::new().to_string().to_lowercase());
    let (bus, crm_queue) = subscribed_bus(&name).await;
    let stack = Stack::with_env(&[
        ("WHATSAPP_ACCESS_TOKEN", "t"),
        ("WHATSAPP_API_BASE_URL", &whatsapp.url),
        ("HELPDESK_API_AUTH", "api_keys"),
        ("HELPDESK_API_KEYS", &api_keys(DEMO_CALLERS)),
        ("HELPDESK_EVENT_BUS", &bus),
    ])
    .await;
    stack.seed_demo_agents().await;
    let api = stack.agent_api().await;
    Flow {
        stack,
        _whatsapp: whatsapp,
        api,
        crm_queue,
    }
}

impl Flow {
    async fn customer_writes(&self, wamid: &str, text: &str) {
        let body = customer_text(CUSTOMER, wamid, text);
        self.stack.deliver_and_route(&body).await;
    }

    /// What the subscriber's queue received since the last call: EventBridge envelopes.
    async fn received(&self) -> Vec<Value> {
        drain(self.stack.aws.sqs(), &self.crm_queue)
            .await
            .into_iter()
            .map(|m| m.body)
            .collect()
    }
}

#[tokio::test]
async fn a_subscriber_receives_each_ticket_event_from_eventbridge_once_per_id_without_customer_data()
 {
    let f = flow().await;
    f.customer_writes("wamid.ev1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let Assigned {
        id,
        assignee: agent,
        ..
    } = first_assigned(&f.api).await;
    f.api
        .ok(
            &agent,
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "Hallo Anna"}),
        )
        .await;
    let path = format!("/tickets/{id}/resolve");
    assert_eq!(
        f.api
            .call_keyed(&agent, "POST", &path, "resolve-1")
            .await
            .status,
        200
    );
    let mut events = f.received().await;
    // The agent's client repeats the request (a lost answer): nothing new is published.
    assert_eq!(
        f.api
            .call_keyed(&agent, "POST", &path, "resolve-1")
            .await
            .status,
        200
    );
    events.extend(f.received().await);

    let types: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ticket.opened",
            "ticket.handed_over",
            "ticket.assigned",
            "ticket.replied",
            "ticket.resolved"
        ],
        "{events:#?}"
    );
    for e in &events {
        assert_eq!(e["source"], "helpdesk");
        let detail = &e["detail"];
        assert_eq!(detail["schema_version"], 1);
        assert_eq!(detail["ticket_id"], id.as_str());
        assert_eq!(detail["event_id"].as_str().unwrap().len(), 32);
        let text = detail.to_string();
        assert!(!text.contains(CUSTOMER), "no phone number: {text}");
        assert!(!text.contains("Hallo Anna"), "no message text: {text}");
    }
    assert_eq!(events[2]["detail"]["assignee"], agent.as_str());
    assert_eq!(events[4]["detail"]["status"], "resolved");
}
