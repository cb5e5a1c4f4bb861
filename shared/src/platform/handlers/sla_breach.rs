use super::*;

/// SLA breach: what happens when an SLA timer fires (the bot's follow-ups, escalations).
pub fn sla_breach(ports: &Ports, settings: &Settings) -> Result<SlaBreach, StartError> {
    let breach_ports = BreachPorts {
        store: ports.store.clone(),
        whatsapp: ports.whatsapp()?,
        handoffs: ports.handoffs()?,
        timers: ports.timers()?,
        notifier: ports.notify()?,
        clock: ports.clock.clone(),
    };
    let breach = SlaBreach::new(
        breach_ports,
        settings.bot()?,
        live_sla(ports, settings, settings.sla()?),
    )
    .with_metrics(settings.metrics.clone());
    Ok(match &ports.events {
        Some(bus) => breach.with_events(bus.clone()),
        None => breach,
    })
}
