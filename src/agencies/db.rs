//! Agency queries. Functions take the caller's connection so a request can compose them in
//! one transaction.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{Agency, AgencyChanges};
use crate::domain::AgencyKind;
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::like_pattern;
use crate::http::Paging;
use crate::schema::agencies;

#[derive(Queryable, Selectable)]
#[diesel(table_name = agencies)]
struct AgencyRow {
    id: Uuid,
    parent_id: Option<Uuid>,
    name: String,
    short_name: Option<String>,
    region: String,
    kind: AgencyKind,
    website: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    time_zone: String,
}

impl From<AgencyRow> for Agency {
    fn from(r: AgencyRow) -> Self {
        Agency {
            id: r.id,
            parent_id: r.parent_id,
            name: r.name,
            short_name: r.short_name,
            region: r.region,
            kind: r.kind,
            website: r.website,
            time_zone: r.time_zone,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = agencies)]
struct AgencyChangeset {
    name: Option<String>,
    short_name: Option<Option<String>>,
    region: Option<String>,
    kind: Option<AgencyKind>,
    website: Option<Option<String>>,
    time_zone: Option<String>,
}

impl From<AgencyChanges> for AgencyChangeset {
    fn from(c: AgencyChanges) -> Self {
        AgencyChangeset {
            name: c.name,
            short_name: c.short_name,
            region: c.region,
            kind: c.kind,
            website: c.website,
            time_zone: c.time_zone,
        }
    }
}

/// Which agencies a list returns.
#[derive(Debug, Clone, Default)]
pub struct AgencyFilter {
    /// `Some(Some(id))`: organizations of that parent; `Some(None)`: top-level only; `None`: all.
    pub parent: Option<Option<Uuid>>,
    pub region: Option<String>,
    pub kind: Option<AgencyKind>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencySort {
    Name,
    NameDesc,
    Region,
    CreatedAt,
    CreatedAtDesc,
}

impl AgencySort {
    pub const VALUES: &'static [&'static str] =
        &["name", "-name", "region", "created_at", "-created_at"];

    pub fn parse(s: Option<&str>) -> Option<Self> {
        Some(match s.unwrap_or("name") {
            "name" => AgencySort::Name,
            "-name" => AgencySort::NameDesc,
            "region" => AgencySort::Region,
            "created_at" => AgencySort::CreatedAt,
            "-created_at" => AgencySort::CreatedAtDesc,
            _ => return None,
        })
    }
}

fn filtered(f: &AgencyFilter) -> agencies::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = agencies::table.into_boxed();
    match f.parent {
        Some(Some(parent)) => q = q.filter(agencies::parent_id.eq(parent)),
        Some(None) => q = q.filter(agencies::parent_id.is_null()),
        None => {}
    }
    if let Some(region) = &f.region {
        q = q.filter(agencies::region.eq(region.clone()));
    }
    if let Some(kind) = f.kind {
        q = q.filter(agencies::kind.eq(kind));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = like_pattern(text);
        q = q.filter(
            agencies::name
                .ilike(p.clone())
                .or(agencies::short_name.ilike(p)),
        );
    }
    q
}

pub fn list(
    conn: &mut PgConnection,
    f: &AgencyFilter,
    sort: AgencySort,
    page: Paging,
) -> ApiResult<(Vec<Agency>, i64)> {
    let total: i64 = filtered(f).count().get_result(conn)?;
    let q = filtered(f)
        .select(AgencyRow::as_select())
        .limit(page.limit)
        .offset(page.offset);
    let q = match sort {
        AgencySort::Name => q.order((agencies::name.asc(), agencies::id.asc())),
        AgencySort::NameDesc => q.order((agencies::name.desc(), agencies::id.asc())),
        AgencySort::Region => q.order((
            agencies::region.asc(),
            agencies::name.asc(),
            agencies::id.asc(),
        )),
        AgencySort::CreatedAt => q.order((agencies::created_at.asc(), agencies::id.asc())),
        AgencySort::CreatedAtDesc => q.order((agencies::created_at.desc(), agencies::id.asc())),
    };
    let rows: Vec<AgencyRow> = q.load(conn)?;
    Ok((rows.into_iter().map(Agency::from).collect(), total))
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> ApiResult<Option<Agency>> {
    Ok(agencies::table
        .find(id)
        .select(AgencyRow::as_select())
        .first(conn)
        .optional()?
        .map(Agency::from))
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Agency> {
    find(conn, id)?.ok_or_else(|| ApiError::not_found("agency", id))
}

/// Locks the agency row for the rest of the transaction; used where a write must see a
/// consistent agency (positions, duplicates).
pub fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    agencies::table
        .find(id)
        .select(agencies::id)
        .for_update()
        .first::<Uuid>(conn)
        .optional()?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("agency", id))
}

