use super::*;

/// What agents do to tickets (behind the agent API), with assignment and mention notices.
pub fn agent_desk(ports: &Ports, settings: &Settings) -> Result<AgentDesk, StartError> {
    let desk = AgentDesk::new(
        ports.store.clone(),
        ports.whatsapp()?,
        ports.handoffs()?,
        ports.clock.clone(),
    )
    .with_sla(live_sla(ports, settings, settings.sla()?), ports.timers()?)
    .with_notifier(ports.notify()?)
    .with_templates(live_templates(ports, settings))
    .with_metrics(settings.metrics.clone());
    // Agents' attachments are uploaded to and sent from the media store.
    let desk = match &ports.media {
        Some(store) => desk.with_media(store.clone()),
        None => desk,
    };
    Ok(match &ports.events {
        Some(bus) => desk.with_events(bus.clone()),
        None => desk,
    })
}

/// The agent API over the agent desk, authenticating callers with `auth`.
pub fn agent_api(
    ports: &Ports,
    settings: &Settings,
    auth: Authenticator,
) -> Result<AgentApi, StartError> {
    // One live catalogue for the API's list and checks and the desk's rating template.
    let templates = live_templates(ports, settings);
    let api = AgentApi::new(
        Arc::new(agent_desk(ports, settings)?.with_templates(templates.clone())),
        auth,
        settings.templates(),
        settings.routing().teams(),
        ports.clock.clone(),
    )
    .with_routing(live_routing(ports, settings));
    let api = match templates {
        ConfigSource::Live(live) => api.with_live_templates(live),
        ConfigSource::Fixed(_) => api,
    };
    // `{{company}}` in canned responses: the name the bot introduces the shop with.
    let api = match &settings.bot {
        Some(bot) => api.with_company(&bot.file.company),
        None => api,
    };
    let api = match &ports.media {
        Some(store) => api.with_media(store.clone()),
        None => api,
    };
    Ok(match &ports.config_docs {
        Some(docs) => {
            let admin = Arc::new(ConfigAdmin::new(docs.clone(), ports.clock.clone()));
            let config = ConfigApi::new(admin);
            let config = match &ports.bot_feedback {
                Some(feedback) => config.with_feedback(feedback.clone()),
                None => config,
            };
            // Canned responses follow the published document, like the bot.
            let canned = live_config(
                docs,
                ports,
                settings,
                crate::domain::canned::CannedResponses::default_catalog(),
            );
            let sync = TemplateSync::new(docs.clone(), ports.clock.clone());
            let sync = match &ports.message_templates {
                Some(meta) => sync.with_meta(meta.clone()),
                None => sync,
            };
            api.with_config(Arc::new(config))
                .with_live_canned(Arc::new(canned))
                .with_template_sync(Arc::new(sync))
        }
        None => api,
    })
}
