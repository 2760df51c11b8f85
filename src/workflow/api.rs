//! HTTP handlers of the workflow: revisions, part transitions, approval, publication,
//! history, versions and their diff, and each agency's workflow settings.

use actix_web::{delete, get, post, put};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db::{self as wf_db};
use super::model::{
    ApprovalActBody, CancelBody, History, NewRevision, Published, RefuseBody, RemarkInput,
    ReturnBody, Revision,
};
use super::settings::{self, WorkflowSettings};
use super::snapshot::{self, RegisterContent, VersionDiff};
use super::state::PartAction;
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::domain::PartKey;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::etag::{with_etag, IfMatch};
use crate::http::path::{AgencyPath, RevisionPath};
use crate::http::path::{PartPath, VersionPath};
use crate::http::ApiJson;

fn revision_response(status: actix_web::http::StatusCode, r: &Revision) -> HttpResponse {
    with_etag(HttpResponse::build(status), r.updated_at).json(r)
}

/// Open a revision of an agency's register
///
/// By an approver (or admin). Parts are created for every unit that owns processes, plus the
/// agency's own part (`agency`). Only one revision may be in progress: a second one is 409
/// `revision_in_progress` with `existing_id`. The first edit of the working copy opens a
/// revision automatically (reason `other`) when none is in progress.
#[utoipa::path(
    tag = "workflow", operation_id = "openRevision",
    params(AgencyPath),
    request_body = NewRevision,
    responses((status = 201, description = "The new revision with its parts", body = Revision,
        headers(("ETag" = String, description = "Version of the revision, for If-Match"), ("Location" = String, description = "URL of the revision"))))
)]
#[post("/agencies/{id}/revisions")]
pub async fn open_revision(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewRevision>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let body = body.0;
    let comment = crate::domain::text::optional(
        "comment",
        body.comment.as_deref(),
        crate::domain::text::COMMENT_MAX,
    )
    .map_err(|e| ApiError::validation(vec![e]))?;
    let revision = db
        .transaction(move |c| {
            agency_db::get(c, agency_id)?;
            super::governance::require_role(c, &user, Role::Approver, agency_id)?;
            let r = wf_db::open(c, &user, agency_id, body.reason, comment)?;
            wf_db::load(c, r)
        })
        .await?;
    let mut resp = revision_response(actix_web::http::StatusCode::CREATED, &revision);
    resp.headers_mut().insert(
        actix_web::http::header::LOCATION,
        actix_web::http::header::HeaderValue::from_str(&format!(
            "/api/v1/revisions/{}",
            revision.id
        ))
        .expect("ascii"),
    );
    Ok(resp)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<Revision>,
    pub total: i64,
}

/// List an agency's revisions
///
/// Newest first.
#[utoipa::path(
    tag = "workflow", operation_id = "listRevisions",
    params(AgencyPath),
    responses((status = 200, description = "The agency's revisions", body = RevisionList))
)]
#[get("/agencies/{id}/revisions")]
pub async fn list_revisions(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<RevisionList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let items = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            wf_db::list(c, agency_id)
        })
        .await?;
    Ok(web::Json(RevisionList {
        total: items.len() as i64,
        items,
    }))
}

async fn member_revision(db: &Db, user: User, id: Uuid) -> ApiResult<Revision> {
    db.run(move |c| {
        let r = wf_db::get(c, id)?;
        crate::workflow::governance::require_reader(c, &user, r.agency_id)?;
        Ok(r)
    })
    .await
}

/// Get a revision
///
/// With its parts (each with an `etag` for If-Match), approvals and remarks.
#[utoipa::path(
    tag = "workflow", operation_id = "getRevision",
    params(RevisionPath),
    responses((status = 200, description = "The revision", body = Revision,
        headers(("ETag" = String, description = "Version of the revision, for If-Match"))))
)]
#[get("/revisions/{id}")]
pub async fn get_revision(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
) -> ApiResult<HttpResponse> {
    let r = member_revision(&db, user, id.into_inner().id).await?;
    Ok(revision_response(actix_web::http::StatusCode::OK, &r))
}

