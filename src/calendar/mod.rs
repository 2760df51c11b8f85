//! The Russian production calendar (производственный календарь) for working-day deadlines.
//!
//! The procedures count deadlines in working days ("в течение 5 рабочих дней"), so a plain
//! Monday–Friday rule is not enough: public holidays (Art. 112 of the Labour Code) and the
//! government's transferred days off make some weekdays non-working, and a transfer can make a
//! Saturday a working day. [`WorkCalendar`] is the weekend rule plus such exceptions.
//!
//! The official exceptions live in `data/calendar/ru.json` (compiled in) and are mirrored by the
//! `calendar_days` table. They cover 2024–2027; 2027 is provisional: its transfers come from the
//! `holidays` package and were not checked against the decree's official text (see the JSON's
//! `source` and `provisional` fields). Outside the covered years only the weekend rule applies,
//! which [`WorkCalendar::covers`] lets callers detect and warn about.
//!
//! Pure logic: no database, no HTTP.

pub mod api;
pub mod db;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

/// The official calendar, compiled in so that deadline arithmetic never depends on I/O.
const OFFICIAL_JSON: &str = include_str!("../../data/calendar/ru.json");

/// Working days under the weekend rule plus exceptions to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Only real exceptions: `false` on a weekday, `true` on a Saturday or Sunday.
    exceptions: BTreeMap<NaiveDate, bool>,
    /// Years whose exceptions are known, for [`WorkCalendar::covers`].
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
struct OfficialFile {
    years: Vec<i32>,
    non_working: Vec<OfficialDay>,
    working: Vec<OfficialDay>,
}

#[derive(Deserialize)]
struct OfficialDay {
    date: NaiveDate,
    name: String,
}

fn official_file() -> &'static OfficialFile {
    static FILE: OnceLock<OfficialFile> = OnceLock::new();
    // The JSON is compiled in and parsed by the tests, so a failure here cannot reach production.
    FILE.get_or_init(|| {
        serde_json::from_str(OFFICIAL_JSON)
            .expect("data/calendar/ru.json is valid (checked by the calendar tests)")
    })
}

