//! Builds each function's handler from its configuration and AWS clients, once, at start.
//! Shared by the Lambda binaries, the local runner's `--aws` mode and the integration tests, so
//! all three run the same wiring.

use std::sync::{Arc, OnceLock};

use aws_config::{BehaviorVersion, SdkConfig};

use crate::app::agent_api::desk::AgentDesk;
use crate::app::agent_api::{AgentApi, Authenticator};
use crate::app::agent_handoff::{Router, RoutingConfig};
use crate::app::bot_reply::Bot;
use crate::app::bot_reply::BotReply;
use crate::app::intake::Intake;
use crate::app::intake::webhook::WebhookHandler;
use crate::app::sla_breach::{BreachPorts, SlaBreach};
use crate::domain::bot::BotConfig;
use crate::domain::sla::SlaConfig;
use crate::domain::templates::TemplateCatalog;
use crate::platform::config::{
    AgentApiSettings, ApiAuthSettings, BotReplySettings, BreachSettings, ConfigError, Env,
    HandoffSettings, IntakeSettings, WhatsAppSettings,
};
use crate::platform::metrics::Metrics;
use crate::ports::clock::SystemClock;
use crate::ports::media::{MediaArchive, MediaStore, S3MediaStore};
use crate::ports::notify::SnsNotifier;
use crate::ports::orders::{HttpOrders, OrderLookup, Unconfigured};
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