async fn part_action(
    db: &Db,
    user: User,
    path: PartPath,
    action: PartAction,
    if_match: IfMatch,
    remarks: Vec<RemarkInput>,
) -> ApiResult<HttpResponse> {
    let PartPath {
        id: revision_id,
        unit_id: raw_unit,
    } = path;
    let unit = raw_unit
        .parse::<PartKey>()
        .map_err(|e| ApiError::client(ErrorCode::InvalidParameter, e.to_string()))?
        .unit();
    let revision = db
        .transaction(move |c| {
            super::usecases::move_part(c, &user, revision_id, unit, action, &if_match, remarks)
        })
        .await?;
    Ok(revision_response(
        actix_web::http::StatusCode::OK,
        &revision,
    ))
}

/// Agree a unit's part (its curating official)
///
/// 000 §III.1: each unit's list goes in «согласованных с курирующим заместителем Министра».
/// Only the official the unit names as its curator (`curator_official_id`, `PATCH
/// /units/{id}`), recognised by the `sub` of their token, agrees it — anyone else, an admin
/// too, gets 403 `wrong_official` naming the curator; a unit without a curator is 409
/// `invalid_transition` (an admin sets the curator first). Only a `draft` or `returned` part
/// of an open revision (409 `invalid_transition` otherwise); the agency-level part (`agency`)
/// has no curator and needs no agreement (409). The part shows `agreed_by`,
/// `agreed_by_name`, `agreed_official_id`, `agreed_at`; the history records it and
/// `part.agreed` is announced. An edit of the part's rows, a return or a refusal clears the
/// agreement. With the agency's `part_agreement: unit_curator` the part is submitted only once
/// agreed; without it the agreement is recorded but not required.
#[utoipa::path(
    tag = "workflow", operation_id = "agreePart",
    params(PartPath,
        ("If-Match" = Option<String>, Header, description = "The part's `etag`; a stale one is refused with 412")),
    responses((status = 200, description = "The revision, the part agreed", body = Revision))
)]
#[post("/revisions/{id}/parts/{unit_id}/agree")]
pub async fn agree_part(
    db: web::Data<Db>,
    user: User,
    path: web::Path<PartPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let PartPath {
        id: revision_id,
        unit_id: raw_unit,
    } = path.into_inner();
    let unit = raw_unit
        .parse::<PartKey>()
        .map_err(|e| ApiError::client(ErrorCode::InvalidParameter, e.to_string()))?
        .unit();
    let revision = db
        .transaction(move |c| super::usecases::agree_part(c, &user, revision_id, unit, &if_match))
        .await?;
    Ok(revision_response(
        actix_web::http::StatusCode::OK,
        &revision,
    ))
}

/// Submit a unit's part
///
/// By a submitter of the agency (a submitter with a unit: only that unit's part). From `draft`
/// or `returned` to `submitted`; the unit's processes and touchpoints become read-only. The
/// check is due within the agency's `review_days` working days. With the agency's
/// `part_agreement: unit_curator` a unit's part must first be agreed by the unit's curator
/// (`POST …/agree`; 409 `invalid_transition` naming them otherwise).
#[utoipa::path(
    tag = "workflow", operation_id = "submitPart",
    params(PartPath,
        ("If-Match" = Option<String>, Header, description = "The part's `etag`; a stale one is refused with 412")),
    responses((status = 200, description = "The revision after the transition", body = Revision))
)]
#[post("/revisions/{id}/parts/{unit_id}/submit")]
pub async fn submit_part(
    db: web::Data<Db>,
    user: User,
    path: web::Path<PartPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    part_action(
        &db,
        user,
        path.into_inner(),
        PartAction::Submit,
        if_match,
        Vec::new(),
    )
    .await
}

