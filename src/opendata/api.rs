//! HTTP handlers of the open-data sets: the settings (with a token) and the files (public).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use uuid::Uuid;

use super::db::{self, VersionRow};
use super::model::{Checked, OpenDataSettings, RegionOpenDataSettings};
use super::{Passport, Section, SetVersion};
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::{Db, ReadDb};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::{AgencyPath, RegionPath};
use crate::http::ApiJson;
use crate::public::cache::PublicCache;

/// `{id}/structure-{structure}.csv` of an agency's set.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgencyStructurePath {
    /// Agency id
    pub id: Uuid,
    /// The structure's stamp, `YYYYMMDDTHHMM` (as the passport names it)
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub structure: String,
}

/// `{id}/data-{data}-structure-{structure}.csv` of an agency's set.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgencyDataPath {
    /// Agency id
    pub id: Uuid,
    /// The version's stamp, `YYYYMMDDTHHMM` (its publication's minute, UTC)
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub data: String,
    /// The structure's stamp
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub structure: String,
}

/// `{region}/structure-{structure}.csv` of a region's set.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RegionStructurePath {
    /// Region, as the agencies name it
    #[param(example = "Республика Дагестан")]
    pub region: String,
    /// The structure's stamp, `YYYYMMDDTHHMM`
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub structure: String,
}

/// `{region}/data-{data}-structure-{structure}.csv` of a region's set.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RegionDataPath {
    /// Region, as the agencies name it
    #[param(example = "Республика Дагестан")]
    pub region: String,
    /// The consolidated version's stamp, `YYYYMMDDTHHMM`
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub data: String,
    /// The structure's stamp
    #[param(pattern = "^[0-9]{8}T[0-9]{4}$", example = "20261129T0300")]
    pub structure: String,
}

// ------------------------------------------------------------------ settings

/// An agency's open-data settings
///
/// What the passport of its open-data set needs besides the register: the body's INN and the
/// set's code (the identifier `<inn>-<code>`), title and description (null: derived from the
/// agency's name), keywords, update periodicity, licence and the responsible official. Read
/// by the agency's staff (and the approvers and publishers of the agency governing it); 404
/// while none are set (the agency has no open-data set then).
#[utoipa::path(
    tag = "opendata", operation_id = "getOpenDataSettings",
    params(AgencyPath),
    responses((status = 200, description = "The settings", body = OpenDataSettings))
)]
#[get("/agencies/{id}/open-data")]
pub async fn get_agency_settings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<OpenDataSettings>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let s = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            db::get_agency(c, agency_id)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("open-data settings of agency", agency_id))?;
    Ok(web::Json(s.agency_settings()))
}

/// Set an agency's open-data settings
///
/// By an admin or a publisher of the agency (of its governing agency, when that approves its
/// subordinates), as publishing is. `inn` is 10 digits (the control digit is not checked);
/// `code` defaults to `touchpoints`; `keywords` to a default list; `periodicity` to
/// `annually`; `license.url` is an `http(s)://` address; `publisher.phone` a Russian number,
/// stored in E.164. The files of the set appear (under `/api/v1/public/opendata/agencies/{id}/`)
/// once the agency has also published its register.
#[utoipa::path(
    tag = "opendata", operation_id = "putOpenDataSettings",
    params(AgencyPath),
    request_body = OpenDataSettings,
    responses((status = 200, description = "The settings as stored", body = OpenDataSettings))
)]
#[put("/agencies/{id}/open-data")]
pub async fn put_agency_settings(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<OpenDataSettings>,
) -> ApiResult<web::Json<OpenDataSettings>> {
    let agency_id = id.into_inner().id;
    let checked = body.0.validate()?;
    let by = user.sub.clone();
    let stored = db
        .transaction(move |c| {
            agency_db::get(c, agency_id)?;
            crate::workflow::governance::require_role(c, &user, Role::Publisher, agency_id)?;
            db::put_agency(c, agency_id, &checked, &by)?;
            Ok(checked)
        })
        .await?;
    Ok(web::Json(stored.agency_settings()))
}

