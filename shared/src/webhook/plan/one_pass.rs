//! The fast path of [`super::plan`]: one pass over the body that plans each message, contact
//! and status as it is read, instead of first collecting entries, changes and their lists (no
//! vectors of them, no moves of large values up through them). Meta writes a change's `value`
//! before its `field`: a value is planned as a messages value while it is read, and what it
//! added is taken back if the field turns out to be another one. A value after its field is
//! only read when the field is `messages`.
//!
//! Anything this pass does not like, from malformed JSON to an invalid id, a repeated key or a
//! value of another field that does not read as a messages value, gives `None`: `plan` then takes
//! the exact path, which reads change by change and names the problem. Valid bodies give the
//! same plan on both paths (tested in `super::tests`).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    IntakePlan, OBJECT, PlanSummary, Staged, add_contact, add_errors, add_message, add_status,
    finish,
};
use crate::ids::PhoneNumberId;
use crate::webhook::payload::{ApiError, Contact, Metadata, Str, WireMessage, WireStatus};

/// Plans `body` in one pass, or `None` if the exact path has to look at it.
pub(super) fn plan(body: &str) -> Option<IntakePlan<'_>> {
    let mut pass = Pass::default();
    let mut de = serde_json::Deserializer::from_str(body);
    Notification(&mut pass).deserialize(&mut de).ok()?;
    de.end().ok()?;
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
    messages: usize,
    names: usize,
}

impl Pass<'_> {
    fn mark(&self) -> Mark {
        Mark {
            summary: self.plan.summary,
            statuses: self.plan.statuses.len(),
            webhook_errors: self.plan.webhook_errors.len(),
            messages: self.staged.messages.len(),
            names: self.staged.names.len(),
        }
    }

    fn back_to(&mut self, mark: Mark) {
        self.plan.summary = mark.summary;
        self.plan.statuses.truncate(mark.statuses);
        self.plan.webhook_errors.truncate(mark.webhook_errors);
        self.staged.messages.truncate(mark.messages);
        self.staged.names.truncate(mark.names);
    }
}

/// Errors are not written out here: the exact path names them.
fn no_path(_: &str) -> String {
    String::new()
}

/// Why the pass gave up (never shown: the exact path says what is wrong).
fn give_up<E: de::Error>() -> E {
    E::custom("left to the exact path")
}

/// Reads a key's value once; a repeated key gives up (serde's derived readers refuse it too).
fn once<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    seen: &mut bool,
    map: &mut A,
) -> Result<T, A::Error> {
    if std::mem::replace(seen, true) {
        return Err(give_up());
    }
    map.next_value()
}

/// A seed is its own visitor: `deserialize` hands the visitor to the JSON reader, expecting an
/// object (`deserialize_map`) or a list (`deserialize_seq`).
macro_rules! seed {
    ($name:ident, $expect:ident, $value:ty) => {
        impl<'de: 'a, 'a> DeserializeSeed<'de> for $name<'_, 'a> {
            type Value = $value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$value, D::Error> {
                d.$expect(self)
            }
        }
    };
}

/// Reads a key's value once with `seed`; a repeated key gives up.
fn once_seed<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
    seen: &mut bool,
    map: &mut A,
    seed: S,
) -> Result<S::Value, A::Error> {
    if std::mem::replace(seen, true) {
        return Err(give_up());
    }
    map.next_value_seed(seed)
}

/// `{"object": ..., "entry": [...]}`
struct Notification<'p, 'a>(&'p mut Pass<'a>);

seed!(Notification, deserialize_map, ());

impl<'de: 'a, 'a> Visitor<'de> for Notification<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WhatsApp notification")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut object, mut entry) = (false, false);
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "object" => {
                    let value: Str<'de> = once(&mut object, &mut map)?;
                    if value.as_str() != OBJECT {
                        return Err(give_up());
                    }
                }
                "entry" => once_seed(&mut entry, &mut map, Entries(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if object { Ok(()) } else { Err(give_up()) }
    }
}

/// `"entry": [...]`
struct Entries<'p, 'a>(&'p mut Pass<'a>);

seed!(Entries, deserialize_seq, ());

impl<'de: 'a, 'a> Visitor<'de> for Entries<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of entries")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut entry = 0;
        while seq.next_element_seed(Entry(&mut *self.0))?.is_some() {
            entry += 1;
        }
        self.0.plan.summary.entries = entry;
        Ok(())
    }
}

/// `{"id": ..., "changes": [...]}`
struct Entry<'p, 'a>(&'p mut Pass<'a>);

seed!(Entry, deserialize_map, ());

