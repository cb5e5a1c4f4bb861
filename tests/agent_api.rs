//! The agent API end to end against the emulators (DynamoDB Local with the listing GSIs, moto
//! for SQS, Scheduler and SNS), with the production wiring of every function: a customer asks
//! for a person, the bot hands over, routing assigns, the agent works the ticket through the API,
//! resolves it, and the customer's rating lands on the ticket and in the analytics.

use helpdesk::app::agent_api::AgentApi;
use helpdesk::app::intake::webhook::sample::{SampleText, text_notification};
use helpdesk_tests::api::CallApi;
use helpdesk_tests::stubs::WhatsAppStub;
use helpdesk_tests::{Stack, post_signed};
use http::StatusCode;
use jiff::Timestamp;
use serde_json::{Value, json};

const NUMBER: &str = "106540352242922";
const CUSTOMER: &str = "4915112345678";

struct Flow {
    stack: Stack,
    whatsapp: WhatsAppStub,
    api: AgentApi,
}

async fn flow() -> Flow {
    helpdesk::platform::telemetry::init();
    let whatsapp = WhatsAppStub::start().await;
    let stack = Stack::with_agent_api(&whatsapp.url).await;
    let api = stack.agent_api().await;
    Flow {
        stack,
        whatsapp,
        api,
    }
}

impl Flow {
    async fn deliver(&self, body: String) {
        let webhook = self.stack.webhook().await;
        assert_eq!(
            post_signed(&webhook, body.as_bytes()).await.status(),
            StatusCode::OK
        );
        let bot = helpdesk::platform::wiring::bot_reply(&self.stack.env, &self.stack.aws)
            .await
            .unwrap();
        assert!(
            bot.handle_batch(&self.stack.inbound_records().await)
                .await
                .is_empty()
        );
        let router = helpdesk::platform::wiring::agent_handoff(&self.stack.env, &self.stack.aws)
            .await
            .unwrap();
        let handoffs = self.stack.handoff_records().await;
        assert!(router.handle_batch(&handoffs).await.is_empty());
    }

    async fn customer_writes(&self, wamid: &str, text: &str) {
        self.deliver(text_notification(
            NUMBER,
            &[SampleText {
                wa_id: CUSTOMER,
                profile_name: "Anna",
                wamid,
                timestamp: Timestamp::now().as_second(),
                body: text,
            }],
        ))
        .await;
    }

    /// The customer asks for a person; maria tags the ticket in her queue. Gives its id.
    async fn handed_over_and_tagged(&self, wamid: &str, tag: &str) -> String {
        self.customer_writes(wamid, "Ich möchte mit einem Mitarbeiter sprechen")
            .await;
        let queue = self.api.ok("maria", "GET", "/tickets", Value::Null).await;
        let id = queue["tickets"][0]["id"].as_str().unwrap().to_owned();
        self.api
            .ok(
                "maria",
                "POST",
                &format!("/tickets/{id}/tag"),
                json!({ "tag": tag }),
            )
            .await;
        id
    }

    async fn customer_taps(&self, wamid: &str, id: &str, title: &str) {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "4930123456789", "phone_number_id": NUMBER},
                "contacts": [{"profile": {"name": "Anna"}, "wa_id": CUSTOMER}],
                "messages": [{"from": CUSTOMER, "id": wamid,
                    "timestamp": Timestamp::now().as_second().to_string(), "type": "interactive",
                    "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": title}}}]
            }}]}]
        });
        self.deliver(body.to_string()).await;
    }

    async fn schedules(&self) -> Vec<String> {
        let out = self
            .stack
            .aws
            .scheduler()
            .list_schedules()
            .group_name(&self.stack.resources.schedule_group)
            .send()
            .await
            .unwrap();
        let mut names: Vec<String> = out
            .schedules()
            .iter()
            .filter_map(|s| s.name().map(str::to_owned))
            .collect();
        names.sort();
        names
    }
}

