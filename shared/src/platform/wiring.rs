//! Each function over AWS: its settings parsed from the environment, its [`Ports`] on AWS
//! (`Ports::aws`), its configuration files loaded, and its handler built by
//! [`crate::platform::handlers`], once, at start. Shared by the Lambda binaries, the local
//! runner's `--aws` mode and the integration tests, so all three run the same wiring.

use std::sync::{Arc, OnceLock};

use aws_config::{BehaviorVersion, SdkConfig};

use crate::app::agent_api::desk::AgentDesk;
use crate::app::agent_api::{AgentApi, Authenticator};
use crate::app::agent_handoff::{Router, RoutingConfig};
use crate::app::bot_reply::BotReply;
use crate::app::intake::webhook::WebhookHandler;
use crate::app::sla_breach::SlaBreach;
use crate::domain::bot::BotConfig;
use crate::domain::sla::SlaConfig;
use crate::domain::templates::TemplateCatalog;
use crate::platform::config::{
    AgentApiSettings, ApiAuthSettings, BotReplySettings, BreachSettings, ConfigError, DeskSettings,
    Env, HandoffSettings, IntakeSettings, PortSettings, WhatsAppSettings,
};
use crate::platform::handlers::{self, Ports, Settings};
use crate::platform::metrics::Metrics;
use crate::ports::clock::SystemClock;
use crate::ports::media::{MediaStore, S3MediaStore};
use crate::ports::notify::SnsNotifier;
use crate::ports::orders::HttpOrders;
use crate::ports::queue::SqsQueue;
use crate::ports::store::DynamoStore;
use crate::ports::timers::{SchedulerTarget, SchedulerTimers};
use crate::ports::whatsapp::{CloudApi, CloudApiConfig, Template};

/// The SDK configuration from the environment (region, credentials, and endpoint overrides such
/// as `AWS_ENDPOINT_URL` for LocalStack or moto, `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local).
pub async fn sdk_config() -> SdkConfig {
    sdk_loader().load().await
}

/// Where every AWS configuration starts: the latest behaviour version and the HTTPS client
/// (rustls on `ring`, see [`crate::platform::tls`]; the SDK crates are built without a client of their
/// own).
pub fn sdk_loader() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

/// One client per AWS service, each built once, on first use, from one SDK configuration.
///
/// A function only uses some of the services; building a client on first use keeps the others
/// out of its binary (link-time optimisation drops a client nobody asks for), which is most of
/// the size of each `bootstrap`. All wiring runs at start, so no client is built per invocation.
#[derive(Debug, Clone)]
pub struct AwsClients {
    sdk: SdkConfig,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    scheduler: OnceLock<aws_sdk_scheduler::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
}

impl AwsClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            sdk: sdk.clone(),
            dynamodb: OnceLock::new(),
            sqs: OnceLock::new(),
            scheduler: OnceLock::new(),
            ssm: OnceLock::new(),
            sns: OnceLock::new(),
            s3: OnceLock::new(),
        }
    }

    /// The same clients, with DynamoDB from another configuration (e.g. DynamoDB Local).
    pub fn with_dynamodb(self, sdk: &SdkConfig) -> Self {
        let dynamodb = OnceLock::new();
        let _ = dynamodb.set(aws_sdk_dynamodb::Client::new(sdk));
        Self { dynamodb, ..self }
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.sdk))
    }

    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(&self.sdk))
    }

    pub fn scheduler(&self) -> &aws_sdk_scheduler::Client {
        self.scheduler
            .get_or_init(|| aws_sdk_scheduler::Client::new(&self.sdk))
    }

    pub fn ssm(&self) -> &aws_sdk_ssm::Client {
        self.ssm.get_or_init(|| aws_sdk_ssm::Client::new(&self.sdk))
    }

    pub fn sns(&self) -> &aws_sdk_sns::Client {
        self.sns.get_or_init(|| aws_sdk_sns::Client::new(&self.sdk))
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            // Path-style addressing works with every emulator and with AWS.
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&self.sdk)
                    .force_path_style(true)
                    .build(),
            )
        })
    }
}

