use actix_web::post;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::parse::{self, Columns, FileError, FormRow};
use super::{apply, ImportReport};
use crate::auth::User;
use crate::db::Db;
use crate::domain::state::RevisionStatus;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::http::path::RevisionPath;
use crate::public::api::XLSX_TYPE;
use crate::workflow::db as wf_db;

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
        FileError::Unreadable(m) => {
            ApiError::field(ErrorCode::ValidationFailed, "body", "unreadable_file", m)
        }
        FileError::TooLarge(m) => ApiError::client(ErrorCode::PayloadTooLarge, m),
        FileError::WrongColumns(m) => {
            ApiError::field(ErrorCode::ValidationFailed, "body", "wrong_columns", m)
        }
        FileError::OutOfBounds(m) => {
            ApiError::field(ErrorCode::ValidationFailed, "body", "out_of_bounds", m)
        }
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
/// What imports may take from the server, shared by every worker: at most `concurrency` at once
/// (each holds a file of up to 10 MB and its parse), and `upload_timeout` to send the file.
#[derive(Debug)]
pub struct ImportLimits {
    concurrency: usize,
    running: AtomicUsize,
    upload_timeout: Duration,
}

impl ImportLimits {
    pub fn new(concurrency: usize, upload_timeout: Duration) -> Self {
        ImportLimits {
            concurrency: concurrency.max(1),
            running: AtomicUsize::new(0),
            upload_timeout,
        }
    }

    /// A slot for one import, or None when `concurrency` imports are running.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ImportPermit> {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.concurrency).then_some(n + 1)
            })
            .ok()?;
        Some(ImportPermit(Arc::clone(self)))
    }

    /// The time a client has to send a file (imports and part files alike).
    pub fn upload_timeout(&self) -> Duration {
        self.upload_timeout
    }
}

/// A running import; the slot is given back when it is dropped.
#[derive(Debug)]
pub struct ImportPermit(Arc<ImportLimits>);

impl Drop for ImportPermit {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Seconds a refused import is told to wait (`Retry-After`).
pub const BUSY_RETRY_AFTER_S: u32 = 5;

#[derive(Debug, Clone, Copy)]
enum FileKind {
    Csv,
    Xlsx,
}

fn file_kind(req: &HttpRequest) -> ApiResult<FileKind> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "text/csv" | "application/csv" => Ok(FileKind::Csv),
        t if t == XLSX_TYPE => Ok(FileKind::Xlsx),
        _ => Err(ApiError::client(
            ErrorCode::UnsupportedMediaType,
            format!("send the file as {XLSX_TYPE} or text/csv"),
        )),
    }
}

fn too_large() -> ApiError {
    ApiError::client(
        ErrorCode::PayloadTooLarge,
        format!(
            "the file is larger than {} MB",
            MAX_IMPORT_BYTES / 1024 / 1024
        ),
    )
}

