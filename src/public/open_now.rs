//! `GET /public/agencies/{id}/register/open-now`: which touchpoints of the current published
//! register are open at a moment, and when each closed one opens next, under the production
//! calendar in force and the agency's time zone.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cache::PublicCache;
use super::serve::{current_number, rendered};
use crate::db::ReadDb;
use crate::domain::hours::{self, DEFAULT_TIME_ZONE};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::path::AgencyPath;
use crate::schema::agencies;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenNowQuery {
    /// The moment asked about (RFC 3339, any offset); default: now.
    #[param(
        value_type = Option<String>,
        format = DateTime,
        pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
        example = "2026-12-31T10:00:00+03:00"
    )]
    pub at: Option<String>,
}

/// A touchpoint with hours, open or not at the moment asked about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "touchpoint_id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11",
    "process_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
    "name": "Приёмная",
    "open": false,
    "next_open": "2027-01-11T09:00:00+03:00",
    "closes_at": null
}))]
pub struct OpenNowItem {
    pub touchpoint_id: Uuid,
    pub process_id: Uuid,
    pub name: String,
    pub open: bool,
    /// While closed: the next opening (local time of the agency, with its offset) within 400
    /// days; null while open or when the hours never open again.
    pub next_open: Option<DateTime<FixedOffset>>,
    /// While open: when it closes.
    pub closes_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpenNow {
    pub agency_id: Uuid,
    /// The published version whose hours are read.
    pub version: i32,
    /// The agency's time zone (IANA).
    pub time_zone: String,
    /// The moment asked about, in the agency's local time.
    pub at: DateTime<FixedOffset>,
    /// Every touchpoint of the version that has hours, in register order.
    pub items: Vec<OpenNowItem>,
    /// Touchpoints without hours (open or not is not known for them).
    pub without_hours: Vec<Uuid>,
}

fn parse_at(at: Option<&str>) -> ApiResult<DateTime<Utc>> {
    match at {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::field(
                    ErrorCode::InvalidParameter,
                    "at",
                    "invalid",
                    "an RFC 3339 date-time (2026-12-31T10:00:00+03:00)",
                )
            }),
    }
}

/// Which touchpoints are open now
///
/// For each touchpoint of the agency's current published register that has opening hours:
/// open or closed at `at` (default now), when it closes if open, and when it next opens if
/// closed. The hours are local times of the agency's `time_zone`; the production calendar in
/// force decides holidays (closed unless an exception of the touchpoint's hours opens the
/// date), days off moved to weekdays, working Saturdays, and the pre-holiday day, one hour
/// shorter (Labour Code art. 95).
#[utoipa::path(
    security(()),
    tag = "public", operation_id = "getPublicOpenNow",
    params(AgencyPath, OpenNowQuery),
    responses(
        (status = 200, description = "Open or closed, per touchpoint with hours", body = OpenNow),
    )
)]
#[get("/public/agencies/{id}/register/open-now")]
pub async fn open_now(
    db: web::Data<ReadDb>,
    cache: web::Data<Arc<PublicCache>>,
    id: web::Path<AgencyPath>,
    q: crate::http::ApiQuery<OpenNowQuery>,
) -> ApiResult<HttpResponse> {
    let at = parse_at(q.at.as_deref())?;
    let agency_id = id.into_inner().id;
    let n = current_number(&db, &cache, agency_id).await?;
    let r = rendered(&db, &cache, agency_id, n).await?;
    let (zone, cal) = db
        .run(move |c| {
            use diesel::prelude::*;
            let zone: Option<String> = agencies::table
                .find(agency_id)
                .select(agencies::time_zone)
                .first(c)
                .optional()?;
            Ok((zone, crate::calendar::db::day_calendar(c)?))
        })
        .await?;
    let zone = zone.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    let tz = hours::time_zone(&zone).unwrap_or(chrono_tz::Europe::Moscow);
    let local = at.with_timezone(&tz);
    let fixed = |t: NaiveDateTime| -> Option<DateTime<FixedOffset>> {
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.fixed_offset())
    };
    let mut items = Vec::new();
    let mut without_hours = Vec::new();
    for row in &r.content.rows {
        let Some(t) = &row.touchpoint else { continue };
        let Some(h) = &t.hours else {
            without_hours.push(t.id);
            continue;
        };
        let s = hours::open_state(h, &cal, local.naive_local());
        items.push(OpenNowItem {
            touchpoint_id: t.id,
            process_id: row.process_id,
            name: t.name.clone(),
            open: s.open,
            next_open: s.next_open.and_then(fixed),
            closes_at: s.closes_at.and_then(fixed),
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(OpenNow {
            agency_id,
            version: n,
            time_zone: zone,
            at: local.fixed_offset(),
            items,
            without_hours,
        }))
}

#[cfg(test)]
mod tests {
    use super::parse_at;

    /// Every spelling the spec's pattern admits is read (an RFC 3339 date-time, `T`/`t`, `Z`/`z`,
    /// fractions, any offset); anything else is a 400.
    #[test]
    fn the_moment_is_read_in_every_spelling_the_spec_admits() {
        for ok in [
            "2026-12-31T10:00:00+03:00",
            "2026-12-31t10:00:00z",
            "2026-12-31T07:00:00Z",
            "2026-12-31T10:00:00.123456789+03:00",
            "0001-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59+23:59",
        ] {
            assert!(parse_at(Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_at(Some("2026-12-31T10:00:00+03:00")).unwrap(),
            parse_at(Some("2026-12-31T07:00:00Z")).unwrap()
        );
        for bad in [
            "tomorrow",
            "2026-12-31",
            "2026-02-30T10:00:00Z",
            "2026-12-31T10:00:00",
        ] {
            assert!(parse_at(Some(bad)).is_err(), "{bad}");
        }
    }
}
