//! What every AWS adapter needs to say about a failed SDK call: the service's error code (if
//! the service answered) and a readable account of what went wrong. Each adapter maps the code
//! to its own error class (throttled, unavailable, rejected).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A failed SDK call, reduced to what error classification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SdkFailure {
    /// The service's error code; `None` for timeouts, connection failures and unreadable answers.
    pub code: Option<String>,
    /// `"<Operation>: <error with its causes>"`.
    pub detail: String,
}

pub(crate) fn sdk_failure<E, R>(operation: &str, err: SdkError<E, R>) -> SdkFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = match &err {
        SdkError::ServiceError(se) => se.err().code().map(str::to_owned),
        _ => None,
    };
    SdkFailure {
        code,
        detail: format!("{operation}: {}", DisplayErrorContext(&err)),
    }
}