/// Return a part with remarks
///
/// By an approver. From `submitted` to `returned`; the remarks stay in the history, each
/// optionally pointing at a process or touchpoint. The unit fixes within `fix_days`.
#[utoipa::path(
    tag = "workflow", operation_id = "returnPart",
    params(PartPath,
        ("If-Match" = Option<String>, Header, description = "The part's `etag`; a stale one is refused with 412")),
    request_body = ReturnBody,
    responses((status = 200, description = "The revision after the transition", body = Revision))
)]
#[post("/revisions/{id}/parts/{unit_id}/return")]
pub async fn return_part(
    db: web::Data<Db>,
    user: User,
    path: web::Path<PartPath>,
    if_match: IfMatch,
    body: ApiJson<ReturnBody>,
) -> ApiResult<HttpResponse> {
    // the body is checked before the If-Match precondition (RFC 9110 §13.2.1: failures found
    // before processing take precedence over 412)
    let remarks = body.0.remarks.checked()?;
    part_action(
        &db,
        user,
        path.into_inner(),
        PartAction::Return,
        if_match,
        remarks,
    )
    .await
}

/// Accept a part
///
/// By an approver. From `submitted` to `accepted`. When every part is accepted the
/// consolidation deadline (`consolidate_days`) starts.
#[utoipa::path(
    tag = "workflow", operation_id = "acceptPart",
    params(PartPath,
        ("If-Match" = Option<String>, Header, description = "The part's `etag`; a stale one is refused with 412")),
    responses((status = 200, description = "The revision after the transition", body = Revision))
)]
#[post("/revisions/{id}/parts/{unit_id}/accept")]
pub async fn accept_part(
    db: web::Data<Db>,
    user: User,
    path: web::Path<PartPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    part_action(
        &db,
        user,
        path.into_inner(),
        PartAction::Accept,
        if_match,
        Vec::new(),
    )
    .await
}

/// Approve a revision (one agreement of the chain)
///
/// Once every part is accepted, records the caller's agreement of the next open step of the
/// chain the revision opened with (R9): a `unit_head` step needs the head of every unit whose
/// processes the revision changed, each once; `direction_curator` the curator of every
/// changed direction; `official` the named official; `any_approver` any approver who agreed
/// no earlier step. A caller who is not who the step needs gets 403 `wrong_official`, whose
/// detail names them; one person agrees once (R9, 409 `invalid_transition`). The last
/// agreement makes the revision `approved`. Without a chain one approval suffices.
#[utoipa::path(
    tag = "workflow", operation_id = "approveRevision",
    params(RevisionPath,
        ("If-Match" = Option<String>, Header, description = "The revision's ETag; a stale one is refused with 412")),
    request_body(content = Option<ApprovalActBody>, description = "Optional: the approving act (order number and date), usually with the last agreement"),
    responses((status = 200, description = "The revision after the agreement", body = Revision))
)]
#[post("/revisions/{id}/approve")]
pub async fn approve_revision(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
    if_match: IfMatch,
    body: crate::http::extract::OptionalJson<ApprovalActBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let act = body.0.unwrap_or_default().checked()?;
    let revision = db
        .transaction(move |c| super::usecases::approve(c, &user, id, &if_match, &act))
        .await?;
    Ok(revision_response(
        actix_web::http::StatusCode::OK,
        &revision,
    ))
}

