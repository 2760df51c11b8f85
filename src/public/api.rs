use actix_web::get;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cache::PublicCache;
use super::render;
use crate::db::{Db, ReadDb};
use crate::domain::AgencyKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::AgencyPath;
use crate::http::path::PublicVersionPath;
use crate::schema::{agencies, register_versions};
use crate::workflow::snapshot::{self, RegisterContent, VersionDiff};

use super::serve::{current_number, negotiate, render_as, rendered, respond};
pub use super::serve::{Format, PublishedRegister, RegisterQuery, XlsxFile, XLSX_TYPE};

/// The working copy of an agency's register, for its editors
///
/// The processes and touchpoints as they are now (not yet published), in the official form:
/// `format=json|csv|xlsx|html` or `Accept`, with the same row filters as the published register.
#[utoipa::path(
    tag = "workflow", operation_id = "getWorkingCopy",
    params(AgencyPath, RegisterQuery),
    responses((status = 200, description = "The working copy", content((RegisterContent = "application/json"), (String = "text/csv"), (String = "text/html"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Object = "application/geo+json"), (Object = "application/ld+json"))))
)]
#[get("/agencies/{id}/register")]
pub async fn working_copy(
    req: HttpRequest,
    db: web::Data<Db>,
    user: crate::auth::User,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<RegisterQuery>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    // printed in the form profile in force now (a publication freezes it)
    let mut content = db
        .run(move |c| {
            let mut content = snapshot::build(c, agency_id)?;
            let profile = crate::forms::db::get(c, agency_id)?.profile;
            content.columns = profile.columns.clone();
            content.profile = Some(profile);
            Ok(content)
        })
        .await?;
    content.rows.retain(|row| q.keep(row));
    let mut b = HttpResponse::Ok();
    b.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    render_as(
        b,
        negotiate(&req, &q),
        &content,
        &render::Meta { version: None },
        &format!("perechen-{agency_id}-rabochaya-kopiya"),
    )
}

/// What else a register answer includes.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncludeQuery {
    /// `subordinates`: after the agency's own register, the current published registers of
    /// its subordinate organizations (all descendants, depth-first, siblings by name), one
    /// section each, filtered like the agency's rows. JSON adds `sections` and
    /// `without_register`; CSV numbers each body's rows from 1 (as in its own register) and
    /// prefixes column 2 with the body's (short) name; HTML adds a heading, «Версия N» and the SHA-256 per section; XLSX adds a
    /// sheet per section. Any other value is a 400 `invalid_parameter`.
    #[param(pattern = "^subordinates$", example = "subordinates")]
    pub include: Option<String>,
}

/// What `include=` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    Subordinates,
}

impl IncludeQuery {
    pub const VALUES: &'static [&'static str] = &["subordinates"];

    pub fn parse(&self) -> ApiResult<Option<Include>> {
        match self.include.as_deref() {
            None => Ok(None),
            Some("subordinates") => Ok(Some(Include::Subordinates)),
            Some(_) => Err(ApiError::field(
                ErrorCode::InvalidParameter,
                "include",
                "unknown_value",
                format!("must be one of {}", Self::VALUES.join(", ")),
            )),
        }
    }
}

