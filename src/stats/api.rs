//! The stats endpoints: an agency's figures (published, and its working copy for its own
//! people), a region's (summed and per agency, cached per publication) and the deadlines
//! aggregated per agency. JSON by default, `format=csv` for spreadsheets.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use actix_web::get;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{db, tree_order, AgencyStats, Basis, Figures};
use crate::auth::{Role, User};
use crate::calendar::{check_date, local_date};
use crate::db::{Db, ReadDb};
use crate::deadlines::{compute, DeadlineKind};
use crate::domain::state::RevisionStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::{AgencyPath, RegionPath};
use crate::http::{ApiQuery, ListParams, Paging};
use crate::public::cache::{PublicCache, RegionPage};
use crate::public::encoding::{self, Coding};
use crate::public::serve::negotiated;

/// The answer's format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsFormat {
    /// JSON (the default).
    #[default]
    Json,
    /// CSV for spreadsheets: UTF-8 with BOM, `;`, one line per agency.
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgencyStatsQuery {
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<StatsFormat>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionStatsQuery {
    /// `json` (default, agencies paged) or `csv` (every agency, then a `total` line).
    #[param(inline)]
    pub format: Option<StatsFormat>,
    /// Agencies per page, 1 to 500 (JSON).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Agencies to skip (JSON).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

crate::list_envelope!(AgencyStatsPage, AgencyStats);

/// A region's figures: the sums over its agencies' current published versions, and each
/// agency's own (paged, subordinate organizations right after their ministry).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionStats {
    pub region: String,
    /// The day `age_working_days` is counted to (today, Moscow time).
    pub on: NaiveDate,
    /// Agencies of the region, with or without a published register.
    #[schema(example = 1000)]
    pub agencies_total: i64,
    /// Agencies of the region with a published register; the others are listed with
    /// `version: null` and zero figures.
    #[schema(example = 950)]
    pub agencies_published: i64,
    /// Sums over the agencies (`digital_share` recomputed from the sums).
    #[serde(flatten)]
    pub figures: Figures,
    pub agencies: AgencyStatsPage,
}

/// [`RegionStats`] over a page of the cached list, serialised without copying it.
#[derive(Serialize)]
struct RegionStatsRef<'a> {
    region: &'a str,
    on: NaiveDate,
    agencies_total: i64,
    agencies_published: i64,
    #[serde(flatten)]
    figures: &'a Figures,
    agencies: PageRef<'a>,
}

#[derive(Serialize)]
struct PageRef<'a> {
    items: &'a [AgencyStats],
    total: i64,
    limit: i64,
    offset: i64,
}

/// A region's figures as computed once per fingerprint.
struct RegionBody {
    region: String,
    on: NaiveDate,
    published: i64,
    figures: Figures,
    items: Vec<AgencyStats>,
    /// A hash of what the body says (every agency's figures, versions and ages, the day), for
    /// its `ETag`: the same on every instance, whatever told it the body was current.
    content_hash: String,
    /// The answers made of this body (a JSON page, the CSV), each serialised once and kept with
    /// its gzip and brotli copies, up to [`PAGE_BYTES_KEPT`] plain bytes (an answer beyond them
    /// is made per request); with the plain bytes kept.
    pages: Mutex<(usize, HashMap<String, Arc<RegionPage>>)>,
}

/// Plain bytes of answers kept per region body (their compressed copies add a fraction): the
/// pages dashboards poll, not every `limit`/`offset` a client can make up.
const PAGE_BYTES_KEPT: usize = 2 << 20;

impl RegionBody {
    /// The answer `variant` names, made by `make` unless it is kept already.
    fn page(
        &self,
        variant: &str,
        make: impl FnOnce() -> ApiResult<Vec<u8>>,
    ) -> ApiResult<Arc<RegionPage>> {
        if let Some(p) = self
            .pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .get(variant)
        {
            return Ok(Arc::clone(p));
        }
        let page = Arc::new(RegionPage::new(make()?.into()));
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let (kept, map) = &mut *pages;
        if *kept + page.plain.len() <= PAGE_BYTES_KEPT && !map.contains_key(variant) {
            *kept += page.plain.len();
            map.insert(variant.to_owned(), Arc::clone(&page));
        }
        Ok(page)
    }
}

