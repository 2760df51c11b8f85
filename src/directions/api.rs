use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self as direction_db, DirectionScope};
use super::model::{Direction, DirectionPatch, NewDirection};
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::http::path::{AgencyPath, DirectionPath};
use crate::http::{created, ApiJson, ListParams};
use crate::list_envelope;
use crate::workflow::edit::{self, edit_working_copy, Change};

list_envelope!(DirectionList, Direction);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectionQuery {
    /// `all` (default): catalog and own; `catalog`; `own`.
    pub scope: Option<DirectionScope>,
    /// Case-insensitive text search in names.
    pub q: Option<String>,
}

/// List the directions an agency can use
///
/// The shared catalog first (in its official order), then the agency's own directions.
#[utoipa::path(
    tag = "directions", operation_id = "listAgencyDirections",
    params(AgencyPath, ListParams, DirectionQuery),
    responses((status = 200, description = "A page of directions", body = DirectionList))
)]
#[get("/agencies/{id}/directions")]
pub async fn list_directions(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<DirectionQuery>,
) -> ApiResult<web::Json<DirectionList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let paging = page.paging()?;
    let query = query.into_inner();
    let scope = query.scope.unwrap_or(DirectionScope::All);
    let (items, total) = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            direction_db::list(c, Some(agency_id), scope, query.q.as_deref(), paging)
        })
        .await?;
    Ok(web::Json(DirectionList::new(items, total, paging)))
}

/// Add an agency-specific direction
///
/// A name already in the catalog or among the agency's directions is refused with 409
/// `already_exists` and the existing direction's id.
#[utoipa::path(
    tag = "directions", operation_id = "createDirection",
    params(AgencyPath),
    request_body = NewDirection,
    responses((status = 201, description = "Created", body = Direction,
        headers(("Location" = String, description = "URL of the new direction"))))
)]
#[post("/agencies/{id}/directions")]
pub async fn create_direction(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewDirection>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    require_direction_editor(&user, agency_id)?;
    let name = text::required("name", &body.0.name, text::NAME_MAX)
        .map_err(|e| ApiError::validation(vec![e]))?;
    let direction = db
        .transaction(move |c| {
            agency_db::lock(c, agency_id)?;
            direction_db::insert(c, agency_id, name)
        })
        .await?;
    Ok(created(
        format!("/api/v1/directions/{}", direction.id),
        &direction,
    ))
}

/// Get a direction
#[utoipa::path(
    tag = "directions", operation_id = "getDirection",
    params(DirectionPath),
    responses((status = 200, description = "The direction", body = Direction))
)]
#[get("/directions/{id}")]
pub async fn get_direction(
    db: web::Data<Db>,
    user: User,
    id: web::Path<DirectionPath>,
) -> ApiResult<web::Json<Direction>> {
    let id = id.into_inner().id;
    let d = db.run(move |c| direction_db::get(c, id)).await?;
    if let Some(a) = d.agency_id {
        crate::workflow::governance::may_read(&db, &user, a).await?;
    }
    Ok(web::Json(d))
}

/// Agency-specific directions are kept by the agency's submitters and approvers (R2).
fn require_direction_editor(user: &User, agency_id: Uuid) -> ApiResult<()> {
    user.require_member(agency_id)?;
    if user.is_admin() || user.has(Role::Submitter) || user.has(Role::Approver) {
        Ok(())
    } else {
        Err(ApiError::client(
            crate::error::ErrorCode::Forbidden,
            "directions are kept by the agency's submitters and approvers",
        ))
    }
}

async fn owning_agency(db: &Db, id: Uuid) -> ApiResult<Option<Uuid>> {
    db.run(move |c| Ok(direction_db::get(c, id)?.agency_id))
        .await
}

/// Rename an agency-specific direction
///
/// Catalog directions are read-only (409 `read_only`). The name is what column 2 prints for
/// every process filed under the direction (unless the process words its direction itself),
/// so a rename is an edit of the working copy of each part with such processes: the caller
/// needs edit rights for every one of those units, the agency's revision is opened or joined,
/// the rename is refused with 409 `locked` while one of those parts is submitted or accepted
/// or the revision is being approved, and it is recorded in the revision's history.
#[utoipa::path(
    tag = "directions", operation_id = "updateDirection",
    params(DirectionPath),
    request_body = DirectionPatch,
    responses((status = 200, description = "The updated direction", body = Direction))
)]
#[patch("/directions/{id}")]
pub async fn update_direction(
    db: web::Data<Db>,
    user: User,
    id: web::Path<DirectionPath>,
    body: ApiJson<DirectionPatch>,
) -> ApiResult<web::Json<Direction>> {
    let id = id.into_inner().id;
    match owning_agency(&db, id).await? {
        Some(a) => require_direction_editor(&user, a)?,
        None => user.require_admin()?,
    }
    let name = body
        .0
        .name
        .as_deref()
        .map(|n| text::required("name", n, text::NAME_MAX))
        .transpose()
        .map_err(|e| ApiError::validation(vec![e]))?;
    let renamed = db
        .transaction(move |c| {
            let before = direction_db::get(c, id)?;
            let Some(agency_id) = before.agency_id else {
                // a catalog direction: refused as read-only
                return direction_db::rename(c, id, name);
            };
            // serialises the agency's direction names (as creation does)
            agency_db::lock(c, agency_id)?;
            if name.as_ref().is_none_or(|n| *n == before.name) {
                return Ok(before);
            }
            let change = Change {
                agency_id,
                parts: edit::parts_naming_direction(c, agency_id, id)?,
                entity: "direction",
                entity_id: Some(id.to_string()),
                action: "update",
            };
            edit_working_copy(c, &user, change, None, Some(&before), |c| {
                direction_db::rename(c, id, name)
            })
        })
        .await?;
    Ok(web::Json(renamed))
}

/// Delete an agency-specific direction
///
/// Refused with 409 `has_dependents` while processes use it, and with 409 `read_only` for
/// catalog directions.
#[utoipa::path(
    tag = "directions", operation_id = "deleteDirection",
    params(DirectionPath),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/directions/{id}")]
pub async fn delete_direction(
    db: web::Data<Db>,
    user: User,
    id: web::Path<DirectionPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    match owning_agency(&db, id).await? {
        Some(a) => require_direction_editor(&user, a)?,
        None => user.require_admin()?,
    }
    db.transaction(move |c| direction_db::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The shared catalog of directions
#[utoipa::path(
    security(()),
    tag = "catalogs", operation_id = "listCatalogDirections",
    params(ListParams),
    responses((status = 200, description = "Catalog directions in their official order", body = DirectionList))
)]
#[get("/catalogs/directions")]
pub async fn list_catalog_directions(
    db: web::Data<Db>,
    page: crate::http::ApiQuery<ListParams>,
) -> ApiResult<web::Json<DirectionList>> {
    let paging = page.paging()?;
    let (items, total) = db
        .run(move |c| direction_db::list(c, None, DirectionScope::Catalog, None, paging))
        .await?;
    Ok(web::Json(DirectionList::new(items, total, paging)))
}
