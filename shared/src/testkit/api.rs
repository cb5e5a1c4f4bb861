//! The agent API's test world: the memory [`World`] with a team roster and one key per role,
//! and a client that speaks to the API the way the HTTP front ends do.
//!
//! Callers (`key-{who}`): `maria` supervisor, `tom` and `lea` agents in support, `ben` agent in
//! billing, `root` admin. Teams the routing knows: support (owns the channel), billing.

use std::fmt::Display;
use std::sync::Arc;

use serde_json::Value;

use super::{World, world};
use crate::app::agent_api::{AgentApi, ApiRequest, ApiResponse, Authenticator, Caller, Role};
use crate::domain::templates::TemplateCatalog;
use crate::ports::clock::Clock;
use crate::ports::store::TicketStore as _;

/// What a customer writes to be handed to a person.
pub const HANDOFF: &str = "Ich möchte mit einem Mitarbeiter sprechen";

/// The world and the agent API over it.
pub struct Api {
    pub w: World,
    pub api: AgentApi,
}

/// The agent API over a fresh world (see the module for who is who).
pub async fn api() -> Api {
    let w = world().await;
    let mut ben = super::agent("ben", 2);
    ben.teams = vec!["billing".into()];
    w.store.add_agent(&ben).await.unwrap();
    let auth = Authenticator::plain_keys([
        ("key-maria", caller("maria", Role::Supervisor)),
        ("key-tom", caller("tom", Role::Agent)),
        ("key-lea", caller("lea", Role::Agent)),
        ("key-ben", caller("ben", Role::Agent)),
        ("key-root", caller("root", Role::Admin)),
    ]);
    let api = AgentApi::new(
        w.desk.clone(),
        auth,
        Arc::new(TemplateCatalog::default_catalog()),
        vec!["support".into(), "billing".into()],
        w.clock.clone(),
    )
    .with_media(w.media.clone());
    Api { w, api }
}

pub fn caller(agent: &str, role: Role) -> Caller {
    Caller {
        agent: agent.into(),
        role,
    }
}

impl Api {
    /// `method target` (`/path?query`) as `who`, with `body` as JSON (`null`: no body).
    pub async fn call(&self, who: &str, method: &str, target: &str, body: Value) -> ApiResponse {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let auth = format!("Bearer key-{who}");
        self.api
            .handle(&ApiRequest {
                method,
                path,
                query: Some(query),
                authorization: Some(&auth),
                idempotency_key: None,
                claims: None,
                body: &body,
            })
            .await
    }

    /// [`call`](Self::call) that must answer 200: its body.
    pub async fn ok(&self, who: &str, method: &str, target: &str, body: Value) -> Value {
        self.answers(200, who, method, target, body).await
    }

    /// [`call`](Self::call) that must answer `status` (the failure names the request and
    /// shows the body): its body.
    pub async fn answers(
        &self,
        status: u16,
        who: &str,
        method: &str,
        target: &str,
        body: Value,
    ) -> Value {
        let r = self.call(who, method, target, body).await;
        assert_eq!(r.status, status, "{method} {target} as {who}: {}", r.body);
        r.body
    }

    /// The ticket `id` as `who` reads it (`GET /tickets/{id}`, which must answer 200).
    pub async fn detail(&self, who: &str, id: impl Display) -> Value {
        self.ok(who, "GET", &format!("/tickets/{id}"), Value::Null)
            .await
    }

    /// The ticket action `POST /tickets/{id}/{action}` (reply, assign, notes, ...) as `who`,
    /// which must answer 200: its body.
    pub async fn act(&self, who: &str, id: impl Display, action: &str, body: Value) -> Value {
        self.act_answers(200, who, id, action, body).await
    }

    /// [`act`](Self::act) that must answer `status`: its body.
    pub async fn act_answers(
        &self,
        status: u16,
        who: &str,
        id: impl Display,
        action: &str,
        body: Value,
    ) -> Value {
        let target = format!("/tickets/{id}/{action}");
        self.answers(status, who, "POST", &target, body).await
    }

