//! The WhatsApp Business Account's message templates on the Graph API (beside the Cloud API
//! client: same base URL, token and error classes): `GET /{version}/{waba-id}/message_templates`
//! page by page (cursor paging), and `POST` there to submit a new template for review. The
//! in-memory adapter behaves like Meta (paging, `PENDING` on create, a duplicate refused).

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use serde_json::{Value, json};
use tracing::warn;

use super::{CloudApi, WhatsAppError};
use crate::domain::templates::{ApprovedTemplate, NewTemplate, TemplateCatalog, placeholders};

/// Templates asked for per page (Meta's maximum is higher; 100 keeps each answer small).
pub const PAGE_SIZE: usize = 100;
/// Pages read at most in one sync (10 000 templates): a paging loop cannot run forever.
pub const MAX_PAGES: usize = 100;
/// The fields the list asks for.
const FIELDS: &str = "name,language,status,category,components,id,parameter_format";

/// What Meta answered to a new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTemplate {
    pub id: String,
    /// `PENDING` normally; `APPROVED` for some utility templates Meta approves at once.
    pub status: String,
}

/// The account's templates, as Meta has them.
#[async_trait]
pub trait MessageTemplates: Send + Sync {
    /// Every template of the account, all pages, in Meta's order.
    async fn list(&self) -> Result<Vec<ApprovedTemplate>, WhatsAppError>;

    /// Submits `template` for review.
    async fn create(&self, template: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError>;
}

/// One page of `GET .../message_templates`: the templates we can use (one that is not usable,
/// such as a body longer than our limit, is left out with a warning) and the cursor of the next
/// page (`paging.next` present: `paging.cursors.after`, else the `after` of the next url).
pub fn parse_page(page: &Value) -> Result<(Vec<ApprovedTemplate>, Option<String>), String> {
    let data = page["data"]
        .as_array()
        .ok_or("the answer has no `data` list")?;
    let mut templates = Vec::with_capacity(data.len());
    for (i, raw) in data.iter().enumerate() {
        match template_of(raw) {
            Ok(t) => templates.push(t),
            Err(problem) => {
                warn!(
                    index = i,
                    id = raw["id"].as_str().unwrap_or(""),
                    problem,
                    "a template from Meta is left out"
                )
            }
        }
    }
    let next = page["paging"]["next"].as_str().and_then(|next| {
        page["paging"]["cursors"]["after"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                let query = next.split_once('?')?.1;
                form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| k == "after")
                    .map(|(_, v)| v.into_owned())
            })
    });
    Ok((templates, next.filter(|c| !c.is_empty())))
}

/// One template of the list, mapped to the catalogue's shape and checked like a stored one.
pub fn template_of(raw: &Value) -> Result<ApprovedTemplate, String> {
    let text = |v: &Value, key: &str| v[key].as_str().map(str::to_owned);
    let name = text(raw, "name").ok_or("no name")?;
    let language = text(raw, "language").ok_or("no language")?;
    let mut t = ApprovedTemplate {
        name,
        language,
        category: text(raw, "category")
            .ok_or("no category")?
            .to_ascii_lowercase(),
        status: Some(text(raw, "status").ok_or("no status")?.to_ascii_uppercase()),
        id: raw["id"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| raw["id"].as_u64().map(|n| n.to_string())),
        named_params: raw["parameter_format"]
            .as_str()
            .is_some_and(|f| f.eq_ignore_ascii_case("named")),
        ..ApprovedTemplate::default()
    };
    for c in raw["components"].as_array().into_iter().flatten() {
        match c["type"]
            .as_str()
            .unwrap_or("")
            .to_ascii_uppercase()
            .as_str()
        {
            "HEADER" => {
                t.header = match c["format"].as_str().unwrap_or("TEXT") {
                    f if f.eq_ignore_ascii_case("text") => text(c, "text"),
                    other => Some(format!("[{}]", other.to_ascii_uppercase())),
                }
            }
            "BODY" => t.body = text(c, "text").unwrap_or_default(),
            "FOOTER" => t.footer = text(c, "text"),
            "BUTTONS" => {
                t.buttons = c["buttons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| text(b, "text"))
                    .collect()
            }
            _ => {}
        }
    }
    // Older answers have no `parameter_format`: a body with `{{first_name}}` is named.
    if !t.named_params {
        t.named_params = placeholders(&t.body)
            .iter()
            .any(|p| p.parse::<usize>().is_err());
    }
    TemplateCatalog::checked(vec![t.clone()]).map_err(|(field, problem)| {
        format!("{}: {problem}", field.trim_start_matches("templates[0]."))
    })?;
    Ok(t)
}

/// The request body of `POST .../message_templates` for `template`.
pub fn create_request(template: &NewTemplate) -> Value {
    let mut body = json!({ "type": "BODY", "text": template.body });
    if !template.examples.is_empty() {
        body["example"] = json!({ "body_text": [template.examples] });
    }
    json!({
        "name": template.name,
        "language": template.language,
        "category": template.meta_category(),
        "components": [body],
    })
}

/// The Graph API adapter: the Cloud API client with the account's id.
pub struct GraphTemplates {
    api: Arc<CloudApi>,
    account: String,
    page_size: usize,
}

impl GraphTemplates {
    /// `account`: the WhatsApp Business Account id (`WHATSAPP_BUSINESS_ACCOUNT_ID`, digits).
    pub fn new(api: Arc<CloudApi>, account: &str) -> Self {
        Self {
            api,
            account: account.to_owned(),
            page_size: PAGE_SIZE,
        }
    }

    /// Asks for pages of `n` templates (1-1000; tests make the paging visible with small ones).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, 1000);
        self
    }

    fn path(&self) -> String {
        format!("{}/message_templates", self.account)
    }
}

