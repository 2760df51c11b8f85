//! The consolidated register of a region (сводный перечень): every agency's current version,
//! as JSON pages put together from rows serialised once per cached version, or streamed as
//! CSV/HTML.

use actix_web::get;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cache::{PublicCache, Rendered};
use super::render;
use super::serve::*;
use crate::db::ReadDb;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::RegionPath;
use crate::schema::register_versions;
use crate::workflow::snapshot::RegisterRow;

/// One row of the consolidated register, with the agency it comes from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionRow {
    pub agency_id: Uuid,
    pub agency: String,
    pub version: i32,
    #[serde(flatten)]
    pub row: RegisterRow,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionRegister {
    pub region: String,
    pub agencies: i64,
    pub rows: Vec<RegionRow>,
    /// Rows over all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Rows per page (JSON only; CSV and HTML stream every row).
    #[param(minimum = 1, maximum = 5000, default = 500)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

async fn region_versions(
    db: &ReadDb,
    cache: &PublicCache,
    region: &str,
) -> ApiResult<super::cache::RegionIndex> {
    let cached = cache.region(region);
    if let Some((_, Some(index))) = &cached {
        return Ok(Arc::clone(index));
    }
    let index = Arc::new(build_region(db, cache, region).await?);
    if let Some((generation, None)) = cached {
        cache.put_region(region, generation, Arc::clone(&index));
    }
    Ok(index)
}

async fn build_region(
    db: &ReadDb,
    cache: &PublicCache,
    region: &str,
) -> ApiResult<Vec<Arc<Rendered>>> {
    let current: Vec<(Uuid, i32)> = match cache.current_all() {
        Some(m) => m.into_iter().collect(),
        None => {
            db.run(|c| {
                let rows: Vec<(Uuid, Option<i32>)> = register_versions::table
                    .group_by(register_versions::agency_id)
                    .select((
                        register_versions::agency_id,
                        diesel::dsl::max(register_versions::number),
                    ))
                    .load(c)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(a, n)| n.map(|n| (a, n)))
                    .collect())
            })
            .await?
        }
    };
    let mut out = rendered_many(db, cache, &current).await?;
    out.retain(|r| r.content.agency.region == region);
    out.sort_by(|a, b| {
        a.content
            .agency
            .name
            .cmp(&b.content.agency.name)
            .then(a.agency_id.cmp(&b.agency_id))
    });
    Ok(out)
}

