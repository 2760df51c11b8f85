//! What the public read endpoints share: the published register's body, the rendered versions
//! loaded through the cache (one query for a cold batch), content negotiation, conditional
//! answers (ETag, 304) and rendering a register in the format asked for. The handlers
//! (`api`, `region`, `sections`) build on these; nothing here is a handler.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cache::{header_value, PublicCache, Rendered};
use super::encoding::{self, Coding};
use super::{render, xlsx};
use crate::db::ReadDb;
use crate::domain::{ClientType, Mode};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::workflow::db as wf_db;
use crate::workflow::snapshot::{RegisterContent, RegisterRow};

/// A published register as portals receive it. Immutable for a given version number.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishedRegister {
    pub version: i32,
    /// SHA-256 of the canonical JSON of the version's content (agency, columns, rows and —
    /// in versions published with a form profile — `profile` and `approval`; object keys
    /// sorted, no whitespace): what a portal shows can be proven to be what was approved.
    pub sha256: String,
    pub approved_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    #[serde(flatten)]
    pub content: RegisterContent,
}

fn load_rendered(c: &mut PgConnection, agency_id: Uuid, number: i32) -> ApiResult<Rendered> {
    render(wf_db::version(c, agency_id, number)?)
}

/// A stored version, ready to serve.
pub(crate) fn render(v: wf_db::VersionRow) -> ApiResult<Rendered> {
    let agency_id = v.agency_id;
    let number = v.number;
    let content = v.content()?;
    let body = PublishedRegister {
        version: v.number,
        sha256: v.sha256.clone(),
        approved_at: v.approved_at,
        published_at: v.created_at,
        content,
    };
    let json = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Rendered::new(
        agency_id,
        number,
        v.sha256,
        Bytes::from(json),
        body.content,
        v.approved_at,
        v.created_at,
    ))
}

pub(crate) async fn rendered(
    db: &ReadDb,
    cache: &PublicCache,
    agency_id: Uuid,
    number: i32,
) -> ApiResult<Arc<Rendered>> {
    if let Some(r) = cache.version(agency_id, number) {
        return Ok(r);
    }
    let r = Arc::new(db.run(move |c| load_rendered(c, agency_id, number)).await?);
    cache.put(Arc::clone(&r));
    Ok(r)
}

/// The versions `keys` names, in that order: on a cold cache every version not rendered yet
/// is read in one query, not one per agency; anything the batch did not find (a replica
/// behind) is read one by one, with fallback.
pub(crate) async fn rendered_many(
    db: &ReadDb,
    cache: &PublicCache,
    keys: &[(Uuid, i32)],
) -> ApiResult<Vec<Arc<Rendered>>> {
    let mut found: std::collections::HashMap<(Uuid, i32), Arc<Rendered>> = keys
        .iter()
        .filter_map(|&(a, n)| cache.version(a, n).map(|r| ((a, n), r)))
        .collect();
    let missing: Vec<(Uuid, i32)> = keys
        .iter()
        .copied()
        .filter(|k| !found.contains_key(k))
        .collect();
    if !missing.is_empty() {
        let loaded = db
            .run(move |c| {
                wf_db::versions_by_key(c, &missing)?
                    .into_iter()
                    .map(render)
                    .collect::<ApiResult<Vec<_>>>()
            })
            .await?;
        // kept here too: a small cache may evict them again while the batch is put in
        for r in loaded {
            let r = Arc::new(r);
            cache.put(Arc::clone(&r));
            found.insert((r.agency_id, r.number), r);
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for &(agency_id, n) in keys {
        match found.get(&(agency_id, n)) {
            Some(r) => out.push(Arc::clone(r)),
            None => out.push(rendered(db, cache, agency_id, n).await?),
        }
    }
    Ok(out)
}

pub(crate) async fn current_number(
    db: &ReadDb,
    cache: &PublicCache,
    agency_id: Uuid,
) -> ApiResult<i32> {
    let n = match cache.current(agency_id) {
        Some(Some(n)) => Some(n),
        // nothing known yet (a first publication whose notification is on its way, or none):
        // the database decides, and a found version is remembered
        _ => {
            // "none" is a 404, so a replica that has not replayed a first publication yet
            // hands the question to the primary (ReadDb::run)
            let n = db
                .run(move |c| {
                    wf_db::latest_version_number(c, agency_id)?.ok_or_else(|| {
                        ApiError::client(
                            ErrorCode::NotFound,
                            format!("agency {agency_id} has no published register"),
                        )
                    })
                })
                .await?;
            cache.note(agency_id, n);
            Some(n)
        }
    };
    n.ok_or_else(|| {
        ApiError::client(
            ErrorCode::NotFound,
            format!("agency {agency_id} has no published register"),
        )
    })
}

/// The form's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Html,
    /// The offline touchpoints as a GeoJSON `FeatureCollection` (RFC 7946).
    Geojson,
    /// schema.org JSON-LD (`GovernmentOrganization`, `GovernmentService`, `ServiceChannel`).
    Jsonld,
}

impl Format {
    /// Rendered per request from the version's content (not kept in the cache).
    pub fn is_derived(self) -> bool {
        matches!(self, Format::Geojson | Format::Jsonld)
    }
}

/// Which rows of a register, and in which format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Hash)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// `json` (default), `csv` (UTF-8 with BOM, `;`), `xlsx`, `html`, `geojson` (the offline
    /// touchpoints for a map) or `jsonld` (schema.org); `Accept` works too.
    #[param(inline)]
    pub format: Option<Format>,
    pub direction_id: Option<Uuid>,
    pub process_id: Option<Uuid>,
    /// `external` also matches processes serving both kinds of client; likewise `internal`.
    pub client_type: Option<ClientType>,
    /// Channel type code.
    pub channel: Option<crate::catalogs::ChannelCode>,
    /// Digital or offline under the agency's own rule.
    pub mode: Option<Mode>,
    /// Client need code.
    pub need: Option<crate::catalogs::NeedCode>,
}

