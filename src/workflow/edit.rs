//! Changes of what a register shows that are made outside its processes and touchpoints: a
//! direction's name (column 2), a unit's name, the agency's heading, the agency's channel rule
//! (what column 6 prints when the agency left it empty). Each is an edit of the working copy
//! of every part whose rows it changes, exactly like editing a touchpoint: the caller must be
//! allowed to edit each of those parts, the agency's revision is opened or joined, a returned
//! part is reopened, the change is refused with 409 `locked` while one of those parts is
//! submitted or accepted or the revision is being approved, and it is written to the revision's
//! history with its before and after.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::db::begin_edit;
use crate::auth::User;
use crate::error::ApiResult;
use crate::schema::processes;
use crate::schema_views::touchpoint_rows;

/// The parts (units; `None` = the agency's own part) a change touches.
pub type Parts = Vec<Option<Uuid>>;

/// Enters the working copy of `parts` of the agency's register for a change by `user`: checks
/// the right to edit each part, then opens or joins the revision (see the module's comment).
/// Returns the revision, or `None` when the change touches no row (nothing to review).
pub fn enter(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    parts: &[Option<Uuid>],
) -> ApiResult<Option<Uuid>> {
    if parts.is_empty() {
        return Ok(None);
    }
    for unit in parts {
        user.require_editor(agency_id, *unit)?;
    }
    Ok(Some(begin_edit(conn, user, agency_id, parts)?))
}

/// Writes the change to the history (of the revision it joined, when it touched rows).
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    revision_id: Option<Uuid>,
    entity: &str,
    entity_id: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> ApiResult<()> {
    audit::record(
        conn,
        user,
        Entry {
            agency_id,
            revision_id,
            entity,
            entity_id,
            action: "update",
            before,
            after,
        },
    )
}

/// The parts whose column 2 prints this direction's name, per agency (processes that word
/// their direction themselves keep their wording and are not touched).
pub fn parts_naming_direction(
    conn: &mut PgConnection,
    direction_id: Uuid,
) -> ApiResult<Vec<(Uuid, Parts)>> {
    let rows: Vec<(Uuid, Option<Uuid>)> = processes::table
        .filter(processes::direction_id.eq(direction_id))
        .filter(processes::direction_label.is_null())
        .select((processes::agency_id, processes::unit_id))
        .distinct()
        .load(conn)?;
    Ok(group(rows))
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

fn group(rows: Vec<(Uuid, Option<Uuid>)>) -> Vec<(Uuid, Parts)> {
    let mut out: Vec<(Uuid, Parts)> = Vec::new();
    for (agency, unit) in rows {
        match out.iter_mut().find(|(a, _)| *a == agency) {
            Some((_, parts)) => parts.push(unit),
            None => out.push((agency, vec![unit])),
        }
    }
    out
}
