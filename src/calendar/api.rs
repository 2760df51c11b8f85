use actix_web::{delete, get, put};
use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::db as calendar_db;
use crate::auth::User;
use crate::db::Db;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::path::DayPath;
use crate::http::ApiJson;

/// A day that breaks the Monday–Friday rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"date": "2025-05-02", "working": false, "name": "Перенос выходного дня с 2025-01-04"}))]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// False for a weekday off (holiday, transferred day off); true for a working weekend day.
    pub working: bool,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarYear {
    pub year: i32,
    /// The exceptions of the year; every other Saturday and Sunday is off, every other day working.
    pub days: Vec<CalendarDay>,
    pub working_days: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    #[param(example = 2026, minimum = 1990, maximum = 2100)]
    pub year: i32,
}

/// The working-day calendar of a year
///
/// The Russian production calendar (2024–2027 shipped; 2027 provisional until its decree), with
/// the admins' edits.
#[utoipa::path(
    tag = "calendar", operation_id = "getCalendarYear",
    params(YearQuery),
    responses((status = 200, description = "The year's exceptions and its number of working days", body = CalendarYear))
)]
#[get("/calendar")]
pub async fn get_year(
    db: web::Data<Db>,
    _user: User,
    q: crate::http::ApiQuery<YearQuery>,
) -> ApiResult<web::Json<CalendarYear>> {
    let year = q.year;
    if !(1990..=2100).contains(&year) {
        return Err(ApiError::field(
            ErrorCode::InvalidParameter,
            "year",
            "out_of_range",
            "must be between 1990 and 2100",
        ));
    }
    let (days, cal) = db
        .run(move |c| Ok((calendar_db::year(c, year)?, calendar_db::calendar(c)?)))
        .await?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
    let working = cal.working_days_between(
        first.pred_opt().expect("valid"),
        NaiveDate::from_ymd_opt(year, 12, 31).expect("valid"),
    );
    Ok(web::Json(CalendarYear {
        year,
        working_days: working,
        days: days
            .into_iter()
            .map(|(date, working, name)| CalendarDay {
                date,
                working,
                name,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"working": false, "name": "Региональный праздник"}))]
pub struct CalendarDayInput {
    pub working: bool,
    #[schema(pattern = "\\S", max_length = 300)]
    pub name: String,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Set a day off or a working weekend day
///
/// Admin only. A weekday can be made a day off, a Saturday or Sunday a working day; anything
/// else restates the rule and is refused (422).
#[utoipa::path(
    tag = "calendar", operation_id = "putCalendarDay",
    params(DayPath),
    request_body = CalendarDayInput,
    responses((status = 200, description = "The day as stored", body = CalendarDay))
)]
#[put("/calendar/{date}")]
pub async fn put_day(
    db: web::Data<Db>,
    user: User,
    date: web::Path<DayPath>,
    body: ApiJson<CalendarDayInput>,
) -> ApiResult<web::Json<CalendarDay>> {
    user.require_admin()?;
    let date = super::check_date("date", date.into_inner().date)?;
    let body = body.0;
    let name = crate::domain::text::required(
        "name",
        &body.name,
        crate::domain::text::CALENDAR_DAY_NAME_MAX,
    )
    .map_err(|e| ApiError::validation(vec![e]))?;
    if body.working != is_weekend(date) {
        let msg = if body.working {
            "a weekday is a working day already"
        } else {
            "a Saturday or Sunday is a day off already"
        };
        return Err(ApiError::validation(vec![FieldError::new(
            "working",
            "no_exception",
            msg,
        )]));
    }
    let working = body.working;
    let stored = name.clone();
    db.run(move |c| calendar_db::put(c, date, working, &stored))
        .await?;
    Ok(web::Json(CalendarDay {
        date,
        working,
        name,
    }))
}

/// Remove an exception
///
/// Admin only. The day follows the Monday–Friday rule again.
#[utoipa::path(
    tag = "calendar", operation_id = "deleteCalendarDay",
    params(DayPath),
    responses((status = 204, description = "Removed"))
)]
#[delete("/calendar/{date}")]
pub async fn delete_day(
    db: web::Data<Db>,
    user: User,
    date: web::Path<DayPath>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let date = super::check_date("date", date.into_inner().date)?;
    if db.run(move |c| calendar_db::delete(c, date)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("calendar exception", date))
    }
}
