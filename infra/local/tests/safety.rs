//! The built runner refuses what would leak or reach production by accident, and answers only
//! requests addressed to it.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::Runner;
use reqwest::StatusCode;
use serde_json::json;

/// Runs `helpdesk-local` with `args` and `env`, expecting it to stop by itself: its exit
/// success and what it printed on stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_helpdesk-local"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("WHATSAPP_APP_SECRET")
        .env_remove("WHATSAPP_VERIFY_TOKEN")
        .env_remove("HELPDESK_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the runner starts");
    // A runner that does not refuse keeps serving: stop it after a while.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.success(), err);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (true, "(still running)".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_runner_refuses_a_non_loopback_listen_address_and_names_the_override() {
    let (ok, err) = refused(&["--listen", "0.0.0.0:0"], &[]);
    assert!(!ok, "{err}");
    assert!(err.contains("refusing to listen on 0.0.0.0:0"), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn the_runner_refuses_aws_mode_without_an_emulator_endpoint_or_with_public_secrets() {
    let (ok, err) = refused(
        &["--aws", "--listen", "127.0.0.1:0"],
        &[
            ("WHATSAPP_APP_SECRET", "mine"),
            ("WHATSAPP_VERIFY_TOKEN", "mine"),
        ],
    );
    assert!(!ok && err.contains("--real-aws"), "{err}");
    let (ok, err) = refused(
        &["--aws", "--listen", "127.0.0.1:0"],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    assert!(!ok && err.contains("WHATSAPP_APP_SECRET"), "{err}");
}

#[tokio::test]
async fn requests_for_another_host_are_not_answered() {
    let runner = Runner::start().await;
    // A page on a rebound name reaches the runner with its own name as Host.
    let r = runner
        .http
        .get(runner.at("/dev/demo-keys"))
        .header("host", "rebound.example:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
    let r = runner
        .http
        .get(runner.at("/dev/demo-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_simulator_takes_no_cross_site_or_plain_text_posts() {
    let runner = Runner::start().await;
    let message = json!({"from": "4915100000009", "name": "Eve", "text": "Hallo"}).to_string();
    let post = |content_type: &'static str, origin: Option<&'static str>| {
        let mut r = runner
            .http
            .post(runner.at("/dev/simulator/messages"))
            .header("content-type", content_type)
            .body(message.clone());
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    // A form or no-preflight fetch from another site: text/plain.
    let r = post("text/plain", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = post("application/json", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The runner's own page.
    let own: &'static str = Box::leak(runner.url.clone().into_boxed_str());
    let r = post("application/json", Some(own)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}
