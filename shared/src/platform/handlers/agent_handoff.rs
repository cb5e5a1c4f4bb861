use super::*;

/// Agent handoff: routes each ticket the bot handed over to a team and an agent.
pub fn agent_handoff(ports: &Ports, settings: &Settings) -> Result<Router, StartError> {
    let router = Router::new(
        ports.store.clone(),
        ports.whatsapp()?,
        ports.handoffs()?,
        ports.notify()?,
        live_routing(ports, settings),
        ports.clock.clone(),
    )
    .with_metrics(settings.metrics.clone());
    Ok(match &ports.events {
        Some(bus) => router.with_events(bus.clone()),
        None => router,
    })
}
