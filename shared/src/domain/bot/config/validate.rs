//! Checks a parsed configuration file: every error names the field and, where it can, the line.

use std::collections::HashSet;

use super::words::PHRASE_LISTS;
use super::*;

const PLACEHOLDERS: &[&str] = &[
    "customer_name",
    "company",
    "order_id",
    "order_status",
    "carrier",
    "tracking_url",
    "eta",
];

struct Checker<'a> {
    source: &'a str,
    origin: &'a str,
}

impl Checker<'_> {
    fn fail(
        &self,
        field: impl Into<String>,
        near: Option<&str>,
        problem: impl Into<String>,
    ) -> BotConfigError {
        BotConfigError::invalid(self.origin, field, problem)
            .at_line(near.and_then(|v| crate::platform::config_file::line_of(self.source, v)))
    }

    /// [`Checker::fail`] pointing at `value`'s first line after the line `header` (a value
    /// that may stand in several sections, as rule words do).
    fn fail_after(
        &self,
        field: &str,
        header: &str,
        value: &str,
        problem: impl Into<String>,
    ) -> BotConfigError {
        let line = self.source.find(header).and_then(|start| {
            let quoted = format!("\"{value}\"");
            let at = start + self.source[start..].find(&quoted)?;
            Some(self.source[..at].matches('\n').count() + 1)
        });
        BotConfigError::invalid(self.origin, field, problem).at_line(line)
    }

    fn text(&self, field: &str, text: &str) -> Result<(), BotConfigError> {
        if text.trim().is_empty() {
            return Err(self.fail(field, None, "is empty"));
        }
        if text.chars().count() > MAX_TEXT {
            return Err(self.fail(field, None, format!("is longer than {MAX_TEXT} characters")));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(self.fail(
                    field,
                    Some(name),
                    format!(
                        "unknown placeholder {{{name}}}; known: {}",
                        PLACEHOLDERS.join(", ")
                    ),
                ));
            }
            rest = &after[close + 1..];
        }
        Ok(())
    }

    fn localized(
        &self,
        field: &str,
        text: &Localized,
        default: Lang,
    ) -> Result<(), BotConfigError> {
        if !text.contains_key(&default) {
            return Err(self.fail(
                field,
                None,
                format!("has no text for the default language {}", default.code()),
            ));
        }
        for (lang, t) in text {
            self.text(&format!("{field}.{}", lang.code()), t)?;
        }
        Ok(())
    }

    fn title(&self, field: &str, title: &str, max: usize) -> Result<(), BotConfigError> {
        let n = title.chars().count();
        if n == 0 || n > max {
            return Err(self.fail(
                field,
                Some(title),
                format!("must be 1-{max} characters (WhatsApp limit), is {n}"),
            ));
        }
        Ok(())
    }
}

/// Checks `file` (parsed from `source`, named `origin` in errors), section by section; the
/// first problem found is the error.
pub(super) fn validate(
    file: &BotConfigFile,
    source: &str,
    origin: &str,
) -> Result<(), BotConfigError> {
    let c = Checker { source, origin };
    header(&c, file)?;
    texts(&c, file)?;
    limits(&c, &file.limits)?;
    order_lookup(&c, &file.order_lookup)?;
    handoff_words(&c, &file.handoff)?;
    rule_words(&c, &file.words)?;
    let ids = intents(&c, file)?;
    menu(&c, file, &ids)?;
    for (name, flow) in &file.flows {
        self::flow(&c, name, flow, file.default_language)?;
    }
    Ok(())
}

/// The version this code reads, and the company's name.
fn header(c: &Checker, file: &BotConfigFile) -> Result<(), BotConfigError> {
    if file.version != 1 {
        return Err(c.fail(
            "version",
            None,
            format!("is {}, this code reads version 1", file.version),
        ));
    }
    if file.company.trim().is_empty() {
        return Err(c.fail("company", None, "is empty"));
    }
    Ok(())
}

/// `[texts.*]`: the default language's, every text filled in, button titles within WhatsApp's
/// limit.
fn texts(c: &Checker, file: &BotConfigFile) -> Result<(), BotConfigError> {
    let default = file.default_language;
    if !file.texts.contains_key(&default) {
        return Err(c.fail(
            "texts",
            None,
            format!("has no [texts.{}] for the default language", default.code()),
        ));
    }
    for (lang, texts) in &file.texts {
        for (name, text) in texts.all() {
            c.text(&format!("texts.{}.{name}", lang.code()), text)?;
        }
        if let Some(text) = &texts.off_topic {
            c.text(&format!("texts.{}.off_topic", lang.code()), text)?;
        }
        for (name, title) in [
            ("menu_button", &texts.menu_button),
            ("confirm_yes", &texts.confirm_yes),
            ("confirm_no", &texts.confirm_no),
            ("opt_out_yes", &texts.opt_out_yes),
            ("opt_in_yes", &texts.opt_in_yes),
        ] {
            c.title(
                &format!("texts.{}.{name}", lang.code()),
                title,
                MAX_BUTTON_TITLE,
            )?;
        }
    }
    Ok(())
}

