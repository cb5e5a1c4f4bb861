//! Lambda on `handoff.fifo` (ReportBatchItemFailures): routes each ticket the bot handed over.
//! All behaviour lives in `helpdesk::routing`; this file only wires.

use helpdesk::lambda::serve_sqs;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve_sqs(|env, aws| async move { helpdesk::wiring::agent_handoff(&env, &aws).await }).await
}
