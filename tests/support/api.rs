//! The agent API as the emulator tests call it: one key per caller (`key-{agent}`), the API
//! built by the production wiring, and requests written the way the HTTP front ends pass them.

use helpdesk::app::agent_api::auth::digest;
use helpdesk::app::agent_api::{AgentApi, ApiRequest, ApiResponse};
use serde_json::Value;

use crate::Stack;

/// The demo roster's callers and roles (`Stack::seed_demo_agents` adds their profiles), and an
/// admin without a profile (`root`).
pub const DEMO_CALLERS: &[(&str, &str)] = &[
    ("maria", "supervisor"),
    ("tom", "agent"),
    ("alex", "agent"),
    ("root", "admin"),
];

/// `HELPDESK_API_KEYS` for `callers` (`agent`, `role`): each one's key is `key-{agent}`.
pub fn api_keys(callers: &[(&str, &str)]) -> String {
    callers
        .iter()
        .map(|(agent, role)| {
            format!(
                "{agent}:{role}:{}",
                hex::encode(digest(&format!("key-{agent}")))
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Stack {
    /// A stack whose agent API knows the demo callers' keys ([`DEMO_CALLERS`]), with the demo
    /// agents in the table and WhatsApp messages going to `whatsapp_url` (a stub).
    pub async fn with_agent_api(whatsapp_url: &str) -> Self {
        let stack = Self::with_env(&[
            ("WHATSAPP_ACCESS_TOKEN", "t"),
            ("WHATSAPP_API_BASE_URL", whatsapp_url),
            ("HELPDESK_API_AUTH", "api_keys"),
            ("HELPDESK_API_KEYS", &api_keys(DEMO_CALLERS)),
        ])
        .await;
        // The demo agents, added as an admin would add agents (agent-handoff adds none).
        stack.seed_demo_agents().await;
        stack
    }

    /// The agent API as the `agent-api` Lambda builds it from this stack's environment.
    pub async fn agent_api(&self) -> AgentApi {
        helpdesk::platform::wiring::agent_api(&self.env, &self.aws)
            .await
            .expect("agent API from a valid environment")
    }
}

/// A ticket routing assigned, as the queue lists it.
pub struct Assigned {
    pub id: String,
    pub assignee: String,
    pub version: u64,
}

/// The oldest ticket in the assigned queue, as the supervisor (`maria`) sees it.
pub async fn first_assigned(api: &AgentApi) -> Assigned {
    let queue = api
        .ok("maria", "GET", "/tickets?status=assigned", Value::Null)
        .await;
    let ticket = &queue["tickets"][0];
    let field = |name: &str| ticket[name].as_str().map(str::to_owned);
    Assigned {
        id: field("id").unwrap_or_else(|| panic!("no assigned ticket: {queue}")),
        assignee: field("assignee").unwrap_or_else(|| panic!("no assignee: {queue}")),
        version: ticket["version"].as_u64().expect("a version"),
    }
}

/// Requests to the agent API in one line each.
#[async_trait::async_trait]
pub trait CallApi {
    /// `method target` (`/path?query`) with `Bearer {key}` (none: no header) and `body` as
    /// JSON (`null`: no body).
    async fn call(&self, key: Option<&str>, method: &str, target: &str, body: Value)
    -> ApiResponse;

    /// `method path` as `who`, without a body, with an `Idempotency-Key`.
    async fn call_keyed(&self, who: &str, method: &str, path: &str, key: &str) -> ApiResponse;

    /// [`call`](Self::call) as `who` that must answer 200: its body.
    async fn ok(&self, who: &str, method: &str, target: &str, body: Value) -> Value {
        self.answers(200, who, method, target, body).await
    }

    /// [`call`](Self::call) as `who` that must answer `status` (the failure names the request
    /// and shows the body): its body.
    async fn answers(
        &self,
        status: u16,
        who: &str,
        method: &str,
        target: &str,
        body: Value,
    ) -> Value {
        let r = self
            .call(Some(&format!("key-{who}")), method, target, body)
            .await;
        assert_eq!(r.status, status, "{method} {target} as {who}: {}", r.body);
        r.body
    }
}

#[async_trait::async_trait]
impl CallApi for AgentApi {
    async fn call(
        &self,
        key: Option<&str>,
        method: &str,
        target: &str,
        body: Value,
    ) -> ApiResponse {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let auth = key.map(|k| format!("Bearer {k}"));
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        self.handle(&ApiRequest {
            method,
            path,
            query: Some(query),
            authorization: auth.as_deref(),
            idempotency_key: None,
            claims: None,
            body: &body,
        })
        .await
    }

    async fn call_keyed(&self, who: &str, method: &str, path: &str, key: &str) -> ApiResponse {
        let auth = format!("Bearer key-{who}");
        self.handle(&ApiRequest {
            method,
            path,
            authorization: Some(&auth),
            idempotency_key: Some(key),
            ..ApiRequest::default()
        })
        .await
    }
}
