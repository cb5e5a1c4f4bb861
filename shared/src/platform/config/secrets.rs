use secrecy::SecretString;

use super::{ConfigError, Env};

const SSM_PREFIX: &str = "ssm:";

impl Env {
    pub(super) fn secret(&self, name: &'static str) -> Result<SecretValue, ConfigError> {
        let raw = self.required(name)?;
        if raw.trim() != raw {
            return Err(ConfigError::invalid(
                name,
                "has leading or trailing white space",
            ));
        }
        match raw.strip_prefix(SSM_PREFIX) {
            Some("") => Err(ConfigError::invalid(
                name,
                "names no SSM parameter after `ssm:`",
            )),
            Some(parameter) => Ok(SecretValue::Ssm {
                name,
                parameter: parameter.to_owned(),
            }),
            None => Ok(SecretValue::Plain(SecretString::from(raw.to_owned()))),
        }
    }
}

/// A secret as configured: the value itself, or where to fetch it.
#[derive(Debug, Clone)]
pub enum SecretValue {
    Plain(SecretString),
    Ssm {
        name: &'static str,
        parameter: String,
    },
}

impl SecretValue {
    /// The secret, fetching it from SSM if it is a reference.
    pub async fn resolve(
        self,
        ssm: Option<&aws_sdk_ssm::Client>,
    ) -> Result<SecretString, ConfigError> {
        let (name, parameter) = match self {
            Self::Plain(s) => return Ok(s),
            Self::Ssm { name, parameter } => (name, parameter),
        };
        let fail = |reason: String| ConfigError::Secret {
            name,
            parameter: parameter.clone(),
            reason,
        };
        let ssm = ssm.ok_or_else(|| fail("no AWS configuration to reach SSM".into()))?;
        let out = ssm
            .get_parameter()
            .name(&parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| fail(aws_sdk_ssm::error::DisplayErrorContext(&e).to_string()))?;
        let value = out
            .parameter
            .and_then(|p| p.value)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| fail("the parameter has no value".into()))?;
        Ok(SecretString::from(value))
    }

    pub fn is_reference(&self) -> bool {
        matches!(self, Self::Ssm { .. })
    }
}
