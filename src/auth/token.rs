//! Verifying (and, for development, minting) JWTs.

use std::collections::BTreeSet;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{unauthorized, Role, User};
use crate::error::ApiError;

/// The claims the service reads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "sub": "ivanova", "name": "Иванова А.П.", "roles": ["submitter"],
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10", "unit_id": null, "exp": 1893456000
}))]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Display name, shown in the history.
    #[serde(default)]
    pub name: Option<String>,
    /// Any of `submitter`, `approver`, `publisher`, `admin`.
    pub roles: Vec<Role>,
    /// The agency or subordinate organization the user works for; absent only for `admin`.
    #[serde(default)]
    pub agency_id: Option<Uuid>,
    /// A submitter with a unit may edit only that unit's processes and touchpoints.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    /// Expiry (seconds since the epoch); required.
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// How tokens are verified: HS256 with a shared secret, or RS256/EdDSA with a public key.
#[derive(Clone)]
pub struct AuthConfig {
    key: Option<(DecodingKey, Algorithm)>,
    secret: Option<Vec<u8>>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("algorithm", &self.key.as_ref().map(|(_, a)| *a))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl AuthConfig {
    /// No key at all: every protected endpoint answers 401.
    pub fn disabled() -> Self {
        AuthConfig { key: None, secret: None, issuer: None, audience: None }
    }

    pub fn hs256(secret: &[u8]) -> Self {
        AuthConfig { key: Some((DecodingKey::from_secret(secret), Algorithm::HS256)), secret: Some(secret.to_vec()), issuer: None, audience: None }
    }

    /// A PEM public key: RSA (RS256) or Ed25519 (EdDSA).
    pub fn public_key_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let key = if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
            (k, Algorithm::RS256)
        } else {
            (DecodingKey::from_ed_pem(pem).map_err(|e| anyhow::anyhow!("TOUCHPOINTS_JWT_PUBLIC_KEY is neither an RSA nor an Ed25519 public key: {e}"))?, Algorithm::EdDSA)
        };
        Ok(AuthConfig { key: Some(key), secret: None, issuer: None, audience: None })
    }

    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self
    }

    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    /// From `TOUCHPOINTS_JWT_PUBLIC_KEY` (a PEM file) or `TOUCHPOINTS_JWT_SECRET`, plus the optional
    /// `TOUCHPOINTS_JWT_ISSUER` and `TOUCHPOINTS_JWT_AUDIENCE`.
    /// An empty variable counts as unset (docker compose passes `${VAR:-}` through as "").
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let base = if let Some(path) = var("TOUCHPOINTS_JWT_PUBLIC_KEY") {
            let pem = std::fs::read(&path).map_err(|e| anyhow::anyhow!("TOUCHPOINTS_JWT_PUBLIC_KEY={path}: {e}"))?;
            Self::public_key_pem(&pem)?
        } else if let Some(secret) = var("TOUCHPOINTS_JWT_SECRET") {
            anyhow::ensure!(secret.len() >= 16, "TOUCHPOINTS_JWT_SECRET must have at least 16 characters");
            Self::hs256(secret.as_bytes())
        } else {
            tracing::warn!("neither TOUCHPOINTS_JWT_SECRET nor TOUCHPOINTS_JWT_PUBLIC_KEY is set: every write answers 401");
            Self::disabled()
        };
        Ok(base
            .with_issuer(var("TOUCHPOINTS_JWT_ISSUER"))
            .with_audience(var("TOUCHPOINTS_JWT_AUDIENCE")))
    }

    pub fn verify(&self, token: &str) -> Result<User, ApiError> {
        let (key, alg) = self.key.as_ref().ok_or_else(|| unauthorized("authentication is not configured on this server"))?;
        let mut validation = Validation::new(*alg);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp"]);
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
            validation.set_required_spec_claims(&["exp", "iss"]);
        }
        match &self.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                let mut req = vec!["exp", "aud"];
                if self.issuer.is_some() {
                    req.push("iss");
                }
                validation.set_required_spec_claims(&req);
            }
            None => validation.validate_aud = false,
        }
        let data = decode::<Claims>(token, key, &validation).map_err(|e| unauthorized(format!("invalid token: {e}")))?;
        let c = data.claims;
        let roles: BTreeSet<Role> = c.roles.iter().copied().collect();
        if roles.is_empty() {
            return Err(unauthorized("the token grants no role"));
        }
        if c.agency_id.is_none() && !roles.contains(&Role::Admin) {
            return Err(unauthorized("the token names no agency_id (only an admin may have none)"));
        }
        Ok(User { name: c.name.unwrap_or_default(), sub: c.sub, roles, agency_id: c.agency_id, unit_id: c.unit_id })
    }

    /// Mints an HS256 token with the configured secret (development and tests).
    pub fn mint(&self, claims: &Claims) -> anyhow::Result<String> {
        let secret = self.secret.as_ref().ok_or_else(|| anyhow::anyhow!("minting needs TOUCHPOINTS_JWT_SECRET"))?;
        Ok(encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp_in: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            name: Some("Иванова".into()),
            roles: vec![Role::Submitter],
            agency_id: Some(Uuid::new_v4()),
            unit_id: None,
            exp: chrono::Utc::now().timestamp() + exp_in,
            iss: None,
            aud: None,
        }
    }

    #[test]
    fn accepts_its_own_tokens_and_refuses_others() {
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret");
        let t = cfg.mint(&claims(3600)).unwrap();
        assert_eq!(cfg.verify(&t).unwrap().name, "Иванова");
        let other = AuthConfig::hs256(b"another-secret-0123456789");
        assert!(other.verify(&t).is_err(), "wrong key");
        assert!(cfg.verify(&cfg.mint(&claims(-3600)).unwrap()).is_err(), "expired");
        assert!(cfg.verify("not.a.token").is_err());
        assert!(AuthConfig::disabled().verify(&t).is_err());
    }

    #[test]
    fn refuses_alg_none() {
        use base64::Engine;
        let b64 = |data: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret");
        let body = serde_json::to_vec(&claims(3600)).unwrap();
        let t = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(&body));
        assert!(cfg.verify(&t).is_err());
    }

    #[test]
    fn issuer_and_audience_are_enforced_when_set() {
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret").with_issuer(Some("idp.e-dag.ru".into())).with_audience(Some("touchpoints".into()));
        let mut c = claims(3600);
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_err(), "no iss/aud");
        c.iss = Some("idp.e-dag.ru".into());
        c.aud = Some("touchpoints".into());
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_ok());
        c.aud = Some("someone-else".into());
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_err());
    }
}
