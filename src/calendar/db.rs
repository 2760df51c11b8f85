use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::WorkCalendar;
use crate::error::ApiResult;
use crate::schema::calendar_days;

/// The calendar in force: the official data as seeded, with the admins' edits.
pub fn calendar(conn: &mut PgConnection) -> ApiResult<WorkCalendar> {
    let rows: Vec<(NaiveDate, bool)> = calendar_days::table
        .select((calendar_days::day, calendar_days::working))
        .load(conn)?;
    Ok(WorkCalendar::new(rows))
}

pub fn year(conn: &mut PgConnection, year: i32) -> ApiResult<Vec<(NaiveDate, bool, String)>> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
    let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid");
    Ok(calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .order(calendar_days::day)
        .select((
            calendar_days::day,
            calendar_days::working,
            calendar_days::name,
        ))
        .load(conn)?)
}

pub fn put(conn: &mut PgConnection, day: NaiveDate, working: bool, name: &str) -> ApiResult<()> {
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::day.eq(day),
            calendar_days::working.eq(working),
            calendar_days::name.eq(name),
        ))
        .on_conflict(calendar_days::day)
        .do_update()
        .set((
            calendar_days::working.eq(working),
            calendar_days::name.eq(name),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut PgConnection, day: NaiveDate) -> ApiResult<bool> {
    Ok(diesel::delete(calendar_days::table.find(day)).execute(conn)? > 0)
}

/// The calendar in force as opening hours read it: with the names that say which weekday a
/// working Saturday stands for.
pub fn day_calendar(conn: &mut PgConnection) -> ApiResult<crate::domain::hours::DayCalendar> {
    let rows: Vec<(NaiveDate, bool, String)> = calendar_days::table
        .select((
            calendar_days::day,
            calendar_days::working,
            calendar_days::name,
        ))
        .load(conn)?;
    let work = WorkCalendar::new(rows.iter().map(|(d, w, _)| (*d, *w)));
    Ok(crate::domain::hours::DayCalendar::new(work, &rows))
}