/// The current published register of an agency
///
/// Served from memory; `Cache-Control: max-age=60`, `ETag` from the SHA-256, 304 on a matching
/// `If-None-Match`. Filters select rows; `format`/`Accept` select JSON, CSV, XLSX or HTML.
///
/// `include=subordinates` appends the current registers of the agency's subordinate
/// organizations as sections (JSON: `RegisterWithSections`); its `ETag` changes whenever any
/// section's version does, and `X-Content-SHA256` stays the agency's own.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getPublicRegister",
    params(AgencyPath, RegisterQuery, IncludeQuery),
    responses(
        (status = 200, description = "The register (with `include=subordinates`: followed by its subordinate organizations' registers)", headers(("ETag" = String, description = "One per representation: the gzip and brotli bodies have their own (`…-gzip`, `…-br`)"), ("Cache-Control" = String), ("X-Content-SHA256" = String, description = "SHA-256 of the version's canonical content (the agency's own, also with sections); the same whatever the coding"), ("Content-Encoding" = String, description = "`gzip` or `br` as `Accept-Encoding` asks (q-values honoured; the whole version is compressed once and kept); absent: the plain body"), ("Vary" = String, description = "`Accept, Accept-Encoding`")),
            content((super::sections::RegisterWithSections = "application/json"), (String = "text/csv"), (String = "text/html"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Object = "application/geo+json"), (Object = "application/ld+json"))),
        (status = 304, description = "Not modified since the ETag sent in If-None-Match")
    )
)]
#[get("/public/agencies/{id}/register")]
pub async fn current_register(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<RegisterQuery>,
    include: crate::http::ApiQuery<IncludeQuery>,
) -> ApiResult<HttpResponse> {
    let include = include.parse()?;
    let agency_id = id.into_inner().id;
    let n = current_number(&db, &cache, agency_id).await?;
    let r = rendered(&db, &cache, agency_id, n).await?;
    match include {
        None => respond(&req, &cache, r, &q, false).await,
        Some(Include::Subordinates) => {
            let assembled = super::sections::assemble(&db, &cache, r).await?;
            super::sections::respond(&req, &assembled, &q).await
        }
    }
}

/// A published version of an agency's register
///
/// Immutable: `Cache-Control: immutable`, a year's max-age.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getPublicRegisterVersion",
    params(PublicVersionPath, RegisterQuery),
    responses(
        (status = 200, description = "The version", headers(("ETag" = String, description = "One per representation: the gzip and brotli bodies have their own (`…-gzip`, `…-br`)"), ("Cache-Control" = String), ("X-Content-SHA256" = String, description = "SHA-256 of the version's canonical content, the same whatever the coding"), ("Content-Encoding" = String, description = "`gzip` or `br` as `Accept-Encoding` asks (compressed once and kept); absent: the plain body"), ("Vary" = String, description = "`Accept, Accept-Encoding`")),
            content((PublishedRegister = "application/json"), (String = "text/csv"), (String = "text/html"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Object = "application/geo+json"), (Object = "application/ld+json"))),
        (status = 304, description = "Not modified")
    )
)]
#[get("/public/agencies/{id}/register/versions/{n}")]
pub async fn version_register(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    path: web::Path<PublicVersionPath>,
    q: crate::http::ApiQuery<RegisterQuery>,
) -> ApiResult<HttpResponse> {
    let PublicVersionPath { id: agency_id, n } = path.into_inner();
    let r = rendered(&db, &cache, agency_id, n).await?;
    respond(&req, &cache, r, &q, true).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicVersion {
    pub number: i32,
    /// `current` or `archived`.
    pub status: String,
    pub sha256: String,
    pub published_at: DateTime<Utc>,
    /// URL of the version.
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicVersionList {
    pub items: Vec<PublicVersion>,
    pub total: i64,
}

/// Every published version of an agency's register
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "listPublicRegisterVersions",
    params(AgencyPath),
    responses((status = 200, description = "Versions, newest first", body = PublicVersionList))
)]
#[get("/public/agencies/{id}/register/versions")]
pub async fn list_versions(
    db: web::Data<ReadDb>,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<PublicVersionList>> {
    let agency_id = id.into_inner().id;
    let rows: Vec<(i32, String, DateTime<Utc>)> = db
        .run(move |c| {
            Ok(register_versions::table
                .filter(register_versions::agency_id.eq(agency_id))
                .order(register_versions::number.desc())
                .select((
                    register_versions::number,
                    register_versions::sha256,
                    register_versions::created_at,
                ))
                .load(c)?)
        })
        .await?;
    if rows.is_empty() {
        return Err(ApiError::client(
            ErrorCode::NotFound,
            format!("agency {agency_id} has no published register"),
        ));
    }
    let latest = rows[0].0;
    let items: Vec<PublicVersion> = rows
        .into_iter()
        .map(|(number, sha256, published_at)| PublicVersion {
            status: if number == latest {
                "current"
            } else {
                "archived"
            }
            .into(),
            url: format!("/api/v1/public/agencies/{agency_id}/register/versions/{number}"),
            number,
            sha256,
            published_at,
        })
        .collect();
    Ok(web::Json(PublicVersionList {
        total: items.len() as i64,
        items,
    }))
}

/// What changed between two published versions
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "diffPublicRegister",
    params(AgencyPath, crate::workflow::api::DiffQuery),
    responses((status = 200, description = "Rows added, removed and changed field by field", body = VersionDiff))
)]
#[get("/public/agencies/{id}/register/diff")]
pub async fn diff(
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<crate::workflow::api::DiffQuery>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    let a = rendered(&db, &cache, agency_id, q.from).await?;
    let b = rendered(&db, &cache, agency_id, q.to).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .json(snapshot::diff(q.from, &a.content, q.to, &b.content)))
}

