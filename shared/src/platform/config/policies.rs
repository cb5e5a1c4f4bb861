use crate::domain::ticket::ConversationWindow;

use super::*;

/// `HELPDESK_CONFIG_CHECK_SECONDS`: how often the published configuration version is checked
/// (`None`: the default, 15 s). At most 30 s, so a publish is live within a minute at worst.
pub fn config_check_every(env: &Env) -> Result<Option<jiff::SignedDuration>, ConfigError> {
    let Some(raw) = env.get(HELPDESK_CONFIG_CHECK_SECONDS) else {
        return Ok(None);
    };
    match raw.trim().parse::<i64>() {
        Ok(secs) if (1..=30).contains(&secs) => Ok(Some(jiff::SignedDuration::from_secs(secs))),
        _ => Err(ConfigError::invalid(
            HELPDESK_CONFIG_CHECK_SECONDS,
            format!("{raw:?} is not a whole number of seconds from 1 to 30"),
        )),
    }
}

/// Which customer media are kept: `HELPDESK_MEDIA_TYPES` (MIME types, comma separated) and
/// `HELPDESK_MEDIA_MAX_BYTES`; and where they may be downloaded from with the access token:
/// `HELPDESK_MEDIA_DOWNLOAD_HOSTS` (comma separated `host`, `*.domain` or `http(s)://host[:port]`,
/// replacing Meta's hosts); defaults in [`MediaPolicy::default`](crate::ports::media::MediaPolicy).
pub fn media_policy(env: &Env) -> Result<crate::ports::media::MediaPolicy, ConfigError> {
    let mut policy = crate::ports::media::MediaPolicy::default();
    if let Some(raw) = env.get(HELPDESK_MEDIA_TYPES) {
        policy.allowed = media_types(raw)?;
    }
    if let Some(raw) = env.get(HELPDESK_MEDIA_DOWNLOAD_HOSTS) {
        policy.download_hosts = download_hosts(raw)?;
    }
    if let Some(raw) = env.get(HELPDESK_MEDIA_MAX_BYTES) {
        policy.max_bytes = media_max_bytes(raw)?;
    }
    Ok(policy)
}

/// `HELPDESK_MEDIA_TYPES`: MIME types like `image/png`, comma separated, at least one.
fn media_types(types: &str) -> Result<Vec<String>, ConfigError> {
    let allowed: Vec<String> = types
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let valid = |t: &String| {
        t.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && t.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/.+-".contains(&c))
        })
    };
    if let Some(bad) = allowed.iter().find(|t| !valid(t)) {
        return Err(ConfigError::invalid(
            HELPDESK_MEDIA_TYPES,
            format!("{bad:?} is not a MIME type like image/png"),
        ));
    }
    if allowed.is_empty() {
        return Err(ConfigError::invalid(HELPDESK_MEDIA_TYPES, "names no type"));
    }
    Ok(allowed)
}

/// `HELPDESK_MEDIA_DOWNLOAD_HOSTS`: `host`, `*.domain` or `http(s)://host[:port]`, comma
/// separated, at least one.
fn download_hosts(raw: &str) -> Result<Vec<String>, ConfigError> {
    let hosts: Vec<String> = raw
        .split(',')
        .map(|h| h.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if let Some(bad) = hosts.iter().find(|h| !download_host_ok(h)) {
        return Err(ConfigError::invalid(
            HELPDESK_MEDIA_DOWNLOAD_HOSTS,
            format!("{bad:?} is not a host, *.domain or http(s)://host[:port] origin"),
        ));
    }
    if hosts.is_empty() {
        return Err(ConfigError::invalid(
            HELPDESK_MEDIA_DOWNLOAD_HOSTS,
            "names no host",
        ));
    }
    Ok(hosts)
}

fn download_host_ok(h: &str) -> bool {
    let name_ok = |h: &str| {
        !h.is_empty()
            && h.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    match h.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once(':').map_or(rest, |(host, port)| {
                if port.parse::<u16>().is_ok() {
                    host
                } else {
                    ""
                }
            });
            matches!(scheme, "http" | "https") && name_ok(host)
        }
        None => name_ok(h.strip_prefix("*.").unwrap_or(h)),
    }
}

/// `HELPDESK_MEDIA_MAX_BYTES`: 1 byte to 100 MiB.
fn media_max_bytes(raw: &str) -> Result<u64, ConfigError> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=100 * 1024 * 1024).contains(n))
        .ok_or_else(|| {
            ConfigError::invalid(
                HELPDESK_MEDIA_MAX_BYTES,
                format!("{raw:?} is not a size in bytes between 1 and 104857600"),
            )
        })
}

/// How long the table keeps customer data: conversation data (tickets, messages, notes, open
/// conversations, profiles) `HELPDESK_RETENTION_DAYS` after its last change (1-3650, default
/// 365); consent and audit records `HELPDESK_PROOF_RETENTION_DAYS` after they were recorded
/// (1-3650, default 1095).
pub fn retention(env: &Env) -> Result<crate::domain::retention::Retention, ConfigError> {
    let defaults = crate::domain::retention::Retention::default();
    Ok(crate::domain::retention::Retention {
        data: days(env, HELPDESK_RETENTION_DAYS, defaults.data)?,
        proof: days(env, HELPDESK_PROOF_RETENTION_DAYS, defaults.proof)?,
    })
}

fn days(
    env: &Env,
    name: &'static str,
    default: jiff::SignedDuration,
) -> Result<jiff::SignedDuration, ConfigError> {
    let Some(raw) = env.get(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .map(|d| jiff::SignedDuration::from_hours(d * 24))
        .ok_or_else(|| {
            ConfigError::invalid(
                name,
                format!("{raw:?} is not a number of days between 1 and 3650"),
            )
        })
}

/// `HELPDESK_CONVERSATION_WINDOW_HOURS`, 24 when unset.
pub fn conversation_window(env: &Env) -> Result<ConversationWindow, ConfigError> {
    let Some(raw) = env.get(HELPDESK_CONVERSATION_WINDOW_HOURS) else {
        return Ok(ConversationWindow::default());
    };
    let hours: i64 = raw.trim().parse().map_err(|_| {
        ConfigError::invalid(
            HELPDESK_CONVERSATION_WINDOW_HOURS,
            format!("{raw:?} is not a whole number of hours"),
        )
    })?;
    ConversationWindow::from_hours(hours)
        .map_err(|e| ConfigError::invalid(HELPDESK_CONVERSATION_WINDOW_HOURS, e.to_string()))
}