/// `[limits]`: counts within reason, thresholds in order.
fn limits(c: &Checker, l: &Limits) -> Result<(), BotConfigError> {
    if !(1..=10).contains(&l.max_failed_attempts) {
        return Err(c.fail("limits.max_failed_attempts", None, "must be 1-10"));
    }
    if !(1..=1440).contains(&l.bot_time_limit_minutes) {
        return Err(c.fail("limits.bot_time_limit_minutes", None, "must be 1-1440"));
    }
    if !(0.05..=1.0).contains(&l.match_threshold) {
        return Err(c.fail(
            "limits.match_threshold",
            None,
            "must be between 0.05 and 1.0",
        ));
    }
    if let Some(t) = l.clarify_threshold
        && !(0.0..=l.match_threshold).contains(&t)
    {
        return Err(c.fail(
            "limits.clarify_threshold",
            None,
            "must be between 0 and limits.match_threshold",
        ));
    }
    if let Some(t) = l.handoff_threshold
        && !(l.match_threshold..=1.0).contains(&t)
    {
        return Err(c.fail(
            "limits.handoff_threshold",
            None,
            "must be between limits.match_threshold and 1.0",
        ));
    }
    Ok(())
}

/// `[order_lookup]`: a sane range of digits.
fn order_lookup(c: &Checker, o: &OrderIdRule) -> Result<(), BotConfigError> {
    if o.min_digits == 0 || o.min_digits > o.max_digits || o.max_digits > 20 {
        return Err(c.fail(
            "order_lookup",
            None,
            "needs 1 <= min_digits <= max_digits <= 20",
        ));
    }
    Ok(())
}

/// `[handoff]`: no empty handoff word.
fn handoff_words(c: &Checker, handoff: &HandoffWords) -> Result<(), BotConfigError> {
    for (name, words) in [
        ("handoff.urgent", &handoff.urgent),
        ("handoff.fraud", &handoff.fraud),
        ("handoff.complaint", &handoff.complaint),
        ("handoff.request", &handoff.request),
    ] {
        if let Some(w) = words
            .iter()
            .find(|w| crate::domain::bot::matcher::normalize(w).trim().is_empty())
        {
            return Err(c.fail(name, Some(w), "contains an empty word"));
        }
    }
    Ok(())
}

/// `[words]`: every entry lowercase and not empty, one word (or a phrase where the list holds
/// phrases), and in each language's list once.
fn rule_words(c: &Checker, words: &WordLists) -> Result<(), BotConfigError> {
    for (key, list) in words.each() {
        let phrases = PHRASE_LISTS.contains(&key);
        let section = format!("[words.{key}]");
        for (lang, entries) in list.entries() {
            let field = match lang {
                Some(lang) => format!("words.{key}.{}", lang.code()),
                None => format!("words.{key}"),
            };
            let mut seen = HashSet::new();
            for entry in entries {
                let fail = |problem: String| {
                    let header = if lang.is_some() {
                        section.as_str()
                    } else {
                        "[words]"
                    };
                    c.fail_after(&field, header, entry, problem)
                };
                let normalized = crate::domain::bot::matcher::normalize(entry);
                let parts: Vec<&str> = normalized.split_whitespace().collect();
                if parts.is_empty() {
                    return Err(fail(format!("has an empty entry {entry:?}")));
                }
                if entry.to_lowercase() != *entry {
                    return Err(fail(format!(
                        "entry {entry:?} must be lowercase: {:?}",
                        entry.to_lowercase()
                    )));
                }
                if !phrases && parts.len() > 1 {
                    return Err(fail(format!(
                        "entry {entry:?} must be one word (the rules read it as {:?})",
                        parts.join(" ")
                    )));
                }
                if !seen.insert(parts.join(" ")) {
                    return Err(fail(format!("lists {entry:?} twice")));
                }
            }
        }
    }
    Ok(())
}

/// `[[intents]]`: unique ids, an existing flow, an example each. Returns the ids.
fn intents<'f>(c: &Checker, file: &'f BotConfigFile) -> Result<HashSet<&'f str>, BotConfigError> {
    let mut ids = HashSet::new();
    for (i, intent) in file.intents.iter().enumerate() {
        let field = format!("intents[{i}]");
        if !ids.insert(intent.id.as_str()) {
            return Err(c.fail(
                format!("{field}.id"),
                Some(&intent.id),
                format!("intent {:?} is defined twice", intent.id),
            ));
        }
        if !file.flows.contains_key(&intent.flow) {
            return Err(c.fail(
                format!("{field}.flow"),
                Some(&intent.flow),
                format!("no flow named {:?}", intent.flow),
            ));
        }
        if intent.examples.iter().all(|e| e.trim().is_empty()) {
            return Err(c.fail(
                format!("{field}.examples"),
                Some(&intent.id),
                "needs at least one example",
            ));
        }
    }
    Ok(ids)
}

