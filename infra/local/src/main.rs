//! `helpdesk-local`: run the helpdesk on this machine.
//!
//! ```text
//! helpdesk-local [serve] [--aws] [--listen ADDR] [--allow-remote] [--demo-agents] [--real-aws]
//!                                  serve on ADDR or HELPDESK_LISTEN (default 127.0.0.1:8080);
//!                                  in memory by default, or on the emulator of AWS_ENDPOINT_URL
//!                                  with --aws (needs WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN;
//!                                  --demo-agents seeds maria, tom, alex, ada and their demo keys).
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

use std::process::ExitCode;

use helpdesk::platform::config::Env;

use crate::cli::{Command, flag};

mod cli;
mod client;
mod serve;
mod sla_check;
mod try_bot;

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
    let result = match Command::parse(&args) {
        Ok(command) => run(command, &env).await,
        Err(usage) => Err(usage.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helpdesk-local: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command<'_>, env: &Env) -> Result<(), Failure> {
    match command {
        Command::Serve(flags) => serve::serve(env, flags).await,
        Command::Send { file } => client::send_file(env, file).await,
        Command::Say { text, from, name } => client::say(env, text, from, name).await,
        Command::BotEval(options) => try_bot::eval(options),
        Command::Bot(options) => try_bot::run(options).await,
        Command::Sla(options) => sla_check::run(options),
        Command::Load(args) => helpdesk_local::load::cli(args, serve::app_secret(env)).await,
        Command::Dlq(args) => helpdesk_local::dlq::cli(args).await,
        Command::Provision { prefix } => client::provision(prefix).await,
        Command::Gdpr { action, wa_id, by } => client::gdpr(env, action, wa_id, by).await,
        Command::Help => {
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
    }
}
