use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::register::{touchpoint_changes, RegisterContent, TouchpointChange};
use crate::error::{ApiError, ApiResult};
use crate::schema::{register_versions, touchpoint_changes as tc};

/// Records what version `number` of the agency (whose content is `content`) did to each
/// touchpoint, compared with the version before it. Called inside the publishing transaction,
/// under the publication lock: the rows' ids (the feed's cursors) follow commit order.
pub fn record(
    conn: &mut PgConnection,
    agency_id: Uuid,
    number: i32,
    content: &RegisterContent,
) -> ApiResult<usize> {
    let previous: Option<serde_json::Value> = register_versions::table
        .filter(register_versions::agency_id.eq(agency_id))
        .filter(register_versions::number.eq(number - 1))
        .select(register_versions::content)
        .first(conn)
        .optional()?;
    let previous: Option<RegisterContent> = previous
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("version {} content: {e}", number - 1)))?;
    let rows: Vec<_> = touchpoint_changes(previous.as_ref(), content)
        .into_iter()
        .map(|(id, change)| {
            (
                tc::touchpoint_id.eq(id),
                tc::agency_id.eq(agency_id),
                tc::version.eq(number),
                tc::change.eq(change.as_str()),
            )
        })
        .collect();
    // one statement keeps the rows' order: bigserial values follow the VALUES list
    let mut written = 0;
    for chunk in rows.chunks(5000) {
        written += diesel::insert_into(tc::table)
            .values(chunk.to_vec())
            .execute(conn)?;
    }
    Ok(written)
}

/// One row of the feed.
#[derive(Debug, Clone, Queryable)]
pub struct FeedRow {
    pub cursor: i64,
    pub touchpoint_id: Uuid,
    pub agency_id: Uuid,
    pub version: i32,
    pub change: String,
    pub published_at: chrono::DateTime<chrono::Utc>,
}

/// The changes after `since`, at most `limit`, in cursor order.
pub fn feed(
    conn: &mut PgConnection,
    since: i64,
    agency: Option<Uuid>,
    limit: i64,
) -> ApiResult<Vec<FeedRow>> {
    let mut q = tc::table.filter(tc::id.gt(since)).into_boxed();
    if let Some(a) = agency {
        q = q.filter(tc::agency_id.eq(a));
    }
    Ok(q.order(tc::id)
        .limit(limit)
        .select((
            tc::id,
            tc::touchpoint_id,
            tc::agency_id,
            tc::version,
            tc::change,
            tc::created_at,
        ))
        .load(conn)?)
}

/// The latest change of each of `ids` that has one: (touchpoint, agency, version, change).
pub fn latest(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> ApiResult<Vec<(Uuid, Uuid, i32, TouchpointChange)>> {
    let rows: Vec<(Uuid, Uuid, i32, String)> = tc::table
        .filter(tc::touchpoint_id.eq_any(ids))
        .distinct_on(tc::touchpoint_id)
        .order((tc::touchpoint_id, tc::id.desc()))
        .select((tc::touchpoint_id, tc::agency_id, tc::version, tc::change))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(t, a, v, c)| {
            let change = match c.as_str() {
                "added" => TouchpointChange::Added,
                "removed" => TouchpointChange::Removed,
                _ => TouchpointChange::Changed,
            };
            (t, a, v, change)
        })
        .collect())
}
