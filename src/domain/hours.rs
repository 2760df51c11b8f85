//! Opening hours of a touchpoint (an office, a phone line) and "is it open now".
//!
//! The shape follows what public service catalogues carry (schema.org
//! `OpeningHoursSpecification`, Finland's PTV service hours, Open Referral's `schedule`):
//! weekly slots, several a day (a lunch break is the gap between two slots), a slot that closes
//! at or before it opens runs past midnight, exceptions by date (closed, or other slots), and a
//! period of validity. Times are local times of the agency's time zone.
//!
//! The production calendar decides the rest (Labour Code art. 95, 112): on a non-working holiday
//! or a day off the calendar moves to a weekday, the touchpoint is closed unless an exception
//! for that date says otherwise; a Saturday or Sunday the calendar makes a working day is
//! worked with the slots of the weekday whose day off it gave; and on the working day just
//! before a non-working holiday the day ends one hour earlier.
//!
//! Pure logic: no database, no HTTP.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::calendar::WorkCalendar;
use crate::error::FieldError;

/// `HH:MM`, 00:00–23:59.
pub const OPENS_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// `HH:MM`, 00:00–24:00.
pub const CLOSES_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
pub const MAX_WEEKLY: usize = 70;
pub const MAX_EXCEPTIONS: usize = 400;

/// The IANA time zones of the Russian Federation (tzdata's zone1970.tab, RU, and
/// Europe/Simferopol): the agency's `time_zone` is one of them.
pub const RUSSIAN_TIME_ZONES: &[&str] = &[
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Simferopol",
    "Europe/Kirov",
    "Europe/Volgograd",
    "Europe/Astrakhan",
    "Europe/Saratov",
    "Europe/Ulyanovsk",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Barnaul",
    "Asia/Tomsk",
    "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Chita",
    "Asia/Yakutsk",
    "Asia/Khandyga",
    "Asia/Vladivostok",
    "Asia/Ust-Nera",
    "Asia/Magadan",
    "Asia/Sakhalin",
    "Asia/Srednekolymsk",
    "Asia/Kamchatka",
    "Asia/Anadyr",
];

pub const DEFAULT_TIME_ZONE: &str = "Europe/Moscow";

/// An IANA time zone of Russia (`Europe/Moscow`, `Europe/Samara`, `Asia/Yekaterinburg`…).
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "IANA time zone of the agency (one of the Russian Federation's); the hours of \
                 its touchpoints are local times there. Default `Europe/Moscow`.",
            ))
            .enum_values(Some(RUSSIAN_TIME_ZONES.iter().copied()))
            .examples([serde_json::json!("Europe/Samara")])
            .into()
    }
}
impl ToSchema for TimeZoneName {}

/// The time zone by its IANA name, when it is one of Russia's.
pub fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    if RUSSIAN_TIME_ZONES.contains(&name) {
        name.parse().ok()
    } else {
        None
    }
}

pub fn check_time_zone(field: &str, name: &str) -> Result<String, FieldError> {
    match time_zone(name) {
        Some(_) => Ok(name.to_owned()),
        None => Err(FieldError::new(
            field,
            "unknown",
            format!("{name:?} is not an IANA time zone of the Russian Federation"),
        )),
    }
}

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub fn of(w: Weekday) -> Day {
        match w {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }

    /// «Пн»…«Вс», as timetables print them.
    pub fn short_ru(self) -> &'static str {
        match self {
            Day::Mon => "Пн",
            Day::Tue => "Вт",
            Day::Wed => "Ср",
            Day::Thu => "Чт",
            Day::Fri => "Пт",
            Day::Sat => "Сб",
            Day::Sun => "Вс",
        }
    }

    /// schema.org's `DayOfWeek` member.
    pub fn schema_org(self) -> &'static str {
        match self {
            Day::Mon => "https://schema.org/Monday",
            Day::Tue => "https://schema.org/Tuesday",
            Day::Wed => "https://schema.org/Wednesday",
            Day::Thu => "https://schema.org/Thursday",
            Day::Fri => "https://schema.org/Friday",
            Day::Sat => "https://schema.org/Saturday",
            Day::Sun => "https://schema.org/Sunday",
        }
    }

    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];
}

