use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{Process, ProcessChanges};
use crate::domain::{ClientType, ProcessKind};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::pagination::like_pattern;
use crate::http::Paging;
use crate::schema::{directions, processes, touchpoint_needs, touchpoints, units};

#[derive(Queryable, Selectable)]
#[diesel(table_name = processes)]
struct ProcessRow {
    id: Uuid,
    agency_id: Uuid,
    direction_id: Uuid,
    unit_id: Option<Uuid>,
    name: String,
    direction_label: Option<String>,
    registry_code: Option<String>,
    kind: ProcessKind,
    client_type: ClientType,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    external_id: Option<String>,
}

impl ProcessRow {
    fn into_process(self, touchpoint_count: i64) -> Process {
        Process {
            id: self.id,
            agency_id: self.agency_id,
            direction_id: self.direction_id,
            direction_label: self.direction_label,
            unit_id: self.unit_id,
            name: self.name,
            registry_code: self.registry_code,
            kind: self.kind,
            client_type: self.client_type,
            position: self.position,
            touchpoint_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
            external_id: self.external_id,
        }
    }
}

/// Filters of a process list.
#[derive(Debug, Clone, Default)]
pub struct ProcessFilter {
    pub agency_id: Option<Uuid>,
    pub direction_id: Option<Uuid>,
    /// `Some(Some(u))`: that unit's; `Some(None)`: the agency's own part (no unit).
    pub unit: Option<Option<Uuid>>,
    pub client_type: Option<ClientType>,
    pub kind: Option<ProcessKind>,
    /// Processes with at least one touchpoint of this channel type.
    pub channel: Option<String>,
    /// Processes with at least one touchpoint serving this need.
    pub need: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub enum ProcessSort {
    Position,
    Name,
    NameDesc,
    RegistryCode,
    CreatedAt,
    UpdatedAtDesc,
}

pub const PROCESS_SORTS: &[(&str, ProcessSort)] = &[
    ("position", ProcessSort::Position),
    ("name", ProcessSort::Name),
    ("-name", ProcessSort::NameDesc),
    ("registry_code", ProcessSort::RegistryCode),
    ("created_at", ProcessSort::CreatedAt),
    ("-updated_at", ProcessSort::UpdatedAtDesc),
];

/// `external` also matches processes serving both kinds of client; likewise `internal`.
pub fn client_type_matches(wanted: ClientType) -> Vec<ClientType> {
    match wanted {
        ClientType::External => vec![ClientType::External, ClientType::Both],
        ClientType::Internal => vec![ClientType::Internal, ClientType::Both],
        ClientType::Both => vec![ClientType::Both],
    }
}

fn filtered(f: &ProcessFilter) -> processes::BoxedQuery<'static, Pg> {
    let mut q = processes::table.into_boxed();
    if let Some(a) = f.agency_id {
        q = q.filter(processes::agency_id.eq(a));
    }
    if let Some(d) = f.direction_id {
        q = q.filter(processes::direction_id.eq(d));
    }
    match f.unit {
        Some(Some(u)) => q = q.filter(processes::unit_id.eq(u)),
        Some(None) => q = q.filter(processes::unit_id.is_null()),
        None => {}
    }
    if let Some(ct) = f.client_type {
        q = q.filter(processes::client_type.eq_any(client_type_matches(ct)));
    }
    if let Some(k) = f.kind {
        q = q.filter(processes::kind.eq(k));
    }
    if let Some(ch) = &f.channel {
        q = q.filter(
            processes::id.eq_any(
                touchpoints::table
                    .filter(touchpoints::channel_code.eq(ch.clone()))
                    .select(touchpoints::process_id),
            ),
        );
    }
    if let Some(n) = &f.need {
        q = q.filter(
            processes::id.eq_any(
                touchpoints::table
                    .inner_join(touchpoint_needs::table)
                    .filter(touchpoint_needs::need_code.eq(n.clone()))
                    .select(touchpoints::process_id),
            ),
        );
    }
    if let Some(t) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = like_pattern(t);
        q = q.filter(
            processes::name
                .ilike(p.clone())
                .or(processes::registry_code.ilike(p)),
        );
    }
    q
}