#[tokio::test]
async fn customer_bot_handoff_agent_reply_resolve_and_rating() {
    let f = flow().await;
    // She agrees to messages from us (the survey is one), then asks for a person.
    f.customer_writes("wamid.flow0", "START").await;
    assert!(f.whatsapp.texts().last().unwrap().contains("STOP"));
    f.customer_writes("wamid.flow1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;

    // Routing gave it to a German-speaking support agent; the supervisor sees it in the queue.
    let queue = f
        .api
        .ok("maria", "GET", "/tickets?status=assigned", Value::Null)
        .await;
    let listed = queue["tickets"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{queue}");
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let agent = listed[0]["assignee"].as_str().unwrap().to_owned();
    assert!(["maria", "tom"].contains(&agent.as_str()), "{agent}");
    assert!(f.schedules().await.iter().any(|n| n.contains("-fr-")));

    // The agent finds it in their own list (assignee GSI) and reads the bot conversation.
    let mine = f
        .api
        .ok(&agent, "GET", "/tickets?assignee=me", Value::Null)
        .await;
    assert_eq!(mine["tickets"][0]["id"], id.as_str());
    let detail = f
        .api
        .ok(&agent, "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    let texts: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"Ich möchte mit einem Mitarbeiter sprechen"),
        "{texts:?}"
    );
    assert!(
        detail["messages"].as_array().unwrap().len() >= 2,
        "the bot's answer too"
    );
    assert_eq!(detail["activity"][0]["actor"], "routing");

    // Reply: the customer gets it, first response is met and its schedule deleted.
    f.api
        .ok(
            &agent,
            "POST",
            &format!("/tickets/{id}/reply"),
            json!({"text": "Hallo Anna, ich helfe Ihnen gern."}),
        )
        .await;
    assert_eq!(
        f.whatsapp.texts().last().unwrap(),
        "Hallo Anna, ich helfe Ihnen gern."
    );
    let schedules = f.schedules().await;
    assert!(
        schedules.iter().all(|n| !n.contains("-fr-")),
        "{schedules:?}"
    );
    assert!(
        schedules.iter().any(|n| n.contains("-res-")),
        "{schedules:?}"
    );

    // A note for a teammate stays internal.
    let sent_before = f.whatsapp.sent().len();
    f.api
        .ok(
            &agent,
            "POST",
            &format!("/tickets/{id}/notes"),
            json!({"text": "@alex kennst du den Fall?"}),
        )
        .await;
    assert_eq!(f.whatsapp.sent().len(), sent_before);

    // Resolve: every schedule goes, the customer is asked for a rating.
    let resolved = f
        .api
        .ok(
            &agent,
            "POST",
            &format!("/tickets/{id}/resolve"),
            Value::Null,
        )
        .await;
    assert_eq!(resolved["status"], "resolved");
    assert!(f.schedules().await.is_empty());
    let survey = f.whatsapp.sent().pop().unwrap();
    assert_eq!(survey["interactive"]["type"], "list", "{survey}");

    // The customer taps "5": stored on the ticket, thanked, counted.
    f.customer_taps("wamid.flow2", "csat:5", "5 - sehr gut")
        .await;
    let detail = f
        .api
        .ok("maria", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(detail["csat"], 5);
    assert_eq!(detail["status"], "resolved");
    assert!(f.whatsapp.texts().last().unwrap().contains("Danke"));
    let kinds: Vec<&str> = detail["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["assigned", "replied", "note", "resolved"]);

    let report = f.api.ok("maria", "GET", "/analytics", Value::Null).await;
    assert_eq!(report["opened"], 1);
    assert_eq!(report["handed_off"], 1);
    assert_eq!(report["handoff_reasons"]["request"], 1, "{report}");
    assert_eq!(report["resolved"], 1);
    assert_eq!(report["bot_resolution_rate"], 0.0);
    assert_eq!(report["first_response"]["count"], 1);
    assert_eq!(report["sla_by_target"]["first_response"]["met"], 1);
    assert_eq!(report["csat_count"], 1);
    assert_eq!(report["csat_average"], 5.0);
    let own = f.api.ok(&agent, "GET", "/analytics", Value::Null).await;
    assert_eq!(own["resolved"], 1);

    // The next question starts with the bot again.
    f.customer_writes("wamid.flow3", "Wie hoch sind die Versandkosten?")
        .await;
    let detail = f
        .api
        .ok("maria", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(detail["status"], "bot");
}

#[tokio::test]
async fn callers_are_authenticated_and_kept_to_their_role() {
    let f = flow().await;
    f.customer_writes("wamid.auth1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let r = f.api.call(None, "GET", "/tickets", Value::Null).await;
    assert_eq!(r.status, 401);
    let r = f
        .api
        .call(Some("key-nobody"), "GET", "/tickets", Value::Null)
        .await;
    assert_eq!(r.status, 401);
    let r = f
        .api
        .call(Some("key-tom"), "GET", "/analytics?scope=all", Value::Null)
        .await;
    assert_eq!(r.status, 403);
    let r = f
        .api
        .call(
            Some("key-tom"),
            "PUT",
            "/agents/alex/presence",
            json!({"online": false}),
        )
        .await;
    assert_eq!(r.status, 403);
    let me = f
        .api
        .ok(
            "tom",
            "PUT",
            "/agents/tom/presence",
            json!({"online": false}),
        )
        .await;
    assert_eq!(me["online"], false);
    let agents = f.api.ok("tom", "GET", "/agents", Value::Null).await;
    let tom = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "tom")
        .unwrap();
    assert_eq!(tom["online"], false, "stored in DynamoDB");
}

#[tokio::test]
async fn a_stale_version_changes_nothing_in_dynamodb() {
    let f = flow().await;
    f.customer_writes("wamid.v1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let queue = f
        .api
        .ok("maria", "GET", "/tickets?status=assigned", Value::Null)
        .await;
    let id = queue["tickets"][0]["id"].as_str().unwrap().to_owned();
    let v = queue["tickets"][0]["version"].as_u64().unwrap();
    f.api
        .ok(
            "maria",
            "PATCH",
            &format!("/tickets/{id}"),
            json!({"priority": "high", "version": v}),
        )
        .await;
    let r = f
        .api
        .call(
            Some("key-maria"),
            "PATCH",
            &format!("/tickets/{id}"),
            json!({"priority": "low", "version": v}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let detail = f
        .api
        .ok("maria", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_eq!(detail["priority"], "high");
    assert_eq!(detail["version"], v + 1);
}

#[tokio::test]
async fn a_freed_slot_is_given_back_once_in_dynamodb_however_often_the_request_is_repeated() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use helpdesk::ports::store::{DynamoStore, OutboxKind, TicketStore};
    let f = flow().await;
    f.customer_writes("wamid.rel1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let queue = f
        .api
        .ok("maria", "GET", "/tickets?status=assigned", Value::Null)
        .await;
    let id = queue["tickets"][0]["id"].as_str().unwrap().to_owned();
    let agent = queue["tickets"][0]["assignee"].as_str().unwrap().to_owned();
    let store = DynamoStore::new(f.stack.aws.dynamodb().clone(), &f.stack.resources.table);
    // The agent holds another ticket too.
    assert!(store.claim_agent(&agent, Timestamp::now()).await.unwrap());
    assert_eq!(load_of(&store, &agent).await, 2);
    let path = format!("/tickets/{id}/resolve");
    for _ in 0..2 {
        let r = f
            .api
            .call_keyed("maria", "POST", &path, "resolve-key-0001")
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(
        load_of(&store, &agent).await,
        1,
        "one slot back, the other ticket still held"
    );
    // The release step itself, repeated on the store: nothing more comes back.
    let item = f
        .stack
        .items("outbox")
        .await
        .into_iter()
        .find(|i| helpdesk_tests::s(i, "kind") == "release")
        .expect("the release is an outbox step");
    let ticket = helpdesk::domain::ids::TicketId::parse(&id).unwrap();
    let inbound = helpdesk::domain::ids::Wamid::parse(helpdesk_tests::s(&item, "inbound")).unwrap();
    let entries = store.outbox(ticket, &inbound).await.unwrap();
    let release = entries
        .iter()
        .find(|e| e.kind == OutboxKind::Release)
        .unwrap();
    assert!(release.done);
    store.release_agent_once(release, &agent).await.unwrap();
    assert_eq!(load_of(&store, &agent).await, 1);
    // A pending release for an agent with no load left (or gone) is only marked done.
    let mut pending = item.clone();
    pending.insert(
        "SK".into(),
        AttributeValue::S(format!("OUT#{}#099", inbound.as_str())),
    );
    pending.insert("seq".into(), AttributeValue::N("99".into()));
    pending.insert("done".into(), AttributeValue::Bool(false));
    pending.insert(
        "payload".into(),
        AttributeValue::S(r#"{"agent":"ghost"}"#.into()),
    );
    f.stack
        .aws
        .dynamodb()
        .put_item()
        .table_name(&f.stack.resources.table)
        .set_item(Some(pending))
        .send()
        .await
        .unwrap();
    let ghost = store
        .outbox(ticket, &inbound)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.seq == 99)
        .unwrap();
    assert!(!ghost.done);
    store.release_agent_once(&ghost, "ghost").await.unwrap();
    let ghost = store
        .outbox(ticket, &inbound)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.seq == 99)
        .unwrap();
    assert!(ghost.done);
    assert_eq!(load_of(&store, &agent).await, 1);
}

async fn load_of(store: &helpdesk::ports::store::DynamoStore, agent: &str) -> u32 {
    use helpdesk::ports::store::TicketStore;
    store
        .agents()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == agent)
        .unwrap()
        .load
}

#[tokio::test]
async fn an_admin_deactivates_an_agent_and_their_open_ticket_is_routed_again_in_dynamodb() {
    let f = flow().await;
    // GIVEN a customer whose ticket routing gave to an agent
    f.customer_writes("wamid.deact1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let listed = f.api.ok("maria", "GET", "/tickets", Value::Null).await;
    let ticket = listed["tickets"][0].clone();
    let holder = ticket["assignee"].as_str().expect("assigned").to_owned();
    let id = ticket["id"].as_str().unwrap().to_owned();

    // WHEN an admin deactivates that agent
    let r = f
        .api
        .call(
            Some("key-root"),
            "POST",
            &format!("/agents/{holder}/deactivate"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["returned_to_queue"], json!([id]));

    // THEN the ticket left them (routed to a free colleague of the team, or queued)
    let now = f
        .api
        .ok("root", "GET", &format!("/tickets/{id}"), Value::Null)
        .await;
    assert_ne!(now["assignee"].as_str(), Some(holder.as_str()));
    assert!(
        matches!(now["status"].as_str(), Some("queued" | "assigned")),
        "{now}"
    );
    if let Some(colleague) = r.body["routed"][0]["agent"].as_str() {
        assert_eq!(now["assignee"].as_str(), Some(colleague));
    }
    // AND in the table they are deactivated, offline, with their slot back
    let agents = f.api.ok("root", "GET", "/agents", Value::Null).await;
    let gone = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == holder.as_str())
        .unwrap()
        .clone();
    assert!(gone["deactivated_at"].is_string(), "{gone}");
    assert_eq!(
        (gone["online"].as_bool(), gone["load"].as_u64()),
        (Some(false), Some(0))
    );
    // AND their key no longer works
    let me = f
        .api
        .call(Some(&format!("key-{holder}")), "GET", "/me", Value::Null)
        .await;
    assert_eq!(me.status, 401);
    // AND a repeat finds nothing more to do
    let again = f
        .api
        .call(
            Some("key-root"),
            "POST",
            &format!("/agents/{holder}/deactivate"),
            Value::Null,
        )
        .await;
    assert_eq!(
        (again.status, again.body["returned_to_queue"].clone()),
        (200, json!([]))
    );

    // WHEN the admin invites someone and changes a colleague's capacity
    let invited = f.api
        .call(
            Some("key-root"),
            "POST",
            "/agents",
            json!({"id": "nina", "name": "Nina Roth", "teams": ["support"], "languages": ["de"], "capacity": 2}),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.body);
    let key = invited.body["api_key"].as_str().unwrap();
    assert_eq!(
        f.api.call(Some(key), "GET", "/me", Value::Null).await.body["agent"],
        "nina"
    );
    let changed = f
        .api
        .call(
            Some("key-root"),
            "PATCH",
            "/agents/nina",
            json!({"capacity": 7, "languages": ["de", "en"]}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let agents = f.api.ok("root", "GET", "/agents", Value::Null).await;
    let nina = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "nina")
        .unwrap()
        .clone();
    assert_eq!(
        (nina["capacity"].as_u64(), nina["languages"].clone()),
        (Some(7), json!(["de", "en"]))
    );
}

#[tokio::test]
async fn ticket_tags_are_indexed_filtered_and_erased_with_the_customer_in_dynamodb() {
    let f = flow().await;
    f.customer_writes("wamid.tag1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    let queue = f.api.ok("maria", "GET", "/tickets", Value::Null).await;
    let id = queue["tickets"][0]["id"].as_str().unwrap().to_owned();
    let tag = |t: &str| json!({ "tag": t });
    for t in ["Refund", "vip"] {
        f.api
            .ok("maria", "POST", &format!("/tickets/{id}/tag"), tag(t))
            .await;
    }
    // One index item per tag, in the tag's partition, with the ticket's TTL.
    let mut keys: Vec<(String, String)> = f
        .stack
        .items("ticket_tag")
        .await
        .iter()
        .map(|i| {
            assert!(i.contains_key("expires_at"), "{i:?}");
            (
                helpdesk_tests::s(i, "PK").to_owned(),
                helpdesk_tests::s(i, "SK").to_owned(),
            )
        })
        .collect();
    keys.sort();
    let ticket_key = format!("TICKET#{id}");
    assert_eq!(
        keys,
        [
            ("TAG#refund".to_owned(), ticket_key.clone()),
            ("TAG#vip".to_owned(), ticket_key.clone())
        ]
    );
    let listed = |page: &Value| -> Vec<String> {
        page["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let refund = f
        .api
        .ok("maria", "GET", "/tickets?tag=refund", Value::Null)
        .await;
    assert_eq!(listed(&refund), [id.as_str()]);
    assert_eq!(refund["tickets"][0]["tags"], json!(["refund", "vip"]));
    let resolved = f
        .api
        .ok(
            "maria",
            "GET",
            "/tickets?tag=refund&status=resolved",
            Value::Null,
        )
        .await;
    assert!(
        listed(&resolved).is_empty(),
        "combined with the status filter"
    );
    // Untagging deletes the index item in the ticket's transaction.
    f.api
        .ok("maria", "POST", &format!("/tickets/{id}/untag"), tag("vip"))
        .await;
    assert_eq!(f.stack.items("ticket_tag").await.len(), 1);
    let vip = f
        .api
        .ok("maria", "GET", "/tickets?tag=vip", Value::Null)
        .await;
    assert!(listed(&vip).is_empty());
    // Erasing the customer takes the tag index items with the ticket.
    f.api
        .ok(
            "root",
            "DELETE",
            &format!("/customers/{CUSTOMER}"),
            Value::Null,
        )
        .await;
    assert!(
        f.stack.items("ticket_tag").await.is_empty(),
        "no tag item survives"
    );
    let refund = f
        .api
        .ok("maria", "GET", "/tickets?tag=refund", Value::Null)
        .await;
    assert!(listed(&refund).is_empty());
}

#[tokio::test]
async fn a_tag_index_item_expires_with_its_ticket_when_the_ticket_changes_later() {
    let f = flow().await;
    let id = f.handed_over_and_tagged("wamid.ttl1", "refund").await;
    let expiry = |items: &[std::collections::HashMap<
        String,
        aws_sdk_dynamodb::types::AttributeValue,
    >]|
     -> i64 {
        assert_eq!(items.len(), 1, "{items:?}");
        match &items[0]["expires_at"] {
            aws_sdk_dynamodb::types::AttributeValue::N(n) => n.parse().unwrap(),
            other => panic!("expires_at: {other:?}"),
        }
    };
    let tagged = expiry(&f.stack.items("ticket_tag").await);
    assert_eq!(tagged, expiry(&f.stack.items("ticket").await));

    // WHEN the ticket changes later (TTLs are whole seconds)
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    f.api
        .ok(
            "maria",
            "POST",
            &format!("/tickets/{id}/notes"),
            json!({"text": "Rückerstattung angestoßen"}),
        )
        .await;
    // THEN the tag index item's expiry moves with the ticket's: the ticket does not drop out
    // of the tag filter while it is still kept
    let ticket = expiry(&f.stack.items("ticket").await);
    assert!(ticket > tagged, "the change moved the ticket's TTL");
    assert_eq!(expiry(&f.stack.items("ticket_tag").await), ticket);
}

#[tokio::test]
async fn saved_views_and_personal_canned_responses_are_versioned_in_dynamodb() {
    let f = flow().await;
    let id = f.handed_over_and_tagged("wamid.view1", "vip").await;
    // A team view by the supervisor, counted from the tag index for an agent of the team.
    let r = f
        .api
        .call(
            Some("key-maria"),
            "POST",
            "/views",
            json!({"name": "VIP", "scope": "team", "team": "support", "filter": {"tag": "vip"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let view = r.body["id"].as_str().unwrap().to_owned();
    let tom = f.api.ok("tom", "GET", "/views", Value::Null).await;
    assert_eq!(tom["views"][0]["name"], "VIP");
    assert_eq!(tom["views"][0]["count"], 1);
    let edit = |version: u64| json!({"name": "VIP customers", "filter": {"tag": "vip"}, "version": version});
    f.api
        .ok("maria", "PUT", &format!("/views/{view}"), edit(1))
        .await;
    let stale = f
        .api
        .call(Some("key-maria"), "PUT", &format!("/views/{view}"), edit(1))
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(stale.body["current_version"], 2);
    let items = f.stack.items("owned_view").await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        helpdesk_tests::s(&items[0], "PK"),
        "OWNED#view#team:support"
    );
    f.api
        .ok(
            "maria",
            "DELETE",
            &format!("/views/{view}?version=2"),
            Value::Null,
        )
        .await;
    assert!(f.stack.items("owned_view").await.is_empty());

    // A personal canned response, kept per agent.
    let r = f
        .api
        .call(
            Some("key-tom"),
            "POST",
            "/canned",
            json!({"title": "Danke", "shortcut": "danke", "text": "Danke, {{customer_name}}!"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let canned = r.body["id"].as_str().unwrap().to_owned();
    let list = f
        .api
        .ok("tom", "GET", &format!("/canned?ticket={id}"), Value::Null)
        .await;
    assert_eq!(list["responses"][0]["id"], canned.as_str());
    assert_eq!(list["responses"][0]["text"], "Danke, Anna!");
    let r = f
        .api
        .call(
            Some("key-tom"),
            "DELETE",
            &format!("/canned/{canned}?version=7"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(f.stack.items("owned_canned").await.len(), 1);
}