impl RegisterQuery {
    pub(crate) fn filtered(&self) -> bool {
        self.direction_id.is_some()
            || self.process_id.is_some()
            || self.client_type.is_some()
            || self.channel.is_some()
            || self.mode.is_some()
            || self.need.is_some()
    }

    pub(crate) fn keep(&self, r: &RegisterRow) -> bool {
        let t = r.touchpoint.as_ref();
        self.direction_id.is_none_or(|d| r.direction_id == d)
            && self.process_id.is_none_or(|p| r.process_id == p)
            && self.client_type.is_none_or(|ct| {
                crate::processes::db::client_type_matches(ct).contains(&r.client_type)
            })
            && self
                .channel
                .is_none_or(|c| t.is_some_and(|t| t.channel == crate::catalogs::code_of(c)))
            && self
                .mode
                .is_none_or(|m| t.is_some_and(|t| t.implied_mode == m))
            && self.need.is_none_or(|n| {
                t.is_some_and(|t| {
                    t.needs
                        .iter()
                        .any(|x| x.code == crate::catalogs::code_of(n))
                })
            })
    }
}

pub(crate) fn negotiate(req: &HttpRequest, q: &RegisterQuery) -> Format {
    if let Some(f) = q.format {
        return f;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/geo+json") {
        Format::Geojson
    } else if accept.contains("application/ld+json") {
        Format::Jsonld
    } else if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("spreadsheetml") {
        Format::Xlsx
    } else if accept.contains("text/html") && !accept.contains("application/json") {
        Format::Html
    } else {
        Format::Json
    }
}

/// An XLSX workbook (binary).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);

pub const GEOJSON_TYPE: &str = "application/geo+json";
pub const JSONLD_TYPE: &str = "application/ld+json";

