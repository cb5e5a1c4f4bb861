//! The bot document's FAQ part: what a supervisor may change in it (compared on the parsed
//! TOML) and the text edits that add an example to an intent or a whole FAQ answer (the
//! document's comments and layout stay).

use super::AdminError;

/// A bot configuration without its FAQ part: the intents' examples and keywords, the answer
/// texts of flows made only of `answer` steps, and whole FAQ intents (an intent whose flow is
/// such a flow, with nothing else but id, flow, examples and keywords) with their flows and
/// their button titles (a FAQ in the main menu's items stays part of the menu). Two
/// documents with the same rest differ only in what a supervisor may edit.
fn without_faq(doc: &toml::Value) -> toml::Value {
    let mut doc = doc.clone();
    let faq_flows = answer_flows(&doc);
    drop_answer_texts(&mut doc, &faq_flows);
    let (dropped_flows, dropped_ids) = drop_faq_intents(&mut doc, &faq_flows);
    drop_button_titles(&mut doc, &dropped_ids);
    drop_unused_flows(&mut doc, dropped_flows);
    doc
}

/// The flows made only of `answer` steps.
fn answer_flows(doc: &toml::Value) -> Vec<String> {
    doc.get("flows")
        .and_then(toml::Value::as_table)
        .map(|flows| {
            flows
                .iter()
                .filter(|(_, flow)| is_answer_flow(flow))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The answer texts may change; the flows' shape (steps, kinds) may not. A flow only an FAQ
/// intent uses is dropped with it later.
fn drop_answer_texts(doc: &mut toml::Value, faq_flows: &[String]) {
    if let Some(flows) = doc.get_mut("flows").and_then(toml::Value::as_table_mut) {
        for name in faq_flows {
            if let Some(steps) = flows
                .get_mut(name)
                .and_then(|f| f.get_mut("steps"))
                .and_then(toml::Value::as_table_mut)
            {
                for (_, step) in steps.iter_mut() {
                    if let Some(t) = step.as_table_mut() {
                        t.remove("text");
                    }
                }
            }
        }
    }
}

/// Every intent without its examples and keywords, and without the FAQ intents: the flows
/// and the ids of those dropped.
fn drop_faq_intents(doc: &mut toml::Value, faq_flows: &[String]) -> (Vec<String>, Vec<String>) {
    let mut dropped_flows = Vec::new();
    let mut dropped_ids = Vec::new();
    if let Some(intents) = doc.get_mut("intents").and_then(toml::Value::as_array_mut) {
        intents.retain_mut(|intent| {
            let Some(t) = intent.as_table_mut() else {
                return true;
            };
            t.remove("examples");
            t.remove("keywords");
            let faq = t.keys().all(|k| k == "id" || k == "flow")
                && t.get("flow")
                    .and_then(toml::Value::as_str)
                    .is_some_and(|f| faq_flows.iter().any(|n| n == f));
            if faq && let Some(f) = t.get("flow").and_then(toml::Value::as_str) {
                dropped_flows.push(f.to_owned());
                if let Some(id) = t.get("id").and_then(toml::Value::as_str) {
                    dropped_ids.push(id.to_owned());
                }
            }
            !faq
        });
    }
    (dropped_flows, dropped_ids)
}

/// A FAQ's button titles (shown when the bot asks back) belong to it.
fn drop_button_titles(doc: &mut toml::Value, dropped_ids: &[String]) {
    if let Some(titles) = doc
        .get_mut("menu")
        .and_then(|m| m.get_mut("titles"))
        .and_then(toml::Value::as_table_mut)
    {
        for (_, by_id) in titles.iter_mut() {
            if let Some(by_id) = by_id.as_table_mut() {
                by_id.retain(|id, _| !dropped_ids.iter().any(|d| d == id));
            }
        }
    }
}

/// The dropped FAQ intents' flows, but those a non-FAQ intent still uses (their text was
/// already removed).
fn drop_unused_flows(doc: &mut toml::Value, dropped_flows: Vec<String>) {
    let still_used: Vec<String> = doc
        .get("intents")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.get("flow")
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    if let Some(flows) = doc.get_mut("flows").and_then(toml::Value::as_table_mut) {
        for f in dropped_flows {
            if !still_used.contains(&f) {
                flows.remove(&f);
            }
        }
    }
}

/// A flow whose every step is a plain answer.
fn is_answer_flow(flow: &toml::Value) -> bool {
    flow.get("steps")
        .and_then(toml::Value::as_table)
        .is_some_and(|steps| {
            !steps.is_empty()
                && steps
                    .values()
                    .all(|s| s.get("kind").and_then(toml::Value::as_str) == Some("answer"))
        })
}

/// Whether `new` differs from `old` only in the FAQ part a supervisor may edit: intents'
/// examples and keywords, answer texts, and FAQ intents (an intent with its own answer-only
/// flow) added or removed. Compared on the parsed TOML, so comments and layout may change too.
/// `Err` names what else changed.
pub fn faq_only_change(old: &str, new: &str) -> Result<(), String> {
    let parse = |s: &str| toml::from_str::<toml::Value>(s).ok();
    let (Some(old), Some(new)) = (parse(old), parse(new)) else {
        // The validator reports syntax; nothing to compare.
        return Ok(());
    };
    let (a, b) = (without_faq(&old), without_faq(&new));
    if a == b {
        return Ok(());
    }
    let (ta, tb) = (a.as_table(), b.as_table());
    let mut keys: Vec<&String> = ta
        .into_iter()
        .flat_map(|t| t.keys())
        .chain(tb.into_iter().flat_map(|t| t.keys()))
        .collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<&str> = keys
        .into_iter()
        .filter(|k| a.get(k.as_str()) != b.get(k.as_str()))
        .map(String::as_str)
        .collect();
    Err(format!(
        "supervisors change only FAQ answers, intent examples and keywords; this also changes {}",
        changed.join(", ")
    ))
}

/// `body` with `example` added to the examples of intent `intent` (the text is edited, so the
/// document's comments and layout stay). `Err`: the field and problem.
pub fn add_example(body: &str, intent: &str, example: &str) -> Result<String, AdminError> {
    let quoted =
        serde_json::to_string(example).map_err(|e| AdminError::bad("text", e.to_string()))?;
    let lines: Vec<&str> = body.lines().collect();
    let id_line = format!("id = {}", serde_json::to_string(intent).unwrap_or_default());
    let mut in_intent = false;
    let mut found = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            if found {
                break;
            }
            in_intent = t == "[[intents]]";
            continue;
        }
        if in_intent && t.replace(' ', "") == id_line.replace(' ', "") {
            found = true;
            continue;
        }
        if found && t.starts_with("examples") && t.contains('[') {
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            let at = line.find('[').unwrap_or(line.len() - 1);
            let (head, tail) = line.split_at(at + 1);
            let sep = if tail.trim_start().starts_with(']') {
                ""
            } else {
                " "
            };
            let comma = if tail.trim_start().starts_with(']') {
                ""
            } else {
                ","
            };
            out[i] = format!("{head}{quoted}{comma}{sep}{}", tail.trim_start());
            let mut text = out.join("\n");
            if body.ends_with('\n') {
                text.push('\n');
            }
            return Ok(text);
        }
    }
    Err(AdminError::bad(
        "intent",
        if found {
            format!("intent {intent} has no examples list to add to")
        } else {
            format!("there is no intent {intent}")
        },
    ))
}

/// `body` with a new FAQ answer: an intent (id from the question) with the question as its
/// example and its own answer flow. `Err`: the field and problem.
pub fn add_faq(
    body: &str,
    question: &str,
    answer_de: Option<&str>,
    answer_en: Option<&str>,
) -> Result<(String, String), AdminError> {
    let slug: String = question
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4)
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() {
        return Err(AdminError::bad("faq.question", "needs some words"));
    }
    let answers: Vec<(&str, &str)> = [("de", answer_de), ("en", answer_en)]
        .into_iter()
        .filter_map(|(l, a)| a.map(str::trim).filter(|a| !a.is_empty()).map(|a| (l, a)))
        .collect();
    if answers.is_empty() {
        return Err(AdminError::bad(
            "faq.answer_de",
            "give an answer in at least one language",
        ));
    }
    let taken = |id: &str| {
        body.contains(&format!("id = \"{id}\"")) || body.contains(&format!("[flows.{id}]"))
    };
    let mut id = format!("faq_{slug}");
    let mut n = 2;
    while taken(&id) {
        id = format!("faq_{slug}_{n}");
        n += 1;
    }
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut text = body.trim_end().to_owned();
    text.push_str(&format!(
        "\n\n[[intents]]\nid = \"{id}\"\nflow = \"{id}\"\nexamples = [{}]\n\n[flows.{id}]\nstart = \"info\"\n\n[flows.{id}.steps.info]\nkind = \"answer\"\n",
        q(question)
    ));
    for (lang, answer) in answers {
        text.push_str(&format!("text.{lang} = {}\n", q(answer)));
    }
    Ok((text, id))
}
