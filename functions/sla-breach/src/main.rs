//! Lambda on `sla-events` (standard queue, ReportBatchItemFailures), the target of every SLA
//! timer. All behaviour lives in `helpdesk::escalation`; this file only wires.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use helpdesk::config::Env;
use helpdesk::reply::QueueRecord;
use helpdesk::wiring::AwsClients;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    helpdesk::telemetry::init();
    let aws = AwsClients::new(&helpdesk::wiring::sdk_config().await);
    let handler = helpdesk::wiring::sla_breach(&Env::from_process(), &aws)
        .await
        .inspect_err(
            |e| tracing::error!(error = %e, "configuration is invalid; refusing to start"),
        )?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let records: Vec<QueueRecord> = event
            .payload
            .records
            .into_iter()
            .map(|r| QueueRecord {
                message_id: r.message_id.unwrap_or_default(),
                group_id: None,
                body: r.body.unwrap_or_default(),
            })
            .collect();
        let mut response = SqsBatchResponse::default();
        response.set_failures(handler.handle_batch(&records).await);
        Ok::<_, Error>(response)
    }))
    .await
}
