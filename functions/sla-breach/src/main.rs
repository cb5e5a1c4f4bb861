//! Lambda on `sla-events` (standard queue, ReportBatchItemFailures), the target of every SLA
//! timer. All behaviour lives in `helpdesk::app::sla_breach`; this file only wires.

use helpdesk::platform::lambda::serve_sqs;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve_sqs(|env, aws| async move { helpdesk::platform::wiring::sla_breach(&env, &aws).await })
        .await
}
