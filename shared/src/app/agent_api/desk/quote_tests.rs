//! Quoting and reacting to a customer's message: only their messages on the ticket, inside the
//! 24 h window, once per request however often it is repeated.

use jiff::SignedDuration;

use super::*;
use crate::ports::store::Direction;
use crate::ports::whatsapp::OutboundBody;
use crate::testkit::{World, world};

const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

fn quote(text: &str, wamid: &str) -> AgentAction {
    AgentAction::Reply {
        text: text.into(),
        quote: Some(wamid.into()),
    }
}

fn react(wamid: &str, emoji: &str) -> AgentAction {
    AgentAction::React {
        message: wamid.into(),
        emoji: emoji.into(),
    }
}

/// The customer reacts with `emoji` to `to`.
async fn customer_reacts(w: &World, wamid: &str, to: &str, emoji: &str) -> TicketId {
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "4915112345678"}],
            "messages": [{"from": "4915112345678", "id": wamid,
                "timestamp": w.clock.now().as_second().to_string(), "type": "reaction",
                "reaction": {"message_id": to, "emoji": emoji}}]
        }}]}]
    })
    .to_string();
    w.deliver(&body).await
}

#[tokio::test]
async fn a_reply_can_quote_a_customer_message_of_the_ticket() {
    let w = world().await;
    let id = w.customer("wamid.Q1", HANDOFF).await;
    w.desk
        .act(
            id,
            "maria",
            &quote("Gern, worum geht es?", "wamid.Q1"),
            None,
        )
        .await
        .unwrap();
    let sent = w.whatsapp.sent().last().unwrap().body.clone();
    assert_eq!(
        sent,
        OutboundBody::QuotedText {
            body: "Gern, worum geht es?".into(),
            reply_to: "wamid.Q1".into()
        }
    );
    let stored = w.store.messages(id).await.unwrap();
    let reply = stored
        .iter()
        .rfind(|m| m.direction == Direction::Outbound)
        .unwrap();
    assert_eq!(reply.context_id.as_deref(), Some("wamid.Q1"));
    assert_eq!(reply.kind, "text");
    assert_eq!(reply.sent_by.as_deref(), Some("maria"));
}

#[tokio::test]
async fn quoting_or_reacting_to_a_message_not_on_the_ticket_is_refused_and_sends_nothing() {
    let w = world().await;
    let other = w.customer_as("4915199999999", "wamid.OTHER", HANDOFF).await;
    let id = w.customer("wamid.MINE", HANDOFF).await;
    assert_ne!(other, id);
    let before = w.whatsapp.sent().len();
    let bot_says = w
        .store
        .messages(id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.direction == Direction::Outbound)
        .unwrap()
        .wamid;
    for (action, field) in [
        (quote("Hallo", "wamid.OTHER"), "quote"),
        (quote("Hallo", "wamid.NOWHERE"), "quote"),
        (quote("Hallo", bot_says.as_str()), "quote"),
        (react("wamid.OTHER", "👍"), "message"),
        (react(bot_says.as_str(), "👍"), "message"),
    ] {
        let err = w.desk.act(id, "maria", &action, None).await.unwrap_err();
        assert!(
            matches!(err, AgentError::Invalid { field: Some(f), .. } if f == field),
            "{action:?}: {err}"
        );
    }
    let err = w
        .desk
        .act(id, "maria", &react("wamid.MINE", "gut"), None)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("emoji: "), "{err}");
    assert_eq!(w.whatsapp.sent().len(), before, "nothing was sent");
    let ticket = w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.assignee, None, "a refused action takes nothing");
}

#[tokio::test]
async fn an_agent_reacts_to_a_customer_message_without_answering_it() {
    let w = world().await;
    let id = w.customer("wamid.R1", HANDOFF).await;
    let ticket = w
        .desk
        .act(id, "maria", &react("wamid.R1", "👍"), None)
        .await
        .unwrap();
    assert_eq!(
        w.whatsapp.sent().last().unwrap().body,
        OutboundBody::Reaction {
            message_id: "wamid.R1".into(),
            emoji: "👍".into()
        }
    );
    assert_eq!(ticket.assignee.as_deref(), Some("maria"));
    assert_eq!(ticket.first_response_at, None, "a reaction is not a reply");
    let stored = w.store.messages(id).await.unwrap();
    let reaction = stored.iter().rfind(|m| m.kind == "reaction").unwrap();
    assert_eq!(reaction.direction, Direction::Outbound);
    assert_eq!(reaction.context_id.as_deref(), Some("wamid.R1"));
}

#[tokio::test]
async fn quoting_and_reacting_need_the_service_window() {
    let w = world().await;
    let id = w.customer("wamid.W1", HANDOFF).await;
    w.clock.advance(SignedDuration::from_hours(25));
    for action in [quote("Hallo", "wamid.W1"), react("wamid.W1", "👍")] {
        assert_eq!(
            w.desk.act(id, "maria", &action, None).await.unwrap_err(),
            AgentError::OutsideServiceWindow
        );
    }
}

#[tokio::test]
async fn a_repeated_quote_or_reaction_is_sent_once() {
    let w = world().await;
    let id = w.customer("wamid.I1", HANDOFF).await;
    let before = w.whatsapp.sent().len();
    for (n, action) in [quote("Gern", "wamid.I1"), react("wamid.I1", "❤️")]
        .iter()
        .enumerate()
    {
        let key = IdempotencyKey {
            key: if n == 0 { "quote-key-1" } else { "react-key-1" },
            request: [n as u8; 32],
        };
        for _ in 0..2 {
            w.desk
                .act_once(id, "maria", action, None, Some(key))
                .await
                .unwrap();
        }
    }
    assert_eq!(w.whatsapp.sent().len(), before + 2);
}

#[tokio::test]
async fn the_bot_ignores_a_customers_reaction() {
    let w = world().await;
    let id = w.customer("wamid.B1", "Hallo").await;
    let bot_says = w
        .store
        .messages(id)
        .await
        .unwrap()
        .into_iter()
        .rfind(|m| m.direction == Direction::Outbound)
        .unwrap()
        .wamid;
    let before = w.whatsapp.sent().len();
    let same = customer_reacts(&w, "wamid.B2", bot_says.as_str(), "👍").await;
    assert_eq!(same, id, "the reaction joins the ticket");
    assert_eq!(w.whatsapp.sent().len(), before, "the bot said nothing");
    let stored = w.store.messages(id).await.unwrap();
    let reaction = stored.iter().find(|m| m.kind == "reaction").unwrap();
    assert!(reaction.content.contains(bot_says.as_str()));
}
