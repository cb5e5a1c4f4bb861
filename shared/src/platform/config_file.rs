//! Configuration files (bot, SLA policies, routing rules, templates): reading them, parsing their
//! TOML, and the one error type every file's problems are reported with (the file, and the line
//! or field with the problem).

/// A configuration file (bot, SLA policies, routing rules, templates) that cannot be used: the
/// file, and the line or field with the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFileError {
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}{}: {field}: {problem}", LineSuffix(*.line))]
    Invalid {
        origin: String,
        field: String,
        /// The line the problem is on, when it can be found in the source.
        line: Option<usize>,
        problem: String,
    },
}

impl ConfigFileError {
    /// `field` of the file `origin` has a problem.
    pub fn invalid(origin: &str, field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            origin: origin.to_owned(),
            field: field.into(),
            line: None,
            problem: problem.into(),
        }
    }

    /// The same error, pointing at `line` (if known).
    pub fn at_line(self, at: Option<usize>) -> Self {
        match self {
            Self::Invalid {
                origin,
                field,
                line,
                problem,
            } => Self::Invalid {
                origin,
                field,
                line: at.or(line),
                problem,
            },
            syntax => syntax,
        }
    }
}

/// ` line N` after a file name, when the line is known.
struct LineSuffix(Option<usize>);

impl std::fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(line) => write!(f, " line {line}"),
            None => Ok(()),
        }
    }
}

/// Reads a configuration file: its text and its name for messages.
pub fn read_config_file(path: &std::path::Path) -> Result<(String, String), ConfigFileError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ConfigFileError::Syntax {
        origin: origin.clone(),
        message: format!("cannot read: {e}"),
    })?;
    Ok((source, origin))
}

/// Parses a TOML configuration file's text; a syntax error names the line.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    source: &str,
    origin: &str,
) -> Result<T, ConfigFileError> {
    toml::from_str(source).map_err(|e| ConfigFileError::Syntax {
        origin: origin.to_owned(),
        message: syntax_message(source, &e),
    })
}

/// A TOML error with the line it is on.
fn syntax_message(source: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_owned();
    match e.span() {
        Some(span) => format!("line {}: {message}", line_at(source, span.start)),
        None => message,
    }
}

fn line_at(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// The line of the first `"value"` (quoted) in the source: where a bad reference was written.
pub(crate) fn line_of(source: &str, value: &str) -> Option<usize> {
    let quoted = format!("\"{value}\"");
    source.find(&quoted).map(|offset| line_at(source, offset))
}

/// The line of the first `key = ...` assignment in the source: where a bad number was written.
pub(crate) fn line_of_key(source: &str, key: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}
