//! Lambda on `handoff.fifo` (ReportBatchItemFailures): routes each ticket the bot handed over.
//! All behaviour lives in `helpdesk::routing`; this file only wires.

use aws_lambda_events::event::sqs::SqsEvent;
use helpdesk::config::Env;
use helpdesk::reply::QueueRecord;
use helpdesk::wiring::AwsClients;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    helpdesk::telemetry::init();
    let aws = AwsClients::new(&helpdesk::wiring::sdk_config().await);
    let handler = helpdesk::wiring::agent_handoff(&Env::from_process(), &aws)
        .await
        .inspect_err(
            |e| tracing::error!(error = %e, "configuration is invalid; refusing to start"),
        )?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let failed = handler
            .handle_batch(&QueueRecord::from_event(event.payload))
            .await;
        Ok::<_, Error>(QueueRecord::batch_response(failed))
    }))
    .await
}
