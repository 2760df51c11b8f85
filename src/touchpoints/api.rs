use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self as touchpoint_db, TouchpointFilter, TOUCHPOINT_SORTS};
use super::model::{NewTouchpoint, Touchpoint, TouchpointPatch, TouchpointReplacement};
use crate::auth::User;
use crate::db::Db;
use crate::domain::{ClientType, Mode};
use crate::error::ApiResult;
use crate::error::{ApiError, ErrorCode};
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{ProcessPath, TouchpointPath};
use crate::http::{created, sort_param, ApiJson, ListParams};
use crate::list_envelope;
use crate::processes::api::unit_param;
use crate::processes::db as process_db;
use crate::workflow::edit::{edit_working_copy, Change};

list_envelope!(TouchpointList, Touchpoint);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TouchpointQuery {
    /// Channel type code.
    #[param(example = "phone")]
    pub channel: Option<crate::catalogs::ChannelCode>,
    /// Digital or offline under the agency's own channel rule.
    pub mode: Option<Mode>,
    /// Digital or offline as column 6 states it.
    pub stated_mode: Option<Mode>,
    /// `true`: only touchpoints whose column 6 contradicts the agency's rule; `false`: only those that agree.
    pub mode_conflict: Option<bool>,
    /// Client need code.
    #[param(example = "consultation")]
    pub need: Option<crate::catalogs::NeedCode>,
    /// Case-insensitive text search in the name, column 5 and contacts.
    pub q: Option<String>,
    /// Order: `position` (default: the register's order), `name`, `-name`, `created_at`, `-updated_at`.
    #[param(pattern = "^(position|name|-name|created_at|-updated_at)$")]
    pub sort: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterScopeQuery {
    pub agency_id: Option<Uuid>,
    pub process_id: Option<Uuid>,
    pub direction_id: Option<Uuid>,
    /// A unit id, or `agency` for processes that belong to the agency as a whole.
    #[param(inline, value_type = Option<crate::domain::PartKey>, example = "agency")]
    pub unit: Option<String>,
    /// `external` also matches processes serving both kinds of client; likewise `internal`.
    pub client_type: Option<ClientType>,
}

fn filter(scope: RegisterScopeQuery, q: TouchpointQuery) -> ApiResult<TouchpointFilter> {
    Ok(TouchpointFilter {
        agency_id: scope.agency_id,
        process_id: scope.process_id,
        direction_id: scope.direction_id,
        unit: unit_param(scope.unit.as_deref())?,
        client_type: scope.client_type,
        channel: q.channel.map(crate::catalogs::code_of),
        mode: q.mode,
        stated_mode: q.stated_mode,
        mode_conflict: q.mode_conflict,
        need: q.need.map(crate::catalogs::code_of),
        q: q.q,
    })
}

/// Search touchpoints across registers
///
/// For dashboards: every touchpoint matching the filters, across agencies unless `agency_id` is given.
#[utoipa::path(
    tag = "touchpoints", operation_id = "searchTouchpoints",
    params(ListParams, RegisterScopeQuery, TouchpointQuery),
    responses((status = 200, description = "A page of touchpoints", body = TouchpointList))
)]
#[get("/points")]
pub async fn search_touchpoints(
    db: web::Data<Db>,
    user: User,
    page: crate::http::ApiQuery<ListParams>,
    scope: crate::http::ApiQuery<RegisterScopeQuery>,
    query: crate::http::ApiQuery<TouchpointQuery>,
) -> ApiResult<web::Json<TouchpointList>> {
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref(), "position", TOUCHPOINT_SORTS)?;
    let mut f = filter(scope.into_inner(), query.into_inner())?;
    if !user.is_admin() {
        // a non-admin searches only their own agency's working copy
        match (f.agency_id, user.agency_id) {
            (Some(wanted), _) => crate::workflow::governance::may_read(&db, &user, wanted).await?,
            (None, mine) => f.agency_id = mine,
        }
        if f.agency_id.is_none() {
            return Err(ApiError::client(
                ErrorCode::Forbidden,
                "the token names no agency",
            ));
        }
    }
    let (items, total) = db
        .run(move |c| touchpoint_db::list(c, &f, sort, paging))
        .await?;
    Ok(web::Json(TouchpointList::new(items, total, paging)))
}

/// List the touchpoints of a process
#[utoipa::path(
    tag = "touchpoints", operation_id = "listTouchpoints",
    params(ProcessPath, ListParams, TouchpointQuery),
    responses((status = 200, description = "A page of touchpoints", body = TouchpointList))
)]
#[get("/processes/{id}/points")]
pub async fn list_touchpoints(
    db: web::Data<Db>,
    user: User,
    id: web::Path<ProcessPath>,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<TouchpointQuery>,
) -> ApiResult<web::Json<TouchpointList>> {
    let process_id = id.into_inner().id;
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref(), "position", TOUCHPOINT_SORTS)?;
    let scope = RegisterScopeQuery {
        agency_id: None,
        process_id: Some(process_id),
        direction_id: None,
        unit: None,
        client_type: None,
    };
    let f = filter(scope, query.into_inner())?;
    let (items, total) = db
        .run(move |c| {
            let agency_id = process_db::get(c, process_id)?.agency_id;
            crate::workflow::governance::require_reader(c, &user, agency_id)?;
            touchpoint_db::list(c, &f, sort, paging)
        })
        .await?;
    Ok(web::Json(TouchpointList::new(items, total, paging)))
}