#[async_trait]
impl MessageTemplates for GraphTemplates {
    async fn list(&self) -> Result<Vec<ApprovedTemplate>, WhatsAppError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let limit = self.page_size.to_string();
            let mut query = vec![("fields", FIELDS), ("limit", limit.as_str())];
            if let Some(cursor) = &after {
                query.push(("after", cursor));
            }
            let page = self.api.graph_get(&self.path(), &query).await?;
            let (templates, next) =
                parse_page(&page).map_err(|problem| WhatsAppError::Transient {
                    status: 200,
                    code: 0,
                    message: format!("the template list is not usable: {problem}"),
                })?;
            all.extend(templates);
            match next {
                // A cursor that does not move would loop: Meta's paging is over.
                Some(cursor) if Some(&cursor) != after.as_ref() => after = Some(cursor),
                _ => return Ok(all),
            }
        }
        warn!(
            pages = MAX_PAGES,
            "template list cut off after the page limit"
        );
        Ok(all)
    }

    async fn create(&self, template: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError> {
        let answer = self
            .api
            .graph_post(&self.path(), &create_request(template))
            .await?;
        let id = answer["id"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| answer["id"].as_u64().map(|n| n.to_string()))
            .ok_or_else(|| WhatsAppError::Transient {
                status: 200,
                code: 0,
                message: "the answer to a new template has no id".into(),
            })?;
        Ok(CreatedTemplate {
            id,
            status: answer["status"].as_str().unwrap_or("PENDING").to_owned(),
        })
    }
}

/// Meta's templates in memory: paged like the Graph API, `PENDING` on create, fails on cue.
#[derive(Debug, Default)]
pub struct MemoryTemplates {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    templates: Vec<ApprovedTemplate>,
    next_id: u64,
    /// The next calls fail with these.
    faults: Vec<WhatsAppError>,
    lists: usize,
}

impl MemoryTemplates {
    /// An account with these templates (statuses as given, `APPROVED` when none).
    pub fn with(templates: &[ApprovedTemplate]) -> Self {
        let s = Self::default();
        {
            let mut state = s.state();
            state.next_id = 594_425_479_261_000;
            for t in templates {
                let mut t = t.clone();
                t.status = Some(t.status().to_owned());
                t.status_at = None;
                state.next_id += 1;
                t.id = Some(t.id.unwrap_or_else(|| state.next_id.to_string()));
                state.templates.push(t);
            }
        }
        s
    }

    /// The shipped catalogue, all approved.
    pub fn shipped() -> Self {
        Self::with(TemplateCatalog::default_catalog().all())
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next call fails with `error`.
    pub fn fail_next(&self, error: WhatsAppError) {
        self.state().faults.push(error);
    }

    /// Meta's review decides: sets the status; gives the template's id.
    pub fn set_status(&self, name: &str, language: &str, status: &str) -> Option<String> {
        let mut state = self.state();
        let t = state
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)?;
        t.status = Some(status.to_owned());
        t.id.clone()
    }

    /// How many times the list was read.
    pub fn lists(&self) -> usize {
        self.state().lists
    }

    fn fault(&self) -> Result<(), WhatsAppError> {
        let mut state = self.state();
        if state.faults.is_empty() {
            Ok(())
        } else {
            Err(state.faults.remove(0))
        }
    }
}

#[async_trait]
impl MessageTemplates for MemoryTemplates {
    async fn list(&self) -> Result<Vec<ApprovedTemplate>, WhatsAppError> {
        self.fault()?;
        let mut state = self.state();
        state.lists += 1;
        Ok(state.templates.clone())
    }

