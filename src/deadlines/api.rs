use std::collections::HashMap;

use actix_web::web;
use actix_web::{get, put};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{compute, AgencyFacts, Deadline, Obligation, Obligations, PartFacts, RevisionFacts};
use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::calendar::db as calendar_db;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::path::AgencyPath;
use crate::http::ApiJson;
use crate::reviews::{ReviewKind, ReviewOutcome};
use crate::schema::{
    agency_obligations, register_versions, reviews, revision_parts, revisions, units,
};
use crate::workflow::db as wf_db;
use crate::workflow::settings;

pub use crate::calendar::{check_date, local_date};

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
    facts_many(c, &[(agency_id, agency.created_at)])?
        .pop()
        .map(|(_, f)| f)
        .ok_or_else(|| ApiError::not_found("agency", agency_id))
}

/// The facts of several agencies (id, created), in their order: nine queries however many.
pub fn facts_many(
    c: &mut PgConnection,
    agencies: &[(Uuid, DateTime<Utc>)],
) -> ApiResult<Vec<(Uuid, AgencyFacts)>> {
    let ids: Vec<Uuid> = agencies.iter().map(|(id, _)| *id).collect();
    let mut settings = settings::get_many(c, &ids)?;
    let active: Vec<wf_db::RevisionRow> = revisions::table
        .filter(revisions::agency_id.eq_any(&ids))
        .filter(revisions::status.ne(crate::domain::state::RevisionStatus::Published))
        // a cancelled revision has nothing due any more
        .filter(revisions::status.ne(crate::domain::state::RevisionStatus::Cancelled))
        .select(wf_db::RevisionRow::as_select())
        .load(c)?;
    let revision_ids: Vec<Uuid> = active.iter().map(|r| r.id).collect();
    let parts: Vec<wf_db::PartRow> = revision_parts::table
        .filter(revision_parts::revision_id.eq_any(&revision_ids))
        .order((
            revision_parts::created_at.asc(),
            revision_parts::part_key.asc(),
        ))
        .select(wf_db::PartRow::as_select())
        .load(c)?;
    let unit_ids: Vec<Uuid> = parts.iter().filter_map(|p| p.unit_id).collect();
    let names: HashMap<Uuid, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name))
        .load::<(Uuid, String)>(c)?
        .into_iter()
        .collect();
    let mut parts_of: HashMap<Uuid, Vec<PartFacts>> = HashMap::new();
    for p in &parts {
        parts_of.entry(p.revision_id).or_default().push(PartFacts {
            key: p.part_key.clone(),
            unit_name: p.unit_id.and_then(|u| names.get(&u).cloned()),
            status: p.status,
            created: local_date(p.created_at),
            submitted: p.submitted_at.map(local_date),
            returned: p.returned_at.map(local_date),
        });
    }
    let mut active_of: HashMap<Uuid, RevisionFacts> = active
        .into_iter()
        .map(|r| {
            let facts = RevisionFacts {
                id: r.id,
                status: r.status,
                opened: local_date(r.created_at),
                all_accepted: r.all_accepted_at.map(local_date),
                approved: r.approved_at.map(local_date),
                parts: parts_of.remove(&r.id).unwrap_or_default(),
            };
            (r.agency_id, facts)
        })
        .collect();
    let mut publications_of: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for (agency, at) in register_versions::table
        .filter(register_versions::agency_id.eq_any(&ids))
        .select((register_versions::agency_id, register_versions::created_at))
        .load::<(Uuid, DateTime<Utc>)>(c)?
    {
        publications_of
            .entry(agency)
            .or_default()
            .push(local_date(at));
    }
    let mut quarterly_of: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for (agency, at) in revisions::table
        .filter(revisions::agency_id.eq_any(&ids))
        .filter(revisions::reason.eq(crate::workflow::model::RevisionReason::QuarterlyAnalysis))
        .select((revisions::agency_id, revisions::created_at))
        .load::<(Uuid, DateTime<Utc>)>(c)?
    {
        quarterly_of.entry(agency).or_default().push(local_date(at));
    }
    let mut yearly_of: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for (agency, kind, outcome, at) in reviews::table
        .filter(reviews::agency_id.eq_any(&ids))
        .select((
            reviews::agency_id,
            reviews::kind,
            reviews::outcome,
            reviews::created_at,
        ))
        .load::<(Uuid, ReviewKind, ReviewOutcome, DateTime<Utc>)>(c)?
    {
        match (kind, outcome) {
            // a quarterly analysis is done whatever it found
            (ReviewKind::QuarterlyAnalysis, _) => {
                quarterly_of.entry(agency).or_default().push(local_date(at))
            }
            // a monitoring that found changes is done by the publication of its revision
            (ReviewKind::YearlyMonitoring, ReviewOutcome::NoChanges) => {
                yearly_of.entry(agency).or_default().push(local_date(at))
            }
            (ReviewKind::YearlyMonitoring, ReviewOutcome::ChangesFound) => {}
        }
    }
    let mut obligations_of: HashMap<Uuid, Vec<Obligation>> = HashMap::new();
    for (agency, date, what) in agency_obligations::table
        .filter(agency_obligations::agency_id.eq_any(&ids))
        .order((agency_obligations::due, agency_obligations::what))
        .select((
            agency_obligations::agency_id,
            agency_obligations::due,
            agency_obligations::what,
        ))
        .load::<(Uuid, NaiveDate, String)>(c)?
    {
        obligations_of
            .entry(agency)
            .or_default()
            .push(Obligation { date, what });
    }
    Ok(agencies
        .iter()
        .map(|(id, created)| {
            let facts = AgencyFacts {
                created: local_date(*created),
                settings: settings.remove(id).unwrap_or_default(),
                active: active_of.remove(id),
                publications: publications_of.remove(id).unwrap_or_default(),
                quarterly_analyses: quarterly_of.remove(id).unwrap_or_default(),
                yearly_reviews: yearly_of.remove(id).unwrap_or_default(),
                obligations: obligations_of.remove(id).unwrap_or_default(),
            };
            (*id, facts)
        })
        .collect())
}