/// The whole body, at most [`MAX_IMPORT_BYTES`].
async fn read_body(payload: &mut web::Payload) -> ApiResult<web::BytesMut> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::client(
                ErrorCode::InvalidParameter,
                format!("could not read the body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The form's rows from the file (CPU-bound: run it off the HTTP workers).
fn parse_file(kind: FileKind, body: &[u8]) -> Result<(Columns, Vec<FormRow>), FileError> {
    let grid = match kind {
        FileKind::Csv => parse::grid_from_csv(body)?,
        FileKind::Xlsx => parse::grid_from_xlsx(body)?,
    };
    parse::rows(&grid)
}

/// The revision is there, the caller may import into it and it is in progress.
fn check_revision(
    conn: &mut diesel::PgConnection,
    user: &User,
    revision_id: Uuid,
) -> ApiResult<wf_db::RevisionRow> {
    let r = wf_db::row(conn, revision_id, false)?;
    user.require_role_in(crate::auth::Role::Submitter, r.agency_id)?;
    if r.status != RevisionStatus::Open {
        return Err(ApiError::client(
            ErrorCode::Locked,
            format!(
                "revision {} is {}; import into a revision in progress",
                r.number, r.status
            ),
        ));
    }
    Ok(r)
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
///
/// Nothing is invented: column 4 is kept verbatim as the touchpoint's `as_written` (what the
/// exports print); an empty column 5 gives no needs (R5 reports the row), an empty column 6 no
/// mark. A new process takes its client type from the heading of the table the row stands in
/// («…с внутренним клиентом», «…с внешним клиентом»), else `external` by default, and the
/// submitter's unit when the token has one. Each row's `inferred` lists every value that was
/// inferred rather than written, and from where.
///
/// The revision and the caller's rights are checked before the body is read. A workbook may use
/// at most 64 columns and 20000 rows (a cell with a value outside them is refused: `out_of_bounds`
/// on `body`). A few imports run at once (503 with `Retry-After` past that), and the file must
/// arrive within the server's upload timeout (408).
#[utoipa::path(
    tag = "workflow", operation_id = "importRegister",
    params(RevisionPath, ImportQuery),
    request_body(description = "The XLSX or CSV file", content(
        (crate::public::api::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")
    )),
    responses(
        (status = 200, description = "Imported (or, with dry_run, what would be)", body = ImportReport),
        (status = 403, description = "The caller is not a submitter of the revision's agency (checked before the body is read)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403, "detail": "the data of agency 0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10 is not open to users of another agency", "code": "forbidden"})),
        (status = 404, description = "No such revision (checked before the body is read)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/not_found", "title": "Not found", "status": 404, "detail": "revision 7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11 does not exist", "code": "not_found"})),
        (status = 408, description = "The file did not arrive within the server's upload timeout", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/request_timeout", "title": "Request timeout", "status": 408, "detail": "the file did not arrive within 30 s; send it again", "code": "request_timeout"})),
        (status = 409, description = "The revision is not in progress (submitted, approved or published)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/locked", "title": "Locked", "status": 409, "detail": "revision 3 is published; import into a revision in progress", "code": "locked"})),
        (status = 413, description = "The file, or the workbook unpacked, is too large", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/payload_too_large", "title": "Payload too large", "status": 413, "detail": "the file is larger than 10 MB", "code": "payload_too_large"})),
        (status = 422, description = "Rejected rows (nothing written: the report is in `report`), or a file that is not the form (a plain problem: `unreadable_file`, `wrong_columns` or `out_of_bounds` on `body`)", body = ImportRejected, content_type = "application/problem+json"),
        (status = 503, description = "Every import slot is taken (or the database is busy); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
            example = json!({"type": "/problems/service_unavailable", "title": "Service unavailable", "status": 503, "detail": "all 2 import slots are taken; retry in 5 s", "code": "service_unavailable"}))
    )
)]
#[post("/revisions/{id}/import")]
pub async fn import(
    req: HttpRequest,
    db: web::Data<Db>,
    limits: web::Data<ImportLimits>,
    user: User,
    id: web::Path<RevisionPath>,
    q: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let revision_id = id.into_inner().id;
    // who and where first: not a byte of the body is read for a caller who may not import here
    let caller = user.clone();
    db.run(move |c| check_revision(c, &caller, revision_id))
        .await?;
    let kind = file_kind(&req)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES as u64) {
        return Err(too_large());
    }
    // held until the rows are applied
    let _permit = limits
        .clone()
        .into_inner()
        .try_acquire()
        .ok_or_else(|| ApiError::Busy {
            detail: format!(
                "all {} import slots are taken; retry in {BUSY_RETRY_AFTER_S} s",
                limits.concurrency
            ),
            retry_after_s: BUSY_RETRY_AFTER_S,
        })?;
    let body = actix_web::rt::time::timeout(limits.upload_timeout, read_body(&mut payload))
        .await
        .map_err(|_| {
            ApiError::client(
                ErrorCode::RequestTimeout,
                format!(
                    "the file did not arrive within {} s; send it again",
                    limits.upload_timeout.as_secs()
                ),
            )
        })??;
    let dry_run = q.dry_run.unwrap_or(false);
    let (cols, rows) = web::block(move || parse_file(kind, &body))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the import parser failed: {e}")))?
        .map_err(file_error)?;
    let (report, status) = db
        .run(move |c| {
            use diesel::Connection;
            // again: the revision may have moved on while the file was read
            let r = check_revision(c, &user, revision_id)?;
            // everything in one transaction, rolled back for a dry run or a rejected row
            let mut outcome: Option<ImportReport> = None;
            let result = c.transaction::<(), ApiError, _>(|t| {
                let report = apply(t, &user, r.agency_id, &cols, &rows)?;
                let keep = !dry_run && report.rejected == 0;
                outcome = Some(report);
                if keep {
                    Ok(())
                } else {
                    Err(ApiError::client(ErrorCode::ValidationFailed, "rolled back"))
                }
            });
            // no report: the import itself failed (a write the checks did not foresee), and
            // that error is the answer; nothing was written
            let mut report = match (outcome, result) {
                (Some(report), Ok(())) => ImportReport {
                    written: true,
                    ..report
                },
                (Some(report), Err(ApiError::Client { .. })) => report,
                (_, Err(e)) => return Err(e),
                (None, Ok(())) => {
                    return Err(ApiError::Internal(anyhow::anyhow!(
                        "import produced no report"
                    )))
                }
            };
            report.dry_run = dry_run;
            let status = if report.rejected > 0 {
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
            } else {
                actix_web::http::StatusCode::OK
            };
            Ok((report, status))
        })
        .await?;
    if status.is_success() {
        Ok(HttpResponse::Ok().json(report))
    } else {
        Ok(HttpResponse::build(status)
            .content_type(crate::error::PROBLEM_JSON)
            .json(ImportRejected {
                type_: "/problems/validation_failed".into(),
                title: "Validation failed".into(),
                status: 422,
                code: ErrorCode::ValidationFailed,
                detail: format!(
                    "{} row(s) cannot be imported; nothing was written",
                    report.rejected
                ),
                report: Some(report),
            }))
    }
}