/// A body with a published register.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAgency {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub short_name: Option<String>,
    pub region: String,
    pub kind: AgencyKind,
    pub website: Option<String>,
    pub current_version: i32,
    pub register_url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAgencyList {
    pub items: Vec<PublicAgency>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicAgencyQuery {
    pub region: Option<String>,
    pub kind: Option<AgencyKind>,
    /// Only the subordinate organizations of this agency.
    pub parent_id: Option<Uuid>,
}

/// Agencies and subordinate organizations with a published register
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "listPublicAgencies",
    params(crate::http::ListParams, PublicAgencyQuery),
    responses((status = 200, description = "A page of bodies with a published register", body = PublicAgencyList))
)]
#[get("/public/agencies")]
pub async fn list_agencies(
    db: web::Data<ReadDb>,
    page: crate::http::ApiQuery<crate::http::ListParams>,
    q: crate::http::ApiQuery<PublicAgencyQuery>,
) -> ApiResult<web::Json<PublicAgencyList>> {
    let paging = page.paging()?;
    let q = q.into_inner();
    type Row = (
        Uuid,
        Option<Uuid>,
        String,
        Option<String>,
        String,
        AgencyKind,
        Option<String>,
    );
    let (rows, versions, total) = db
        .run(move |c| {
            let published = register_versions::table.select(register_versions::agency_id);
            let filtered = || {
                let mut b = agencies::table
                    .filter(agencies::id.eq_any(published))
                    .into_boxed();
                if let Some(r) = &q.region {
                    b = b.filter(agencies::region.eq(r.clone()));
                }
                if let Some(k) = q.kind {
                    b = b.filter(agencies::kind.eq(k));
                }
                if let Some(p) = q.parent_id {
                    b = b.filter(agencies::parent_id.eq(p));
                }
                b
            };
            let total: i64 = filtered().count().get_result(c)?;
            let rows: Vec<Row> = filtered()
                .order((agencies::region, agencies::name, agencies::id))
                .limit(paging.limit)
                .offset(paging.offset)
                .select((
                    agencies::id,
                    agencies::parent_id,
                    agencies::name,
                    agencies::short_name,
                    agencies::region,
                    agencies::kind,
                    agencies::website,
                ))
                .load(c)?;
            let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
            let versions: Vec<(Uuid, Option<i32>)> = register_versions::table
                .filter(register_versions::agency_id.eq_any(&ids))
                .group_by(register_versions::agency_id)
                .select((
                    register_versions::agency_id,
                    diesel::dsl::max(register_versions::number),
                ))
                .load(c)?;
            Ok((rows, versions, total))
        })
        .await?;
    let versions: std::collections::HashMap<Uuid, i32> = versions
        .into_iter()
        .filter_map(|(a, n)| n.map(|n| (a, n)))
        .collect();
    let items = rows
        .into_iter()
        .map(
            |(id, parent_id, name, short_name, region, kind, website)| PublicAgency {
                current_version: versions.get(&id).copied().unwrap_or(0),
                register_url: format!("/api/v1/public/agencies/{id}/register"),
                id,
                parent_id,
                name,
                short_name,
                region,
                kind,
                website,
            },
        )
        .collect();
    Ok(web::Json(PublicAgencyList {
        items,
        total,
        limit: paging.limit,
        offset: paging.offset,
    }))
}