/// The consolidated register of a region (сводный перечень)
///
/// Every body of the region with its current published register. JSON is paginated over
/// rows; CSV and HTML stream every row with bounded memory.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getRegionRegister",
    params(RegionPath, RegionQuery, ("format" = Option<String>, Query, description = "`json` (default), `csv` or `html`", pattern = "^(json|csv|html)$")),
    responses((status = 200, description = "The consolidated register", content((RegionRegister = "application/json"), (String = "text/csv"), (String = "text/html"))))
)]
#[get("/public/regions/{region}/register")]
pub async fn region_register(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    region: web::Path<RegionPath>,
    q: web::Query<RegionQuery>,
) -> ApiResult<HttpResponse> {
    let region = region.into_inner().region;
    let fq = web::Query::<RegisterQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|e| {
            ApiError::client(
                ErrorCode::InvalidParameter,
                format!("invalid query string: {e}"),
            )
        })?;
    let format = negotiate(&req, &fq);
    let limit = q.limit.unwrap_or(500);
    let offset = q.offset.unwrap_or(0);
    if !(1..=5000).contains(&limit) || offset < 0 {
        return Err(ApiError::client(
            ErrorCode::InvalidParameter,
            "limit must be 1 to 5000 and offset zero or more",
        ));
    }
    let versions = region_versions(&db, &cache, &region).await?;
    match format {
        Format::Csv => {
            let header = futures_util::stream::once(async {
                Ok::<_, actix_web::Error>(Bytes::from(render::csv_header()))
            });
            let mut n = 1usize;
            let chunks: Vec<(Arc<Rendered>, usize)> = versions
                .iter()
                .cloned()
                .map(|v| {
                    let start = n;
                    n += v.content.rows.len();
                    (v, start)
                })
                .collect();
            let body = futures_util::stream::iter(chunks.into_iter().map(|(v, start)| {
                let name = v
                    .content
                    .agency
                    .short_name
                    .clone()
                    .unwrap_or_else(|| v.content.agency.name.clone());
                Ok::<_, actix_web::Error>(Bytes::from(render::csv_rows(
                    &v.content.rows,
                    start,
                    Some(&name),
                )))
            }));
            use futures_util::StreamExt;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .streaming(header.chain(body)))
        }
        Format::Html => {
            let title = format!(
                "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Сводный перечень — {r}</title><style>{s}</style></head><body><h1>Сводный перечень точек взаимодействия с клиентом<br>{r}</h1>\n",
                r = render::escape(&region),
                s = render::HTML_STYLE
            );
            let parts = versions
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .into_iter()
                .map(|v| {
                    Ok::<_, actix_web::Error>(Bytes::from(render::html_section(
                        &v.content.agency.name,
                        v.number,
                        &v.sha256,
                        &v.content.rows,
                    )))
                });
            use futures_util::StreamExt;
            let stream =
                futures_util::stream::once(
                    async move { Ok::<_, actix_web::Error>(Bytes::from(title)) },
                )
                .chain(futures_util::stream::iter(parts))
                .chain(futures_util::stream::once(async {
                    Ok::<_, actix_web::Error>(Bytes::from_static(b"</body></html>\n"))
                }));
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .streaming(stream))
        }
        Format::Xlsx => Err(ApiError::client(
            ErrorCode::InvalidParameter,
            "the consolidated register is served as json, csv or html; xlsx is per agency",
        )),
        Format::Json => {
            let total: usize = versions.iter().map(|v| v.content.rows.len()).sum();
            let rows = versions
                .iter()
                .flat_map(|v| region_rows(v).iter())
                .skip(offset as usize)
                .take(limit as usize);
            let body = region_page(&region, versions.len(), rows, total, limit, offset)
                .map_err(|e| ApiError::Internal(e.into()))?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .content_type("application/json")
                .body(body))
        }
    }
}

/// [`RegionRow`] borrowing from a cached version, so rows serialise without being cloned.
#[derive(Serialize)]
struct RegionRowRef<'a> {
    agency_id: Uuid,
    agency: &'a str,
    version: i32,
    #[serde(flatten)]
    row: &'a RegisterRow,
}

/// A version's rows as region-view rows, serialised once per cached version.
fn region_rows(v: &Rendered) -> &[Bytes] {
    v.region_rows.get_or_init(|| {
        v.content
            .rows
            .iter()
            .map(|row| {
                let r = RegionRowRef {
                    agency_id: v.agency_id,
                    agency: &v.content.agency.name,
                    version: v.number,
                    row,
                };
                Bytes::from(serde_json::to_vec(&r).expect("a register row serialises"))
            })
            .collect()
    })
}

/// A [`RegionRegister`] page put together from serialised rows: the same JSON serde would
/// write for the struct (fields in its order), without serialising the rows again.
fn region_page<'a>(
    region: &str,
    agencies: usize,
    rows: impl Iterator<Item = &'a Bytes>,
    total: usize,
    limit: i64,
    offset: i64,
) -> serde_json::Result<Bytes> {
    let mut body = Vec::with_capacity(64 * 1024);
    body.extend_from_slice(b"{\"region\":");
    serde_json::to_writer(&mut body, region)?;
    body.extend_from_slice(format!(",\"agencies\":{agencies},\"rows\":[").as_bytes());
    for (i, row) in rows.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(row);
    }
    body.extend_from_slice(
        format!("],\"total\":{total},\"limit\":{limit},\"offset\":{offset}}}").as_bytes(),
    );
    Ok(Bytes::from(body))
}