/// `[menu]`: items that are intents, each titled in every language within WhatsApp's limits.
fn menu(c: &Checker, file: &BotConfigFile, ids: &HashSet<&str>) -> Result<(), BotConfigError> {
    let menu = &file.menu;
    if menu.items.is_empty() || menu.items.len() > MAX_LIST_ROWS {
        return Err(c.fail(
            "menu.items",
            None,
            format!("must have 1-{MAX_LIST_ROWS} items"),
        ));
    }
    let max_title = if menu.items.len() <= MAX_BUTTONS {
        MAX_BUTTON_TITLE
    } else {
        MAX_ROW_TITLE
    };
    for item in &menu.items {
        if !ids.contains(item.as_str()) {
            return Err(c.fail(
                "menu.items",
                Some(item),
                format!("{item:?} is not an intent id"),
            ));
        }
        for lang in file.texts.keys() {
            let field = format!("menu.titles.{}.{item}", lang.code());
            let title = menu
                .titles
                .get(lang)
                .and_then(|t| t.get(item))
                .ok_or_else(|| c.fail(&field, Some(item), "is missing"))?;
            c.title(&field, title, max_title)?;
        }
    }

    for (lang, titles) in &menu.titles {
        for (id, title) in titles {
            let field = format!("menu.titles.{}.{id}", lang.code());
            if !ids.contains(id.as_str()) {
                return Err(c.fail(&field, Some(id), format!("{id:?} is not an intent id")));
            }
            // Any intent may be a button when the bot asks back.
            c.title(&field, title, MAX_BUTTON_TITLE)?;
        }
    }
    Ok(())
}

/// `[flows.NAME]`: a start step that exists, and each step checked.
fn flow(c: &Checker, name: &str, flow: &FlowSpec, default: Lang) -> Result<(), BotConfigError> {
    let field = format!("flows.{name}");
    if !flow.steps.contains_key(&flow.start) {
        return Err(c.fail(
            format!("{field}.start"),
            Some(&flow.start),
            format!("no step named {:?}", flow.start),
        ));
    }
    for (step_name, step) in &flow.steps {
        let field = format!("{field}.steps.{step_name}");
        let next_exists = |next: &str, at: String| {
            if flow.steps.contains_key(next) {
                Ok(())
            } else {
                Err(c.fail(
                    at,
                    Some(next),
                    format!("no step named {next:?} in flow {name}"),
                ))
            }
        };
        match step {
            StepSpec::Ask {
                slot,
                text,
                invalid,
                next,
            } => {
                if slot != "order_id" {
                    return Err(c.fail(
                        format!("{field}.slot"),
                        Some(slot),
                        "the only slot is \"order_id\"",
                    ));
                }
                c.localized(&format!("{field}.text"), text, default)?;
                c.localized(&format!("{field}.invalid"), invalid, default)?;
                next_exists(next, format!("{field}.next"))?;
            }
            StepSpec::Answer { text } => c.localized(&format!("{field}.text"), text, default)?,
            StepSpec::Choice { text, options } => {
                c.localized(&format!("{field}.text"), text, default)?;
                choice_options(c, &field, options, default, next_exists)?;
            }
            StepSpec::OrderLookup
            | StepSpec::Handoff { .. }
            | StepSpec::Resolve
            | StepSpec::Menu
            | StepSpec::Consent { .. } => {}
        }
    }
    Ok(())
}

/// A choice step's options: 2 to a list's rows, unique ids, titles within the limit of
/// buttons (up to three) or list rows, each leading to a step that exists.
fn choice_options(
    c: &Checker,
    field: &str,
    options: &[OptionSpec],
    default: Lang,
    next_exists: impl Fn(&str, String) -> Result<(), BotConfigError>,
) -> Result<(), BotConfigError> {
    if options.len() < 2 || options.len() > MAX_LIST_ROWS {
        return Err(c.fail(
            format!("{field}.options"),
            None,
            format!("needs 2-{MAX_LIST_ROWS} options"),
        ));
    }
    let max = if options.len() <= MAX_BUTTONS {
        MAX_BUTTON_TITLE
    } else {
        MAX_ROW_TITLE
    };
    let mut option_ids = HashSet::new();
    for (i, o) in options.iter().enumerate() {
        let of = format!("{field}.options[{i}]");
        if !option_ids.insert(o.id.as_str()) {
            return Err(c.fail(format!("{of}.id"), Some(&o.id), "is used twice"));
        }
        c.localized(&format!("{of}.title"), &o.title, default)?;
        for (lang, t) in &o.title {
            c.title(&format!("{of}.title.{}", lang.code()), t, max)?;
        }
        next_exists(&o.next, format!("{of}.next"))?;
    }
    Ok(())
}
