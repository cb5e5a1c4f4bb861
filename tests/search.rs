//! Search and the customer view against DynamoDB Local: the index items are written with the
//! data they point at (a new ticket, a WhatsApp name, an agent's edit, an order the bot found),
//! `GET /search` answers from them by number, name, ticket id and order number, and erasing
//! the customer deletes every one of them (a scan of the table finds none).

use aws_sdk_dynamodb::types::AttributeValue;
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk::domain::bot::BotState;
use helpdesk::domain::ids::WaId;
use helpdesk::ports::store::{BotTurnWrite, DynamoStore, TicketStore, TurnOutcome};
use helpdesk_tests::Stack;
use helpdesk_tests::api::CallApi;
use helpdesk_tests::stubs::WhatsAppStub;
use jiff::Timestamp;
use serde_json::{Value, json};

const JOERG: &str = "4915112345678";
const BEN: &str = "4917600000001";

async fn writes(stack: &Stack, wa_id: &str, name: &str, wamid: &str, text: &str) {
    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id,
            profile_name: name,
            wamid,
            timestamp: Timestamp::now().as_second(),
            body: text,
        }],
    );
    stack.deliver_to_bot(&body).await;
}

type Item = std::collections::HashMap<String, AttributeValue>;

/// The search index items in the table (a test may scan; the API never does).
async fn index_items(stack: &Stack) -> Vec<(String, String)> {
    let items = stack.scan().await;
    let s = |i: &Item, k: &str| match i.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    };
    items
        .iter()
        .map(|i| (s(i, "PK"), s(i, "SK")))
        .filter(|(pk, sk)| pk.starts_with("SEARCH#") || sk.starts_with("SEARCH#"))
        .collect()
}

fn ids(r: &Value, list: &str, key: &str) -> Vec<String> {
    r[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_index_is_written_with_its_data_answers_every_search_and_goes_with_the_customer() {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_agent_api(&whatsapp.url).await;
    let api = stack.agent_api().await;
    let store = DynamoStore::new(stack.aws.dynamodb().clone(), &stack.resources.table);

    // GIVEN Jörg's and Ben's tickets, and an order the bot found on Jörg's
    writes(&stack, JOERG, "Jörg Müller", "wamid.s1", "Hallo").await;
    writes(&stack, BEN, "Ben Becker", "wamid.s2", "Hallo").await;
    let joerg = WaId::parse(JOERG).unwrap();
    let ticket = store.customer_tickets(&joerg).await.unwrap().remove(0);
    let mut t = ticket.clone();
    t.version += 1;
    t.bot = Some(BotState {
        order_id: Some("a-1042".into()),
        ..t.bot.clone().unwrap_or_default()
    });
    let turn = BotTurnWrite {
        ticket: &t,
        message: None,
        outbox: &[],
        activity: &[],
        tags_before: &t.tags,
        now: Timestamp::now(),
    };
    assert_eq!(
        store.commit_bot_turn(&turn).await.unwrap(),
        TurnOutcome::Committed
    );

    // WHEN a supervisor searches: by last digits, whole number, name word, ticket id, order
    let search = |q: &str| {
        let q: String = q
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let api = &api;
        async move {
            api.ok("maria", "GET", &format!("/search?q={q}"), Value::Null)
                .await
        }
    };
    for q in ["5678", "+49 151 12345678", "müller", "JORG", "jörg mü"] {
        assert_eq!(ids(&search(q).await, "customers", "wa_id"), [JOERG], "{q}");
    }
    assert_eq!(ids(&search("becker").await, "customers", "wa_id"), [BEN]);
    let id = ticket.id.to_string();
    assert_eq!(ids(&search(&id).await, "tickets", "id"), [id.as_str()]);
    assert_eq!(
        ids(&search("#A-1042").await, "tickets", "id"),
        [id.as_str()]
    );

    // AND an agent renames him and tags him: the new name is found, the old stays (WhatsApp's)
    let path = format!("/customers/{JOERG}");
    let view = api.ok("maria", "GET", &path, Value::Null).await;
    assert_eq!(ids(&view, "tickets", "id"), [id.as_str()]);
    let saved = api
        .ok(
            "maria",
            "PATCH",
            &path,
            json!({"version": view["version"], "name": "Jörg Brandt", "email": "j@example.com"}),
        )
        .await;
    // a stale edit
    api.answers(
        409,
        "maria",
        "PATCH",
        &path,
        json!({"version": view["version"], "email": "x@example.com"}),
    )
    .await;
    api.ok("maria", "PUT", &format!("{path}/tags/VIP"), Value::Null)
        .await;
    // Two edits made on the same read: DynamoDB's condition lets only the first through.
    let read = store.customer(&joerg).await.unwrap();
    let edit = |tier: &str| {
        let mut c = read.clone().unwrap();
        c.profile.tier = Some(tier.into());
        c.version += 1;
        c
    };
    assert!(
        store
            .update_customer(read.as_ref(), &edit("gold"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_customer(read.as_ref(), &edit("silver"))
            .await
            .unwrap()
    );
    assert_eq!(ids(&search("brandt").await, "customers", "wa_id"), [JOERG]);
    let v = api.ok("maria", "GET", &path, Value::Null).await;
    assert_eq!(v["tags"], json!(["vip"]));
    assert_eq!(v["email"], "j@example.com");
    assert_eq!(v["tier"], "gold");
    assert!(v["version"].as_u64() > saved["version"].as_u64().map(|x| x - 1));
    // A new WhatsApp name moves his WhatsApp words, keeps the agents'.
    writes(&stack, JOERG, "Jörg Meier", "wamid.s3", "Noch da?").await;
    assert!(ids(&search("müller").await, "customers", "wa_id").is_empty());
    assert_eq!(ids(&search("meier").await, "customers", "wa_id"), [JOERG]);
    assert_eq!(ids(&search("brandt").await, "customers", "wa_id"), [JOERG]);
    let before = index_items(&stack).await;
    let reversed: String = JOERG.chars().rev().collect();
    for kind in [
        "SEARCH#PHONE#5678",
        "SEARCH#NAME#br",
        "SEARCH#NAME#me",
        "SEARCH#ORDER#A-1042",
    ] {
        assert!(
            before.iter().any(|(pk, _)| pk == kind),
            "{kind}: {before:?}"
        );
    }

    // THEN erasing Jörg deletes every index item of his, and only his
    let privacy = helpdesk::platform::wiring::privacy(&stack.env, &stack.aws).unwrap();
    privacy.erase(&joerg, "cli:dpo").await.unwrap();
    let after = index_items(&stack).await;
    let his = |(pk, sk): &(String, String)| {
        sk.contains(JOERG) || *sk == reversed || sk == &id || pk.contains(&id)
    };
    assert_eq!(after.iter().filter(|i| his(i)).count(), 0, "{after:?}");
    assert!(
        after.iter().all(|(pk, _)| !pk.starts_with("SEARCH#ORDER#")),
        "{after:?}"
    );
    assert!(
        after.iter().any(|(_, sk)| sk.contains(BEN)),
        "Ben's stay: {after:?}"
    );
    assert!(ids(&search("5678").await, "customers", "wa_id").is_empty());
    assert!(ids(&search("#A-1042").await, "tickets", "id").is_empty());
}
