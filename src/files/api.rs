//! HTTP handlers of the part files: upload (multipart: the file and its detached signature),
//! list, download.

use actix_multipart::{Field, Multipart};
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sha2::Digest;
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::{self as files_db, NewFile, NewSignature, PartFile};
use super::signature::{self, MAX_SIGNATURE_BYTES};
use crate::auth::User;
use crate::db::Db;
use crate::domain::state::{PartStatus, RevisionStatus};
use crate::domain::PartKey;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::http::path::{FilePath, PartPath};
use crate::import::api::ImportLimits;
use crate::public::api::XLSX_TYPE;
use crate::workflow::audit::{self, Entry};
use crate::workflow::db as wf_db;
use crate::workflow::governance;

/// Largest accepted part file (as for an import).
pub const MAX_FILE_BYTES: usize = crate::import::api::MAX_IMPORT_BYTES;
/// Room for the multipart boundaries and headers around the two fields.
const FORM_OVERHEAD: usize = 64 * 1024;
/// Longest kept file name.
const NAME_MAX: usize = 255;

/// The upload form (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The part's file: XLSX (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`,
    /// or a `.xlsx` name) or CSV (`text/csv`, or a `.csv` name), at most 10 MB. Its name is
    /// taken from the part's `filename`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Optional: a detached CAdES signature of the file (`.sig`/`.p7s`: CMS SignedData in DER,
    /// PEM or base64), at most 1 MB. Parsed, not verified.
    #[schema(value_type = Option<String>, format = Binary)]
    pub signature: Option<Vec<u8>>,
}

/// A stored file or signature (binary).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct StoredBytes(pub Vec<u8>);

/// A part's files.
#[derive(Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct PartFileList {
    pub items: Vec<PartFile>,
    pub total: i64,
}

fn part_of(path: &PartPath) -> ApiResult<(Uuid, Option<Uuid>)> {
    let unit = path
        .unit_id
        .parse::<PartKey>()
        .map_err(|e| ApiError::client(ErrorCode::InvalidParameter, e.to_string()))?
        .unit();
    Ok((path.id, unit))
}

/// The caller may attach a file to the part now: a submitter who may edit it (or an admin),
/// the revision open, the part not accepted. Returns the agency.
fn check_upload(
    conn: &mut diesel::PgConnection,
    user: &User,
    revision_id: Uuid,
    unit: Option<Uuid>,
) -> ApiResult<Uuid> {
    let r = wf_db::row(conn, revision_id, false)?;
    user.require_editor(r.agency_id, unit)?;
    if r.status != RevisionStatus::Open {
        return Err(ApiError::client(
            ErrorCode::InvalidTransition,
            format!(
                "revision {} is {}: files are attached to the parts of a revision in progress",
                r.number, r.status
            ),
        ));
    }
    let key = wf_db::part_key(unit);
    let part = wf_db::parts(conn, revision_id)?
        .into_iter()
        .find(|p| p.part_key == key)
        .ok_or_else(|| ApiError::not_found("part", format!("{key} of revision {revision_id}")))?;
    if part.status == PartStatus::Accepted {
        return Err(ApiError::client(
            ErrorCode::InvalidTransition,
            format!("part {key} is accepted: no more files can be attached to it"),
        ));
    }
    Ok(r.agency_id)
}

fn too_large(what: &str, limit: usize) -> ApiError {
    ApiError::client(
        ErrorCode::PayloadTooLarge,
        format!("the {what} is larger than {} MB", limit / 1024 / 1024),
    )
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::client(
        ErrorCode::InvalidParameter,
        format!("the multipart/form-data body cannot be read: {e}"),
    )
}

/// A file name as kept: the last path component, without control characters, at most 255
/// characters.
fn clean_name(raw: Option<&str>, fallback: &str) -> String {
    let name: String = raw
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    let name = name.trim().to_owned();
    if name.is_empty() || name == "." || name == ".." {
        fallback.to_owned()
    } else {
        name
    }
}