/// A weekly slot: open on `day` from `opens` to `closes` (local time). A slot whose `closes` is
/// at or before `opens` runs past midnight into the next day (`22:00`–`02:00`); `00:00`–`24:00`
/// is the whole day. Several slots a day are allowed; a break is the gap between two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"day": "mon", "opens": "09:00", "closes": "13:00"}))]
pub struct WeeklySlot {
    pub day: Day,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub opens: String,
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", example = "18:00")]
    pub closes: String,
}

/// `true`, the only value `closed` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct True;

impl Serialize for True {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

impl<'de> Deserialize<'de> for True {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if bool::deserialize(d)? {
            Ok(True)
        } else {
            Err(serde::de::Error::custom(
                "`closed` is true or absent (give `opens` and `closes` for other hours)",
            ))
        }
    }
}

impl utoipa::PartialSchema for True {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true]))
            .into()
    }
}
impl ToSchema for True {}

/// Closed the whole date (whatever the weekly slots and the calendar say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-31", "closed": true}))]
pub struct ClosedDate {
    pub date: NaiveDate,
    pub closed: True,
}

/// Open on the date from `opens` to `closes` instead of the weekly slots (several entries of one
/// date: several slots). Also opens a holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-30", "opens": "09:00", "closes": "15:00"}))]
pub struct OpenDate {
    pub date: NaiveDate,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub opens: String,
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", example = "15:00")]
    pub closes: String,
}

/// An exception by date: `{"date", "closed": true}` or `{"date", "opens", "closes"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum HoursException {
    Closed(ClosedDate),
    Open(OpenDate),
}

impl HoursException {
    pub fn date(&self) -> NaiveDate {
        match self {
            HoursException::Closed(c) => c.date,
            HoursException::Open(o) => o.date,
        }
    }
}

