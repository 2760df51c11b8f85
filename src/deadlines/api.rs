use std::collections::HashMap;

use actix_web::web;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{compute, AgencyFacts, Deadline, PartFacts, RevisionFacts};
use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::calendar::db as calendar_db;
use crate::db::Db;
use crate::error::ApiResult;
use crate::schema::{register_versions, revisions, units};
use crate::workflow::db as wf_db;
use crate::workflow::settings;

/// Dates of the procedures are Moscow dates (UTC+3).
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&FixedOffset::east_opt(3 * 3600).expect("valid offset")).date_naive()
}

/// The calendar's arithmetic is meaningful within these years.
pub fn check_date(field: &str, d: NaiveDate) -> ApiResult<NaiveDate> {
    use chrono::Datelike;
    if (1990..=2100).contains(&d.year()) {
        Ok(d)
    } else {
        Err(crate::error::ApiError::field(crate::error::ErrorCode::InvalidParameter, field, "out_of_range", "must be a date between 1990 and 2100"))
    }
}

fn checked_on(on: Option<NaiveDate>) -> ApiResult<NaiveDate> {
    match on {
        Some(d) => check_date("on", d),
        None => Ok(local_date(Utc::now())),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// Compute as of this date (default: today, Moscow time); 1990 to 2100.
    #[param(example = "2026-11-23", value_type = Option<String>, format = Date, pattern = "^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgencyDeadlines {
    pub agency_id: Uuid,
    pub on: NaiveDate,
    pub items: Vec<Deadline>,
    pub overdue: i64,
    /// False when `on` lies outside the years the production calendar covers (2024–2027);
    /// then only weekends are known to be days off.
    pub calendar_covers: bool,
}

pub fn facts(c: &mut PgConnection, agency_id: Uuid) -> ApiResult<AgencyFacts> {
    let agency = agency_db::get(c, agency_id)?;
    let settings = settings::get(c, agency_id)?;
    let active = match wf_db::active(c, agency_id, false)? {
        None => None,
        Some(r) => {
            let parts = wf_db::parts(c, r.id)?;
            let ids: Vec<Uuid> = parts.iter().filter_map(|p| p.unit_id).collect();
            let names: HashMap<Uuid, String> = units::table.filter(units::id.eq_any(&ids)).select((units::id, units::name)).load::<(Uuid, String)>(c)?.into_iter().collect();
            Some(RevisionFacts {
                id: r.id,
                status: r.status(),
                all_accepted: r.all_accepted_at.map(local_date),
                approved: r.approved_at.map(local_date),
                parts: parts
                    .iter()
                    .map(|p| PartFacts {
                        key: p.part_key.clone(),
                        unit_name: p.unit_id.and_then(|u| names.get(&u).cloned()),
                        status: p.status(),
                        submitted: p.submitted_at.map(local_date),
                        returned: p.returned_at.map(local_date),
                    })
                    .collect(),
            })
        }
    };
    let publications: Vec<DateTime<Utc>> = register_versions::table.filter(register_versions::agency_id.eq(agency_id)).select(register_versions::created_at).load(c)?;
    let quarterly: Vec<DateTime<Utc>> = revisions::table
        .filter(revisions::agency_id.eq(agency_id))
        .filter(revisions::reason.eq("quarterly_analysis"))
        .select(revisions::created_at)
        .load(c)?;
    Ok(AgencyFacts {
        created: local_date(agency.created_at),
        settings,
        active,
        publications: publications.into_iter().map(local_date).collect(),
        quarterly_analyses: quarterly.into_iter().map(local_date).collect(),
    })
}

/// What is due and overdue for an agency
///
/// Per unit (review of submitted parts, fixing of returned ones) and for the revision as a
/// whole (consolidation, publication), plus the yearly revision and, where the agency has it,
/// the quarterly analysis. Working days follow the Russian production calendar.
#[utoipa::path(
    get, path = "/api/v1/agencies/{id}/deadlines", tag = "workflow", operation_id = "getDeadlines",
    params(("id" = Uuid, Path, description = "Agency id"), DeadlineQuery),
    responses((status = 200, description = "Everything due, with overdue flags", body = AgencyDeadlines))
)]
pub async fn agency_deadlines(db: web::Data<Db>, user: User, id: web::Path<Uuid>, q: web::Query<DeadlineQuery>) -> ApiResult<web::Json<AgencyDeadlines>> {
    let agency_id = id.into_inner();
    user.require_member(agency_id)?;
    let on = checked_on(q.on)?;
    let (f, cal) = db.run(move |c| Ok((facts(c, agency_id)?, calendar_db::calendar(c)?))).await?;
    let items = compute(&f, &cal, on);
    Ok(web::Json(AgencyDeadlines { agency_id, on, overdue: items.iter().filter(|d| d.overdue).count() as i64, items, calendar_covers: cal.covers(on) }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineSummary {
    pub agency_id: Uuid,
    pub agency_name: String,
    pub overdue: i64,
    pub items: Vec<Deadline>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineOverview {
    pub on: NaiveDate,
    /// Agencies with at least one overdue item (all the caller may see when `all=true`).
    pub items: Vec<DeadlineSummary>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// As of this date (default: today, Moscow time); 1990 to 2100.
    #[param(example = "2026-11-23", value_type = Option<String>, format = Date, pattern = "^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub on: Option<NaiveDate>,
    /// List every agency, not only those with something overdue.
    pub all: Option<bool>,
}

/// Overdue across agencies
///
/// For dashboards: every agency the caller may see (all of them for an admin) with what is
/// overdue, including agencies whose yearly revision is late.
#[utoipa::path(
    get, path = "/api/v1/deadlines", tag = "workflow", operation_id = "getDeadlineOverview",
    params(OverviewQuery),
    responses((status = 200, description = "Agencies with overdue items", body = DeadlineOverview))
)]
pub async fn overview(db: web::Data<Db>, user: User, q: web::Query<OverviewQuery>) -> ApiResult<web::Json<DeadlineOverview>> {
    let on = checked_on(q.on)?;
    let all = q.all.unwrap_or(false);
    let scope = if user.is_admin() { None } else { user.agency_id };
    let items = db
        .run(move |c| {
            let cal = calendar_db::calendar(c)?;
            let ids: Vec<(Uuid, String)> = match scope {
                Some(a) => vec![(a, agency_db::get(c, a)?.name)],
                None => crate::schema::agencies::table
                    .order(crate::schema::agencies::name)
                    .select((crate::schema::agencies::id, crate::schema::agencies::name))
                    .load(c)?,
            };
            let mut out = Vec::new();
            for (id, name) in ids {
                let items = compute(&facts(c, id)?, &cal, on);
                let overdue = items.iter().filter(|d| d.overdue).count() as i64;
                if all || overdue > 0 {
                    out.push(DeadlineSummary { agency_id: id, agency_name: name, overdue, items });
                }
            }
            Ok(out)
        })
        .await?;
    Ok(web::Json(DeadlineOverview { on, total: items.len() as i64, items }))
}
