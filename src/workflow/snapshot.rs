//! Building a register's content from the agency's working copy (what a published version
//! freezes). The content's types, its SHA-256 and the diff are plain values in
//! `domain::register`, re-exported here.

use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

pub use crate::domain::register::*;

use crate::agencies::db as agency_db;
use crate::error::ApiResult;
use crate::http::Paging;
use crate::processes::db::{self as process_db, ProcessFilter, ProcessSort};
use crate::schema::{channel_types, client_needs, directions, units};
use crate::touchpoints::db::{self as touchpoint_db, TouchpointFilter, TouchpointSort};

const ALL: Paging = Paging {
    limit: i64::MAX,
    offset: 0,
};

/// Reads the agency's working copy as a register, in the form's order.
pub fn build(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<RegisterContent> {
    let agency = agency_db::get(conn, agency_id)?;
    let (processes, _) = process_db::list(
        conn,
        &ProcessFilter {
            agency_id: Some(agency_id),
            ..Default::default()
        },
        ProcessSort::Position,
        ALL,
    )?;
    let (points, _) = touchpoint_db::list(
        conn,
        &TouchpointFilter {
            agency_id: Some(agency_id),
            ..Default::default()
        },
        TouchpointSort::Position,
        ALL,
    )?;
    let dirs: HashMap<Uuid, (Option<String>, String)> = directions::table
        .select((directions::id, directions::code, directions::name))
        .filter(
            directions::agency_id
                .is_null()
                .or(directions::agency_id.eq(agency_id)),
        )
        .load::<(Uuid, Option<String>, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let unit_names: HashMap<Uuid, String> = units::table
        .filter(units::agency_id.eq(agency_id))
        .select((units::id, units::name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    let channel_labels: HashMap<String, String> = channel_types::table
        .select((channel_types::code, channel_types::label))
        .load(conn)?
        .into_iter()
        .collect();
    let need_labels: HashMap<String, String> = client_needs::table
        .select((client_needs::code, client_needs::label))
        .load(conn)?
        .into_iter()
        .collect();

    let mut by_process: HashMap<Uuid, Vec<crate::touchpoints::model::Touchpoint>> = HashMap::new();
    for t in points {
        by_process.entry(t.process_id).or_default().push(t);
    }
    let mut rows = Vec::new();
    for p in processes {
        let (code, catalog_name) = dirs
            .get(&p.direction_id)
            .cloned()
            .unwrap_or((None, String::new()));
        let base = RegisterRow {
            n: 0,
            direction_id: p.direction_id,
            direction_code: code,
            direction: p.direction_label.clone().unwrap_or(catalog_name),
            process_id: p.id,
            process: p.name.clone(),
            registry_code: p.registry_code.clone(),
            process_kind: p.kind,
            client_type: p.client_type,
            unit_id: p.unit_id,
            unit: p.unit_id.and_then(|u| unit_names.get(&u).cloned()),
            touchpoint: None,
            process_external_id: p.external_id.clone(),
        };
        match by_process.remove(&p.id) {
            None => rows.push(base),
            Some(points) => {
                for t in points {
                    let mut row = base.clone();
                    row.touchpoint = Some(RowTouchpoint {
                        id: t.id,
                        channel_label: channel_labels.get(&t.channel).cloned().unwrap_or_default(),
                        channel: t.channel,
                        name: t.name,
                        as_written: t.as_written,
                        contacts: t.contacts,
                        needs: t
                            .needs
                            .iter()
                            .map(|c| NeedRef {
                                code: c.clone(),
                                label: need_labels.get(c).cloned().unwrap_or_default(),
                            })
                            .collect(),
                        interaction: t.interaction,
                        features: t.features,
                        stated_mode: t.stated_mode,
                        implied_mode: t.implied_mode,
                        external_id: t.external_id,
                        hours: t.hours,
                        address: t.address,
                        geo: t.geo,
                        accessibility: t.accessibility,
                    });
                    rows.push(row);
                }
            }
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        r.n = i as i32 + 1;
    }
    Ok(RegisterContent {
        agency: AgencyInfo {
            id: agency.id,
            parent_id: agency.parent_id,
            name: agency.name,
            short_name: agency.short_name,
            region: agency.region,
            website: agency.website,
        },
        columns: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows,
        profile: None,
        approval: None,
    })
}
