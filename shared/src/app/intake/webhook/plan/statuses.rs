//! Delivery statuses of the messages we sent.

use super::{IntakePlan, PayloadError, StatusUpdate, id_error, unix_seconds};
use crate::app::intake::webhook::payload::WireStatus;
use crate::domain::ids::Wamid;
use crate::domain::whatsapp::DeliveryState;

/// A delivery status of a message we sent; states we do not track are counted.
pub(super) fn add_status<'a>(
    plan: &mut IntakePlan<'a>,
    status: WireStatus<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), PayloadError> {
    plan.summary.statuses += 1;
    match status_update(status, at)? {
        Some(update) => plan.statuses.push(update),
        None => plan.summary.ignored_statuses += 1,
    }
    Ok(())
}

fn status_update<'a>(
    wire: WireStatus<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<StatusUpdate<'a>>, PayloadError> {
    let wamid = Wamid::parse(wire.id.as_str()).map_err(|e| id_error(at("id"), e))?;
    let when = unix_seconds(wire.timestamp.as_str(), || at("timestamp"))?;
    let Some(state) = DeliveryState::parse(wire.status.as_str()) else {
        return Ok(None);
    };
    Ok(Some(StatusUpdate {
        wamid,
        state,
        at: when,
        errors: wire.errors,
        pricing_category: wire.pricing.and_then(|p| p.category),
        conversation_id: wire.conversation.and_then(|c| c.id),
    }))
}
