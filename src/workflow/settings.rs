//! Each agency's workflow settings in the database; the settings themselves (and their
//! validation) are a domain value, `domain::settings`, re-exported here.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

pub use crate::domain::settings::*;

use crate::error::ApiResult;
use crate::schema::agency_workflow_settings as s;

type Row = (
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    bool,
    serde_json::Value,
);

pub fn get(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<WorkflowSettings> {
    Ok(get_many(conn, &[agency_id])?
        .remove(&agency_id)
        .unwrap_or_default())
}

/// The settings of several agencies in one query; an agency without a row has the defaults
/// (absent from the map).
pub fn get_many(
    conn: &mut PgConnection,
    agency_ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, WorkflowSettings>> {
    let rows: Vec<(Uuid, Row)> = s::table
        .filter(s::agency_id.eq_any(agency_ids))
        .select((
            s::agency_id,
            (
                s::submit_days,
                s::review_days,
                s::return_days,
                s::fix_days,
                s::resubmit_days,
                s::consolidate_days,
                s::publish_days,
                s::yearly_month,
                s::yearly_day,
                s::quarterly_analysis,
                s::approval_chain,
            ),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                (
                    submit_days,
                    review_days,
                    return_days,
                    fix_days,
                    resubmit_days,
                    consolidate_days,
                    publish_days,
                    yearly_month,
                    yearly_day,
                    quarterly_analysis,
                    chain,
                ),
            )| {
                let settings = WorkflowSettings {
                    submit_days,
                    review_days,
                    return_days,
                    fix_days,
                    resubmit_days,
                    consolidate_days,
                    publish_days,
                    yearly_month,
                    yearly_day,
                    quarterly_analysis,
                    approval_chain: serde_json::from_value(chain).unwrap_or_default(),
                };
                (id, settings)
            },
        )
        .collect())
}

pub fn put(conn: &mut PgConnection, agency_id: Uuid, v: &WorkflowSettings) -> ApiResult<()> {
    let chain = serde_json::to_value(&v.approval_chain).unwrap_or_default();
    let values = (
        s::submit_days.eq(v.submit_days),
        s::review_days.eq(v.review_days),
        s::return_days.eq(v.return_days),
        s::fix_days.eq(v.fix_days),
        s::resubmit_days.eq(v.resubmit_days),
        s::consolidate_days.eq(v.consolidate_days),
        s::publish_days.eq(v.publish_days),
        s::yearly_month.eq(v.yearly_month),
        s::yearly_day.eq(v.yearly_day),
        s::quarterly_analysis.eq(v.quarterly_analysis),
        s::approval_chain.eq(chain),
    );
    diesel::insert_into(s::table)
        .values((s::agency_id.eq(agency_id), values.clone()))
        .on_conflict(s::agency_id)
        .do_update()
        .set(values)
        .execute(conn)?;
    Ok(())
}