async fn read_field(field: &mut Field, limit: usize, what: &str) -> ApiResult<Vec<u8>> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(malformed)?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(what, limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

struct Sent {
    name: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The `file` and `signature` fields, each read within its limit.
async fn read_form(mut form: Multipart) -> ApiResult<(Option<Sent>, Option<Sent>)> {
    let (mut file, mut sig) = (None, None);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or("").to_owned();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let content_type = field.content_type().map(|m| m.essence_str().to_owned());
        let (slot, limit, what, fallback) = match name.as_str() {
            "file" => (&mut file, MAX_FILE_BYTES, "file", "file"),
            "signature" => (&mut sig, MAX_SIGNATURE_BYTES, "signature", "signature.sig"),
            other => {
                return Err(ApiError::field(
                    ErrorCode::ValidationFailed,
                    other,
                    "unknown_field",
                    "the form takes only `file` and `signature`",
                ))
            }
        };
        if slot.is_some() {
            return Err(ApiError::field(
                ErrorCode::ValidationFailed,
                what,
                "duplicate",
                "send it once",
            ));
        }
        let bytes = read_field(&mut field, limit, what).await?;
        *slot = Some(Sent {
            name: clean_name(filename.as_deref(), fallback),
            content_type,
            bytes,
        });
    }
    Ok((file, sig))
}

/// The stored content type of a part file: XLSX or CSV, by its declared type or its name.
fn file_type(sent: &Sent) -> ApiResult<&'static str> {
    let lower = sent.name.to_lowercase();
    match sent.content_type.as_deref() {
        Some(t) if t == XLSX_TYPE => return Ok(XLSX_TYPE),
        Some("text/csv" | "application/csv") => return Ok("text/csv"),
        _ => {}
    }
    if lower.ends_with(".xlsx") {
        Ok(XLSX_TYPE)
    } else if lower.ends_with(".csv") {
        Ok("text/csv")
    } else {
        Err(ApiError::client(
            ErrorCode::UnsupportedMediaType,
            format!("the file must be XLSX ({XLSX_TYPE}, .xlsx) or CSV (text/csv, .csv)"),
        ))
    }
}

