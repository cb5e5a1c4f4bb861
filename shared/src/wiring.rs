//! Builds each function's handler from its configuration and the AWS SDK configuration, once,
//! at start. Shared by the Lambda binaries, the local runner's `--aws` mode and the integration
//! tests, so all three run the same wiring.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::clock::SystemClock;
use crate::config::{ConfigError, Env, IntakeSettings};
use crate::intake::Intake;
use crate::queue::SqsQueue;
use crate::store::DynamoStore;
use crate::webhook::WebhookHandler;

/// The SDK configuration from the environment (region, credentials, and endpoint overrides such
/// as `AWS_ENDPOINT_URL` for LocalStack or moto).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The webhook intake handler over DynamoDB and SQS.
pub async fn webhook_handler(env: &Env, sdk: &SdkConfig) -> Result<WebhookHandler, ConfigError> {
    let settings = IntakeSettings::from_env(env)?;
    let ssm = settings.needs_ssm().then(|| aws_sdk_ssm::Client::new(sdk));
    let config = settings.resolve(ssm.as_ref()).await?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table);
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.inbound_queue_url);
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
