//! The live console's change feed on DynamoDB Local: every ticket write the webhook makes moves
//! the desk and ticket counters, a console polling while writers run concurrently misses none
//! of their changes, and the agent read mark is claimed once per message (README "Live console").

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use helpdesk::domain::ids::{TicketId, WaId};
use helpdesk::ports::store::changes::ChangeToken;
use helpdesk::ports::store::{DynamoStore, TicketStore};
use helpdesk_tests::{Stack, customer_text};

async fn customer_writes(stack: &Stack, wa_id: &str, wamid: &str, text: &str) {
    stack
        .post_accepted(&customer_text(wa_id, wamid, text))
        .await;
}

async fn ticket_of(store: &DynamoStore, wa_id: &str) -> TicketId {
    store
        .customer_tickets(&WaId::parse(wa_id).unwrap())
        .await
        .unwrap()[0]
        .id
}

/// What a console shows: how many messages each ticket has.
async fn shown(store: &DynamoStore, tickets: &[TicketId]) -> Vec<usize> {
    let mut out = Vec::new();
    for t in tickets {
        out.push(store.messages(*t).await.unwrap().len());
    }
    out
}

#[tokio::test]
async fn the_change_feed_moves_with_every_ticket_write_and_a_polling_console_misses_none() {
    helpdesk::platform::telemetry::init();
    let stack = Arc::new(Stack::new().await);
    let store = Arc::new(DynamoStore::new(
        stack.aws.dynamodb().clone(),
        &stack.resources.table,
    ));
    let customers: Vec<String> = (0..4).map(|i| format!("49151000007{i:02}")).collect();
    let start = ChangeToken::of(store.change_marks(None).await.unwrap());
    for (i, c) in customers.iter().enumerate() {
        customer_writes(&stack, c, &format!("wamid.live{i}.0"), "Hallo").await;
    }
    let mut tickets = Vec::new();
    for c in &customers {
        tickets.push(ticket_of(&store, c).await);
    }
    // New tickets moved the desk, and each ticket its own counter.
    let marks = store.change_marks(Some(tickets[0])).await.unwrap();
    assert!(start.desk_moved(marks), "{start} -> {marks:?}");
    assert!(marks.ticket.unwrap() >= 1, "{marks:?}");

    // A console polls while four customers write concurrently.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, stop, tickets) = (store.clone(), stop.clone(), tickets.clone());
        tokio::spawn(async move {
            let mut token = ChangeToken::of(store.change_marks(None).await.unwrap());
            let mut seen = shown(&store, &tickets).await;
            let mut reloads = 0;
            loop {
                let done = stop.load(Ordering::SeqCst);
                let now = store.change_marks(None).await.unwrap();
                if token.desk_moved(now) {
                    seen = shown(&store, &tickets).await;
                    reloads += 1;
                }
                token = ChangeToken::of(now);
                if done {
                    return (seen, reloads);
                }
            }
        })
    };
    let mut writers = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let (stack, c) = (stack.clone(), c.clone());
        writers.push(tokio::spawn(async move {
            for n in 1..=4 {
                customer_writes(&stack, &c, &format!("wamid.live{i}.{n}"), "Noch da?").await;
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let (seen, reloads) = reader.await.unwrap();
    assert_eq!(
        seen,
        shown(&store, &tickets).await,
        "the console's last read is the final state"
    );
    assert_eq!(seen, vec![5; 4]);
    assert!(reloads >= 1);

    // A quiet desk: the counters stay.
    let before = store.change_marks(Some(tickets[1])).await.unwrap();
    let after = store.change_marks(Some(tickets[1])).await.unwrap();
    assert_eq!(before, after);
    // A redelivered message (Meta retries) writes nothing, and moves nothing.
    customer_writes(&stack, &customers[1], "wamid.live1.4", "Noch da?").await;
    assert_eq!(store.change_marks(Some(tickets[1])).await.unwrap(), after);
}

#[tokio::test]
async fn the_agent_read_mark_is_claimed_once_per_message_and_only_forward() {
    helpdesk::platform::telemetry::init();
    let stack = Stack::new().await;
    let store = DynamoStore::new(stack.aws.dynamodb().clone(), &stack.resources.table);
    customer_writes(&stack, "4915100000799", "wamid.read0", "Hallo").await;
    let t = ticket_of(&store, "4915100000799").await;
    let (first, second) = (
        "MSG#2026-01-01T00:00:00.000Z#a",
        "MSG#2026-01-01T00:00:05.000Z#b",
    );

    assert!(store.claim_agent_read(t, first).await.unwrap());
    assert!(!store.claim_agent_read(t, first).await.unwrap(), "once");
    assert!(
        store.claim_agent_read(t, second).await.unwrap(),
        "a later message"
    );
    assert!(
        !store.claim_agent_read(t, first).await.unwrap(),
        "never back"
    );
    // Given back after a failed send: claimable again; a stale give-back changes nothing.
    store.release_agent_read(t, first).await.unwrap();
    assert!(!store.claim_agent_read(t, second).await.unwrap());
    store.release_agent_read(t, second).await.unwrap();
    assert!(store.claim_agent_read(t, second).await.unwrap());
}
