//! Search and the customer view in the agent API: found by number, name, ticket id and order
//! number from the index; the profile edited with validation and a version; customer tags.

use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::app::intake::webhook::sample::{SampleText, text_notification};
use crate::domain::bot::BotState;
use crate::domain::ids::TicketId;
use crate::ports::clock::Clock as _;
use crate::ports::store::TicketStore as _;
use crate::testkit::api::{Api, HANDOFF, api};

const JOERG: &str = "4915112345678";
const BEA: &str = "4917699998888";

/// `wa_id`, calling themselves `name` in WhatsApp, writes `text`; the ticket it went to.
async fn writes(a: &Api, wa_id: &str, name: &str, wamid: &str, text: &str) -> TicketId {
    let body = text_notification(
        "106540352242922",
        &[SampleText {
            wa_id,
            profile_name: name,
            wamid,
            timestamp: a.w.clock.now().as_second(),
            body: text,
        }],
    );
    a.w.deliver(&body).await
}

/// A ticket of `wa_id` (named `name`) handed to the support queue.
async fn queued(a: &Api, wa_id: &str, name: &str, wamid: &str) -> TicketId {
    let id = writes(a, wa_id, name, wamid, HANDOFF).await;
    let mut t = a.w.store.ticket(id).await.unwrap().unwrap();
    t.team = Some("support".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    id
}

fn customers(r: &Value) -> Vec<String> {
    r["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["wa_id"].as_str().unwrap().to_owned())
        .collect()
}

fn tickets(r: &Value) -> Vec<String> {
    r["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(a: &Api, who: &str, q: &str) -> Value {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    a.ok(who, "GET", &format!("/search?q={q}"), Value::Null)
        .await
}

#[tokio::test]
async fn a_customer_is_found_by_the_last_digits_or_the_whole_number_in_any_notation() {
    let a = api().await;
    queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    queued(&a, BEA, "Bea", "wamid.b1").await;
    for q in [
        "5678",
        "345678",
        "+49 151 1234-5678",
        "4915112345678",
        "(0151) 12345678",
    ] {
        let r = search(&a, "tom", q).await;
        assert_eq!(customers(&r), [JOERG], "{q}");
        assert!(r["searched"].as_array().unwrap().contains(&json!("phone")));
    }
    let r = search(&a, "tom", "8888").await;
    assert_eq!(customers(&search(&a, "tom", "98888").await), [BEA]);
    assert_eq!(customers(&search(&a, "tom", "0176 99998888").await), [BEA]);
    assert_eq!(customers(&r), [BEA]);
    assert_eq!(
        r["customers"][0]["phone"], "+49*******8888",
        "masked in results"
    );
    assert!(customers(&search(&a, "tom", "9999 5678").await).is_empty());
}

#[tokio::test]
async fn a_customer_is_found_by_any_word_of_the_name_without_case_or_accents() {
    let a = api().await;
    queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    queued(&a, BEA, "Bea Schmidt", "wamid.b1").await;
    for q in [
        "müller",
        "MULLER",
        "mueller",
        "jorg",
        "Jö",
        "jorg mül",
        "Müller, Jörg",
    ] {
        assert_eq!(customers(&search(&a, "tom", q).await), [JOERG], "{q}");
    }
    assert!(customers(&search(&a, "tom", "jorg schmidt").await).is_empty());
    assert_eq!(customers(&search(&a, "tom", "schm").await), [BEA]);
    // A new WhatsApp name moves the index: the old name no longer finds him.
    a.w.clock.advance(SignedDuration::from_mins(1));
    writes(&a, JOERG, "Jörg Meier", "wamid.j2", "Hallo?").await;
    assert!(customers(&search(&a, "tom", "müller").await).is_empty());
    assert_eq!(customers(&search(&a, "tom", "meier").await), [JOERG]);
    // The name agents give him is searchable too.
    let view = a
        .ok("tom", "GET", &format!("/customers/{JOERG}"), Value::Null)
        .await;
    a.ok(
        "tom",
        "PATCH",
        &format!("/customers/{JOERG}"),
        json!({"version": view["version"], "name": "Jörg Brandt"}),
    )
    .await;
    assert_eq!(customers(&search(&a, "tom", "brandt").await), [JOERG]);
    assert_eq!(
        customers(&search(&a, "tom", "meier").await),
        [JOERG],
        "WhatsApp's stays"
    );
}

#[tokio::test]
async fn tickets_are_found_by_id_and_by_the_order_number_the_bot_found_newest_first() {
    let a = api().await;
    let first = queued(&a, JOERG, "Jörg", "wamid.j1").await;
    a.w.clock.advance(SignedDuration::from_secs(1));
    let second = queued(&a, BEA, "Bea", "wamid.b1").await;
    for id in [first, second] {
        let mut t = a.w.store.ticket(id).await.unwrap().unwrap();
        t.bot = Some(BotState {
            order_id: Some("A-1042".into()),
            ..BotState::default()
        });
        crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    }
    let r = search(&a, "tom", "#a-1042").await;
    assert_eq!(tickets(&search(&a, "tom", "a-1042").await).len(), 2);
    assert_eq!(tickets(&r), [second.to_string(), first.to_string()]);
    assert_eq!(r["searched"], json!(["order"]), "{r}");
    let r = search(&a, "tom", &first.to_string()).await;
    assert_eq!(tickets(&r), [first.to_string()]);
    assert!(
        search(&a, "tom", "A-9999").await["tickets"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn search_shows_agents_only_what_their_teams_may_see() {
    let a = api().await;
    let id = queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    for q in ["müller", "5678", &id.to_string()] {
        let ben = search(&a, "ben", q).await;
        assert!(
            customers(&ben).is_empty() && tickets(&ben).is_empty(),
            "{q}: {ben}"
        );
        let maria = search(&a, "maria", q).await;
        assert_eq!(customers(&maria).len() + tickets(&maria).len(), 1, "{q}");
    }
    a.answers(
        403,
        "ben",
        "GET",
        &format!("/customers/{JOERG}"),
        Value::Null,
    )
    .await;
}

#[tokio::test]
async fn a_search_that_cannot_be_answered_says_why() {
    let a = api().await;
    for (q, status) in [
        ("/search", 400),
        ("/search?q=", 400),
        ("/search?q=%21%21", 400),
        ("/search?q=j", 400),
        ("/search?q=%23vip", 400),
        ("/search?q=anna&limit=0", 400),
        ("/search?q=anna&sort=x", 400),
    ] {
        let r = a.call("tom", "GET", q, Value::Null).await;
        assert_eq!(r.status, status, "{q}: {:?}", r.body);
        assert_eq!(r.body["error"], "invalid_request");
    }
    let long = "x".repeat(101);
    let r = a
        .call("tom", "GET", &format!("/search?q={long}"), Value::Null)
        .await;
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("longer than 100")
    );
    let r = a.call("tom", "GET", "/search?q=%23vip", Value::Null).await;
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("/tickets?tag=")
    );
}

#[tokio::test]
async fn the_customer_view_shows_profile_consent_tickets_newest_first_and_all_their_messages() {
    let a = api().await;
    let first = queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    a.act("tom", &first, "resolve", json!({})).await;
    a.w.clock.advance(SignedDuration::from_hours(24 * 10));
    let second = writes(&a, JOERG, "Jörg Müller", "wamid.j2", "Noch eine Frage").await;
    assert_ne!(first, second, "a new ticket");
    let v = a
        .ok("tom", "GET", &format!("/customers/{JOERG}"), Value::Null)
        .await;
    assert_eq!(v["display_name"], "Jörg Müller");
    assert_eq!(v["phone"], "+4915112345678");
    assert_eq!(v["consent"]["state"], "unknown");
    assert_eq!(tickets(&v), [second.to_string(), first.to_string()]);
    let history = v["history"]["entries"].as_array().unwrap();
    let texts: Vec<&str> = history.iter().filter_map(|m| m["text"].as_str()).collect();
    let inbound: Vec<&str> = history
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        inbound,
        ["Noch eine Frage", HANDOFF],
        "newest first: {texts:?}"
    );
    assert!(
        texts.contains(&HANDOFF),
        "the first ticket's messages too: {texts:?}"
    );
    assert!(history.iter().any(|m| m["ticket_id"] == first.to_string()));
    // Paged: small pages give every message once, in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let target = match &cursor {
            Some(c) => format!("/customers/{JOERG}/history?limit=2&cursor={c}"),
            None => format!("/customers/{JOERG}/history?limit=2"),
        };
        let page = a.ok("tom", "GET", &target, Value::Null).await;
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.len() <= 2);
        paged.extend(entries.iter().map(|m| m["wamid"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let all: Vec<Value> = history.iter().map(|m| m["wamid"].clone()).collect();
    assert_eq!(paged, all);
    for bad in ["x", "9.0", "1"] {
        let r = a
            .call(
                "tom",
                "GET",
                &format!("/customers/{JOERG}/history?cursor={bad}"),
                Value::Null,
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    a.answers(404, "tom", "GET", "/customers/4910000000000", Value::Null)
        .await;
    a.answers(400, "tom", "GET", "/customers/not-a-number", Value::Null)
        .await;
}

#[tokio::test]
async fn an_edit_is_validated_and_a_colleagues_earlier_save_is_not_overwritten() {
    let a = api().await;
    queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    let path = format!("/customers/{JOERG}");
    let v = a.ok("tom", "GET", &path, Value::Null).await;
    let version = v["version"].as_u64().unwrap();
    let saved = a
        .ok(
            "tom",
            "PATCH",
            &path,
            json!({"version": version, "email": "joerg@example.com", "tier": "Gold",
                   "language": "de", "fields": {"customer_no": "K-4711"}}),
        )
        .await;
    assert_eq!(saved["email"], "joerg@example.com");
    assert_eq!(saved["tier"], "gold");
    assert_eq!(saved["fields"]["customer_no"], "K-4711");
    assert_eq!(saved["version"], version + 1);
    // Lea edited the version Tom saw before his save: refused, nothing overwritten.
    let r = a
        .call(
            "lea",
            "PATCH",
            &path,
            json!({"version": version, "email": "other@example.com"}),
        )
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.body["current_version"], version + 1);
    let v = a.ok("lea", "GET", &path, Value::Null).await;
    assert_eq!(v["email"], "joerg@example.com");
    // Invalid input: every wrong field named, nothing stored.
    let r = a
        .answers(
            400,
            "lea",
            "PATCH",
            &path,
            json!({"version": version + 1, "email": "joerg(at)example", "language": "deutsch",
                   "fields": {"Kunden Nr": "1"}}),
        )
        .await;
    for f in ["email", "language", "fields.Kunden Nr"] {
        assert!(r["fields"][f].is_string(), "{f}: {:?}", r);
    }
    for body in [
        json!({"email": "a@example.com"}),
        json!({"version": 1, "phone": "1"}),
    ] {
        let r = a.call("lea", "PATCH", &path, body).await;
        assert_eq!(r.status, 400, "{:?}", r.body);
    }
    let v = a.ok("lea", "GET", &path, Value::Null).await;
    assert_eq!(v["version"], version + 1);
}

#[tokio::test]
async fn customer_tags_are_normalised_added_once_and_shown_on_their_tickets() {
    let a = api().await;
    let id = queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    let tag = |t: &str| format!("/customers/{JOERG}/tags/{t}");
    let v = a.ok("tom", "PUT", &tag("VIP"), Value::Null).await;
    assert_eq!(v["tags"], json!(["vip"]));
    let again = a.ok("tom", "PUT", &tag("vip"), Value::Null).await;
    assert_eq!(again["version"], v["version"], "a repeat changes nothing");
    a.ok("tom", "PUT", &tag("late-payer"), Value::Null).await;
    let t = a.detail("tom", &id).await;
    assert_eq!(t["customer_tags"], json!(["late-payer", "vip"]));
    assert_eq!(
        search(&a, "tom", "5678").await["customers"][0]["tags"],
        json!(["late-payer", "vip"])
    );
    let v = a.ok("tom", "DELETE", &tag("vip"), Value::Null).await;
    assert_eq!(v["tags"], json!(["late-payer"]));
    a.ok("tom", "DELETE", &tag("vip"), Value::Null).await;
    let r = a
        .answers(400, "tom", "PUT", &tag("not%20a%20tag"), Value::Null)
        .await;
    assert!(r["fields"]["tag"].is_string());
    for i in 0..19 {
        a.ok("tom", "PUT", &tag(&format!("t{i}")), Value::Null)
            .await;
    }
    let r = a
        .call("tom", "PUT", &tag("one-too-many"), Value::Null)
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    a.answers(403, "ben", "PUT", &tag("x"), Value::Null).await;
}

#[tokio::test]
async fn the_store_refuses_the_second_of_two_edits_made_on_the_same_read() {
    // Two agents read the same version and both pass the API's version check: the store's
    // condition lets only the first write through.
    let a = api().await;
    queued(&a, JOERG, "Jörg Müller", "wamid.j1").await;
    let wa = crate::domain::ids::WaId::parse(JOERG).unwrap();
    let read = a.w.store.customer(&wa).await.unwrap();
    let edit = |email: &str| {
        let mut c = read.clone().unwrap();
        c.profile.email = Some(email.into());
        c.version += 1;
        c
    };
    assert!(
        a.w.store
            .update_customer(read.as_ref(), &edit("a@example.com"))
            .await
            .unwrap()
    );
    assert!(
        !a.w.store
            .update_customer(read.as_ref(), &edit("b@example.com"))
            .await
            .unwrap()
    );
    let now = a.w.store.customer(&wa).await.unwrap().unwrap();
    assert_eq!(now.profile.email.as_deref(), Some("a@example.com"));
}
