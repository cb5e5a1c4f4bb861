use super::*;

/// Bot reply: the bot's answer to each stored customer message. Keeps media when it has a media
/// store and a source; tells assigned agents their customer wrote when it has a notifier.
pub fn bot_reply(ports: &Ports, settings: &Settings) -> Result<BotReply, StartError> {
    let whatsapp = ports.whatsapp()?;
    let bot = match &ports.config_docs {
        // The published bot configuration, checked at most every 15 s (a publish is live
        // within 30 s); the start-up file until the table answers.
        Some(docs) => Bot::live(
            Arc::new(live_config(
                docs,
                ports,
                settings,
                (*settings.bot()?).clone(),
            )),
            ports.orders.clone(),
        ),
        None => Bot::new(settings.bot()?, ports.orders.clone()),
    };
    let mut reply = BotReply::new(
        ports.store.clone(),
        whatsapp,
        ports.handoffs()?,
        bot,
        ports.clock.clone(),
    )
    .with_reengagement_template(settings.reengagement.clone())
    .with_sla(live_sla(ports, settings, settings.sla()?), ports.timers()?)
    .with_metrics(settings.metrics.clone());
    if let (Some(store), Some(source)) = (&ports.media, &ports.media_source) {
        reply = reply.with_media(MediaArchive {
            source: source.clone(),
            store: store.clone(),
            policy: settings.media_policy.clone(),
        });
    }
    if let Some(notifier) = &ports.notify {
        reply = reply.with_notifier(notifier.clone());
    }
    if let Some(feedback) = &ports.bot_feedback {
        reply = reply.with_feedback(feedback.clone());
    }
    if let Some(bus) = &ports.events {
        reply = reply.with_events(bus.clone());
    }
    Ok(reply)
}
