//! Open-data settings and the published versions a set is made of, in the database.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::model::Checked;
use crate::error::{ApiError, ApiResult};
use crate::schema::{
    agencies, agency_open_data as aod, region_open_data as rod, register_versions,
};

fn decode(what: &str, v: serde_json::Value) -> ApiResult<Checked> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("open-data settings of {what}: {e}")))
}

pub fn get_agency(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Option<Checked>> {
    let v: Option<serde_json::Value> = aod::table
        .find(agency_id)
        .select(aod::settings)
        .first(conn)
        .optional()?;
    v.map(|v| decode(&format!("agency {agency_id}"), v))
        .transpose()
}

pub fn put_agency(
    conn: &mut PgConnection,
    agency_id: Uuid,
    s: &Checked,
    by: &str,
) -> ApiResult<()> {
    let value = serde_json::to_value(s).map_err(|e| ApiError::Internal(e.into()))?;
    diesel::insert_into(aod::table)
        .values((
            aod::agency_id.eq(agency_id),
            aod::settings.eq(&value),
            aod::updated_by.eq(by),
        ))
        .on_conflict(aod::agency_id)
        .do_update()
        .set((aod::settings.eq(&value), aod::updated_by.eq(by)))
        .execute(conn)?;
    Ok(())
}

pub fn get_region(conn: &mut PgConnection, region: &str) -> ApiResult<Option<Checked>> {
    let v: Option<serde_json::Value> = rod::table
        .find(region)
        .select(rod::settings)
        .first(conn)
        .optional()?;
    v.map(|v| decode(&format!("region {region:?}"), v))
        .transpose()
}

pub fn put_region(conn: &mut PgConnection, region: &str, s: &Checked, by: &str) -> ApiResult<()> {
    let value = serde_json::to_value(s).map_err(|e| ApiError::Internal(e.into()))?;
    diesel::insert_into(rod::table)
        .values((
            rod::region.eq(region),
            rod::settings.eq(&value),
            rod::updated_by.eq(by),
        ))
        .on_conflict(rod::region)
        .do_update()
        .set((rod::settings.eq(&value), rod::updated_by.eq(by)))
        .execute(conn)?;
    Ok(())
}

/// 404 unless some agency names this region (a region exists through its agencies).
pub fn require_region(conn: &mut PgConnection, region: &str) -> ApiResult<()> {
    let found: bool = diesel::select(diesel::dsl::exists(
        agencies::table.filter(agencies::region.eq(region)),
    ))
    .get_result(conn)?;
    if found {
        Ok(())
    } else {
        Err(ApiError::client(
            crate::error::ErrorCode::NotFound,
            format!("no agency is in region {region:?}"),
        ))
    }
}

/// A published version, as a set lists it.
#[derive(Debug, Clone, Queryable)]
pub struct VersionRow {
    pub agency_id: Uuid,
    pub number: i32,
    pub sha256: String,
    pub published_at: DateTime<Utc>,
    pub agency_name: String,
}

type VersionCols = (
    register_versions::agency_id,
    register_versions::number,
    register_versions::sha256,
    register_versions::created_at,
    register_versions::agency_name,
);

const VERSION_COLS: VersionCols = (
    register_versions::agency_id,
    register_versions::number,
    register_versions::sha256,
    register_versions::created_at,
    register_versions::agency_name,
);

/// An agency's versions, oldest first.
pub fn agency_versions(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<VersionRow>> {
    Ok(register_versions::table
        .filter(register_versions::agency_id.eq(agency_id))
        .order(register_versions::number.asc())
        .select(VERSION_COLS)
        .load(conn)?)
}

/// Every version published in a region (as the version names its agency's region), in the
/// order they were published.
pub fn region_versions(conn: &mut PgConnection, region: &str) -> ApiResult<Vec<VersionRow>> {
    Ok(register_versions::table
        .filter(register_versions::agency_region.eq(region))
        .order(register_versions::seq.asc())
        .select(VERSION_COLS)
        .load(conn)?)
}

/// The agency's name as it is now (for the passport's `creator` and default title).
pub fn agency_name(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Option<String>> {
    Ok(agencies::table
        .find(agency_id)
        .select(agencies::name)
        .first(conn)
        .optional()?)
}

/// Every agency with settings and a publication: `(id, name, settings)` by name.
pub fn published_agencies(conn: &mut PgConnection) -> ApiResult<Vec<(Uuid, String, Checked)>> {
    let published = register_versions::table.select(register_versions::agency_id);
    let rows: Vec<(Uuid, String, serde_json::Value)> = aod::table
        .inner_join(agencies::table)
        .filter(aod::agency_id.eq_any(published))
        .order((agencies::name.asc(), agencies::id.asc()))
        .select((agencies::id, agencies::name, aod::settings))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name, v)| Ok((id, name, decode(&format!("agency {id}"), v)?)))
        .collect()
}

/// Every region with settings and a publication: `(region, settings)` by region.
pub fn published_regions(conn: &mut PgConnection) -> ApiResult<Vec<(String, Checked)>> {
    let published = register_versions::table.select(register_versions::agency_region);
    let rows: Vec<(String, serde_json::Value)> = rod::table
        .filter(rod::region.eq_any(published))
        .order(rod::region.asc())
        .select((rod::region, rod::settings))
        .load(conn)?;
    rows.into_iter()
        .map(|(r, v)| Ok((r.clone(), decode(&format!("region {r:?}"), v)?)))
        .collect()
}
