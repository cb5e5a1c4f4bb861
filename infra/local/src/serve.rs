//! `helpdesk-local serve`: the webhook, the agent API, the simulated WhatsApp and the browser
//! pages on one address, over memory adapters (the handlers built by
//! [`helpdesk::platform::handlers`] on memory ports, Lambda's event sources and the Scheduler
//! played by the pumps below) or, with `--aws`, the Lambda functions' own wiring over the AWS
//! endpoints of the environment (the queue consumers in [`helpdesk_local::consumers`]).

use std::net::SocketAddr;
use std::sync::Arc;

use helpdesk::app::agent_api::{AgentApi, Authenticator, Caller};
use helpdesk::app::agent_handoff::{AgentSeed, RoutingConfig};
use helpdesk::app::bot_reply::QueueRecord;
use helpdesk::app::intake::webhook::WebhookHandler;
use helpdesk::domain::bot::BotConfig;
use helpdesk::domain::config_doc::ConfigKind;
use helpdesk::domain::ids::LogRef;
use helpdesk::domain::sla::SlaConfig;
use helpdesk::domain::templates::TemplateCatalog;
use helpdesk::platform::config::{self, Env};
use helpdesk::platform::deadline::Deadline;
use helpdesk::platform::handlers::{self, MemoryPorts, Ports, Settings};
use helpdesk::platform::lambda::BatchHandler;
use helpdesk::ports::clock::{Clock, SystemClock};
use helpdesk::ports::queue::MemoryQueue;
use helpdesk::ports::timers::MemoryTimers;
use helpdesk::ports::whatsapp::{CloudApi, CloudApiConfig, GraphTemplates};
use helpdesk_local::safety::{self, RequestGuard, ServeFlags};
use helpdesk_local::server::{self, DemoKey, MemoryView};
use helpdesk_local::simulator::{BusinessNumber, Simulator, SimulatorConfig};
use secrecy::SecretString;

use crate::Failure;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const LOCAL_APP_SECRET: &str = "local-app-secret";
const LOCAL_VERIFY_TOKEN: &str = "local-verify-token";
const LOCAL_PHONE_NUMBER_ID: &str = "106540352242922";
/// The simulated WhatsApp Business Account (its templates: `/graph/.../message_templates`).
pub const LOCAL_BUSINESS_ACCOUNT_ID: &str = "102290129340398";
const LOCAL_DISPLAY_NUMBER: &str = "4930123456789";
/// The Graph API version the helpdesk asks the simulated Cloud API for.
const LOCAL_GRAPH_VERSION: &str = "v23.0";

pub(crate) fn listen_addr(env: &Env) -> Result<SocketAddr, Failure> {
    let raw = env.get("HELPDESK_LISTEN").unwrap_or(DEFAULT_LISTEN);
    raw.parse().map_err(|_| {
        format!("HELPDESK_LISTEN is invalid: {raw:?} is not an address like {DEFAULT_LISTEN}")
            .into()
    })
}

pub(crate) fn app_secret(env: &Env) -> SecretString {
    SecretString::from(
        env.get(config::WHATSAPP_APP_SECRET)
            .unwrap_or(LOCAL_APP_SECRET)
            .to_owned(),
    )
}

