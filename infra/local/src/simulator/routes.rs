//! The simulator's HTTP routes: the Graph API the helpdesk calls and the JSON the pages read.

use super::*;

/// A Graph API call with a token, for this simulator's business number.
fn our_number(
    sim: &Simulator,
    headers: &HeaderMap,
    phone_number_id: &str,
) -> Result<(), GraphError> {
    authorized(headers)?;
    if phone_number_id != sim.config.number.phone_number_id {
        return Err(GraphError::unknown_object(phone_number_id));
    }
    Ok(())
}

pub(super) fn authorized(headers: &HeaderMap) -> Result<(), GraphError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if graph::has_bearer_token(header) {
        Ok(())
    } else {
        Err(GraphError::missing_token())
    }
}

pub(super) async fn graph_messages(
    State(sim): State<Arc<Simulator>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    our_number(&sim, &headers, &phone_number_id)?;
    match graph::parse_request(&body)? {
        GraphRequest::MarkRead { message_id, typing } => {
            if sim.business_read(&message_id, typing) {
                Ok(Json(json!({ "success": true })).into_response())
            } else {
                Err(GraphError::unknown_object(&message_id))
            }
        }
        GraphRequest::Send { to, body } => {
            // A file is sent by the id its upload gave, as at Meta.
            if let OutboundBody::Media { id: Some(id), .. } = &body
                && stored_media(&sim, id).is_none()
            {
                return Err(GraphError::unknown_object(id));
            }
            let is_template = body.is_template();
            let wamid = sim.accept(&to, body);
            let mut message = json!({ "id": wamid });
            if is_template {
                message["message_status"] = json!("accepted");
            }
            Ok(Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": to.as_str(), "wa_id": to.as_str() }],
                "messages": [message],
            }))
            .into_response())
        }
    }
}

/// `POST /graph/{version}/{phone-number-id}/media`: keeps the file and answers its id.
pub(super) async fn graph_upload(
    State(sim): State<Arc<Simulator>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    our_number(&sim, &headers, &phone_number_id)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let upload = graph::parse_media_upload(content_type, &body)?;
    let now = sim.clock.now();
    let media_id = {
        let mut phones = sim.phones();
        let n = phones.next();
        let media_id = format!("{}{n:05}", 20_000_000_000 + now.as_second() % 1_000_000_000);
        let sha256: [u8; 32] = Sha256::digest(&upload.bytes).into();
        phones.media.insert(
            media_id.clone(),
            StoredMedia {
                bytes: Bytes::from(upload.bytes),
                mime_type: upload.mime_type,
                sha256,
                filename: upload.file_name,
            },
        );
        media_id
    };
    Ok(Json(json!({ "id": media_id })).into_response())
}

fn stored_media(sim: &Simulator, media_id: &str) -> Option<StoredMedia> {
    sim.phones().media.get(media_id).cloned()
}

pub(super) async fn graph_media(
    State(sim): State<Arc<Simulator>>,
    Path((_version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    authorized(&headers)?;
    let media =
        stored_media(&sim, &media_id).ok_or_else(|| GraphError::unknown_object(&media_id))?;
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/media/{media_id}/download", sim.config.graph_url.trim_end_matches('/')),
        "mime_type": media.mime_type,
        // The media endpoint gives the hash in hex.
        "sha256": hex::encode(media.sha256),
        "file_size": media.bytes.len(),
        "id": media_id,
    }))
    .into_response())
}

pub(super) async fn graph_download(
    State(sim): State<Arc<Simulator>>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    authorized(&headers)?;
    let media = stored_media(&sim, &media_id).ok_or_else(|| GraphError {
        status: StatusCode::NOT_FOUND,
        ..GraphError::unknown_object(&media_id)
    })?;
    Ok(file_response(media, false))
}

fn file_response(media: StoredMedia, inline: bool) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        media.filename.replace(['"', '\r', '\n'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, media.mime_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        media.bytes,
    )
        .into_response()
}

pub(super) fn input_error(field: &str, problem: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": "invalid_request",
            "message": format!("{field}: {problem}"),
            "fields": { field: problem },
        })),
    )
        .into_response()
}

pub(super) async fn customer_writes(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    let message = match inbound::parse(&body) {
        Ok(m) => m,
        Err(e) => return input_error(&e.field, &e.problem),
    };
    let referred = match &message.content {
        CustomerContent::Reaction { message_id, .. } => Some(("reaction.message_id", message_id)),
        _ => message.quote.as_ref().map(|q| ("quote", q)),
    };
    if let Some((field, wamid)) = referred {
        let known = sim
            .phones()
            .messages
            .iter()
            .any(|m| m.wamid == *wamid && m.wa_id == message.from.as_str());
        if !known {
            return input_error(field, "names no message of this chat");
        }
    }
    match sim.customer_writes(message).await {
        Ok(wamid) => {
            let status = sim
                .phones()
                .messages
                .iter()
                .find(|m| m.wamid == wamid)
                .map_or(Tick::Sent, |m| m.tick);
            Json(json!({ "wamid": wamid, "status": status })).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": "webhook_refused", "message": e.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ChatQuery {
    wa_id: Option<String>,
    /// Whether the customer looks at the chat (then delivered messages turn read). Default yes.
    seen: Option<bool>,
}

pub(super) async fn chat(
    State(sim): State<Arc<Simulator>>,
    query: Result<Query<ChatQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return input_error("seen", "must be true or false");
    };
    let Some(wa_id) = query.wa_id else {
        return input_error("wa_id", "is required");
    };
    let wa_id = match WaId::parse(wa_id.trim()) {
        Ok(w) => w,
        Err(e) => return input_error("wa_id", &e.to_string()),
    };
    if query.seen.unwrap_or(true) {
        sim.customer_reads(wa_id.as_str());
    }
    Json(sim.chat(wa_id.as_str())).into_response()
}

pub(super) async fn chats(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    Json(sim.chats())
}

pub(super) async fn page_media(
    State(sim): State<Arc<Simulator>>,
    Path(media_id): Path<String>,
) -> Response {
    match stored_media(&sim, &media_id) {
        Some(media) => file_response(media, true),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "message": format!("no media {media_id}") })),
        )
            .into_response(),
    }
}

pub(super) async fn sent_by_business(State(sim): State<Arc<Simulator>>) -> Json<Value> {
    Json(sim.sent_by_business())
}
