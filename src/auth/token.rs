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
    /// Expiry (seconds since the epoch); required. At most `TOUCHPOINTS_JWT_MAX_TTL_S` (24 h by
    /// default) after `iat`, or after now when the token has no `iat`.
    pub exp: i64,
    /// Issued at (seconds since the epoch); not in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before (seconds since the epoch); a token is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
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
    max_ttl_s: i64,
}

/// `TOUCHPOINTS_JWT_MAX_TTL_S`'s default: a token lives at most a working day.
pub const DEFAULT_MAX_TTL_S: i64 = 24 * 3600;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_S: i64 = 30;

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("algorithm", &self.key.as_ref().map(|(_, a)| *a))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("max_ttl_s", &self.max_ttl_s)
            .finish()
    }
}

impl AuthConfig {
    /// No key at all: every protected endpoint answers 401.
    pub fn disabled() -> Self {
        AuthConfig {
            key: None,
            secret: None,
            issuer: None,
            audience: None,
            max_ttl_s: DEFAULT_MAX_TTL_S,
        }
    }

    pub fn hs256(secret: &[u8]) -> Self {
        AuthConfig {
            key: Some((DecodingKey::from_secret(secret), Algorithm::HS256)),
            secret: Some(secret.to_vec()),
            issuer: None,
            audience: None,
            max_ttl_s: DEFAULT_MAX_TTL_S,
        }
    }

    /// A PEM public key: RSA (RS256) or Ed25519 (EdDSA).
    pub fn public_key_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let key = if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
            (k, Algorithm::RS256)
        } else {
            (DecodingKey::from_ed_pem(pem).map_err(|e| anyhow::anyhow!("TOUCHPOINTS_JWT_PUBLIC_KEY is neither an RSA nor an Ed25519 public key: {e}"))?, Algorithm::EdDSA)
        };
        Ok(AuthConfig {
            key: Some(key),
            secret: None,
            issuer: None,
            audience: None,
            max_ttl_s: DEFAULT_MAX_TTL_S,
        })
    }

    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self
    }

    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    /// The longest lifetime a token may claim, in seconds.
    pub fn with_max_ttl(mut self, seconds: i64) -> Self {
        self.max_ttl_s = seconds.max(1);
        self
    }

    /// From `TOUCHPOINTS_JWT_PUBLIC_KEY` (a PEM file) or `TOUCHPOINTS_JWT_SECRET`, plus the optional
    /// `TOUCHPOINTS_JWT_ISSUER`, `TOUCHPOINTS_JWT_AUDIENCE` and `TOUCHPOINTS_JWT_MAX_TTL_S`.
    /// An empty variable counts as unset (docker compose passes `${VAR:-}` through as "").
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let base = if let Some(path) = var("TOUCHPOINTS_JWT_PUBLIC_KEY") {
            let pem = std::fs::read(&path)
                .map_err(|e| anyhow::anyhow!("TOUCHPOINTS_JWT_PUBLIC_KEY={path}: {e}"))?;
            Self::public_key_pem(&pem)?
        } else if let Some(secret) = var("TOUCHPOINTS_JWT_SECRET") {
            anyhow::ensure!(
                secret.len() >= 16,
                "TOUCHPOINTS_JWT_SECRET must have at least 16 characters"
            );
            Self::hs256(secret.as_bytes())
        } else {
            tracing::warn!("neither TOUCHPOINTS_JWT_SECRET nor TOUCHPOINTS_JWT_PUBLIC_KEY is set: no token can be verified, so every /api/v1 call that needs one answers 401, reads of the internal API included; only the public API (/api/v1/public/...), the catalogs, /health, /ready and the spec answer");
            Self::disabled()
        };
        let max_ttl = match var("TOUCHPOINTS_JWT_MAX_TTL_S") {
            Some(v) => v.parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                anyhow::anyhow!("TOUCHPOINTS_JWT_MAX_TTL_S={v:?}: a positive number of seconds")
            })?,
            None => DEFAULT_MAX_TTL_S,
        };
        Ok(base
            .with_issuer(var("TOUCHPOINTS_JWT_ISSUER"))
            .with_audience(var("TOUCHPOINTS_JWT_AUDIENCE"))
            .with_max_ttl(max_ttl))
    }

    pub fn verify(&self, token: &str) -> Result<User, ApiError> {
        let (key, alg) = self
            .key
            .as_ref()
            .ok_or_else(|| unauthorized("authentication is not configured on this server"))?;
        let mut validation = Validation::new(*alg);
        validation.leeway = LEEWAY_S as u64;
        validation.validate_nbf = true;
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
        let data = decode::<Claims>(token, key, &validation).map_err(|e| {
            // the client learns what to do, not the library's internals (those go to the log)
            tracing::debug!(error = %e, "token refused");
            use jsonwebtoken::errors::ErrorKind;
            unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    "the token was not issued for this service"
                }
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                _ => "the token is invalid",
            })
        })?;
        let c = data.claims;
        lifetime_ok(&c, chrono::Utc::now().timestamp(), self.max_ttl_s)?;
        let roles: BTreeSet<Role> = c.roles.iter().copied().collect();
        if roles.is_empty() {
            return Err(unauthorized("the token grants no role"));
        }
        if c.agency_id.is_none() && !roles.contains(&Role::Admin) {
            return Err(unauthorized(
                "the token names no agency_id (only an admin may have none)",
            ));
        }
        Ok(User {
            name: c.name.unwrap_or_default(),
            sub: c.sub,
            roles,
            agency_id: c.agency_id,
            unit_id: c.unit_id,
        })
    }

    /// The longest lifetime a token may claim.
    pub fn max_ttl_s(&self) -> i64 {
        self.max_ttl_s
    }

    /// Mints an HS256 token with the configured secret (development and tests).
    pub fn mint(&self, claims: &Claims) -> anyhow::Result<String> {
        let secret = self
            .secret
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("minting needs TOUCHPOINTS_JWT_SECRET"))?;
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret),
        )?)
    }
}

