//! Editing the working copy: the one path every change of what a register shows takes — a
//! process, a touchpoint, an imported row, and the changes made outside them that the form
//! prints all the same: a direction's name (column 2), a unit's name, the agency's heading, the
//! agency's channel rule (column 6 where the agency left it empty). [`edit_working_copy`] checks
//! the caller may edit every part the change touches, then `If-Match`, then opens or joins the
//! agency's revision (reopening a returned part and clearing the curator's agreement of every
//! touched part; 409 `locked` while a touched part is submitted or accepted or the revision is
//! being approved), makes the change, and writes it to the revision's history with its before
//! and after. Nothing can skip a step.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::db::begin_edit;
use crate::auth::User;
use crate::error::ApiResult;
use crate::http::etag::IfMatch;
use crate::schema::processes;
use crate::schema_views::touchpoint_rows;

/// The parts (units; `None` = the agency's own part) a change touches.
pub type Parts = Vec<Option<Uuid>>;

/// What a change is, for the checks and the history.
pub struct Change<'a> {
    pub agency_id: Uuid,
    /// Every part whose rows the change touches; none: it changes no row (nothing to review,
    /// recorded without a revision).
    pub parts: Parts,
    /// `process`, `touchpoint`, `direction`, `unit`, `agency`, `channel_rule`.
    pub entity: &'a str,
    /// The entity's id; `None` for a creation (taken from the created value's `id`).
    pub entity_id: Option<String>,
    /// `create`, `update`, `delete`, `import`.
    pub action: &'a str,
}

/// Makes `change` through the steps above. `precondition` is the client's `If-Match` and the
/// row's version as loaded (after the caller locked it); `before` is the row as loaded.
pub fn edit_working_copy<B: Serialize, A: Serialize>(
    conn: &mut PgConnection,
    user: &User,
    change: Change<'_>,
    precondition: Option<(&IfMatch, DateTime<Utc>)>,
    before: Option<&B>,
    apply: impl FnOnce(&mut PgConnection) -> ApiResult<A>,
) -> ApiResult<A> {
    // rights first: no 412 (and no ETag) to someone without access
    for unit in &change.parts {
        user.require_editor(change.agency_id, *unit)?;
    }
    if let Some((if_match, version)) = precondition {
        if_match.check(version)?;
    }
    let revision_id = if change.parts.is_empty() {
        None
    } else {
        Some(begin_edit(conn, user, change.agency_id, &change.parts)?)
    };
    let after = apply(conn)?;
    let after_json = audit::json(&after).filter(|v| !v.is_null());
    let entity_id = change
        .entity_id
        .or_else(|| after_json.as_ref()?.get("id")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: change.agency_id,
            revision_id,
            entity: change.entity,
            entity_id,
            action: change.action,
            before: before.and_then(audit::json),
            after: after_json,
        },
    )?;
    Ok(after)
}

/// The agency's parts whose column 2 prints this direction's name (processes that word their
/// direction themselves keep their wording and are not touched).
pub fn parts_naming_direction(
    conn: &mut PgConnection,
    agency_id: Uuid,
    direction_id: Uuid,
) -> ApiResult<Parts> {
    Ok(processes::table
        .filter(processes::agency_id.eq(agency_id))
        .filter(processes::direction_id.eq(direction_id))
        .filter(processes::direction_label.is_null())
        .select(processes::unit_id)
        .distinct()
        .load(conn)?)
}

/// The parts that have processes of this unit (a unit's name is printed with its rows).
pub fn parts_of_unit(conn: &mut PgConnection, unit_id: Uuid) -> ApiResult<Parts> {
    let any: Option<Uuid> = processes::table
        .filter(processes::unit_id.eq(unit_id))
        .select(processes::id)
        .first(conn)
        .optional()?;
    Ok(if any.is_some() {
        vec![Some(unit_id)]
    } else {
        Vec::new()
    })
}

/// The parts with touchpoints of `channel` in the agency: those whose column 6 follows the
/// agency's rule for that channel.
pub fn parts_with_channel(
    conn: &mut PgConnection,
    agency_id: Uuid,
    channel: &str,
) -> ApiResult<Parts> {
    Ok(touchpoint_rows::table
        .filter(touchpoint_rows::agency_id.eq(agency_id))
        .filter(touchpoint_rows::channel_code.eq(channel))
        .select(touchpoint_rows::unit_id)
        .distinct()
        .load(conn)?)
}

/// The part that carries the register's heading (the agency's name, region, website): the
/// agency's own part, as long as the register has rows at all.
pub fn parts_of_heading(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Parts> {
    let any: Option<Uuid> = processes::table
        .filter(processes::agency_id.eq(agency_id))
        .select(processes::id)
        .first(conn)
        .optional()?;
    Ok(if any.is_some() {
        vec![None]
    } else {
        Vec::new()
    })
}
