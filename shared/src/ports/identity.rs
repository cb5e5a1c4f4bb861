//! Who may sign in to the agent API: a port with a Cognito adapter (AWS: the user pool behind
//! the HttpApi JWT authorizer, one group per role) and an in-memory adapter (the local runner
//! and tests: API keys, kept only as SHA-256 digests).
//!
//! The Cognito adapter speaks the user pool's JSON API directly (SigV4 over the HTTP client the
//! Cloud API adapter uses) rather than through `aws-sdk-cognitoidentityprovider`: the five admin
//! calls it needs do not justify a crate of several hundred operations in every build.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The role names, which are also the Cognito group names.
pub const ROLES: [&str; 3] = ["agent", "supervisor", "admin"];

/// Someone to let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation<'a> {
    pub agent: &'a str,
    pub name: &'a str,
    /// Where Cognito sends the invitation (its temporary password); unused locally.
    pub email: Option<&'a str>,
    /// One of [`ROLES`].
    pub role: &'a str,
}

/// How the invited person signs in.
#[derive(Debug)]
pub enum Invited {
    /// Cognito e-mailed them the invitation with a temporary password.
    Emailed,
    /// Their API key: shown once, only its digest is kept.
    ApiKey(SecretString),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("a user {0} exists already")]
    Exists(String),
    #[error("there is no user {0}")]
    NotFound(String),
    #[error("the identity provider refused the request: {0}")]
    Rejected(String),
    #[error("the identity provider is unavailable ({0})")]
    Unavailable(String),
}

impl IdentityError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Sign-in accounts of agents.
#[async_trait]
pub trait Identity: Send + Sync {
    /// Whether an invitation needs an e-mail address (Cognito sends its invitation there).
    fn needs_email(&self) -> bool;

    /// Creates the account with the role; [`IdentityError::Exists`] if there is one.
    async fn invite(&self, invitation: &Invitation<'_>) -> Result<Invited, IdentityError>;

    /// The account's role (of [`ROLES`]); `None` if there is no account.
    async fn role(&self, agent: &str) -> Result<Option<String>, IdentityError>;

    /// Gives the account `role` instead of the one it has.
    async fn set_role(&self, agent: &str, role: &str) -> Result<(), IdentityError>;

    /// The account can no longer sign in; whatever it holds (keys, refresh tokens) is revoked.
    /// A missing or disabled account is fine (a repeated deactivation).
    async fn disable(&self, agent: &str) -> Result<(), IdentityError>;
}

/// One API key holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub agent: String,
    pub role: String,
}

/// API keys by digest, shared with the authenticator that checks them: an invited agent can
/// use their key at once, a disabled one no longer.
#[derive(Debug, Clone, Default)]
pub struct MemoryIdentity {
    keys: Arc<RwLock<HashMap<[u8; 32], KeyHolder>>>,
}

impl MemoryIdentity {
    pub fn new(keys: impl IntoIterator<Item = ([u8; 32], KeyHolder)>) -> Self {
        Self {
            keys: Arc::new(RwLock::new(keys.into_iter().collect())),
        }
    }

    /// Who holds the key with this digest.
    pub fn holder(&self, digest: &[u8; 32]) -> Option<KeyHolder> {
        self.read().get(digest).cloned()
    }

    /// How many keys are valid.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<[u8; 32], KeyHolder>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<[u8; 32], KeyHolder>> {
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A new API key: 32 random bytes from the operating system, hex.
fn new_key() -> Result<String, IdentityError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| IdentityError::Unavailable(format!("no randomness for a key: {e}")))?;
    Ok(format!("hk_{}", hex::encode(bytes)))
}

#[async_trait]
impl Identity for MemoryIdentity {
    fn needs_email(&self) -> bool {
        false
    }

    async fn invite(&self, invitation: &Invitation<'_>) -> Result<Invited, IdentityError> {
        let key = new_key()?;
        let mut keys = self.write();
        if keys.values().any(|h| h.agent == invitation.agent) {
            return Err(IdentityError::Exists(invitation.agent.to_owned()));
        }
        keys.insert(
            Sha256::digest(key.as_bytes()).into(),
            KeyHolder {
                agent: invitation.agent.to_owned(),
                role: invitation.role.to_owned(),
            },
        );
        Ok(Invited::ApiKey(SecretString::from(key)))
    }

    async fn role(&self, agent: &str) -> Result<Option<String>, IdentityError> {
        Ok(self
            .read()
            .values()
            .filter(|h| h.agent == agent)
            .map(|h| h.role.clone())
            .max_by_key(|r| ROLES.iter().position(|x| x == r)))
    }

    async fn set_role(&self, agent: &str, role: &str) -> Result<(), IdentityError> {
        let mut keys = self.write();
        let mut found = false;
        for holder in keys.values_mut().filter(|h| h.agent == agent) {
            holder.role = role.to_owned();
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(IdentityError::NotFound(agent.to_owned()))
        }
    }

    async fn disable(&self, agent: &str) -> Result<(), IdentityError> {
        self.write().retain(|_, h| h.agent != agent);
        Ok(())
    }
}

/// The Cognito user pool the HttpApi authorizer trusts.
pub struct CognitoIdentity {
    api: crate::ports::aws_json::AwsJsonApi,
    pool_id: String,
}

impl std::fmt::Debug for CognitoIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoIdentity")
            .field("region", &self.api.region())
            .field("pool_id", &self.pool_id)
            .finish_non_exhaustive()
    }
}