/// Add a touchpoint to a process
///
/// Rule R7: a touchpoint with the same channel and a contact already listed in the process
/// (or, without contacts, the same channel and name) is refused with 409
/// `duplicate_touchpoint`; `existing_id` names the touchpoint to add the needs to instead.
/// Column 6 is kept as written even when it contradicts the agency's channel rule
/// (`mode_conflict` tells).
#[utoipa::path(
    tag = "touchpoints", operation_id = "createTouchpoint",
    params(ProcessPath),
    request_body = NewTouchpoint,
    responses((status = 201, description = "Created", body = Touchpoint,
        headers(("Location" = String, description = "URL of the new touchpoint"))))
)]
#[post("/processes/{id}/points")]
pub async fn create_touchpoint(
    db: web::Data<Db>,
    user: User,
    id: web::Path<ProcessPath>,
    body: ApiJson<NewTouchpoint>,
) -> ApiResult<HttpResponse> {
    let process_id = id.into_inner().id;
    let changes = body.0.validate()?;
    let sets_external_id = matches!(changes.external_id, Some(Some(_)));
    let point = db
        .transaction(move |c| {
            if sets_external_id {
                lock_agency_of(c, process_id)?;
            }
            // the process's lock serialises every edit inside it (R7 compares siblings)
            process_db::lock(c, process_id)?;
            let process = process_db::get(c, process_id)?;
            let change = Change {
                agency_id: process.agency_id,
                parts: vec![process.unit_id],
                entity: "touchpoint",
                entity_id: None,
                action: "create",
            };
            edit_working_copy(c, &user, change, None, None::<&()>, |c| {
                touchpoint_db::insert(c, process_id, changes)
            })
        })
        .await?;
    let mut resp = created(format!("/api/v1/points/{}", point.id), &point);
    resp.headers_mut().insert(
        actix_web::http::header::ETAG,
        crate::http::etag::etag(point.updated_at)
            .parse()
            .expect("ascii"),
    );
    Ok(resp)
}

/// Takes the lock of the process's agency, under which an external id is checked unique
/// across the agency's processes; always before the process's own lock.
fn lock_agency_of(c: &mut diesel::PgConnection, process_id: Uuid) -> ApiResult<Uuid> {
    let agency_id = process_db::get(c, process_id)?.agency_id;
    crate::agencies::db::lock(c, agency_id)?;
    Ok(agency_id)
}

/// Edits a touchpoint through the working copy's one path, after locking its process (which
/// serialises every edit inside it) and reading it as it is.
fn edit_touchpoint<A: serde::Serialize>(
    c: &mut diesel::PgConnection,
    user: &User,
    id: Uuid,
    if_match: &IfMatch,
    action: &str,
    apply: impl FnOnce(&mut diesel::PgConnection) -> ApiResult<A>,
) -> ApiResult<A> {
    let process_id = touchpoint_db::get(c, id)?.process_id;
    process_db::lock(c, process_id)?;
    let before = touchpoint_db::get(c, id)?;
    let process = process_db::get(c, process_id)?;
    let change = Change {
        agency_id: process.agency_id,
        parts: vec![process.unit_id],
        entity: "touchpoint",
        entity_id: Some(id.to_string()),
        action,
    };
    let precondition = Some((if_match, before.updated_at));
    edit_working_copy(c, user, change, precondition, Some(&before), apply)
}

/// Get a touchpoint
#[utoipa::path(
    tag = "touchpoints", operation_id = "getTouchpoint",
    params(TouchpointPath),
    responses((status = 200, description = "The touchpoint", body = Touchpoint))
)]
#[get("/points/{id}")]
pub async fn get_touchpoint(
    db: web::Data<Db>,
    user: User,
    id: web::Path<TouchpointPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let t = db.run(move |c| touchpoint_db::get(c, id)).await?;
    crate::workflow::governance::may_read(&db, &user, t.agency_id).await?;
    Ok(with_etag(HttpResponse::Ok(), t.updated_at).json(t))
}

/// Update a touchpoint
///
/// `contacts` and `needs`, when given, replace the whole list. R7 applies as on create.
#[utoipa::path(
    tag = "touchpoints", operation_id = "updateTouchpoint",
    params(TouchpointPath, IfMatch),
    request_body = TouchpointPatch,
    responses((status = 200, description = "The updated touchpoint", body = Touchpoint))
)]
#[patch("/points/{id}")]
pub async fn update_touchpoint(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<TouchpointPath>,
    body: ApiJson<TouchpointPatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    let sets_external_id = matches!(changes.external_id, Some(Some(_)));
    let point = db
        .transaction(move |c| {
            if sets_external_id {
                let process_id = touchpoint_db::get(c, id)?.process_id;
                lock_agency_of(c, process_id)?;
            }
            edit_touchpoint(c, &user, id, &if_match, "update", |c| {
                touchpoint_db::update(c, id, changes)
            })
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), point.updated_at).json(point))
}