/// A GeoJSON or JSON-LD body of one or several registers (`version`: the single version's
/// number and SHA-256, carried by the GeoJSON).
pub(crate) fn derived<'a>(
    format: Format,
    contents: impl IntoIterator<Item = &'a RegisterContent>,
    version: Option<(i32, &str)>,
) -> ApiResult<Vec<u8>> {
    let value = match format {
        Format::Geojson => super::geojson::collection(super::geojson::features(contents), version),
        _ => super::jsonld::document(contents),
    };
    serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.into()))
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Serves a version with HTTP caching: an ETag derived from its SHA-256, the variant and
/// the content coding (each coding is its own representation, with its own strong ETag), 304
/// for a matching If-None-Match, `immutable` for version URLs, a short max-age for the
/// current one. The whole version in JSON, CSV or HTML is sent from bytes rendered and
/// compressed once (gzip and brotli, kept with the version in the cache); a filtered one is
/// rendered per request and compressed when that pays off ([`send_dynamic`]); XLSX is a zip
/// already and is sent as it is.
pub(crate) async fn respond(
    req: &HttpRequest,
    cache: &PublicCache,
    r: Arc<Rendered>,
    q: &RegisterQuery,
    immutable: bool,
) -> ApiResult<HttpResponse> {
    let format = negotiate(req, q);
    let cache_control = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    let file = || format!("perechen-{}-v{}", r.agency_id, r.number);
    if q.filtered() || format == Format::Xlsx || format.is_derived() {
        let render = || -> ApiResult<Vec<u8>> {
            let filtered;
            let content = if q.filtered() {
                filtered = RegisterContent {
                    agency: r.content.agency.clone(),
                    columns: r.content.columns.clone(),
                    rows: r
                        .content
                        .rows
                        .iter()
                        .filter(|row| q.keep(row))
                        .cloned()
                        .collect(),
                    profile: r.content.profile.clone(),
                    approval: r.content.approval.clone(),
                };
                &filtered
            } else {
                &r.content
            };
            let meta = render::Meta {
                version: Some((r.number, r.approved_at, &r.sha256)),
            };
            Ok(match format {
                Format::Json => serde_json::to_vec(&PublishedRegister {
                    version: r.number,
                    sha256: r.sha256.clone(),
                    approved_at: r.approved_at,
                    published_at: r.published_at,
                    content: content.clone(),
                })
                .map_err(|e| ApiError::Internal(e.into()))?,
                Format::Csv => render::csv(content).into_bytes(),
                Format::Html => render::html(content, &meta).into_bytes(),
                Format::Xlsx => xlsx::workbook(content, &meta)?,
                Format::Geojson | Format::Jsonld => {
                    derived(format, [content], Some((r.number, r.sha256.as_str())))?
                }
            })
        };
        let base = variant_tag(&r.sha256, format, q);
        let file = file();
        let rep = Representation {
            etag: &base,
            cache_control,
            sha256: &r.sha256,
            format,
            file: &file,
        };
        return send_dynamic(req, rep, render).await;
    }
    // the whole version in JSON (what portals read), CSV or HTML: bytes and headers made once
    let coding = encoding::negotiate(encoding::accept_encoding(req.headers()), &Coding::ALL);
    let etag = if format == Format::Json {
        r.json_etag(coding).clone()
    } else {
        quoted_tag(&variant_tag(&r.sha256, format, q), coding)
    };
    let (mut b, matches) = conditional(req, etag, cache_control, Some(r.sha256_header.clone()));
    // No `negotiated` mark is needed here: the coding is the one the compression middleware
    // would choose from the same `Accept-Encoding`, so it either sees `Content-Encoding` or
    // identity asked for, and leaves the answer alone.
    if matches {
        return Ok(b.finish());
    }
    let body = match r.body(format, coding) {
        Some(body) => body,
        None => {
            let made = Arc::clone(&r);
            let (body, added) = actix_web::web::block(move || made.make_body(format, coding))
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("rendering failed: {e}")))?;
            cache.charge(&r, added);
            body
        }
    };
    head(&mut b, format, file, coding);
    Ok(b.body(body))
}

/// The entity tag of a version's variant other than its whole JSON, unquoted: the SHA-256 when
/// unfiltered JSON, else the SHA-256 with the format and a hash of the query.
fn variant_tag(sha256: &str, format: Format, q: &RegisterQuery) -> String {
    if !q.filtered() && format == Format::Json {
        return sha256.to_owned();
    }
    let mut h = DefaultHasher::new();
    q.hash(&mut h);
    format!("{sha256}-{format:?}-{:x}", h.finish()).to_lowercase()
}

/// An entity tag's header value: `tag` quoted, with the coding's suffix.
fn quoted_tag(tag: &str, coding: Coding) -> HeaderValue {
    header_value(format!("\"{tag}{}\"", coding.etag_suffix()))
}

/// `X-Content-SHA256`, the content hash of a register answer.
pub const X_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-content-sha256");

/// What identifies an answer rendered per request.
pub(crate) struct Representation<'a> {
    /// The identity representation's entity tag, unquoted.
    pub etag: &'a str,
    pub cache_control: &'static str,
    pub sha256: &'a str,
    pub format: Format,
    /// The attachment's file name without extension (CSV, XLSX).
    pub file: &'a str,
}

