//! Why an agent's action was refused or failed, as the API reports it.

use crate::app::outbox::HandlerError;
use crate::domain::ids::TicketId;
use crate::ports::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("ticket {0} does not exist")]
    NotFound(TicketId),
    #[error("ticket {ticket} is at version {current}, not {expected}: reload it")]
    Conflict {
        ticket: TicketId,
        expected: u64,
        current: u64,
    },
    /// The request cannot be carried out as asked; `field` names the input at fault, if one is.
    #[error("{}{problem}", FieldPrefix(*.field))]
    Invalid {
        field: Option<&'static str>,
        problem: String,
    },
    /// The agent cannot take the ticket now (offline, at capacity).
    #[error("{0}")]
    Unavailable(String),
    #[error("the customer's last message is more than 24 hours old: only a template may be sent")]
    OutsideServiceWindow,
    #[error("the customer has not opted in to business-initiated messages (templates)")]
    NoConsent,
    /// The attachment named is not an upload of this ticket, or was never uploaded.
    #[error("no uploaded file {0} for this ticket: upload it first")]
    NoAttachment(String),
    /// The uploaded file cannot be sent on WhatsApp (type or size), or is not what it claimed.
    #[error("{0}")]
    AttachmentRefused(String),
    /// The media store could not be read; trying again may help.
    #[error("the media store is unavailable: {0}")]
    MediaUnavailable(String),
    /// The client's idempotency key came with another request before (another action, body or
    /// caller): acting would do something else than the client was told was done.
    #[error(
        "Idempotency-Key {0} was used for another request on this ticket (another action, body or caller); send a new key with a new request"
    )]
    KeyReused(String),
    #[error(transparent)]
    Failed(#[from] HandlerError),
}

/// `field: ` before a problem that names its field, nothing otherwise.
struct FieldPrefix(Option<&'static str>);

impl std::fmt::Display for FieldPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(field) => write!(f, "{field}: "),
            None => Ok(()),
        }
    }
}

impl AgentError {
    /// `field` of the request is wrong: `problem` says how.
    pub(super) fn field(field: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            problem: problem.into(),
        }
    }

    /// The request does not fit the ticket's state (no single field is at fault).
    pub(super) fn invalid(problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: None,
            problem: problem.into(),
        }
    }
}

impl From<StoreError> for AgentError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}
