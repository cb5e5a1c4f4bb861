//! verify + parse + plan of a webhook (everything the intake does before its first I/O), on a
//! 1-message and a 1000-message body, with HMAC-SHA256 of the same bytes as the ceiling.
//!
//!     cargo bench -p helpdesk --bench webhook
//!
//! Criterion prints time per webhook and throughput in messages per second (one core).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use helpdesk::app::intake::webhook::sample::many_customers;
use helpdesk::app::intake::webhook::{SignatureVerifier, plan};
use secrecy::SecretString;

fn verify_parse_plan(c: &mut Criterion) {
    let verifier = SignatureVerifier::new(&SecretString::from("bench-app-secret"));
    for n in [1usize, 1000] {
        let body = many_customers(n, 1_764_061_200);
        let signature = verifier.sign(body.as_bytes());
        let mut group = c.benchmark_group(format!("webhook_{n}_messages_{}_bytes", body.len()));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("verify+parse+plan", |b| {
            b.iter(|| {
                verifier
                    .verify(
                        Some(black_box(signature.as_bytes())),
                        black_box(body.as_bytes()),
                    )
                    .expect("valid signature");
                let plan = plan(black_box(body.as_bytes())).expect("valid body");
                assert_eq!(plan.message_count(), n);
                black_box(plan);
            })
        });
        group.bench_function("hmac_only_ceiling", |b| {
            b.iter(|| {
                verifier
                    .verify(
                        Some(black_box(signature.as_bytes())),
                        black_box(body.as_bytes()),
                    )
                    .expect("valid signature")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, verify_parse_plan);
criterion_main!(benches);
