//! The runner's `--aws` mode: plays Lambda's SQS event sources against real queues (AWS or an
//! emulator), so the same handlers run as deployed: bot-reply on the inbound queue, agent-handoff
//! on the handoff queue, sla-breach on the SLA events queue, and the schedule pump in place of
//! EventBridge Scheduler (which no emulator fires). A record a handler reports failed is not
//! deleted: it comes back after the visibility timeout, and to the dead-letter queue after the
//! queue's receive limit, as in AWS.

use std::sync::Arc;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use helpdesk::app::bot_reply::QueueRecord;
use helpdesk::platform::config::Env;
use helpdesk::platform::lambda::BatchHandler;
use helpdesk::platform::wiring::AwsClients;
use helpdesk::ports::clock::{Clock, SystemClock};

/// The runner's own setting: the URL of the queue Scheduler delivers fired timers to.
pub const HELPDESK_SLA_QUEUE_URL: &str = "HELPDESK_SLA_QUEUE_URL";
/// The runner's own setting: `off` serves the webhook and agent API without the consumers and the
/// schedule pump, so a benchmark times the intake alone (`benches/e2e_compare.sh`).
pub const HELPDESK_LOCAL_CONSUMERS: &str = "HELPDESK_LOCAL_CONSUMERS";

type Failure = Box<dyn std::error::Error>;

/// Builds the three consumers and the pump from the environment and starts them.
pub async fn spawn(env: &Env, aws: &AwsClients) -> Result<(), Failure> {
    let inbound = env
        .required(helpdesk::platform::config::HELPDESK_INBOUND_QUEUE_URL)?
        .to_owned();
    let handoff = env
        .required(helpdesk::platform::config::HELPDESK_HANDOFF_QUEUE_URL)?
        .to_owned();
    let sla_queue = env.required(HELPDESK_SLA_QUEUE_URL).map_err(|_| {
        format!("{HELPDESK_SLA_QUEUE_URL} is not set: the URL of the queue fired SLA timers go to (printed by `provision`)")
    })?.to_owned();
    let group = env
        .get(helpdesk::platform::config::HELPDESK_SCHEDULE_GROUP)
        .unwrap_or(helpdesk::platform::config::DEFAULT_SCHEDULE_GROUP)
        .to_owned();

    let bot = Arc::new(helpdesk::platform::wiring::bot_reply(env, aws).await?);
    let router = Arc::new(helpdesk::platform::wiring::agent_handoff(env, aws).await?);
    let breach = Arc::new(helpdesk::platform::wiring::sla_breach(env, aws).await?);

    tokio::spawn(consume(aws.sqs().clone(), inbound, bot));
    tokio::spawn(consume(aws.sqs().clone(), handoff, router));
    tokio::spawn(consume(aws.sqs().clone(), sla_queue, breach));
    let (scheduler, sqs) = (aws.scheduler().clone(), aws.sqs().clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if let Err(e) = crate::pump::fire_due(&scheduler, &sqs, &group, SystemClock.now()).await
            {
                tracing::warn!(error = %e, "schedule pump failed; trying again");
            }
        }
    });
    Ok(())
}

/// Long-polls `url` and hands each batch to `handler` (as the Lambda event source does),
/// deleting what it did not report failed.
async fn consume(sqs: aws_sdk_sqs::Client, url: String, handler: Arc<dyn BatchHandler>) {
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue = %url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let records: Vec<QueueRecord> = messages
            .iter()
            .map(|m| QueueRecord {
                message_id: m.message_id().unwrap_or_default().to_owned(),
                group_id: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                    .cloned(),
                body: m.body().unwrap_or_default().to_owned(),
            })
            .collect();
        // No Lambda timeout here; the queue's visibility timeout is the only limit.
        let failed = handler
            .handle_batch(&records, helpdesk::platform::deadline::Deadline::none())
            .await;
        for m in messages
            .iter()
            .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id()))
        {
            if let Err(e) = sqs
                .delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
            {
                // Delivered again later; the handlers are idempotent.
                tracing::warn!(queue = %url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "delete failed");
            }
        }
    }
}