/// One body per region, replaced when the region's fingerprint (its agencies, their current
/// versions, the calendar) or the day changes.
/// Region → (fingerprint and day, body).
type RegionCache = HashMap<String, (String, Arc<RegionBody>)>;

static REGIONS: LazyLock<Mutex<RegionCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn today() -> NaiveDate {
    local_date(Utc::now())
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\x1f");
    }
    hex::encode(&h.finalize()[..12])
}

/// `ETag` and `Cache-Control` on a 200, or a bodiless 304 when `If-None-Match` names the tag.
fn conditional(req: &HttpRequest, etag: &str) -> (actix_web::HttpResponseBuilder, bool) {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag))
        });
    let mut b = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::VARY, "Accept-Encoding"));
    (b, matches)
}

fn csv_field(s: &str) -> String {
    // a cell a spreadsheet would read as a formula is quoted with a leading apostrophe
    let s = if crate::public::render::starts_a_formula(s) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

// the register CSV's BOM: spreadsheets read the file as UTF-8
use crate::public::render::CSV_BOM;

/// Agencies as CSV: fixed columns, then one per channel, need and client type found.
pub fn csv(items: &[&AgencyStats]) -> String {
    let keys = |f: fn(&Figures) -> &std::collections::BTreeMap<String, i64>| {
        items
            .iter()
            .flat_map(|a| f(&a.figures).keys().cloned())
            .collect::<BTreeSet<String>>()
    };
    let channels = keys(|f| &f.by_channel);
    let needs = keys(|f| &f.by_need);
    let client_types = keys(|f| &f.by_client_type);
    let mut header: Vec<String> = [
        "agency_id",
        "agency",
        "parent_id",
        "version",
        "approved_at",
        "age_working_days",
        "processes",
        "touchpoints",
        "digital",
        "offline",
        "digital_share",
        "stated_digital",
        "stated_offline",
        "unstated",
        "implied_digital",
        "implied_offline",
        "processes_without_touchpoints",
        "touchpoints_without_needs",
        "mode_conflicts",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(channels.iter().map(|c| format!("channel:{c}")));
    header.extend(needs.iter().map(|c| format!("need:{c}")));
    header.extend(client_types.iter().map(|c| format!("client_type:{c}")));
    let mut out = String::from(CSV_BOM);
    let mut line = |cells: Vec<String>| {
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push_str("\r\n");
    };
    line(header);
    let opt = |o: Option<String>| o.unwrap_or_default();
    for a in items {
        let f = &a.figures;
        let mut cells = vec![
            if a.agency_id.is_nil() {
                String::new()
            } else {
                a.agency_id.to_string()
            },
            a.agency.clone(),
            opt(a.parent_id.map(|p| p.to_string())),
            opt(a.version.map(|v| v.to_string())),
            opt(a.approved_at.map(|t| t.to_rfc3339())),
            opt(a.age_working_days.map(|d| d.to_string())),
            f.processes.to_string(),
            f.touchpoints.to_string(),
            f.by_mode.digital.to_string(),
            f.by_mode.offline.to_string(),
            f.digital_share.to_string(),
            f.by_stated_mode.digital.to_string(),
            f.by_stated_mode.offline.to_string(),
            f.by_stated_mode.unstated.to_string(),
            f.by_implied_mode.digital.to_string(),
            f.by_implied_mode.offline.to_string(),
            f.processes_without_touchpoints.to_string(),
            f.touchpoints_without_needs.to_string(),
            f.mode_conflicts.to_string(),
        ];
        let count = |m: &std::collections::BTreeMap<String, i64>, k: &String| {
            m.get(k).copied().unwrap_or(0).to_string()
        };
        cells.extend(channels.iter().map(|k| count(&f.by_channel, k)));
        cells.extend(needs.iter().map(|k| count(&f.by_need, k)));
        cells.extend(client_types.iter().map(|k| count(&f.by_client_type, k)));
        line(cells);
    }
    out
}

fn csv_response(
    mut b: actix_web::HttpResponseBuilder,
    body: impl actix_web::body::MessageBody + 'static,
    file: &str,
) -> HttpResponse {
    b.content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}.csv\""),
        ))
        .body(body)
}