fn touchpoint_counts(conn: &mut PgConnection, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, i64>> {
    let rows: Vec<(Uuid, i64)> = touchpoints::table
        .filter(touchpoints::process_id.eq_any(ids))
        .group_by(touchpoints::process_id)
        .select((touchpoints::process_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// A page of processes: three queries whatever the page size (count, page, touchpoint counts).
pub fn list(
    conn: &mut PgConnection,
    f: &ProcessFilter,
    sort: ProcessSort,
    page: Paging,
) -> ApiResult<(Vec<Process>, i64)> {
    let total: i64 = filtered(f).count().get_result(conn)?;
    let q = filtered(f)
        .select(ProcessRow::as_select())
        .limit(page.limit)
        .offset(page.offset);
    let q = match sort {
        ProcessSort::Position => q.order((
            processes::position.asc(),
            processes::name.asc(),
            processes::id.asc(),
        )),
        ProcessSort::Name => q.order((processes::name.asc(), processes::id.asc())),
        ProcessSort::NameDesc => q.order((processes::name.desc(), processes::id.asc())),
        ProcessSort::RegistryCode => q.order((
            processes::registry_code.asc().nulls_last(),
            processes::name.asc(),
            processes::id.asc(),
        )),
        ProcessSort::CreatedAt => q.order((processes::created_at.asc(), processes::id.asc())),
        ProcessSort::UpdatedAtDesc => q.order((processes::updated_at.desc(), processes::id.asc())),
    };
    let rows: Vec<ProcessRow> = q.load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let counts = touchpoint_counts(conn, &ids)?;
    let items = rows.into_iter().map(|r| {
        let n = counts.get(&r.id).copied().unwrap_or(0);
        r.into_process(n)
    });
    Ok((items.collect(), total))
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Process> {
    let row = processes::table
        .find(id)
        .select(ProcessRow::as_select())
        .first::<ProcessRow>(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("process", id))?;
    let n = touchpoint_counts(conn, &[id])?
        .get(&id)
        .copied()
        .unwrap_or(0);
    Ok(row.into_process(n))
}

/// Locks the process row for the rest of the transaction and returns its agency.
pub fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<Uuid> {
    processes::table
        .find(id)
        .select(processes::agency_id)
        .for_update()
        .first::<Uuid>(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("process", id))
}

/// The references of a process must stay inside its agency: a catalog direction or the
/// agency's own, a unit of the agency.
fn check_references(conn: &mut PgConnection, agency_id: Uuid, c: &ProcessChanges) -> ApiResult<()> {
    if let Some(d) = c.direction_id {
        let owner: Option<Option<Uuid>> = directions::table
            .find(d)
            .select(directions::agency_id)
            .first(conn)
            .optional()?;
        match owner {
            Some(None) => {}
            Some(Some(a)) if a == agency_id => {}
            _ => {
                return Err(ApiError::field(
                    ErrorCode::UnknownReference,
                    "direction_id",
                    "unknown",
                    format!("direction {d} is neither in the catalog nor one of this agency's"),
                ));
            }
        }
    }
    if let Some(Some(u)) = c.unit_id {
        let owner: Option<Uuid> = units::table
            .find(u)
            .select(units::agency_id)
            .first(conn)
            .optional()?;
        if owner != Some(agency_id) {
            return Err(ApiError::field(
                ErrorCode::UnknownReference,
                "unit_id",
                "unknown",
                format!("unit {u} is not a unit of this agency"),
            ));
        }
    }
    Ok(())
}

/// The agency's process with this external id, if any.
pub fn by_external_id(
    conn: &mut PgConnection,
    agency_id: Uuid,
    external_id: &str,
) -> ApiResult<Option<Process>> {
    let id: Option<Uuid> = processes::table
        .filter(processes::agency_id.eq(agency_id))
        .filter(processes::external_id.eq(external_id))
        .select(processes::id)
        .first(conn)
        .optional()?;
    id.map(|id| get(conn, id)).transpose()
}

/// An external id names one process of the agency (409 `already_exists`, naming it).
fn check_external_id(
    conn: &mut PgConnection,
    agency_id: Uuid,
    except: Option<Uuid>,
    c: &ProcessChanges,
) -> ApiResult<()> {
    let Some(Some(x)) = &c.external_id else {
        return Ok(());
    };
    match by_external_id(conn, agency_id, x)? {
        Some(other) if Some(other.id) != except => Err(ApiError::Client {
            code: ErrorCode::AlreadyExists,
            detail: format!(
                "the agency's process «{}» already has external_id {x:?}",
                other.name
            ),
            errors: vec![crate::error::FieldError::new(
                "external_id",
                "taken",
                "another process of the agency has this external id",
            )],
            existing_id: Some(other.id),
        }),
        _ => Ok(()),
    }
}

pub fn insert(conn: &mut PgConnection, agency_id: Uuid, c: ProcessChanges) -> ApiResult<Process> {
    check_references(conn, agency_id, &c)?;
    check_external_id(conn, agency_id, None, &c)?;
    let position = match c.position {
        Some(p) => p,
        None => {
            let max: Option<i32> = processes::table
                .filter(processes::agency_id.eq(agency_id))
                .select(diesel::dsl::max(processes::position))
                .first(conn)?;
            max.unwrap_or(0) + 1
        }
    };
    let row: ProcessRow = diesel::insert_into(processes::table)
        .values((
            processes::agency_id.eq(agency_id),
            processes::direction_id.eq(c.direction_id.unwrap_or_default()),
            processes::direction_label.eq(c.direction_label.flatten()),
            processes::unit_id.eq(c.unit_id.flatten()),
            processes::name.eq(c.name.unwrap_or_default()),
            processes::registry_code.eq(c.registry_code.flatten()),
            processes::kind.eq(c.kind.unwrap_or(ProcessKind::Function)),
            processes::client_type.eq(c.client_type.unwrap_or(ClientType::External)),
            processes::position.eq(position),
            processes::external_id.eq(c.external_id.flatten()),
        ))
        .returning(ProcessRow::as_returning())
        .get_result(conn)?;
    Ok(row.into_process(0))
}

#[derive(AsChangeset)]
#[diesel(table_name = processes)]
struct ProcessChangeset {
    direction_id: Option<Uuid>,
    direction_label: Option<Option<String>>,
    unit_id: Option<Option<Uuid>>,
    name: Option<String>,
    registry_code: Option<Option<String>>,
    kind: Option<ProcessKind>,
    client_type: Option<ClientType>,
    position: Option<i32>,
    external_id: Option<Option<String>>,
}

pub fn update(conn: &mut PgConnection, id: Uuid, c: ProcessChanges) -> ApiResult<Process> {
    let agency_id = lock(conn, id)?;
    check_references(conn, agency_id, &c)?;
    check_external_id(conn, agency_id, Some(id), &c)?;
    let set = ProcessChangeset {
        direction_id: c.direction_id,
        direction_label: c.direction_label,
        unit_id: c.unit_id,
        name: c.name,
        registry_code: c.registry_code,
        kind: c.kind,
        client_type: c.client_type,
        position: c.position,
        external_id: c.external_id,
    };
    let empty = set.direction_id.is_none()
        && set.direction_label.is_none()
        && set.unit_id.is_none()
        && set.name.is_none()
        && set.registry_code.is_none()
        && set.kind.is_none()
        && set.client_type.is_none()
        && set.position.is_none()
        && set.external_id.is_none();
    if !empty {
        diesel::update(processes::table.find(id))
            .set(set)
            .execute(conn)?;
    }
    get(conn, id)
}

/// Deletes a process. With touchpoints it is refused unless `cascade` is set, in which case
/// its touchpoints (and their contacts and needs) go with it.
pub fn delete(conn: &mut PgConnection, id: Uuid, cascade: bool) -> ApiResult<()> {
    lock(conn, id)?;
    let n: i64 = touchpoints::table
        .filter(touchpoints::process_id.eq(id))
        .count()
        .get_result(conn)?;
    if n > 0 {
        if !cascade {
            return Err(ApiError::client(
                ErrorCode::HasDependents,
                format!("the process has {n} touchpoint(s); delete them first or repeat with cascade=true"),
            ));
        }
        diesel::delete(touchpoints::table.filter(touchpoints::process_id.eq(id))).execute(conn)?;
    }
    diesel::delete(processes::table.find(id)).execute(conn)?;
    Ok(())
}