impl<'de: 'a, 'a> Visitor<'de> for Entry<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut id, mut changes) = (false, false);
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "id" => {
                    once::<_, Str<'de>>(&mut id, &mut map)?;
                }
                "changes" => once_seed(&mut changes, &mut map, Changes(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `"changes": [...]`
struct Changes<'p, 'a>(&'p mut Pass<'a>);

seed!(Changes, deserialize_seq, ());

impl<'de: 'a, 'a> Visitor<'de> for Changes<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of changes")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element_seed(Change(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// `{"value": {...}, "field": "messages"}`, planned at its closing brace.
struct Change<'p, 'a>(&'p mut Pass<'a>);

seed!(Change, deserialize_map, ());

impl<'de: 'a, 'a> Visitor<'de> for Change<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a change")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let pass = self.0;
        let mark = pass.mark();
        let mut field: Option<Str<'de>> = None;
        let mut seen_field = false;
        let mut value = false;
        // Whether the value named our number (a messages value must).
        let mut metadata = false;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "field" => field = Some(once(&mut seen_field, &mut map)?),
                "value" => match &field {
                    Some(f) if f.as_str() != "messages" => {
                        once::<_, IgnoredAny>(&mut value, &mut map)?;
                    }
                    _ => metadata = once_seed(&mut value, &mut map, Value(&mut *pass))?,
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let field = field.ok_or_else(give_up)?;
        if field.as_str() != "messages" {
            pass.back_to(mark);
            pass.plan.summary.ignored_changes += 1;
        } else if !value || !metadata {
            return Err(give_up());
        }
        pass.plan.summary.changes += 1;
        Ok(())
    }
}

/// A change value, planned as a messages value while it is read. Contacts and messages need our
/// number from `metadata`: Meta writes that first, so they are planned one by one as they are
/// read; lists that come before it are read whole and planned when it arrives. Gives whether
/// there was `metadata`.
struct Value<'p, 'a>(&'p mut Pass<'a>);

seed!(Value, deserialize_map, bool);

impl<'de: 'a, 'a> Visitor<'de> for Value<'_, 'a> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a messages value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let pass = self.0;
        let mut phone: Option<PhoneNumberId> = None;
        // Lists read before `metadata`, planned once it is known.
        let mut early_contacts: Vec<Contact<'de>> = Vec::new();
        let mut early_messages: Vec<WireMessage<'de>> = Vec::new();
        // Keys read so far: messaging_product, metadata, contacts, messages, statuses, errors.
        let mut seen = [false; 6];
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "messaging_product" => {
                    once::<_, Option<Str<'de>>>(&mut seen[0], &mut map)?;
                }
                "metadata" => {
                    let metadata: Metadata<'de> = once(&mut seen[1], &mut map)?;
                    let known = PhoneNumberId::parse(metadata.phone_number_id.as_str())
                        .map_err(|_| give_up::<A::Error>())?;
                    for contact in early_contacts.drain(..) {
                        add_contact(&mut pass.staged, &known, contact);
                    }
                    for wire in early_messages.drain(..) {
                        add_message(&mut pass.plan, &mut pass.staged, &known, wire, &no_path)
                            .map_err(|_| give_up::<A::Error>())?;
                    }
                    phone = Some(known);
                }
                "contacts" => match &phone {
                    Some(phone) => {
                        once_seed(&mut seen[2], &mut map, Contacts(&mut *pass, phone))?;
                    }
                    None => early_contacts = once(&mut seen[2], &mut map)?,
                },
                "messages" => match &phone {
                    Some(phone) => {
                        once_seed(&mut seen[3], &mut map, Messages(&mut *pass, phone))?;
                    }
                    None => early_messages = once(&mut seen[3], &mut map)?,
                },
                "statuses" => once_seed(&mut seen[4], &mut map, Statuses(&mut *pass, ()))?,
                "errors" => {
                    let errors: Vec<ApiError<'de>> = once(&mut seen[5], &mut map)?;
                    add_errors(&mut pass.plan, errors);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(phone.is_some())
    }
}

/// Declares a seed that reads a JSON list of `$item`, handing each to `$each`.
macro_rules! list_seed {
    ($name:ident, $expecting:literal, $item:ident, |$pass:ident, $extra:ident, $it:ident| $each:expr) => {
        seed!($name, deserialize_seq, ());

        impl<'de: 'a, 'a> Visitor<'de> for $name<'_, 'a> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($expecting)
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
                let $name($pass, $extra) = self;
                while let Some($it) = seq.next_element::<$item<'de>>()? {
                    $each.map_err(|_| give_up::<S::Error>())?;
                }
                Ok(())
            }
        }
    };
}

/// `"contacts": [...]` of our number.
struct Contacts<'p, 'a>(&'p mut Pass<'a>, &'p PhoneNumberId);

list_seed!(
    Contacts,
    "a list of contacts",
    Contact,
    |pass, phone, contact| {
        add_contact(&mut pass.staged, phone, contact);
        Ok::<(), ()>(())
    }
);

/// `"messages": [...]` to our number.
struct Messages<'p, 'a>(&'p mut Pass<'a>, &'p PhoneNumberId);

list_seed!(
    Messages,
    "a list of messages",
    WireMessage,
    |pass, phone, wire| { add_message(&mut pass.plan, &mut pass.staged, phone, wire, &no_path) }
);

/// `"statuses": [...]`.
struct Statuses<'p, 'a>(&'p mut Pass<'a>, ());

list_seed!(
    Statuses,
    "a list of statuses",
    WireStatus,
    |pass, _unit, status| { add_status(&mut pass.plan, status, &no_path) }
);