/// Delete a touchpoint
///
/// Its contacts and needs go with it.
#[utoipa::path(
    tag = "touchpoints", operation_id = "deleteTouchpoint",
    params(TouchpointPath, IfMatch),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/points/{id}")]
pub async fn delete_touchpoint(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<TouchpointPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    db.transaction(move |c| {
        edit_touchpoint(c, &user, id, &if_match, "delete", |c| {
            touchpoint_db::delete(c, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{id}/points/by-external-id/{external_id}`: a process's touchpoint named by the integrator's id.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TouchpointExternalPath {
    /// Process id
    pub id: Uuid,
    /// The integrator's own id of the touchpoint (unique within the agency)
    #[param(pattern = "^[A-Za-z0-9._:~-]{1,200}$", example = "mfc-05:tel-1")]
    pub external_id: String,
}

/// Create or replace a touchpoint by the integrator's id
///
/// For systems that feed the register with ids of their own: the touchpoint of the process
/// with this `external_id` is created (201) or replaced by the body (200), which says
/// everything a creation does (`contacts` and `needs` replace the lists; an omitted `position`
/// keeps an existing touchpoint's place). Repeating the same PUT changes nothing (200, same
/// `ETag`, no history entry). External ids are unique within the agency: one that names a
/// touchpoint of another process is a 409 `already_exists` (`existing_id`). R7 applies as on
/// create, and like every edit it goes through the working copy (409 `locked` while the part
/// is submitted or accepted). `If-Match` is optional; with it, a stale tag (or any tag when no
/// such touchpoint exists yet) is a 412.
#[utoipa::path(
    tag = "touchpoints", operation_id = "putTouchpointByExternalId",
    params(TouchpointExternalPath, IfMatch),
    request_body = TouchpointReplacement,
    responses(
        (status = 200, description = "Replaced, or already as sent", body = Touchpoint, headers(("ETag" = String))),
        (status = 201, description = "Created", body = Touchpoint,
            headers(("Location" = String, description = "URL of the new touchpoint"), ("ETag" = String))))
)]
#[put("/processes/{id}/points/by-external-id/{external_id}")]
pub async fn put_touchpoint_by_external_id(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    path: web::Path<TouchpointExternalPath>,
    body: ApiJson<TouchpointReplacement>,
) -> ApiResult<HttpResponse> {
    let TouchpointExternalPath {
        id: process_id,
        external_id,
    } = path.into_inner();
    let external_id = crate::processes::api::external_id_param(&external_id)?;
    let changes = body.0.into_new(external_id.clone()).validate()?;
    let (point, created) = db
        .transaction(move |c| {
            let agency_id = lock_agency_of(c, process_id)?;
            process_db::lock(c, process_id)?;
            let process = process_db::get(c, process_id)?;
            let Some(existing) = touchpoint_db::by_external_id(c, agency_id, &external_id)? else {
                if if_match.0.is_some() {
                    return Err(ApiError::client(
                        ErrorCode::PreconditionFailed,
                        format!("If-Match names a version, but the agency has no touchpoint with external_id {external_id:?}"),
                    ));
                }
                let change = Change {
                    agency_id,
                    parts: vec![process.unit_id],
                    entity: "touchpoint",
                    entity_id: None,
                    action: "create",
                };
                let t = edit_working_copy(c, &user, change, None, None::<&()>, |c| {
                    touchpoint_db::insert(c, process_id, changes)
                })?;
                return Ok((t, true));
            };
            if existing.process_id != process_id {
                user.require_editor(agency_id, process.unit_id)?;
                return Err(ApiError::Client {
                    code: ErrorCode::AlreadyExists,
                    detail: format!("external_id {external_id:?} names a touchpoint of another process of the agency ({}); delete it there first", existing.process_id),
                    errors: vec![crate::error::FieldError::new(
                        "external_id",
                        "taken",
                        "a touchpoint of another process has this external id",
                    )],
                    existing_id: Some(existing.id),
                });
            }
            let id = existing.id;
            if changes.changes_nothing(&existing) {
                // nothing to write: the same answers as an edit, without one
                user.require_editor(agency_id, process.unit_id)?;
                if_match.check(existing.updated_at)?;
                return Ok((existing, false));
            }
            let t = edit_touchpoint(c, &user, id, &if_match, "update", |c| {
                touchpoint_db::update(c, id, changes)
            })?;
            Ok((t, false))
        })
        .await?;
    let b = if created {
        let mut b = HttpResponse::Created();
        b.insert_header(("Location", format!("/api/v1/points/{}", point.id)));
        b
    } else {
        HttpResponse::Ok()
    };
    Ok(with_etag(b, point.updated_at).json(point))
}