impl CognitoIdentity {
    /// Over the environment's credentials and region; the endpoint is
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` if set (an emulator), else the regional one.
    pub fn new(sdk: &aws_config::SdkConfig, pool_id: &str) -> Result<Self, IdentityError> {
        let api = crate::ports::aws_json::AwsJsonApi::new(
            sdk,
            "cognito-idp",
            "application/x-amz-json-1.1",
            &["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"],
            |region, _| format!("https://cognito-idp.{region}.amazonaws.com/"),
        )
        .map_err(|e| IdentityError::Rejected(e.to_string()))?;
        Ok(Self {
            api,
            pool_id: pool_id.to_owned(),
        })
    }

    /// One signed call of the user pool API (`AWSCognitoIdentityProviderService.<action>`).
    async fn call(&self, action: &str, mut body: Value) -> Result<Value, IdentityError> {
        use crate::ports::aws_json::AwsJsonFailure;
        body["UserPoolId"] = json!(self.pool_id);
        let target = format!("AWSCognitoIdentityProviderService.{action}");
        let (status, kind, message) = match self.api.call(&target, &body).await {
            Ok(answer) => return Ok(answer),
            Err(AwsJsonFailure::Unreachable(e)) => return Err(IdentityError::Unavailable(e)),
            Err(AwsJsonFailure::Local(e)) => return Err(IdentityError::Rejected(e)),
            Err(AwsJsonFailure::Service {
                status,
                kind,
                message,
            }) => (status, kind, message),
        };
        Err(match kind.as_str() {
            "UsernameExistsException" | "AliasExistsException" => IdentityError::Exists(message),
            "UserNotFoundException" => IdentityError::NotFound(message),
            "TooManyRequestsException" | "InternalErrorException" | "LimitExceededException" => {
                IdentityError::Unavailable(format!("{action}: {kind}"))
            }
            _ if status >= 500 => IdentityError::Unavailable(format!("{action}: {status}")),
            _ => IdentityError::Rejected(format!("{action}: {kind} {message}")),
        })
    }
}

#[async_trait]
impl Identity for CognitoIdentity {
    fn needs_email(&self) -> bool {
        true
    }

    async fn invite(&self, invitation: &Invitation<'_>) -> Result<Invited, IdentityError> {
        let email = invitation
            .email
            .ok_or_else(|| IdentityError::Rejected("an invitation needs an e-mail".into()))?;
        self.call(
            "AdminCreateUser",
            json!({
                "Username": invitation.agent,
                "UserAttributes": [
                    { "Name": "email", "Value": email },
                    { "Name": "email_verified", "Value": "true" },
                    { "Name": "name", "Value": invitation.name },
                ],
                "DesiredDeliveryMediums": ["EMAIL"],
            }),
        )
        .await?;
        self.set_role(invitation.agent, invitation.role).await?;
        Ok(Invited::Emailed)
    }

    async fn role(&self, agent: &str) -> Result<Option<String>, IdentityError> {
        let groups = match self
            .call("AdminListGroupsForUser", json!({ "Username": agent }))
            .await
        {
            Ok(answer) => answer,
            Err(IdentityError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(groups["Groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["GroupName"].as_str())
            .filter_map(|g| ROLES.iter().position(|r| *r == g))
            .max()
            .map(|i| ROLES[i].to_owned())
            .or_else(|| Some(ROLES[0].to_owned())))
    }

    async fn set_role(&self, agent: &str, role: &str) -> Result<(), IdentityError> {
        self.call(
            "AdminAddUserToGroup",
            json!({ "Username": agent, "GroupName": role }),
        )
        .await?;
        // The highest group is the role (see `auth`): leave the other role groups.
        for other in ROLES.iter().filter(|r| **r != role) {
            self.call(
                "AdminRemoveUserFromGroup",
                json!({ "Username": agent, "GroupName": other }),
            )
            .await?;
        }
        Ok(())
    }

    async fn disable(&self, agent: &str) -> Result<(), IdentityError> {
        for action in ["AdminDisableUser", "AdminUserGlobalSignOut"] {
            match self.call(action, json!({ "Username": agent })).await {
                Ok(_) | Err(IdentityError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The key an invitation showed, for the one response that carries it.
pub fn shown_key(invited: &Invited) -> Option<&str> {
    match invited {
        Invited::ApiKey(key) => Some(key.expose_secret()),
        Invited::Emailed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation<'a>(agent: &'a str, role: &'a str) -> Invitation<'a> {
        Invitation {
            agent,
            name: "Nina",
            email: None,
            role,
        }
    }

    #[tokio::test]
    async fn an_invited_key_works_until_the_agent_is_disabled_and_only_its_digest_is_kept() {
        let ids = MemoryIdentity::default();
        let invited = ids.invite(&invitation("nina", "agent")).await.unwrap();
        let key = shown_key(&invited).unwrap().to_owned();
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        assert_eq!(ids.holder(&digest).unwrap().agent, "nina");
        assert!(
            !format!("{ids:?}").contains(&key),
            "the key itself is not kept"
        );
        assert_eq!(
            ids.invite(&invitation("nina", "agent")).await.unwrap_err(),
            IdentityError::Exists("nina".into())
        );
        ids.set_role("nina", "supervisor").await.unwrap();
        assert_eq!(
            ids.role("nina").await.unwrap().as_deref(),
            Some("supervisor")
        );
        ids.disable("nina").await.unwrap();
        assert_eq!(ids.holder(&digest), None);
        ids.disable("nina").await.unwrap();
    }

    #[tokio::test]
    async fn two_invitations_get_different_keys() {
        let ids = MemoryIdentity::default();
        let a = ids.invite(&invitation("a", "agent")).await.unwrap();
        let b = ids.invite(&invitation("b", "agent")).await.unwrap();
        assert_ne!(shown_key(&a), shown_key(&b));
        assert_eq!(shown_key(&a).unwrap().len(), 67);
    }
}
