//! HTTP handlers for agencies and subordinate organizations: translate, call, answer.

use actix_web::{delete, get, patch, post};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self as agency_db, AgencyFilter, AgencySort};
use super::model::{Agency, AgencyPatch, NewAgency};
use crate::auth::User;
use crate::db::Db;
use crate::domain::AgencyKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{AgencyPath, OrganizationPath};
use crate::http::{created, ApiJson, ListParams};
use crate::list_envelope;
use crate::workflow::edit::{self, edit_working_copy, Change};

list_envelope!(AgencyList, Agency);

/// Filters and order of an agency list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgencyQuery {
    /// Only bodies of this region, e.g. `Республика Дагестан`.
    pub region: Option<String>,
    pub kind: Option<AgencyKind>,
    /// Case-insensitive text search in the full and short names.
    pub q: Option<String>,
    /// Also list subordinate organizations (by default only top-level bodies are listed).
    pub include_organizations: Option<bool>,
    /// Order: `name` (default), `-name`, `region`, `created_at`, `-created_at`.
    #[param(pattern = "^(name|-name|region|created_at|-created_at)$")]
    pub sort: Option<String>,
}

fn sort_param(s: Option<&str>) -> ApiResult<AgencySort> {
    AgencySort::parse(s).ok_or_else(|| {
        ApiError::field(
            ErrorCode::InvalidParameter,
            "sort",
            "unknown_value",
            format!("must be one of {}", AgencySort::VALUES.join(", ")),
        )
    })
}

/// List agencies
///
/// Top-level public bodies (ministries, agencies…); `include_organizations=true` lists their
/// subordinate organizations too.
#[utoipa::path(
    tag = "agencies", operation_id = "listAgencies",
    params(ListParams, AgencyQuery),
    responses((status = 200, description = "A page of agencies", body = AgencyList))
)]
#[get("/agencies")]
pub async fn list_agencies(
    db: web::Data<Db>,
    _user: User,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<AgencyQuery>,
) -> ApiResult<web::Json<AgencyList>> {
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref())?;
    let query = query.into_inner();
    let filter = AgencyFilter {
        parent: if query.include_organizations.unwrap_or(false) {
            None
        } else {
            Some(None)
        },
        region: query.region,
        kind: query.kind,
        q: query.q,
    };
    let (items, total) = db
        .run(move |c| agency_db::list(c, &filter, sort, paging))
        .await?;
    Ok(web::Json(AgencyList::new(items, total, paging)))
}

/// Create an agency
#[utoipa::path(
    tag = "agencies", operation_id = "createAgency",
    request_body = NewAgency,
    responses((status = 201, description = "Created", body = Agency,
        headers(("Location" = String, description = "URL of the new agency"))))
)]
#[post("/agencies")]
pub async fn create_agency(
    db: web::Data<Db>,
    user: User,
    body: ApiJson<NewAgency>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let changes = body.0.validate()?;
    let agency = db.run(move |c| agency_db::insert(c, None, changes)).await?;
    Ok(created(format!("/api/v1/agencies/{}", agency.id), &agency))
}

/// Get an agency
///
/// Works for top-level bodies and subordinate organizations alike.
#[utoipa::path(
    tag = "agencies", operation_id = "getAgency",
    params(AgencyPath),
    responses((status = 200, description = "The agency", body = Agency))
)]
#[get("/agencies/{id}")]
pub async fn get_agency(
    db: web::Data<Db>,
    _user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let agency = db.run(move |c| agency_db::get(c, id)).await?;
    Ok(with_etag(HttpResponse::Ok(), agency.updated_at).json(agency))
}

/// Update an agency
#[utoipa::path(
    tag = "agencies", operation_id = "updateAgency",
    params(AgencyPath, IfMatch),
    request_body = AgencyPatch,
    responses((status = 200, description = "The updated agency", body = Agency))
)]
#[patch("/agencies/{id}")]
pub async fn update_agency(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<AgencyPath>,
    body: ApiJson<AgencyPatch>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    let agency = db
        .transaction(move |c| update_heading(c, &user, id, &if_match, changes))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), agency.updated_at).json(agency))
}

/// Delete an agency
///
/// Refused with 409 `has_dependents` while the agency still has organizations, units,
/// directions or processes: delete those first. Its channel classification goes with it.
#[utoipa::path(
    tag = "agencies", operation_id = "deleteAgency",
    params(AgencyPath),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/agencies/{id}")]
pub async fn delete_agency(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    db.run(move |c| agency_db::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Filters and order of an organization list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    pub kind: Option<AgencyKind>,
    /// Case-insensitive text search in the full and short names.
    pub q: Option<String>,
    /// Order: `name` (default), `-name`, `region`, `created_at`, `-created_at`.
    #[param(pattern = "^(name|-name|region|created_at|-created_at)$")]
    pub sort: Option<String>,
}

/// List subordinate organizations of an agency
#[utoipa::path(
    tag = "organizations", operation_id = "listOrganizations",
    params(AgencyPath, ListParams, OrganizationQuery),
    responses((status = 200, description = "A page of subordinate organizations", body = AgencyList))
)]
#[get("/agencies/{id}/organizations")]
pub async fn list_organizations(
    db: web::Data<Db>,
    _user: User,
    id: web::Path<AgencyPath>,
    page: crate::http::ApiQuery<ListParams>,
    query: crate::http::ApiQuery<OrganizationQuery>,
) -> ApiResult<web::Json<AgencyList>> {
    let parent = id.into_inner().id;
    let paging = page.paging()?;
    let sort = sort_param(query.sort.as_deref())?;
    let query = query.into_inner();
    let filter = AgencyFilter {
        parent: Some(Some(parent)),
        region: None,
        kind: query.kind,
        q: query.q,
    };
    let (items, total) = db
        .run(move |c| {
            agency_db::get(c, parent)?;
            agency_db::list(c, &filter, sort, paging)
        })
        .await?;
    Ok(web::Json(AgencyList::new(items, total, paging)))
}

