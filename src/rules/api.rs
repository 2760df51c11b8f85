use std::sync::Arc;

use actix_web::get;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check, Finding, Severity};
use crate::auth::User;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::path::{AgencyPath, RevisionPath};
use crate::public::cache::PublicCache;
use crate::workflow::{db as wf_db, snapshot};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingReport {
    pub items: Vec<Finding>,
    pub total: i64,
    pub errors: i64,
    pub warnings: i64,
}

fn report(items: Vec<Finding>) -> FindingReport {
    let errors = items
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count() as i64;
    FindingReport {
        total: items.len() as i64,
        warnings: items.len() as i64 - errors,
        errors,
        items,
    }
}

/// Findings of a revision's working copy
///
/// Processes without touchpoints (R4), touchpoints without needs (R5), column 6 contradicting
/// the agency's channel rule (R6), duplicate touchpoints in a process (R7), contacts of the
/// wrong kind for their channel, and overdue deadlines (R10–R12). Error-level findings block the
/// submission of a part.
#[utoipa::path(
    tag = "workflow", operation_id = "getRevisionFindings",
    params(RevisionPath),
    responses((status = 200, description = "The findings, in row order", body = FindingReport))
)]
#[get("/revisions/{id}/findings")]
pub async fn revision_findings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
) -> ApiResult<web::Json<FindingReport>> {
    let id = id.into_inner().id;
    let items = db
        .run(move |c| {
            let r = wf_db::row(c, id, false)?;
            crate::workflow::governance::require_reader(c, &user, r.agency_id)?;
            let mut items = check(&snapshot::build(c, r.agency_id)?);
            let today = crate::calendar::local_date(chrono::Utc::now());
            let deadlines = crate::deadlines::compute(
                &crate::deadlines::api::facts(c, r.agency_id)?,
                &crate::calendar::db::calendar(c)?,
                today,
            );
            items.extend(super::overdue(&deadlines));
            Ok(items)
        })
        .await?;
    Ok(web::Json(report(items)))
}

/// Findings of a published register
///
/// The same checks on the current published version; the seeds' own contradictions show
/// here (R6 warnings).
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getPublicRegisterFindings",
    params(AgencyPath),
    responses((status = 200, description = "The findings, in row order", body = FindingReport))
)]
#[get("/public/agencies/{id}/register/findings")]
pub async fn public_findings(
    db: web::Data<crate::db::ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<FindingReport>> {
    let agency_id = id.into_inner().id;
    let content = crate::public::api::current_content(&db, &cache, agency_id).await?;
    Ok(web::Json(report(check(&content))))
}
