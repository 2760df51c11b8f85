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

use super::cache::{PublicCache, RegionEntry, RegionIndex, Rendered};
use super::encoding::{self, Coding};
use super::pieces::{self, PieceKind};
use super::render;
use super::serve::*;
use crate::db::ReadDb;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::RegionPath;
use crate::schema::register_versions;
use crate::workflow::snapshot::RegisterRow;
use diesel::sql_types::{Array, Integer, Nullable, Text, Uuid as SqlUuid};

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

async fn region_versions(db: &ReadDb, cache: &PublicCache, region: &str) -> ApiResult<RegionIndex> {
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

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
    #[diesel(sql_type = Integer)]
    number: i32,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    short_name: Option<String>,
    #[diesel(sql_type = Integer)]
    rows: i32,
}

/// The region's bodies with their current version's number, name (as the version states
/// them) and row count, read from the columns kept beside each version's content (the
/// versions themselves are not loaded).
async fn build_region(
    db: &ReadDb,
    cache: &PublicCache,
    region: &str,
) -> ApiResult<Vec<RegionEntry>> {
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
    let region = region.to_owned();
    let (agencies, numbers): (Vec<Uuid>, Vec<i32>) = current.into_iter().unzip();
    let rows: Vec<IndexRow> = db
        .run(move |c| {
            Ok(diesel::sql_query(
                "SELECT v.agency_id, v.number, v.agency_name AS name, \
                        v.agency_short_name AS short_name, v.row_count AS rows \
                   FROM register_versions v \
                   JOIN unnest($1::uuid[], $2::int4[]) AS k(agency_id, number) \
                     ON k.agency_id = v.agency_id AND k.number = v.number \
                  WHERE v.agency_region = $3",
            )
            .bind::<Array<SqlUuid>, _>(&agencies)
            .bind::<Array<Integer>, _>(&numbers)
            .bind::<Text, _>(&region)
            .load(c)?)
        })
        .await?;
    let mut out: Vec<RegionEntry> = rows
        .into_iter()
        .map(|r| RegionEntry {
            agency_id: r.agency_id,
            number: r.number,
            name: r.name,
            short_name: r.short_name,
            rows: r.rows.max(0) as usize,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.agency_id.cmp(&b.agency_id)));
    Ok(out)
}

/// A version of the region without stored pieces, read for the stream alone.
struct Source {
    agency_id: Uuid,
    number: i32,
    sha256: String,
    content: crate::domain::register::RegisterContent,
}

#[derive(QueryableByName)]
struct ContentRow {
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
    #[diesel(sql_type = Integer)]
    number: i32,
    #[diesel(sql_type = Text)]
    sha256: String,
    #[diesel(sql_type = Text)]
    content: String,
}

/// The versions `keys` names, read as text and parsed straight into their content (not
/// cached: a stream over a large region must not fill the cache). Only for versions whose
/// pieces are not stored yet (see `pieces::start_backfill`).
fn load_sources(c: &mut PgConnection, keys: &[(Uuid, i32)]) -> ApiResult<Vec<Source>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let (agencies, numbers): (Vec<Uuid>, Vec<i32>) = keys.iter().copied().unzip();
    let rows: Vec<ContentRow> = diesel::sql_query(
        "SELECT v.agency_id, v.number, v.sha256, v.content::text AS content \
           FROM register_versions v \
           JOIN unnest($1::uuid[], $2::int4[]) AS k(agency_id, number) \
             ON k.agency_id = v.agency_id AND k.number = v.number",
    )
    .bind::<Array<SqlUuid>, _>(&agencies)
    .bind::<Array<Integer>, _>(&numbers)
    .load(c)?;
    rows.into_iter()
        .map(|r| {
            let content = serde_json::from_str(&r.content).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "version {} of {}: {e}",
                    r.number,
                    r.agency_id
                ))
            })?;
            Ok(Source {
                agency_id: r.agency_id,
                number: r.number,
                sha256: r.sha256,
                content,
            })
        })
        .collect()
}

/// A part of a region stream: text, or gzip pieces with their CRC and length.
struct Part {
    bytes: Bytes,
    crc: crc32fast::Hasher,
    len: u64,
}

