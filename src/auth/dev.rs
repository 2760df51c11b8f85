//! Development tokens: what `touchpoints token` and `touchpoints demo-tokens` print, and what
//! `serve --demo` prints once when it had to generate a secret. Tokens are minted with the
//! HS256 secret the server verifies with; a region's identity provider replaces all of this.

use diesel::prelude::*;
use uuid::Uuid;

use super::{AuthConfig, Claims, Role};
use crate::schema::agencies;

/// A token for `sub` with the display name and roles, valid `hours` from now. The issuer and
/// audience the server enforces are taken from `TOUCHPOINTS_JWT_ISSUER` / `_AUDIENCE`.
pub fn mint(
    secret: &str,
    sub: &str,
    name: &str,
    roles: Vec<Role>,
    agency_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    hours: i64,
) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let claims = Claims {
        sub: sub.to_owned(),
        name: (!name.is_empty()).then(|| name.to_owned()),
        roles,
        agency_id,
        unit_id,
        iat: Some(now),
        nbf: None,
        exp: now + hours * 3600,
        iss: var("TOUCHPOINTS_JWT_ISSUER"),
        aud: var("TOUCHPOINTS_JWT_AUDIENCE"),
    };
    AuthConfig::hs256(secret.as_bytes()).mint(&claims)
}

/// The role's name in a development token's display name.
fn label(role: Role) -> &'static str {
    match role {
        Role::Submitter => "исполнитель",
        Role::Approver => "согласующий",
        Role::Publisher => "публикующий",
        Role::Admin => "администратор",
    }
}

/// An admin token, then for every top-level agency (in name order) a submitter's, an
/// approver's and a publisher's token, as lines a person can read and copy.
pub fn demo_tokens(conn: &mut PgConnection, secret: &str, hours: i64) -> anyhow::Result<String> {
    let list: Vec<(Uuid, String, Option<String>)> = agencies::table
        .filter(agencies::parent_id.is_null())
        .order((agencies::name, agencies::id))
        .select((agencies::id, agencies::name, agencies::short_name))
        .load(conn)?;
    let mut out = format!(
        "admin (every agency), valid {hours} h:\n  {}\n",
        mint(
            secret,
            "demo-admin",
            "Демо: администратор",
            vec![Role::Admin],
            None,
            None,
            hours
        )?
    );
    for (i, (id, name, short)) in list.iter().enumerate() {
        let shown = short.as_deref().unwrap_or(name);
        out.push_str(&format!("{shown} ({id}):\n"));
        for role in [Role::Submitter, Role::Approver, Role::Publisher] {
            let sub = format!("demo-{}-{}", i + 1, role.as_str());
            let person = format!("Демо: {} ({shown})", label(role));
            let token = mint(secret, &sub, &person, vec![role], Some(*id), None, hours)?;
            out.push_str(&format!("  {:<10} {token}\n", role.as_str()));
        }
    }
    Ok(out)
}

/// A random HS256 secret for one development run.
pub fn generated_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}