/// The figures of an agency's current published register
///
/// Published data only, no token. Counted once per published version and kept; `ETag` changes
/// with the version and the day (the age counts working days), 304 on a matching
/// `If-None-Match`. 404 when the agency is unknown or has published nothing.
#[utoipa::path(
    security(()),
    tag = "stats", operation_id = "getPublicAgencyStats",
    params(AgencyPath, AgencyStatsQuery),
    responses(
        (status = 200, description = "The figures", headers(("ETag" = String), ("Cache-Control" = String)),
            content((AgencyStats = "application/json", example = json!({
                "agency_id": "0b6f3c1e-2f4a-4c55-9a0e-6f1d2c3b4a59", "agency": "Министерство строительства Республики Дагестан",
                "parent_id": null, "basis": "published", "version": 3, "approved_at": "2026-03-02T09:00:00Z",
                "published_at": "2026-03-03T10:00:00Z", "age_working_days": 185, "processes": 12, "touchpoints": 40,
                "by_channel": {"phone": 12, "website": 8, "office": 20}, "by_mode": {"digital": 14, "offline": 26},
                "by_stated_mode": {"digital": 10, "offline": 20, "unstated": 10}, "by_implied_mode": {"digital": 14, "offline": 26},
                "by_need": {"consultation": 25, "information": 30}, "by_client_type": {"external": 30, "internal": 10},
                "digital_share": 0.35, "processes_without_touchpoints": 1, "touchpoints_without_needs": 0, "mode_conflicts": 2})),
            (String = "text/csv"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match")
    )
)]
#[get("/public/agencies/{id}/stats")]
pub async fn public_agency_stats(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    id: web::Path<AgencyPath>,
    q: ApiQuery<AgencyStatsQuery>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let on = today();
    let (current, stamp, cal) = db
        .run(move |c| {
            let current = db::agency_current(c, agency_id)?;
            if current.version_id.is_none() {
                // none yet: the primary decides (a replica may not have replayed it)
                return Err(ApiError::client(
                    ErrorCode::NotFound,
                    format!("agency {agency_id} has no published register"),
                ));
            }
            Ok((
                current,
                db::calendar_stamp(c)?,
                crate::calendar::db::calendar(c)?,
            ))
        })
        .await?;
    let version_id = current.version_id.unwrap_or_default();
    let format = q.format.unwrap_or_default();
    let etag = format!(
        "\"stats-{}\"",
        short_hash(&[
            &version_id.to_string(),
            &current.name,
            &format!("{:?}", current.parent_id),
            &on.to_string(),
            &stamp,
            &format!("{format:?}"),
        ])
    );
    let (b, matches) = conditional(&req, &etag);
    if matches {
        return Ok({ b }.finish());
    }
    let figures = db
        .run(move |c| db::figures(c, &[version_id]))
        .await?
        .remove(&version_id);
    let stats = AgencyStats::published(&current, figures.as_deref(), &cal, on);
    Ok(match format {
        StatsFormat::Json => { b }.json(stats),
        StatsFormat::Csv => csv_response(b, csv(&[&stats]), &format!("stats-{agency_id}")),
    })
}

/// The figures of an agency's working copy, for its own people
///
/// Counted from the processes and touchpoints as they are now (`basis: working_copy`);
/// `version`, `approved_at` and `age_working_days` describe the current published version
/// (null when there is none). Readable by the agency's own roles, the bodies governing it
/// and admins.
#[utoipa::path(
    tag = "stats", operation_id = "getAgencyStats",
    params(AgencyPath, AgencyStatsQuery),
    responses(
        (status = 200, description = "The figures of the working copy",
            content((AgencyStats = "application/json", example = json!({
                "agency_id": "0b6f3c1e-2f4a-4c55-9a0e-6f1d2c3b4a59", "agency": "Министерство строительства Республики Дагестан",
                "parent_id": null, "basis": "working_copy", "version": 3, "approved_at": "2026-03-02T09:00:00Z",
                "published_at": "2026-03-03T10:00:00Z", "age_working_days": 185, "processes": 13, "touchpoints": 41,
                "by_channel": {"phone": 12, "website": 9, "office": 20}, "by_mode": {"digital": 15, "offline": 26},
                "by_stated_mode": {"digital": 10, "offline": 20, "unstated": 11}, "by_implied_mode": {"digital": 15, "offline": 26},
                "by_need": {"consultation": 25, "information": 31}, "by_client_type": {"external": 31, "internal": 10},
                "digital_share": 0.3659, "processes_without_touchpoints": 1, "touchpoints_without_needs": 1, "mode_conflicts": 2})),
            (String = "text/csv")))
    )
)]
#[get("/agencies/{id}/stats")]
pub async fn agency_stats(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    q: ApiQuery<AgencyStatsQuery>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let on = today();
    let (current, content, cal) = db
        .run(move |c| {
            let current = db::agency_current(c, agency_id)?;
            let content = crate::workflow::snapshot::build(c, agency_id)?;
            Ok((current, content, crate::calendar::db::calendar(c)?))
        })
        .await?;
    let mut stats = AgencyStats::published(&current, None, &cal, on);
    stats.basis = Basis::WorkingCopy;
    stats.figures = Figures::of(&content);
    let mut b = HttpResponse::Ok();
    b.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    Ok(match q.format.unwrap_or_default() {
        StatsFormat::Json => b.json(stats),
        StatsFormat::Csv => csv_response(
            b,
            csv(&[&stats]),
            &format!("stats-{agency_id}-working-copy"),
        ),
    })
}

