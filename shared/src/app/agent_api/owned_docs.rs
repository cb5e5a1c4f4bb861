//! What saved views and personal canned responses share: documents an agent or a team owns,
//! created once per `Idempotency-Key`, edited and deleted only at the version the client read
//! (409 with the current version otherwise), like the configuration documents.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AgentApi;
use super::router::{ApiError, Call, ErrorExtra};
use crate::ports::store::{OwnedDoc, OwnedKind, OwnedWrite};

/// The most documents of one kind one owner keeps (a sidebar, a shortcut list).
pub(super) const MAX_PER_OWNER: usize = 50;

/// An owned document read back: the stored record and its body.
pub(super) struct Owned<T> {
    pub doc: OwnedDoc,
    pub body: T,
}

fn conflict(id: &str, current: Option<u64>) -> ApiError {
    match current {
        Some(v) => {
            let mut e = ApiError::new(
                409,
                "version_conflict",
                format!("{id} was changed meanwhile (now version {v}): reload it"),
            );
            e.extra = Some(ErrorExtra::CurrentVersion(v));
            e
        }
        None => ApiError::not_found(format!("no {id}")),
    }
}

impl AgentApi {
    /// Every document of `kind` that `owner` owns, with its body.
    pub(super) async fn owned<T: DeserializeOwned>(
        &self,
        kind: OwnedKind,
        owner: &str,
    ) -> Result<Vec<Owned<T>>, ApiError> {
        let docs = self.desk.store().owned_docs(kind, owner).await?;
        docs.into_iter()
            .map(|doc| {
                let body = serde_json::from_str(&doc.body).map_err(|e| {
                    tracing::error!(kind = kind.as_str(), error = %e, "owned document unreadable");
                    ApiError::new(500, "internal", "a stored document is unreadable")
                })?;
                Ok(Owned { doc, body })
            })
            .collect()
    }

    /// Creates `body` for `owner` under `id` (see [`new_owned_id`]: a repeat of the request
    /// answers the document the first one made). `existing` is what the owner has (for the
    /// per-owner limit).
    pub(super) async fn create_owned<T: Serialize>(
        &self,
        call: &Call<'_, '_>,
        (kind, owner, id): (OwnedKind, &str, String),
        existing: usize,
        body: &T,
    ) -> Result<OwnedDoc, ApiError> {
        let doc = OwnedDoc {
            kind,
            owner: owner.to_owned(),
            id: id.clone(),
            version: 1,
            body: to_json(body)?,
            updated_at: self.clock.now(),
            updated_by: call.caller.agent.clone(),
        };
        if let Some(first) = self.same_request(&doc).await? {
            return Ok(first);
        }
        if existing >= MAX_PER_OWNER {
            return Err(ApiError::new(
                409,
                "limit_reached",
                format!("at most {MAX_PER_OWNER} per owner; delete one first"),
            ));
        }
        match self.desk.store().put_owned_doc(&doc).await? {
            OwnedWrite::Written => Ok(doc),
            // Two deliveries of one request raced: the other one stored it.
            OwnedWrite::Conflict => self
                .same_request(&doc)
                .await?
                .ok_or_else(|| conflict(&id, None)),
        }
    }

    /// The document a repeat of the create `doc` made before, if it did.
    async fn same_request(&self, doc: &OwnedDoc) -> Result<Option<OwnedDoc>, ApiError> {
        Ok(self
            .desk
            .store()
            .owned_docs(doc.kind, &doc.owner)
            .await?
            .into_iter()
            .find(|d| d.id == doc.id && d.version == 1 && d.body == doc.body))
    }

    /// Replaces `current` (as read) with `body`, if the client read `version`.
    pub(super) async fn update_owned<T: Serialize>(
        &self,
        call: &Call<'_, '_>,
        current: &OwnedDoc,
        version: u64,
        body: &T,
    ) -> Result<OwnedDoc, ApiError> {
        if version != current.version {
            return Err(conflict(&current.id, Some(current.version)));
        }
        let doc = OwnedDoc {
            version: version + 1,
            body: to_json(body)?,
            updated_at: self.clock.now(),
            updated_by: call.caller.agent.clone(),
            ..current.clone()
        };
        match self.desk.store().put_owned_doc(&doc).await? {
            OwnedWrite::Written => Ok(doc),
            OwnedWrite::Conflict => Err(self.current_conflict(current).await),
        }
    }

    /// Deletes `current` (as read), if the client read `version`.
    pub(super) async fn delete_owned(
        &self,
        current: &OwnedDoc,
        version: u64,
    ) -> Result<(), ApiError> {
        if version != current.version {
            return Err(conflict(&current.id, Some(current.version)));
        }
        let store = self.desk.store();
        match store
            .delete_owned_doc(current.kind, &current.owner, &current.id, version)
            .await?
        {
            OwnedWrite::Written => Ok(()),
            OwnedWrite::Conflict => Err(self.current_conflict(current).await),
        }
    }

    /// The 409 (or 404) for a write that lost to another one.
    async fn current_conflict(&self, doc: &OwnedDoc) -> ApiError {
        let now = self
            .desk
            .store()
            .owned_docs(doc.kind, &doc.owner)
            .await
            .ok()
            .and_then(|docs| docs.into_iter().find(|d| d.id == doc.id))
            .map(|d| d.version);
        conflict(&doc.id, now)
    }
}

/// The id of a new document: from the request's `Idempotency-Key` and body (the same request
/// again names the same document), else fresh.
pub(super) fn new_owned_id(call: &Call<'_, '_>, kind: OwnedKind) -> String {
    match call.idempotency_key() {
        Some(k) => format!("{}-{}", kind.as_str(), hex::encode(&k.request[..8])),
        None => format!(
            "{}-{}",
            kind.as_str(),
            ulid::Ulid::new().to_string().to_lowercase()
        ),
    }
}

fn to_json<T: Serialize>(body: &T) -> Result<String, ApiError> {
    serde_json::to_string(body)
        .map_err(|_| ApiError::new(500, "internal", "the document could not be written"))
}

/// The `version` a DELETE names in its query string (`?version=3`).
pub(super) fn version_param(call: &Call<'_, '_>) -> Result<u64, ApiError> {
    call.query.only(&["version"])?;
    call.query
        .get("version")
        .ok_or_else(|| ApiError::field("version", "is required: the version you read"))?
        .parse()
        .map_err(|_| ApiError::field("version", "must be a whole number"))
}
