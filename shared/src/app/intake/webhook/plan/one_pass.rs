//! The fast path of [`super::plan`]: one pass over the body with a strict JSON [`Reader`] of
//! our own, planning each message, contact and status as it is read, instead of first
//! collecting entries, changes and their lists (no vectors of them, no moves of large values up
//! through them). Meta writes a change's `value` before its `field`: a value is planned as a
//! messages value while it is read, and what it added is taken back if the field turns out to
//! be another one. A value after its field is only read when the field is `messages`.
//!
//! It reads the keys the exact path's serde types read, with the same meaning; statuses and
//! `errors[]` (rarer, more fields) are sliced out and read with those serde types. Anything this
//! pass does not like, from malformed JSON to an invalid id, a repeated key, a number where the
//! serde types would take a string, or a value of another field that does not read as a
//! messages value, gives `None`: `plan` then takes the exact path, which reads change by change
//! and names the problem. Valid bodies give the same plan on both paths (tested in
//! `super::tests` and by the fuzzer).

use std::borrow::Cow;

use super::reader::{GiveUp, Read, Reader};
use super::{
    IntakePlan, OBJECT, PlanSummary, Staged, add_contact, add_errors, add_message, add_status,
    finish,
};
use crate::app::intake::webhook::payload::{
    ApiError, Contact, Metadata, Profile, Str, WireMessage, WireStatus,
};
use crate::domain::ids::PhoneNumberId;

/// Plans `body` in one pass, or `None` if the exact path has to look at it.
pub(super) fn plan(body: &str) -> Option<IntakePlan<'_>> {
    let mut pass = Pass::default();
    let mut reader = Reader::new(body);
    pass.notification(&mut reader).ok()?;
    reader.end().ok()?;
    Some(finish(pass.plan, pass.staged))
}

#[derive(Default)]
struct Pass<'a> {
    plan: IntakePlan<'a>,
    staged: Staged<'a>,
}

/// How far the plan had got before a change value: what to go back to if it is not `messages`.
struct Mark {
    summary: PlanSummary,
    statuses: usize,
    webhook_errors: usize,
    conversations: usize,
    /// Messages of the last conversation (later ones may have been appended to it).
    last_messages: usize,
    names: usize,
    disordered: bool,
}

impl Pass<'_> {
    fn mark(&self) -> Mark {
        Mark {
            summary: self.plan.summary,
            statuses: self.plan.statuses.len(),
            webhook_errors: self.plan.webhook_errors.len(),
            conversations: self.plan.conversations.len(),
            last_messages: self
                .plan
                .conversations
                .last()
                .map_or(0, |c| c.messages.len()),
            names: self.staged.names.len(),
            disordered: self.staged.disordered,
        }
    }

    fn back_to(&mut self, mark: Mark) {
        self.plan.summary = mark.summary;
        self.plan.statuses.truncate(mark.statuses);
        self.plan.webhook_errors.truncate(mark.webhook_errors);
        self.plan.conversations.truncate(mark.conversations);
        if let Some(last) = self.plan.conversations.last_mut() {
            last.messages.truncate(mark.last_messages);
        }
        self.staged.names.truncate(mark.names);
        self.staged.disordered = mark.disordered;
    }
}

/// Errors are not written out here: the exact path names them.
fn no_path(_: &str) -> String {
    String::new()
}

/// Marks a key as read; a repeated key gives up (serde's derived readers refuse it too).
fn once(seen: &mut bool) -> Read<()> {
    if std::mem::replace(seen, true) {
        Err(GiveUp)
    } else {
        Ok(())
    }
}

fn str<'a>(r: &mut Reader<'a>) -> Read<Str<'a>> {
    r.str().map(Str)
}

fn opt_str<'a>(r: &mut Reader<'a>) -> Read<Option<Str<'a>>> {
    r.opt_str().map(|s| s.map(Str))
}

/// A slice of the body read with the exact path's serde type.
fn serde<'a, T: serde::Deserialize<'a>>(r: &mut Reader<'a>) -> Read<T> {
    serde_json::from_str(r.raw()?).map_err(|_| GiveUp)
}