/// Attach a file (and its detached signature) to a part
///
/// By a submitter who may edit the part (a submitter with a unit: only that unit's part) or an
/// admin, while the revision is open and the part not accepted (409 `invalid_transition`
/// otherwise). The rights and the revision are checked before the body is read.
///
/// The body is `multipart/form-data` with the field `file` (the part's XLSX or CSV, at most
/// 10 MB) and, optionally, `signature`: a detached CAdES signature of the file (`.sig`/`.p7s`,
/// a CMS SignedData in DER, PEM or base64, at most 1 MB). The file is stored with its name,
/// type, size and SHA-256; the signature with its size, SHA-256 and what is read from it: each
/// signer's certificate (subject CN, SN, G, T, O and the Russian ИНН, ОГРН, СНИЛС; issuer,
/// serial, validity), the signing time, and whether the signed `messageDigest` equals the
/// file's SHA-256 or GOST R 34.11-2012 (Стрибог) digest (`digest_matches`, null for another
/// algorithm).
///
/// **The signature value (GOST R 34.10-2012 or other) is NOT verified cryptographically, nor is
/// the certificate's chain or revocation**: the signature is parsed and its digest compared,
/// nothing more. A signature that is not a CMS SignedData is 422 (`invalid_signature` on
/// `signature`). The upload is recorded in the revision's history (`part_file` `upload`).
/// With the agency's `require_signed_file`, a part is submitted only after such a signed upload.
#[utoipa::path(
    tag = "files", operation_id = "uploadPartFile",
    params(PartPath),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "`file` (XLSX/CSV, ≤ 10 MB) and optional `signature` (detached CMS, ≤ 1 MB)"),
    responses(
        (status = 201, description = "Stored, with what was read from the signature", body = PartFile,
            headers(("Location" = String, description = "URL to download the file"))),
        (status = 403, description = "The caller may not edit this part (checked before the body is read)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403, "detail": "the data of agency 0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10 is not open to users of another agency", "code": "forbidden"})),
        (status = 408, description = "The body did not arrive within the server's upload timeout", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/request_timeout", "title": "Request timeout", "status": 408, "detail": "the file did not arrive within 30 s; send it again", "code": "request_timeout"})),
        (status = 409, description = "The revision is not open or the part is accepted", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/invalid_transition", "title": "Invalid transition", "status": 409, "detail": "part agency is accepted: no more files can be attached to it", "code": "invalid_transition"})),
        (status = 413, description = "The file is larger than 10 MB or the signature than 1 MB", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/payload_too_large", "title": "Payload too large", "status": 413, "detail": "the file is larger than 10 MB", "code": "payload_too_large"})),
        (status = 415, description = "The body is not multipart/form-data, or the file is neither XLSX nor CSV", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/unsupported_media_type", "title": "Unsupported media type", "status": 415, "detail": "send the body as multipart/form-data with the fields `file` and `signature`", "code": "unsupported_media_type"})),
        (status = 422, description = "No `file`, an unknown or repeated field, or a signature that is not a CMS SignedData (`invalid_signature` on `signature`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/validation_failed", "title": "Validation failed", "status": 422, "detail": "signature: the signature is not a CMS SignedData (PKCS#7): ASN.1 DER message is incomplete", "code": "validation_failed", "errors": [{"field": "signature", "code": "invalid_signature", "message": "the signature is not a CMS SignedData (PKCS#7): ASN.1 DER message is incomplete"}]}))
    )
)]
#[post("/revisions/{id}/parts/{unit_id}/files")]
pub async fn upload(
    req: HttpRequest,
    db: web::Data<Db>,
    limits: web::Data<ImportLimits>,
    user: User,
    path: web::Path<PartPath>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (revision_id, unit) = part_of(&path)?;
    // who and where first: not a byte of the body is read for a caller who may not attach here
    let caller = user.clone();
    db.run(move |c| check_upload(c, &caller, revision_id, unit).map(|_| ()))
        .await?;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::client(
            ErrorCode::UnsupportedMediaType,
            "send the body as multipart/form-data with the fields `file` and `signature`",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (MAX_FILE_BYTES + MAX_SIGNATURE_BYTES + FORM_OVERHEAD) as u64) {
        return Err(too_large("body", MAX_FILE_BYTES + MAX_SIGNATURE_BYTES));
    }
    let form = Multipart::new(req.headers(), payload);
    let timeout = limits.upload_timeout();
    let (file, sig) = actix_web::rt::time::timeout(timeout, read_form(form))
        .await
        .map_err(|_| {
            ApiError::client(
                ErrorCode::RequestTimeout,
                format!(
                    "the file did not arrive within {} s; send it again",
                    timeout.as_secs()
                ),
            )
        })??;
    let file = file.ok_or_else(|| {
        ApiError::field(
            ErrorCode::ValidationFailed,
            "file",
            "required",
            "send the part's XLSX or CSV in the field `file`",
        )
    })?;
    let content_type = file_type(&file)?;
    // hashing and parsing are CPU work: off the HTTP workers
    let (file, sig, sha, parsed) = web::block(move || {
        let sha = hex::encode(sha2::Sha256::digest(&file.bytes));
        let parsed = sig
            .as_ref()
            .map(|s| signature::parse(&s.bytes, &file.bytes));
        (file, sig, sha, parsed)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing the file failed: {e}")))?;
    let signature = match (sig, parsed) {
        (Some(s), Some(Ok(info))) => Some(NewSignature {
            file_name: s.name,
            sha256: hex::encode(sha2::Sha256::digest(&s.bytes)),
            bytes: s.bytes,
            info,
        }),
        (_, Some(Err(e))) => {
            return Err(ApiError::field(
                ErrorCode::ValidationFailed,
                "signature",
                "invalid_signature",
                e.0,
            ))
        }
        _ => None,
    };
    let stored = db
        .transaction(move |c| {
            // again: the revision or the part may have moved on while the body was read
            let agency_id = check_upload(c, &user, revision_id, unit)?;
            let stored = files_db::insert(
                c,
                &user,
                NewFile {
                    revision_id,
                    part_key: wf_db::part_key(unit),
                    agency_id,
                    file_name: file.name,
                    content_type: content_type.to_owned(),
                    content: file.bytes,
                    sha256: sha,
                    signature,
                },
            )?;
            audit::record(
                c,
                &user,
                Entry {
                    agency_id,
                    revision_id: Some(revision_id),
                    entity: "part_file",
                    entity_id: stored.id.to_string(),
                    action: "upload",
                    before: None,
                    after: audit::json(&stored),
                },
            )?;
            Ok(stored)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, stored.download_url.clone()))
        .json(stored))
}

/// List a part's files
///
/// Oldest first, each with its metadata and, when signed, what was read from the signature
/// (signers, `digest_matches`; the signature value is not verified). For the agency's members
/// and the approvers and publishers of the agency governing it.
#[utoipa::path(
    tag = "files", operation_id = "listPartFiles",
    params(PartPath),
    responses((status = 200, description = "The part's files", body = PartFileList))
)]
#[get("/revisions/{id}/parts/{unit_id}/files")]
pub async fn list(
    db: web::Data<Db>,
    user: User,
    path: web::Path<PartPath>,
) -> ApiResult<web::Json<PartFileList>> {
    let (revision_id, unit) = part_of(&path)?;
    let items = db
        .run(move |c| {
            let r = wf_db::row(c, revision_id, false)?;
            governance::require_reader(c, &user, r.agency_id)?;
            let key = wf_db::part_key(unit);
            if !wf_db::parts(c, revision_id)?
                .iter()
                .any(|p| p.part_key == key)
            {
                return Err(ApiError::not_found(
                    "part",
                    format!("{key} of revision {revision_id}"),
                ));
            }
            files_db::list(c, revision_id, &key)
        })
        .await?;
    Ok(web::Json(PartFileList {
        total: items.len() as i64,
        items,
    }))
}