/// Refuse a revision (send it back from the approval chain)
///
/// By an official of the revision's approval chain (anyone who may agree one of its steps),
/// or an approver when the chain has an `any_approver` step; others get 403
/// `wrong_official`. Once every part is accepted (open, approving or approved — not
/// published), sends the named parts (`parts`, default every part) back to `returned` with
/// the remarks, clears every agreement given so far and sets the revision back to `open`;
/// the history records the refusal, the cleared agreements and the remarks. The units fix
/// and resubmit as after a return, and the chain starts over.
#[utoipa::path(
    tag = "workflow", operation_id = "refuseRevision",
    params(RevisionPath,
        ("If-Match" = Option<String>, Header, description = "The revision's ETag; a stale one is refused with 412")),
    request_body = RefuseBody,
    responses((status = 200, description = "The revision, open again", body = Revision))
)]
#[post("/revisions/{id}/refuse")]
pub async fn refuse_revision(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
    if_match: IfMatch,
    body: ApiJson<RefuseBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let RefuseBody { remarks, parts } = body.0;
    let remarks = remarks.checked()?;
    let parts = parts
        .map(|list| {
            list.iter()
                .map(|raw| {
                    raw.parse::<PartKey>().map(|k| k.unit()).map_err(|e| {
                        ApiError::field(
                            ErrorCode::ValidationFailed,
                            "parts",
                            "invalid",
                            e.to_string(),
                        )
                    })
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .transpose()?;
    let revision = db
        .transaction(move |c| super::usecases::refuse(c, &user, id, &if_match, parts, remarks))
        .await?;
    Ok(revision_response(
        actix_web::http::StatusCode::OK,
        &revision,
    ))
}

/// Cancel a revision
///
/// By an approver or admin. Ends a revision that is not published (open, approving or
/// approved) without publishing it: status `cancelled`, final; the reason is kept in its
/// history. Its edits stay in the working copy — the next revision (opened by hand or by the
/// next edit) starts from them and publishes them, and its approval chain counts them as
/// changed; the public register keeps the last published version meanwhile.
#[utoipa::path(
    tag = "workflow", operation_id = "cancelRevision",
    params(RevisionPath,
        ("If-Match" = Option<String>, Header, description = "The revision's ETag; a stale one is refused with 412")),
    request_body = CancelBody,
    responses((status = 200, description = "The cancelled revision", body = Revision))
)]
#[post("/revisions/{id}/cancel")]
pub async fn cancel_revision(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
    if_match: IfMatch,
    body: ApiJson<CancelBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let reason =
        crate::domain::text::required("reason", &body.0.reason, crate::domain::text::COMMENT_MAX)
            .map_err(|e| ApiError::validation(vec![e]))?;
    let revision = db
        .transaction(move |c| super::usecases::cancel(c, &user, id, &if_match, reason))
        .await?;
    Ok(revision_response(
        actix_web::http::StatusCode::OK,
        &revision,
    ))
}

/// Publish an approved revision
///
/// By a publisher. Freezes the working copy as the next immutable, numbered version (the 6
/// columns and every structured field, with the SHA-256 of its canonical JSON); the previous
/// version stays readable as an archived one. Publication is due within `publish_days`
/// working days of approval (R11).
#[utoipa::path(
    tag = "workflow", operation_id = "publishRevision",
    params(RevisionPath,
        ("If-Match" = Option<String>, Header, description = "The revision's ETag; a stale one is refused with 412")),
    request_body(content = Option<ApprovalActBody>, description = "Optional: the approving act (order number and date); completes what the approval recorded"),
    responses((status = 200, description = "The new version number", body = Published))
)]
#[post("/revisions/{id}/publish")]
pub async fn publish_revision(
    db: web::Data<Db>,
    cache: web::Data<std::sync::Arc<crate::public::cache::PublicCache>>,
    user: User,
    id: web::Path<RevisionPath>,
    if_match: IfMatch,
    body: crate::http::extract::OptionalJson<ApprovalActBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    let act = body.0.unwrap_or_default().checked()?;
    let super::db::Publication {
        revision,
        number: version,
        sha256,
        content,
    } = db
        .transaction(move |c| super::usecases::publish(c, &user, id, &if_match, &act))
        .await?;
    // committed: this instance serves it at once; the others hear of it through NOTIFY
    cache.note(revision.agency_id, version);
    Ok(
        with_etag(HttpResponse::Ok(), revision.updated_at).json(Published {
            version,
            sha256,
            approval: content.approval.unwrap_or_default(),
            revision,
        }),
    )
}

