//! Builds each function's handler from its configuration and AWS clients, once, at start.
//! Shared by the Lambda binaries, the local runner's `--aws` mode and the integration tests, so
//! all three run the same wiring.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::bot::{Bot, BotConfig};
use crate::clock::SystemClock;
use crate::config::{BotReplySettings, ConfigError, Env, IntakeSettings};
use crate::intake::Intake;
use crate::orders::{HttpOrders, OrderLookup, Unconfigured};
use crate::queue::SqsQueue;
use crate::reply::BotReply;
use crate::store::DynamoStore;
use crate::webhook::WebhookHandler;
use crate::whatsapp::{CloudApi, CloudApiConfig, Template};

/// The SDK configuration from the environment (region, credentials, and endpoint overrides such
/// as `AWS_ENDPOINT_URL` for LocalStack or moto, `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// One client per AWS service, built once. Constructing a client makes no request.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            ssm: aws_sdk_ssm::Client::new(sdk),
        }
    }

    /// The same clients, with DynamoDB from another configuration (e.g. DynamoDB Local).
    pub fn with_dynamodb(mut self, sdk: &SdkConfig) -> Self {
        self.dynamodb = aws_sdk_dynamodb::Client::new(sdk);
        self
    }
}

/// The webhook intake handler over DynamoDB and SQS.
pub async fn webhook_handler(env: &Env, aws: &AwsClients) -> Result<WebhookHandler, ConfigError> {
    let settings = IntakeSettings::from_env(env)?;
    let config = settings.resolve(Some(&aws.ssm)).await?;
    let store = DynamoStore::new(aws.dynamodb.clone(), &config.table);
    let queue = SqsQueue::new(aws.sqs.clone(), &config.inbound_queue_url);
    let intake = Intake::new(
        Arc::new(store),
        Arc::new(queue),
        Arc::new(SystemClock),
        config.window,
    );
    Ok(WebhookHandler::new(
        intake,
        &config.app_secret,
        config.verify_token,
    ))
}

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("bot configuration: {0}")]
    Bot(#[from] crate::bot::BotConfigError),
    #[error("{0}")]
    Client(String),
}

/// The bot-reply handler over DynamoDB, SQS, the Cloud API and the shop's order API.
pub async fn bot_reply(env: &Env, aws: &AwsClients) -> Result<BotReply, StartError> {
    let settings = BotReplySettings::from_env(env)?;
    let access_token = settings.access_token.resolve(Some(&aws.ssm)).await?;
    let bot_config = match &settings.bot_config {
        Some(path) => BotConfig::load(path)?,
        None => BotConfig::default_shop(),
    };
    let orders: Arc<dyn OrderLookup> = match &settings.order_api_url {
        Some(url) => {
            let token = match settings.order_api_token.clone() {
                Some(t) => Some(t.resolve(Some(&aws.ssm)).await?),
                None => None,
            };
            Arc::new(HttpOrders::new(url, token).map_err(|e| StartError::Client(e.to_string()))?)
        }
        None => {
            tracing::warn!("HELPDESK_ORDER_API_URL is not set: order questions go to a person");
            Arc::new(Unconfigured)
        }
    };
    let whatsapp = CloudApi::new(CloudApiConfig {
        base_url: settings.api_base_url.clone(),
        version: settings.api_version.clone(),
        access_token,
        timeout: std::time::Duration::from_secs(10),
    })
    .map_err(|e| StartError::Client(e.to_string()))?;
    let store = DynamoStore::new(aws.dynamodb.clone(), &settings.table);
    let handoffs = SqsQueue::new(aws.sqs.clone(), &settings.handoff_queue_url);
    let bot = Bot::new(Arc::new(bot_config), orders);
    Ok(BotReply::new(
        Arc::new(store),
        Arc::new(whatsapp),
        Arc::new(handoffs),
        bot,
        Arc::new(SystemClock),
    )
    .with_reengagement_template(settings.reengagement_template.map(|(name, language)| {
        Template {
            name,
            language,
            components: Vec::new(),
        }
    })))
}
