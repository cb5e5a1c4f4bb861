use std::sync::Arc;

use serde_json::{Value, json};

use super::super::{AgentApi, ApiRequest, ApiResponse, Authenticator, Caller, Role};
use crate::domain::templates::TemplateCatalog;
use crate::ports::clock::Clock as _;
use crate::ports::store::TicketStore as _;
use crate::testkit::{World, world};

struct Admin {
    w: World,
    api: AgentApi,
}

async fn setup() -> Admin {
    let w = world().await;
    let who = |agent: &str, role| Caller {
        agent: agent.into(),
        role,
    };
    let auth = Authenticator::plain_keys([
        ("key-root", who("root", Role::Admin)),
        ("key-maria", who("maria", Role::Supervisor)),
        ("key-tom", who("tom", Role::Agent)),
        ("key-lea", who("lea", Role::Agent)),
    ]);
    let api = AgentApi::new(
        w.desk.clone(),
        auth,
        Arc::new(TemplateCatalog::default_catalog()),
        vec!["support".into()],
        w.clock.clone(),
    );
    Admin { w, api }
}

impl Admin {
    async fn call_with(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Value,
        idempotency_key: Option<&str>,
    ) -> ApiResponse {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let auth = format!("Bearer {key}");
        self.api
            .handle(&ApiRequest {
                method,
                path,
                authorization: Some(&auth),
                idempotency_key,
                body: &body,
                ..ApiRequest::default()
            })
            .await
    }

    async fn call(&self, who: &str, method: &str, path: &str, body: Value) -> ApiResponse {
        self.call_with(&format!("key-{who}"), method, path, body, None)
            .await
    }
}

fn nina() -> Value {
    json!({"id": "nina", "name": "Nina Roth", "teams": ["support"], "languages": ["de"],
           "capacity": 3, "role": "supervisor"})
}

#[tokio::test]
async fn an_admin_invites_an_agent_whose_key_is_shown_once_and_works_at_once() {
    let a = setup().await;
    for who in ["maria", "tom"] {
        let r = a.call(who, "POST", "/agents", nina()).await;
        assert_eq!(r.status, 403, "{who}: {}", r.body);
    }
    let r = a
        .call_with("key-root", "POST", "/agents", nina(), Some("invite-nina-1"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], "supervisor");
    assert_eq!(r.body["teams"], json!(["support"]));
    let key = r.body["api_key"]
        .as_str()
        .expect("the key, once")
        .to_owned();
    let me = a.call_with(&key, "GET", "/me", Value::Null, None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        (me.body["agent"].as_str(), me.body["role"].as_str()),
        (Some("nina"), Some("supervisor"))
    );

    // The same request again (a retry): done already, no second key.
    let again = a
        .call_with("key-root", "POST", "/agents", nina(), Some("invite-nina-1"))
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["api_key"], Value::Null);
    assert_eq!(again.body["repeated"], true);
    assert_eq!(
        a.call_with(&key, "GET", "/me", Value::Null, None)
            .await
            .status,
        200
    );
    // Another request for the same id: 409 naming the id.
    let other = a.call("root", "POST", "/agents", nina()).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert!(other.body["fields"]["id"].is_string());
    let audit = a.call("root", "GET", "/audit", Value::Null).await;
    let invited: Vec<&Value> = audit.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "agent_invited")
        .collect();
    assert_eq!(invited.len(), 1, "{}", audit.body);
    assert_eq!(invited[0]["actor"], "root");
}

