use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::parse::{self, FileError};
use super::{apply, ImportReport};
use crate::auth::User;
use crate::db::Db;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::public::api::XLSX_TYPE;
use crate::workflow::db as wf_db;
use crate::workflow::state::RevisionStatus;

/// A refused import: a problem (RFC 9457) with the row-by-row report when rows were rejected.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportRejected {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ImportReport>,
}

/// Largest accepted file.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Report what would happen without writing anything.
    pub dry_run: Option<bool>,
}

fn file_error(e: FileError) -> ApiError {
    match e {
        FileError::Unreadable(m) => ApiError::field(ErrorCode::ValidationFailed, "body", "unreadable_file", m),
        FileError::TooLarge(m) => ApiError::client(ErrorCode::PayloadTooLarge, m),
        FileError::WrongColumns(m) => ApiError::field(ErrorCode::ValidationFailed, "body", "wrong_columns", m),
        FileError::OutOfBounds(m) => ApiError::field(ErrorCode::ValidationFailed, "body", "out_of_bounds", m),
    }
}

/// Import the official form into a revision's working copy
///
/// The body is the file itself: XLSX (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`)
/// or CSV (`text/csv`), at most 10 MB, in the six-column form (an empty direction or process
/// cell continues the one above; several contacts in one cell; the seeds' wording variants of
/// column 6). Channel types and client needs are recognised from the text. Each row is reported:
/// `created`, `merged` into the touchpoint it repeats (R7), `unchanged`, `process_only`, or
/// `rejected` with the reason and the cell. Nothing is written when a row is rejected (422 with the
/// report) or with `dry_run=true`.
#[utoipa::path(
    post, path = "/api/v1/revisions/{id}/import", tag = "workflow", operation_id = "importRegister",
    params(("id" = Uuid, Path, description = "Revision id (in progress)"), ImportQuery),
    request_body(description = "The XLSX or CSV file", content(
        (crate::public::api::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")
    )),
    responses(
        (status = 200, description = "Imported (or, with dry_run, what would be)", body = ImportReport),
        (status = 422, description = "Rejected rows (nothing written: the report is in `report`), or a file that is not the form (a plain problem)", body = ImportRejected, content_type = "application/problem+json")
    )
)]
pub async fn import(req: HttpRequest, db: web::Data<Db>, user: User, id: web::Path<Uuid>, q: web::Query<ImportQuery>, mut payload: web::Payload) -> ApiResult<HttpResponse> {
    use futures_util::StreamExt;
    let revision_id = id.into_inner();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::client(ErrorCode::InvalidParameter, format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::client(ErrorCode::PayloadTooLarge, format!("the file is larger than {} MB", MAX_IMPORT_BYTES / 1024 / 1024)));
        }
        body.extend_from_slice(&chunk);
    }
    let dry_run = q.dry_run.unwrap_or(false);
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let grid = match ct.as_str() {
        "text/csv" | "application/csv" => parse::grid_from_csv(&body),
        t if t == XLSX_TYPE => parse::grid_from_xlsx(&body),
        _ => return Err(ApiError::client(ErrorCode::UnsupportedMediaType, format!("send the file as {XLSX_TYPE} or text/csv"))),
    }
    .map_err(file_error)?;
    let (cols, rows) = parse::rows(&grid).map_err(file_error)?;
    let (report, status) = db
        .run(move |c| {
            use diesel::Connection;
            let r = wf_db::row(c, revision_id, false)?;
            user.require_role_in(crate::auth::Role::Submitter, r.agency_id)?;
            if r.status() != RevisionStatus::Open {
                return Err(ApiError::client(ErrorCode::Locked, format!("revision {} is {}; import into a revision in progress", r.number, r.status)));
            }
            // everything in one transaction, rolled back for a dry run or a rejected row
            let mut outcome: Option<ImportReport> = None;
            let result = c.transaction::<(), ApiError, _>(|t| {
                let report = apply(t, &user, r.agency_id, revision_id, &cols, &rows)?;
                let keep = !dry_run && report.rejected == 0;
                outcome = Some(report);
                if keep {
                    Ok(())
                } else {
                    Err(ApiError::client(ErrorCode::ValidationFailed, "rolled back"))
                }
            });
            let mut report = outcome.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("import produced no report")))?;
            match result {
                Ok(()) => report.written = true,
                Err(ApiError::Client { .. }) => report.written = false,
                Err(e) => return Err(e),
            }
            report.dry_run = dry_run;
            let status = if report.rejected > 0 { actix_web::http::StatusCode::UNPROCESSABLE_ENTITY } else { actix_web::http::StatusCode::OK };
            Ok((report, status))
        })
        .await?;
    if status.is_success() {
        Ok(HttpResponse::Ok().json(report))
    } else {
        Ok(HttpResponse::build(status).content_type(crate::error::PROBLEM_JSON).json(ImportRejected {
            type_: "/problems/validation_failed".into(),
            title: "Validation failed".into(),
            status: 422,
            code: ErrorCode::ValidationFailed,
            detail: format!("{} row(s) cannot be imported; nothing was written", report.rejected),
            report: Some(report),
        }))
    }
}
