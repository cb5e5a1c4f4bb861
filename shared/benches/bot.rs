//! The bot's decision per message (configuration loaded once): intent matching plus the engine.
//!
//!     cargo bench -p helpdesk --bench bot

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use helpdesk::bot::{BotConfig, BotState, Engine, Inbound};

fn decide(c: &mut Criterion) {
    let config = BotConfig::default_shop();
    let engine = Engine::new(&config);
    let now: jiff::Timestamp = "2026-11-25T19:00:00Z".parse().unwrap();
    let greeted = BotState {
        greeted: true,
        ..BotState::default()
    };
    let mut group = c.benchmark_group("bot_decision");
    for (name, text) in [
        (
            "first_message_de",
            "Wo ist mein Paket? Ich warte schon seit Montag",
        ),
        ("typo_en", "trackin my parcle please"),
        ("not_understood", "Mein Hund heißt Bello und mag Käse"),
        ("menu_number", "2"),
    ] {
        let state = if name == "first_message_de" {
            BotState::default()
        } else {
            greeted.clone()
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let input = Inbound {
                    text: Some(black_box(text)),
                    customer_name: Some("Anna"),
                    ..Default::default()
                };
                black_box(engine.respond(black_box(&state), &input, now))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decide);
criterion_main!(benches);