pub fn insert(
    conn: &mut PgConnection,
    parent_id: Option<Uuid>,
    c: AgencyChanges,
) -> ApiResult<Agency> {
    let kind = c.kind.unwrap_or(AgencyKind::Other);
    let row: AgencyRow = diesel::insert_into(agencies::table)
        .values((
            agencies::parent_id.eq(parent_id),
            agencies::name.eq(c.name.unwrap_or_default()),
            agencies::short_name.eq(c.short_name.flatten()),
            agencies::region.eq(c.region.unwrap_or_default()),
            agencies::kind.eq(kind),
            agencies::website.eq(c.website.flatten()),
            agencies::time_zone.eq(c
                .time_zone
                .unwrap_or_else(|| crate::domain::hours::DEFAULT_TIME_ZONE.to_owned())),
        ))
        .returning(AgencyRow::as_returning())
        .get_result(conn)?;
    Ok(row.into())
}

pub fn update(conn: &mut PgConnection, id: Uuid, c: AgencyChanges) -> ApiResult<Agency> {
    let changeset = AgencyChangeset::from(c);
    if changeset.name.is_none()
        && changeset.short_name.is_none()
        && changeset.region.is_none()
        && changeset.kind.is_none()
        && changeset.website.is_none()
        && changeset.time_zone.is_none()
    {
        return get(conn, id);
    }
    diesel::update(agencies::table.find(id))
        .set(changeset)
        .returning(AgencyRow::as_returning())
        .get_result::<AgencyRow>(conn)
        .optional()?
        .map(Agency::from)
        .ok_or_else(|| ApiError::not_found("agency", id))
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    let n = diesel::delete(agencies::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(ApiError::not_found("agency", id));
    }
    Ok(())
}

/// Locks the agency, checks `If-Match` against it, then updates it; returns it before and after.
pub fn update_checked(
    conn: &mut PgConnection,
    id: Uuid,
    if_match: &crate::http::etag::IfMatch,
    c: AgencyChanges,
) -> ApiResult<(Agency, Agency)> {
    lock(conn, id)?;
    let before = get(conn, id)?;
    if_match.check(before.updated_at)?;
    Ok((before, update(conn, id, c)?))
}

/// Each agency's line up the tree: itself, its parent, the parent's parent… (one query per
/// level, however many agencies). An unknown id is absent.
pub fn ancestors_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, Vec<Uuid>>> {
    use std::collections::HashMap;
    let mut parent: HashMap<Uuid, Option<Uuid>> = HashMap::new();
    let mut frontier: Vec<Uuid> = ids.to_vec();
    // parents are set when an organization is created and never change, so the tree has no
    // cycle; the bound only guards the loop
    for _ in 0..32 {
        frontier.retain(|id| !parent.contains_key(id));
        frontier.sort();
        frontier.dedup();
        if frontier.is_empty() {
            break;
        }
        let rows: Vec<(Uuid, Option<Uuid>)> = agencies::table
            .filter(agencies::id.eq_any(&frontier))
            .select((agencies::id, agencies::parent_id))
            .load(conn)?;
        frontier = rows.iter().filter_map(|(_, p)| *p).collect();
        parent.extend(rows);
    }
    Ok(ids
        .iter()
        .filter(|id| parent.contains_key(id))
        .map(|&id| {
            let mut line = vec![id];
            while let Some(Some(p)) = parent.get(line.last().expect("non-empty")) {
                if line.contains(p) || line.len() > 32 {
                    break;
                }
                line.push(*p);
            }
            (id, line)
        })
        .collect())
}
