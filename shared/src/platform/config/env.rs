use std::collections::HashMap;

use super::{ConfigError, HELPDESK_TABLE};

/// The variables a function reads (the process environment, or a map in tests).
#[derive(Clone, Default)]
pub struct Env(HashMap<String, String>);

/// Names only: values may be secrets.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("Env").field(&names).finish()
    }
}

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    /// The same variables, with `name` set to `value` unless it is set already.
    pub fn or_default(mut self, name: &str, value: &str) -> Self {
        if self.get(name).is_none() {
            self.0.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The value, if set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing { name })
    }
}

pub(super) fn arn(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    let value = env.required(name)?;
    if !value.starts_with("arn:") || value.split(':').count() < 6 {
        return Err(ConfigError::invalid(
            name,
            "must be an ARN (arn:partition:service:region:account:resource)",
        ));
    }
    Ok(value.to_owned())
}

pub(super) fn http_url(env: &Env, name: &'static str) -> Result<Option<String>, ConfigError> {
    match env.get(name) {
        None => Ok(None),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Some(url.trim_end_matches('/').to_owned()))
        }
        Some(_) => Err(ConfigError::invalid(name, "must be an http(s) URL")),
    }
}

/// DynamoDB table names: 3-255 characters of letters, digits, `_`, `-`, `.`.
pub(super) fn table_name(env: &Env) -> Result<String, ConfigError> {
    let name = env.required(HELPDESK_TABLE)?;
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok {
        return Err(ConfigError::invalid(
            HELPDESK_TABLE,
            "must be 3-255 characters of letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(name.to_owned())
}

pub(super) fn fifo_queue_url(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    let url = env.required(name)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ConfigError::invalid(
            name,
            "must be an http(s) SQS queue URL",
        ));
    }
    if !url.ends_with(".fifo") {
        return Err(ConfigError::invalid(
            name,
            "must be a FIFO queue (the URL ends in .fifo)",
        ));
    }
    Ok(url.to_owned())
}