/// How many bodies one step of a region stream reads.
const STREAM_BATCH: usize = 32;

/// A batch of the region (`entries`) as one part of the stream: the versions' stored pieces
/// joined (gzip) or inflated (plain); a version without stored pieces is rendered from its
/// content.
fn render_batch(
    c: &mut PgConnection,
    entries: &[RegionEntry],
    kind: PieceKind,
    gzip: bool,
) -> ApiResult<Part> {
    let keys: Vec<(Uuid, i32)> = entries.iter().map(|e| (e.agency_id, e.number)).collect();
    let mut stored = pieces::load(c, &keys, kind)?;
    let missing: Vec<(Uuid, i32)> = keys
        .iter()
        .filter(|k| !stored.contains_key(k))
        .copied()
        .collect();
    let mut loaded: std::collections::HashMap<(Uuid, i32), Source> = load_sources(c, &missing)?
        .into_iter()
        .map(|s| ((s.agency_id, s.number), s))
        .collect();
    let mut out = Vec::with_capacity(256 * 1024);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for key in &keys {
        let piece = match stored.remove(key) {
            Some(p) => p,
            None => {
                // a version gone meanwhile (its agency deleted) is left out
                let Some(s) = loaded.remove(key) else {
                    continue;
                };
                let text = pieces::plain(kind, &s.content, s.number, &s.sha256);
                if !gzip {
                    out.extend_from_slice(text.as_bytes());
                    continue;
                }
                encoding::GzipPiece::new(text.as_bytes(), 6)
            }
        };
        if gzip {
            out.extend_from_slice(&piece.deflate);
            crc.combine(&piece.crc);
            len += piece.len;
        } else {
            let text = pieces::inflate(&piece).map_err(|e| ApiError::Internal(e.into()))?;
            out.extend_from_slice(&text);
        }
    }
    if !gzip {
        len = out.len() as u64;
    }
    Ok(Part {
        bytes: Bytes::from(out),
        crc,
        len,
    })
}

/// A region's CSV or HTML as a stream: the head, then the bodies a batch at a time (the next
/// batch read while the last is sent), then the tail; in gzip, one gzip stream put together
/// from pieces compressed apart. Memory holds two batches, whatever the region's size.
fn region_stream(
    db: ReadDb,
    index: RegionIndex,
    kind: PieceKind,
    gzip: bool,
    head: String,
    tail: &'static str,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    type Job = actix_web::rt::task::JoinHandle<ApiResult<Part>>;
    fn spawn(
        db: &ReadDb,
        index: &RegionIndex,
        at: usize,
        kind: PieceKind,
        gzip: bool,
    ) -> Option<Job> {
        if at >= index.len() {
            return None;
        }
        let entries: Vec<RegionEntry> = index[at..(at + STREAM_BATCH).min(index.len())].to_vec();
        let db = db.clone();
        Some(actix_web::rt::spawn(async move {
            db.run(move |c| render_batch(c, &entries, kind, gzip)).await
        }))
    }
    let piece = |text: &[u8]| {
        if gzip {
            encoding::GzipPiece::new(text, 6)
        } else {
            encoding::GzipPiece {
                deflate: Bytes::copy_from_slice(text),
                crc: crc32fast::Hasher::new(),
                len: text.len() as u64,
            }
        }
    };
    let head = piece(head.as_bytes());
    let tail = piece(tail.as_bytes());
    enum Phase {
        Head,
        Body,
        Done,
    }
    fn finish(
        crc: &mut crc32fast::Hasher,
        len: &mut u64,
        tail: &encoding::GzipPiece,
        gzip: bool,
    ) -> Bytes {
        crc.combine(&tail.crc);
        *len += tail.len;
        let mut b = tail.deflate.to_vec();
        if gzip {
            b.extend_from_slice(&encoding::gzip_trailer(crc, *len));
        }
        Bytes::from(b)
    }
    struct State {
        phase: Phase,
        at: usize,
        crc: crc32fast::Hasher,
        len: u64,
        job: Option<Job>,
    }
    let state = State {
        phase: Phase::Head,
        at: 0,
        crc: crc32fast::Hasher::new(),
        len: 0,
        job: None,
    };
    futures_util::stream::unfold(state, move |mut st| {
        let (db, index) = (db.clone(), Arc::clone(&index));
        let (head, tail) = (head.clone(), tail.clone());
        async move {
            match st.phase {
                Phase::Head => {
                    st.phase = Phase::Body;
                    st.job = spawn(&db, &index, 0, kind, gzip);
                    st.crc.combine(&head.crc);
                    st.len += head.len;
                    let mut b = Vec::with_capacity(head.deflate.len() + 10);
                    if gzip {
                        b.extend_from_slice(&encoding::GZIP_HEADER);
                    }
                    b.extend_from_slice(&head.deflate);
                    Some((Ok(Bytes::from(b)), st))
                }
                Phase::Body if st.job.is_none() => {
                    st.phase = Phase::Done;
                    Some((Ok(finish(&mut st.crc, &mut st.len, &tail, gzip)), st))
                }
                Phase::Body => {
                    let job = st.job.take().expect("checked above");
                    let part = match job.await {
                        Ok(Ok(part)) => part,
                        Ok(Err(e)) => {
                            st.phase = Phase::Done;
                            tracing::error!(error = %e, "region stream failed");
                            return Some((
                                Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                                st,
                            ));
                        }
                        Err(e) => {
                            st.phase = Phase::Done;
                            return Some((
                                Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                                st,
                            ));
                        }
                    };
                    st.at += STREAM_BATCH;
                    // the next batch is read while this one is sent
                    st.job = spawn(&db, &index, st.at, kind, gzip);
                    st.crc.combine(&part.crc);
                    st.len += part.len;
                    Some((Ok(part.bytes), st))
                }
                Phase::Done => None,
            }
        }
    })
}

