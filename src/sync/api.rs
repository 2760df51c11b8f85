use std::collections::HashMap;
use std::sync::Arc;

use actix_web::get;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::db as sync_db;
use crate::db::ReadDb;
use crate::domain::register::{RegisterRow, TouchpointChange};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::public::cache::PublicCache;
use crate::public::serve::{current_number, rendered};

/// What one publication did to one touchpoint.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "cursor": 1042,
    "touchpoint_id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11",
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "version": 3,
    "change": "removed",
    "published_at": "2026-11-29T10:00:00Z",
    "url": "/api/v1/public/agencies/0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10/register"
}))]
pub struct TouchpointChangeItem {
    /// Pass the last one seen (or the answer's `next`) as `since` to get what came after it.
    pub cursor: i64,
    /// The touchpoint's id: the same in every version while it is the same touchpoint.
    pub touchpoint_id: Uuid,
    pub agency_id: Uuid,
    /// The agency's version that added, changed or removed it.
    pub version: i32,
    /// `removed` is a tombstone: the touchpoint is in no later version of the agency.
    pub change: TouchpointChange,
    pub published_at: DateTime<Utc>,
    /// The agency's current register.
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TouchpointChangeFeed {
    pub items: Vec<TouchpointChangeItem>,
    /// The cursor to send next time (the last item's, or the one sent when nothing is new).
    pub next: i64,
}

/// The largest cursor `since` takes (the spec's `maximum`).
pub const MAX_CURSOR: i64 = 1_000_000_000_000_000_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TouchpointChangesQuery {
    /// A cursor from an earlier answer (`next`); omitted or 0: from the first publication.
    #[param(minimum = 0, maximum = 1000000000000000000_i64, example = 0)]
    pub since: Option<i64>,
    /// Only this agency's touchpoints.
    pub agency_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

/// Touchpoints added, changed and removed since a cursor
///
/// Across all agencies, in the order the publications committed (a poller that keeps `next`
/// never skips one): each publication compared with the agency's previous version,
/// touchpoint by touchpoint. `changed` means anything of its row differs (its columns,
/// contacts, needs, marks, its process's or direction's wording, external ids; a new row
/// number alone is no change); `removed` is a tombstone with the id and the version that
/// removed it. Fetch the current state of added and changed ones with `/public/touchpoints?ids=`.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "listPublicTouchpointChanges",
    params(TouchpointChangesQuery),
    responses((status = 200, description = "Changes in commit order", body = TouchpointChangeFeed))
)]
#[get("/public/changes/touchpoints")]
pub async fn touchpoint_changes(
    db: web::Data<ReadDb>,
    q: crate::http::ApiQuery<TouchpointChangesQuery>,
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
    let since = q.since.unwrap_or(0);
    if !(0..=MAX_CURSOR).contains(&since) {
        return Err(ApiError::field(
            ErrorCode::InvalidParameter,
            "since",
            "out_of_range",
            "a cursor is between 0 and 10^18",
        ));
    }
    let agency = q.agency_id;
    let rows = db
        .run(move |c| sync_db::feed(c, since, agency, limit))
        .await?;
    let next = rows.last().map(|r| r.cursor).unwrap_or(since);
    let items = rows
        .into_iter()
        .map(|r| TouchpointChangeItem {
            url: format!("/api/v1/public/agencies/{}/register", r.agency_id),
            cursor: r.cursor,
            touchpoint_id: r.touchpoint_id,
            agency_id: r.agency_id,
            version: r.version,
            change: match r.change.as_str() {
                "added" => TouchpointChange::Added,
                "removed" => TouchpointChange::Removed,
                _ => TouchpointChange::Changed,
            },
            published_at: r.published_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(TouchpointChangeFeed { items, next }))
}

/// At most this many ids per request.
pub const MAX_IDS: usize = 100;

/// A touchpoint as the agency's current version publishes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicTouchpoint {
    pub id: Uuid,
    pub agency_id: Uuid,
    /// The agency's current version, which this is read from.
    pub version: i32,
    /// The agency's current register.
    pub url: String,
    /// Its row of the register: the touchpoint (`row.touchpoint`) with its process, direction
    /// and unit.
    pub row: RegisterRow,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicTouchpointList {
    /// The touchpoints found, in the order asked (each once).
    pub items: Vec<PublicTouchpoint>,
    /// The ids asked for that no current version has: never published, or removed (the
    /// change feed has their tombstone).
    pub missing: Vec<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TouchpointIdsQuery {
    /// Touchpoint ids, repeated (`ids=a&ids=b`) or comma-separated (`ids=a,b`); 1 to 100.
    #[param(min_items = 1, max_items = 100, style = Form, explode)]
    pub ids: Vec<Uuid>,
}

/// Reads every `ids` parameter of a query string, each split at commas, once each in order.
pub fn parse_ids(query: &str) -> ApiResult<Vec<Uuid>> {
    let bad = |m: String| ApiError::field(ErrorCode::InvalidParameter, "ids", "invalid", m);
    let mut out: Vec<Uuid> = Vec::new();
    let mut given = 0;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "ids" {
            continue;
        }
        for part in v.split(',').map(str::trim) {
            let id: Uuid = part
                .parse()
                .map_err(|_| bad(format!("{part:?} is not a touchpoint id (a UUID)")))?;
            given += 1;
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    if out.is_empty() {
        return Err(bad("give 1 to 100 touchpoint ids".into()));
    }
    // counted as sent, repeats included: the spec's maxItems counts the array's items
    if given > MAX_IDS {
        return Err(bad(format!("at most {MAX_IDS} ids per request")));
    }
    Ok(out)
}

/// Touchpoints by id, from the agencies' current versions
///
/// Up to 100 ids (repeated or comma-separated), across agencies: each touchpoint as its
/// agency's current version publishes it, with its row (process, direction, unit). Ids that no
/// current version has (removed, never published, unknown) are listed under `missing`; a
/// malformed id is a 400 `invalid_parameter`.
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getPublicTouchpoints",
    params(TouchpointIdsQuery),
    responses((status = 200, description = "The touchpoints found and the ids missing", body = PublicTouchpointList))
)]
#[get("/public/touchpoints")]
pub async fn touchpoints_by_id(
    req: HttpRequest,
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
) -> ApiResult<HttpResponse> {
    let ids = parse_ids(req.query_string())?;
    let wanted = ids.clone();
    let latest = db.run(move |c| sync_db::latest(c, &wanted)).await?;
    let mut agencies: Vec<Uuid> = Vec::new();
    for (_, agency, _, change) in &latest {
        if *change != TouchpointChange::Removed && !agencies.contains(agency) {
            agencies.push(*agency);
        }
    }
    let mut found: HashMap<Uuid, PublicTouchpoint> = HashMap::new();
    for agency_id in agencies {
        let n = current_number(&db, &cache, agency_id).await?;
        let r = rendered(&db, &cache, agency_id, n).await?;
        for row in &r.content.rows {
            let Some(t) = &row.touchpoint else { continue };
            if ids.contains(&t.id) {
                found.insert(
                    t.id,
                    PublicTouchpoint {
                        id: t.id,
                        agency_id,
                        version: n,
                        url: format!("/api/v1/public/agencies/{agency_id}/register"),
                        row: row.clone(),
                    },
                );
            }
        }
    }
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match found.remove(&id) {
            Some(t) => items.push(t),
            None => missing.push(id),
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(PublicTouchpointList { items, missing }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_repeated_or_comma_separated_once_each() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            parse_ids(&format!("ids={a},{b}&ids={a}&other=1")).unwrap(),
            vec![a, b]
        );
        assert_eq!(parse_ids(&format!("ids={b}%2C{a}")).unwrap(), vec![b, a]);
        assert!(parse_ids("ids=nope").is_err());
        assert!(parse_ids("").is_err());
        let many: Vec<String> = (0..101).map(|_| Uuid::new_v4().to_string()).collect();
        assert!(parse_ids(&format!("ids={}", many.join(","))).is_err());
        // 101 items are too many even when they repeat one id
        assert!(parse_ids(&format!("ids={}", vec![a.to_string(); 101].join(","))).is_err());
        assert_eq!(
            parse_ids(&format!("ids={}", vec![a.to_string(); 100].join(","))).unwrap(),
            vec![a]
        );
    }
}
