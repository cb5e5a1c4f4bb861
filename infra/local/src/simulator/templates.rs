//! The WhatsApp Business Account's message templates, as Meta keeps them: listed page by page
//! with cursors (`GET /graph/{version}/{waba-id}/message_templates?limit=&after=`), created in
//! review (`POST` there: `PENDING`, a name already used in that language refused), and decided
//! from `/dev/templates/{id}/status`, which fires the `message_template_status_update` webhook
//! into the helpdesk, signed like every other.
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/graph/{version}/{waba-id}/message_templates` | Meta's list (cursor paging) |
//! | POST | `/graph/{version}/{waba-id}/message_templates` | a new template, `PENDING` |
//! | GET | `/dev/templates` | the account's templates with their status |
//! | POST | `/dev/templates/{id}/status` `{event, reason?}` | Meta's review decides; the webhook follows |

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use bytes::Bytes;
use helpdesk::app::intake::webhook::sample::{SampleTemplateStatus, template_status_notification};
use helpdesk::domain::templates::{ApprovedTemplate, NewTemplate, TemplateCatalog};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{GraphError, Simulator, authorized, input_error};

/// Meta's default page size, and its largest.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;

/// The account's templates.
#[derive(Debug, Default)]
pub struct Account {
    templates: Vec<ApprovedTemplate>,
    next_id: u64,
}

impl Account {
    /// Every template of `catalog`, approved (what the helpdesk starts with is what Meta has).
    pub fn seeded(catalog: Option<&TemplateCatalog>) -> Self {
        let mut account = Self {
            templates: Vec::new(),
            next_id: 1_100_000_000_000_000,
        };
        for t in catalog.map(TemplateCatalog::all).unwrap_or_default() {
            let id = account.new_id();
            account.templates.push(ApprovedTemplate {
                status: Some(t.status().to_owned()),
                id: Some(id),
                status_at: None,
                ..t.clone()
            });
        }
        account
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub fn find(&self, name: &str, language: &str) -> Option<&ApprovedTemplate> {
        self.templates
            .iter()
            .find(|t| t.name == name && t.language == language)
    }

    /// One page in Meta's shape: `after` is the cursor of the previous page.
    pub fn page(
        &self,
        graph_url: &str,
        path: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Value, GraphError> {
        let start = match after {
            None => 0,
            Some(cursor) => decode_cursor(cursor).ok_or_else(|| {
                GraphError::invalid_parameter("Invalid parameter: after is not a valid cursor")
            })?,
        };
        let end = (start + limit).min(self.templates.len());
        let data: Vec<Value> = self.templates[start.min(end)..end]
            .iter()
            .map(graph_view)
            .collect();
        let mut paging = json!({
            "cursors": { "before": encode_cursor(start), "after": encode_cursor(end) },
        });
        if end < self.templates.len() {
            paging["next"] = json!(format!(
                "{}/{path}?limit={limit}&after={}",
                graph_url.trim_end_matches('/'),
                encode_cursor(end)
            ));
        }
        Ok(json!({ "data": data, "paging": paging }))
    }

    /// A new template, as Meta checks it: `PENDING`.
    pub fn create(&mut self, body: &[u8]) -> Result<Value, GraphError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| GraphError::invalid_parameter(format!("Invalid JSON body: {e}")))?;
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let components = v["components"].as_array().cloned().unwrap_or_default();
        let body_component = components
            .iter()
            .find(|c| {
                c["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("body"))
            })
            .ok_or_else(|| {
                GraphError::invalid_parameter("Invalid parameter: a BODY component is required")
            })?;
        let examples: Vec<String> = body_component["example"]["body_text"][0]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_owned))
            .collect();
        let new = NewTemplate {
            name: text("name"),
            language: text("language"),
            category: text("category"),
            body: body_component["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            examples,
        };
        new.validate().map_err(|(field, problem)| {
            GraphError::invalid_parameter(format!("Invalid parameter: {field}: {problem}"))
        })?;
        if new.category != new.meta_category() {
            return Err(GraphError::invalid_parameter(
                "Invalid parameter: category must be UTILITY, MARKETING or AUTHENTICATION",
            ));
        }
        if self.find(&new.name, &new.language).is_some() {
            return Err(GraphError {
                status: StatusCode::BAD_REQUEST,
                code: 100,
                message: format!(
                    "(#100) Message template \"{}\" already exists in language {}",
                    new.name, new.language
                ),
                details: None,
            });
        }
        let id = self.new_id();
        let mut t = new.pending(&id, "PENDING", jiff::Timestamp::UNIX_EPOCH);
        t.status_at = None;
        self.templates.push(t);
        Ok(json!({ "id": id, "status": "PENDING", "category": new.meta_category() }))
    }

    /// Meta's review: the template's new status; its name and language for the webhook.
    fn decide(&mut self, id: &str, status: &str) -> Option<(String, String)> {
        let t = self
            .templates
            .iter_mut()
            .find(|t| t.id.as_deref() == Some(id))?;
        t.status = Some(status.to_owned());
        Some((t.name.clone(), t.language.clone()))
    }
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// A template as the Graph API lists it.
fn graph_view(t: &ApprovedTemplate) -> Value {
    let mut components = Vec::new();
    if let Some(h) = &t.header {
        components.push(json!({ "type": "HEADER", "format": "TEXT", "text": h }));
    }
    components.push(json!({ "type": "BODY", "text": t.body }));
    if let Some(f) = &t.footer {
        components.push(json!({ "type": "FOOTER", "text": f }));
    }
    if !t.buttons.is_empty() {
        let buttons: Vec<Value> = t
            .buttons
            .iter()
            .map(|b| json!({ "type": "QUICK_REPLY", "text": b }))
            .collect();
        components.push(json!({ "type": "BUTTONS", "buttons": buttons }));
    }
    json!({
        "name": t.name,
        "parameter_format": if t.named_params { "NAMED" } else { "POSITIONAL" },
        "components": components,
        "language": t.language,
        "status": t.status(),
        "category": t.category.to_ascii_uppercase(),
        "id": t.id,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    limit: Option<String>,
    after: Option<String>,
    #[allow(dead_code)]
    fields: Option<String>,
}

fn own_account(sim: &Simulator, account: &str) -> Result<(), GraphError> {
    if account == sim.config.business_account_id {
        Ok(())
    } else {
        Err(GraphError::unknown_object(account))
    }
}

pub(super) async fn graph_list(
    State(sim): State<Arc<Simulator>>,
    Path((version, account)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, GraphError> {
    authorized(&headers)?;
    own_account(&sim, &account)?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| GraphError::invalid_parameter("Invalid parameter: limit"))?,
    };
    let path = format!("{version}/{account}/message_templates");
    let page = sim
        .account()
        .page(&sim.config.graph_url, &path, limit, query.after.as_deref())?;
    Ok(Json(page).into_response())
}

pub(super) async fn graph_create(
    State(sim): State<Arc<Simulator>>,
    Path((_version, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    authorized(&headers)?;
    own_account(&sim, &account)?;
    let created = sim.account().create(&body)?;
    Ok(Json(created).into_response())
}

pub(super) async fn dev_list(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    let account = sim.account();
    Json(json!({ "templates": account.templates.iter().map(graph_view).collect::<Vec<_>>() }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Decision {
    event: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Meta's review decides on template `id`: its status changes here and the webhook tells the
/// helpdesk (502 when the helpdesk does not take it; the status here has changed anyway, as at
/// Meta, which retries).
pub(super) async fn dev_decide(
    State(sim): State<Arc<Simulator>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let decision: Decision = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => return input_error("body", &e.to_string()),
    };
    let event = decision.event.trim().to_ascii_uppercase();
    const EVENTS: [&str; 8] = [
        "APPROVED",
        "REJECTED",
        "PAUSED",
        "DISABLED",
        "PENDING",
        "FLAGGED",
        "REINSTATED",
        "PENDING_DELETION",
    ];
    if !EVENTS.contains(&event.as_str()) {
        return input_error("event", &format!("one of {}", EVENTS.join(", ")));
    }
    let status = if event == "REINSTATED" {
        "APPROVED"
    } else {
        event.as_str()
    };
    let Some((name, language)) = sim.account().decide(&id, status) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "message": format!("no template {id}") })),
        )
            .into_response();
    };
    let reason = decision.reason.unwrap_or_else(|| "NONE".to_owned());
    let notification = template_status_notification(&SampleTemplateStatus {
        account: &sim.config.business_account_id,
        time: sim.clock.now().as_second(),
        template_id: id.parse().unwrap_or_default(),
        name: &name,
        language: &language,
        event: &event,
        reason: &reason,
    });
    match sim.post_webhook(notification).await {
        Ok(()) => Json(json!({ "id": id, "name": name, "language": language, "status": status, "webhook": "delivered" }))
            .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": "webhook_refused", "message": e.to_string() })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_paged_with_cursors_until_the_last_page() {
        let account = Account::seeded(Some(&TemplateCatalog::default_catalog()));
        let total = TemplateCatalog::default_catalog().all().len();
        let mut seen = 0;
        let mut after: Option<String> = None;
        loop {
            let page = account
                .page(
                    "http://x/graph",
                    "v23.0/1/message_templates",
                    4,
                    after.as_deref(),
                )
                .unwrap();
            seen += page["data"].as_array().unwrap().len();
            match page["paging"]["next"].as_str() {
                Some(_) => {
                    after = page["paging"]["cursors"]["after"]
                        .as_str()
                        .map(str::to_owned)
                }
                None => break,
            }
        }
        assert_eq!(seen, total);
        assert!(account.page("http://x", "p", 4, Some("garbage!")).is_err());
    }

    #[test]
    fn a_new_template_is_pending_and_a_second_one_with_its_name_is_refused() {
        let mut account = Account::seeded(None);
        let mut template = json!({
            "name": "order_update", "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Anna"]]}}],
        });
        let body = template.to_string();
        let created = account.create(body.as_bytes()).unwrap();
        assert_eq!(created["status"], "PENDING");
        assert!(account.create(body.as_bytes()).is_err());
        // Edited as a value: the text's key order depends on serde_json's features.
        template["components"][0]
            .as_object_mut()
            .unwrap()
            .remove("example");
        let no_example = template.to_string();
        assert!(Account::seeded(None).create(no_example.as_bytes()).is_err());
    }
}