/// The address to reach the listener at (a wildcard listen address is reached on loopback).
fn reach_addr(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// `demo-<id>` for each demo agent, with its role.
fn demo_keys_of(seed: &AgentSeed) -> Vec<DemoKey> {
    seed.roles
        .iter()
        .map(|(agent, role)| DemoKey {
            agent: agent.clone(),
            role: *role,
            key: format!("demo-{agent}"),
        })
        .collect()
}

pub async fn serve(env: &Env, flags: ServeFlags) -> Result<(), Failure> {
    helpdesk::platform::telemetry::init();
    let addr = listen_addr(env)?;
    safety::check_listen(addr, flags)?;
    safety::check_aws(env, flags)?;
    let here = reach_addr(addr);
    let templates = Arc::new(match env.get(config::HELPDESK_TEMPLATES_CONFIG) {
        Some(path) => TemplateCatalog::load(std::path::Path::new(path))?,
        None => TemplateCatalog::default_catalog(),
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let simulator = simulator(env, here, clock.clone(), templates.clone())?;
    let app = if flags.aws {
        on_aws(env, flags, here).await?
    } else {
        in_memory(env, here, clock, templates).await?
    };
    print!(
        "{}",
        server::banner(&server::Banner {
            addr,
            here,
            aws: flags.aws,
            in_memory: app.memory.is_some(),
            agent_api: app.api.is_some(),
            demo_keys: &app.demo_keys,
            graph_version: LOCAL_GRAPH_VERSION,
            phone_number_id: LOCAL_PHONE_NUMBER_ID,
            local_secrets: (LOCAL_APP_SECRET, LOCAL_VERIFY_TOKEN),
        })
    );
    server::serve(
        addr,
        server::router(
            Arc::new(app.webhook),
            app.api,
            app.memory,
            app.demo_keys,
            &simulator,
            RequestGuard::for_listener(addr, flags),
        ),
    )
    .await?;
    Ok(())
}

/// What the runner serves: the webhook, the agent API, the in-memory adapters to look at (none
/// with `--aws`) and the demo agents' keys (none when the user's own keys are used).
struct App {
    webhook: WebhookHandler,
    api: Option<Arc<AgentApi>>,
    memory: Option<MemoryView>,
    demo_keys: Vec<DemoKey>,
}

/// The customers' side of WhatsApp: the simulated Cloud API calls our own webhook.
fn simulator(
    env: &Env,
    here: SocketAddr,
    clock: Arc<dyn Clock>,
    templates: Arc<TemplateCatalog>,
) -> Result<Arc<Simulator>, Failure> {
    Ok(Simulator::new(
        SimulatorConfig {
            webhook_url: format!("http://{here}/webhook"),
            graph_url: format!("http://{here}/graph"),
            app_secret: app_secret(env),
            number: BusinessNumber {
                phone_number_id: LOCAL_PHONE_NUMBER_ID.to_owned(),
                display_phone_number: LOCAL_DISPLAY_NUMBER.to_owned(),
            },
            business_account_id: LOCAL_BUSINESS_ACCOUNT_ID.to_owned(),
            status_delay: std::time::Duration::from_millis(300),
        },
        clock,
        Some(templates),
    )?)
}

/// `--aws`: the Lambda functions' own wiring over the AWS endpoints of the environment, with
/// the queue consumers running here unless `HELPDESK_LOCAL_CONSUMERS=off`.
async fn on_aws(env: &Env, flags: ServeFlags, here: SocketAddr) -> Result<App, Failure> {
    let aws = helpdesk::platform::wiring::AwsClients::new(
        &helpdesk::platform::wiring::sdk_config().await,
    );
    let mut env = aws_env(env, here);
    let demo_keys = if flags.demo_agents {
        plant_demo_agents(&mut env, &aws).await?
    } else {
        Vec::new()
    };
    let env = &env;
    if env.get(helpdesk_local::consumers::HELPDESK_LOCAL_CONSUMERS) != Some("off") {
        helpdesk_local::consumers::spawn(env, &aws).await?;
    }
    Ok(App {
        webhook: helpdesk::platform::wiring::webhook_handler(env, &aws).await?,
        api: Some(Arc::new(
            helpdesk::platform::wiring::agent_api(env, &aws).await?,
        )),
        memory: None,
        demo_keys,
    })
}

/// The environment `--aws` runs with: the simulator plays Meta unless WHATSAPP_API_BASE_URL
/// says otherwise; the app secret and verify token are the user's own (checked before: no
/// public fallback).
fn aws_env(env: &Env, here: SocketAddr) -> Env {
    let mut env = env.clone();
    if env.get(config::WHATSAPP_API_BASE_URL).is_none() {
        env = env
            .or_default(config::WHATSAPP_ACCESS_TOKEN, "local-access-token")
            .or_default(
                config::WHATSAPP_API_BASE_URL,
                &format!("http://{here}/graph"),
            )
            .or_default(
                config::WHATSAPP_BUSINESS_ACCOUNT_ID,
                LOCAL_BUSINESS_ACCOUNT_ID,
            )
            // The simulator serves media over plain http on loopback: allowed explicitly,
            // besides Meta's hosts, unless the download hosts are configured.
            .or_default(
                config::HELPDESK_MEDIA_DOWNLOAD_HOSTS,
                &format!(
                    "{},http://{here}",
                    helpdesk::ports::media::META_MEDIA_HOSTS.join(",")
                ),
            );
        // The simulated customers ask the runner's demo shop, as in memory mode (never
        // when real customers could be answered: then only HELPDESK_ORDER_API_URL counts).
        env = helpdesk_local::shop::with_demo_shop(env, &format!("http://{here}"));
    }
    env.or_default(config::WHATSAPP_API_VERSION, LOCAL_GRAPH_VERSION)
}

/// `--demo-agents` with `--aws`: adds the demo agents to the table and lets them sign in with
/// their demo keys, unless the environment names other keys (then no demo key is shown).
async fn plant_demo_agents(
    env: &mut Env,
    aws: &helpdesk::platform::wiring::AwsClients,
) -> Result<Vec<DemoKey>, Failure> {
    let seed = AgentSeed::demo();
    let table = env.required(config::HELPDESK_TABLE)?;
    let store = helpdesk::ports::store::DynamoStore::new(aws.dynamodb().clone(), table);
    let added = seed.plant(&store).await?;
    println!("demo agents: {added} added to {table} (maria, tom, alex, ada)");
    let mut demo_keys = demo_keys_of(&seed);
    let keys: Vec<String> = demo_keys
        .iter()
        .map(|k| {
            let digest = helpdesk::app::agent_api::auth::digest(&k.key);
            format!("{}:{}:{}", k.agent, k.role.as_str(), hex::encode(digest))
        })
        .collect();
    *env = std::mem::take(env)
        .or_default(config::HELPDESK_API_AUTH, "api_keys")
        .or_default(config::HELPDESK_API_KEYS, &keys.join(","));
    if env.get(config::HELPDESK_API_KEYS) != Some(keys.join(",").as_str()) {
        demo_keys.clear();
    }
    Ok(demo_keys)
}

/// Memory mode: the handlers built by [`handlers`] on memory ports, the configuration
/// documents seeded from the files, the demo agents planted, and the pumps playing Lambda's
/// event sources and the Scheduler.
async fn in_memory(
    env: &Env,
    here: SocketAddr,
    clock: Arc<dyn Clock>,
    templates: Arc<TemplateCatalog>,
) -> Result<App, Failure> {
    let memory = MemoryPorts::new(clock.clone());
    let ports = memory_ports(&memory, here, clock.clone())?;
    handlers::seed_config(&ports, &config_overrides(env)).await?;
    let settings = memory_settings(env, here, templates)?;
    let verify_token = env
        .get(config::WHATSAPP_VERIFY_TOKEN)
        .unwrap_or(LOCAL_VERIFY_TOKEN)
        .to_owned();
    // As in AWS: a new ticket's first SLA timers are armed at intake.
    let webhook = handlers::webhook(
        &ports,
        &settings,
        &app_secret(env),
        SecretString::from(verify_token),
    )?;
    // In memory the demo agents are always there (the store is new each start).
    let seed = AgentSeed::demo();
    seed.plant(memory.store.as_ref()).await?;
    let (auth, demo_keys) = memory_auth(env, &seed)?;
    let api = handlers::agent_api(&ports, &settings, auth)?;
    spawn_pumps(&memory, &ports, &settings, clock)?;
    Ok(App {
        webhook,
        api: Some(Arc::new(api)),
        memory: Some(MemoryView {
            store: memory.store,
            queue: memory.inbound,
            handoffs: memory.handoffs,
            timers: memory.timers,
            notifier: memory.notifier,
            media: memory.media,
            events: memory.events,
        }),
        demo_keys,
    })
}

/// Memory ports with the real Cloud API client pointed at the simulator: the helpdesk talks to
/// it as to Meta.
fn memory_ports(
    memory: &MemoryPorts,
    here: SocketAddr,
    clock: Arc<dyn Clock>,
) -> Result<Ports, Failure> {
    let whatsapp = Arc::new(CloudApi::new(CloudApiConfig {
        base_url: format!("http://{here}/graph"),
        version: LOCAL_GRAPH_VERSION.to_owned(),
        access_token: SecretString::from("local-access-token"),
        timeout: std::time::Duration::from_secs(10),
    })?);
    Ok(Ports {
        media_source: Some(whatsapp.clone()),
        // The simulated account's templates, over the same Graph API client.
        message_templates: Some(Arc::new(GraphTemplates::new(
            whatsapp.clone(),
            LOCAL_BUSINESS_ACCOUNT_ID,
        ))),
        ..Ports::memory(memory, clock, whatsapp)
    })
}

/// A new (in-memory) table: the configuration documents start as the files, published as
/// version 1; the admin area changes them from there.
fn config_overrides(env: &Env) -> Vec<(ConfigKind, &std::path::Path)> {
    [
        (ConfigKind::Bot, config::HELPDESK_BOT_CONFIG),
        (ConfigKind::Sla, config::HELPDESK_SLA_CONFIG),
        (ConfigKind::Routing, config::HELPDESK_ROUTING_CONFIG),
    ]
    .into_iter()
    .filter_map(|(kind, name)| env.get(name).map(|p| (kind, std::path::Path::new(p))))
    .collect()
}

fn memory_settings(
    env: &Env,
    here: SocketAddr,
    templates: Arc<TemplateCatalog>,
) -> Result<Settings, Failure> {
    let file = |name: &str| env.get(name).map(std::path::Path::new);
    Ok(Settings {
        window: config::conversation_window(env)?,
        bot: Some(Arc::new(match file(config::HELPDESK_BOT_CONFIG) {
            Some(path) => BotConfig::load(path)?,
            None => BotConfig::default_shop(),
        })),
        sla: Some(Arc::new(match file(config::HELPDESK_SLA_CONFIG) {
            Some(path) => SlaConfig::load(path)?,
            None => SlaConfig::default_policies(),
        })),
        routing: Some(Arc::new(match file(config::HELPDESK_ROUTING_CONFIG) {
            Some(path) => RoutingConfig::load(path)?,
            None => RoutingConfig::default_routing(),
        })),
        templates: Some(templates),
        media_policy: helpdesk::ports::media::MediaPolicy {
            // The simulator's media are on this runner's own loopback origin, over http.
            download_hosts: vec![format!("http://{here}")],
            ..config::media_policy(env)?
        },
        config_check_every: config::config_check_every(env)?,
        ..Settings::default()
    })
}

/// The user's keys when `HELPDESK_API_KEYS` names them, else the demo agents' keys.
fn memory_auth(env: &Env, seed: &AgentSeed) -> Result<(Authenticator, Vec<DemoKey>), Failure> {
    if let Some(spec) = env.get(config::HELPDESK_API_KEYS) {
        return Ok((Authenticator::api_keys(spec)?, Vec::new()));
    }
    let demo_keys = demo_keys_of(seed);
    let auth = Authenticator::plain_keys(demo_keys.iter().map(|k| {
        (
            k.key.as_str(),
            Caller {
                agent: k.agent.clone(),
                role: k.role,
            },
        )
    }));
    Ok((auth, demo_keys))
}

/// Lambda's event sources and EventBridge Scheduler, played in memory.
fn spawn_pumps(
    memory: &MemoryPorts,
    ports: &Ports,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<(), Failure> {
    tokio::spawn(pump_inbound(
        memory.inbound.clone(),
        Arc::new(handlers::bot_reply(ports, settings)?),
    ));
    tokio::spawn(pump_handoffs(
        memory.handoffs.clone(),
        Arc::new(handlers::agent_handoff(ports, settings)?),
    ));
    tokio::spawn(pump_timers(
        memory.timers.clone(),
        Arc::new(handlers::sla_breach(ports, settings)?),
        clock,
    ));
    Ok(())
}

/// Plays the bot-reply function in memory: takes what the intake queued and lets the bot answer.
async fn pump_inbound(queue: Arc<MemoryQueue>, reply: Arc<dyn BatchHandler>) {
    // Records the bot could not handle come back a second later, as SQS would deliver them
    // again, and are given up (the dead-letter queue in AWS) after the fifth try.
    let mut retry: Vec<(QueueRecord, u32)> = Vec::new();
    loop {
        let batch = queue.receive(10);
        if batch.is_empty() && retry.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        }
        let mut records: Vec<(QueueRecord, u32)> = std::mem::take(&mut retry);
        if !records.is_empty() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        records.extend(batch.into_iter().enumerate().map(|(i, m)| {
            let record = QueueRecord {
                // Like SQS's ids, opaque: the dedup id is the wamid, which carries the number.
                message_id: format!("{}-{i}", LogRef::of(&m.dedup_id)),
                group_id: Some(m.group_id),
                body: m.body,
            };
            (record, 0)
        }));
        let plain: Vec<QueueRecord> = records.iter().map(|(r, _)| r.clone()).collect();
        let failed = reply.handle_batch(&plain, Deadline::none()).await;
        for (record, tries) in records {
            if !failed.contains(&record.message_id) {
                continue;
            }
            if tries + 1 < MAX_RECEIVES {
                retry.push((record, tries + 1));
            } else {
                eprintln!(
                    "helpdesk-local: bot gave up on {} after {MAX_RECEIVES} tries (the DLQ in AWS); see the log",
                    record.message_id
                );
            }
        }
    }
}

/// Deliveries of one record before it is given up (the queues' maxReceiveCount in AWS).
const MAX_RECEIVES: u32 = 5;

/// Plays agent-handoff in memory: routes what the bot handed over.
async fn pump_handoffs(handoffs: Arc<MemoryQueue>, router: Arc<dyn BatchHandler>) {
    loop {
        let batch = handoffs.receive(10);
        if batch.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        }
        let records: Vec<QueueRecord> = batch
            .into_iter()
            .map(|m| QueueRecord {
                message_id: LogRef::of(&m.dedup_id).to_string(),
                group_id: Some(m.group_id),
                body: m.body,
            })
            .collect();
        for failed in router.handle_batch(&records, Deadline::none()).await {
            eprintln!("helpdesk-local: handoff {failed} not routed; see the log");
        }
    }
}

/// Plays EventBridge Scheduler in memory: every second, fires the SLA timers that are due.
async fn pump_timers(
    timers: Arc<MemoryTimers>,
    breach: Arc<dyn BatchHandler>,
    clock: Arc<dyn Clock>,
) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let records: Vec<QueueRecord> = timers
            .take_due(clock.now())
            .into_iter()
            .map(|t| QueueRecord {
                message_id: t.name.as_str().to_owned(),
                group_id: None,
                body: t.payload,
            })
            .collect();
        if !records.is_empty() {
            for failed in breach.handle_batch(&records, Deadline::none()).await {
                eprintln!("helpdesk-local: SLA timer {failed} failed; see the log");
            }
        }
    }
}
