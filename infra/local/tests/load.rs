//! A CI-sized load run: the built runner (in memory) takes 100 signed webhooks a second for five
//! seconds, with redeliveries, out-of-order timestamps, images and status webhooks, and nothing
//! is lost or duplicated.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use helpdesk_local::load::{Options, run};
use secrecy::SecretString;

/// A running `helpdesk-local`, stopped when dropped.
struct Runner {
    child: Child,
    url: String,
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_runner() -> Runner {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_helpdesk-local"))
        .env("HELPDESK_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env_remove("HELPDESK_API_KEYS")
        .env_remove("WHATSAPP_APP_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the runner starts");
    let runner = Runner {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http
            .get(format!("{}/dev/demo-keys", runner.url))
            .send()
            .await
            && r.status().is_success()
        {
            return runner;
        }
        assert!(Instant::now() < deadline, "the runner did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_webhooks_a_second_for_five_seconds_lose_and_duplicate_nothing() {
    // GIVEN the runner in memory mode
    let runner = start_runner().await;
    // WHEN the load generator runs against it
    let options = Options::from_args(
        &[
            "--rate".into(),
            "100".into(),
            "--duration".into(),
            "5".into(),
            "--target".into(),
            runner.url.clone(),
            "--drain".into(),
            "60".into(),
        ],
        SecretString::from("local-app-secret"),
    )
    .expect("valid options");
    let report = run(&options).await.expect("the run completes");
    report.print();

    // THEN every request was sent and acknowledged, with the whole mix in it
    assert_eq!(report.requests, 500);
    assert_eq!(report.acked, 500, "every webhook answered 2xx");
    assert!(report.duplicates_sent > 20 && report.statuses_sent > 5);
    assert!(report.images > 0 && report.out_of_order > 0);
    // AND nothing was lost or duplicated
    assert!(report.lost.is_empty(), "lost: {:?}", report.lost);
    assert!(
        report.stored_twice.is_empty(),
        "stored twice: {:?}",
        report.stored_twice
    );
    assert!(
        report.extra_tickets.is_empty(),
        "{:?}",
        report.extra_tickets
    );
    assert!(report.unhandled.is_empty(), "{:?}", report.unhandled);
    assert_eq!(report.replies_unrecorded, 0, "double sends");
    assert_eq!(report.replies_not_sent, 0);
    assert!(
        report.order_violations.is_empty(),
        "{:?}",
        report.order_violations
    );
    assert_eq!(report.stored, report.messages);
    assert!(report.replies > 0, "the bot answered");
    assert!(report.ok());
}

#[test]
fn the_generator_refuses_a_target_off_this_machine() {
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk-local"))
        .args([
            "load",
            "--rate",
            "1",
            "--duration",
            "1",
            "--target",
            "http://203.0.113.7:8080",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
}