/// Seeds the configuration documents of a new stack: the files these settings name, the
/// shipped ones for the rest.
async fn seed_files(
    ports: &Ports,
    bot: Option<&std::path::Path>,
    sla: Option<&std::path::Path>,
    routing: Option<&std::path::Path>,
) -> Result<(), StartError> {
    use crate::domain::config_doc::ConfigKind;
    let overrides: Vec<(ConfigKind, &std::path::Path)> = [
        (ConfigKind::Bot, bot),
        (ConfigKind::Sla, sla),
        (ConfigKind::Routing, routing),
    ]
    .into_iter()
    .filter_map(|(k, p)| p.map(|p| (k, p)))
    .collect();
    handlers::seed_config(ports, &overrides).await.map(drop)
}

pub use crate::platform::handlers::StartError;

/// The event bus `HELPDESK_EVENT_BUS` names, for the functions that flush ticket outboxes.
fn event_bus(
    env: &Env,
    aws: &AwsClients,
) -> Result<Option<Arc<dyn crate::ports::events::EventBus>>, StartError> {
    let Some(bus) = env.get(crate::platform::config::HELPDESK_EVENT_BUS) else {
        return Ok(None);
    };
    let bus = crate::ports::events::EventBridgeBus::new(&aws.sdk, bus)
        .map_err(|e| StartError::Client(format!("the event bus: {e}")))?;
    Ok(Some(Arc::new(bus)))
}

impl Ports {
    /// The AWS adapters of the resources `settings` names (secrets read from SSM if they are
    /// references): DynamoDB, SQS, EventBridge Scheduler, the Cloud API, the order API, S3, SNS.
    pub async fn aws(aws: &AwsClients, settings: &PortSettings) -> Result<Self, StartError> {
        let store = DynamoStore::new(aws.dynamodb().clone(), &settings.table)
            .with_retention(settings.retention);
        let mut ports = Ports::new(Arc::new(store), Arc::new(SystemClock));
        ports.config_docs = Some(Arc::new(crate::ports::config_docs::DynamoConfigDocs::new(
            aws.dynamodb().clone(),
            &settings.table,
        )));
        ports.bot_feedback = Some(Arc::new(
            crate::ports::bot_feedback::DynamoBotFeedback::new(
                aws.dynamodb().clone(),
                &settings.table,
            )
            .with_retention(settings.retention),
        ));
        let queue = |url: &String| Arc::new(SqsQueue::new(aws.sqs().clone(), url)) as _;
        ports.inbound = settings.inbound_queue_url.as_ref().map(queue);
        ports.handoffs = settings.handoff_queue_url.as_ref().map(queue);
        if let Some(sla) = &settings.timers {
            ports.timers = Some(Arc::new(SchedulerTimers::new(
                aws.scheduler().clone(),
                SchedulerTarget {
                    group: sla.group.clone(),
                    queue_arn: sla.queue_arn.clone(),
                    role_arn: sla.role_arn.clone(),
                    dead_letter_arn: sla.dead_letter_arn.clone(),
                },
            )));
        }
        if let Some(whatsapp) = &settings.whatsapp {
            let cloud = Arc::new(cloud_api(whatsapp, aws).await?);
            if let Some(account) = &whatsapp.business_account_id {
                ports.message_templates = Some(Arc::new(
                    crate::ports::whatsapp::GraphTemplates::new(cloud.clone(), account),
                ));
            }
            ports.whatsapp = Some(cloud.clone());
            ports.media_source = Some(cloud);
        }
        if let Some(orders) = &settings.orders {
            let token = match orders.token.clone() {
                Some(t) => Some(t.resolve(Some(aws.ssm())).await?),
                None => None,
            };
            ports.orders = Arc::new(
                HttpOrders::new(&orders.url, token)
                    .map_err(|e| StartError::Client(e.to_string()))?,
            );
        }
        ports.media = settings.media_bucket.as_deref().map(|bucket| {
            Arc::new(S3MediaStore::new(aws.s3().clone(), bucket)) as Arc<dyn MediaStore>
        });
        ports.notify = settings
            .topic_arn
            .as_deref()
            .map(|topic| Arc::new(SnsNotifier::new(aws.sns().clone(), topic)) as _);
        Ok(ports)
    }
}

/// The Cloud API client, with the access token read (from SSM if it is a reference).
async fn cloud_api(settings: &WhatsAppSettings, aws: &AwsClients) -> Result<CloudApi, StartError> {
    let access_token = settings
        .access_token
        .clone()
        .resolve(Some(aws.ssm()))
        .await?;
    CloudApi::new(CloudApiConfig {
        base_url: settings.api_base_url.clone(),
        version: settings.api_version.clone(),
        access_token,
        timeout: crate::ports::whatsapp::CALL_TIMEOUT,
    })
    .map_err(|e| StartError::Client(e.to_string()))
}

