//! Lambda behind API Gateway (HttpApi, JWT authorizer with Cognito) serving the agent API. All
//! behaviour lives in `helpdesk::app::agent_api`; this file only wires and translates the request.

use helpdesk::app::agent_api::ApiRequest;
use helpdesk::platform::config::Env;
use helpdesk::platform::deadline::Deadline;
use helpdesk::platform::wiring::AwsClients;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    helpdesk::platform::telemetry::init();
    let aws = AwsClients::new(&helpdesk::platform::wiring::sdk_config().await);
    let api = helpdesk::platform::wiring::agent_api(&Env::from_process(), &aws)
        .await
        .inspect_err(
            |e| tracing::error!(error = %e, "configuration is invalid; refusing to start"),
        )?;
    let api = &api;
    run(service_fn(move |request: Request| async move {
        // The authorizer verified the token; only its claims reach the function.
        let claims = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| jwt.claims.clone()),
            _ => None,
        };
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        // Sends (and their retries) stop before the invocation's deadline: the agent gets a
        // 503 to repeat, not a gateway timeout with the outcome unknown.
        let deadline = request
            .lambda_context_ref()
            .map(|ctx| Deadline::from_epoch_millis(ctx.deadline))
            .unwrap_or_default();
        let response = deadline
            .scope(api.handle(&ApiRequest {
                method: request.method().as_str(),
                path: request.uri().path(),
                query: request.uri().query(),
                authorization: header("authorization"),
                idempotency_key: header("idempotency-key"),
                claims: claims.as_ref(),
                body: request.body().as_ref(),
            }))
            .await;
        let mut builder = Response::builder()
            .status(response.status)
            .header("content-type", response.content_type());
        if let Some(disposition) = response.content_disposition() {
            builder = builder.header("content-disposition", disposition);
        }
        Ok::<_, Error>(builder.body(Body::from(response.body_text()))?)
    }))
    .await
}