    async fn create(&self, template: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError> {
        self.fault()?;
        let mut state = self.state();
        if state
            .templates
            .iter()
            .any(|t| t.name == template.name && t.language == template.language)
        {
            return Err(WhatsAppError::classify(
                400,
                100,
                format!(
                    "Message template \"{}\" already exists in {}",
                    template.name, template.language
                ),
            ));
        }
        state.next_id += 1;
        let id = state.next_id.to_string();
        let mut t = template.pending(&id, "PENDING", jiff::Timestamp::UNIX_EPOCH);
        t.status_at = None;
        state.templates.push(t);
        Ok(CreatedTemplate {
            id,
            status: "PENDING".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_maps_every_component_and_gives_the_next_cursor() {
        let page = json!({
            "data": [
                {"name": "order_ready", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
                 "id": "594425479261596", "parameter_format": "POSITIONAL",
                 "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "Your order"},
                    {"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready.", "example": {"body_text": [["Anna", "100234"]]}},
                    {"type": "FOOTER", "text": "Reply STOP to opt out"},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}, {"type": "URL", "text": "Track", "url": "https://x/{{1}}"}]}
                 ]},
                {"name": "welcome", "language": "de", "status": "REJECTED", "category": "MARKETING", "id": "2",
                 "parameter_format": "NAMED",
                 "components": [
                    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}},
                    {"type": "BODY", "text": "Hallo {{first_name}}"}
                 ]},
                {"name": "Broken Name", "language": "de", "status": "APPROVED", "category": "UTILITY", "id": "3",
                 "components": [{"type": "BODY", "text": "x"}]}
            ],
            "paging": {"cursors": {"before": "QVFI1", "after": "QVFI2"}, "next": "https://graph.facebook.com/v23.0/1/message_templates?after=QVFI2"}
        });
        let (templates, next) = parse_page(&page).unwrap();
        assert_eq!(next.as_deref(), Some("QVFI2"));
        assert_eq!(templates.len(), 2, "the unusable one is left out");
        let ready = &templates[0];
        assert_eq!(ready.status(), "APPROVED");
        assert_eq!(ready.category, "utility");
        assert_eq!(ready.id.as_deref(), Some("594425479261596"));
        assert_eq!(ready.header.as_deref(), Some("Your order"));
        assert_eq!(ready.footer.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(ready.buttons, ["Thanks", "Track"]);
        assert_eq!(ready.params(), 2);
        let welcome = &templates[1];
        assert_eq!(
            (welcome.status(), welcome.is_approved()),
            ("REJECTED", false)
        );
        assert!(welcome.named_params);
        assert_eq!(welcome.param_names(), ["first_name"]);
        assert_eq!(welcome.header.as_deref(), Some("[IMAGE]"));
    }

    #[test]
    fn the_last_page_has_no_next_and_a_cursor_can_come_from_the_next_url() {
        let last = json!({"data": [], "paging": {"cursors": {"before": "A", "after": "B"}}});
        assert_eq!(parse_page(&last).unwrap().1, None);
        let only_url = json!({"data": [], "paging": {"next": "https://graph.facebook.com/v23.0/1/message_templates?limit=100&after=Q%3D%3D"}});
        assert_eq!(parse_page(&only_url).unwrap().1.as_deref(), Some("Q=="));
        assert!(parse_page(&json!({"error": {"code": 190}})).is_err());
    }

    #[test]
    fn a_new_template_is_sent_with_its_examples() {
        let t = NewTemplate {
            name: "order_update".into(),
            language: "en".into(),
            category: "utility".into(),
            body: "Hi {{1}}, order {{2}}".into(),
            examples: vec!["Anna".into(), "100234".into()],
        };
        let body = create_request(&t);
        assert_eq!(body["category"], "UTILITY");
        assert_eq!(body["components"][0]["type"], "BODY");
        assert_eq!(
            body["components"][0]["example"]["body_text"][0][1],
            "100234"
        );
    }

    #[tokio::test]
    async fn the_memory_account_behaves_like_meta() {
        let meta = MemoryTemplates::shipped();
        let t = NewTemplate {
            name: "order_update".into(),
            language: "en".into(),
            category: "UTILITY".into(),
            body: "Hi".into(),
            examples: vec![],
        };
        let created = meta.create(&t).await.unwrap();
        assert_eq!(created.status, "PENDING");
        let again = meta.create(&t).await.unwrap_err();
        assert!(matches!(again, WhatsAppError::Rejected { .. }), "{again}");
        meta.fail_next(WhatsAppError::Transient {
            status: 503,
            code: 0,
            message: "down".into(),
        });
        assert!(meta.list().await.is_err());
        let listed = meta.list().await.unwrap();
        let mine = listed.iter().find(|t| t.name == "order_update").unwrap();
        assert_eq!(mine.status(), "PENDING");
        assert_eq!(mine.id.as_deref(), Some(created.id.as_str()));
    }
}
