//! `helpdesk-local`: run the helpdesk on this machine.
//!
//! ```text
//! helpdesk-local [serve] [--aws]   serve the webhook on HELPDESK_LISTEN (default 127.0.0.1:8080);
//!                                  in memory by default, or on AWS/emulators with --aws
//! helpdesk-local send FILE         sign a webhook body as Meta would and POST it to the server
//! helpdesk-local say TEXT [--from WA_ID] [--name NAME]
//!                                  send one customer text message to the server
//! helpdesk-local bot [--config FILE] [--lang de|en] [--json]
//!                                  try the bot: one customer message per stdin line
//!                                  ("#id" taps a button); prints replies, intent, handoff
//! helpdesk-local provision [--prefix P]
//!                                  create table, queues and schedule group in the AWS endpoint
//!                                  of the environment (moto, DynamoDB Local, LocalStack)
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use helpdesk::clock::{Clock, SystemClock};
use helpdesk::config::{self, Env};
use helpdesk::intake::Intake;
use helpdesk::queue::MemoryQueue;
use helpdesk::store::MemoryStore;
use helpdesk::webhook::sample::{SampleText, text_notification};
use helpdesk::webhook::{SignatureVerifier, WebhookHandler};
use helpdesk_local::server::{self, MemoryView};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod try_bot;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const LOCAL_APP_SECRET: &str = "local-app-secret";
const LOCAL_VERIFY_TOKEN: &str = "local-verify-token";
const LOCAL_PHONE_NUMBER_ID: &str = "106540352242922";

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = Env::from_process();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(&env, args.iter().any(|a| a == "--aws")).await,
        Some("--aws") => serve(&env, true).await,
        Some("send") => match args.get(1) {
            Some(file) => send_file(&env, file).await,
            None => Err("usage: helpdesk-local send FILE".into()),
        },
        Some("say") => match args.get(1) {
            Some(text) => say(&env, text, flag(&args, "--from"), flag(&args, "--name")).await,
            None => Err("usage: helpdesk-local say TEXT [--from WA_ID] [--name NAME]".into()),
        },
        Some("bot") => {
            try_bot::run(try_bot::Options {
                config: flag(&args, "--config"),
                lang: flag(&args, "--lang"),
                json: args.iter().any(|a| a == "--json"),
            })
            .await
        }
        Some("provision") => provision(flag(&args, "--prefix").unwrap_or("local")).await,
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

async fn serve(env: &Env, aws: bool) -> Result<(), Failure> {
    helpdesk::telemetry::init();
    let addr = listen_addr(env)?;
    let (handler, memory) = if aws {
        let aws = helpdesk::wiring::AwsClients::new(&helpdesk::wiring::sdk_config().await);
        (helpdesk::wiring::webhook_handler(env, &aws).await?, None)
    } else {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(MemoryStore::new());
        let queue = Arc::new(MemoryQueue::new(clock.clone()));
        let window = config::conversation_window(env)?;
        let intake = Intake::new(store.clone(), queue.clone(), clock, window);
        let verify_token = env
            .get(config::WHATSAPP_VERIFY_TOKEN)
            .unwrap_or(LOCAL_VERIFY_TOKEN)
            .to_owned();
        let handler =
            WebhookHandler::new(intake, &app_secret(env), SecretString::from(verify_token));
        (handler, Some(MemoryView { store, queue }))
    };
    let mode = if aws {
        "AWS endpoints from the environment"
    } else {
        "in-memory store and queue"
    };
    println!("helpdesk listening on http://{addr} ({mode})");
    println!("  webhook   http://{addr}/webhook   (GET verification, POST notifications)");
    if memory.is_some() {
        println!("  state     http://{addr}/dev/state (tickets, messages, bot queue)");
        println!(
            "  app secret {LOCAL_APP_SECRET:?}, verify token {LOCAL_VERIFY_TOKEN:?} unless set in the environment"
        );
    }
    println!("Try, from another terminal:");
    println!("  cargo run -q -p helpdesk-local -- say \"Wo ist mein Paket?\"");
    println!("  cargo run -q -p helpdesk-local -- send tests/fixtures/all_message_types.json");
    println!("  curl -s http://{addr}/dev/state");
    server::serve(addr, server::router(Arc::new(handler), memory)).await?;
    Ok(())
}

async fn send_file(env: &Env, file: &str) -> Result<(), Failure> {
    let body = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    post(env, &body).await
}

async fn say(env: &Env, text: &str, from: Option<&str>, name: Option<&str>) -> Result<(), Failure> {
    let now = SystemClock.now();
    let wamid = format!("wamid.local{}", now.as_nanosecond());
    let body = text_notification(
        LOCAL_PHONE_NUMBER_ID,
        &[SampleText {
            wa_id: from.unwrap_or("4915112345678"),
            profile_name: name.unwrap_or("Anna Müller"),
            wamid: &wamid,
            timestamp: now.as_second(),
            body: text,
        }],
    );
    post(env, body.as_bytes()).await
}

/// POSTs a signed body to the local server (plain HTTP/1.1, so no HTTP client is needed).
async fn post(env: &Env, body: &[u8]) -> Result<(), Failure> {
    let addr = listen_addr(env)?;
    let signature = SignatureVerifier::new(&app_secret(env)).sign(body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
        format!(
            "cannot reach the helpdesk at {addr} ({e}); is `cargo run -p helpdesk-local` running?"
        )
    })?;
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response.lines().next().unwrap_or("");
    let reply = response.split("\r\n\r\n").nth(1).unwrap_or("");
    println!("{status}\n{reply}");
    if status.contains(" 200 ") {
        Ok(())
    } else {
        Err("the webhook was not accepted".into())
    }
}

async fn provision(prefix: &str) -> Result<(), Failure> {
    let sdk = helpdesk::wiring::sdk_config().await;
    let r = helpdesk_local::provision::provision(&sdk, &sdk, prefix).await?;
    println!("export HELPDESK_TABLE={}", r.table);
    println!("export HELPDESK_INBOUND_QUEUE_URL={}", r.inbound_queue_url);
    println!("export HELPDESK_HANDOFF_QUEUE_URL={}", r.handoff_queue_url);
    println!(
        "# dead-letter queues: {} {}",
        r.inbound_dlq_url, r.handoff_dlq_url
    );
    println!("# schedule group: {}", r.schedule_group);
    Ok(())
}