fn load_sla(path: &Option<std::path::PathBuf>) -> Result<Arc<SlaConfig>, StartError> {
    Ok(Arc::new(match path {
        Some(path) => SlaConfig::load(path)?,
        None => SlaConfig::default_policies(),
    }))
}

fn load_bot(path: &Option<std::path::PathBuf>) -> Result<Arc<BotConfig>, StartError> {
    Ok(Arc::new(match path {
        Some(path) => BotConfig::load(path)?,
        None => BotConfig::default_shop(),
    }))
}

fn load_routing(path: &Option<std::path::PathBuf>) -> Result<Arc<RoutingConfig>, StartError> {
    Ok(Arc::new(match path {
        Some(path) => RoutingConfig::load(path)?,
        None => RoutingConfig::default_routing(),
    }))
}

fn warn_without_scheduler_dlq(settings: &crate::platform::config::SlaSettings) {
    if settings.dead_letter_arn.is_none() {
        tracing::warn!(
            "HELPDESK_SCHEDULER_DLQ_ARN is not set: SLA timers the Scheduler cannot deliver are dropped after its retries"
        );
    }
}

/// The webhook intake handler over DynamoDB and SQS (and Scheduler, when SLA timers are armed
/// at intake).
pub async fn webhook_handler(env: &Env, aws: &AwsClients) -> Result<WebhookHandler, StartError> {
    let config = IntakeSettings::from_env(env)?
        .resolve(Some(aws.ssm()))
        .await?;
    let ports = Ports::aws(aws, &config.ports()).await?;
    let settings = Settings {
        window: config.window,
        sla: match &config.sla {
            Some(sla) => Some(load_sla(&sla.policies)?),
            None => None,
        },
        metrics: Metrics::from_env(env),
        config_check_every: crate::platform::config::config_check_every(env)?,
        ..Settings::default()
    };
    handlers::webhook(&ports, &settings, &config.app_secret, config.verify_token)
}

/// The bot-reply handler over DynamoDB, SQS, Scheduler, the Cloud API, the shop's order API,
/// S3 (media) and SNS (agents told their customer wrote), the last three when configured.
pub async fn bot_reply(env: &Env, aws: &AwsClients) -> Result<BotReply, StartError> {
    let settings = BotReplySettings::from_env(env)?;
    warn_without_scheduler_dlq(&settings.sla);
    if settings.order_api_url.is_none() {
        tracing::warn!("HELPDESK_ORDER_API_URL is not set: order questions go to a person");
    }
    let media_bucket = env.get(crate::platform::config::HELPDESK_MEDIA_BUCKET);
    if media_bucket.is_none() {
        tracing::warn!("HELPDESK_MEDIA_BUCKET is not set: customers' media are not kept");
    }
    let mut ports = Ports::aws(aws, &settings.ports(media_bucket)).await?;
    ports.events = event_bus(env, aws)?;
    seed_files(
        &ports,
        settings.bot_config.as_deref(),
        settings.sla.policies.as_deref(),
        None,
    )
    .await?;
    let policy = match media_bucket {
        Some(_) => crate::platform::config::media_policy(env)?,
        None => Default::default(),
    };
    handlers::bot_reply(
        &ports,
        &Settings {
            bot: Some(load_bot(&settings.bot_config)?),
            sla: Some(load_sla(&settings.sla.policies)?),
            media_policy: policy,
            reengagement: settings
                .reengagement_template
                .clone()
                .map(|(name, language)| Template {
                    name,
                    language,
                    components: Vec::new(),
                }),
            metrics: Metrics::from_env(env),
            config_check_every: crate::platform::config::config_check_every(env)?,
            ..Settings::default()
        },
    )
}

/// The sla-breach handler over DynamoDB, SQS, Scheduler, SNS and the Cloud API.
pub async fn sla_breach(env: &Env, aws: &AwsClients) -> Result<SlaBreach, StartError> {
    let settings = BreachSettings::from_env(env)?;
    warn_without_scheduler_dlq(&settings.reply.sla);
    let mut port_settings = settings.reply.ports(None);
    port_settings.orders = None;
    port_settings.topic_arn = Some(settings.topic_arn.clone());
    let mut ports = Ports::aws(aws, &port_settings).await?;
    ports.events = event_bus(env, aws)?;
    handlers::sla_breach(
        &ports,
        &Settings {
            bot: Some(load_bot(&settings.reply.bot_config)?),
            sla: Some(load_sla(&settings.reply.sla.policies)?),
            metrics: Metrics::from_env(env),
            config_check_every: crate::platform::config::config_check_every(env)?,
            ..Settings::default()
        },
    )
}