/// One publication in the change feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// Pass the last one seen as `since` to get what came after it.
    pub cursor: i64,
    pub agency_id: Uuid,
    pub agency_name: String,
    pub region: String,
    pub version: i32,
    pub sha256: String,
    pub published_at: DateTime<Utc>,
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<Change>,
    /// The cursor to send next time (the last item's, or the one sent when nothing is new).
    pub next: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// A cursor from an earlier answer (a number), or an RFC 3339 timestamp; omitted: from the start.
    #[param(
        example = "42",
        pattern = "^([0-9]{1,18}|(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z)$"
    )]
    pub since: Option<String>,
    /// Region filter.
    pub region: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

/// Publications since a cursor or a time
///
/// For integrators who sync: poll with the last `next` and download only what changed.
/// Publications commit in cursor order, so a poller never skips one.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "listPublicChanges",
    params(ChangesQuery),
    responses((status = 200, description = "Publications in order", body = ChangeFeed))
)]
#[get("/public/changes")]
pub async fn changes(
    db: web::Data<ReadDb>,
    q: crate::http::ApiQuery<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            ErrorCode::InvalidParameter,
            "limit",
            "out_of_range",
            "must be between 1 and 1000",
        ));
    }
    enum Since {
        Cursor(i64),
        Time(DateTime<Utc>),
    }
    let since = match q.since.as_deref() {
        None => Since::Cursor(0),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Since::Cursor(n),
            _ => Since::Time(s.parse::<DateTime<Utc>>().map_err(|_| {
                ApiError::field(
                    ErrorCode::InvalidParameter,
                    "since",
                    "invalid",
                    "a cursor (a number) or an RFC 3339 timestamp",
                )
            })?),
        },
    };
    let sent = match since {
        Since::Cursor(n) => n,
        Since::Time(_) => 0,
    };
    type Row = (i64, Uuid, String, String, i32, String, DateTime<Utc>);
    let rows: Vec<Row> = db
        .run(move |c| {
            let mut b = register_versions::table
                .inner_join(agencies::table)
                .into_boxed();
            b = match since {
                Since::Cursor(n) => b.filter(register_versions::seq.gt(n)),
                Since::Time(t) => b.filter(register_versions::created_at.gt(t)),
            };
            if let Some(r) = q.region.clone() {
                b = b.filter(agencies::region.eq(r));
            }
            Ok(b.order(register_versions::seq)
                .limit(limit)
                .select((
                    register_versions::seq,
                    agencies::id,
                    agencies::name,
                    agencies::region,
                    register_versions::number,
                    register_versions::sha256,
                    register_versions::created_at,
                ))
                .load(c)?)
        })
        .await?;
    let next = rows.last().map(|r| r.0).unwrap_or(sent);
    let items = rows
        .into_iter()
        .map(
            |(cursor, agency_id, agency_name, region, version, sha256, published_at)| Change {
                url: format!("/api/v1/public/agencies/{agency_id}/register/versions/{version}"),
                cursor,
                agency_id,
                agency_name,
                region,
                version,
                sha256,
                published_at,
            },
        )
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(ChangeFeed { items, next }))
}

/// The current published content of an agency (for the rule checker).
pub async fn current_content(
    db: &ReadDb,
    cache: &PublicCache,
    agency_id: Uuid,
) -> ApiResult<RegisterContent> {
    let n = current_number(db, cache, agency_id).await?;
    Ok(rendered(db, cache, agency_id, n).await?.content.clone())
}