/// The webhook intake handler over DynamoDB and SQS.
pub async fn webhook_handler(env: &Env, aws: &AwsClients) -> Result<WebhookHandler, ConfigError> {
    let settings = IntakeSettings::from_env(env)?;
    let config = settings.resolve(Some(aws.ssm())).await?;
    let store =
        DynamoStore::new(aws.dynamodb().clone(), &config.table).with_retention(config.retention);
    let queue = SqsQueue::new(aws.sqs().clone(), &config.inbound_queue_url);
    let mut intake = Intake::new(
        Arc::new(store),
        Arc::new(queue),
        Arc::new(SystemClock),
        config.window,
    );
    if let Some(sla) = &config.sla {
        let policies = match &sla.policies {
            Some(path) => SlaConfig::load(path).map_err(|e| ConfigError::Invalid {
                name: crate::platform::config::HELPDESK_SLA_CONFIG,
                reason: e.to_string(),
            })?,
            None => SlaConfig::default_policies(),
        };
        let timers = SchedulerTimers::new(
            aws.scheduler().clone(),
            SchedulerTarget {
                group: sla.group.clone(),
                queue_arn: sla.queue_arn.clone(),
                role_arn: sla.role_arn.clone(),
                dead_letter_arn: sla.dead_letter_arn.clone(),
            },
        );
        intake = intake.with_sla(Arc::new(policies), Arc::new(timers));
    }
    Ok(
        WebhookHandler::new(intake, &config.app_secret, config.verify_token)
            .with_metrics(Metrics::from_env(env)),
    )
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The bot, SLA, routing or template file (the message names the file).
    #[error("{0}")]
    ConfigFile(#[from] crate::platform::config::ConfigFileError),
    #[error("{0}")]
    Auth(#[from] crate::app::agent_api::auth::AuthConfigError),
    #[error("{0}")]
    Client(String),
}

/// What bot-reply, sla-breach and the agent desk share: the store, WhatsApp, the handoff queue,
/// the SLA configuration and the Scheduler timers.
struct Common {
    store: Arc<DynamoStore>,
    whatsapp: Arc<CloudApi>,
    handoffs: Arc<SqsQueue>,
    sla: Arc<SlaConfig>,
    timers: Arc<SchedulerTimers>,
    reengagement: Option<Template>,
}

/// The bot's configuration (only bot-reply and sla-breach run the bot).
fn bot_config(settings: &BotReplySettings) -> Result<Arc<BotConfig>, StartError> {
    Ok(Arc::new(match &settings.bot_config {
        Some(path) => BotConfig::load(path)?,
        None => BotConfig::default_shop(),
    }))
}

async fn common(settings: &BotReplySettings, aws: &AwsClients) -> Result<Common, StartError> {
    let sla = match &settings.sla.policies {
        Some(path) => SlaConfig::load(path)?,
        None => SlaConfig::default_policies(),
    };
    let whatsapp = cloud_api(&settings.whatsapp, aws).await?;
    let timers = SchedulerTimers::new(
        aws.scheduler().clone(),
        SchedulerTarget {
            group: settings.sla.group.clone(),
            queue_arn: settings.sla.queue_arn.clone(),
            role_arn: settings.sla.role_arn.clone(),
            dead_letter_arn: settings.sla.dead_letter_arn.clone(),
        },
    );
    if settings.sla.dead_letter_arn.is_none() {
        tracing::warn!(
            "HELPDESK_SCHEDULER_DLQ_ARN is not set: SLA timers the Scheduler cannot deliver are dropped after its retries"
        );
    }
    Ok(Common {
        store: Arc::new(
            DynamoStore::new(aws.dynamodb().clone(), &settings.table)
                .with_retention(settings.retention),
        ),
        whatsapp: Arc::new(whatsapp),
        handoffs: Arc::new(SqsQueue::new(
            aws.sqs().clone(),
            &settings.handoff_queue_url,
        )),
        sla: Arc::new(sla),
        timers: Arc::new(timers),
        reengagement: settings
            .reengagement_template
            .clone()
            .map(|(name, language)| Template {
                name,
                language,
                components: Vec::new(),
            }),
    })
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

/// The bot-reply handler over DynamoDB, SQS, Scheduler, the Cloud API and the shop's order API.
pub async fn bot_reply(env: &Env, aws: &AwsClients) -> Result<BotReply, StartError> {
    let settings = BotReplySettings::from_env(env)?;
    let c = common(&settings, aws).await?;
    let orders: Arc<dyn OrderLookup> = match &settings.order_api_url {
        Some(url) => {
            let token = match settings.order_api_token.clone() {
                Some(t) => Some(t.resolve(Some(aws.ssm())).await?),
                None => None,
            };
            Arc::new(HttpOrders::new(url, token).map_err(|e| StartError::Client(e.to_string()))?)
        }
        None => {
            tracing::warn!("HELPDESK_ORDER_API_URL is not set: order questions go to a person");
            Arc::new(Unconfigured)
        }
    };
    let bot = Bot::new(bot_config(&settings)?, orders);
    let mut reply = BotReply::new(
        c.store,
        c.whatsapp.clone(),
        c.handoffs,
        bot,
        Arc::new(SystemClock),
    )
    .with_reengagement_template(c.reengagement)
    .with_sla(c.sla, c.timers)
    .with_metrics(Metrics::from_env(env));
    match media_store(env, aws) {
        Some(store) => {
            reply = reply.with_media(MediaArchive {
                source: c.whatsapp,
                store,
                policy: crate::platform::config::media_policy(env)?,
            });
        }
        None => tracing::warn!("HELPDESK_MEDIA_BUCKET is not set: customers' media are not kept"),
    }
    if let Some(topic) = &settings.notify_topic_arn {
        reply = reply.with_notifier(Arc::new(SnsNotifier::new(aws.sns().clone(), topic)));
    }
    Ok(reply)
}

/// The sla-breach handler over DynamoDB, SQS, Scheduler, SNS and the Cloud API.
pub async fn sla_breach(env: &Env, aws: &AwsClients) -> Result<SlaBreach, StartError> {
    let settings = BreachSettings::from_env(env)?;
    let c = common(&settings.reply, aws).await?;
    let ports = BreachPorts {
        store: c.store,
        whatsapp: c.whatsapp,
        handoffs: c.handoffs,
        timers: c.timers,
        notifier: Arc::new(SnsNotifier::new(aws.sns().clone(), &settings.topic_arn)),
        clock: Arc::new(SystemClock),
    };
    let bot_config = bot_config(&settings.reply)?;
    Ok(SlaBreach::new(ports, bot_config, c.sla).with_metrics(Metrics::from_env(env)))
}

/// What agents do to tickets, over DynamoDB, the Cloud API, Scheduler and SNS (assignment and
/// mention notices).
pub async fn agent_desk(env: &Env, aws: &AwsClients) -> Result<AgentDesk, StartError> {
    let settings = BreachSettings::from_env(env)?;
    desk(&settings, env, aws).await
}

async fn desk(
    settings: &BreachSettings,
    env: &Env,
    aws: &AwsClients,
) -> Result<AgentDesk, StartError> {
    let c = common(&settings.reply, aws).await?;
    Ok(
        AgentDesk::new(c.store, c.whatsapp, c.handoffs, Arc::new(SystemClock))
            .with_sla(c.sla, c.timers)
            .with_notifier(Arc::new(SnsNotifier::new(
                aws.sns().clone(),
                &settings.topic_arn,
            )))
            .with_metrics(Metrics::from_env(env)),
    )
}

/// Data requests (export, erasure) over the table and the media bucket of the environment.
pub fn privacy(env: &Env, aws: &AwsClients) -> Result<crate::app::privacy::Privacy, ConfigError> {
    let table = env.required(crate::platform::config::HELPDESK_TABLE)?;
    let retention = crate::platform::config::retention(env)?;
    Ok(crate::app::privacy::Privacy::new(
        Arc::new(DynamoStore::new(aws.dynamodb().clone(), table).with_retention(retention)),
        media_store(env, aws),
    ))
}

/// The S3 media bucket, if configured.
fn media_store(env: &Env, aws: &AwsClients) -> Option<Arc<dyn MediaStore>> {
    env.get(crate::platform::config::HELPDESK_MEDIA_BUCKET)
        .map(|bucket| Arc::new(S3MediaStore::new(aws.s3().clone(), bucket)) as Arc<dyn MediaStore>)
}

/// The agent API over the agent desk, with the configured authentication and templates.
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
    let routing = match &settings.routing {
        Some(path) => RoutingConfig::load(path)?,
        None => RoutingConfig::default_routing(),
    };
    let api = AgentApi::new(
        Arc::new(desk(&settings.breach, env, aws).await?),
        auth,
        Arc::new(templates),
        routing.teams(),
        Arc::new(SystemClock),
    )
    // `{{company}}` in canned responses: the name the bot introduces the shop with.
    .with_company(&bot_config(&settings.breach.reply)?.file.company);
    Ok(match media_store(env, aws) {
        Some(store) => api.with_media(store),
        None => api,
    })
}

/// The agent-handoff router over DynamoDB, SQS, SNS (agents are notified of assignments) and
/// the Cloud API (customers are told). It adds no agent to the table.
pub async fn agent_handoff(env: &Env, aws: &AwsClients) -> Result<Router, StartError> {
    let settings = HandoffSettings::from_env(env)?;
    let routing = match &settings.routing {
        Some(path) => RoutingConfig::load(path)?,
        None => RoutingConfig::default_routing(),
    };
    let router = Router::new(
        Arc::new(
            DynamoStore::new(aws.dynamodb().clone(), &settings.table)
                .with_retention(settings.retention),
        ),
        Arc::new(cloud_api(&settings.whatsapp, aws).await?),
        Arc::new(SqsQueue::new(
            aws.sqs().clone(),
            &settings.handoff_queue_url,
        )),
        Arc::new(SnsNotifier::new(aws.sns().clone(), &settings.topic_arn)),
        Arc::new(routing),
        Arc::new(SystemClock),
    )
    .with_metrics(Metrics::from_env(env));
    // No agent is seeded here: a deployed stack routes only to the agents an admin added
    // through the agent API (the demo agents are the local runner's and the tests').
    Ok(router)
}