/// The history of a revision
///
/// Every transition, remark and edit of the working copy made under it: who, when, what,
/// with the values before and after. Append-only.
#[utoipa::path(
    tag = "workflow", operation_id = "getRevisionHistory",
    params(RevisionPath),
    responses((status = 200, description = "The history, oldest first", body = History))
)]
#[get("/revisions/{id}/history")]
pub async fn revision_history(
    db: web::Data<Db>,
    user: User,
    id: web::Path<RevisionPath>,
) -> ApiResult<web::Json<History>> {
    let id = id.into_inner().id;
    let items = db
        .run(move |c| {
            let r = wf_db::row(c, id, false)?;
            crate::workflow::governance::require_reader(c, &user, r.agency_id)?;
            wf_db::history(c, id)
        })
        .await?;
    Ok(web::Json(History {
        total: items.len() as i64,
        items,
    }))
}

/// A published version, without its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionSummary {
    pub number: i32,
    /// `current` for the newest version, `archived` for the earlier ones.
    #[schema(example = "current")]
    pub status: String,
    /// SHA-256 of the canonical JSON of `content` (object keys sorted, no whitespace).
    pub sha256: String,
    pub revision_id: Uuid,
    pub approved_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    pub published_by_name: String,
    pub rows: i64,
}

/// A published version with its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Version {
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub content: RegisterContent,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionSummary>,
    pub total: i64,
}

fn summary(v: &wf_db::VersionRow, latest: i32) -> VersionSummary {
    VersionSummary {
        number: v.number,
        status: if v.number == latest {
            "current"
        } else {
            "archived"
        }
        .to_owned(),
        sha256: v.sha256.clone(),
        revision_id: v.revision_id,
        approved_at: v.approved_at,
        published_at: v.created_at,
        published_by_name: v.published_by_name.clone(),
        rows: v
            .content
            .get("rows")
            .and_then(|r| r.as_array())
            .map(|a| a.len() as i64)
            .unwrap_or(0),
    }
}

/// List an agency's published versions
#[utoipa::path(
    tag = "workflow", operation_id = "listVersions",
    params(AgencyPath),
    responses((status = 200, description = "Versions, newest first", body = VersionList))
)]
#[get("/agencies/{id}/versions")]
pub async fn list_versions(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<VersionList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let rows = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            wf_db::versions(c, agency_id)
        })
        .await?;
    let latest = rows.first().map(|v| v.number).unwrap_or(0);
    let items: Vec<VersionSummary> = rows.iter().map(|v| summary(v, latest)).collect();
    Ok(web::Json(VersionList {
        total: items.len() as i64,
        items,
    }))
}

/// Get a published version
///
/// Immutable: the same number always answers the same content and SHA-256.
#[utoipa::path(
    tag = "workflow", operation_id = "getVersion",
    params(VersionPath),
    responses((status = 200, description = "The version", body = Version,
        headers(("X-Content-SHA256" = String, description = "SHA-256 of the canonical JSON of `content`"))))
)]
#[get("/agencies/{id}/versions/{number}")]
pub async fn get_version(
    db: web::Data<Db>,
    user: User,
    path: web::Path<VersionPath>,
) -> ApiResult<HttpResponse> {
    let VersionPath {
        id: agency_id,
        number,
    } = path.into_inner();
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let (row, latest) = db
        .run(move |c| {
            let v = wf_db::version(c, agency_id, number)?;
            let latest = wf_db::latest_version_number(c, agency_id)?.unwrap_or(number);
            Ok((v, latest))
        })
        .await?;
    let version = Version {
        summary: summary(&row, latest),
        content: row.content()?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("X-Content-SHA256", row.sha256.clone()))
        .json(version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The earlier version number.
    pub from: i32,
    /// The later version number.
    pub to: i32,
}

/// Diff two published versions
///
/// Touchpoints added, removed, and changed field by field.
#[utoipa::path(
    tag = "workflow", operation_id = "diffVersions",
    params(AgencyPath, DiffQuery),
    responses((status = 200, description = "The changes", body = VersionDiff))
)]
#[get("/agencies/{id}/versions/diff")]
pub async fn diff_versions(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<DiffQuery>,
) -> ApiResult<web::Json<VersionDiff>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let DiffQuery { from, to } = q.into_inner();
    let (a, b) = db
        .run(move |c| {
            Ok((
                wf_db::version(c, agency_id, from)?,
                wf_db::version(c, agency_id, to)?,
            ))
        })
        .await?;
    Ok(web::Json(snapshot::diff(
        from,
        &a.content()?,
        to,
        &b.content()?,
    )))
}

