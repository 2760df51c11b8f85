use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self as process_db, ProcessFilter, PROCESS_SORTS};
use super::model::{NewProcess, Process, ProcessPatch, ProcessReplacement};
use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::db::Db;
use crate::domain::{ClientType, ProcessKind};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{AgencyPath, ProcessPath};
use crate::http::{created, sort_param, ApiJson, ListParams};
use crate::list_envelope;
use crate::workflow::edit::{edit_working_copy, Change};

list_envelope!(ProcessList, Process);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcessQuery {
    pub direction_id: Option<Uuid>,
    /// A unit id, or `agency` for the processes that belong to the agency as a whole.
    #[param(inline, value_type = Option<crate::domain::PartKey>, example = "agency")]
    pub unit: Option<String>,
    /// `external` also lists processes serving both kinds of client; likewise `internal`.
    pub client_type: Option<ClientType>,
    pub kind: Option<ProcessKind>,
    /// Only processes with a touchpoint of this channel type (a code of `/api/v1/catalogs/channel-types`).
    pub channel: Option<crate::catalogs::ChannelCode>,
    /// Only processes with a touchpoint serving this need (a code of `/api/v1/catalogs/needs`).
    pub need: Option<crate::catalogs::NeedCode>,
    /// Case-insensitive text search in the name and registry code.
    pub q: Option<String>,
    /// Order: `position` (default: the register's order), `name`, `-name`, `registry_code`, `created_at`, `-updated_at`.
    #[param(pattern = "^(position|name|-name|registry_code|created_at|-updated_at)$")]
    pub sort: Option<String>,
}

/// Parses `unit=agency|<uuid>` (a [`PartKey`](crate::domain::PartKey)) into a filter.
pub fn unit_param(raw: Option<&str>) -> ApiResult<Option<Option<Uuid>>> {
    raw.map(|s| {
        s.parse::<crate::domain::PartKey>()
            .map(crate::domain::PartKey::unit)
            .map_err(|_| {
                ApiError::field(
                    ErrorCode::InvalidParameter,
                    "unit",
                    "invalid",
                    "must be a unit id or `agency`",
                )
            })
    })
    .transpose()
}

/// List the processes of an agency's registry
#[utoipa::path(
    tag = "processes", operation_id = "listProcesses",
    params(AgencyPath, ListParams, ProcessQuery),
    responses((status = 200, description = "A page of processes", body = ProcessList))
)]
#[get("/agencies/{id}/processes")]
pub async fn list_processes(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<ProcessQuery>,
) -> ApiResult<web::Json<ProcessList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref(), "position", PROCESS_SORTS)?;
    let query = query.into_inner();
    let filter = ProcessFilter {
        agency_id: Some(agency_id),
        direction_id: query.direction_id,
        unit: unit_param(query.unit.as_deref())?,
        client_type: query.client_type,
        kind: query.kind,
        channel: query.channel.map(crate::catalogs::code_of),
        need: query.need.map(crate::catalogs::code_of),
        q: query.q,
    };
    let (items, total) = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            process_db::list(c, &filter, sort, paging)
        })
        .await?;
    Ok(web::Json(ProcessList::new(items, total, paging)))
}

/// Add a process to an agency's registry
#[utoipa::path(
    tag = "processes", operation_id = "createProcess",
    params(AgencyPath),
    request_body = NewProcess,
    responses((status = 201, description = "Created", body = Process,
        headers(("Location" = String, description = "URL of the new process"))))
)]
#[post("/agencies/{id}/processes")]
pub async fn create_process(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewProcess>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let changes = body.0.validate()?;
    let unit = changes.unit_id.flatten();
    let process = db
        .transaction(move |c| {
            // serialises position numbering within the agency
            agency_db::lock(c, agency_id)?;
            let change = Change {
                agency_id,
                parts: vec![unit],
                entity: "process",
                entity_id: None,
                action: "create",
            };
            edit_working_copy(c, &user, change, None, None::<&()>, |c| {
                process_db::insert(c, agency_id, changes)
            })
        })
        .await?;
    let mut resp = created(format!("/api/v1/processes/{}", process.id), &process);
    resp.headers_mut().insert(
        actix_web::http::header::ETAG,
        crate::http::etag::etag(process.updated_at)
            .parse()
            .expect("ascii"),
    );
    Ok(resp)
}

/// Get a process
#[utoipa::path(
    tag = "processes", operation_id = "getProcess",
    params(ProcessPath),
    responses((status = 200, description = "The process", body = Process))
)]
#[get("/processes/{id}")]
pub async fn get_process(
    db: web::Data<Db>,
    user: User,
    id: web::Path<ProcessPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let p = db.run(move |c| process_db::get(c, id)).await?;
    crate::workflow::governance::may_read(&db, &user, p.agency_id).await?;
    Ok(with_etag(HttpResponse::Ok(), p.updated_at).json(p))
}

/// Update a process
#[utoipa::path(
    tag = "processes", operation_id = "updateProcess",
    params(ProcessPath, IfMatch),
    request_body = ProcessPatch,
    responses((status = 200, description = "The updated process", body = Process))
)]
#[patch("/processes/{id}")]
pub async fn update_process(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<ProcessPath>,
    body: ApiJson<ProcessPatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    let process = db
        .transaction(move |c| {
            process_db::lock(c, id)?;
            let before = process_db::get(c, id)?;
            // moving a process to another unit touches both units' parts
            let mut parts = vec![before.unit_id];
            parts.extend(changes.unit_id.filter(|u| *u != before.unit_id));
            let change = Change {
                agency_id: before.agency_id,
                parts,
                entity: "process",
                entity_id: Some(id.to_string()),
                action: "update",
            };
            let precondition = Some((&if_match, before.updated_at));
            edit_working_copy(c, &user, change, precondition, Some(&before), |c| {
                process_db::update(c, id, changes)
            })
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), process.updated_at).json(process))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteProcessQuery {
    /// Also delete the process's touchpoints. Without it, a process that still has
    /// touchpoints is not deleted (409 `has_dependents`).
    pub cascade: Option<bool>,
}

