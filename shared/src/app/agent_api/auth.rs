//! Who is calling the agent API. In AWS the HttpApi JWT authorizer (Cognito) has verified the
//! token before the function runs; the function reads the verified claims. Locally and in tests
//! callers present API keys from configuration (only their SHA-256 digests are kept).

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ports::identity::{KeyHolder, MemoryIdentity};

pub use crate::domain::agent::Role;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub agent: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    #[error("HELPDESK_API_KEYS entry {index}: {problem}")]
    Invalid { index: usize, problem: String },
}

/// How callers prove who they are.
#[derive(Clone)]
pub enum Authenticator {
    /// Behind API Gateway's JWT authorizer: the agent id is the `username` (or
    /// `cognito:username`) claim, the role the highest of the `cognito:groups`.
    Jwt,
    /// `Authorization: Bearer <key>`; keys by SHA-256 digest, shared with the agent API's
    /// identity port so keys of invited agents work at once and those of deactivated ones stop.
    ApiKeys(MemoryIdentity),
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Jwt => f.write_str("Jwt"),
            // Digests only, and not even those in logs.
            Self::ApiKeys(keys) => write!(f, "ApiKeys({} keys)", keys.len()),
        }
    }
}

impl Authenticator {
    /// Keys from `agent:role:sha256hex` entries separated by commas or new lines (the form of
    /// `HELPDESK_API_KEYS`): the plain keys never need to be stored.
    pub fn api_keys(spec: &str) -> Result<Self, AuthConfigError> {
        let mut keys = HashMap::new();
        for (index, entry) in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let invalid = |problem: &str| AuthConfigError::Invalid {
                index,
                problem: problem.to_owned(),
            };
            let mut parts = entry.split(':');
            let (Some(agent), Some(role), Some(digest), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid("expected agent:role:sha256-hex"));
            };
            if agent.is_empty() || agent.len() > 64 {
                return Err(invalid("the agent id needs 1-64 characters"));
            }
            let role = Role::parse(role)
                .ok_or_else(|| invalid("role must be agent, supervisor or admin"))?;
            let digest: [u8; 32] = hex::decode(digest)
                .ok()
                .and_then(|d| d.try_into().ok())
                .ok_or_else(|| invalid("the digest must be 64 hex digits (SHA-256 of the key)"))?;
            keys.insert(
                digest,
                KeyHolder {
                    agent: agent.to_owned(),
                    role: role.as_str().to_owned(),
                },
            );
        }
        Ok(Self::ApiKeys(MemoryIdentity::new(keys)))
    }

    /// Keys given in plain text (the local runner's demo keys).
    pub fn plain_keys<'a>(keys: impl IntoIterator<Item = (&'a str, Caller)>) -> Self {
        Self::ApiKeys(MemoryIdentity::new(keys.into_iter().map(
            |(key, caller)| {
                (
                    digest(key),
                    KeyHolder {
                        agent: caller.agent,
                        role: caller.role.as_str().to_owned(),
                    },
                )
            },
        )))
    }

    /// The key directory behind API keys (the local identity port); `None` behind Cognito.
    pub fn key_directory(&self) -> Option<MemoryIdentity> {
        match self {
            Self::Jwt => None,
            Self::ApiKeys(keys) => Some(keys.clone()),
        }
    }

    /// The caller, from the `Authorization` header or the verified JWT claims.
    pub fn caller(
        &self,
        authorization: Option<&str>,
        claims: Option<&HashMap<String, String>>,
    ) -> Option<Caller> {
        match self {
            Self::Jwt => {
                let claims = claims?;
                let agent = claims
                    .get("username")
                    .or_else(|| claims.get("cognito:username"))
                    .filter(|a| !a.is_empty())?;
                let role = claims
                    .get("cognito:groups")
                    .and_then(|g| groups(g).iter().filter_map(|n| Role::parse(n)).max())
                    .unwrap_or(Role::Agent);
                Some(Caller {
                    agent: agent.clone(),
                    role,
                })
            }
            Self::ApiKeys(keys) => {
                let key = authorization?.strip_prefix("Bearer ")?.trim();
                if key.is_empty() {
                    return None;
                }
                let holder = keys.holder(&digest(key))?;
                Some(Caller {
                    agent: holder.agent,
                    role: Role::parse(&holder.role).unwrap_or(Role::Agent),
                })
            }
        }
    }
}

