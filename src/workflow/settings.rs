//! Each agency's workflow settings in the database; the settings themselves (and their
//! validation) are a domain value, `domain::settings`, re-exported here.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

pub use crate::domain::settings::*;

use crate::domain::enums::{PartAgreement, SettingsSource};
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
    Option<PartAgreement>,
    bool,
    bool,
);

/// The settings in force for an agency: its own, else the nearest ancestor's (a subordinate
/// organization follows its ministry's Порядок, 002 §1.1), else the defaults; `source` and
/// `source_agency_id` say which.
pub fn get(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<WorkflowSettings> {
    Ok(get_many(conn, &[agency_id])?
        .remove(&agency_id)
        .unwrap_or_default())
}

/// The settings in force for several agencies (see [`get`]), in three queries however many;
/// an agency that neither it nor an ancestor set is absent (the defaults).
pub fn get_many(
    conn: &mut PgConnection,
    agency_ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, WorkflowSettings>> {
    let lines = crate::agencies::db::ancestors_many(conn, agency_ids)?;
    let all: Vec<Uuid> = lines.values().flatten().copied().collect();
    let own = own_many(conn, &all)?;
    Ok(lines
        .into_iter()
        .filter_map(|(id, line)| {
            let (depth, source) = line.iter().enumerate().find(|(_, a)| own.contains_key(a))?;
            let mut s = own[source].clone();
            s.source = if depth == 0 {
                SettingsSource::Own
            } else {
                SettingsSource::Inherited
            };
            s.source_agency_id = Some(*source);
            Some((id, s))
        })
        .collect())
}

/// The agency's own settings, if it set any.
pub fn own(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Option<WorkflowSettings>> {
    Ok(own_many(conn, &[agency_id])?.remove(&agency_id))
}

/// The settings rows of several agencies in one query (no inheritance).
fn own_many(
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
                s::part_agreement,
                s::approves_subordinates,
                s::require_signed_file,
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
                    part_agreement,
                    approves_subordinates,
                    require_signed_file,
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
                    part_agreement,
                    approves_subordinates,
                    require_signed_file,
                    source: SettingsSource::Own,
                    source_agency_id: Some(id),
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
        s::part_agreement.eq(v.part_agreement),
        s::approves_subordinates.eq(v.approves_subordinates),
        s::require_signed_file.eq(v.require_signed_file),
    );
    diesel::insert_into(s::table)
        .values((s::agency_id.eq(agency_id), values.clone()))
        .on_conflict(s::agency_id)
        .do_update()
        .set(values)
        .execute(conn)?;
    Ok(())
}

/// Drops the agency's own settings: it inherits its parent's again (or the defaults).
pub fn delete(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<bool> {
    Ok(diesel::delete(s::table.filter(s::agency_id.eq(agency_id))).execute(conn)? > 0)
}