/// A token may not claim to be issued in the future nor to live longer than `max_ttl_s`,
/// counted from `iat` or, without one, from `now`.
pub fn lifetime_ok(c: &Claims, now: i64, max_ttl_s: i64) -> Result<(), ApiError> {
    if let Some(iat) = c.iat {
        if iat > now + LEEWAY_S {
            return Err(unauthorized("the token is issued in the future (iat)"));
        }
    }
    let from = c.iat.unwrap_or(now);
    if c.exp.saturating_sub(from) > max_ttl_s + LEEWAY_S {
        return Err(unauthorized(format!(
            "the token lives longer than this server accepts ({max_ttl_s} s)"
        )));
    }
    Ok(())
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
            iat: None,
            nbf: None,
            iss: None,
            aud: None,
        }
    }

    #[test]
    fn nbf_iat_and_lifetime_are_enforced() {
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret").with_max_ttl(3600);
        let now = chrono::Utc::now().timestamp();
        let mut c = claims(1800);
        c.nbf = Some(now + 600);
        assert!(
            cfg.verify(&cfg.mint(&c).unwrap()).is_err(),
            "nbf in the future"
        );
        c.nbf = Some(now - 10);
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_ok());
        c.iat = Some(now + 365 * 86400);
        assert!(
            cfg.verify(&cfg.mint(&c).unwrap()).is_err(),
            "iat a year ahead"
        );
        let mut c = claims(0);
        c.exp = 1_000_000_000_000_000;
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_err(), "exp = 10^15");
        let mut c = claims(3600);
        c.iat = Some(now - 3000);
        assert!(
            cfg.verify(&cfg.mint(&c).unwrap()).is_err(),
            "exp - iat is over the maximum"
        );
        c.iat = Some(now - 60);
        c.exp = now + 3000;
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_ok());
        assert!(
            cfg.verify(&cfg.mint(&claims(7200)).unwrap()).is_err(),
            "no iat: counted from now"
        );
    }

    #[test]
    fn refusals_do_not_quote_the_library() {
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret");
        for (t, want) in [
            ("not.a.token".to_owned(), "the token is invalid"),
            (cfg.mint(&claims(-3600)).unwrap(), "the token has expired"),
            (
                AuthConfig::hs256(b"another-secret-0123456789")
                    .mint(&claims(60))
                    .unwrap(),
                "the token is invalid",
            ),
        ] {
            match cfg.verify(&t) {
                Err(ApiError::Client { detail, .. }) => assert_eq!(detail, want),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn accepts_its_own_tokens_and_refuses_others() {
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret");
        let t = cfg.mint(&claims(3600)).unwrap();
        assert_eq!(cfg.verify(&t).unwrap().name, "Иванова");
        let other = AuthConfig::hs256(b"another-secret-0123456789");
        assert!(other.verify(&t).is_err(), "wrong key");
        assert!(
            cfg.verify(&cfg.mint(&claims(-3600)).unwrap()).is_err(),
            "expired"
        );
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
        let cfg = AuthConfig::hs256(b"0123456789abcdef-secret")
            .with_issuer(Some("idp.e-dag.ru".into()))
            .with_audience(Some("touchpoints".into()));
        let mut c = claims(3600);
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_err(), "no iss/aud");
        c.iss = Some("idp.e-dag.ru".into());
        c.aud = Some("touchpoints".into());
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_ok());
        c.aud = Some("someone-else".into());
        assert!(cfg.verify(&cfg.mint(&c).unwrap()).is_err());
    }
}
