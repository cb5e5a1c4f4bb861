//! A CI-sized load run: the built runner (in memory) takes 100 signed webhooks a second for five
//! seconds, with redeliveries, out-of-order timestamps, images and status webhooks, and nothing
//! is lost or duplicated.

mod common;

use std::process::Command;

use common::Runner;

use helpdesk_local::load::{Options, run};
use secrecy::SecretString;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_webhooks_a_second_for_five_seconds_lose_and_duplicate_nothing() {
    // GIVEN the runner in memory mode
    let runner = Runner::start().await;
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
