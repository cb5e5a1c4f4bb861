//! Builds each function's handler from its configuration and AWS clients, once, at start.
//! Shared by the Lambda binaries, the local runner's `--aws` mode and the integration tests, so
//! all three run the same wiring.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::clock::SystemClock;
use crate::config::{ConfigError, Env, IntakeSettings};
use crate::intake::Intake;
use crate::queue::SqsQueue;
use crate::store::DynamoStore;
use crate::webhook::WebhookHandler;

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