impl<'a> Pass<'a> {
    /// `{"object": ..., "entry": [...]}`
    fn notification(&mut self, r: &mut Reader<'a>) -> Read<()> {
        let (mut object, mut entry) = (false, false);
        r.object(|r, key| match key {
            "object" => {
                once(&mut object)?;
                if r.str()? == OBJECT {
                    Ok(())
                } else {
                    Err(GiveUp)
                }
            }
            "entry" => {
                once(&mut entry)?;
                let mut entries = 0;
                r.array(|r| {
                    entries += 1;
                    self.entry(r)
                })?;
                self.plan.summary.entries = entries;
                Ok(())
            }
            _ => r.skip(),
        })?;
        if object { Ok(()) } else { Err(GiveUp) }
    }

    /// `{"id": ..., "changes": [...]}`
    fn entry(&mut self, r: &mut Reader<'a>) -> Read<()> {
        let (mut id, mut changes) = (false, false);
        r.object(|r, key| match key {
            "id" => {
                once(&mut id)?;
                r.str().map(drop)
            }
            "changes" => {
                once(&mut changes)?;
                r.array(|r| self.change(r))
            }
            _ => r.skip(),
        })
    }

    /// `{"value": {...}, "field": "messages"}`, planned at its closing brace.
    fn change(&mut self, r: &mut Reader<'a>) -> Read<()> {
        let mark = self.mark();
        let mut field: Option<Cow<'a, str>> = None;
        let (mut seen_field, mut value) = (false, false);
        // Whether the value named our number (a messages value must).
        let mut metadata = false;
        r.object(|r, key| match key {
            "field" => {
                once(&mut seen_field)?;
                field = Some(r.str()?);
                Ok(())
            }
            "value" => {
                once(&mut value)?;
                match &field {
                    Some(f) if f != "messages" => r.skip(),
                    _ => {
                        metadata = self.value(r)?;
                        Ok(())
                    }
                }
            }
            _ => r.skip(),
        })?;
        let field = field.ok_or(GiveUp)?;
        // A template status update is rare and read by the exact path.
        if field == super::template_status::FIELD {
            return Err(GiveUp);
        }
        if field != "messages" {
            self.back_to(mark);
            self.plan.summary.ignored_changes += 1;
        } else if !value || !metadata {
            return Err(GiveUp);
        }
        self.plan.summary.changes += 1;
        Ok(())
    }

    /// A change value, planned as a messages value while it is read. Contacts and messages
    /// need our number from `metadata`: Meta writes that first, so they are planned one by one
    /// as they are read; lists that come before it are read whole and planned when it arrives.
    /// Gives whether there was `metadata`.
    fn value(&mut self, r: &mut Reader<'a>) -> Read<bool> {
        let mut phone: Option<PhoneNumberId> = None;
        // Lists read before `metadata`, planned once it is known.
        let mut early_contacts: Vec<Contact<'a>> = Vec::new();
        let mut early_messages: Vec<WireMessage<'a>> = Vec::new();
        // Keys read so far: messaging_product, metadata, contacts, messages, statuses, errors.
        let mut seen = [false; 6];
        r.object(|r, key| match key {
            "messaging_product" => {
                once(&mut seen[0])?;
                r.opt_str().map(drop)
            }
            "metadata" => {
                once(&mut seen[1])?;
                let metadata = metadata(r)?;
                let known =
                    PhoneNumberId::parse(metadata.phone_number_id.as_str()).map_err(|_| GiveUp)?;
                for contact in early_contacts.drain(..) {
                    add_contact(&mut self.staged, &known, contact);
                }
                for wire in early_messages.drain(..) {
                    add_message(&mut self.plan, &mut self.staged, &known, &wire, &no_path)
                        .map_err(|_| GiveUp)?;
                }
                phone = Some(known);
                Ok(())
            }
            "contacts" => {
                once(&mut seen[2])?;
                r.array(|r| {
                    let contact = contact(r)?;
                    match &phone {
                        Some(phone) => add_contact(&mut self.staged, phone, contact),
                        None => early_contacts.push(contact),
                    }
                    Ok(())
                })
            }
            "messages" => {
                once(&mut seen[3])?;
                // One message read at a time into the same place, planned, then cleared.
                let mut wire = WireMessage::default();
                r.array(|r| {
                    message(r, &mut wire)?;
                    match &phone {
                        Some(phone) => {
                            add_message(&mut self.plan, &mut self.staged, phone, &wire, &no_path)
                                .map_err(|_| GiveUp)
                        }
                        None => {
                            early_messages.push(std::mem::take(&mut wire));
                            Ok(())
                        }
                    }
                })
            }
            "statuses" => {
                once(&mut seen[4])?;
                r.array(|r| {
                    let status: WireStatus<'a> = serde(r)?;
                    add_status(&mut self.plan, status, &no_path).map_err(|_| GiveUp)
                })
            }
            "errors" => {
                once(&mut seen[5])?;
                let errors: Vec<ApiError<'a>> = serde(r)?;
                add_errors(&mut self.plan, errors);
                Ok(())
            }
            _ => r.skip(),
        })?;
        Ok(phone.is_some())
    }
}