    /// `method path` as `who` with a raw body and an `Idempotency-Key`.
    pub async fn call_keyed(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: &str,
        key: &str,
    ) -> ApiResponse {
        let auth = format!("Bearer key-{who}");
        self.api
            .handle(&ApiRequest {
                method,
                path,
                authorization: Some(&auth),
                idempotency_key: Some(key),
                body: body.as_bytes(),
                ..ApiRequest::default()
            })
            .await
    }

    /// A create `POST collection` sent twice with one `Idempotency-Key` (a redelivery): 201
    /// both times, one document. Its body.
    pub async fn create_once(&self, who: &str, collection: &str, body: &str, key: &str) -> Value {
        let first = self.call_keyed(who, "POST", collection, body, key).await;
        assert_eq!(first.status, 201, "POST {collection}: {}", first.body);
        let again = self.call_keyed(who, "POST", collection, body, key).await;
        assert_eq!(again.status, 201, "POST {collection} again: {}", again.body);
        assert_eq!(again.body["id"], first.body["id"], "one document");
        first.body
    }

    /// Edits the versioned document `collection/id` from version 1 to 2 with `edit`, then an
    /// edit (`stale`) and a delete still on version 1 are conflicts naming version 2 and change
    /// nothing. The edit's answer.
    pub async fn edit_refusing_stale(
        &self,
        who: &str,
        collection: &str,
        id: &str,
        edit: Value,
        stale: Value,
    ) -> Value {
        let doc = format!("{collection}/{id}");
        let edited = self.ok(who, "PUT", &doc, edit).await;
        assert_eq!(edited["version"], 2);
        let r = self.answers(409, who, "PUT", &doc, stale).await;
        assert_eq!(r["current_version"], 2);
        let r = self
            .answers(409, who, "DELETE", &format!("{doc}?version=1"), Value::Null)
            .await;
        assert_eq!(r["current_version"], 2);
        let listed = self.listed(who, collection, id).await;
        assert_eq!(listed.map(|d| d["version"].clone()), Some(2.into()));
        edited
    }

    /// Deletes `version` of the document `collection/id`: it leaves the list, and deleting it
    /// again is 404.
    pub async fn delete_for_good(&self, who: &str, collection: &str, id: &str, version: u64) {
        let target = format!("{collection}/{id}?version={version}");
        self.ok(who, "DELETE", &target, Value::Null).await;
        assert_eq!(self.listed(who, collection, id).await, None);
        self.answers(404, who, "DELETE", &target, Value::Null).await;
    }

    /// The document `id` as `GET collection` lists it to `who` (in any list of the answer).
    async fn listed(&self, who: &str, collection: &str, id: &str) -> Option<Value> {
        let list = self.ok(who, "GET", collection, Value::Null).await;
        let lists = list.as_object().into_iter().flat_map(|o| o.values());
        lists
            .filter_map(Value::as_array)
            .flatten()
            .find(|d| d["id"] == id)
            .cloned()
    }

    /// A handed-over ticket in the support queue.
    pub async fn queued(&self, wa_id: &str, wamid: &str) -> String {
        let id = self.w.customer_as(wa_id, wamid, HANDOFF).await;
        let mut t = self.w.store.ticket(id).await.unwrap().unwrap();
        t.team = Some("support".into());
        super::save(&self.w.store, t, self.w.clock.now()).await;
        id.to_string()
    }

    /// What the activity log of ticket `id` says, as the API shows it: `kind` or `kind:text`.
    pub async fn activity(&self, id: &str) -> Vec<String> {
        let t = self.detail("maria", id).await;
        t["activity"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| match e["text"].as_str() {
                Some(text) if e["kind"] != "note" => {
                    format!("{}:{text}", e["kind"].as_str().unwrap())
                }
                _ => e["kind"].as_str().unwrap().to_owned(),
            })
            .collect()
    }
}