#[tokio::test]
async fn every_field_of_an_invitation_or_an_edit_is_checked_and_named() {
    let a = setup().await;
    let with = |field: &str, value: Value| {
        let mut b = nina();
        b[field] = value;
        b
    };
    for (body, field) in [
        (with("role", json!("boss")), "role"),
        (with("email", json!("not-an-address")), "email"),
        (with("teams", json!([])), "teams"),
        (with("languages", json!(["fr"])), "languages"),
        (with("capacity", json!(0)), "capacity"),
        (with("id", json!("a b")), "id"),
        (with("colour", json!("red")), "colour"),
    ] {
        let r = a.call("root", "POST", "/agents", body).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{field}: {}", r.body);
    }
    assert!(
        a.w.store
            .agents()
            .await
            .unwrap()
            .iter()
            .all(|g| g.id != "nina")
    );
    for (body, field) in [
        (json!({"capacity": 0}), "capacity"),
        (json!({"capacity": 51}), "capacity"),
        (json!({"languages": []}), "languages"),
        (json!({"teams": [""]}), "teams"),
        (json!({"role": "root"}), "role"),
        (json!({"name": " "}), "name"),
        (json!({"load": 0}), "load"),
    ] {
        let r = a.call("root", "PATCH", "/agents/tom", body).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert!(r.body["fields"][field].is_string(), "{field}: {}", r.body);
    }
    let r = a
        .call("maria", "PATCH", "/agents/tom", json!({"capacity": 4}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        a.call("root", "PATCH", "/agents/ghost", json!({"capacity": 4}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_admin_changes_teams_languages_capacity_and_role() {
    let a = setup().await;
    let r = a
        .call(
            "root",
            "PATCH",
            "/agents/tom",
            json!({"teams": ["support", "billing"], "languages": ["de", "en"], "capacity": 5, "role": "supervisor"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role"], "supervisor");
    let tom =
        a.w.store
            .agents()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.id == "tom")
            .unwrap();
    assert_eq!(tom.teams, ["support", "billing"]);
    assert_eq!(tom.capacity, 5);
    assert_eq!(tom.languages.len(), 2);
    // The role holds at once: tom now reads what supervisors read.
    assert_eq!(
        a.call("tom", "GET", "/analytics", Value::Null).await.status,
        200
    );
    let repeat = a
        .call("root", "PATCH", "/agents/tom", json!({"capacity": 5}))
        .await;
    assert_eq!(repeat.status, 200, "the same change again is fine");
}

#[tokio::test]
async fn deactivating_an_agent_revokes_their_key_and_routes_their_open_tickets_again() {
    let a = setup().await;
    let id =
        a.w.customer_as(
            "4915100000001",
            "wamid.d1",
            "Ich möchte mit einem Mitarbeiter sprechen",
        )
        .await;
    let mut t = a.w.store.ticket(id).await.unwrap().unwrap();
    t.team = Some("support".into());
    crate::testkit::save(&a.w.store, t, a.w.clock.now()).await;
    let path = format!("/tickets/{id}/assign");
    let r = a.call("tom", "POST", &path, json!({"agent": "tom"})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    assert_eq!(
        a.call("maria", "POST", "/agents/tom/deactivate", Value::Null)
            .await
            .status,
        403
    );
    assert_eq!(
        a.call("root", "POST", "/agents/root/deactivate", Value::Null)
            .await
            .status,
        409
    );
    let r = a
        .call("root", "POST", "/agents/tom/deactivate", Value::Null)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["returned_to_queue"], json!([id.to_string()]));
    assert_eq!(r.body["routed"][0]["agent"], "lea", "{}", r.body);

    let ticket = a.w.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.assignee.as_deref(), Some("lea"));
    let tom =
        a.w.store
            .agents()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.id == "tom")
            .unwrap();
    assert!(tom.deactivated_at.is_some() && !tom.online && !tom.has_room());
    assert_eq!(tom.load, 0, "the slot came back");
    assert_eq!(a.call("tom", "GET", "/me", Value::Null).await.status, 401);
    // Nothing more can be routed to them, and an edit is refused.
    assert_eq!(
        a.call("root", "PATCH", "/agents/tom", json!({"capacity": 2}))
            .await
            .status,
        409
    );
    // A repeat changes nothing and is fine.
    let again = a
        .call("root", "POST", "/agents/tom/deactivate", Value::Null)
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["returned_to_queue"], json!([]));
    let audit = a.call("root", "GET", "/audit", Value::Null).await;
    let deactivated: Vec<&Value> = audit.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "agent_deactivated")
        .collect();
    assert_eq!(deactivated.len(), 1, "{}", audit.body);
    assert_eq!(deactivated[0]["customer"], "agent:tom");
}
