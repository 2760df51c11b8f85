use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self as touchpoint_db, TouchpointFilter, TOUCHPOINT_SORTS};
use super::model::{NewTouchpoint, Touchpoint, TouchpointPatch};
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
    let point = db
        .transaction(move |c| {
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
    let point = db
        .transaction(move |c| {
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
