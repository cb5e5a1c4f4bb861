//! Test harness for the integration tests: emulator endpoints, a freshly provisioned set of
//! resources per test (unique names, so tests run in parallel against one emulator), the real
//! handler built by the production wiring, stand-ins for outside HTTP APIs, and helpers to look
//! at what landed in AWS.

pub mod api;
pub mod stubs;

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk::app::intake::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk::domain::sla::{SlaConfig, Target};
use helpdesk::platform::config::Env;
use helpdesk::platform::wiring::AwsClients;
use helpdesk_local::provision::{Resources, provision};
use http::{HeaderMap, HeaderValue, Method, Response};
use secrecy::SecretString;

pub const APP_SECRET: &str = "integration-app-secret";
pub const VERIFY_TOKEN: &str = "integration-verify-token";
pub const REGION: &str = "eu-central-1";

/// Where the emulators listen. `tests/run.sh` starts them and sets these variables.
pub struct Emulators {
    pub moto: String,
    pub dynamodb: String,
}

impl Emulators {
    pub fn from_env() -> Self {
        let get = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: these tests need the AWS emulators. Run `bash tests/run.sh`, \
                     or `bash infra/emulators.sh start` and export what it prints."
                )
            })
        };
        Self {
            moto: get("HELPDESK_TEST_MOTO_URL"),
            dynamodb: get("HELPDESK_TEST_DYNAMODB_URL"),
        }
    }
}

pub async fn sdk(endpoint: &str) -> SdkConfig {
    helpdesk::platform::wiring::sdk_loader()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "emulator",
        ))
        .load()
        .await
}

/// One test's world: its own table and queues, the clients, and the environment a deployed
/// function would see.
pub struct Stack {
    pub resources: Resources,
    pub aws: AwsClients,
    pub env: Env,
    pub moto: SdkConfig,
}

impl Stack {
    /// Provisions fresh resources: DynamoDB on DynamoDB Local, everything else on moto.
    pub async fn new() -> Self {
        Self::with_env(&[]).await
    }

    pub async fn with_env(extra: &[(&str, &str)]) -> Self {
        let emulators = Emulators::from_env();
        let moto = sdk(&emulators.moto).await;
        let dynamodb = sdk(&emulators.dynamodb).await;
        let prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
        let resources = provision(&dynamodb, &moto, &prefix)
            .await
            .expect("provision test resources");
        let aws = AwsClients::new(&moto).with_dynamodb(&dynamodb);
        let mut pairs: Vec<(&str, &str)> = vec![
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
            ("HELPDESK_TABLE", &resources.table),
            ("HELPDESK_INBOUND_QUEUE_URL", &resources.inbound_queue_url),
            ("HELPDESK_HANDOFF_QUEUE_URL", &resources.handoff_queue_url),
            ("HELPDESK_SCHEDULE_GROUP", &resources.schedule_group),
            ("HELPDESK_SLA_QUEUE_ARN", &resources.sla_queue_arn),
            ("HELPDESK_SCHEDULER_ROLE_ARN", &resources.scheduler_role_arn),
            ("HELPDESK_SLA_TOPIC_ARN", &resources.sla_topic_arn),
            ("HELPDESK_MEDIA_BUCKET", &resources.media_bucket),
        ];
        for (k, v) in extra {
            pairs.retain(|(name, _)| name != k);
            pairs.push((k, v));
        }
        let env = Env::from_pairs(pairs);
        Self {
            resources,
            aws,
            env,
            moto,
        }
    }

    /// A stack whose functions send WhatsApp messages to `whatsapp_url` (a stub).
    pub async fn with_whatsapp(whatsapp_url: &str) -> Self {
        // Media is downloaded from the stub's loopback origin, allowed explicitly as the local
        // runner allows its own (only Meta's https hosts are by default).
        Self::with_env(&[
            ("WHATSAPP_ACCESS_TOKEN", "t"),
            ("WHATSAPP_API_BASE_URL", whatsapp_url),
            ("HELPDESK_MEDIA_DOWNLOAD_HOSTS", whatsapp_url),
        ])
        .await
    }