/// Delete a process
///
/// A process with touchpoints is **refused** (409 `has_dependents`) unless `cascade=true`
/// is given, which deletes its touchpoints with it, in one transaction.
#[utoipa::path(
    tag = "processes", operation_id = "deleteProcess",
    params(ProcessPath, DeleteProcessQuery, IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/processes/{id}")]
pub async fn delete_process(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<ProcessPath>,
    query: crate::http::ApiQuery<DeleteProcessQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let cascade = query.cascade.unwrap_or(false);
    db.transaction(move |c| {
        process_db::lock(c, id)?;
        let before = process_db::get(c, id)?;
        let change = Change {
            agency_id: before.agency_id,
            parts: vec![before.unit_id],
            entity: "process",
            entity_id: Some(id.to_string()),
            action: "delete",
        };
        let precondition = Some((&if_match, before.updated_at));
        edit_working_copy(c, &user, change, precondition, Some(&before), |c| {
            process_db::delete(c, id, cascade)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{id}/processes/by-external-id/{external_id}`: an agency's process named by the integrator's id.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProcessExternalPath {
    /// Agency id
    pub id: Uuid,
    /// The integrator's own id of the process (unique within the agency)
    #[param(pattern = "^[A-Za-z0-9._:~-]{1,200}$", example = "ptv:1001")]
    pub external_id: String,
}

/// The integrator's id from a path: refused as a malformed parameter (400).
pub fn external_id_param(raw: &str) -> ApiResult<String> {
    crate::domain::text::external_id("external_id", raw).map_err(|e| {
        ApiError::field(
            ErrorCode::InvalidParameter,
            "external_id",
            "invalid",
            e.message,
        )
    })
}

/// Create or replace a process by the integrator's id
///
/// For systems that feed the register with ids of their own: the agency's process with this
/// `external_id` is created (201) or replaced by the body (200), which says everything a
/// creation does; an omitted `position` keeps an existing process's place. Repeating the same
/// PUT changes nothing (200, same `ETag`, no history entry). Like every edit, it goes through
/// the working copy: it opens or joins the revision, and is refused (409 `locked`) while the
/// process's part is submitted or accepted. `If-Match` is optional; with it, a stale tag (or
/// any tag when no such process exists yet) is a 412.
#[utoipa::path(
    tag = "processes", operation_id = "putProcessByExternalId",
    params(ProcessExternalPath, IfMatch),
    request_body = ProcessReplacement,
    responses(
        (status = 200, description = "Replaced, or already as sent", body = Process, headers(("ETag" = String))),
        (status = 201, description = "Created", body = Process,
            headers(("Location" = String, description = "URL of the new process"), ("ETag" = String))))
)]
#[put("/agencies/{id}/processes/by-external-id/{external_id}")]
pub async fn put_process_by_external_id(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    path: web::Path<ProcessExternalPath>,
    body: ApiJson<ProcessReplacement>,
) -> ApiResult<HttpResponse> {
    let ProcessExternalPath {
        id: agency_id,
        external_id,
    } = path.into_inner();
    let external_id = external_id_param(&external_id)?;
    let changes = body.0.into_new(external_id.clone()).validate()?;
    let (process, created) = db
        .transaction(move |c| {
            // serialises every write by external id within the agency
            agency_db::lock(c, agency_id)?;
            let Some(existing) = process_db::by_external_id(c, agency_id, &external_id)? else {
                if if_match.0.is_some() {
                    return Err(ApiError::client(
                        ErrorCode::PreconditionFailed,
                        format!("If-Match names a version, but the agency has no process with external_id {external_id:?}"),
                    ));
                }
                let unit = changes.unit_id.flatten();
                let change = Change {
                    agency_id,
                    parts: vec![unit],
                    entity: "process",
                    entity_id: None,
                    action: "create",
                };
                let p = edit_working_copy(c, &user, change, None, None::<&()>, |c| {
                    process_db::insert(c, agency_id, changes)
                })?;
                return Ok((p, true));
            };
            let id = existing.id;
            process_db::lock(c, id)?;
            let before = process_db::get(c, id)?;
            let mut parts = vec![before.unit_id];
            parts.extend(changes.unit_id.filter(|u| *u != before.unit_id));
            if changes.changes_nothing(&before) {
                // nothing to write: the same answers as an edit, without one
                for unit in &parts {
                    user.require_editor(agency_id, *unit)?;
                }
                if_match.check(before.updated_at)?;
                return Ok((before, false));
            }
            let change = Change {
                agency_id,
                parts,
                entity: "process",
                entity_id: Some(id.to_string()),
                action: "update",
            };
            let precondition = Some((&if_match, before.updated_at));
            let p = edit_working_copy(c, &user, change, precondition, Some(&before), |c| {
                process_db::update(c, id, changes)
            })?;
            Ok((p, false))
        })
        .await?;
    let b = if created {
        let mut b = HttpResponse::Created();
        b.insert_header(("Location", format!("/api/v1/processes/{}", process.id)));
        b
    } else {
        HttpResponse::Ok()
    };
    Ok(with_etag(b, process.updated_at).json(process))
}