/// What is due and overdue for an agency
///
/// Per unit (review of submitted parts, fixing of returned ones) and for the revision as a
/// whole (consolidation, publication), plus the yearly revision and, where the agency has it,
/// the quarterly analysis. Working days follow the Russian production calendar.
#[utoipa::path(
    tag = "workflow", operation_id = "getDeadlines",
    params(AgencyPath, DeadlineQuery),
    responses((status = 200, description = "Everything due, with overdue flags", body = AgencyDeadlines))
)]
#[get("/agencies/{id}/deadlines")]
pub async fn agency_deadlines(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<DeadlineQuery>,
) -> ApiResult<web::Json<AgencyDeadlines>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let on = checked_on(q.on)?;
    let (f, cal) = db
        .run(move |c| Ok((facts(c, agency_id)?, calendar_db::calendar(c)?)))
        .await?;
    let items = compute(&f, &cal, on);
    Ok(web::Json(AgencyDeadlines {
        agency_id,
        on,
        overdue: items.iter().filter(|d| d.overdue).count() as i64,
        items,
        calendar_covers: cal.covers(on),
    }))
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
    tag = "workflow", operation_id = "getDeadlineOverview",
    params(OverviewQuery),
    responses((status = 200, description = "Agencies with overdue items", body = DeadlineOverview))
)]
#[get("/deadlines")]
pub async fn overview(
    db: web::Data<Db>,
    user: User,
    q: crate::http::ApiQuery<OverviewQuery>,
) -> ApiResult<web::Json<DeadlineOverview>> {
    let on = checked_on(q.on)?;
    let all = q.all.unwrap_or(false);
    let scope = if user.is_admin() {
        None
    } else {
        user.agency_id
    };
    let items = db
        .run(move |c| {
            let cal = calendar_db::calendar(c)?;
            let agencies: Vec<(Uuid, String, DateTime<Utc>)> = match scope {
                Some(a) => {
                    // the caller's agency, and the organizations whose revisions it governs
                    // (their deadlines are its approvers' and publishers' too)
                    let mut ids = vec![a];
                    if user.has(Role::Approver) || user.has(Role::Publisher) {
                        ids.extend(crate::workflow::governance::governed_by(c, a)?);
                    }
                    let mut rows = Vec::new();
                    for id in ids {
                        let agency = agency_db::get(c, id)?;
                        rows.push((id, agency.name, agency.created_at));
                    }
                    rows
                }
                None => crate::schema::agencies::table
                    .order(crate::schema::agencies::name)
                    .select((
                        crate::schema::agencies::id,
                        crate::schema::agencies::name,
                        crate::schema::agencies::created_at,
                    ))
                    .load(c)?,
            };
            let facts = facts_many(
                c,
                &agencies
                    .iter()
                    .map(|(id, _, created)| (*id, *created))
                    .collect::<Vec<_>>(),
            )?;
            let mut out = Vec::new();
            for ((id, name, _), (_, f)) in agencies.into_iter().zip(facts) {
                let items = compute(&f, &cal, on);
                let overdue = items.iter().filter(|d| d.overdue).count() as i64;
                if all || overdue > 0 {
                    out.push(DeadlineSummary {
                        agency_id: id,
                        agency_name: name,
                        overdue,
                        items,
                    });
                }
            }
            Ok(out)
        })
        .await?;
    Ok(web::Json(DeadlineOverview {
        on,
        total: items.len() as i64,
        items,
    }))
}