/// A region's open-data settings
///
/// Admin only. The consolidated set's creator (the regional body publishing it), its INN and
/// code (identifier `<inn>-<code>`), and the rest as an agency's. 404 while none are set, or
/// when no agency is in the region.
#[utoipa::path(
    tag = "opendata", operation_id = "getRegionOpenDataSettings",
    params(RegionPath),
    responses((status = 200, description = "The settings", body = RegionOpenDataSettings))
)]
#[get("/regions/{region}/open-data")]
pub async fn get_region_settings(
    db: web::Data<Db>,
    user: User,
    region: web::Path<RegionPath>,
) -> ApiResult<web::Json<RegionOpenDataSettings>> {
    user.require_admin()?;
    let region = region.into_inner().region;
    let name = region.clone();
    let s = db
        .run(move |c| {
            db::require_region(c, &region)?;
            db::get_region(c, &region)
        })
        .await?
        .ok_or_else(|| {
            ApiError::client(
                ErrorCode::NotFound,
                format!("region {name:?} has no open-data settings"),
            )
        })?;
    Ok(web::Json(s.region_settings()))
}

/// Set a region's open-data settings
///
/// Admin only. The region is one some agency names (404 otherwise); `creator` is required,
/// `code` defaults to `touchpoints-region`, the rest as for an agency.
#[utoipa::path(
    tag = "opendata", operation_id = "putRegionOpenDataSettings",
    params(RegionPath),
    request_body = RegionOpenDataSettings,
    responses((status = 200, description = "The settings as stored", body = RegionOpenDataSettings))
)]
#[put("/regions/{region}/open-data")]
pub async fn put_region_settings(
    db: web::Data<Db>,
    user: User,
    region: web::Path<RegionPath>,
    body: ApiJson<RegionOpenDataSettings>,
) -> ApiResult<web::Json<RegionOpenDataSettings>> {
    user.require_admin()?;
    let checked = body.0.validate()?;
    let region = region.into_inner().region;
    let by = user.sub.clone();
    let stored = db
        .transaction(move |c| {
            db::require_region(c, &region)?;
            db::put_region(c, &region, &checked, &by)?;
            Ok(checked)
        })
        .await?;
    Ok(web::Json(stored.region_settings()))
}

// ------------------------------------------------------------------ public files

/// Where the public files are: `scheme://host` of the request, as actix reads it (`Forwarded`,
/// then `X-Forwarded-Proto`/`X-Forwarded-Host`, then the connection and `Host`). Every answer
/// names those headers in `Vary`, so a shared cache never serves one caller's addresses to
/// another.
fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn agency_base(req: &HttpRequest, agency_id: Uuid) -> String {
    format!(
        "{}/api/v1/public/opendata/agencies/{agency_id}/",
        origin(req)
    )
}

fn region_base(req: &HttpRequest, region: &str) -> String {
    format!(
        "{}/api/v1/public/opendata/regions/{}/",
        origin(req),
        encode_segment(region)
    )
}

const SHORT: &str = "public, max-age=60";
/// The addresses in a passport or registry depend on these (see [`origin`]).
const VARY: &str = "Accept-Encoding, Forwarded, X-Forwarded-Host, X-Forwarded-Proto";
const LONG: &str = "public, max-age=86400";

/// A 200 (or a bodiless 304 for a matching `If-None-Match`) with an ETag from the body's hash.
fn answer(
    req: &HttpRequest,
    content_type: &str,
    cache_control: &str,
    body: String,
) -> HttpResponse {
    let etag = format!(
        "\"od-{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    );
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag.as_str()))
        });
    let mut b = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        .insert_header((header::VARY, VARY));
    if matches {
        b.finish()
    } else {
        b.content_type(content_type.to_owned()).body(body)
    }
}

const CSV: &str = "text/csv; charset=utf-8";

