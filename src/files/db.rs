//! The part files in the database.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::signature::{SignatureInfo, Signer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::schema::{part_files as f, revision_parts};

/// The detached signature of a file: the file as sent and what was read from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileSignature {
    #[schema(example = "part.csv.sig")]
    pub file_name: String,
    pub size: i64,
    /// SHA-256 of the signature file, hexadecimal
    pub sha256: String,
    /// Whether the signed digest equals the file's (every signer's): null when it could not be
    /// compared (an unknown digest algorithm, no signed attributes). The signature value itself
    /// is NOT verified cryptographically.
    pub digest_matches: Option<bool>,
    /// Whether the signature leaves the content out (a detached signature)
    pub detached: bool,
    /// Each signer's certificate subject, issuer, serial, validity and signing time
    pub signers: Vec<Signer>,
    /// Where to download the signature file
    #[schema(example = "/api/v1/files/5c1d7a9e-2b3f-4c8d-9e0f-1a2b3c4d5e6f/signature")]
    pub download_url: String,
}

/// A file attached to a part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartFile {
    pub id: Uuid,
    pub revision_id: Uuid,
    /// The part: a unit id, or `agency`
    #[schema(example = "agency")]
    pub unit_id: String,
    #[schema(example = "перечень.xlsx")]
    pub file_name: String,
    #[schema(example = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the file, hexadecimal
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
    /// Where to download the file
    #[schema(example = "/api/v1/files/5c1d7a9e-2b3f-4c8d-9e0f-1a2b3c4d5e6f")]
    pub download_url: String,
    /// Null when no signature was sent with the file
    pub signature: Option<FileSignature>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = f)]
struct Row {
    id: Uuid,
    revision_id: Uuid,
    part_key: String,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
    signature_name: Option<String>,
    signature_size: Option<i64>,
    signature_sha256: Option<String>,
    signature_info: Option<serde_json::Value>,
    uploaded_by: String,
    uploaded_by_name: String,
    uploaded_at: DateTime<Utc>,
}

impl From<Row> for PartFile {
    fn from(r: Row) -> Self {
        let signature = match (r.signature_info, r.signature_size, r.signature_sha256) {
            (Some(info), Some(size), Some(sha256)) => serde_json::from_value::<SignatureInfo>(info)
                .ok()
                .map(|info| FileSignature {
                    file_name: r.signature_name.unwrap_or_default(),
                    size,
                    sha256,
                    digest_matches: info.digest_matches,
                    detached: info.detached,
                    signers: info.signers,
                    download_url: format!("/api/v1/files/{}/signature", r.id),
                }),
            _ => None,
        };
        PartFile {
            id: r.id,
            revision_id: r.revision_id,
            unit_id: r.part_key,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            uploaded_by_name: r.uploaded_by_name,
            uploaded_at: r.uploaded_at,
            download_url: format!("/api/v1/files/{}", r.id),
            signature,
        }
    }
}

/// A file to store, with its signature (as sent) and what was read from it.
pub struct NewFile {
    pub revision_id: Uuid,
    pub part_key: String,
    pub agency_id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub signature: Option<NewSignature>,
}

pub struct NewSignature {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub info: SignatureInfo,
}

