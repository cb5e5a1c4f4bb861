use super::*;

/// The SLA policies a handler reads per ticket: the published document (checked at most every
/// 15 s, the start-up file until the table answers) when the function has the config table,
/// else the start-up file.
pub(super) fn live_sla(
    ports: &Ports,
    settings: &Settings,
    file: Arc<SlaConfig>,
) -> ConfigSource<SlaConfig> {
    live(ports, settings, file)
}

/// The published document of `T`'s kind when the function has the config table, starting
/// from `file`; else `file`. The check interval is [`Settings::config_check_every`].
fn live<T: crate::platform::live_config::LiveDoc + Clone>(
    ports: &Ports,
    settings: &Settings,
    file: Arc<T>,
) -> ConfigSource<T> {
    match &ports.config_docs {
        Some(docs) => ConfigSource::Live(Arc::new(live_config(
            docs,
            ports,
            settings,
            (*file).clone(),
        ))),
        None => ConfigSource::Fixed(file),
    }
}

/// A [`LiveConfig`] over `docs` on the ports' clock, checking as often as the settings say.
pub(super) fn live_config<T: crate::platform::live_config::LiveDoc>(
    docs: &Arc<dyn ConfigDocs>,
    ports: &Ports,
    settings: &Settings,
    initial: T,
) -> LiveConfig<T> {
    let live = LiveConfig::new(docs.clone(), ports.clock.clone(), initial);
    match settings.config_check_every {
        Some(every) => live.with_interval(every),
        None => live,
    }
}

/// The template catalogue agents send from: the published document (checked at most every
/// 15 s, like the bot's configuration) when the function has the config table, else the file.
pub(super) fn live_templates(ports: &Ports, settings: &Settings) -> ConfigSource<TemplateCatalog> {
    match &ports.config_docs {
        Some(docs) => ConfigSource::Live(Arc::new(LiveConfig::new(
            docs.clone(),
            ports.clock.clone(),
            (*settings.templates()).clone(),
        ))),
        None => ConfigSource::Fixed(settings.templates()),
    }
}

/// The routing rules a handler reads per handoff: the published document (checked at most
/// every 15 s, the start-up file until the table answers) when the function has the config
/// table, else the start-up file.
pub(super) fn live_routing(ports: &Ports, settings: &Settings) -> ConfigSource<RoutingConfig> {
    live(ports, settings, settings.routing())
}

/// Imports the configuration files as the first published version of every kind the table has
/// no document of (a new stack): the shipped files, or the file a setting names instead
/// (`overrides`: kind and path). Safe when several functions start at once.
pub async fn seed_config(
    ports: &Ports,
    overrides: &[(ConfigKind, &std::path::Path)],
) -> Result<Vec<ConfigKind>, StartError> {
    let Some(docs) = &ports.config_docs else {
        return Ok(Vec::new());
    };
    let mut texts: Vec<(ConfigKind, String, String)> = shipped_bodies()
        .into_iter()
        .map(|(k, body, origin)| (k, body.to_owned(), origin.to_owned()))
        .collect();
    for (kind, path) in overrides {
        let (body, origin) = crate::platform::config_file::read_config_file(path)?;
        if let Some(slot) = texts.iter_mut().find(|(k, _, _)| k == kind) {
            *slot = (*kind, body, origin);
        }
    }
    let bodies: Vec<(ConfigKind, &str, &str)> = texts
        .iter()
        .map(|(k, b, o)| (*k, b.as_str(), o.as_str()))
        .collect();
    let seeded = seed_missing(docs.as_ref(), &bodies, ports.clock.now())
        .await
        .map_err(|e| match e {
            ConfigDocsError::Invalid(invalid) => StartError::ConfigFile(invalid),
            other => StartError::Client(format!("seeding the configuration: {other}")),
        })?;
    if !seeded.is_empty() {
        tracing::info!(kinds = ?seeded, "configuration documents seeded from files");
    }
    Ok(seeded)
}
