//! Poison messages against the emulator: moto honours the redrive policy `provision` sets
//! (`maxReceiveCount` 5), and the runner's `dlq` tool lists dead letters without customer data
//! and moves them back with their FIFO group and deduplication ids.

use aws_sdk_sqs::types::QueueAttributeName;
use helpdesk_local::dlq;
use helpdesk_local::provision::MAX_RECEIVE_COUNT;
use helpdesk_tests::{Stack, drain};

const GROUP: &str = "106540352242922#4915112345678";

fn poison_body() -> String {
    serde_json::json!({
        "v": 99, "ticket_id": "01KAXK3T7J5C4N9M0P2Q6R8S1V", "wamid": "wamid.poison1",
        "key": {"phone_number_id": "106540352242922", "wa_id": "4915112345678"},
        "text": "meine Adresse ist Hauptstraße 1",
    })
    .to_string()
}

/// Receives `url` the way an event source does, never deleting (the handler failed every
/// time): how many times the message came, until it stops coming.
async fn fail_every_receive(sqs: &aws_sdk_sqs::Client, url: &str) -> u32 {
    let mut receives = 0;
    for _ in 0..(MAX_RECEIVE_COUNT * 3) {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            break;
        }
        receives += got.len() as u32;
    }
    receives
}

#[tokio::test]
async fn a_poison_message_reaches_the_dlq_after_five_receives_and_the_tool_moves_it_back() {
    // GIVEN a poison record on the inbound queue
    let stack = Stack::new().await;
    let sqs = stack.aws.sqs();
    let (queue, dead) = (
        &stack.resources.inbound_queue_url,
        &stack.resources.inbound_dlq_url,
    );
    sqs.send_message()
        .queue_url(queue)
        .message_body(poison_body())
        .message_group_id(GROUP)
        .message_deduplication_id("wamid.poison1")
        .send()
        .await
        .expect("send");

    // WHEN every receive fails it
    let receives = fail_every_receive(sqs, queue).await;

    // THEN moto delivered it five times and then moved it to the dead-letter queue
    assert_eq!(receives, MAX_RECEIVE_COUNT, "receives before the DLQ");
    let letters = dlq::list(sqs, dead, 100).await.expect("list");
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    // AND the listing names the work, never the customer
    assert_eq!(
        letter.group_id.as_deref(),
        Some("106540352242922#49*********78")
    );
    assert!(
        letter.summary.contains("wamid=wamid.poison1")
            && letter
                .summary
                .contains("ticket_id=01KAXK3T7J5C4N9M0P2Q6R8S1V"),
        "{letter:?}"
    );
    let shown = format!("{letter:?}");
    assert!(
        !shown.contains("4915112345678") && !shown.contains("Hauptstra"),
        "{shown}"
    );
    assert!(letter.receive_count >= 1, "{letter:?}");
    // AND listing left it there
    assert_eq!(dlq::list(sqs, dead, 100).await.expect("list").len(), 1);

    // WHEN it is redriven to a queue that does not exist
    let missing = format!("{}-missing.fifo", queue.trim_end_matches(".fifo"));
    assert!(dlq::redrive(sqs, dead, &missing, 10, true).await.is_err());
    // THEN it stays in the DLQ
    assert_eq!(dlq::list(sqs, dead, 100).await.expect("list").len(), 1);

    // WHEN it is redriven to its queue within five minutes of its first send
    let done = dlq::redrive(sqs, dead, queue, 10, false)
        .await
        .expect("redrive");
    // THEN it stays: the queue would drop it as a duplicate of the original (moto does too)
    assert_eq!((done.moved, done.too_recent), (0, 1));
    assert_eq!(dlq::list(sqs, dead, 100).await.expect("list").len(), 1);

    // WHEN it is redriven, recent or not, to a FIFO queue that never saw it
    let other = &stack.resources.handoff_queue_url;
    let done = dlq::redrive(sqs, dead, other, 10, true)
        .await
        .expect("redrive");
    assert_eq!((done.moved, done.not_deleted), (1, 0));

    // THEN the DLQ is empty and the queue has it, same body, group and dedup id
    assert!(dlq::list(sqs, dead, 100).await.expect("list").is_empty());
    let back = drain(sqs, other).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].group_id, GROUP);
    assert_eq!(back[0].dedup_id, "wamid.poison1");
    assert_eq!(back[0].body["wamid"], "wamid.poison1");
}

#[tokio::test]
async fn the_runner_consumer_sends_a_poison_record_to_the_dlq_and_answers_the_good_one() {
    use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
    use helpdesk_tests::post_signed;
    use helpdesk_tests::stubs::WhatsAppStub;

    // GIVEN the runner's consumers on a queue with a 1 s visibility timeout
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::for_runner(&whatsapp.url).await;
    let sqs = stack.aws.sqs().clone();
    let queue = stack.resources.inbound_queue_url.clone();
    sqs.set_queue_attributes()
        .queue_url(&queue)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .expect("visibility");
    // a poison record in another customer's group, and a good message
    sqs.send_message()
        .queue_url(&queue)
        .message_body(poison_body())
        .message_group_id("106540352242922#4915100000009")
        .message_deduplication_id("wamid.poison1")
        .send()
        .await
        .expect("send");
    helpdesk_local::consumers::spawn(&stack.env, &stack.aws)
        .await
        .expect("consumers");
    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id: "4915112345678",
            profile_name: "Anna",
            wamid: "wamid.good1",
            timestamp: jiff::Timestamp::now().as_second(),
            body: "Hallo",
        }],
    );
    let webhook = stack.webhook().await;
    assert!(
        post_signed(&webhook, body.as_bytes())
            .await
            .status()
            .is_success()
    );

    // THEN within a few visibility timeouts the poison is in the DLQ, received five times
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        let letters = dlq::list(&sqs, &stack.resources.inbound_dlq_url, 10)
            .await
            .expect("list");
        if letters.len() == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not in the DLQ yet");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // AND the good message was answered, once
    let texts = whatsapp.texts();
    assert!(!texts.is_empty());
    let distinct: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{texts:?}");
}