/// The official exceptions as `(date, working, name)`, sorted by date, e.g. for seeding or display.
pub fn official_exceptions() -> Vec<(NaiveDate, bool, String)> {
    let file = official_file();
    let mut all: Vec<_> = file
        .non_working
        .iter()
        .map(|d| (d.date, false, d.name.clone()))
        .chain(file.working.iter().map(|d| (d.date, true, d.name.clone())))
        .collect();
    all.sort_by_key(|(date, _, _)| *date);
    all
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Monday–Friday days in an arbitrary fixed origin..=`d`; only differences are meaningful.
/// Lets [`WorkCalendar::working_days_between`] count long spans without walking them day by day.
fn weekdays_prefix(d: NaiveDate) -> i64 {
    // Days since 0001-01-01 (day 1 of the common era), a Monday: `offset.rem_euclid(7)` is 0 on Mondays.
    let offset = i64::from(d.num_days_from_ce()) - 1;
    5 * offset.div_euclid(7) + (offset.rem_euclid(7) + 1).min(5)
}

fn succ(d: NaiveDate) -> NaiveDate {
    d.succ_opt().expect("date overflow: past NaiveDate::MAX")
}

impl WorkCalendar {
    /// A calendar from exceptions to the weekend rule; `true` means the date is a working day.
    ///
    /// Entries that merely restate the weekend rule (a working weekday, a non-working weekend day)
    /// are ignored, so that counting stays exact; for a date given twice the last entry wins.
    /// [`covers`](Self::covers) reports the years of the dates given.
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> WorkCalendar {
        let mut calendar = WorkCalendar {
            exceptions: BTreeMap::new(),
            years: BTreeSet::new(),
        };
        for (date, working) in exceptions {
            calendar.years.insert(date.year());
            if working == is_weekend(date) {
                calendar.exceptions.insert(date, working);
            } else {
                calendar.exceptions.remove(&date);
            }
        }
        calendar
    }

    /// The official Russian calendar from `data/calendar/ru.json`.
    pub fn official() -> WorkCalendar {
        static CALENDAR: OnceLock<WorkCalendar> = OnceLock::new();
        CALENDAR
            .get_or_init(|| {
                let mut calendar = WorkCalendar::new(
                    official_exceptions()
                        .into_iter()
                        .map(|(date, working, _)| (date, working)),
                );
                calendar.years = official_file().years.iter().copied().collect();
                calendar
            })
            .clone()
    }

    /// Whether `d` is a working day: Monday to Friday unless an exception says otherwise.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.exceptions.get(&d).copied().unwrap_or(!is_weekend(d))
    }

    /// The first working day strictly after `d`.
    ///
    /// # Panics
    /// If no such day exists before `NaiveDate::MAX`.
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = succ(d);
        while !self.is_working_day(day) {
            day = succ(day);
        }
        day
    }

    /// The last day of a period of `n` working days starting after `from`: the date by which
    /// something must be done "в течение n рабочих дней" from the event on `from`.
    ///
    /// Convention (as for procedural time limits, which begin on the day after the event):
    /// `from` itself is never counted, the 1st working day is the first one after `from`, and the
    /// result is the n-th, always a working day. `n = 0` means "on the day": `from` if it is a
    /// working day, otherwise the next working day.
    ///
    /// # Panics
    /// If the result would lie past `NaiveDate::MAX`.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return if self.is_working_day(from) {
                from
            } else {
                self.next_working_day(from)
            };
        }
        let mut day = from;
        for _ in 0..n {
            day = self.next_working_day(day);
        }
        day
    }

    /// The number of working days in `(from, to]`; when `to < from`, minus the number in `(to, from]`.
    /// Counts arithmetically plus the exceptions in range, so long spans cost no more than short ones.
    ///
    /// For `n >= 1`, `working_days_between(from, add_working_days(from, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        if to == from {
            return 0;
        }
        let weekdays = weekdays_prefix(to) - weekdays_prefix(from);
        let adjustment: i64 = self
            .exceptions
            .range((Bound::Excluded(from), Bound::Included(to)))
            .map(|(_, working)| if *working { 1 } else { -1 })
            .sum();
        weekdays + adjustment
    }

    /// Whether the year of `d` is one whose exceptions are known; outside them only the weekend
    /// rule applies, so callers should warn that a computed deadline may be off.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.years.contains(&d.year())
    }
}

/// Dates of the procedures are Moscow dates (UTC+3).
pub fn local_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    t.with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).expect("valid offset"))
        .date_naive()
}

