use super::*;

/// Intake: stores what the webhook brings and queues it for the bot; arms a new ticket's first
/// SLA timers when it has the timers and the policies.
pub fn intake(ports: &Ports, settings: &Settings) -> Result<Intake, StartError> {
    let inbound = need(&ports.inbound, HELPDESK_INBOUND_QUEUE_URL)?;
    let intake = Intake::new(
        ports.store.clone(),
        inbound,
        ports.clock.clone(),
        settings.window,
    );
    let intake = match &ports.config_docs {
        Some(docs) => intake.with_templates(Arc::new(TemplateSync::new(
            docs.clone(),
            ports.clock.clone(),
        ))),
        None => intake,
    };
    Ok(match (&settings.sla, &ports.timers) {
        (Some(sla), Some(timers)) => {
            intake.with_sla(live_sla(ports, settings, sla.clone()), timers.clone())
        }
        _ => intake,
    })
}

/// The webhook in front of intake: Meta's signature checked with `app_secret`, its
/// verification challenge answered with `verify_token`.
pub fn webhook(
    ports: &Ports,
    settings: &Settings,
    app_secret: &SecretString,
    verify_token: SecretString,
) -> Result<WebhookHandler, StartError> {
    Ok(
        WebhookHandler::new(intake(ports, settings)?, app_secret, verify_token)
            .with_metrics(settings.metrics.clone()),
    )
}
