//! Lambda on `inbound.fifo` (ReportBatchItemFailures): the bot's answer to each stored customer
//! message. All behaviour lives in `helpdesk::app::bot_reply`; this file only wires.

use helpdesk::platform::lambda::serve_sqs;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve_sqs(|env, aws| async move { helpdesk::platform::wiring::bot_reply(&env, &aws).await })
        .await
}
