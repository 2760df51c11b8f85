//! Handlers of the reviews: record one (approvers, admins), list them (members).

use actix_web::{get, post};
use actix_web::{web, HttpResponse};

use super::{db, NewReview, ReviewList};
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::path::AgencyPath;
use crate::http::ApiJson;

/// Record a review of an agency's register
///
/// The quarterly analysis (004 §20) or the yearly monitoring (002: by 31 Dec), by an approver
/// (or admin), with who and when. `no_changes` meets that deadline (the current quarter's
/// analysis, the year's monitoring) without a revision or a version; `changes_found` opens a
/// revision with the matching reason (`quarterly_analysis`, `yearly_revision`), or joins the
/// one in progress (`revision_id` says which).
#[utoipa::path(
    tag = "workflow", operation_id = "recordReview",
    params(AgencyPath),
    request_body = NewReview,
    responses((status = 201, description = "The recorded review", body = super::Review))
)]
#[post("/agencies/{id}/reviews")]
pub async fn record_review(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewReview>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let mut body = body.0;
    body.comment = crate::domain::text::optional(
        "comment",
        body.comment.as_deref(),
        crate::domain::text::COMMENT_MAX,
    )
    .map_err(|e| ApiError::validation(vec![e]))?;
    let review = db
        .transaction(move |c| {
            agency_db::get(c, agency_id)?;
            crate::workflow::governance::require_role(c, &user, Role::Approver, agency_id)?;
            db::record(c, &user, agency_id, body)
        })
        .await?;
    Ok(HttpResponse::Created().json(review))
}

/// List an agency's reviews
///
/// Newest first; any member of the agency reads them.
#[utoipa::path(
    tag = "workflow", operation_id = "listReviews",
    params(AgencyPath),
    responses((status = 200, description = "The agency's reviews", body = ReviewList))
)]
#[get("/agencies/{id}/reviews")]
pub async fn list_reviews(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<ReviewList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let items = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            db::list(c, agency_id)
        })
        .await?;
    Ok(web::Json(ReviewList {
        total: items.len() as i64,
        items,
    }))
}
