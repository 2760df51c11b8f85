//! `deadline.overdue`: a periodic sweep computes every agency's deadlines ([`super::compute`])
//! and announces each overdue one once per (agency, deadline, due date). The announcement is
//! recorded in `overdue_announcements` (`INSERT … ON CONFLICT DO NOTHING`) and emitted only
//! when the row is new, in the same transaction: restarts and several instances sweeping at
//! once never announce a deadline twice. A part returned again, or a new year's revision, has
//! a new due date, so it is announced again when that one passes.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::{compute, Deadline};
use crate::calendar::db as calendar_db;
use crate::db::PgPool;
use crate::domain::PartKey;
use crate::error::ApiResult;
use crate::notices::{self, Event, EventType, OverdueDeadline, ResponsibleOfficial};
use crate::schema::{agencies, officials, overdue_announcements as oa, revisions, units};

/// Agencies whose facts are gathered at once.
const BATCH: usize = 200;

/// What makes a deadline itself, besides its agency and due date: its kind, revision, part,
/// and an obligation's wording.
pub fn identity(d: &Deadline) -> String {
    let kind = serde_json::to_value(d.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "{kind}|{}|{}|{}",
        d.revision_id.map(|r| r.to_string()).unwrap_or_default(),
        d.unit_id.as_deref().unwrap_or(""),
        d.what.as_deref().unwrap_or("")
    )
}

/// Announces every deadline overdue on `today` that was not announced yet; returns how many
/// it announced. Each announcement commits on its own (record and event together).
pub fn sweep(conn: &mut PgConnection, today: NaiveDate) -> ApiResult<usize> {
    let cal = calendar_db::calendar(conn)?;
    let all: Vec<(Uuid, DateTime<Utc>)> = agencies::table
        .order(agencies::id)
        .select((agencies::id, agencies::created_at))
        .load(conn)?;
    let mut announced = 0;
    for batch in all.chunks(BATCH) {
        for (agency_id, facts) in super::api::facts_many(conn, batch)? {
            for d in compute(&facts, &cal, today)
                .into_iter()
                .filter(|d| d.overdue)
            {
                if conn.transaction(|c| announce(c, agency_id, &d))? {
                    announced += 1;
                }
            }
        }
    }
    Ok(announced)
}

/// Records and emits one overdue deadline, unless it was announced already.
fn announce(conn: &mut PgConnection, agency_id: Uuid, d: &Deadline) -> ApiResult<bool> {
    let event_id = Uuid::new_v4();
    let kind = identity(d).split('|').next().unwrap_or_default().to_owned();
    let inserted = diesel::insert_into(oa::table)
        .values((
            oa::agency_id.eq(agency_id),
            oa::deadline_key.eq(identity(d)),
            oa::due.eq(d.due),
            oa::kind.eq(&kind),
            oa::event_id.eq(event_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 0 {
        return Ok(false);
    }
    let number: i32 = match d.revision_id {
        Some(r) => revisions::table
            .find(r)
            .select(revisions::number)
            .first(conn)
            .optional()?
            .unwrap_or(0),
        None => 0,
    };
    let part: Option<Option<Uuid>> = d
        .unit_id
        .as_deref()
        .and_then(|k| k.parse::<PartKey>().ok())
        .map(|k| k.unit());
    // the unit whose part is due answers for it through its head
    let responsible_official = match part.flatten() {
        Some(unit) => units::table
            .inner_join(officials::table.on(units::head_official_id.eq(officials::id.nullable())))
            .filter(units::id.eq(unit))
            .select((officials::id, officials::name, officials::position))
            .first::<(Uuid, String, String)>(conn)
            .optional()?
            .map(|(id, name, position)| ResponsibleOfficial { id, name, position }),
        None => None,
    };
    let mut event = Event::new(
        EventType::DeadlineOverdue,
        agency_id,
        d.revision_id.unwrap_or_else(Uuid::nil),
        number,
    );
    event.part = part;
    event.deadline = Some(OverdueDeadline {
        kind,
        due: d.due,
        since: d.since,
        unit_id: d.unit_id.clone(),
        unit_name: d.unit_name.clone(),
        responsible_role: d.responsible_role.as_str().to_owned(),
        responsible_official,
        what: d.what.clone(),
        revision_id: d.revision_id,
    });
    notices::emit_as(conn, &event, event_id)?;
    Ok(true)
}

/// Starts the sweep: one thread that sweeps at start and then every `interval` (zero: no
/// thread).
pub fn start(pool: PgPool, interval: Duration, background: &crate::background::Background) {
    if interval.is_zero() {
        tracing::info!("the overdue sweep is off (TOUCHPOINTS_OVERDUE_SWEEP_S=0)");
        return;
    }
    background.spawn("overdue-sweep", move |bg| {
        while !bg.stopping() {
            let today = crate::calendar::local_date(Utc::now());
            let swept = pool
                .get()
                .map_err(|e| crate::error::ApiError::Internal(e.into()))
                .and_then(|mut c| sweep(&mut c, today));
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::info!(announced = n, "overdue deadlines announced"),
                Err(e) => tracing::warn!(error = %e, "overdue sweep"),
            }
            bg.sleep(interval);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::deadlines::DeadlineKind;

    fn deadline(kind: DeadlineKind, unit: Option<&str>, what: Option<&str>) -> Deadline {
        Deadline {
            kind,
            unit_id: unit.map(str::to_owned),
            unit_name: None,
            responsible_role: Role::Submitter,
            revision_id: Some(Uuid::nil()),
            what: what.map(str::to_owned),
            since: None,
            due: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
            overdue: true,
            working_days_left: -1,
        }
    }

    #[test]
    fn a_deadline_is_itself_by_kind_revision_part_and_wording() {
        let a = deadline(DeadlineKind::Submit, Some("agency"), None);
        assert_eq!(
            identity(&a),
            "submit|00000000-0000-0000-0000-000000000000|agency|"
        );
        // the due date is not part of the identity: a new due date is a new announcement
        let later = Deadline {
            due: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            ..a.clone()
        };
        assert_eq!(identity(&a), identity(&later));
        assert_ne!(
            identity(&a),
            identity(&deadline(DeadlineKind::Fix, Some("agency"), None))
        );
        assert_ne!(
            identity(&deadline(
                DeadlineKind::Obligation,
                None,
                Some("Первый перечень")
            )),
            identity(&deadline(
                DeadlineKind::Obligation,
                None,
                Some("Второй перечень")
            ))
        );
    }
}
