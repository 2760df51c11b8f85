use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{Official, OfficialChanges};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::schema::{direction_curators, directions, officials, units};

#[derive(Queryable, Selectable)]
#[diesel(table_name = officials)]
struct OfficialRow {
    id: Uuid,
    agency_id: Uuid,
    sub: String,
    name: String,
    position: String,
    email: String,
    unit_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<OfficialRow> for Official {
    fn from(r: OfficialRow) -> Self {
        Official {
            id: r.id,
            agency_id: r.agency_id,
            sub: r.sub,
            name: r.name,
            position: r.position,
            email: r.email,
            unit_id: r.unit_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub fn list(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Official>> {
    let rows: Vec<OfficialRow> = officials::table
        .filter(officials::agency_id.eq(agency_id))
        .order((officials::name.asc(), officials::id.asc()))
        .select(OfficialRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Official::from).collect())
}

pub fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> ApiResult<Official> {
    let q = officials::table.find(id).select(OfficialRow::as_select());
    let row = if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    };
    row.map(Official::from)
        .ok_or_else(|| ApiError::not_found("official", id))
}

/// 422 `unknown_reference` unless `official_id` is an official of `agency_id`.
pub fn check_of_agency(
    conn: &mut PgConnection,
    agency_id: Uuid,
    official_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    check_of_agencies(conn, &[agency_id], official_id, field)
}

/// 422 `unknown_reference` on `field` unless the official belongs to one of the agencies.
pub fn check_of_agencies(
    conn: &mut PgConnection,
    agency_ids: &[Uuid],
    official_id: Uuid,
    field: &str,
) -> ApiResult<()> {
    let found: Option<Uuid> = officials::table
        .filter(officials::id.eq(official_id))
        .filter(officials::agency_id.eq_any(agency_ids))
        .select(officials::id)
        .first(conn)
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(ApiError::field(
            ErrorCode::UnknownReference,
            field,
            "unknown",
            format!("{official_id} is not an official of this agency"),
        )),
    }
}

fn check_unit(conn: &mut PgConnection, agency_id: Uuid, unit_id: Uuid) -> ApiResult<()> {
    let found: Option<Uuid> = units::table
        .filter(units::id.eq(unit_id))
        .filter(units::agency_id.eq(agency_id))
        .select(units::id)
        .first(conn)
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(ApiError::field(
            ErrorCode::UnknownReference,
            "unit_id",
            "unknown",
            format!("{unit_id} is not a unit of this agency"),
        )),
    }
}

pub fn insert(conn: &mut PgConnection, agency_id: Uuid, c: OfficialChanges) -> ApiResult<Official> {
    let unit_id = c.unit_id.flatten();
    if let Some(u) = unit_id {
        check_unit(conn, agency_id, u)?;
    }
    let row: OfficialRow = diesel::insert_into(officials::table)
        .values((
            officials::agency_id.eq(agency_id),
            officials::sub.eq(c.sub.unwrap_or_default()),
            officials::name.eq(c.name.unwrap_or_default()),
            officials::position.eq(c.position.unwrap_or_default()),
            officials::email.eq(c.email.unwrap_or_default()),
            officials::unit_id.eq(unit_id),
        ))
        .returning(OfficialRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

#[derive(AsChangeset)]
#[diesel(table_name = officials)]
struct Changeset {
    sub: Option<String>,
    name: Option<String>,
    position: Option<String>,
    email: Option<String>,
    unit_id: Option<Option<Uuid>>,
}

pub fn update(
    conn: &mut PgConnection,
    before: &Official,
    c: OfficialChanges,
) -> ApiResult<Official> {
    if let Some(Some(u)) = c.unit_id {
        check_unit(conn, before.agency_id, u)?;
    }
    if c.sub.is_none()
        && c.name.is_none()
        && c.position.is_none()
        && c.email.is_none()
        && c.unit_id.is_none()
    {
        return get(conn, before.id, false);
    }
    let row: OfficialRow = diesel::update(officials::table.find(before.id))
        .set(Changeset {
            sub: c.sub,
            name: c.name,
            position: c.position,
            email: c.email,
            unit_id: c.unit_id,
        })
        .returning(OfficialRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

/// Deletes an official; units they headed or curated keep no head or curator, directions
/// they curated lose their curator. A chain step naming them stops at that step until an
/// admin names someone else.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    let n = diesel::delete(officials::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(ApiError::not_found("official", id));
    }
    Ok(())
}

/// Sets (or with `None` removes) the curator of a direction in an agency. The direction is
/// one of the shared catalog or the agency's own.
pub fn set_curator(
    conn: &mut PgConnection,
    agency_id: Uuid,
    direction_id: Uuid,
    official_id: Option<Uuid>,
) -> ApiResult<()> {
    let owner: Option<Option<Uuid>> = directions::table
        .find(direction_id)
        .select(directions::agency_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(None) => {}
        Some(Some(a)) if a == agency_id => {}
        _ => return Err(ApiError::not_found("direction", direction_id)),
    }
    match official_id {
        Some(o) => {
            check_of_agency(conn, agency_id, o, "official_id")?;
            diesel::insert_into(direction_curators::table)
                .values((
                    direction_curators::agency_id.eq(agency_id),
                    direction_curators::direction_id.eq(direction_id),
                    direction_curators::official_id.eq(o),
                ))
                .on_conflict((
                    direction_curators::agency_id,
                    direction_curators::direction_id,
                ))
                .do_update()
                .set(direction_curators::official_id.eq(o))
                .execute(conn)?;
        }
        None => {
            diesel::delete(
                direction_curators::table
                    .filter(direction_curators::agency_id.eq(agency_id))
                    .filter(direction_curators::direction_id.eq(direction_id)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}
