use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{ResponsiblePerson, Unit, UnitChanges};
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::like_pattern;
use crate::http::Paging;
use crate::schema::units;

#[derive(Queryable, Selectable)]
#[diesel(table_name = units)]
struct UnitRow {
    id: Uuid,
    agency_id: Uuid,
    name: String,
    responsible_persons: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    head_official_id: Option<Uuid>,
    curator_official_id: Option<Uuid>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            id: r.id,
            agency_id: r.agency_id,
            name: r.name,
            // written only by this module, from validated values
            responsible_persons: serde_json::from_value::<Vec<ResponsiblePerson>>(
                r.responsible_persons,
            )
            .unwrap_or_default(),
            head_official_id: r.head_official_id,
            curator_official_id: r.curator_official_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum UnitSort {
    Name,
    NameDesc,
    CreatedAt,
}

pub const UNIT_SORTS: &[(&str, UnitSort)] = &[
    ("name", UnitSort::Name),
    ("-name", UnitSort::NameDesc),
    ("created_at", UnitSort::CreatedAt),
];

fn filtered(agency_id: Uuid, q: Option<&str>) -> units::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = units::table
        .filter(units::agency_id.eq(agency_id))
        .into_boxed();
    if let Some(text) = q.filter(|t| !t.trim().is_empty()) {
        query = query.filter(units::name.ilike(like_pattern(text)));
    }
    query
}

pub fn list(
    conn: &mut PgConnection,
    agency_id: Uuid,
    q: Option<&str>,
    sort: UnitSort,
    page: Paging,
) -> ApiResult<(Vec<Unit>, i64)> {
    let total = filtered(agency_id, q).count().get_result(conn)?;
    let query = filtered(agency_id, q)
        .select(UnitRow::as_select())
        .limit(page.limit)
        .offset(page.offset);
    let query = match sort {
        UnitSort::Name => query.order((units::name.asc(), units::id.asc())),
        UnitSort::NameDesc => query.order((units::name.desc(), units::id.asc())),
        UnitSort::CreatedAt => query.order((units::created_at.asc(), units::id.asc())),
    };
    let rows: Vec<UnitRow> = query.load(conn)?;
    Ok((rows.into_iter().map(Unit::from).collect(), total))
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Unit> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first::<UnitRow>(conn)
        .optional()?
        .map(Unit::from)
        .ok_or_else(|| ApiError::not_found("unit", id))
}

/// Locks the unit row for the rest of the transaction and reads it.
pub fn get_for_update(conn: &mut PgConnection, id: Uuid) -> ApiResult<Unit> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .for_update()
        .first::<UnitRow>(conn)
        .optional()?
        .map(Unit::from)
        .ok_or_else(|| ApiError::not_found("unit", id))
}

/// Finds a unit by name within an agency (the demo loader and importers use it).
pub fn find_by_name(
    conn: &mut PgConnection,
    agency_id: Uuid,
    name: &str,
) -> ApiResult<Option<Unit>> {
    Ok(units::table
        .filter(units::agency_id.eq(agency_id).and(units::name.eq(name)))
        .select(UnitRow::as_select())
        .first::<UnitRow>(conn)
        .optional()?
        .map(Unit::from))
}

fn persons_json(p: Vec<ResponsiblePerson>) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

pub fn insert(conn: &mut PgConnection, agency_id: Uuid, c: UnitChanges) -> ApiResult<Unit> {
    let row: UnitRow = diesel::insert_into(units::table)
        .values((
            units::agency_id.eq(agency_id),
            units::name.eq(c.name.unwrap_or_default()),
            units::responsible_persons.eq(persons_json(c.responsible_persons.unwrap_or_default())),
        ))
        .returning(UnitRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

#[derive(AsChangeset)]
#[diesel(table_name = units)]
struct UnitChangeset {
    name: Option<String>,
    responsible_persons: Option<serde_json::Value>,
    head_official_id: Option<Option<Uuid>>,
    curator_official_id: Option<Option<Uuid>>,
}

pub fn update(conn: &mut PgConnection, id: Uuid, c: UnitChanges) -> ApiResult<Unit> {
    if c.name.is_none()
        && c.responsible_persons.is_none()
        && c.head_official_id.is_none()
        && c.curator_official_id.is_none()
    {
        return get(conn, id);
    }
    let set = UnitChangeset {
        name: c.name,
        responsible_persons: c.responsible_persons.map(persons_json),
        head_official_id: c.head_official_id,
        curator_official_id: c.curator_official_id,
    };
    diesel::update(units::table.find(id))
        .set(set)
        .returning(UnitRow::as_returning())
        .get_result::<UnitRow>(conn)
        .optional()?
        .map(Unit::from)
        .ok_or_else(|| ApiError::not_found("unit", id))
}

/// Deletes a unit that owns no process (the foreign key refuses otherwise). Its part of a
/// revision in progress goes with it, since it has nothing left to submit; parts of published
/// revisions stay in the history.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    use crate::schema::{revision_parts, revisions};
    let n = diesel::delete(units::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(ApiError::not_found("unit", id));
    }
    let active = revisions::table
        .filter(revisions::status.ne(crate::domain::state::RevisionStatus::Published))
        .filter(revisions::status.ne(crate::domain::state::RevisionStatus::Cancelled))
        .select(revisions::id);
    diesel::delete(
        revision_parts::table
            .filter(revision_parts::unit_id.eq(id))
            .filter(revision_parts::revision_id.eq_any(active)),
    )
    .execute(conn)?;
    Ok(())
}