/// Create a subordinate organization
///
/// The organization keeps a register of its own (R14). Its region defaults to the parent's.
#[utoipa::path(
    tag = "organizations", operation_id = "createOrganization",
    params(AgencyPath),
    request_body = NewOrganization,
    responses((status = 201, description = "Created", body = Agency,
        headers(("Location" = String, description = "URL of the new organization"))))
)]
#[post("/agencies/{id}/organizations")]
pub async fn create_organization(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewOrganization>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let parent = id.into_inner().id;
    let body = body.0;
    let org = db
        .transaction(move |c| {
            let parent_agency = agency_db::get(c, parent)?;
            let changes = NewAgency {
                name: body.name,
                short_name: body.short_name,
                region: body.region.unwrap_or(parent_agency.region),
                kind: body.kind.unwrap_or(AgencyKind::Institution),
                website: body.website,
                // an organization keeps its parent's clock unless told otherwise
                time_zone: body.time_zone.or(Some(parent_agency.time_zone)),
            }
            .validate()?;
            agency_db::insert(c, Some(parent), changes)
        })
        .await?;
    Ok(created(format!("/api/v1/organizations/{}", org.id), &org))
}

/// Body of a create-organization request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "ГКУ РД «Управление капитального строительства»",
    "kind": "institution",
    "website": "https://uks.e-dag.ru"
}))]
pub struct NewOrganization {
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub short_name: Option<String>,
    /// Defaults to the parent agency's region.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 300)]
    pub region: Option<String>,
    /// Defaults to `institution`.
    #[serde(default)]
    pub kind: Option<AgencyKind>,
    #[serde(default)]
    #[schema(schema_with = super::model::website_schema)]
    pub website: Option<String>,
    /// IANA time zone; defaults to the parent agency's.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::hours::TimeZoneName>)]
    pub time_zone: Option<String>,
}

async fn get_org(db: &Db, id: Uuid) -> ApiResult<Agency> {
    db.run(move |c| match agency_db::find(c, id)? {
        Some(a) if a.parent_id.is_some() => Ok(a),
        _ => Err(ApiError::not_found("subordinate organization", id)),
    })
    .await
}

/// Get a subordinate organization
#[utoipa::path(
    tag = "organizations", operation_id = "getOrganization",
    params(OrganizationPath),
    responses((status = 200, description = "The organization", body = Agency))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    db: web::Data<Db>,
    _user: User,
    id: web::Path<OrganizationPath>,
) -> ApiResult<HttpResponse> {
    let org = get_org(&db, id.into_inner().id).await?;
    Ok(with_etag(HttpResponse::Ok(), org.updated_at).json(org))
}

/// Update a subordinate organization
#[utoipa::path(
    tag = "organizations", operation_id = "updateOrganization",
    params(OrganizationPath, IfMatch),
    request_body = AgencyPatch,
    responses((status = 200, description = "The updated organization", body = Agency))
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    db: web::Data<Db>,
    user: User,
    if_match: IfMatch,
    id: web::Path<OrganizationPath>,
    body: ApiJson<AgencyPatch>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    let changes = body.0.validate()?;
    get_org(&db, id).await?;
    let org = db
        .transaction(move |c| update_heading(c, &user, id, &if_match, changes))
        .await?;
    Ok(with_etag(HttpResponse::Ok(), org.updated_at).json(org))
}

/// Delete a subordinate organization
///
/// Refused with 409 `has_dependents` while it still has units, directions or processes.
#[utoipa::path(
    tag = "organizations", operation_id = "deleteOrganization",
    params(OrganizationPath),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/organizations/{id}")]
pub async fn delete_organization(
    db: web::Data<Db>,
    user: User,
    id: web::Path<OrganizationPath>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let id = id.into_inner().id;
    get_org(&db, id).await?;
    db.run(move |c| agency_db::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Updates an agency or organization. Its name, short name, region and website head its
/// register, so changing them in an agency whose register has rows is an edit of the agency's
/// own part of the working copy: it opens or joins the revision, is refused with 409 `locked`
/// while that part is submitted or accepted or the revision is being approved, and is recorded
/// in the revision's history.
fn update_heading(
    c: &mut diesel::PgConnection,
    user: &User,
    id: Uuid,
    if_match: &IfMatch,
    changes: crate::agencies::model::AgencyChanges,
) -> ApiResult<Agency> {
    agency_db::lock(c, id)?;
    let before = agency_db::get(c, id)?;
    let differs = |new: Option<&String>, old: &String| new.is_some_and(|n| n != old);
    let heading_changes = differs(changes.name.as_ref(), &before.name)
        || differs(changes.region.as_ref(), &before.region)
        || changes
            .short_name
            .as_ref()
            .is_some_and(|n| *n != before.short_name)
        || changes
            .website
            .as_ref()
            .is_some_and(|w| *w != before.website);
    if !heading_changes {
        // the kind is not printed in the register
        if_match.check(before.updated_at)?;
        return agency_db::update(c, id, changes);
    }
    let change = Change {
        agency_id: id,
        parts: edit::parts_of_heading(c, id)?,
        entity: "agency",
        entity_id: Some(id.to_string()),
        action: "update",
    };
    let precondition = Some((if_match, before.updated_at));
    edit_working_copy(c, user, change, precondition, Some(&before), |c| {
        agency_db::update(c, id, changes)
    })
}
