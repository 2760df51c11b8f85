use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::Direction;
use crate::domain::text;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::pagination::like_pattern;
use crate::http::Paging;
use crate::schema::directions;

#[derive(Queryable, Selectable)]
#[diesel(table_name = directions)]
struct DirectionRow {
    id: Uuid,
    agency_id: Option<Uuid>,
    code: Option<String>,
    name: String,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DirectionRow> for Direction {
    fn from(r: DirectionRow) -> Self {
        Direction {
            id: r.id,
            is_catalog: r.agency_id.is_none(),
            agency_id: r.agency_id,
            code: r.code,
            name: r.name,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Which directions an agency's list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DirectionScope {
    /// The catalog and the agency's own (default).
    All,
    Catalog,
    Own,
}

fn filtered(
    agency_id: Option<Uuid>,
    scope: DirectionScope,
    q: Option<&str>,
) -> directions::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = directions::table.into_boxed();
    query = match (scope, agency_id) {
        (DirectionScope::Catalog, _) | (_, None) => query.filter(directions::agency_id.is_null()),
        (DirectionScope::Own, Some(a)) => query.filter(directions::agency_id.eq(a)),
        (DirectionScope::All, Some(a)) => query.filter(
            directions::agency_id
                .is_null()
                .or(directions::agency_id.eq(a)),
        ),
    };
    if let Some(t) = q.filter(|t| !t.trim().is_empty()) {
        query = query.filter(directions::name.ilike(like_pattern(t)));
    }
    query
}

pub fn list(
    conn: &mut PgConnection,
    agency_id: Option<Uuid>,
    scope: DirectionScope,
    q: Option<&str>,
    page: Paging,
) -> ApiResult<(Vec<Direction>, i64)> {
    let total = filtered(agency_id, scope, q).count().get_result(conn)?;
    let rows: Vec<DirectionRow> = filtered(agency_id, scope, q)
        .select(DirectionRow::as_select())
        // catalog first in its official order, then the agency's own in the order added
        .order((
            directions::agency_id.is_not_null(),
            directions::position.asc(),
            directions::name.asc(),
            directions::id.asc(),
        ))
        .limit(page.limit)
        .offset(page.offset)
        .load(conn)?;
    Ok((rows.into_iter().map(Direction::from).collect(), total))
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Direction> {
    directions::table
        .find(id)
        .select(DirectionRow::as_select())
        .first::<DirectionRow>(conn)
        .optional()?
        .map(Direction::from)
        .ok_or_else(|| ApiError::not_found("direction", id))
}

/// The catalog direction with this code.
pub fn by_code(conn: &mut PgConnection, code: &str) -> ApiResult<Option<Direction>> {
    Ok(directions::table
        .filter(directions::code.eq(code))
        .select(DirectionRow::as_select())
        .first::<DirectionRow>(conn)
        .optional()?
        .map(Direction::from))
}

/// A direction visible to the agency (catalog or its own) with this name, case-insensitively.
pub fn find_by_name(
    conn: &mut PgConnection,
    agency_id: Uuid,
    name: &str,
) -> ApiResult<Option<Direction>> {
    let folded = text::fold(name);
    let candidates: Vec<DirectionRow> = directions::table
        .filter(
            directions::agency_id
                .is_null()
                .or(directions::agency_id.eq(agency_id)),
        )
        .select(DirectionRow::as_select())
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .find(|d| text::fold(&d.name) == folded)
        .map(Direction::from))
}

fn ensure_name_free(
    conn: &mut PgConnection,
    agency_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> ApiResult<()> {
    if let Some(existing) = find_by_name(conn, agency_id, name)? {
        if Some(existing.id) != except {
            let whose = if existing.is_catalog {
                "the shared catalog"
            } else {
                "this agency"
            };
            return Err(ApiError::field(
                ErrorCode::AlreadyExists,
                "name",
                "taken",
                format!("{whose} already has the direction «{}»", existing.name),
            )
            .with_existing(existing.id));
        }
    }
    Ok(())
}

pub fn insert(conn: &mut PgConnection, agency_id: Uuid, name: String) -> ApiResult<Direction> {
    ensure_name_free(conn, agency_id, &name, None)?;
    let next: Option<i32> = directions::table
        .filter(directions::agency_id.eq(agency_id))
        .select(diesel::dsl::max(directions::position))
        .first(conn)?;
    let row: DirectionRow = diesel::insert_into(directions::table)
        .values((
            directions::agency_id.eq(agency_id),
            directions::name.eq(name),
            directions::position.eq(next.unwrap_or(0) + 1),
        ))
        .returning(DirectionRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

fn own(conn: &mut PgConnection, id: Uuid) -> ApiResult<(Direction, Uuid)> {
    let d = get(conn, id)?;
    match d.agency_id {
        Some(a) => Ok((d, a)),
        None => Err(ApiError::client(
            ErrorCode::ReadOnly,
            "catalog directions are shared by all agencies and cannot be changed here",
        )),
    }
}

pub fn rename(conn: &mut PgConnection, id: Uuid, name: Option<String>) -> ApiResult<Direction> {
    let (current, agency_id) = own(conn, id)?;
    let Some(name) = name else { return Ok(current) };
    ensure_name_free(conn, agency_id, &name, Some(id))?;
    let row: DirectionRow = diesel::update(directions::table.find(id))
        .set(directions::name.eq(name))
        .returning(DirectionRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    own(conn, id)?;
    diesel::delete(directions::table.find(id)).execute(conn)?;
    Ok(())
}
