//! Lambda on `handoff.fifo` (ReportBatchItemFailures): routes each ticket the bot handed over.
//! All behaviour lives in `helpdesk::app::agent_handoff`; this file only wires.

use helpdesk::platform::lambda::serve_sqs;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve_sqs(|env, aws| async move { helpdesk::platform::wiring::agent_handoff(&env, &aws).await })
        .await
}
