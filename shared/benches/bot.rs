//! The bot's decision per message (configuration loaded once): intent matching plus the engine.
//!
//!     cargo bench -p helpdesk --bench bot

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use helpdesk::domain::bot::{BotConfig, BotState, Engine, Inbound};

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
        ("asked_back", "the amount on the invoice is wrong"),
        ("polite_request_en", "could someone give me a call please"),
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

/// Training the intent model when a configuration loads (or an admin adds an example).
fn train(c: &mut Criterion) {
    let mut group = c.benchmark_group("bot_model");
    group.sample_size(10);
    group.bench_function("load_shipped_config_cached", |b| {
        b.iter(|| {
            black_box(
                BotConfig::parse(
                    black_box(helpdesk::domain::bot::config::DEFAULT_CONFIG),
                    "config/bot.toml",
                )
                .unwrap(),
            )
        })
    });
    // The configuration above comes from the process's model cache after the first build: this
    // one trains every time, on the training split (without bot.toml's examples and synonyms).
    let training =
        helpdesk::domain::bot::model::parse_labelled(helpdesk::domain::bot::model::TRAINING)
            .unwrap();
    group.bench_function("train_training_split_uncached", |b| {
        b.iter(|| {
            black_box(helpdesk::domain::bot::model::Model::train(
                &[],
                black_box(&training),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, decide, train);
criterion_main!(benches);
