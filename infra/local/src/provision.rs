//! Creates the helpdesk's resources in an AWS emulator, shaped as in `template.yaml`: the
//! table (PK/SK, TTL `expires_at`), the inbound and handoff FIFO queues with their FIFO
//! dead-letter queues, and the Scheduler group. Names get a prefix so parallel tests do not share state. Idempotent.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use helpdesk::ports::store::{ASSIGNEE_INDEX, CUSTOMER_INDEX, QUEUE_INDEX};

/// Receives before a poison message moves to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Six times the function timeout (30 s), as AWS recommends for SQS event sources.
pub const VISIBILITY_TIMEOUT_SECS: u32 = 180;

#[derive(Debug, Clone)]
pub struct Resources {
    pub table: String,
    pub inbound_queue_url: String,
    pub inbound_dlq_url: String,
    pub handoff_queue_url: String,
    pub handoff_dlq_url: String,
    pub schedule_group: String,
    /// Standard queue the Scheduler sends fired SLA timers to (its DLQ is standard too).
    pub sla_queue_url: String,
    pub sla_queue_arn: String,
    pub sla_dlq_url: String,
    pub sla_topic_arn: String,
    /// Emulators do not check it; in AWS the template creates the real role.
    pub scheduler_role_arn: String,
    /// Customers' media.
    pub media_bucket: String,
}

#[derive(Debug, thiserror::Error)]
#[error("could not create {resource}: {detail}")]
pub struct ProvisionError {
    resource: String,
    detail: String,
}

fn fail<E: std::error::Error>(resource: &str, e: E) -> ProvisionError {
    ProvisionError {
        resource: resource.to_owned(),
        detail: aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string(),
    }
}

/// Creates everything; `dynamodb` and `others` may point at different emulators.
pub async fn provision(
    dynamodb: &SdkConfig,
    others: &SdkConfig,
    prefix: &str,
) -> Result<Resources, ProvisionError> {
    let table = format!("{prefix}-helpdesk");
    create_table(&aws_sdk_dynamodb::Client::new(dynamodb), &table).await?;
    let sqs = aws_sdk_sqs::Client::new(others);
    let (inbound_queue_url, inbound_dlq_url) =
        create_fifo_pair(&sqs, &format!("{prefix}-inbound")).await?;
    let (handoff_queue_url, handoff_dlq_url) =
        create_fifo_pair(&sqs, &format!("{prefix}-handoff")).await?;
    // A group per prefix: the schedule pump fires what is in one group only.
    let schedule_group = format!("{prefix}-sla");
    create_schedule_group(&aws_sdk_scheduler::Client::new(others), &schedule_group).await?;
    let sla_dlq_url = create_queue(&sqs, &format!("{prefix}-sla-events-dlq"), false, None).await?;
    let sla_dlq_arn = queue_arn(&sqs, &sla_dlq_url).await?;
    let sla_queue_url = create_queue(
        &sqs,
        &format!("{prefix}-sla-events"),
        false,
        Some(&sla_dlq_arn),
    )
    .await?;
    let sla_queue_arn = queue_arn(&sqs, &sla_queue_url).await?;
    let topic = aws_sdk_sns::Client::new(others)
        .create_topic()
        .name(format!("{prefix}-sla-alerts"))
        .send()
        .await
        .map_err(|e| fail("SNS topic", e))?;
    let sla_topic_arn = topic.topic_arn.ok_or_else(|| ProvisionError {
        resource: "SNS topic".into(),
        detail: "no topic ARN returned".into(),
    })?;
    let account = sla_queue_arn
        .split(':')
        .nth(4)
        .unwrap_or("000000000000")
        .to_owned();
    let scheduler_role_arn = format!("arn:aws:iam::{account}:role/{prefix}-scheduler");
    let media_bucket = format!("{prefix}-media");
    create_bucket(others, &media_bucket).await?;
    Ok(Resources {
        sla_queue_url,
        sla_queue_arn,
        sla_dlq_url,
        sla_topic_arn,
        scheduler_role_arn,
        media_bucket,
        table,
        inbound_queue_url,
        inbound_dlq_url,
        handoff_queue_url,
        handoff_dlq_url,
        schedule_group,
    })
}

/// A FIFO queue `<name>.fifo` with its FIFO dead-letter queue `<name>-dlq.fifo`: (queue, DLQ) URLs.
async fn create_fifo_pair(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
) -> Result<(String, String), ProvisionError> {
    let dlq_url = create_queue(sqs, &format!("{name}-dlq.fifo"), true, None).await?;
    let dlq_arn = queue_arn(sqs, &dlq_url).await?;
    let url = create_queue(sqs, &format!("{name}.fifo"), true, Some(&dlq_arn)).await?;
    Ok((url, dlq_url))
}

pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    // The listing indexes of the design notes, as in template.yaml.
    let index = |index_name: &str, hash: &str, range: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(index_name)
            .key_schema(key(hash, KeyType::Hash)?)
            .key_schema(key(range, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
    };
    let result = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash).map_err(|e| fail(name, e))?)
        .key_schema(key("SK", KeyType::Range).map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("PK").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("SK").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("queue_key").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("ticket_id").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("assignee").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("updated_at").map_err(|e| fail(name, e))?)
        .attribute_definitions(attr("wa_id").map_err(|e| fail(name, e))?)
        .global_secondary_indexes(
            index(QUEUE_INDEX, "queue_key", "ticket_id").map_err(|e| fail(name, e))?,
        )
        .global_secondary_indexes(
            index(ASSIGNEE_INDEX, "assignee", "updated_at").map_err(|e| fail(name, e))?,
        )
        .global_secondary_indexes(
            index(CUSTOMER_INDEX, "wa_id", "ticket_id").map_err(|e| fail(name, e))?,
        )
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(e) => return Err(fail(name, e)),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("expires_at")
        .enabled(true)
        .build()
        .map_err(|e| fail(name, e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| fail(name, e))?;
    Ok(())
}

async fn create_bucket(sdk: &SdkConfig, name: &str) -> Result<(), ProvisionError> {
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    let region = sdk.region().map(|r| r.as_ref().to_owned());
    let mut request = client.create_bucket().bucket(name);
    if let Some(region) = region.filter(|r| r != "us-east-1") {
        request = request.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    region.as_str(),
                ))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().is_some_and(|se| {
                se.is_bucket_already_owned_by_you() || se.is_bucket_already_exists()
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(fail("S3 bucket", e)),
    }
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    fifo: bool,
    dlq_arn: Option<&str>,
) -> Result<String, ProvisionError> {
    let mut request = client
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            VISIBILITY_TIMEOUT_SECS.to_string(),
        )
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            (14 * 24 * 3600).to_string(),
        );
    if fifo {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    if let Some(arn) = dlq_arn {
        let policy =
            serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVE_COUNT });
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let out = request.send().await.map_err(|e| fail(name, e))?;
    out.queue_url.ok_or_else(|| ProvisionError {
        resource: name.to_owned(),
        detail: "no queue URL returned".into(),
    })
}

pub async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> Result<String, ProvisionError> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail(url, e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| ProvisionError {
            resource: url.to_owned(),
            detail: "no QueueArn attribute".into(),
        })
}

async fn create_schedule_group(
    client: &aws_sdk_scheduler::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    match client.create_schedule_group().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_conflict_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(fail(name, e)),
    }
}