/// `attachment` with the name in ASCII (others replaced) and in UTF-8 (RFC 6266, 5987).
fn attachment(name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

async fn download(db: &Db, user: User, id: Uuid, signature: bool) -> ApiResult<HttpResponse> {
    let (name, content_type, bytes, sha) = db
        .run(move |c| {
            let agency_id = files_db::agency_of(c, id)?;
            governance::require_reader(c, &user, agency_id)?;
            files_db::content(c, id, signature)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(attachment(&name))
        .insert_header(("X-Content-SHA256", sha))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Download a part file
///
/// The file as uploaded, with its stored content type, as an attachment under its name, and its
/// SHA-256 in `X-Content-SHA256`. For the agency's members and the approvers and publishers of
/// the agency governing it. The signature is at `/files/{id}/signature`.
#[utoipa::path(
    tag = "files", operation_id = "downloadFile",
    params(FilePath),
    responses((status = 200, description = "The file",
        content(
            (StoredBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (StoredBytes = "text/csv")
        ),
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the file's name"),
            ("X-Content-SHA256" = String, description = "SHA-256 of the body, hexadecimal")
        )))
)]
#[get("/files/{id}")]
pub async fn download_file(
    db: web::Data<Db>,
    user: User,
    id: web::Path<FilePath>,
) -> ApiResult<HttpResponse> {
    download(&db, user, id.into_inner().id, false).await
}

/// Download a file's signature
///
/// The detached signature as uploaded (as `application/octet-stream`: generated clients read it as bytes), as an attachment under
/// its name, with its SHA-256 in `X-Content-SHA256`; 404 when the file was uploaded without
/// one. Same readers as the file.
#[utoipa::path(
    tag = "files", operation_id = "downloadFileSignature",
    params(FilePath),
    responses((status = 200, description = "The signature file",
        content((StoredBytes = "application/octet-stream")),
        headers(
            ("Content-Disposition" = String, description = "`attachment` with the signature's name"),
            ("X-Content-SHA256" = String, description = "SHA-256 of the body, hexadecimal")
        )))
)]
#[get("/files/{id}/signature")]
pub async fn download_signature(
    db: web::Data<Db>,
    user: User,
    id: web::Path<FilePath>,
) -> ApiResult<HttpResponse> {
    download(&db, user, id.into_inner().id, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_name(Some("C:\\x\\перечень.xlsx"), "f"),
            "перечень.xlsx"
        );
        assert_eq!(clean_name(Some("../../etc/passwd"), "f"), "passwd");
        assert_eq!(clean_name(Some("a\r\nb.csv"), "f"), "ab.csv");
        assert_eq!(clean_name(Some(".."), "f"), "f");
        assert_eq!(clean_name(None, "f"), "f");
        assert_eq!(
            clean_name(Some(&"я".repeat(1000)), "f").chars().count(),
            255
        );
    }
}
