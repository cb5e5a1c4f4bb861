//! `helpdesk-local`: run the helpdesk on this machine.
//!
//! ```text
//! helpdesk-local [serve] [--aws] [--listen ADDR] [--allow-remote] [--demo-agents] [--real-aws]
//!                                  serve on ADDR or HELPDESK_LISTEN (default 127.0.0.1:8080);
//!                                  in memory by default, or on the emulator of AWS_ENDPOINT_URL
//!                                  with --aws (needs WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN;
//!                                  --demo-agents seeds maria, tom, alex and their demo keys).
//!                                  Refuses a non-loopback ADDR without --allow-remote and real
//!                                  AWS (no AWS_ENDPOINT_URL) without --real-aws
//! helpdesk-local send FILE         sign a webhook body as Meta would and POST it to the server
//! helpdesk-local say TEXT [--from WA_ID] [--name NAME]
//!                                  a customer writes TEXT (or taps button "#id") on the
//!                                  simulated WhatsApp; prints the bot's answer
//! helpdesk-local bot [--config FILE] [--lang de|en] [--json]
//!                                  try the bot: one customer message per stdin line
//!                                  ("#id" taps a button); prints replies, intent, handoff
//! helpdesk-local bot eval [--config FILE] [--set FILE] [--near FILE]
//!                                  the intent model on the labelled test split and the
//!                                  near-miss set (default: the shipped ones): accuracy per
//!                                  intent, confusion table, false handoffs, every miss
//! helpdesk-local sla --start RFC3339 [--priority P] [--category C] [--tier T] [--text T]
//!                    [--pause FROM/TO]... [--config FILE] [--json]
//!                                  show the SLA policy chosen and every deadline
//! helpdesk-local provision [--prefix P]
//!                                  create table, queues and schedule group in the AWS endpoint
//!                                  of the environment (moto, DynamoDB Local, LocalStack)
//! helpdesk-local gdpr export|erase --wa-id WA_ID --by NAME
//!                                  a customer's data request against the table and media
//!                                  bucket of the environment (HELPDESK_TABLE,
//!                                  HELPDESK_MEDIA_BUCKET): the export as JSON, or erasure and
//!                                  what remains where; filed in the audit log as `cli:NAME`
//! helpdesk-local load [--rate N] [--duration SECS] [--target URL] [--customers N] [--aws]
//!                     [--drain SECS]
//!                                  post signed webhooks to a local runner at N/s (open loop),
//!                                  then check nothing was lost or duplicated (see load.rs)
//! helpdesk-local dlq list --queue URL
//! helpdesk-local dlq redrive --from DLQ_URL --to QUEUE_URL [--max N]
//!                                  list a dead-letter queue safely, or move its messages back
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use helpdesk::app::agent_api::desk::AgentDesk;
use helpdesk::app::agent_api::{AgentApi, Authenticator, Caller};
use helpdesk::app::agent_handoff::{AgentSeed, Router, RoutingConfig};
use helpdesk::app::bot_reply::Bot;
use helpdesk::app::bot_reply::{BotReply, QueueRecord};
use helpdesk::app::intake::Intake;
use helpdesk::app::intake::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk::app::sla_breach::{BreachPorts, SlaBreach};
use helpdesk::domain::bot::BotConfig;
use helpdesk::domain::ids::LogRef;
use helpdesk::domain::sla::SlaConfig;
use helpdesk::domain::templates::TemplateCatalog;
use helpdesk::platform::config::{self, Env};
use helpdesk::ports::clock::{Clock, SystemClock};
use helpdesk::ports::media::{MediaArchive, MemoryMediaStore};
use helpdesk::ports::notify::MemoryNotifier;
use helpdesk::ports::orders::MemoryOrders;
use helpdesk::ports::queue::MemoryQueue;
use helpdesk::ports::store::MemoryStore;
use helpdesk::ports::timers::MemoryTimers;
use helpdesk::ports::whatsapp::{CloudApi, CloudApiConfig};
use helpdesk_local::safety::{self, RequestGuard, ServeFlags};
use helpdesk_local::server::{self, DemoKey, MemoryView};
use helpdesk_local::simulator::{BusinessNumber, Simulator, SimulatorConfig};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod sla_check;
mod try_bot;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const LOCAL_APP_SECRET: &str = "local-app-secret";
const LOCAL_VERIFY_TOKEN: &str = "local-verify-token";
const LOCAL_PHONE_NUMBER_ID: &str = "106540352242922";
const LOCAL_DISPLAY_NUMBER: &str = "4930123456789";
/// The Graph API version the helpdesk asks the simulated Cloud API for.
const LOCAL_GRAPH_VERSION: &str = "v23.0";

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--listen ADDR` wins over HELPDESK_LISTEN.
    let env = match flag(&args, "--listen") {
        Some(addr) => {
            let mut vars: Vec<(String, String)> = std::env::vars().collect();
            vars.retain(|(k, _)| k != "HELPDESK_LISTEN");
            vars.push(("HELPDESK_LISTEN".into(), addr.to_owned()));
            Env::from_pairs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        }
        None => Env::from_process(),
    };
    let result = match args.first().map(String::as_str) {
        None
        | Some(
            "serve" | "--listen" | "--aws" | "--allow-remote" | "--demo-agents" | "--real-aws",
        ) => serve(&env, ServeFlags::from_args(&args)).await,
        Some("send") => match args.get(1) {
            Some(file) => send_file(&env, file).await,
            None => Err("usage: helpdesk-local send FILE".into()),
        },
        Some("say") => match args.get(1) {
            Some(text) => say(&env, text, flag(&args, "--from"), flag(&args, "--name")).await,
            None => Err("usage: helpdesk-local say TEXT [--from WA_ID] [--name NAME]".into()),
        },
        Some("bot") if args.get(1).map(String::as_str) == Some("eval") => {
            try_bot::eval(try_bot::EvalOptions {
                config: flag(&args, "--config"),
                set: flag(&args, "--set"),
                near: flag(&args, "--near"),
            })
        }
        Some("bot") => {
            try_bot::run(try_bot::Options {
                config: flag(&args, "--config"),
                lang: flag(&args, "--lang"),
                json: args.iter().any(|a| a == "--json"),
            })
            .await
        }
        Some("sla") => sla_check::run(sla_check::Options {
            config: flag(&args, "--config"),
            priority: flag(&args, "--priority"),
            category: flag(&args, "--category"),
            tier: flag(&args, "--tier"),
            text: flag(&args, "--text"),
            channel: flag(&args, "--channel").unwrap_or("whatsapp"),
            start: flag(&args, "--start"),
            pauses: args
                .iter()
                .enumerate()
                .filter(|(_, a)| *a == "--pause")
                .filter_map(|(i, _)| args.get(i + 1).map(String::as_str))
                .collect(),
            json: args.iter().any(|a| a == "--json"),
        }),
        Some("load") => helpdesk_local::load::cli(&args[1..], app_secret(&env)).await,
        Some("dlq") => helpdesk_local::dlq::cli(&args[1..]).await,
        Some("provision") => provision(flag(&args, "--prefix").unwrap_or("local")).await,
        Some("gdpr") => match (
            args.get(1).map(String::as_str),
            flag(&args, "--wa-id"),
            flag(&args, "--by"),
        ) {
            (Some(action @ ("export" | "erase")), Some(wa_id), Some(by)) => {
                gdpr(&env, action, wa_id, by).await
            }
            _ => Err(
                "usage: helpdesk-local gdpr export|erase --wa-id WA_ID --by NAME (who asks: the \
                 audit log keeps it)"
                    .into(),
            ),
        },
        Some("-h" | "--help" | "help") => {
            println!(
                "{}",
                include_str!("main.rs")
                    .lines()
                    .take_while(|l| l.starts_with("//!"))
                    .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}; try --help").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helpdesk-local: {e}");
            ExitCode::FAILURE
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn listen_addr(env: &Env) -> Result<SocketAddr, Failure> {
    let raw = env.get("HELPDESK_LISTEN").unwrap_or(DEFAULT_LISTEN);
    raw.parse().map_err(|_| {
        format!("HELPDESK_LISTEN is invalid: {raw:?} is not an address like {DEFAULT_LISTEN}")
            .into()
    })
}

fn app_secret(env: &Env) -> SecretString {
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

async fn serve(env: &Env, flags: ServeFlags) -> Result<(), Failure> {
    helpdesk::platform::telemetry::init();
    let aws = flags.aws;
    let addr = listen_addr(env)?;
    safety::check_listen(addr, flags)?;
    safety::check_aws(env, flags)?;
    let here = reach_addr(addr);
    let mut demo_keys: Vec<DemoKey> = Vec::new();
    let templates = Arc::new(match env.get(config::HELPDESK_TEMPLATES_CONFIG) {
        Some(path) => TemplateCatalog::load(std::path::Path::new(path))?,
        None => TemplateCatalog::default_catalog(),
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // The customers' side of WhatsApp: the simulated Cloud API calls our own webhook.
    let simulator = Simulator::new(
        SimulatorConfig {
            webhook_url: format!("http://{here}/webhook"),
            graph_url: format!("http://{here}/graph"),
            app_secret: app_secret(env),
            number: BusinessNumber {
                phone_number_id: LOCAL_PHONE_NUMBER_ID.to_owned(),
                display_phone_number: LOCAL_DISPLAY_NUMBER.to_owned(),
            },
            status_delay: std::time::Duration::from_millis(300),
        },
        clock.clone(),
        Some(templates.clone()),
    )?;
    let (handler, api, memory) = if aws {
        let aws = helpdesk::platform::wiring::AwsClients::new(
            &helpdesk::platform::wiring::sdk_config().await,
        );
        // The simulator plays Meta unless WHATSAPP_API_BASE_URL says otherwise; the app
        // secret and verify token are the user's own (checked above: no public fallback). The
        // demo agents sign in with their demo keys only when asked with --demo-agents, which
        // also adds them to the table.
        let mut env = env.clone();
        if env.get(config::WHATSAPP_API_BASE_URL).is_none() {
            env = env
                .or_default(config::WHATSAPP_ACCESS_TOKEN, "local-access-token")
                .or_default(
                    config::WHATSAPP_API_BASE_URL,
                    &format!("http://{here}/graph"),
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
        env = env.or_default(config::WHATSAPP_API_VERSION, LOCAL_GRAPH_VERSION);
        if flags.demo_agents {
            let seed = AgentSeed::demo();
            let table = env.required(config::HELPDESK_TABLE)?;
            let store = helpdesk::ports::store::DynamoStore::new(aws.dynamodb().clone(), table);
            let added = seed.plant(&store).await?;
            println!("demo agents: {added} added to {table} (maria, tom, alex)");
            demo_keys = demo_keys_of(&seed);
            let keys: Vec<String> = demo_keys
                .iter()
                .map(|k| {
                    let digest = helpdesk::app::agent_api::auth::digest(&k.key);
                    format!("{}:{}:{}", k.agent, k.role.as_str(), hex::encode(digest))
                })
                .collect();
            env = env
                .or_default(config::HELPDESK_API_AUTH, "api_keys")
                .or_default(config::HELPDESK_API_KEYS, &keys.join(","));
            if env.get(config::HELPDESK_API_KEYS) != Some(keys.join(",").as_str()) {
                demo_keys.clear();
            }
        }
        let env = &env;
        if env.get(helpdesk_local::consumers::HELPDESK_LOCAL_CONSUMERS) != Some("off") {
            helpdesk_local::consumers::spawn(env, &aws).await?;
        }
        (
            helpdesk::platform::wiring::webhook_handler(env, &aws).await?,
            Some(Arc::new(
                helpdesk::platform::wiring::agent_api(env, &aws).await?,
            )),
            None,
        )
    } else {
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryQueue::new(clock.clone()));
        let handoffs = Arc::new(MemoryQueue::new(clock.clone()));
        // The real Cloud API client, pointed at the simulator: the helpdesk talks to it as to Meta.
        let whatsapp = Arc::new(CloudApi::new(CloudApiConfig {
            base_url: format!("http://{here}/graph"),
            version: LOCAL_GRAPH_VERSION.to_owned(),
            access_token: SecretString::from("local-access-token"),
            timeout: std::time::Duration::from_secs(10),
        })?);
        let window = config::conversation_window(env)?;
        let bot_config = match env.get(config::HELPDESK_BOT_CONFIG) {
            Some(path) => BotConfig::load(std::path::Path::new(path))?,
            None => BotConfig::default_shop(),
        };
        let bot_config = Arc::new(bot_config);
        let sla = Arc::new(match env.get(config::HELPDESK_SLA_CONFIG) {
            Some(path) => SlaConfig::load(std::path::Path::new(path))?,
            None => SlaConfig::default_policies(),
        });
        let timers = Arc::new(MemoryTimers::new());
        // As in AWS: a new ticket's first SLA timers are armed at intake.
        let intake = Intake::new(store.clone(), queue.clone(), clock.clone(), window)
            .with_sla(sla.clone(), timers.clone());
        let verify_token = env
            .get(config::WHATSAPP_VERIFY_TOKEN)
            .unwrap_or(LOCAL_VERIFY_TOKEN)
            .to_owned();
        let handler =
            WebhookHandler::new(intake, &app_secret(env), SecretString::from(verify_token));
        let notifier = Arc::new(MemoryNotifier::new());
        let media = Arc::new(MemoryMediaStore::new());
        let bot = Bot::new(bot_config.clone(), Arc::new(MemoryOrders::demo()));
        let reply = BotReply::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            bot,
            clock.clone(),
        )
        .with_sla(sla.clone(), timers.clone())
        .with_notifier(notifier.clone())
        .with_media(MediaArchive {
            source: whatsapp.clone(),
            store: media.clone(),
            policy: helpdesk::ports::media::MediaPolicy {
                // The simulator's media are on this runner's own loopback origin, over http.
                download_hosts: vec![format!("http://{here}")],
                ..config::media_policy(env)?
            },
        });
        let breach = SlaBreach::new(
            BreachPorts {
                store: store.clone(),
                whatsapp: whatsapp.clone(),
                handoffs: handoffs.clone(),
                timers: timers.clone(),
                notifier: notifier.clone(),
                clock: clock.clone(),
            },
            bot_config.clone(),
            sla.clone(),
        );
        tokio::spawn(pump_inbound(queue.clone(), reply));
        let routing = match env.get(config::HELPDESK_ROUTING_CONFIG) {
            Some(path) => RoutingConfig::load(std::path::Path::new(path))?,
            None => RoutingConfig::default_routing(),
        };
        let routing = Arc::new(routing);
        // In memory the demo agents are always there (the store is new each start).
        let seed = AgentSeed::demo();
        seed.plant(store.as_ref()).await?;
        let router = Router::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            notifier.clone(),
            routing.clone(),
            clock.clone(),
        );
        let desk = AgentDesk::new(
            store.clone(),
            whatsapp.clone(),
            handoffs.clone(),
            clock.clone(),
        )
        .with_sla(sla.clone(), timers.clone())
        .with_notifier(notifier.clone());
        let auth = match env.get(config::HELPDESK_API_KEYS) {
            Some(spec) => Authenticator::api_keys(spec)?,
            None => {
                demo_keys = demo_keys_of(&seed);
                Authenticator::plain_keys(demo_keys.iter().map(|k| {
                    (
                        k.key.as_str(),
                        Caller {
                            agent: k.agent.clone(),
                            role: k.role,
                        },
                    )
                }))
            }
        };
        let api = AgentApi::new(
            Arc::new(desk),
            auth,
            templates.clone(),
            routing.teams(),
            clock.clone(),
        )
        .with_media(media.clone())
        .with_company(&bot_config.file.company);
        tokio::spawn(pump_timers(timers.clone(), breach, clock.clone()));
        tokio::spawn(pump_handoffs(handoffs.clone(), router));
        (
            handler,
            Some(Arc::new(api)),
            Some(MemoryView {
                store,
                queue,
                handoffs,
                timers,
                notifier,
                media,
            }),
        )
    };
    print!(
        "{}",
        server::banner(&server::Banner {
            addr,
            here,
            aws,
            in_memory: memory.is_some(),
            agent_api: api.is_some(),
            demo_keys: &demo_keys,
            graph_version: LOCAL_GRAPH_VERSION,
            phone_number_id: LOCAL_PHONE_NUMBER_ID,
            local_secrets: (LOCAL_APP_SECRET, LOCAL_VERIFY_TOKEN),
        })
    );
    server::serve(
        addr,
        server::router(
            Arc::new(handler),
            api,
            memory,
            demo_keys.clone(),
            &simulator,
            RequestGuard::for_listener(addr, flags),
        ),
    )
    .await?;
    Ok(())
}

/// Plays the bot-reply function in memory: takes what the intake queued and lets the bot answer.
async fn pump_inbound(queue: Arc<MemoryQueue>, reply: BotReply) {
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
        let failed = reply.handle_batch(&plain).await;
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
async fn pump_handoffs(handoffs: Arc<MemoryQueue>, router: Router) {
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
        for failed in router.handle_batch(&records).await {
            eprintln!("helpdesk-local: handoff {failed} not routed; see the log");
        }
    }
}

/// Plays EventBridge Scheduler in memory: every second, fires the SLA timers that are due.
async fn pump_timers(timers: Arc<MemoryTimers>, breach: SlaBreach, clock: Arc<dyn Clock>) {
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
            for failed in breach.handle_batch(&records).await {
                eprintln!("helpdesk-local: SLA timer {failed} failed; see the log");
            }
        }
    }
}

async fn send_file(env: &Env, file: &str) -> Result<(), Failure> {
    let body = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    post(env, &body).await
}

async fn say(env: &Env, text: &str, from: Option<&str>, name: Option<&str>) -> Result<(), Failure> {
    let to = from.unwrap_or("4915112345678");
    // "#menu.returns" taps the button with that id.
    let mut message = serde_json::json!({ "from": to, "name": name.unwrap_or("Anna Müller") });
    match text.strip_prefix('#') {
        Some(id) => message["reply"] = serde_json::json!({ "id": id, "kind": "button" }),
        None => message["text"] = serde_json::json!(text),
    }
    let before = whatsapp_messages(env, to).await?.len();
    // The simulated phone signs and delivers it as Meta would, and shows it on /simulator.
    let (status, reply) = request(
        env,
        "POST",
        "/dev/simulator/messages",
        None,
        message.to_string().as_bytes(),
    )
    .await?;
    if !status.contains(" 200 ") {
        return Err(format!("the message was not accepted: {status} {reply}").into());
    }
    // Print the bot's answer as the customer's phone would show it.
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let all = whatsapp_messages(env, to).await?;
        if all.len() > before {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            for m in whatsapp_messages(env, to).await?.iter().skip(before) {
                print_message(m);
            }
            return Ok(());
        }
    }
    println!("(no answer yet: a person owns this conversation, or the handlers are still busy)");
    Ok(())
}

async fn whatsapp_messages(env: &Env, to: &str) -> Result<Vec<serde_json::Value>, Failure> {
    let (_, body) = request(env, "GET", "/dev/whatsapp", None, b"").await?;
    let all: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap_or_default();
    Ok(all.into_iter().filter(|m| m["to"] == to).collect())
}

fn print_message(m: &serde_json::Value) {
    let msg = &m["message"];
    println!(
        "bot: {}",
        msg["body"]
            .as_str()
            .unwrap_or_default()
            .replace('\n', "\n     ")
    );
    for choice in msg["buttons"]
        .as_array()
        .or(msg["rows"].as_array())
        .into_iter()
        .flatten()
    {
        println!(
            "     [{}]  -> say \"#{}\"",
            choice["title"].as_str().unwrap_or_default(),
            choice["id"].as_str().unwrap_or_default()
        );
    }
}

/// POSTs a signed body to the local server (plain HTTP/1.1, so no HTTP client is needed).
async fn post(env: &Env, body: &[u8]) -> Result<(), Failure> {
    let signature = SignatureVerifier::new(&app_secret(env)).sign(body);
    let (status, reply) = request(env, "POST", "/webhook", Some(&signature), body).await?;
    if status.contains(" 200 ") {
        Ok(())
    } else {
        Err(format!("the webhook was not accepted: {status} {reply}").into())
    }
}

/// One HTTP/1.1 request to the local server (plain TCP, so no HTTP client is needed):
/// returns the status line and the body.
async fn request(
    env: &Env,
    method: &str,
    path: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(String, String), Failure> {
    let addr = listen_addr(env)?;
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
        format!(
            "cannot reach the helpdesk at {addr} ({e}); is `cargo run -p helpdesk-local` running?"
        )
    })?;
    let signature = signature
        .map(|s| format!("X-Hub-Signature-256: {s}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{signature}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.lines().next().unwrap_or("").to_owned();
    let reply = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    Ok((status, reply))
}

/// A data request against the deployed (or emulated) table and bucket.
async fn gdpr(env: &Env, action: &str, wa_id: &str, by: &str) -> Result<(), Failure> {
    let wa_id = helpdesk::domain::ids::WaId::parse(wa_id).map_err(|e| format!("--wa-id: {e}"))?;
    let by = by.trim();
    if by.is_empty() || by.len() > 64 || by.chars().any(char::is_control) {
        return Err("--by: name who asks (1-64 printable characters)".into());
    }
    let actor = format!("cli:{by}");
    let aws = helpdesk::platform::wiring::AwsClients::new(
        &helpdesk::platform::wiring::sdk_config().await,
    );
    let privacy = helpdesk::platform::wiring::privacy(env, &aws)?;
    let out = match action {
        "export" => privacy.export(&wa_id, &actor).await?,
        _ => serde_json::to_value(privacy.erase(&wa_id, &actor).await?)?,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn provision(prefix: &str) -> Result<(), Failure> {
    let sdk = helpdesk::platform::wiring::sdk_config().await;
    let r = helpdesk_local::provision::provision(&sdk, &sdk, prefix).await?;
    println!("export HELPDESK_TABLE={}", r.table);
    println!("export HELPDESK_INBOUND_QUEUE_URL={}", r.inbound_queue_url);
    println!("export HELPDESK_HANDOFF_QUEUE_URL={}", r.handoff_queue_url);
    println!("export HELPDESK_SCHEDULE_GROUP={}", r.schedule_group);
    println!("export HELPDESK_SLA_QUEUE_ARN={}", r.sla_queue_arn);
    println!(
        "export HELPDESK_SCHEDULER_ROLE_ARN={}",
        r.scheduler_role_arn
    );
    println!("export HELPDESK_SLA_TOPIC_ARN={}", r.sla_topic_arn);
    println!("export HELPDESK_SLA_QUEUE_URL={}", r.sla_queue_url);
    println!("export HELPDESK_MEDIA_BUCKET={}", r.media_bucket);
    println!(
        "# dead-letter queues: {} {}",
        r.inbound_dlq_url, r.handoff_dlq_url
    );
    Ok(())
}
