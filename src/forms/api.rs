//! HTTP handlers of the form profile.

use actix_web::{delete, get, put, web};

use super::db::{self, FormProfile, FormProfileInForce};
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::path::AgencyPath;
use crate::http::ApiJson;

/// An agency's form profile
///
/// The form its register prints in (R13), in every format (JSON carries it as `profile`, CSV,
/// HTML and XLSX print it): `titles`, the six mandatory `columns` in the agency's wording,
/// `footnotes` under the table(s), the words of column 6's mark (`marks`), the «1 2 3 4 5 6»
/// row (`number_row`), `extra_columns` after the six (printed empty), `tables` (`combined`, or
/// `by_client_type`: internal then external, each numbered from 1) and the approval block
/// (`approval_style`: `order` «УТВЕРЖДЕН приказом <approver_body_genitive> от … № …», or `head`
/// «УТВЕРЖДАЮ» / position / name / date; `approval_heading` replaces the first word). The
/// agency's own profile, else that of its nearest ancestor that set one (`source`
/// `inherited`, `source_agency_id`), else the default form (`source` `default`). A publication
/// freezes the profile in force into the version.
#[utoipa::path(
    tag = "agencies", operation_id = "getFormProfile",
    params(AgencyPath),
    responses((status = 200, description = "The profile in force", body = FormProfileInForce))
)]
#[get("/agencies/{id}/form-profile")]
pub async fn get_profile(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<FormProfileInForce>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    Ok(web::Json(
        db.run(move |c| {
            agency_db::get(c, agency_id)?;
            db::get(c, agency_id)
        })
        .await?,
    ))
}

/// Set an agency's form profile
///
/// By an admin or an approver of the agency (of its governing agency, when that approves its
/// subordinates). Every field may be left out (the default); `columns` are exactly six
/// non-empty headers (422 `wrong_count`), extra columns take positions 7–20. The agency stops
/// inheriting its parent's profile; versions already published keep the form they were
/// approved in. `source` and `source_agency_id` are read-only and ignored when sent back.
#[utoipa::path(
    tag = "agencies", operation_id = "putFormProfile",
    params(AgencyPath),
    request_body = FormProfile,
    responses((status = 200, description = "The profile in force", body = FormProfileInForce))
)]
#[put("/agencies/{id}/form-profile")]
pub async fn put_profile(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<web::Json<FormProfileInForce>> {
    let agency_id = id.into_inner().id;
    let mut value = body.0;
    // what GET answers may be sent back as it is
    if let Some(o) = value.as_object_mut() {
        o.remove("source");
        o.remove("source_agency_id");
    }
    let profile: FormProfile =
        crate::http::extract::parse_json(&serde_json::to_vec(&value).unwrap_or_default())?;
    let profile = profile.validate().map_err(ApiError::validation)?;
    Ok(web::Json(
        db.transaction(move |c| {
            agency_db::get(c, agency_id)?;
            crate::workflow::governance::require_role(c, &user, Role::Approver, agency_id)?;
            db::put(c, agency_id, &profile, &user.sub)?;
            db::get(c, agency_id)
        })
        .await?,
    ))
}

/// Drop an agency's own form profile
///
/// As for setting it. The agency prints in its parent's profile again (or the default form);
/// 404 when it has none of its own.
#[utoipa::path(
    tag = "agencies", operation_id = "deleteFormProfile",
    params(AgencyPath),
    responses((status = 200, description = "The profile in force afterwards", body = FormProfileInForce))
)]
#[delete("/agencies/{id}/form-profile")]
pub async fn delete_profile(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<FormProfileInForce>> {
    let agency_id = id.into_inner().id;
    Ok(web::Json(
        db.transaction(move |c| {
            agency_db::get(c, agency_id)?;
            crate::workflow::governance::require_role(c, &user, Role::Approver, agency_id)?;
            if !db::delete(c, agency_id)? {
                return Err(ApiError::not_found("form profile of agency", agency_id));
            }
            db::get(c, agency_id)
        })
        .await?,
    ))
}
