//! Customer messages into conversations: one per customer and our number, in the customer's
//! order, each with the profile name `contacts` gives.

use std::borrow::Cow;

use super::content::content;
use super::{
    ConversationPlan, InboundMessage, IntakePlan, PayloadError, Staged, id_error, required,
    unix_seconds,
};
use crate::app::intake::webhook::payload::{Contact, Str, WireMessage};
use crate::domain::ids::{ConversationKey, PhoneNumberId, WaId, Wamid};

/// One customer message to our number `phone_number_id`; `at` names a field for errors.
pub(super) fn add_message<'a>(
    plan: &mut IntakePlan<'a>,
    staged: &mut Staged<'a>,
    phone_number_id: &PhoneNumberId,
    wire: &WireMessage<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), PayloadError> {
    let from = required(&wire.from, || at("from"))?;
    let wa_id = WaId::parse(from).map_err(|e| id_error(at("from"), e))?;
    let message = inbound(wire, at)?;
    plan.summary.messages += 1;
    // Appended in arrival order; `finish` regroups only if that order is not the plan's.
    if let Some(c) = plan
        .conversations
        .last_mut()
        .filter(|c| c.key.phone_number_id == *phone_number_id && c.key.wa_id == wa_id)
    {
        if let Some(last) = c.messages.last() {
            staged.disordered |= last.wamid == message.wamid
                || (&last.sent_at, &last.wamid) > (&message.sent_at, &message.wamid);
        }
        c.messages.push(message);
        return Ok(());
    }
    let key = ConversationKey {
        phone_number_id: phone_number_id.clone(),
        wa_id,
    };
    if let Some(c) = plan.conversations.last() {
        staged.disordered |= c.key > key;
    }
    plan.conversations.push(ConversationPlan {
        key,
        profile_name: None,
        messages: vec![message],
    });
    Ok(())
}

fn inbound<'a>(
    wire: &WireMessage<'a>,
    at: &dyn Fn(&str) -> String,
) -> Result<InboundMessage<'a>, PayloadError> {
    let wamid =
        Wamid::parse(required(&wire.id, || at("id"))?).map_err(|e| id_error(at("id"), e))?;
    let sent_at = unix_seconds(required(&wire.timestamp, || at("timestamp"))?, || {
        at("timestamp")
    })?;
    // A context we cannot read is dropped rather than failing the message.
    let context = wire.context.and_then(|raw| serde_json::from_str(raw).ok());
    Ok(InboundMessage {
        wamid,
        sent_at,
        context,
        content: content(wire),
    })
}

/// A profile name from `contacts` (keyed by wa_id); a contact without a usable one is skipped.
pub(super) fn add_contact<'a>(
    staged: &mut Staged<'a>,
    phone_number_id: &PhoneNumberId,
    contact: Contact<'a>,
) {
    let Some(name) = contact.profile.and_then(|p| p.name) else {
        return;
    };
    if WaId::is_valid(contact.wa_id.as_str()) && !name.as_str().trim().is_empty() {
        staged
            .names
            .push(((phone_number_id.clone(), contact.wa_id), name.0));
    }
}

/// Regroups conversations built in arrival order: one per key in key order, each ordered by
/// the customer's send time, with a wamid repeated in the body kept once. (Bodies usually come
/// in this order already, and then nothing is moved.)
pub(super) fn regroup(plan: &mut IntakePlan<'_>) {
    let mut messages: Vec<(ConversationKey, InboundMessage<'_>)> =
        Vec::with_capacity(plan.summary.messages);
    for c in plan.conversations.drain(..) {
        let key = c.key;
        messages.extend(c.messages.into_iter().map(|m| (key.clone(), m)));
    }
    messages.sort_by(|(ka, a), (kb, b)| (ka, a.sent_at, &a.wamid).cmp(&(kb, b.sent_at, &b.wamid)));
    for (key, message) in messages {
        match plan.conversations.last_mut() {
            Some(c) if c.key == key => {
                // Sorting put a repeated wamid next to its twin (same send time).
                if c.messages
                    .last()
                    .is_some_and(|last| last.wamid == message.wamid)
                {
                    plan.summary.repeated_in_body += 1;
                } else {
                    c.messages.push(message);
                }
            }
            _ => plan.conversations.push(ConversationPlan {
                key,
                profile_name: None,
                messages: vec![message],
            }),
        }
    }
}

/// Gives each conversation its customer's profile name from `contacts`.
pub(super) fn attach_names<'a>(
    plan: &mut IntakePlan<'a>,
    mut names: Vec<((PhoneNumberId, Str<'a>), Cow<'a, str>)>,
) {
    // The same order as `ConversationKey`'s: our number, then the wa_id.
    fn name_key<'n>(
        ((phone, wa_id), _): &'n ((PhoneNumberId, Str<'_>), Cow<'_, str>),
    ) -> (&'n str, &'n str) {
        (phone.as_str(), wa_id.as_str())
    }
    if !names.is_sorted_by(|a, b| name_key(a) <= name_key(b)) {
        names.sort_by(|a, b| name_key(a).cmp(&name_key(b)));
    }
    // Both lists are ordered by key: one merge walk; with a name given twice, the last wins.
    let mut names = names.into_iter().peekable();
    for c in &mut plan.conversations {
        let wanted = (c.key.phone_number_id.as_str(), c.key.wa_id.as_str());
        while let Some(named) = names.peek() {
            match name_key(named).cmp(&wanted) {
                std::cmp::Ordering::Less => {
                    names.next();
                }
                std::cmp::Ordering::Equal => {
                    c.profile_name = names.next().map(|(_, name)| name);
                }
                std::cmp::Ordering::Greater => break,
            }
        }
    }
}
