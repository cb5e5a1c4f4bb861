//! Lambda behind API Gateway (HttpApi) `GET|POST /webhook`: Meta's verification challenge and
//! WhatsApp notifications. All behaviour lives in `helpdesk::app::intake::webhook`; this file only wires.

use helpdesk::platform::config::Env;
use helpdesk::platform::wiring::AwsClients;
use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    helpdesk::platform::telemetry::init();
    let aws = AwsClients::new(&helpdesk::platform::wiring::sdk_config().await);
    let handler = helpdesk::platform::wiring::webhook_handler(&Env::from_process(), &aws)
        .await
        .inspect_err(
            |e| tracing::error!(error = %e, "configuration is invalid; refusing to start"),
        )?;
    let handler = &handler;
    run(service_fn(move |request: Request| async move {
        let response = handler
            .handle(
                request.method(),
                request.uri().query(),
                request.headers(),
                request.body().as_ref(),
            )
            .await;
        Ok::<Response<Body>, Error>(response.map(Body::from))
    }))
    .await
}