/// The consolidated register of a region (сводный перечень)
///
/// Every body of the region with its current published register. JSON is paginated over
/// rows; CSV and HTML stream every row with constant memory, whatever the region's size.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getRegionRegister",
    params(RegionPath, RegionQuery, ("format" = Option<String>, Query, description = "`json` (default), `csv`, `html`, `geojson` (the offline touchpoints as a GeoJSON FeatureCollection) or `jsonld` (schema.org)", pattern = "^(json|csv|html|geojson|jsonld)$")),
    responses((status = 200, description = "The consolidated register", headers(("Content-Encoding" = String, description = "CSV and HTML: `gzip` when `Accept-Encoding` takes it (one gzip stream put together from pieces compressed once); JSON pages: `gzip` or `br`; absent: the plain body"), ("Vary" = String, description = "`Accept-Encoding` (and `Accept` for CSV and HTML)")), content((RegionRegister = "application/json"), (String = "text/csv"), (String = "text/html"), (Object = "application/geo+json"), (Object = "application/ld+json"))))
)]
#[get("/public/regions/{region}/register")]
pub async fn region_register(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    region: web::Path<RegionPath>,
    q: crate::http::ApiQuery<RegionQuery>,
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
    let index = region_versions(&db, &cache, &region).await?;
    let stream_of =
        |kind: PieceKind, content_type: &'static str, head: String, tail: &'static str| {
            // gzip is put together from pieces; brotli streams do not concatenate, so a client
            // that takes only brotli gets the stream as it is
            let coding = encoding::negotiate(
                encoding::accept_encoding(req.headers()),
                &[Coding::Gzip, Coding::Identity],
            );
            let gzip = coding == Coding::Gzip;
            let mut b = HttpResponse::Ok();
            b.content_type(content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .insert_header((header::VARY, "Accept, Accept-Encoding"));
            if gzip {
                b.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            let stream = region_stream(
                db.get_ref().clone(),
                Arc::clone(&index),
                kind,
                gzip,
                head,
                tail,
            );
            negotiated(b.streaming(stream))
        };
    match format {
        Format::Csv => Ok(stream_of(
            PieceKind::Csv,
            "text/csv; charset=utf-8",
            render::csv_header(),
            "",
        )),
        Format::Html => {
            let title = format!(
                "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Сводный перечень — {r}</title><style>{s}</style></head><body><h1>Сводный перечень точек взаимодействия с клиентом<br>{r}</h1>\n",
                r = render::escape(&region),
                s = render::HTML_STYLE
            );
            Ok(stream_of(
                PieceKind::Html,
                "text/html; charset=utf-8",
                title,
                "</body></html>\n",
            ))
        }
        Format::Xlsx => Err(ApiError::client(
            ErrorCode::InvalidParameter,
            "the consolidated register is served as json, csv, html, geojson or jsonld; xlsx is per agency",
        )),
        Format::Geojson | Format::Jsonld => {
            // every body's current version, compressed when that pays off; the tag names the
            // versions it is made of
            let keys: Vec<(Uuid, i32)> = index.iter().map(|e| (e.agency_id, e.number)).collect();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&(&keys, format), &mut h);
            let tag = format!("region-{:x}", std::hash::Hasher::finish(&h));
            let versions = rendered_many(&db, &cache, &keys).await?;
            let rep = Representation {
                etag: &tag,
                cache_control: "public, max-age=60",
                sha256: "",
                format,
                file: "",
            };
            send_dynamic(&req, rep, || {
                derived(format, versions.iter().map(|v| &v.content), None)
            })
            .await
        }
        Format::Json => {
            let total: usize = index.iter().map(|e| e.rows).sum();
            // only the versions the page covers are read
            let (offset, limit) = (offset as usize, limit as usize);
            let mut keys = Vec::new();
            let mut skip = 0;
            let mut at = 0;
            for e in index.iter() {
                let end = at + e.rows;
                if end > offset && at < offset + limit {
                    if keys.is_empty() {
                        skip = offset.saturating_sub(at);
                    }
                    keys.push((e.agency_id, e.number));
                }
                at = end;
                if at >= offset + limit {
                    break;
                }
            }
            let make = || async {
                let versions = rendered_many(&db, &cache, &keys).await?;
                let rows = versions
                    .iter()
                    .flat_map(|v| region_rows(&cache, v).iter())
                    .skip(skip)
                    .take(limit);
                region_page(
                    &region,
                    index.len(),
                    rows,
                    total,
                    limit as i64,
                    offset as i64,
                )
                .map_err(|e| ApiError::Internal(e.into()))
            };
            let coding =
                encoding::negotiate(encoding::accept_encoding(req.headers()), &Coding::ALL);
            // a page of the current generation is made once and kept with its compressed
            // copies (only while the version listener is live, which is what makes it current)
            let body = match cache.region(&region) {
                // the index this page is made from is the generation's own
                Some((generation, Some(current))) if Arc::ptr_eq(&current, &index) => {
                    let key = (region.clone(), limit, offset);
                    let page = match cache.region_page(generation, &key) {
                        Some(page) => page,
                        None => cache.put_region_page(generation, key, make().await?),
                    };
                    match page.ready(coding) {
                        Some(body) => body,
                        None => web::block(move || page.body(coding)).await.map_err(|e| {
                            ApiError::Internal(anyhow::anyhow!("compression failed: {e}"))
                        })?,
                    }
                }
                _ => encoding::encode_dynamic(coding, &make().await?),
            };
            let mut b = HttpResponse::Ok();
            b.insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .insert_header((header::VARY, "Accept, Accept-Encoding"))
                .content_type("application/json");
            if let Some(token) = coding.token() {
                b.insert_header((header::CONTENT_ENCODING, token));
            }
            Ok(negotiated(b.body(body)))
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

/// A version's rows as region-view rows, serialised once per cached version (and counted
/// in the cache's bytes).
fn region_rows<'a>(cache: &PublicCache, v: &'a Rendered) -> &'a [Bytes] {
    let mut made = 0;
    let rows = v.region_rows.get_or_init(|| {
        let rows: Vec<Bytes> = v
            .content
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
            .collect();
        made = rows.iter().map(|r| r.len() + 32).sum();
        rows
    });
    cache.charge(v, made);
    rows
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