/// [`Metadata`]: `phone_number_id` required.
fn metadata<'a>(r: &mut Reader<'a>) -> Read<Metadata<'a>> {
    let (mut display, mut id) = (None, None);
    let mut seen = [false; 2];
    r.object(|r, key| match key {
        "display_phone_number" => {
            once(&mut seen[0])?;
            display = opt_str(r)?;
            Ok(())
        }
        "phone_number_id" => {
            once(&mut seen[1])?;
            id = Some(str(r)?);
            Ok(())
        }
        _ => r.skip(),
    })?;
    Ok(Metadata {
        display_phone_number: display,
        phone_number_id: id.ok_or(GiveUp)?,
    })
}

/// [`Contact`]: `wa_id` required, `profile` an object or `null`.
fn contact<'a>(r: &mut Reader<'a>) -> Read<Contact<'a>> {
    let (mut profile, mut wa_id) = (None, None);
    let mut seen = [false; 2];
    r.object(|r, key| match key {
        "profile" => {
            once(&mut seen[0])?;
            if !r.null()? {
                let mut name = None;
                let mut seen_name = false;
                r.object(|r, key| match key {
                    "name" => {
                        once(&mut seen_name)?;
                        name = opt_str(r)?;
                        Ok(())
                    }
                    _ => r.skip(),
                })?;
                profile = Some(Profile { name });
            }
            Ok(())
        }
        "wa_id" => {
            once(&mut seen[1])?;
            wa_id = Some(str(r)?);
            Ok(())
        }
        _ => r.skip(),
    })?;
    Ok(Contact {
        profile,
        wa_id: wa_id.ok_or(GiveUp)?,
    })
}

/// [`WireMessage`]: its four strings, `context`, `errors`, and every other key as a part.
/// A repeated key gives up (the serde reader would keep the last). Read into `m`, cleared
/// first.
fn message<'a>(r: &mut Reader<'a>, m: &mut WireMessage<'a>) -> Read<()> {
    m.clear();
    let string = |slot: &mut Option<Str<'a>>, r: &mut Reader<'a>| {
        if slot.is_some() {
            return Err(GiveUp);
        }
        *slot = Some(str(r)?);
        Ok(())
    };
    let raw = |slot: &mut Option<&'a str>, r: &mut Reader<'a>| {
        if slot.is_some() {
            return Err(GiveUp);
        }
        *slot = Some(r.raw()?);
        Ok(())
    };
    r.object(|r, key| match key {
        "id" => string(&mut m.id, r),
        "from" => string(&mut m.from, r),
        "timestamp" => string(&mut m.timestamp, r),
        "type" => string(&mut m.kind, r),
        "context" => raw(&mut m.context, r),
        "errors" => raw(&mut m.errors, r),
        _ if m.part(key).is_some() => Err(GiveUp),
        "text" => {
            // Read once, here, rather than sliced now and read again when planned.
            let part = match r.try_read(text_object) {
                Some((body, part)) => {
                    m.text_body = Some(body);
                    part
                }
                None => r.raw()?,
            };
            m.push_part(Str(Cow::Borrowed(key)), part);
            Ok(())
        }
        _ => {
            let part = r.raw()?;
            m.push_part(Str(Cow::Borrowed(key)), part);
            Ok(())
        }
    })
}

/// A text message's `{"body": "..."}` (read like [`Text`](crate::app::intake::webhook::payload::Text)), or
/// `None` for serde to read.
pub(super) fn text_body(raw: &str) -> Option<Str<'_>> {
    let mut r = Reader::new(raw);
    let body = text_object(&mut r).ok()?;
    r.end().ok()?;
    Some(body)
}

fn text_object<'a>(r: &mut Reader<'a>) -> Read<Str<'a>> {
    let mut body = None;
    r.object(|r, key| match key {
        "body" if body.is_none() => {
            body = Some(str(r)?);
            Ok(())
        }
        "body" => Err(GiveUp),
        _ => r.skip(),
    })?;
    body.ok_or(GiveUp)
}
