//! The runner's client commands: `send` and `say` talk to a running runner over plain HTTP/1.1
//! (no HTTP client needed); `gdpr` and `provision` work on the AWS endpoint of the environment.

use helpdesk::app::intake::webhook::SignatureVerifier;
use helpdesk::platform::config::Env;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Failure;
use crate::serve::{app_secret, listen_addr};

pub async fn send_file(env: &Env, file: &str) -> Result<(), Failure> {
    let body = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    post(env, &body).await
}

pub async fn say(
    env: &Env,
    text: &str,
    from: Option<&str>,
    name: Option<&str>,
) -> Result<(), Failure> {
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
pub async fn gdpr(env: &Env, action: &str, wa_id: &str, by: &str) -> Result<(), Failure> {
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

pub async fn provision(prefix: &str) -> Result<(), Failure> {
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