pub fn insert(
    conn: &mut PgConnection,
    user: &crate::auth::User,
    new: NewFile,
) -> ApiResult<PartFile> {
    let id = Uuid::new_v4();
    let sig = new.signature.as_ref();
    diesel::insert_into(f::table)
        .values((
            f::id.eq(id),
            f::revision_id.eq(new.revision_id),
            f::part_key.eq(&new.part_key),
            f::agency_id.eq(new.agency_id),
            f::file_name.eq(&new.file_name),
            f::content_type.eq(&new.content_type),
            f::size.eq(new.content.len() as i64),
            f::sha256.eq(&new.sha256),
            f::content.eq(&new.content),
            f::signature.eq(sig.map(|s| &s.bytes)),
            f::signature_name.eq(sig.map(|s| &s.file_name)),
            f::signature_size.eq(sig.map(|s| s.bytes.len() as i64)),
            f::signature_sha256.eq(sig.map(|s| &s.sha256)),
            f::signature_info.eq(sig.and_then(|s| serde_json::to_value(&s.info).ok())),
            f::signature_digest_matches.eq(sig.and_then(|s| s.info.digest_matches)),
            f::uploaded_by.eq(&user.sub),
            f::uploaded_by_name.eq(user.display()),
        ))
        .execute(conn)?;
    get(conn, id)
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<PartFile> {
    f::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(PartFile::from)
        .ok_or_else(|| ApiError::not_found("file", id))
}

/// A part's files, oldest first.
pub fn list(
    conn: &mut PgConnection,
    revision_id: Uuid,
    part_key: &str,
) -> ApiResult<Vec<PartFile>> {
    Ok(f::table
        .filter(f::revision_id.eq(revision_id))
        .filter(f::part_key.eq(part_key))
        .order((f::uploaded_at.asc(), f::id.asc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(PartFile::from)
        .collect())
}

/// The agency a file belongs to (for the rights check before anything else is loaded).
pub fn agency_of(conn: &mut PgConnection, id: Uuid) -> ApiResult<Uuid> {
    f::table
        .find(id)
        .select(f::agency_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("file", id))
}

/// The stored bytes: the file (name, content type, bytes, SHA-256) or its signature.
pub fn content(
    conn: &mut PgConnection,
    id: Uuid,
    signature: bool,
) -> ApiResult<(String, String, Vec<u8>, String)> {
    if signature {
        let (name, bytes, sha): (Option<String>, Option<Vec<u8>>, Option<String>) = f::table
            .find(id)
            .select((f::signature_name, f::signature, f::signature_sha256))
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("file", id))?;
        match (bytes, sha) {
            (Some(bytes), Some(sha)) => Ok((
                name.unwrap_or_else(|| "signature.sig".into()),
                "application/octet-stream".into(),
                bytes,
                sha,
            )),
            _ => Err(ApiError::client(
                ErrorCode::NotFound,
                format!("file {id} was uploaded without a signature"),
            )),
        }
    } else {
        f::table
            .find(id)
            .select((f::file_name, f::content_type, f::content, f::sha256))
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("file", id))
    }
}

/// With the agency's `require_signed_file`, a part is submitted only when a file with a
/// signature (whose digest does not contradict it) was uploaded to it since it was opened or
/// last returned; 409 `invalid_transition` otherwise.
pub fn require_signed_file(
    conn: &mut PgConnection,
    revision_id: Uuid,
    agency_id: Uuid,
    unit: Option<Uuid>,
) -> ApiResult<()> {
    if !crate::workflow::settings::get(conn, agency_id)?.require_signed_file {
        return Ok(());
    }
    let key = crate::workflow::db::part_key(unit);
    let (created, returned): (DateTime<Utc>, Option<DateTime<Utc>>) = revision_parts::table
        .find((revision_id, &key))
        .select((revision_parts::created_at, revision_parts::returned_at))
        .first(conn)?;
    let since = returned.unwrap_or(created);
    let signed: i64 = f::table
        .filter(f::revision_id.eq(revision_id))
        .filter(f::part_key.eq(&key))
        .filter(f::signature.is_not_null())
        .filter(f::signature_digest_matches.is_distinct_from(false))
        .filter(f::uploaded_at.ge(since))
        .count()
        .get_result(conn)?;
    if signed > 0 {
        Ok(())
    } else {
        Err(ApiError::client(
            ErrorCode::InvalidTransition,
            format!(
                "the agency requires a signed file: upload the part's file with its detached signature (POST /api/v1/revisions/{revision_id}/parts/{key}/files) before submitting{}",
                if returned.is_some() { " (again, since the part was returned)" } else { "" }
            ),
        ))
    }
}