async fn region_body(db: &ReadDb, cache: &PublicCache, region: &str) -> ApiResult<Arc<RegionBody>> {
    let on = today();
    let r = region.to_owned();
    // while the version cache hears every publication, its generation stands for the current
    // versions and a short query over the agencies does for the rest; otherwise the full
    // fingerprint (every agency's current version) is read
    let generation = cache.generation();
    let digest = db
        .run(move |c| match generation {
            Some(g) => Ok(db::region_stamp(c, &r)?.map(|s| format!("g{g}/{s}"))),
            None => db::region_fingerprint(c, &r),
        })
        .await?
        .ok_or_else(|| ApiError::not_found("region", format!("«{region}»")))?;
    let key = format!("{digest}/{on}");
    if let Some((k, body)) = REGIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(region)
    {
        if *k == key {
            return Ok(Arc::clone(body));
        }
    }
    let r = region.to_owned();
    let (currents, figures, cal) = db
        .run(move |c| {
            let currents = db::region_currents(c, &r)?;
            let ids: Vec<Uuid> = currents.iter().filter_map(|a| a.version_id).collect();
            let figures = db::figures(c, &ids)?;
            Ok((currents, figures, crate::calendar::db::calendar(c)?))
        })
        .await?;
    let items: Vec<AgencyStats> = currents
        .iter()
        .map(|a| {
            let f = a.version_id.and_then(|v| figures.get(&v));
            AgencyStats::published(a, f.map(|f| &**f), &cal, on)
        })
        .collect();
    let items = tree_order(items);
    let said = serde_json::to_string(&items).map_err(|e| ApiError::Internal(e.into()))?;
    let body = Arc::new(RegionBody {
        region: region.to_owned(),
        on,
        published: items.iter().filter(|a| a.version.is_some()).count() as i64,
        figures: super::total(&items),
        items,
        content_hash: short_hash(&[&said, &on.to_string()]),
        pages: Mutex::default(),
    });
    // the fingerprint read before the build: a publication in between is seen next time
    REGIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(region.to_owned(), (key.clone(), Arc::clone(&body)));
    Ok(body)
}