/// Opening hours of a touchpoint, in the agency's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "weekly": [
        {"day": "mon", "opens": "09:00", "closes": "13:00"},
        {"day": "mon", "opens": "14:00", "closes": "18:00"},
        {"day": "fri", "opens": "09:00", "closes": "16:45"}
    ],
    "exceptions": [{"date": "2026-12-30", "opens": "09:00", "closes": "15:00"}],
    "valid_from": "2026-01-01"
}))]
pub struct Hours {
    /// Weekly slots (at most 70), several a day allowed.
    #[serde(default)]
    #[schema(max_items = 70)]
    pub weekly: Vec<WeeklySlot>,
    /// Exceptions by date (at most 400).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 400)]
    pub exceptions: Vec<HoursException>,
    /// The hours apply from this date (inclusive); absent: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// The hours apply up to this date (inclusive); must not precede `valid_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

/// Minutes since midnight of `HH:MM` (`24:00` is 1440).
fn minutes(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn check_time(e: &mut Vec<FieldError>, field: String, t: &str, closes: bool) {
    match minutes(t) {
        Some(1440) if !closes => e.push(FieldError::new(
            field,
            "invalid",
            "opens at 23:59 at the latest",
        )),
        Some(_) => {}
        None => e.push(FieldError::new(field, "invalid", "a time as HH:MM")),
    }
}

impl Hours {
    /// Checks the hours; `field` prefixes the errors' field names (`hours`).
    pub fn validate(&self, field: &str) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.weekly.len() > MAX_WEEKLY {
            e.push(FieldError::new(
                format!("{field}.weekly"),
                "too_many",
                format!("at most {MAX_WEEKLY} weekly slots"),
            ));
        }
        if self.exceptions.len() > MAX_EXCEPTIONS {
            e.push(FieldError::new(
                format!("{field}.exceptions"),
                "too_many",
                format!("at most {MAX_EXCEPTIONS} exceptions"),
            ));
        }
        for (i, s) in self.weekly.iter().enumerate() {
            check_time(
                &mut e,
                format!("{field}.weekly[{i}].opens"),
                &s.opens,
                false,
            );
            check_time(
                &mut e,
                format!("{field}.weekly[{i}].closes"),
                &s.closes,
                true,
            );
        }
        let mut closed_dates = std::collections::HashSet::new();
        let mut open_dates = std::collections::HashSet::new();
        for (i, x) in self.exceptions.iter().enumerate() {
            match x {
                HoursException::Closed(c) => {
                    closed_dates.insert(c.date);
                }
                HoursException::Open(o) => {
                    open_dates.insert(o.date);
                    check_time(
                        &mut e,
                        format!("{field}.exceptions[{i}].opens"),
                        &o.opens,
                        false,
                    );
                    check_time(
                        &mut e,
                        format!("{field}.exceptions[{i}].closes"),
                        &o.closes,
                        true,
                    );
                }
            }
        }
        if let Some((i, x)) =
            self.exceptions.iter().enumerate().find(|(_, x)| {
                matches!(x, HoursException::Open(_)) && closed_dates.contains(&x.date())
            })
        {
            e.push(FieldError::new(
                format!("{field}.exceptions[{i}]"),
                "conflict",
                format!("{} is both closed and open", x.date()),
            ));
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to) {
            if from > to {
                e.push(FieldError::new(
                    format!("{field}.valid_to"),
                    "before_valid_from",
                    "must not precede valid_from",
                ));
            }
        }
        e
    }

    /// The same hours in a canonical order (weekly by day and time, exceptions by date and
    /// time), the same slot given twice kept once: two spellings of one timetable store and
    /// hash alike.
    pub fn normalized(mut self) -> Hours {
        self.weekly
            .sort_by(|a, b| (a.day, &a.opens, &a.closes).cmp(&(b.day, &b.opens, &b.closes)));
        self.weekly.dedup();
        let key = |x: &HoursException| match x {
            HoursException::Closed(c) => (c.date, String::new(), String::new()),
            HoursException::Open(o) => (o.date, o.opens.clone(), o.closes.clone()),
        };
        self.exceptions.sort_by_key(key);
        self.exceptions.dedup();
        self
    }

    /// A human reading for the printed register: «Пн–Пт 09:00–18:00 (перерыв 13:00–14:00); Сб
    /// 10:00–14:00; Вс выходной», then the exceptions.
    pub fn describe_ru(&self) -> String {
        let by_day: Vec<(Day, Vec<(&str, &str)>)> = Day::ALL
            .iter()
            .map(|d| {
                (
                    *d,
                    self.weekly
                        .iter()
                        .filter(|s| s.day == *d)
                        .map(|s| (s.opens.as_str(), s.closes.as_str()))
                        .collect(),
                )
            })
            .collect();
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < by_day.len() {
            let mut j = i;
            while j + 1 < by_day.len() && by_day[j + 1].1 == by_day[i].1 {
                j += 1;
            }
            let days = if i == j {
                by_day[i].0.short_ru().to_owned()
            } else {
                format!("{}–{}", by_day[i].0.short_ru(), by_day[j].0.short_ru())
            };
            let slots = &by_day[i].1;
            let text = if slots.is_empty() {
                "выходной".to_owned()
            } else {
                slots
                    .iter()
                    .map(|(o, c)| format!("{o}–{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            parts.push(format!("{days} {text}"));
            i = j + 1;
        }
        let mut out = parts.join("; ");
        for x in &self.exceptions {
            match x {
                HoursException::Closed(c) => {
                    out.push_str(&format!("; {} закрыто", c.date.format("%d.%m.%Y")))
                }
                HoursException::Open(o) => out.push_str(&format!(
                    "; {} {}–{}",
                    o.date.format("%d.%m.%Y"),
                    o.opens,
                    o.closes
                )),
            }
        }
        match (self.valid_from, self.valid_to) {
            (Some(f), Some(t)) => out.push_str(&format!(
                " (с {} по {})",
                f.format("%d.%m.%Y"),
                t.format("%d.%m.%Y")
            )),
            (Some(f), None) => out.push_str(&format!(" (с {})", f.format("%d.%m.%Y"))),
            (None, Some(t)) => out.push_str(&format!(" (по {})", t.format("%d.%m.%Y"))),
            (None, None) => {}
        }
        out
    }
}

/// The non-working holidays of the Labour Code's art. 112 (month, day): 1–8 January,
/// 23 February, 8 March, 1 and 9 May, 12 June, 4 November.
const HOLIDAYS: &[(u32, u32)] = &[
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

pub fn is_public_holiday(d: NaiveDate) -> bool {
    HOLIDAYS.contains(&(d.month(), d.day()))
}

/// The production calendar as the hours read it: working days, and for each Saturday or
/// Sunday made a working day, the date whose day off it gave (when the calendar says).
#[derive(Debug, Clone)]
pub struct DayCalendar {
    pub work: WorkCalendar,
    pub swapped: HashMap<NaiveDate, NaiveDate>,
}

impl DayCalendar {
    /// From the calendar's exceptions `(date, working, name)`: a working weekend day named
    /// «… (перенос на 2024-04-29)» works with the slots of 2024-04-29's weekday.
    pub fn new(work: WorkCalendar, days: &[(NaiveDate, bool, String)]) -> DayCalendar {
        let swapped = days
            .iter()
            .filter(|(_, working, _)| *working)
            .filter_map(|(d, _, name)| {
                let at = name.find("перенос на ")? + "перенос на ".len();
                let date = name.get(at..at + 10)?.parse::<NaiveDate>().ok()?;
                Some((*d, date))
            })
            .collect();
        DayCalendar { work, swapped }
    }

    /// Closed by the calendar: a non-working holiday, or a weekday the calendar makes a day off.
    fn closed(&self, d: NaiveDate) -> bool {
        is_public_holiday(d)
            || (!self.work.is_working_day(d) && d.weekday().num_days_from_monday() < 5)
    }

    /// The working day just before a non-working holiday is one hour shorter (art. 95).
    pub fn shortened(&self, d: NaiveDate) -> bool {
        self.work.is_working_day(d) && d.succ_opt().is_some_and(is_public_holiday)
    }

    /// Whose weekly slots date `d` works with.
    fn slots_day(&self, d: NaiveDate) -> Day {
        let weekend = d.weekday().num_days_from_monday() >= 5;
        if weekend && self.work.is_working_day(d) {
            let source = self.swapped.get(&d).copied();
            return Day::of(source.map(|s| s.weekday()).unwrap_or(Weekday::Mon));
        }
        Day::of(d.weekday())
    }
}

/// The open intervals that start on local date `d`, as minutes from that midnight (the end
/// may pass 1440 for a slot over midnight).
pub fn intervals(h: &Hours, cal: &DayCalendar, d: NaiveDate) -> Vec<(u32, u32)> {
    if h.valid_from.is_some_and(|f| d < f) || h.valid_to.is_some_and(|t| d > t) {
        return Vec::new();
    }
    let span = |o: &str, c: &str| -> Option<(u32, u32)> {
        let (o, c) = (minutes(o)?, minutes(c)?);
        Some(if c <= o { (o, c + 1440) } else { (o, c) })
    };
    let exceptions: Vec<&HoursException> = h.exceptions.iter().filter(|x| x.date() == d).collect();
    if !exceptions.is_empty() {
        return exceptions
            .iter()
            .filter_map(|x| match x {
                HoursException::Open(o) => span(&o.opens, &o.closes),
                HoursException::Closed(_) => None,
            })
            .collect();
    }
    if cal.closed(d) {
        return Vec::new();
    }
    let day = cal.slots_day(d);
    let mut out: Vec<(u32, u32)> = h
        .weekly
        .iter()
        .filter(|s| s.day == day)
        .filter_map(|s| span(&s.opens, &s.closes))
        .collect();
    out.sort();
    if cal.shortened(d) {
        if let Some(last) = out.last_mut() {
            last.1 = last.1.saturating_sub(60).max(last.0);
        }
        out.retain(|(o, c)| c > o);
    }
    out
}

/// Whether a touchpoint is open at local time `at`, and when it next opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenState {
    pub open: bool,
    /// While open: when the current interval ends; local time.
    pub closes_at: Option<NaiveDateTime>,
    /// While closed: the next opening within [`HORIZON_DAYS`]; local time.
    pub next_open: Option<NaiveDateTime>,
}

/// How far ahead the next opening is looked for.
pub const HORIZON_DAYS: i64 = 400;

fn at(d: NaiveDate, minute: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute))
}

pub fn open_state(h: &Hours, cal: &DayCalendar, now: NaiveDateTime) -> OpenState {
    let today = now.date();
    // intervals of yesterday that run past midnight, then today's; a run of touching
    // intervals (23:00–24:00 then 00:00–08:00) is one
    let mut spans: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
    for offset in -1..=HORIZON_DAYS {
        let Some(d) = today.checked_add_signed(Duration::days(offset)) else {
            break;
        };
        for (o, c) in intervals(h, cal, d) {
            spans.push((at(d, o), at(d, c)));
        }
        // enough once a span starting after now is known and today is covered
        if offset >= 1 && spans.iter().any(|(o, _)| *o > now) {
            break;
        }
    }
    spans.sort();
    let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
    for (o, c) in spans {
        match merged.last_mut() {
            Some(last) if o <= last.1 => last.1 = last.1.max(c),
            _ => merged.push((o, c)),
        }
    }
    if let Some((_, c)) = merged.iter().find(|(o, c)| *o <= now && now < *c) {
        return OpenState {
            open: true,
            closes_at: Some(*c),
            next_open: None,
        };
    }
    OpenState {
        open: false,
        closes_at: None,
        next_open: merged.iter().find(|(o, _)| *o > now).map(|(o, _)| *o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> DayCalendar {
        DayCalendar::new(
            WorkCalendar::official(),
            &crate::calendar::official_exceptions(),
        )
    }

    fn office() -> Hours {
        let mut weekly = Vec::new();
        for day in [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri] {
            weekly.push(WeeklySlot {
                day,
                opens: "09:00".into(),
                closes: "13:00".into(),
            });
            weekly.push(WeeklySlot {
                day,
                opens: "14:00".into(),
                closes: "18:00".into(),
            });
        }
        Hours {
            weekly,
            exceptions: Vec::new(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn open_in_a_slot_closed_in_the_break() {
        let s = open_state(&office(), &cal(), t("2026-11-25 10:00"));
        assert!(s.open);
        assert_eq!(s.closes_at, Some(t("2026-11-25 13:00")));
        let s = open_state(&office(), &cal(), t("2026-11-25 13:30"));
        assert!(!s.open);
        assert_eq!(s.next_open, Some(t("2026-11-25 14:00")));
    }

    #[test]
    fn the_31st_of_december_2026_is_a_day_off_and_the_holidays_follow() {
        // 31.12.2026 (Thursday) is a day off moved from 04.01; 1–8 January are holidays, 9–10
        // the weekend: the office opens again on Monday 11 January 2027
        let s = open_state(&office(), &cal(), t("2026-12-31 11:00"));
        assert!(!s.open);
        assert_eq!(s.next_open, Some(t("2027-01-11 09:00")));
    }

    #[test]
    fn an_exception_opens_a_holiday() {
        let mut h = office();
        h.exceptions.push(HoursException::Open(OpenDate {
            date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            opens: "10:00".into(),
            closes: "14:00".into(),
        }));
        assert!(open_state(&h, &cal(), t("2026-12-31 11:00")).open);
        assert!(!open_state(&h, &cal(), t("2026-12-31 15:00")).open);
    }

    #[test]
    fn a_holiday_on_a_weekday_is_closed() {
        // 4 November 2026 is a Wednesday
        let s = open_state(&office(), &cal(), t("2026-11-04 10:00"));
        assert!(!s.open);
        assert_eq!(s.next_open, Some(t("2026-11-05 09:00")));
    }

    #[test]
    fn the_day_before_a_holiday_ends_an_hour_earlier() {
        // 3 November 2026 (Tuesday) precedes the 4 November holiday
        assert!(cal().shortened(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()));
        assert!(open_state(&office(), &cal(), t("2026-11-03 16:59")).open);
        let s = open_state(&office(), &cal(), t("2026-11-03 17:00"));
        assert!(!s.open);
        assert_eq!(s.next_open, Some(t("2026-11-05 09:00")));
        // an ordinary Tuesday closes at 18:00
        assert!(open_state(&office(), &cal(), t("2026-11-10 17:30")).open);
    }

    #[test]
    fn a_working_saturday_works_with_the_slots_of_the_swapped_weekday() {
        // 1 November 2025 (Saturday) was worked for Monday 3 November
        let s = open_state(&office(), &cal(), t("2025-11-01 10:00"));
        assert!(s.open);
        // an ordinary Saturday is closed
        assert!(!open_state(&office(), &cal(), t("2025-11-08 10:00")).open);
    }

    #[test]
    fn a_slot_over_midnight_is_open_after_midnight() {
        let h = Hours {
            weekly: vec![WeeklySlot {
                day: Day::Fri,
                opens: "22:00".into(),
                closes: "02:00".into(),
            }],
            exceptions: Vec::new(),
            valid_from: None,
            valid_to: None,
        };
        // Friday 27 November 2026, 23:00 and Saturday 01:30 open; Saturday 02:00 closed
        assert!(open_state(&h, &cal(), t("2026-11-27 23:00")).open);
        let s = open_state(&h, &cal(), t("2026-11-28 01:30"));
        assert!(s.open);
        assert_eq!(s.closes_at, Some(t("2026-11-28 02:00")));
        let s = open_state(&h, &cal(), t("2026-11-28 02:00"));
        assert!(!s.open);
        assert_eq!(s.next_open, Some(t("2026-12-04 22:00")));
    }

    #[test]
    fn outside_validity_nothing_opens() {
        let mut h = office();
        h.valid_to = Some(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        let s = open_state(&h, &cal(), t("2026-11-25 10:00"));
        assert!(!s.open);
        assert_eq!(s.next_open, None);
        h.valid_to = None;
        h.valid_from = Some(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let s = open_state(&h, &cal(), t("2026-11-25 10:00"));
        assert_eq!(s.next_open, Some(t("2026-12-01 09:00")));
    }

    #[test]
    fn validation_names_the_field() {
        let mut h = office();
        h.weekly[0].opens = "25:00".into();
        h.weekly[1].closes = "24:00".into();
        h.valid_from = NaiveDate::from_ymd_opt(2026, 2, 1);
        h.valid_to = NaiveDate::from_ymd_opt(2026, 1, 1);
        let fields: Vec<String> = h.validate("hours").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["hours.weekly[0].opens", "hours.valid_to"]);
    }

    #[test]
    fn an_exception_is_closed_or_open_never_bare() {
        let ok: Hours = serde_json::from_value(serde_json::json!({
            "weekly": [],
            "exceptions": [{"date": "2026-12-31", "closed": true},
                           {"date": "2026-12-30", "opens": "09:00", "closes": "15:00"}]
        }))
        .unwrap();
        assert!(matches!(ok.exceptions[0], HoursException::Closed(_)));
        assert!(matches!(ok.exceptions[1], HoursException::Open(_)));
        for bad in [
            serde_json::json!({"exceptions": [{"date": "2026-12-31"}]}),
            serde_json::json!({"exceptions": [{"date": "2026-12-31", "closed": false}]}),
            serde_json::json!({"exceptions": [{"date": "2026-12-31", "closed": true, "opens": "09:00", "closes": "10:00"}]}),
        ] {
            assert!(
                serde_json::from_value::<Hours>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_description_groups_equal_days() {
        assert_eq!(
            office().describe_ru(),
            "Пн–Пт 09:00–13:00, 14:00–18:00; Сб–Вс выходной"
        );
    }

    #[test]
    fn every_time_zone_is_known_to_the_tz_database() {
        for z in RUSSIAN_TIME_ZONES {
            assert!(time_zone(z).is_some(), "{z}");
        }
        assert!(time_zone("Europe/Kyiv").is_none());
        assert!(time_zone("UTC").is_none());
    }
}