    /// A stack for the local runner's `--aws` consumers, sending WhatsApp messages to
    /// `whatsapp_url` (a stub) and knowing where fired SLA timers arrive.
    pub async fn for_runner(whatsapp_url: &str) -> Self {
        let mut stack = Self::with_whatsapp(whatsapp_url).await;
        stack.env = stack.env.clone().or_default(
            helpdesk_local::consumers::HELPDESK_SLA_QUEUE_URL,
            &stack.resources.sla_queue_url,
        );
        stack
    }

    /// Adds the demo agents (maria, tom, alex, ada) to the table, as the local runner does. The
    /// functions never do: a test that needs agents says so.
    pub async fn seed_demo_agents(&self) {
        let store = helpdesk::ports::store::DynamoStore::new(
            self.aws.dynamodb().clone(),
            &self.resources.table,
        );
        helpdesk::app::agent_handoff::AgentSeed::demo()
            .plant(&store)
            .await
            .expect("seed the demo agents");
    }

    /// How many objects the media bucket holds.
    pub async fn media_objects(&self) -> i32 {
        self.aws
            .s3()
            .list_objects_v2()
            .bucket(&self.resources.media_bucket)
            .send()
            .await
            .expect("list the media bucket")
            .key_count()
            .expect("ListObjectsV2 answers KeyCount")
    }

    /// The webhook handler exactly as the Lambda function builds it.
    pub async fn webhook(&self) -> Arc<WebhookHandler> {
        Arc::new(
            helpdesk::platform::wiring::webhook_handler(&self.env, &self.aws)
                .await
                .expect("handler from a valid environment"),
        )
    }

    /// Every item of the table (tests may scan; the helpdesk never does).
    pub async fn scan(&self) -> Vec<HashMap<String, AttributeValue>> {
        self.aws
            .dynamodb()
            .scan()
            .table_name(&self.resources.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan")
    }

    /// Every item of the table, by `entity`.
    pub async fn items(&self, entity: &str) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = self.scan().await;
        items.retain(|item| {
            item.get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(entity)
        });
        items
    }

    /// The SLA timers armed in the stack's Scheduler group: (name, `at()` time), by name.
    pub async fn schedules(&self) -> Vec<(String, jiff::Timestamp)> {
        let scheduler = self.aws.scheduler();
        let group = &self.resources.schedule_group;
        let out = scheduler
            .list_schedules()
            .group_name(group)
            .send()
            .await
            .expect("list schedules");
        let mut all = Vec::new();
        for summary in out.schedules() {
            let name = summary.name().expect("a schedule has a name").to_owned();
            let schedule = scheduler
                .get_schedule()
                .group_name(group)
                .name(&name)
                .send()
                .await
                .expect("get schedule");
            let expression = schedule.schedule_expression().expect("an expression");
            let at = helpdesk_local::pump::parse_at(expression).expect("an at() expression");
            all.push((name, at));
        }
        all.sort();
        all
    }

    /// Drains the inbound queue: (group id, dedup id, body) in receive order.
    pub async fn drain_inbound(&self) -> Vec<QueuedMessage> {
        drain(self.aws.sqs(), &self.resources.inbound_queue_url).await
    }
}

#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub group_id: String,
    pub dedup_id: String,
    pub body: serde_json::Value,
}

pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<QueuedMessage> {
    let mut out = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            let attrs = m.attributes.clone().unwrap_or_default();
            out.push(QueuedMessage {
                group_id: attrs
                    .get(&MessageSystemAttributeName::MessageGroupId)
                    .cloned()
                    .unwrap_or_default(),
                dedup_id: attrs
                    .get(&MessageSystemAttributeName::MessageDeduplicationId)
                    .cloned()
                    .unwrap_or_default(),
                // JSON bodies parsed; anything else (an SNS e-mail text) kept as a string.
                body: serde_json::from_str(m.body().unwrap_or("null")).unwrap_or_else(|_| {
                    serde_json::Value::String(m.body().unwrap_or_default().to_owned())
                }),
            });
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// The business number (`phone_number_id`) the customers' messages are addressed to.
pub const NUMBER: &str = "106540352242922";

/// A webhook body as Meta sends it: customer `wa_id` (profile name Anna) writes `text` as
/// message `wamid`, sent now.
pub fn customer_text(wa_id: &str, wamid: &str, text: &str) -> String {
    customer_text_sent(wa_id, wamid, text, jiff::Timestamp::now().as_second())
}

/// [`customer_text`], sent at `sent` (Unix seconds).
pub fn customer_text_sent(wa_id: &str, wamid: &str, text: &str, sent: i64) -> String {
    text_notification(
        NUMBER,
        &[SampleText {
            wa_id,
            profile_name: "Anna",
            wamid,
            timestamp: sent,
            body: text,
        }],
    )
}

/// When `sla`'s policy `policy` warns about `target` on a clock started at `started` (the
/// time the SLA timer is armed for, before the Scheduler rounds it: see [`at_second_up`]).
pub fn warning_at(
    sla: &SlaConfig,
    policy: &str,
    target: Target,
    started: jiff::Timestamp,
) -> jiff::Timestamp {
    let policy = sla
        .policies
        .iter()
        .find(|p| p.name == policy)
        .unwrap_or_else(|| panic!("no SLA policy {policy}"));
    sla.schedule(policy, target, started, &[])
        .expect("a schedule")
        .expect("a clock not paused")
        .warning_at
}

/// `t` as the Scheduler's `at()` keeps it: whole seconds, rounded up.
pub fn at_second_up(t: jiff::Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_second(t.as_second() + i64::from(t.subsec_nanosecond() > 0))
        .expect("a time in range")
}

pub fn s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("item has no string {name}: {item:?}"))
}

pub fn signed_headers(body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let signature = SignatureVerifier::new(&SecretString::from(APP_SECRET)).sign(body);
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(&signature).expect("ascii"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers
}

/// POSTs a body signed with the test app secret, as Meta would.
pub async fn post_signed(handler: &WebhookHandler, body: &[u8]) -> Response<String> {
    handler
        .handle(&Method::POST, None, &signed_headers(body), body)
        .await
}

impl Stack {
    /// Posts a webhook body signed as Meta would to this stack's intake: it must be accepted.
    pub async fn post_accepted(&self, body: &str) {
        let response = post_signed(&*self.webhook().await, body.as_bytes()).await;
        assert_eq!(
            response.status(),
            http::StatusCode::OK,
            "{}",
            response.body()
        );
    }

    /// Posts a webhook body signed as Meta would (it must be accepted), then lets bot-reply
    /// (production wiring) handle what the intake queued.
    pub async fn deliver_to_bot(&self, body: &str) {
        self.post_accepted(body).await;
        let bot = helpdesk::platform::wiring::bot_reply(&self.env, &self.aws)
            .await
            .expect("bot-reply from a valid environment");
        let failed = bot.handle_batch(&self.inbound_records().await).await;
        assert!(failed.is_empty(), "bot-reply failed records: {failed:?}");
    }

    /// [`deliver_to_bot`](Self::deliver_to_bot), then lets agent-handoff (production wiring)
    /// route what the bot handed over.
    pub async fn deliver_and_route(&self, body: &str) {
        self.deliver_to_bot(body).await;
        let router = helpdesk::platform::wiring::agent_handoff(&self.env, &self.aws)
            .await
            .expect("agent-handoff from a valid environment");
        let failed = router.handle_batch(&self.handoff_records().await).await;
        assert!(
            failed.is_empty(),
            "agent-handoff failed records: {failed:?}"
        );
    }

    /// Drains the handoff queue as the agent-handoff function would receive it.
    pub async fn handoff_records(&self) -> Vec<helpdesk::app::bot_reply::QueueRecord> {
        records(self.drain_handoffs().await)
    }

    /// Drains the inbound queue as the bot-reply function would receive it.
    pub async fn inbound_records(&self) -> Vec<helpdesk::app::bot_reply::QueueRecord> {
        records(self.drain_inbound().await)
    }

    pub async fn drain_handoffs(&self) -> Vec<QueuedMessage> {
        drain(self.aws.sqs(), &self.resources.handoff_queue_url).await
    }
}

/// Queue messages as a Lambda event source hands them to a handler.
fn records(messages: Vec<QueuedMessage>) -> Vec<helpdesk::app::bot_reply::QueueRecord> {
    messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| helpdesk::app::bot_reply::QueueRecord {
            message_id: format!("{}-{i}", m.dedup_id),
            group_id: Some(m.group_id),
            body: m.body.to_string(),
        })
        .collect()
}