/// The calendar's arithmetic is meaningful within these years.
pub fn check_date(field: &str, d: NaiveDate) -> crate::error::ApiResult<NaiveDate> {
    use chrono::Datelike;
    if (1990..=2100).contains(&d.year()) {
        Ok(d)
    } else {
        Err(crate::error::ApiError::field(
            crate::error::ErrorCode::InvalidParameter,
            field,
            "out_of_range",
            "must be a date between 1990 and 2100",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn days(from: &str, to: &str) -> impl Iterator<Item = NaiveDate> {
        let (from, to) = (date(from), date(to));
        from.iter_days().take_while(move |d| *d <= to)
    }

    #[test]
    fn weekday_arithmetic_origin_is_a_monday() {
        assert_eq!(
            NaiveDate::from_num_days_from_ce_opt(1).unwrap().weekday(),
            Weekday::Mon
        );
    }

    #[test]
    fn official_json_is_consistent() {
        let file: OfficialFile = serde_json::from_str(OFFICIAL_JSON).unwrap();
        assert_eq!(file.years, vec![2024, 2025, 2026, 2027]);
        let raw: serde_json::Value = serde_json::from_str(OFFICIAL_JSON).unwrap();
        assert_eq!(raw["provisional"], serde_json::json!([2027]));
        let all = official_exceptions();
        assert_eq!(all.len(), file.non_working.len() + file.working.len());
        let dates: BTreeSet<_> = all.iter().map(|(d, _, _)| *d).collect();
        assert_eq!(dates.len(), all.len(), "a date is listed twice");
        for (d, working, name) in &all {
            assert_eq!(
                *working,
                is_weekend(*d),
                "{d} is not an exception to the weekend rule"
            );
            assert!(
                file.years.contains(&d.year()),
                "{d} outside the covered years"
            );
            assert!(!name.trim().is_empty(), "{d} has no name");
        }
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "not sorted");
        // nothing was dropped as redundant
        assert_eq!(WorkCalendar::official().exceptions.len(), all.len());
    }

    #[test]
    fn new_year_holidays_2025() {
        let cal = WorkCalendar::official();
        assert!(cal.is_working_day(date("2024-12-27")));
        assert!(
            !cal.is_working_day(date("2024-12-30")),
            "transferred from 2024-12-28"
        );
        assert!(
            !cal.is_working_day(date("2024-12-31")),
            "transferred from 2024-01-07"
        );
        for d in days("2025-01-01", "2025-01-08") {
            assert!(!cal.is_working_day(d), "{d}");
        }
        assert!(cal.is_working_day(date("2025-01-09")));
        assert_eq!(cal.next_working_day(date("2024-12-28")), date("2025-01-09"));
    }

    #[test]
    fn may_holidays_2025() {
        let cal = WorkCalendar::official();
        for d in days("2025-05-01", "2025-05-04").chain(days("2025-05-08", "2025-05-11")) {
            assert!(!cal.is_working_day(d), "{d}");
        }
        for d in days("2025-05-05", "2025-05-07").chain(days("2025-05-12", "2025-05-16")) {
            assert!(cal.is_working_day(d), "{d}");
        }
        let names: BTreeMap<_, _> = official_exceptions()
            .into_iter()
            .map(|(d, _, n)| (d, n))
            .collect();
        assert_eq!(
            names[&date("2025-05-02")],
            "Перенос выходного дня с 2025-01-04"
        );
        assert_eq!(
            names[&date("2025-05-08")],
            "Перенос выходного дня с 2025-02-23"
        );
    }

    #[test]
    fn transferred_working_saturdays() {
        let cal = WorkCalendar::official();
        for d in ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01"] {
            assert_eq!(date(d).weekday(), Weekday::Sat);
            assert!(cal.is_working_day(date(d)), "{d}");
        }
        assert!(
            !cal.is_working_day(date("2024-04-20")),
            "an ordinary Saturday"
        );
        assert!(
            !cal.is_working_day(date("2025-11-02")),
            "an ordinary Sunday"
        );
        // the Saturday counts: Fri 2024-04-26 + 1 working day is Sat 2024-04-27
        assert_eq!(
            cal.add_working_days(date("2024-04-26"), 1),
            date("2024-04-27")
        );
    }

    #[test]
    fn five_working_days_from_a_friday_before_a_holiday() {
        let cal = WorkCalendar::official();
        // Mon 2026-02-23 off: 24, 25, 26, 27 Feb, 2 Mar.
        assert_eq!(
            cal.add_working_days(date("2026-02-20"), 5),
            date("2026-03-02")
        );
        // Sat 2024-11-02 working, Mon 2024-11-04 off: 2, 5, 6, 7, 8 Nov.
        assert_eq!(
            cal.add_working_days(date("2024-11-01"), 5),
            date("2024-11-08")
        );
        // Sat 2024-12-28 working, 30 Dec 2024 – 8 Jan 2025 off: 28 Dec, 9, 10, 13, 14 Jan.
        assert_eq!(
            cal.add_working_days(date("2024-12-27"), 5),
            date("2025-01-14")
        );
        // 1–4 and 8–11 May 2025 off: 28, 29, 30 Apr, 5, 6 May; then 7, 12, 13, 14, 15 May.
        assert_eq!(
            cal.add_working_days(date("2025-04-25"), 5),
            date("2025-05-06")
        );
        assert_eq!(
            cal.add_working_days(date("2025-05-06"), 5),
            date("2025-05-15")
        );
    }

    #[test]
    fn across_the_new_year_break() {
        let cal = WorkCalendar::official();
        // 29, 30 Dec; 31 Dec 2025 – 11 Jan 2026 off; 12, 13, 14 Jan.
        assert_eq!(
            cal.add_working_days(date("2025-12-26"), 5),
            date("2026-01-14")
        );
        assert_eq!(
            cal.working_days_between(date("2025-12-26"), date("2026-01-14")),
            5
        );
        assert_eq!(
            cal.working_days_between(date("2026-01-14"), date("2025-12-26")),
            -5
        );
    }

    #[test]
    fn zero_days() {
        let cal = WorkCalendar::official();
        assert_eq!(
            cal.add_working_days(date("2025-01-01"), 0),
            date("2025-01-09")
        );
        assert_eq!(
            cal.add_working_days(date("2025-06-12"), 0),
            date("2025-06-16")
        );
        assert_eq!(
            cal.add_working_days(date("2025-06-11"), 0),
            date("2025-06-11")
        );
        assert_eq!(
            cal.add_working_days(date("2024-04-27"), 0),
            date("2024-04-27"),
            "working Saturday"
        );
        assert_eq!(
            cal.working_days_between(date("2025-06-11"), date("2025-06-11")),
            0
        );
    }

    #[test]
    fn working_days_per_year_match_the_official_totals() {
        let cal = WorkCalendar::official();
        // 2024–2026 are the official totals; 2027 is what the provisional data gives.
        for (year, total) in [(2024, 248), (2025, 247), (2026, 247), (2027, 247)] {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
            let counted = first
                .iter_days()
                .take_while(|d| *d <= last)
                .filter(|d| cal.is_working_day(*d))
                .count();
            assert_eq!(counted, total, "{year}");
            assert_eq!(
                cal.working_days_between(first.pred_opt().unwrap(), last),
                total as i64,
                "{year}"
            );
        }
    }

    #[test]
    fn between_agrees_with_walking_day_by_day() {
        let cal = WorkCalendar::official();
        let anchors: Vec<NaiveDate> = days("2023-12-20", "2028-01-10").step_by(11).collect();
        for &from in &anchors {
            let mut walked = 0;
            for to in days("2023-12-20", "2028-01-10").filter(|d| *d > from) {
                walked += i64::from(cal.is_working_day(to));
                assert_eq!(cal.working_days_between(from, to), walked, "{from}..{to}");
            }
        }
        for &from in &anchors {
            for n in [1, 2, 5, 10, 30] {
                let due = cal.add_working_days(from, n);
                assert!(cal.is_working_day(due));
                assert_eq!(
                    cal.working_days_between(from, due),
                    i64::from(n),
                    "{from} + {n}"
                );
            }
        }
    }

    #[test]
    fn weekend_rule_outside_the_data() {
        let cal = WorkCalendar::official();
        assert!(cal.covers(date("2024-01-01")) && cal.covers(date("2027-12-31")));
        assert!(!cal.covers(date("2023-12-31")) && !cal.covers(date("2028-01-01")));
        // 2030-01-01 is a Tuesday: a holiday in reality, but unknown here, hence covers() above.
        assert!(cal.is_working_day(date("2030-01-01")));
        assert_eq!(
            cal.add_working_days(date("2030-01-04"), 1),
            date("2030-01-07")
        );
        assert_eq!(
            cal.working_days_between(date("1999-12-31"), date("2000-12-31")),
            260
        );
    }

    #[test]
    fn custom_calendar() {
        // Mon 2030-01-07 off, Sat 2030-01-12 working; the redundant entries are ignored.
        let cal = WorkCalendar::new([
            (date("2030-01-07"), false),
            (date("2030-01-12"), true),
            (date("2030-01-08"), true),
            (date("2030-01-13"), false),
        ]);
        assert!(!cal.is_working_day(date("2030-01-07")));
        assert!(cal.is_working_day(date("2030-01-12")));
        assert_eq!(cal.exceptions.len(), 2);
        assert_eq!(
            cal.add_working_days(date("2030-01-04"), 1),
            date("2030-01-08")
        );
        assert_eq!(
            cal.working_days_between(date("2030-01-04"), date("2030-01-13")),
            5
        );
        assert!(cal.covers(date("2030-06-01")) && !cal.covers(date("2031-01-01")));
        // the last entry for a date wins
        let cal = WorkCalendar::new([(date("2030-01-07"), false), (date("2030-01-07"), true)]);
        assert!(cal.is_working_day(date("2030-01-07")));
        assert!(cal.exceptions.is_empty());
    }
}
