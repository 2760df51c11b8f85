//! The append-only audit log: every edit of the register, every transition and remark.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::User;
use crate::error::ApiResult;
use crate::schema::audit_log;

pub struct Entry<'a> {
    pub agency_id: Uuid,
    pub revision_id: Option<Uuid>,
    pub entity: &'a str,
    pub entity_id: String,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

pub fn record(conn: &mut PgConnection, user: &User, e: Entry<'_>) -> ApiResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::agency_id.eq(e.agency_id),
            audit_log::revision_id.eq(e.revision_id),
            audit_log::entity.eq(e.entity),
            audit_log::entity_id.eq(e.entity_id),
            audit_log::action.eq(e.action),
            audit_log::actor.eq(&user.sub),
            audit_log::actor_name.eq(user.display()),
            audit_log::before.eq(e.before),
            audit_log::after.eq(e.after),
        ))
        .execute(conn)?;
    Ok(())
}