/// The figures of a region
///
/// Published data only, no token: the sums over the region's agencies' current published
/// registers, and each agency's figures (paged with `limit`/`offset`; subordinate
/// organizations right after their ministry, with `parent_id`). An agency with nothing
/// published is listed with `version: null` and zero figures. Computed once per publication
/// and kept in memory, each page serialised and compressed (gzip, br, as `Accept-Encoding`
/// asks) once; `ETag` from a hash of the body's content, one per coding (`…-gzip`, `…-br`),
/// 304 on a matching `If-None-Match`. 404 for a region without agencies.
#[utoipa::path(
    security(()),
    tag = "stats", operation_id = "getRegionStats",
    params(RegionPath, RegionStatsQuery),
    responses(
        (status = 200, description = "The region's figures", headers(("ETag" = String, description = "One per representation: the gzip and brotli bodies have their own (`…-gzip`, `…-br`)"), ("Cache-Control" = String), ("Content-Encoding" = String, description = "`gzip` or `br` as `Accept-Encoding` asks (bodies of 1 KiB or more); absent: the plain body"), ("Vary" = String, description = "`Accept-Encoding`")),
            content((RegionStats = "application/json", example = json!({
                "region": "Республика Дагестан", "on": "2026-11-28", "agencies_total": 2, "agencies_published": 1,
                "processes": 12, "touchpoints": 40, "by_channel": {"phone": 20, "website": 20},
                "by_mode": {"digital": 20, "offline": 20}, "by_stated_mode": {"digital": 0, "offline": 0, "unstated": 40},
                "by_implied_mode": {"digital": 20, "offline": 20}, "by_need": {"consultation": 40},
                "by_client_type": {"external": 40}, "digital_share": 0.5, "processes_without_touchpoints": 0,
                "touchpoints_without_needs": 0, "mode_conflicts": 0,
                "agencies": {"items": [{"agency_id": "0b6f3c1e-2f4a-4c55-9a0e-6f1d2c3b4a59", "agency": "Министерство строительства Республики Дагестан",
                    "parent_id": null, "basis": "published", "version": 1, "approved_at": "2026-03-02T09:00:00Z",
                    "published_at": "2026-03-03T10:00:00Z", "age_working_days": 185, "processes": 12, "touchpoints": 40,
                    "by_channel": {"phone": 20, "website": 20}, "by_mode": {"digital": 20, "offline": 20},
                    "by_stated_mode": {"digital": 0, "offline": 0, "unstated": 40}, "by_implied_mode": {"digital": 20, "offline": 20},
                    "by_need": {"consultation": 40}, "by_client_type": {"external": 40}, "digital_share": 0.5,
                    "processes_without_touchpoints": 0, "touchpoints_without_needs": 0, "mode_conflicts": 0},
                    {"agency_id": "5d1e7a80-7c1b-4f43-8d5e-2a9b6c0d1e2f", "agency": "ГБУ «Центр»", "parent_id": "0b6f3c1e-2f4a-4c55-9a0e-6f1d2c3b4a59",
                    "basis": "published", "version": null, "approved_at": null, "published_at": null, "age_working_days": null,
                    "processes": 0, "touchpoints": 0, "by_channel": {}, "by_mode": {"digital": 0, "offline": 0},
                    "by_stated_mode": {"digital": 0, "offline": 0, "unstated": 0}, "by_implied_mode": {"digital": 0, "offline": 0},
                    "by_need": {}, "by_client_type": {}, "digital_share": 0.0, "processes_without_touchpoints": 0,
                    "touchpoints_without_needs": 0, "mode_conflicts": 0}],
                    "total": 2, "limit": 50, "offset": 0}})),
            (String = "text/csv"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match")
    )
)]
#[get("/public/regions/{region}/stats")]
pub async fn public_region_stats(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    region: web::Path<RegionPath>,
    q: ApiQuery<RegionStatsQuery>,
) -> ApiResult<HttpResponse> {
    let region = region.into_inner().region;
    let paging = ListParams {
        limit: q.limit,
        offset: q.offset,
    }
    .paging()?;
    let format = q.format.unwrap_or_default();
    let body = region_body(&db, &cache, &region).await?;
    let variant = match format {
        StatsFormat::Json => format!("json-{}-{}", paging.limit, paging.offset),
        StatsFormat::Csv => "csv".to_owned(),
    };
    // each answer is serialised once per body and compressed once per coding (dashboards poll
    // the same pages); the ETag names the coding, as the registers' do
    let page = body.page(&variant, || match format {
        StatsFormat::Json => {
            let Paging { limit, offset } = paging;
            let start = (offset as usize).min(body.items.len());
            let end = start.saturating_add(limit as usize).min(body.items.len());
            let page = RegionStatsRef {
                region: &body.region,
                on: body.on,
                agencies_total: body.items.len() as i64,
                agencies_published: body.published,
                figures: &body.figures,
                agencies: PageRef {
                    items: &body.items[start..end],
                    total: body.items.len() as i64,
                    limit,
                    offset,
                },
            };
            serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.into()))
        }
        StatsFormat::Csv => {
            let total = AgencyStats {
                agency_id: Uuid::nil(),
                agency: "total".into(),
                parent_id: None,
                basis: Basis::Published,
                version: None,
                approved_at: None,
                published_at: None,
                age_working_days: None,
                figures: body.figures.clone(),
            };
            let mut rows: Vec<&AgencyStats> = body.items.iter().collect();
            rows.push(&total);
            Ok(csv(&rows).into_bytes())
        }
    })?;
    let ae = encoding::accept_encoding(req.headers());
    let wanted = encoding::negotiate(ae, &Coding::ALL);
    let coding = encoding::worth_it(ae, wanted, page.plain.len());
    let etag = format!(
        "\"stats-{}{}\"",
        short_hash(&[&region, &body.content_hash, &variant]),
        coding.etag_suffix()
    );
    let (mut b, matches) = conditional(&req, &etag);
    if matches {
        return Ok(negotiated(b.finish()));
    }
    let bytes = match page.ready(coding) {
        Some(bytes) => bytes,
        None => web::block(move || page.body(coding))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("compression failed: {e}")))?,
    };
    if let Some(token) = coding.token() {
        b.insert_header((header::CONTENT_ENCODING, token));
    }
    Ok(negotiated(match format {
        StatsFormat::Json => b.content_type("application/json").body(bytes),
        StatsFormat::Csv => csv_response(b, bytes, "stats-region"),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineStatsQuery {
    /// As of this date (default: today, Moscow time); 1990 to 2100.
    #[param(example = "2026-11-23", value_type = Option<String>, format = Date, pattern = "^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub on: Option<NaiveDate>,
    /// Only the agencies of this region.
    #[param(example = "Республика Дагестан")]
    pub region: Option<String>,
    /// `json` (default, agencies paged) or `csv` (every agency).
    #[param(inline)]
    pub format: Option<StatsFormat>,
    /// Agencies per page, 1 to 500 (JSON).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Agencies to skip (JSON).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

/// One agency's deadlines, aggregated: the figures behind `GET /agencies/{id}/deadlines`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgencyDeadlineStats {
    pub agency_id: Uuid,
    pub agency: String,
    pub parent_id: Option<Uuid>,
    pub region: String,
    /// The open revision (not yet published or cancelled), if any.
    pub revision_id: Option<Uuid>,
    /// Its state; null when no revision is open.
    pub revision_status: Option<RevisionStatus>,
    /// Items due and not yet overdue.
    #[schema(example = 2)]
    pub due: i64,
    /// Items overdue.
    #[schema(example = 1)]
    pub overdue: i64,
    /// Working days past the due day of the most overdue item; 0 when nothing is overdue.
    #[schema(example = 7)]
    pub overdue_working_days: i64,
    /// The earliest due day among the items not yet overdue.
    pub next_due: Option<NaiveDate>,
    /// The kinds of the overdue items (R10–R12: `publish`, `yearly_revision`, …), each once.
    pub overdue_kinds: Vec<DeadlineKind>,
}

crate::list_envelope!(AgencyDeadlineStatsPage, AgencyDeadlineStats);

/// Deadlines across agencies, aggregated.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineStats {
    pub on: NaiveDate,
    /// Agencies counted (those the caller may see, in the region asked for).
    pub agencies_total: i64,
    /// Agencies with at least one overdue item.
    pub agencies_overdue: i64,
    /// Items due and not overdue, over all agencies.
    pub items_due: i64,
    /// Items overdue, over all agencies.
    pub items_overdue: i64,
    /// Per agency, most overdue first (then by name).
    pub agencies: AgencyDeadlineStatsPage,
}

/// The figures of one agency's deadlines.
pub fn aggregate(
    items: &[crate::deadlines::Deadline],
) -> (i64, i64, i64, Option<NaiveDate>, Vec<DeadlineKind>) {
    let overdue: Vec<_> = items.iter().filter(|d| d.overdue).collect();
    let mut kinds = Vec::new();
    for d in &overdue {
        if !kinds.contains(&d.kind) {
            kinds.push(d.kind);
        }
    }
    (
        (items.len() - overdue.len()) as i64,
        overdue.len() as i64,
        overdue
            .iter()
            .map(|d| -d.working_days_left)
            .max()
            .unwrap_or(0)
            .max(0),
        items.iter().filter(|d| !d.overdue).map(|d| d.due).min(),
        kinds,
    )
}

/// An agency as the deadline figures need it: id, name, parent, region, created.
pub type AgencyRow = (Uuid, String, Option<Uuid>, String, chrono::DateTime<Utc>);

/// Per agency: the deadline figures of every agency in `agencies` (id, name, parent, region, created).
pub fn deadline_rows(
    c: &mut diesel::PgConnection,
    agencies: Vec<AgencyRow>,
    on: NaiveDate,
) -> ApiResult<Vec<AgencyDeadlineStats>> {
    let cal = crate::calendar::db::calendar(c)?;
    let facts = crate::deadlines::api::facts_many(
        c,
        &agencies
            .iter()
            .map(|(id, _, _, _, created)| (*id, *created))
            .collect::<Vec<_>>(),
    )?;
    Ok(agencies
        .into_iter()
        .zip(facts)
        .map(|((id, name, parent_id, region, _), (_, f))| {
            let items = compute(&f, &cal, on);
            let (due, overdue, overdue_working_days, next_due, overdue_kinds) = aggregate(&items);
            AgencyDeadlineStats {
                agency_id: id,
                agency: name,
                parent_id,
                region,
                revision_id: f.active.as_ref().map(|r| r.id),
                revision_status: f.active.as_ref().map(|r| r.status),
                due,
                overdue,
                overdue_working_days,
                next_due,
                overdue_kinds,
            }
        })
        .collect())
}

/// Deadlines across agencies, aggregated
///
/// For approvers and admins: per agency (all of them for an admin; an approver's own agency
/// and the organizations whose revisions it governs) the open revision's state, how many
/// items are due and overdue and by how many working days the worst is late — the figures
/// behind `GET /deadlines`, counted. `region` narrows the list.
#[utoipa::path(
    tag = "stats", operation_id = "getDeadlineStats",
    params(DeadlineStatsQuery),
    responses(
        (status = 200, description = "Deadlines per agency",
            content((DeadlineStats = "application/json", example = json!({
                "on": "2026-11-28", "agencies_total": 1, "agencies_overdue": 1, "items_due": 1, "items_overdue": 1,
                "agencies": {"items": [{"agency_id": "0b6f3c1e-2f4a-4c55-9a0e-6f1d2c3b4a59",
                    "agency": "Министерство строительства Республики Дагестан", "parent_id": null, "region": "Республика Дагестан",
                    "revision_id": "7c0a5e55-4d3b-4bd0-a1f2-9e8d7c6b5a43", "revision_status": "in_progress",
                    "due": 1, "overdue": 1, "overdue_working_days": 7, "next_due": "2026-12-04", "overdue_kinds": ["submit"]}],
                    "total": 1, "limit": 50, "offset": 0}})),
            (String = "text/csv")))
    )
)]
#[get("/stats/deadlines")]
pub async fn deadline_stats(
    db: web::Data<Db>,
    user: User,
    q: ApiQuery<DeadlineStatsQuery>,
) -> ApiResult<HttpResponse> {
    if !(user.is_admin() || user.has(Role::Approver)) {
        return Err(ApiError::client(
            ErrorCode::Forbidden,
            "deadline stats are for approvers and admins",
        ));
    }
    let paging = ListParams {
        limit: q.limit,
        offset: q.offset,
    }
    .paging()?;
    let on = match q.on {
        Some(d) => check_date("on", d)?,
        None => today(),
    };
    let region = q.region.clone();
    let scope = if user.is_admin() {
        None
    } else {
        user.agency_id
    };
    let mut rows = db
        .run(move |c| {
            use crate::schema::agencies;
            use diesel::prelude::*;
            let ids: Option<Vec<Uuid>> = match scope {
                Some(a) => {
                    let mut ids = vec![a];
                    ids.extend(crate::workflow::governance::governed_by(c, a)?);
                    Some(ids)
                }
                None => None,
            };
            let mut query = agencies::table
                .select((
                    agencies::id,
                    agencies::name,
                    agencies::parent_id,
                    agencies::region,
                    agencies::created_at,
                ))
                .into_boxed();
            if let Some(ids) = ids {
                query = query.filter(agencies::id.eq_any(ids));
            }
            if let Some(r) = region {
                query = query.filter(agencies::region.eq(r));
            }
            let list = query.order((agencies::name, agencies::id)).load(c)?;
            deadline_rows(c, list, on)
        })
        .await?;
    rows.sort_by(|a, b| {
        b.overdue_working_days
            .cmp(&a.overdue_working_days)
            .then(b.overdue.cmp(&a.overdue))
            .then(a.agency.cmp(&b.agency))
    });
    if q.format.unwrap_or_default() == StatsFormat::Csv {
        let mut out = String::from(CSV_BOM);
        out.push_str("agency_id;agency;parent_id;region;revision_id;revision_status;due;overdue;overdue_working_days;next_due;overdue_kinds\r\n");
        for r in &rows {
            let cells = [
                r.agency_id.to_string(),
                r.agency.clone(),
                r.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                r.region.clone(),
                r.revision_id.map(|p| p.to_string()).unwrap_or_default(),
                r.revision_status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                r.due.to_string(),
                r.overdue.to_string(),
                r.overdue_working_days.to_string(),
                r.next_due.map(|d| d.to_string()).unwrap_or_default(),
                r.overdue_kinds
                    .iter()
                    .map(|k| {
                        serde_json::to_value(k)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ];
            out.push_str(
                &cells
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(";"),
            );
            out.push_str("\r\n");
        }
        let mut b = HttpResponse::Ok();
        b.insert_header((header::CACHE_CONTROL, "private, no-cache"));
        return Ok(csv_response(b, out, &format!("deadlines-{on}")));
    }
    let stats = DeadlineStats {
        on,
        agencies_total: rows.len() as i64,
        agencies_overdue: rows.iter().filter(|r| r.overdue > 0).count() as i64,
        items_due: rows.iter().map(|r| r.due).sum(),
        items_overdue: rows.iter().map(|r| r.overdue).sum(),
        agencies: AgencyDeadlineStatsPage::new(
            rows.into_iter()
                .skip(paging.offset as usize)
                .take(paging.limit as usize)
                .collect(),
            0,
            paging,
        ),
    };
    let mut stats = stats;
    stats.agencies.total = stats.agencies_total;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(stats))
}
