//! The queries behind the figures: agencies with their current versions, a cheap fingerprint
//! of a region's current versions, and the contents of versions whose figures are not
//! computed yet. Figures of a version never change: they are computed once per process and
//! kept by the version's id (a random UUID, so one process serving several databases never
//! mixes them up).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::{Current, Figures};
use crate::error::{ApiError, ApiResult};
use crate::schema::register_versions;
use crate::workflow::snapshot::RegisterContent;

static FIGURES: LazyLock<Mutex<HashMap<Uuid, Arc<Figures>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cached(version_id: Uuid) -> Option<Arc<Figures>> {
    FIGURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&version_id)
        .cloned()
}

/// Remembers a version's figures (for the publish hook and the loaders).
pub fn remember(version_id: Uuid, figures: Figures) -> Arc<Figures> {
    let f = Arc::new(figures);
    FIGURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(version_id, Arc::clone(&f));
    f
}

#[derive(QueryableByName)]
struct CurrentRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    parent_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    region: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    version_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Integer>)]
    number: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    approved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    published_at: Option<DateTime<Utc>>,
}

const CURRENT: &str = "SELECT a.id, a.parent_id, a.name, a.region, v.id AS version_id, v.number, \
     v.approved_at, v.created_at AS published_at \
     FROM agencies a LEFT JOIN LATERAL (SELECT r.id, r.number, r.approved_at, r.created_at \
       FROM register_versions r WHERE r.agency_id = a.id ORDER BY r.number DESC LIMIT 1) v ON true";

fn to_current(r: CurrentRow) -> (String, Current) {
    (
        r.region,
        Current {
            agency_id: r.id,
            parent_id: r.parent_id,
            name: r.name,
            version_id: r.version_id,
            number: r.number,
            approved_at: r.approved_at,
            published_at: r.published_at,
        },
    )
}

/// The agencies of a region with their current versions (none published: `version_id` null).
pub fn region_currents(c: &mut PgConnection, region: &str) -> ApiResult<Vec<Current>> {
    Ok(diesel::sql_query(format!(
        "{CURRENT} WHERE a.region = $1 ORDER BY a.name, a.id"
    ))
    .bind::<Text, _>(region)
    .load::<CurrentRow>(c)?
    .into_iter()
    .map(|r| to_current(r).1)
    .collect())
}

/// Every agency with its region and current version.
pub fn all_currents(c: &mut PgConnection) -> ApiResult<Vec<(String, Current)>> {
    Ok(diesel::sql_query(CURRENT)
        .load::<CurrentRow>(c)?
        .into_iter()
        .map(to_current)
        .collect())
}

/// One agency with its current version; 404 for an unknown agency.
pub fn agency_current(c: &mut PgConnection, agency_id: Uuid) -> ApiResult<Current> {
    diesel::sql_query(format!("{CURRENT} WHERE a.id = $1"))
        .bind::<SqlUuid, _>(agency_id)
        .get_result::<CurrentRow>(c)
        .optional()?
        .map(|r| to_current(r).1)
        .ok_or_else(|| ApiError::not_found("agency", agency_id))
}

#[derive(QueryableByName)]
struct FingerprintRow {
    #[diesel(sql_type = BigInt)]
    agencies: i64,
    #[diesel(sql_type = Text)]
    digest: String,
}

/// A cheap fingerprint of what a region's stats depend on, in one query: its agencies (names,
/// parents) and their current versions, and the production calendar (ages count working
/// days). `None` for a region without agencies.
pub fn region_fingerprint(c: &mut PgConnection, region: &str) -> ApiResult<Option<String>> {
    let r = diesel::sql_query(
        "SELECT count(*) AS agencies, \
           md5(coalesce(string_agg(a.id::text || '/' || coalesce(a.parent_id::text, '') || '/' \
             || md5(a.name) || '/' || coalesce(v.id::text, ''), ',' ORDER BY a.id), '') \
             || (SELECT coalesce(max(updated_at)::text, '') || count(*) FROM calendar_days)) AS digest \
         FROM agencies a LEFT JOIN LATERAL (SELECT r.id FROM register_versions r \
           WHERE r.agency_id = a.id ORDER BY r.number DESC LIMIT 1) v ON true \
         WHERE a.region = $1",
    )
    .bind::<Text, _>(region)
    .get_result::<FingerprintRow>(c)?;
    Ok((r.agencies > 0).then_some(r.digest))
}

/// A cheaper stamp of the same, for when the caller knows the current versions otherwise (the
/// version cache's generation, moved on by every publication): the region's agencies (their
/// count and latest change — a new, renamed, re-parented or moved agency changes one of them)
/// and the calendar, from the agencies' region index. `None` for a region without agencies.
pub fn region_stamp(c: &mut PgConnection, region: &str) -> ApiResult<Option<String>> {
    let r = diesel::sql_query(
        "SELECT count(*) AS agencies, \
           coalesce(max(a.updated_at)::text, '') || '/' || count(*) || '/' \
             || (SELECT coalesce(max(updated_at)::text, '') || count(*) FROM calendar_days) AS digest \
         FROM agencies a WHERE a.region = $1",
    )
    .bind::<Text, _>(region)
    .get_result::<FingerprintRow>(c)?;
    Ok((r.agencies > 0).then_some(r.digest))
}

/// A stamp of the production calendar, for ETags of answers that count working days.
pub fn calendar_stamp(c: &mut PgConnection) -> ApiResult<String> {
    #[derive(QueryableByName)]
    struct Stamp {
        #[diesel(sql_type = Text)]
        stamp: String,
    }
    Ok(diesel::sql_query(
        "SELECT coalesce(max(updated_at)::text, '') || '/' || count(*) AS stamp FROM calendar_days",
    )
    .get_result::<Stamp>(c)?
    .stamp)
}

/// The figures of these versions, by version id: from memory, the rest computed from their
/// contents read in one query.
pub fn figures(c: &mut PgConnection, versions: &[Uuid]) -> ApiResult<HashMap<Uuid, Arc<Figures>>> {
    let mut out = HashMap::with_capacity(versions.len());
    let mut missing = Vec::new();
    for id in versions {
        match cached(*id) {
            Some(f) => {
                out.insert(*id, f);
            }
            None => missing.push(*id),
        }
    }
    // in slices, so a cold region of thousands of registers does not hold every content at once
    for chunk in missing.chunks(200) {
        let rows: Vec<(Uuid, serde_json::Value)> = register_versions::table
            .filter(register_versions::id.eq_any(chunk))
            .select((register_versions::id, register_versions::content))
            .load(c)?;
        for (id, value) in rows {
            let content: RegisterContent = serde_json::from_value(value)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("version {id} content: {e}")))?;
            out.insert(id, remember(id, Figures::of(&content)));
        }
    }
    Ok(out)
}
