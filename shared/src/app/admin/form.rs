//! The JSON object the admin forms edit, read from and written back to a document's TOML,
//! keeping the base version's comments and layout where the form left them alone.

use serde_json::Value;

use super::AdminError;

/// A TOML document as the JSON object forms edit.
pub fn toml_to_json(body: &str) -> Value {
    toml::from_str::<toml::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(Value::Null)
}

/// The JSON object a form sent, as TOML text (comments of the base are not kept).
pub fn json_to_toml(json: &Value) -> Result<String, AdminError> {
    if !json.is_object() {
        return Err(AdminError::bad("json", "must be an object"));
    }
    let value: toml::Value = serde_json::from_value(json.clone())
        .map_err(|e| AdminError::bad("json", format!("cannot be TOML: {e}")))?;
    toml::to_string_pretty(&value)
        .map_err(|e| AdminError::bad("json", format!("cannot be TOML: {e}")))
}

/// The JSON object a form sent, as TOML text that keeps as much of `base` (the version the form
/// edited) as it can: values the form left alone keep their text, comments and layout; changed
/// values are rewritten where they stood; new ones are added, removed ones dropped. Entries of an
/// array of tables (`[[intents]]`, `[[policies]]`, `[[rules]]`) are matched by their `id`, `name`
/// or `team`, so removing one keeps the comments of the others. Whenever the result would not
/// read back as exactly `json`, the plain rendering of `json` is used instead.
pub fn json_onto_toml(base: &str, json: &Value) -> Result<String, AdminError> {
    let plain = json_to_toml(json)?;
    let (Ok(mut doc), Ok(new)) = (
        base.parse::<toml_edit::DocumentMut>(),
        plain.parse::<toml_edit::DocumentMut>(),
    ) else {
        return Ok(plain);
    };
    merge_table(doc.as_table_mut(), new.as_table());
    let merged = doc.to_string();
    let same = |text: &str| toml::from_str::<toml::Value>(text).ok();
    match (same(&merged), same(&plain)) {
        (Some(a), Some(b)) if a == b => Ok(merged),
        _ => Ok(plain),
    }
}

/// `into` made equal to `from`, keeping what is already equal as it is written.
fn merge_table(into: &mut dyn toml_edit::TableLike, from: &dyn toml_edit::TableLike) {
    let gone: Vec<String> = into
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| !from.contains_key(k))
        .collect();
    for k in gone {
        into.remove(&k);
    }
    for (k, item) in from.iter() {
        match into.get_mut(k) {
            Some(old) => merge_item(old, item),
            None => {
                // A new table is written after everything the base has.
                let mut item = item.clone();
                place(&mut item, AT_THE_END);
                into.insert(k, item);
            }
        }
    }
}

/// The document position of tables added by a form: after every table of the base.
const AT_THE_END: isize = isize::MAX / 2;

/// Sets the document position of every table in `item` (tables with the same position are
/// written in the order they nest, so a new table stays with its subtables).
fn place(item: &mut toml_edit::Item, position: isize) {
    match item {
        toml_edit::Item::Table(t) => place_table(t, position),
        toml_edit::Item::ArrayOfTables(a) => {
            for t in a.iter_mut() {
                place_table(t, position);
            }
        }
        _ => {}
    }
}

fn place_table(table: &mut toml_edit::Table, position: isize) {
    table.set_position(Some(position));
    for (_, item) in table.iter_mut() {
        place(item, position);
    }
}

fn merge_item(into: &mut toml_edit::Item, from: &toml_edit::Item) {
    use toml_edit::Item;
    // Tables in an array written inline (`options = [{ ... }]`) stay inline.
    let inline;
    let from = match (&*into, from) {
        (Item::Value(toml_edit::Value::Array(_)), Item::ArrayOfTables(new)) => {
            inline = Item::Value(toml_edit::Value::Array(new.clone().into_array()));
            &inline
        }
        _ => from,
    };
    match (&mut *into, from) {
        (Item::ArrayOfTables(old), Item::ArrayOfTables(new)) => {
            let mut olds: Vec<Option<toml_edit::Table>> = old.iter().cloned().map(Some).collect();
            let mut merged = toml_edit::ArrayOfTables::new();
            for (i, table) in new.iter().enumerate() {
                let id = identity(table);
                let at = match &id {
                    Some(id) => olds
                        .iter()
                        .position(|o| o.as_ref().and_then(identity).as_ref() == Some(id)),
                    None => (i < olds.len()
                        && olds[i].as_ref().is_some_and(|o| identity(o).is_none()))
                    .then_some(i),
                };
                match at.and_then(|at| olds[at].take()) {
                    Some(mut kept) => {
                        merge_table(&mut kept, table);
                        merged.push(kept);
                    }
                    // A new entry is written right after the one before it.
                    None => {
                        let mut table = table.clone();
                        let after = merged.iter().last().and_then(toml_edit::Table::position);
                        place_table(&mut table, after.unwrap_or(AT_THE_END));
                        merged.push(table);
                    }
                }
            }
            *old = merged;
        }
        (Item::Value(old), Item::Value(new)) => {
            if let (Some(o), Some(n)) = (old.as_inline_table_mut(), new.as_inline_table()) {
                merge_table(o, n);
            } else if !same_value(old, new) {
                let decor = old.decor().clone();
                let one_line = !old.to_string().contains('\n');
                *old = new.clone();
                // An array written on one line stays on one line.
                if one_line && let Some(array) = old.as_array_mut() {
                    array.fmt();
                    array.set_trailing_comma(false);
                    array.set_trailing("");
                }
                *old.decor_mut() = decor;
            }
        }
        (Item::Table(old), Item::Table(new)) => merge_table(old, new),
        // The same table written inline in one and as a section in the other: kept as written.
        (Item::Value(toml_edit::Value::InlineTable(old)), Item::Table(new)) => {
            merge_table(old, &new.clone().into_inline_table());
        }
        (Item::Table(old), Item::Value(toml_edit::Value::InlineTable(new))) => {
            merge_table(old, &new.clone().into_table());
        }
        _ => {
            let position = into
                .as_table()
                .and_then(toml_edit::Table::position)
                .unwrap_or(AT_THE_END);
            *into = from.clone();
            place(into, position);
        }
    }
}

/// What names an entry of an array of tables.
fn identity(table: &toml_edit::Table) -> Option<String> {
    ["id", "name", "team"].iter().find_map(|k| {
        table
            .get(k)
            .and_then(|v| v.as_str())
            .map(|v| format!("{k}={v}"))
    })
}

/// Whether two values read the same, however they are written.
fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    let read = |v: &toml_edit::Value| {
        let mut v = v.clone();
        v.decor_mut().clear();
        toml::from_str::<toml::Value>(&format!("v = {v}")).ok()
    };
    matches!((read(a), read(b)), (Some(x), Some(y)) if x == y)
}
