//! HTTP handlers of officials and of the curators of directions.

use actix_web::{delete, get, patch, post, put};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::db as official_db;
use super::model::{CuratorBody, DirectionCurator, NewOfficial, Official, OfficialPatch};
use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{AgencyDirectionPath, AgencyPath, OfficialPath};
use crate::http::{created, ApiJson};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficialList {
    pub items: Vec<Official>,
    pub total: i64,
}

/// List an agency's officials
///
/// The people its approval chain can name. Members of the agency read them.
#[utoipa::path(
    tag = "officials", operation_id = "listOfficials",
    params(AgencyPath),
    responses((status = 200, description = "The agency's officials, by name", body = OfficialList))
)]
#[get("/agencies/{id}/officials")]
pub async fn list_officials(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<OfficialList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let items = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            official_db::list(c, agency_id)
        })
        .await?;
    Ok(web::Json(OfficialList {
        total: items.len() as i64,
        items,
    }))
}

/// Add an official to an agency
///
/// Admin only. `sub` is the subject of the official's tokens (unique within the agency, 409
/// `already_exists`); `unit_id`, when given, is a unit of the agency.
#[utoipa::path(
    tag = "officials", operation_id = "createOfficial",
    params(AgencyPath),
    request_body = NewOfficial,
    responses((status = 201, description = "Created", body = Official,
        headers(("Location" = String, description = "URL of the new official"))))
)]
#[post("/agencies/{id}/officials")]
pub async fn create_official(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewOfficial>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let agency_id = id.into_inner().id;
    let changes = body.0.validate()?;
    let official = db
        .transaction(move |c| {
            agency_db::get(c, agency_id)?;
            official_db::insert(c, agency_id, changes)
        })
        .await?;
    Ok(created(
        format!("/api/v1/officials/{}", official.id),
        &official,
    ))
}

/// Get an official
#[utoipa::path(
    tag = "officials", operation_id = "getOfficial",
    params(OfficialPath),
    responses((status = 200, description = "The official", body = Official,
        headers(("ETag" = String, description = "Version, for If-Match"))))
)]
#[get("/officials/{id}")]
pub async fn get_official(
    db: web::Data<Db>,
    user: User,
    id: web::Path<OfficialPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let official = db.run(move |c| official_db::get(c, id, false)).await?;
    crate::workflow::governance::may_read(&db, &user, official.agency_id).await?;
    Ok(with_etag(HttpResponse::Ok(), official.updated_at).json(official))
}

/// Update an official
///
/// Admin only. Absent fields are left as they are; `unit_id: null` clears the unit.
#[utoipa::path(
    tag = "officials", operation_id = "updateOfficial",
    params(OfficialPath, IfMatch),
    request_body = OfficialPatch,
    responses((status = 200, description = "The updated official", body = Official))
)]
#[patch("/officials/{id}")]
pub async fn update_official(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<OfficialPath>,
    body: ApiJson<OfficialPatch>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    let official = db
        .transaction(move |c| {
            let before = official_db::get(c, id, true)?;
            if_match.check(before.updated_at)?;
            official_db::update(c, &before, changes)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), official.updated_at).json(official))
}

/// Delete an official
///
/// Admin only. Units they headed or curated and directions they curated are left without
/// one; a chain step that names them stops there until an admin names someone else.
#[utoipa::path(
    tag = "officials", operation_id = "deleteOfficial",
    params(OfficialPath),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/officials/{id}")]
pub async fn delete_official(
    db: web::Data<Db>,
    user: User,
    id: web::Path<OfficialPath>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    db.transaction(move |c| official_db::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set the curator of a direction in an agency
///
/// Admin only. Works alike for the shared catalog's directions and the agency's own (a
/// catalog direction has a curator per agency); `official_id: null` removes the curator. The
/// `direction_curator` step of an approval chain asks the curators of every direction whose
/// processes the revision changed.
#[utoipa::path(
    tag = "officials", operation_id = "setDirectionCurator",
    params(AgencyDirectionPath),
    request_body = CuratorBody,
    responses((status = 200, description = "The curator in force", body = DirectionCurator))
)]
#[put("/agencies/{id}/directions/{direction_id}/curator")]
pub async fn set_direction_curator(
    db: web::Data<Db>,
    user: User,
    path: web::Path<AgencyDirectionPath>,
    body: ApiJson<CuratorBody>,
) -> ApiResult<web::Json<DirectionCurator>> {
    user.require_admin()?;
    let AgencyDirectionPath {
        id: agency_id,
        direction_id,
    } = path.into_inner();
    let official_id = body.0.official_id;
    db.transaction(move |c| {
        agency_db::get(c, agency_id)?;
        official_db::set_curator(c, agency_id, direction_id, official_id)
    })
    .await?;
    Ok(web::Json(DirectionCurator {
        agency_id,
        direction_id,
        official_id,
    }))
}