/// What agents do to tickets, over DynamoDB, the Cloud API, Scheduler and SNS (assignment and
/// mention notices).
pub async fn agent_desk(env: &Env, aws: &AwsClients) -> Result<AgentDesk, StartError> {
    let settings = DeskSettings::from_env(env)?;
    let (ports, handler_settings) = desk(&settings, env, aws).await?;
    handlers::agent_desk(&ports, &handler_settings)
}

async fn desk(
    settings: &DeskSettings,
    env: &Env,
    aws: &AwsClients,
) -> Result<(Ports, Settings), StartError> {
    warn_without_scheduler_dlq(&settings.sla);
    let media_bucket = env.get(crate::platform::config::HELPDESK_MEDIA_BUCKET);
    let mut ports = Ports::aws(aws, &settings.ports(media_bucket)).await?;
    ports.events = event_bus(env, aws)?;
    let handler_settings = Settings {
        sla: Some(load_sla(&settings.sla.policies)?),
        metrics: Metrics::from_env(env),
        config_check_every: crate::platform::config::config_check_every(env)?,
        ..Settings::default()
    };
    Ok((ports, handler_settings))
}

/// Data requests (export, erasure) over the table and the media bucket of the environment.
pub fn privacy(env: &Env, aws: &AwsClients) -> Result<crate::app::privacy::Privacy, ConfigError> {
    let table = env.required(crate::platform::config::HELPDESK_TABLE)?;
    let retention = crate::platform::config::retention(env)?;
    Ok(crate::app::privacy::Privacy::new(
        Arc::new(DynamoStore::new(aws.dynamodb().clone(), table).with_retention(retention)),
        env.get(crate::platform::config::HELPDESK_MEDIA_BUCKET)
            .map(|bucket| {
                Arc::new(S3MediaStore::new(aws.s3().clone(), bucket)) as Arc<dyn MediaStore>
            }),
    ))
}

/// The agent API over the agent desk, with the configured authentication and templates. It
/// reads no bot settings: agents never run the bot.
pub async fn agent_api(env: &Env, aws: &AwsClients) -> Result<AgentApi, StartError> {
    let settings = AgentApiSettings::from_env(env)?;
    let auth = match &settings.auth {
        ApiAuthSettings::Jwt => Authenticator::Jwt,
        ApiAuthSettings::ApiKeys(spec) => Authenticator::api_keys(spec)?,
    };
    let templates = match &settings.templates {
        Some(path) => TemplateCatalog::load(path)?,
        None => TemplateCatalog::default_catalog(),
    };
    let (ports, handler_settings) = desk(&settings.desk, env, aws).await?;
    seed_files(&ports, None, None, settings.routing.as_deref()).await?;
    let handler_settings = Settings {
        routing: Some(load_routing(&settings.routing)?),
        templates: Some(Arc::new(templates)),
        ..handler_settings
    };
    let api = handlers::agent_api(&ports, &handler_settings, auth)?;
    // Behind Cognito, admins manage the pool's users; with API keys, the key directory.
    Ok(
        match env.get(crate::platform::config::HELPDESK_COGNITO_USER_POOL_ID) {
            Some(pool) => api.with_identity(Arc::new(
                crate::ports::identity::CognitoIdentity::new(&aws.sdk, pool)
                    .map_err(|e| StartError::Client(format!("the Cognito user pool: {e}")))?,
            )),
            None => api,
        },
    )
}

/// The agent-handoff router over DynamoDB, SQS, SNS (agents are notified of assignments) and
/// the Cloud API (customers are told). It adds no agent to the table: a deployed stack routes
/// only to the agents an admin added through the agent API (the demo agents are the local
/// runner's and the tests').
pub async fn agent_handoff(env: &Env, aws: &AwsClients) -> Result<Router, StartError> {
    let settings = HandoffSettings::from_env(env)?;
    let mut ports = Ports::aws(aws, &settings.ports()).await?;
    ports.events = event_bus(env, aws)?;
    handlers::agent_handoff(
        &ports,
        &Settings {
            routing: Some(load_routing(&settings.routing)?),
            metrics: Metrics::from_env(env),
            config_check_every: crate::platform::config::config_check_every(env)?,
            ..Settings::default()
        },
    )
}