/// The group names of a `cognito:groups` claim, each whole, in whichever form API Gateway passes
/// it: a JSON array (`["agent","team-admin"]`), HttpApi's flattened array (`[agent team-admin]`),
/// a comma list (`agent, team-admin`) or one name. A name is only ever compared whole: the group
/// `team-admin` is not `admin`.
pub fn groups(claim: &str) -> Vec<String> {
    let claim = claim.trim();
    if let Ok(names) = serde_json::from_str::<Vec<String>>(claim) {
        return names.into_iter().map(|n| n.trim().to_owned()).collect();
    }
    let inner = claim
        .strip_prefix('[')
        .and_then(|c| c.strip_suffix(']'))
        .unwrap_or(claim);
    inner
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|n| n.trim_matches(|c: char| c == '"' || c == '\''))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// SHA-256 of a key: what `HELPDESK_API_KEYS` holds.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_is_known_by_its_digest_only() {
        let spec = format!(
            "maria:supervisor:{},\n tom:agent:{}",
            hex::encode(digest("key-maria")),
            hex::encode(digest("key-tom"))
        );
        let auth = Authenticator::api_keys(&spec).unwrap();
        let maria = auth.caller(Some("Bearer key-maria"), None).unwrap();
        assert_eq!(
            (maria.agent.as_str(), maria.role),
            ("maria", Role::Supervisor)
        );
        assert_eq!(
            auth.caller(Some("Bearer key-tom"), None).unwrap().role,
            Role::Agent
        );
        assert_eq!(auth.caller(Some("Bearer wrong"), None), None);
        assert_eq!(
            auth.caller(Some("key-tom"), None),
            None,
            "the scheme is required"
        );
        assert_eq!(auth.caller(None, None), None);
        assert!(!format!("{auth:?}").contains(&hex::encode(digest("key-tom"))));
    }

    #[test]
    fn bad_key_entries_name_the_entry() {
        for spec in ["maria:boss:00", "maria:agent:zz", "maria", ":agent:00"] {
            assert!(Authenticator::api_keys(spec).is_err(), "{spec}");
        }
    }

    #[test]
    fn jwt_claims_give_the_agent_and_the_highest_group() {
        let claims: HashMap<String, String> = [
            ("username".to_owned(), "maria".to_owned()),
            ("cognito:groups".to_owned(), "[agent supervisor]".to_owned()),
        ]
        .into();
        let caller = Authenticator::Jwt.caller(None, Some(&claims)).unwrap();
        assert_eq!(caller.role, Role::Supervisor);
        let plain: HashMap<String, String> =
            [("cognito:username".to_owned(), "tom".to_owned())].into();
        assert_eq!(
            Authenticator::Jwt.caller(None, Some(&plain)).unwrap().role,
            Role::Agent
        );
        assert_eq!(Authenticator::Jwt.caller(Some("Bearer x"), None), None);
    }

    fn role_of(groups: &str) -> Role {
        let claims: HashMap<String, String> = [
            ("username".to_owned(), "nina".to_owned()),
            ("cognito:groups".to_owned(), groups.to_owned()),
        ]
        .into();
        Authenticator::Jwt.caller(None, Some(&claims)).unwrap().role
    }

    #[test]
    fn a_group_that_only_contains_a_role_name_grants_nothing() {
        for claim in [
            "[team-admin]",
            "[agent team-admin]",
            r#"["agent","team-admin"]"#,
            "agent,team-admin",
            "team-admin",
            "admin-readonly",
            "[supervisors]",
            "[not_supervisor]",
            "admin.team",
        ] {
            assert_eq!(role_of(claim), Role::Agent, "{claim}");
        }
    }

    #[test]
    fn the_groups_claim_is_read_in_every_shape_api_gateway_passes() {
        for claim in [
            "[agent admin]",
            "[admin]",
            r#"["agent","admin"]"#,
            r#"[ "admin" ]"#,
            "agent,admin",
            "agent, admin",
            "admin",
        ] {
            assert_eq!(role_of(claim), Role::Admin, "{claim}");
        }
        assert_eq!(role_of("[supervisor team-admin]"), Role::Supervisor);
        assert_eq!(role_of("[]"), Role::Agent);
        assert_eq!(role_of(""), Role::Agent);
        assert_eq!(groups(r#"["agent","team-admin"]"#), ["agent", "team-admin"]);
        assert_eq!(groups("[agent team-admin]"), ["agent", "team-admin"]);
    }
}
