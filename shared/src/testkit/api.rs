//! The agent API's test world: the memory [`World`] with a team roster and one key per role,
//! and a client that speaks to the API the way the HTTP front ends do.
//!
//! Callers (`key-{who}`): `maria` supervisor, `tom` and `lea` agents in support, `ben` agent in
//! billing, `root` admin. Teams the routing knows: support (owns the channel), billing.

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
        let r = self.call(who, method, target, body).await;
        assert_eq!(r.status, 200, "{method} {target}: {}", r.body);
        r.body
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
        let t = self
            .ok("maria", "GET", &format!("/tickets/{id}"), Value::Null)
            .await;
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