/// Sends a body rendered for this request (a filtered register, one with its subordinate
/// organizations): compressed in the coding the client prefers when it is at least
/// [`encoding::DYNAMIC_THRESHOLD`] bytes (or identity is refused), with that coding's ETag; a
/// 304 when If-None-Match names the ETag of what would be sent. XLSX is sent as it is.
pub(crate) async fn send_dynamic(
    req: &HttpRequest,
    rep: Representation<'_>,
    render: impl FnOnce() -> ApiResult<Vec<u8>>,
) -> ApiResult<HttpResponse> {
    let ae = encoding::accept_encoding(req.headers());
    let wanted = if rep.format == Format::Xlsx {
        Coding::Identity
    } else {
        encoding::negotiate(ae, &Coding::ALL)
    };
    let tag = |c: Coding| quoted_tag(rep.etag, c);
    let sha256 = || (!rep.sha256.is_empty()).then(|| header_value(rep.sha256.to_owned()));
    // the same content always has the same size, so the coding a tag names is the one that
    // would be sent again: a match needs no rendering
    let (b, matches) = conditional(req, tag(wanted), rep.cache_control, sha256());
    if matches {
        let mut b = b;
        return Ok(negotiated(b.finish()));
    }
    let plain = render()?;
    let coding = encoding::worth_it(ae, wanted, plain.len());
    let (mut b, matches) = if coding == wanted {
        (b, false)
    } else {
        conditional(req, tag(coding), rep.cache_control, sha256())
    };
    if matches {
        return Ok(negotiated(b.finish()));
    }
    let body = match coding {
        Coding::Identity => Bytes::from(plain),
        c if plain.len() < 64 * 1024 => encoding::encode_dynamic(c, &plain),
        c => actix_web::web::block(move || encoding::encode_dynamic(c, &plain))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("compression failed: {e}")))?,
    };
    head(&mut b, rep.format, || rep.file.to_owned(), coding);
    Ok(negotiated(b.body(body)))
}

/// Content-Type, the attachment's name (`file`, asked for only by CSV and XLSX) and
/// Content-Encoding of a register answer.
fn head(
    b: &mut actix_web::HttpResponseBuilder,
    format: Format,
    file: impl FnOnce() -> String,
    coding: Coding,
) {
    let content_type = match format {
        Format::Json => "application/json",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        Format::Xlsx => XLSX_TYPE,
        Format::Geojson => GEOJSON_TYPE,
        Format::Jsonld => JSONLD_TYPE,
    };
    b.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    let extension = match format {
        Format::Csv => Some("csv"),
        Format::Xlsx => Some("xlsx"),
        _ => None,
    };
    if let Some(extension) = extension {
        b.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.{extension}\"", file()),
        ));
    }
    if let Some(t) = coding.token() {
        b.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(t)));
    }
}

/// Marks an answer whose coding is decided (the compression middleware leaves it alone).
pub(crate) fn negotiated(mut resp: HttpResponse) -> HttpResponse {
    resp.extensions_mut().insert(encoding::Negotiated);
    resp
}

/// The headers of a cacheable public answer (`ETag`, `Cache-Control`, `X-Content-SHA256`,
/// `Vary`) on a 200, or on a 304 when `If-None-Match` names the ETag (then `true`: send no body).
/// `sha256` is absent for a body made of several versions (a region's GeoJSON).
pub(crate) fn conditional(
    req: &HttpRequest,
    etag: HeaderValue,
    cache_control: &'static str,
    sha256: Option<HeaderValue>,
) -> (actix_web::HttpResponseBuilder, bool) {
    let tag = etag.as_bytes();
    let matches = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
            .any(|t| t == tag || t == b"*" || t.strip_prefix(b"W/") == Some(tag))
    });
    let mut b = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ))
        .insert_header((
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Encoding"),
        ));
    if let Some(sha256) = sha256 {
        b.insert_header((X_CONTENT_SHA256, sha256));
    }
    (b, matches)
}

/// The form as CSV, HTML or XLSX.
pub fn render_as(
    mut b: actix_web::HttpResponseBuilder,
    format: Format,
    content: &RegisterContent,
    meta: &render::Meta<'_>,
    file: &str,
) -> ApiResult<HttpResponse> {
    Ok(match format {
        Format::Json => b.json(content),
        Format::Csv => b
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.csv\""),
            ))
            .body(render::csv(content)),
        Format::Html => b
            .content_type("text/html; charset=utf-8")
            .body(render::html(content, meta)),
        Format::Xlsx => b
            .content_type(XLSX_TYPE)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.xlsx\""),
            ))
            .body(xlsx::workbook(content, meta)?),
        Format::Geojson | Format::Jsonld => b
            .content_type(if format == Format::Geojson {
                GEOJSON_TYPE
            } else {
                JSONLD_TYPE
            })
            .body(derived(format, [content], None)?),
    })
}