fn obligations_of(c: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Obligation>> {
    Ok(agency_obligations::table
        .filter(agency_obligations::agency_id.eq(agency_id))
        .order((agency_obligations::due, agency_obligations::what))
        .select((agency_obligations::due, agency_obligations::what))
        .load::<(NaiveDate, String)>(c)?
        .into_iter()
        .map(|(date, what)| Obligation { date, what })
        .collect())
}

/// An agency's one-off dated obligations
///
/// Dated duties outside the yearly and quarterly rhythm (000: the first register approved and
/// published by 1 April 2024). Each shows in the deadlines (kind `obligation`, for the approver)
/// until a version is published within the year before its date or later.
#[utoipa::path(
    tag = "workflow", operation_id = "getObligations",
    params(AgencyPath),
    responses((status = 200, description = "The obligations, by date", body = Obligations))
)]
#[get("/agencies/{id}/obligations")]
pub async fn get_obligations(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<Obligations>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let items = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            obligations_of(c, agency_id)
        })
        .await?;
    Ok(web::Json(Obligations { items }))
}

/// Set an agency's one-off dated obligations
///
/// Admin only, like the workflow settings. `{"items": [{"date": "2024-04-01", "what": "…"}]}`
/// replaces the whole list (at most 50; the same date and wording twice is kept once); an
/// empty list removes them all.
#[utoipa::path(
    tag = "workflow", operation_id = "putObligations",
    params(AgencyPath),
    request_body = Obligations,
    responses((status = 200, description = "The obligations in force, by date", body = Obligations))
)]
#[put("/agencies/{id}/obligations")]
pub async fn put_obligations(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<Obligations>,
) -> ApiResult<web::Json<Obligations>> {
    let agency_id = id.into_inner().id;
    user.require_admin()?;
    let list = super::checked_obligations(body.0.items).map_err(ApiError::validation)?;
    let items = db
        .transaction(move |c| {
            crate::agencies::db::lock(c, agency_id)?;
            diesel::delete(
                agency_obligations::table.filter(agency_obligations::agency_id.eq(agency_id)),
            )
            .execute(c)?;
            let rows: Vec<_> = list
                .iter()
                .map(|o| {
                    (
                        agency_obligations::agency_id.eq(agency_id),
                        agency_obligations::due.eq(o.date),
                        agency_obligations::what.eq(&o.what),
                    )
                })
                .collect();
            if !rows.is_empty() {
                diesel::insert_into(agency_obligations::table)
                    .values(rows)
                    .execute(c)?;
            }
            obligations_of(c, agency_id)
        })
        .await?;
    Ok(web::Json(Obligations { items }))
}