fn csv_file(req: &HttpRequest, cache_control: &str, name: &str, body: String) -> HttpResponse {
    let mut r = answer(req, CSV, cache_control, body);
    if let Ok(v) = header::HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn no_set(what: String) -> ApiError {
    ApiError::client(ErrorCode::NotFound, what)
}

/// An agency's set as it stands: settings, name, versions (oldest first). 404 without
/// settings or without a publication.
struct AgencySet {
    settings: Checked,
    name: String,
    versions: Vec<VersionRow>,
}

async fn agency_set(db: &ReadDb, agency_id: Uuid) -> ApiResult<AgencySet> {
    let (settings, name, versions) = db
        .run(move |c| {
            let Some(name) = db::agency_name(c, agency_id)? else {
                return Err(ApiError::not_found("agency", agency_id));
            };
            Ok((
                db::get_agency(c, agency_id)?,
                name,
                db::agency_versions(c, agency_id)?,
            ))
        })
        .await?;
    let Some(settings) = settings else {
        return Err(no_set(format!(
            "agency {agency_id} publishes no open data: its open-data settings are not set"
        )));
    };
    if versions.is_empty() {
        return Err(no_set(format!(
            "agency {agency_id} has no published register"
        )));
    }
    Ok(AgencySet {
        settings,
        name,
        versions,
    })
}

fn version_provenance(v: &VersionRow) -> String {
    format!("Версия {} перечня, SHA-256 {}", v.number, v.sha256)
}

fn agency_passport(req: &HttpRequest, agency_id: Uuid, set: &AgencySet) -> Passport {
    let versions: Vec<SetVersion> = set
        .versions
        .iter()
        .map(|v| SetVersion {
            published_at: v.published_at,
            provenance: version_provenance(v),
        })
        .collect();
    super::passport(
        &set.settings,
        super::agency_title(&set.name),
        super::agency_description(&set.name),
        set.name.clone(),
        &versions,
        &agency_base(req, agency_id),
    )
}

/// A region's set: settings and every publication in the region, in order. 404 without
/// settings or without a publication.
struct RegionSet {
    settings: Checked,
    versions: Vec<VersionRow>,
}

async fn region_set(db: &ReadDb, region: &str) -> ApiResult<RegionSet> {
    let r = region.to_owned();
    let (settings, versions) = db
        .run(move |c| Ok((db::get_region(c, &r)?, db::region_versions(c, &r)?)))
        .await?;
    let Some(settings) = settings else {
        return Err(no_set(format!(
            "region {region:?} publishes no open data: its open-data settings are not set"
        )));
    };
    if versions.is_empty() {
        return Err(no_set(format!(
            "region {region:?} has no published register"
        )));
    }
    Ok(RegionSet { settings, versions })
}

fn region_provenance(v: &VersionRow) -> String {
    format!(
        "Опубликована версия {} перечня: {} (SHA-256 {})",
        v.number, v.agency_name, v.sha256
    )
}

fn region_passport(req: &HttpRequest, region: &str, set: &RegionSet) -> Passport {
    let versions: Vec<SetVersion> = set
        .versions
        .iter()
        .map(|v| SetVersion {
            published_at: v.published_at,
            provenance: region_provenance(v),
        })
        .collect();
    super::passport(
        &set.settings,
        super::region_title(region),
        super::region_description(region),
        set.settings.creator.clone().unwrap_or_default(),
        &versions,
        &region_base(req, region),
    )
}

/// The index of the version a data file names, if the name is one of the set's.
fn find_version(p: &Passport, data: &str, structure: &str) -> Option<usize> {
    let i = p
        .data
        .iter()
        .position(|d| d.created == data && d.structure == structure)?;
    // the passport lists newest first; versions are oldest first
    Some(p.data.len() - 1 - i)
}

fn bad_stamp(what: &str) -> ApiError {
    no_set(format!("no file of this set has the stamp {what:?}"))
}

fn check_stamps(stamps: &[&str]) -> ApiResult<()> {
    for s in stamps {
        if super::parse_stamp(s).is_none() {
            return Err(bad_stamp(s));
        }
    }
    Ok(())
}

/// The registry of open-data sets
///
/// `list.csv` as the recommendations lay it out: `property,title,value,format`, the
/// `standardversion` row, then one row per set — its identifier, title, the address of its
/// `meta.csv` and `csv`. Lists every agency that has both open-data settings and a published
/// register, then every region with settings and a publication. UTF-8, comma-separated.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataList",
    responses((status = 200, description = "The registry", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/list.csv")]
pub async fn list(req: HttpRequest, db: web::Data<ReadDb>) -> ApiResult<HttpResponse> {
    let (agencies, regions) = db
        .run(|c| Ok((db::published_agencies(c)?, db::published_regions(c)?)))
        .await?;
    let mut entries = Vec::new();
    for (id, name, s) in agencies {
        entries.push(super::ListEntry {
            identifier: s.identifier(),
            title: s
                .title
                .clone()
                .unwrap_or_else(|| super::agency_title(&name)),
            meta: format!("{}meta.csv", agency_base(&req, id)),
        });
    }
    for (region, s) in regions {
        entries.push(super::ListEntry {
            identifier: s.identifier(),
            title: s
                .title
                .clone()
                .unwrap_or_else(|| super::region_title(&region)),
            meta: format!("{}meta.csv", region_base(&req, &region)),
        });
    }
    Ok(csv_file(&req, SHORT, "list.csv", super::list_csv(&entries)))
}

/// The passport of an agency's open-data set
///
/// `meta.csv`: `property,value` rows — `standardversion`, `identifier` (`<INN>-<code>`),
/// `title`, `description`, `creator`, `created` (first publication, `YYYYMMDD`), `modified`
/// (latest), `subject`, `format`, `provenance`, `valid`, `publishername`, `publisherphone`,
/// `publishermbox`, `license`, then a `data-<stamp>-structure-<stamp>` row per published
/// version, newest first, and the `structure-<stamp>` row, each with the file's address.
/// 404 when the agency has no open-data settings or no published register.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataAgencyMeta",
    params(AgencyPath),
    responses((status = 200, description = "The passport", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/agencies/{id}/meta.csv")]
pub async fn agency_meta_csv(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    id: web::Path<AgencyPath>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let set = agency_set(&db, agency_id).await?;
    let p = agency_passport(&req, agency_id, &set);
    Ok(csv_file(&req, SHORT, "meta.csv", super::meta_csv(&p)))
}

/// The passport of an agency's open-data set, as JSON
///
/// The same passport as `meta.csv`: the publisher and the licence as objects, `data` and
/// `structure` as lists of files (newest first).
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataAgencyMetaJson",
    params(AgencyPath),
    responses((status = 200, description = "The passport", body = Passport, headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/agencies/{id}/meta.json")]
pub async fn agency_meta_json(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    id: web::Path<AgencyPath>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let set = agency_set(&db, agency_id).await?;
    let p = agency_passport(&req, agency_id, &set);
    let body = serde_json::to_string(&p).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(answer(&req, "application/json", SHORT, body))
}

/// The structure of an agency's data files
///
/// `structure-<stamp>.csv`: `field name,english description,russian description,format`, a
/// row per column of the data files. The stamp is the one the passport names (the set's first
/// publication); any other is a 404.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataAgencyStructure",
    params(AgencyStructurePath),
    responses((status = 200, description = "The structure", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/agencies/{id}/structure-{structure}.csv")]
pub async fn agency_structure(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    path: web::Path<AgencyStructurePath>,
) -> ApiResult<HttpResponse> {
    let AgencyStructurePath { id, structure } = path.into_inner();
    check_stamps(&[&structure])?;
    let set = agency_set(&db, id).await?;
    let p = agency_passport(&req, id, &set);
    if !p.structure.iter().any(|s| s.created == structure) {
        return Err(bad_stamp(&structure));
    }
    Ok(csv_file(
        &req,
        LONG,
        &format!("structure-{structure}.csv"),
        super::structure_csv(),
    ))
}

/// One published version of an agency's register as open data
///
/// `data-<stamp>-structure-<stamp>.csv`, as the passport names it: a row per row of that
/// version of the register (a touchpoint, or a process without one), the columns the
/// structure file describes. UTF-8, comma-separated, RFC 4180 quoting; a cell a spreadsheet
/// would run as a formula starts with `'`. 404 for a name the passport does not list.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataAgencyData",
    params(AgencyDataPath),
    responses((status = 200, description = "The version's data", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/agencies/{id}/data-{data}-structure-{structure}.csv")]
pub async fn agency_data(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    path: web::Path<AgencyDataPath>,
) -> ApiResult<HttpResponse> {
    let AgencyDataPath {
        id,
        data,
        structure,
    } = path.into_inner();
    check_stamps(&[&data, &structure])?;
    let set = agency_set(&db, id).await?;
    let p = agency_passport(&req, id, &set);
    let Some(i) = find_version(&p, &data, &structure) else {
        return Err(bad_stamp(&format!("{data}/{structure}")));
    };
    let v = &set.versions[i];
    let r = crate::public::serve::rendered(&db, &cache, id, v.number).await?;
    let marks = r.content.profile.clone().unwrap_or_default().marks;
    let body = super::data_csv(&[Section {
        agency_id: id,
        agency: &r.content.agency.name,
        version: v.number,
        rows: &r.content.rows,
        marks,
    }]);
    Ok(csv_file(
        &req,
        LONG,
        &format!("data-{data}-structure-{structure}.csv"),
        body,
    ))
}

/// The passport of a region's consolidated open-data set
///
/// As an agency's `meta.csv`; `creator` is the regional body of the region's settings, and
/// each data file is the consolidated register after one publication in the region (every
/// body's version current then). 404 when the region has no open-data settings or no
/// publication.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataRegionMeta",
    params(RegionPath),
    responses((status = 200, description = "The passport", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/regions/{region}/meta.csv")]
pub async fn region_meta_csv(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    region: web::Path<RegionPath>,
) -> ApiResult<HttpResponse> {
    let region = region.into_inner().region;
    let set = region_set(&db, &region).await?;
    let p = region_passport(&req, &region, &set);
    Ok(csv_file(&req, SHORT, "meta.csv", super::meta_csv(&p)))
}

/// The passport of a region's consolidated open-data set, as JSON
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataRegionMetaJson",
    params(RegionPath),
    responses((status = 200, description = "The passport", body = Passport, headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/regions/{region}/meta.json")]
pub async fn region_meta_json(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    region: web::Path<RegionPath>,
) -> ApiResult<HttpResponse> {
    let region = region.into_inner().region;
    let set = region_set(&db, &region).await?;
    let p = region_passport(&req, &region, &set);
    let body = serde_json::to_string(&p).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(answer(&req, "application/json", SHORT, body))
}

/// The structure of a region's data files
///
/// The same columns as an agency's data files.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataRegionStructure",
    params(RegionStructurePath),
    responses((status = 200, description = "The structure", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/regions/{region}/structure-{structure}.csv")]
pub async fn region_structure(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    path: web::Path<RegionStructurePath>,
) -> ApiResult<HttpResponse> {
    let RegionStructurePath { region, structure } = path.into_inner();
    check_stamps(&[&structure])?;
    let set = region_set(&db, &region).await?;
    let p = region_passport(&req, &region, &set);
    if !p.structure.iter().any(|s| s.created == structure) {
        return Err(bad_stamp(&structure));
    }
    Ok(csv_file(
        &req,
        LONG,
        &format!("structure-{structure}.csv"),
        super::structure_csv(),
    ))
}

/// The consolidated register of a region after one publication, as open data
///
/// Every body's version current right after that publication (bodies by name), in the
/// columns the structure file describes.
#[utoipa::path(
    security(()),
    tag = "opendata", operation_id = "getOpenDataRegionData",
    params(RegionDataPath),
    responses((status = 200, description = "The consolidated data", content((String = "text/csv")), headers(("ETag" = String), ("Cache-Control" = String))), (status = 304, description = "Not modified"))
)]
#[get("/public/opendata/regions/{region}/data-{data}-structure-{structure}.csv")]
pub async fn region_data(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    path: web::Path<RegionDataPath>,
) -> ApiResult<HttpResponse> {
    let RegionDataPath {
        region,
        data,
        structure,
    } = path.into_inner();
    check_stamps(&[&data, &structure])?;
    let set = region_set(&db, &region).await?;
    let p = region_passport(&req, &region, &set);
    let Some(i) = find_version(&p, &data, &structure) else {
        return Err(bad_stamp(&format!("{data}/{structure}")));
    };
    // each body's latest version among the publications up to this one
    let mut current: HashMap<Uuid, &VersionRow> = HashMap::new();
    for v in &set.versions[..=i] {
        current.insert(v.agency_id, v);
    }
    let mut keys: Vec<&VersionRow> = current.into_values().collect();
    keys.sort_by(|a, b| {
        a.agency_name
            .cmp(&b.agency_name)
            .then(a.agency_id.cmp(&b.agency_id))
    });
    let wanted: Vec<(Uuid, i32)> = keys.iter().map(|v| (v.agency_id, v.number)).collect();
    let rendered = crate::public::serve::rendered_many(&db, &cache, &wanted).await?;
    let sections: Vec<Section<'_>> = rendered
        .iter()
        .map(|r| Section {
            agency_id: r.agency_id,
            agency: &r.content.agency.name,
            version: r.number,
            rows: &r.content.rows,
            marks: r.content.profile.clone().unwrap_or_default().marks,
        })
        .collect();
    Ok(csv_file(
        &req,
        LONG,
        &format!("data-{data}-structure-{structure}.csv"),
        super::data_csv(&sections),
    ))
}
