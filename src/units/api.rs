use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::db::{self as unit_db, UNIT_SORTS};
use super::model::{NewUnit, Unit, UnitPatch};
use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{AgencyPath, UnitPath};
use crate::http::{created, sort_param, ApiJson, ListParams};
use crate::list_envelope;
use crate::workflow::edit::{self, edit_working_copy, Change};

list_envelope!(UnitList, Unit);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Case-insensitive text search in unit names.
    pub q: Option<String>,
    /// Order: `name` (default), `-name`, `created_at`.
    #[param(pattern = "^(name|-name|created_at)$")]
    pub sort: Option<String>,
}

/// List the units of an agency
#[utoipa::path(
    tag = "units", operation_id = "listUnits",
    params(AgencyPath, ListParams, UnitQuery),
    responses((status = 200, description = "A page of units", body = UnitList))
)]
#[get("/agencies/{id}/units")]
pub async fn list_units(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<UnitQuery>,
) -> ApiResult<web::Json<UnitList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref(), "name", UNIT_SORTS)?;
    let q = query.into_inner().q;
    let (items, total) = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            unit_db::list(c, agency_id, q.as_deref(), sort, paging)
        })
        .await?;
    Ok(web::Json(UnitList::new(items, total, paging)))
}

/// Create a unit
#[utoipa::path(
    tag = "units", operation_id = "createUnit",
    params(AgencyPath),
    request_body = NewUnit,
    responses((status = 201, description = "Created", body = Unit,
        headers(("Location" = String, description = "URL of the new unit"))))
)]
#[post("/agencies/{id}/units")]
pub async fn create_unit(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewUnit>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let agency_id = id.into_inner().id;
    let changes = body.0.validate()?;
    let unit = db
        .transaction(move |c| {
            agency_db::get(c, agency_id)?;
            unit_db::insert(c, agency_id, changes)
        })
        .await?;
    Ok(created(format!("/api/v1/units/{}", unit.id), &unit))
}

/// Get a unit
#[utoipa::path(
    tag = "units", operation_id = "getUnit",
    params(UnitPath),
    responses((status = 200, description = "The unit", body = Unit))
)]
#[get("/units/{id}")]
pub async fn get_unit(
    db: web::Data<Db>,
    user: User,
    id: web::Path<UnitPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let unit = db.run(move |c| unit_db::get(c, id)).await?;
    crate::workflow::governance::may_read(&db, &user, unit.agency_id).await?;
    Ok(with_etag(HttpResponse::Ok(), unit.updated_at).json(unit))
}

/// Update a unit
///
/// A unit's name is printed with its rows of the register: renaming a unit that has processes
/// is an edit of its part of the working copy (the revision is opened or joined; 409 `locked`
/// while the part is submitted or accepted or the revision is being approved) and is recorded
/// in the revision's history. `head_official_id` and `curator_official_id` name officials of
/// the agency (422 `unknown_reference` otherwise); they are not printed in the register.
#[utoipa::path(
    tag = "units", operation_id = "updateUnit",
    params(UnitPath, IfMatch),
    request_body = UnitPatch,
    responses((status = 200, description = "The updated unit", body = Unit))
)]
#[patch("/units/{id}")]
pub async fn update_unit(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<UnitPath>,
    body: ApiJson<UnitPatch>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    let unit = db
        .transaction(move |c| {
            let before = unit_db::get_for_update(c, id)?;
            for (field, official) in [
                ("head_official_id", changes.head_official_id),
                ("curator_official_id", changes.curator_official_id),
            ] {
                if let Some(Some(o)) = official {
                    crate::officials::db::check_of_agency(c, before.agency_id, o, field)?;
                }
            }
            if changes.name.as_ref().is_none_or(|n| *n == before.name) {
                // the responsible persons are not printed in the register
                if_match.check(before.updated_at)?;
                return unit_db::update(c, id, changes);
            }
            // the unit's name is printed with its rows: an edit of its part of the register
            let change = Change {
                agency_id: before.agency_id,
                parts: edit::parts_of_unit(c, id)?,
                entity: "unit",
                entity_id: Some(id.to_string()),
                action: "update",
            };
            let precondition = Some((&if_match, before.updated_at));
            edit_working_copy(c, &user, change, precondition, Some(&before), |c| {
                unit_db::update(c, id, changes)
            })
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), unit.updated_at).json(unit))
}

/// Delete a unit
///
/// Refused with 409 `has_dependents` while processes are assigned to the unit: reassign
/// them (PATCH the process's `unit_id`) or delete them first.
#[utoipa::path(
    tag = "units", operation_id = "deleteUnit",
    params(UnitPath),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/units/{id}")]
pub async fn delete_unit(
    db: web::Data<Db>,
    user: User,
    id: web::Path<UnitPath>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    db.transaction(move |c| unit_db::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