/// An agency's workflow settings
///
/// Review periods, publication period, yearly revision date, quarterly analysis, the approval
/// chain, part agreement and whether the agency approves its subordinates' revisions: the
/// agency's own, else those of its nearest ancestor that set any (a subordinate organization
/// follows its ministry's Порядок, 002 §1.1), else the defaults. `source` and
/// `source_agency_id` say which.
#[utoipa::path(
    tag = "workflow", operation_id = "getWorkflowSettings",
    params(AgencyPath),
    responses((status = 200, description = "The settings in force", body = WorkflowSettings))
)]
#[get("/agencies/{id}/workflow-settings")]
pub async fn get_settings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<WorkflowSettings>> {
    let agency_id = id.into_inner().id;
    super::governance::may_read(&db, &user, agency_id).await?;
    Ok(web::Json(
        db.run(move |c| {
            agency_db::get(c, agency_id)?;
            settings::get(c, agency_id)
        })
        .await?,
    ))
}

/// Set an agency's workflow settings
///
/// Admin only. The agency stops inheriting its parent's settings (`source` becomes `own`). A
/// change of the approval chain applies to revisions opened afterwards. An `official` step
/// names an official of the agency or of an ancestor agency (422 `unknown_reference`
/// otherwise). `source` and `source_agency_id` are read-only: sent back unchanged or not at
/// all, they are ignored.
#[utoipa::path(
    tag = "workflow", operation_id = "putWorkflowSettings",
    params(AgencyPath),
    request_body = WorkflowSettings,
    responses((status = 200, description = "The settings in force", body = WorkflowSettings))
)]
#[put("/agencies/{id}/workflow-settings")]
pub async fn put_settings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<WorkflowSettings>,
) -> ApiResult<web::Json<WorkflowSettings>> {
    let agency_id = id.into_inner().id;
    user.require_admin()?;
    let value = body.0.validate()?;
    Ok(web::Json(
        db.transaction(move |c| {
            agency_db::get(c, agency_id)?;
            // a step naming an official names one of this agency or an ancestor (a chain its
            // organizations inherit names the ministry's officials)
            let line = agency_db::ancestors_many(c, &[agency_id])?
                .remove(&agency_id)
                .unwrap_or_else(|| vec![agency_id]);
            for (i, step) in value.approval_chain.iter().enumerate() {
                if let crate::domain::chain::ChainStep::Official { official_id, .. } = step {
                    crate::officials::db::check_of_agencies(
                        c,
                        &line,
                        *official_id,
                        &format!("approval_chain[{i}].official_id"),
                    )?;
                }
            }
            settings::put(c, agency_id, &value)?;
            settings::get(c, agency_id)
        })
        .await?,
    ))
}

/// Drop an agency's own workflow settings
///
/// Admin only. The agency inherits its parent's settings again (or the defaults, for an agency
/// without a parent that set any); revisions already open keep their approval chain. 404 when
/// the agency has no settings of its own.
#[utoipa::path(
    tag = "workflow", operation_id = "deleteWorkflowSettings",
    params(AgencyPath),
    responses((status = 200, description = "The settings in force afterwards", body = WorkflowSettings))
)]
#[delete("/agencies/{id}/workflow-settings")]
pub async fn delete_settings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<WorkflowSettings>> {
    let agency_id = id.into_inner().id;
    user.require_admin()?;
    Ok(web::Json(
        db.transaction(move |c| {
            agency_db::get(c, agency_id)?;
            if !settings::delete(c, agency_id)? {
                return Err(ApiError::not_found(
                    "workflow settings of agency",
                    agency_id,
                ));
            }
            settings::get(c, agency_id)
        })
        .await?,
    ))
}
