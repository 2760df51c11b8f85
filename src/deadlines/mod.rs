//! Deadlines in working days (R10–R12): what is due and what is overdue, per agency and per
//! unit. [`compute`] is a plain function of the facts and the calendar; `api` gathers them.

pub mod api;
pub mod overdue;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;
use crate::calendar::WorkCalendar;
use crate::domain::settings::WorkflowSettings;
use crate::domain::state::{PartStatus, RevisionStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// A unit hands in its part: from the revision's opening, or from the return when the
    /// agency sets no fix/resubmit periods (004 §13, `submit_days`).
    Submit,
    /// The authorised unit checks a submitted part (004 §14).
    Review,
    /// The authorised unit returns a checked part with remarks, or accepts it (004 §15,
    /// `review_days` + `return_days` from the submission).
    Return,
    /// The unit fixes a returned part and resubmits it (004 §16–17).
    Fix,
    /// The consolidated register is formed once every part is in (004 §18).
    Consolidate,
    /// The approved register is published (002 §5.5, 003 §3.1).
    Publish,
    /// The yearly revision (000: by 1 Feb; 001: by 1 Mar; 002: monitoring by 31 Dec).
    YearlyRevision,
    /// The quarterly analysis (004 §20).
    QuarterlyAnalysis,
    /// A one-off dated obligation of the agency (000: the first register by 1 Apr 2024), met by
    /// a publication within the year before its date or any later one.
    Obligation,
}

/// One thing due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The part concerned: a unit id or `agency`; null for the revision as a whole.
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    /// Who has to act.
    pub responsible_role: Role,
    pub revision_id: Option<Uuid>,
    /// What is due, for an obligation (its own wording); null otherwise.
    pub what: Option<String>,
    /// The day the period started.
    pub since: Option<NaiveDate>,
    /// The last day to act.
    pub due: NaiveDate,
    pub overdue: bool,
    /// Working days from today to `due` (negative when overdue).
    pub working_days_left: i64,
}

/// The state of one part, as the deadlines need it.
#[derive(Debug, Clone)]
pub struct PartFacts {
    pub key: String,
    pub unit_name: Option<String>,
    pub status: PartStatus,
    /// The day the part was created (the revision's opening, or later when its unit got its
    /// first process later).
    pub created: NaiveDate,
    pub submitted: Option<NaiveDate>,
    pub returned: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct RevisionFacts {
    pub id: Uuid,
    pub status: RevisionStatus,
    pub opened: NaiveDate,
    pub all_accepted: Option<NaiveDate>,
    pub approved: Option<NaiveDate>,
    pub parts: Vec<PartFacts>,
}

/// A one-off dated obligation (`PUT /agencies/{id}/obligations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// The last day; 1990 to 2100.
    #[schema(example = "2024-04-01", value_type = String, format = Date, pattern = "^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub date: NaiveDate,
    /// What is due, in the procedure's words.
    #[schema(
        example = "Утвердить и разместить первый перечень точек взаимодействия",
        max_length = 1000,
        pattern = "\\S"
    )]
    pub what: String,
}

/// An agency's obligations, as `PUT /agencies/{id}/obligations` takes them and GET answers
/// (every body of this API is an object; a GET's answer can be PUT back as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"date": "2024-04-01", "what": "Утвердить и разместить первый перечень точек взаимодействия"}]}))]
pub struct Obligations {
    /// By date; at most 50.
    #[schema(max_items = 50)]
    pub items: Vec<Obligation>,
}

/// Most obligations one agency may have.
pub const OBLIGATIONS_MAX: usize = 50;
/// Longest wording of one obligation.
pub const OBLIGATION_WHAT_MAX: usize = 1000;

/// Checks a list of obligations: dates in range, wording present; the same one twice is kept
/// once; sorted by date.
pub fn checked_obligations(
    list: Vec<Obligation>,
) -> Result<Vec<Obligation>, Vec<crate::domain::field::FieldError>> {
    use crate::domain::field::FieldError;
    let mut errors = Vec::new();
    if list.len() > OBLIGATIONS_MAX {
        errors.push(FieldError::new(
            format!("items[{OBLIGATIONS_MAX}]"),
            "too_many",
            "at most 50 obligations",
        ));
    }
    let mut out: Vec<Obligation> = Vec::new();
    for (i, o) in list.into_iter().enumerate() {
        if !(1990..=2100).contains(&o.date.year()) {
            errors.push(FieldError::new(
                format!("items[{i}].date"),
                "out_of_range",
                "must be a date from 1990 to 2100",
            ));
        }
        match crate::domain::text::required(
            &format!("items[{i}].what"),
            &o.what,
            OBLIGATION_WHAT_MAX,
        ) {
            Ok(what) => {
                let o = Obligation { date: o.date, what };
                if !out.contains(&o) {
                    out.push(o);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.sort_by(|a, b| (a.date, &a.what).cmp(&(b.date, &b.what)));
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct AgencyFacts {
    pub created: NaiveDate,
    pub settings: WorkflowSettings,
    pub active: Option<RevisionFacts>,
    /// Days on which versions were published.
    pub publications: Vec<NaiveDate>,
    /// Days of quarterly analyses: revisions opened for one, and quarterly reviews.
    pub quarterly_analyses: Vec<NaiveDate>,
    /// Days of yearly monitorings that found nothing to change (a review `no_changes`).
    pub yearly_reviews: Vec<NaiveDate>,
    pub obligations: Vec<Obligation>,
}

fn days(n: i32) -> u32 {
    n.max(0) as u32
}

/// The sum of the periods that are set; none when none is.
fn period(parts: &[Option<i32>]) -> Option<u32> {
    parts
        .iter()
        .flatten()
        .map(|n| days(*n))
        .reduce(|a, b| a + b)
}

/// The yearly due date in `year` (31 Feb and the like fall back to the month's last day).
fn yearly_due(month: i32, day: i32, year: i32) -> NaiveDate {
    let month = month.clamp(1, 12) as u32;
    let day = day.clamp(1, 31) as u32;
    // 31 April and the like: the month's last day; years outside chrono's range: the epoch
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .unwrap_or_default()
}

fn quarter_end(d: NaiveDate) -> NaiveDate {
    let q_last_month = ((d.month() - 1) / 3 + 1) * 3;
    let next = if q_last_month == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), q_last_month + 1, 1)
    };
    next.expect("valid date").pred_opt().expect("valid date")
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), ((d.month() - 1) / 3) * 3 + 1, 1).expect("valid date")
}

/// A year before `d` (29 Feb: 28 Feb).
fn year_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_months(chrono::Months::new(12))
        .unwrap_or_default()
}

/// Whether something happened in `(from, to]`.
fn any_in(days: &[NaiveDate], from: NaiveDate, to: NaiveDate) -> bool {
    days.iter().any(|d| *d > from && *d <= to)
}

/// Everything due for one agency on `today`. A period the settings leave null produces no
/// deadline.
pub fn compute(f: &AgencyFacts, cal: &WorkCalendar, today: NaiveDate) -> Vec<Deadline> {
    let s = &f.settings;
    let mut out = Vec::new();
    let mut push = |kind,
                    part: Option<&PartFacts>,
                    role,
                    revision_id,
                    since: Option<NaiveDate>,
                    due: NaiveDate| {
        out.push(Deadline {
            kind,
            unit_id: part.map(|p| p.key.clone()),
            unit_name: part.and_then(|p| p.unit_name.clone()),
            responsible_role: role,
            revision_id,
            what: None,
            since,
            due,
            overdue: today > due,
            working_days_left: cal.working_days_between(today, due),
        });
    };
    if let Some(r) = &f.active {
        for p in &r.parts {
            let rid = Some(r.id);
            match p.status {
                PartStatus::Submitted => {
                    let Some(sub) = p.submitted else { continue };
                    if let Some(n) = s.review_days {
                        let due = cal.add_working_days(sub, days(n));
                        push(
                            DeadlineKind::Review,
                            Some(p),
                            Role::Approver,
                            rid,
                            Some(sub),
                            due,
                        );
                    }
                    if let Some(n) =
                        period(&[s.review_days, s.return_days]).filter(|_| s.return_days.is_some())
                    {
                        let due = cal.add_working_days(sub, n);
                        push(
                            DeadlineKind::Return,
                            Some(p),
                            Role::Approver,
                            rid,
                            Some(sub),
                            due,
                        );
                    }
                }
                PartStatus::Draft | PartStatus::Returned => {
                    // a returned part stays returned until it is submitted again (editing it
                    // makes it a draft, with its return date kept)
                    if let Some(ret) = p.returned {
                        if let Some(n) = period(&[s.fix_days, s.resubmit_days]) {
                            let due = cal.add_working_days(ret, n);
                            push(
                                DeadlineKind::Fix,
                                Some(p),
                                Role::Submitter,
                                rid,
                                Some(ret),
                                due,
                            );
                        } else if let Some(n) = s.submit_days {
                            let due = cal.add_working_days(ret, days(n));
                            push(
                                DeadlineKind::Submit,
                                Some(p),
                                Role::Submitter,
                                rid,
                                Some(ret),
                                due,
                            );
                        }
                    } else if let Some(n) = s.submit_days {
                        let since = r.opened.max(p.created);
                        let due = cal.add_working_days(since, days(n));
                        push(
                            DeadlineKind::Submit,
                            Some(p),
                            Role::Submitter,
                            rid,
                            Some(since),
                            due,
                        );
                    }
                }
                PartStatus::Accepted => {}
            }
        }
        match (r.status, r.all_accepted, r.approved) {
            (RevisionStatus::Open | RevisionStatus::Approving, Some(all), _) => {
                if let Some(n) = s.consolidate_days {
                    let due = cal.add_working_days(all, days(n));
                    push(
                        DeadlineKind::Consolidate,
                        None,
                        Role::Approver,
                        Some(r.id),
                        Some(all),
                        due,
                    );
                }
            }
            (RevisionStatus::Approved, _, Some(approved)) => {
                if let Some(n) = s.publish_days {
                    let due = cal.add_working_days(approved, days(n));
                    push(
                        DeadlineKind::Publish,
                        None,
                        Role::Publisher,
                        Some(r.id),
                        Some(approved),
                        due,
                    );
                }
            }
            _ => {}
        }
    }
    // Yearly revision: the latest due date on or before today must be covered by a publication
    // (or a monitoring that found nothing to change) in the year before it; otherwise it is
    // overdue. Else the next due date not yet covered is reported.
    if let (Some(month), Some(day)) = (s.yearly_month, s.yearly_day) {
        let due_in = |year| yearly_due(month, day, year);
        let done: Vec<NaiveDate> = f
            .publications
            .iter()
            .chain(&f.yearly_reviews)
            .copied()
            .collect();
        let this_year = due_in(today.year());
        let last_due = if this_year <= today {
            this_year
        } else {
            due_in(today.year() - 1)
        };
        let window_start = due_in(last_due.year() - 1);
        if !any_in(&done, window_start, last_due) && f.created < last_due {
            push(
                DeadlineKind::YearlyRevision,
                None,
                Role::Approver,
                None,
                Some(window_start),
                last_due,
            );
        } else {
            let mut since = last_due;
            let mut next = due_in(last_due.year() + 1);
            if any_in(&done, since, next) {
                // the coming one is done already
                since = next;
                next = due_in(next.year() + 1);
            }
            push(
                DeadlineKind::YearlyRevision,
                None,
                Role::Approver,
                None,
                Some(since),
                next,
            );
        }
    }
    if s.quarterly_analysis {
        // the previous quarter must have had its analysis; else report the current one, or
        // the next one when the current one is done
        let done = &f.quarterly_analyses;
        let in_quarter =
            |start: NaiveDate| done.iter().any(|d| *d >= start && *d <= quarter_end(start));
        let prev_start = quarter_start(quarter_start(today).pred_opt().expect("valid date"));
        if !in_quarter(prev_start) && f.created < prev_start {
            push(
                DeadlineKind::QuarterlyAnalysis,
                None,
                Role::Submitter,
                None,
                Some(prev_start),
                quarter_end(prev_start),
            );
        } else {
            let mut start = quarter_start(today);
            if in_quarter(start) {
                start = quarter_end(start).succ_opt().expect("valid date");
            }
            push(
                DeadlineKind::QuarterlyAnalysis,
                None,
                Role::Submitter,
                None,
                Some(start),
                quarter_end(start),
            );
        }
    }
    for o in &f.obligations {
        let since = year_before(o.date);
        if !f.publications.iter().any(|p| *p > since) {
            out.push(Deadline {
                kind: DeadlineKind::Obligation,
                unit_id: None,
                unit_name: None,
                responsible_role: Role::Approver,
                revision_id: None,
                what: Some(o.what.clone()),
                since: Some(since),
                due: o.date,
                overdue: today > o.date,
                working_days_left: cal.working_days_between(today, o.date),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts(active: Option<RevisionFacts>) -> AgencyFacts {
        AgencyFacts {
            created: d("2024-01-10"),
            settings: WorkflowSettings::default(),
            active,
            publications: vec![d("2025-01-20")],
            quarterly_analyses: vec![],
            yearly_reviews: vec![],
            obligations: vec![],
        }
    }

    fn part(status: PartStatus, submitted: Option<&str>, returned: Option<&str>) -> PartFacts {
        PartFacts {
            key: "agency".into(),
            unit_name: None,
            status,
            created: d("2024-01-10"),
            submitted: submitted.map(d),
            returned: returned.map(d),
        }
    }

    #[test]
    fn review_is_due_five_working_days_after_submission_across_the_may_holidays() {
        let cal = WorkCalendar::official();
        // submitted on Wed 30 Apr 2025; 1–4 May and 8–11 May are days off
        let r = RevisionFacts {
            id: Uuid::nil(),
            status: RevisionStatus::Open,
            opened: d("2024-01-10"),
            all_accepted: None,
            approved: None,
            parts: vec![part(PartStatus::Submitted, Some("2025-04-30"), None)],
        };
        let out = compute(&facts(Some(r)), &cal, d("2025-05-06"));
        let review = out.iter().find(|x| x.kind == DeadlineKind::Review).unwrap();
        // 5, 6, 7, 12, 13 May
        assert_eq!(review.due, d("2025-05-13"));
        assert!(!review.overdue);
        assert_eq!(review.working_days_left, 3); // 7, 12, 13 May
        let out = compute(
            &facts(Some(RevisionFacts {
                id: Uuid::nil(),
                status: RevisionStatus::Open,
                opened: d("2024-01-10"),
                all_accepted: None,
                approved: None,
                parts: vec![part(PartStatus::Submitted, Some("2025-04-30"), None)],
            })),
            &cal,
            d("2025-05-14"),
        );
        assert!(
            out.iter()
                .find(|x| x.kind == DeadlineKind::Review)
                .unwrap()
                .overdue
        );
    }

    #[test]
    fn fix_includes_the_resubmission_day_and_publish_follows_the_agency_period() {
        let cal = WorkCalendar::official();
        let r = RevisionFacts {
            id: Uuid::nil(),
            status: RevisionStatus::Open,
            opened: d("2024-01-10"),
            all_accepted: None,
            approved: None,
            parts: vec![part(
                PartStatus::Returned,
                Some("2025-12-22"),
                Some("2025-12-24"),
            )],
        };
        let fix = compute(&facts(Some(r)), &cal, d("2025-12-25"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::Fix)
            .unwrap();
        // 5 + 1 working days from Wed 24 Dec 2025: 25, 26, 29, 30 Dec, then 31 Dec and 1–11 Jan are off → 12, 13 Jan
        assert_eq!(fix.due, d("2026-01-13"));
        let mut f = facts(Some(RevisionFacts {
            id: Uuid::nil(),
            status: RevisionStatus::Approved,
            opened: d("2025-03-01"),
            all_accepted: Some(d("2025-03-03")),
            approved: Some(d("2025-03-05")),
            parts: vec![],
        }));
        f.settings.publish_days = Some(5);
        let publish = compute(&f, &cal, d("2025-03-06"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::Publish)
            .unwrap();
        // 6, 7, (8 Mar holiday, Sat), 10, 11, 12
        assert_eq!(publish.due, d("2025-03-12"));
        assert_eq!(publish.responsible_role, Role::Publisher);
    }

    #[test]
    fn a_late_yearly_revision_is_overdue() {
        let cal = WorkCalendar::official();
        let mut f = facts(None);
        // published 20 Jan 2025: covers the 1 Feb 2025 revision, not the 1 Feb 2026 one
        let on_time = compute(&f, &cal, d("2025-06-01"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::YearlyRevision)
            .unwrap();
        assert!(!on_time.overdue);
        assert_eq!(on_time.due, d("2026-02-01"));
        let late = compute(&f, &cal, d("2026-03-01"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::YearlyRevision)
            .unwrap();
        assert!(late.overdue);
        assert_eq!(late.due, d("2026-02-01"));
        f.settings.yearly_month = Some(12);
        f.settings.yearly_day = Some(31);
        let monitoring = compute(&f, &cal, d("2025-06-01"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::YearlyRevision)
            .unwrap();
        // the 31 Dec 2024 monitoring had no publication during 2024
        assert_eq!(monitoring.due, d("2024-12-31"));
        assert!(monitoring.overdue);
    }

    #[test]
    fn quarterly_analysis_when_enabled() {
        let cal = WorkCalendar::official();
        let mut f = facts(None);
        f.settings.quarterly_analysis = true;
        let q = compute(&f, &cal, d("2025-05-15"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::QuarterlyAnalysis)
            .unwrap();
        assert!(q.overdue, "no analysis in Q1 2025");
        assert_eq!(q.due, d("2025-03-31"));
        f.quarterly_analyses.push(d("2025-03-20"));
        let q = compute(&f, &cal, d("2025-05-15"))
            .into_iter()
            .find(|x| x.kind == DeadlineKind::QuarterlyAnalysis)
            .unwrap();
        assert!(!q.overdue);
        assert_eq!(q.due, d("2025-06-30"));
    }

    fn open(parts: Vec<PartFacts>) -> Option<RevisionFacts> {
        Some(RevisionFacts {
            id: Uuid::nil(),
            status: RevisionStatus::Open,
            opened: d("2025-03-03"),
            all_accepted: Some(d("2025-03-20")),
            approved: None,
            parts,
        })
    }

    fn kinds(out: &[Deadline]) -> Vec<DeadlineKind> {
        out.iter().map(|x| x.kind).collect()
    }

    #[test]
    fn null_periods_and_a_null_yearly_date_produce_no_deadline() {
        let cal = WorkCalendar::official();
        let mut f = facts(open(vec![
            part(PartStatus::Submitted, Some("2025-03-04"), None),
            part(PartStatus::Returned, Some("2025-03-04"), Some("2025-03-05")),
        ]));
        f.settings.quarterly_analysis = true;
        let all = kinds(&compute(&f, &cal, d("2025-03-21")));
        for k in [
            DeadlineKind::Review,
            DeadlineKind::Return,
            DeadlineKind::Fix,
            DeadlineKind::Consolidate,
            DeadlineKind::YearlyRevision,
            DeadlineKind::QuarterlyAnalysis,
        ] {
            assert!(all.contains(&k), "{k:?} in {all:?}");
        }
        f.settings = WorkflowSettings {
            submit_days: None,
            review_days: None,
            return_days: None,
            fix_days: None,
            resubmit_days: None,
            consolidate_days: None,
            publish_days: None,
            yearly_month: None,
            yearly_day: None,
            ..WorkflowSettings::default()
        };
        assert_eq!(compute(&f, &cal, d("2025-03-21")), vec![]);
        // one of fix and resubmit is enough for the fix deadline
        f.settings.resubmit_days = Some(1);
        let out = compute(&f, &cal, d("2025-03-21"));
        assert_eq!(kinds(&out), vec![DeadlineKind::Fix]);
        assert_eq!(out[0].due, d("2025-03-06"));
        assert!(out[0].overdue);
    }

    #[test]
    fn the_approver_returns_or_accepts_after_the_check_and_unset_review_counts_nothing() {
        let cal = WorkCalendar::official();
        // submitted Fri 7 Mar 2025; Sat 8 Mar is a holiday anyway
        let mut f = facts(open(vec![part(
            PartStatus::Submitted,
            Some("2025-03-07"),
            None,
        )]));
        let ret = |f: &AgencyFacts, on| {
            compute(f, &cal, d(on))
                .into_iter()
                .find(|x| x.kind == DeadlineKind::Return)
        };
        // 5 working days to check (10–14 Mar), then 1 to return: Mon 17 Mar
        let r = ret(&f, "2025-03-17").unwrap();
        assert_eq!(r.due, d("2025-03-17"));
        assert_eq!(r.responsible_role, Role::Approver);
        assert_eq!(r.unit_id.as_deref(), Some("agency"));
        assert!(!r.overdue);
        assert!(ret(&f, "2025-03-18").unwrap().overdue);
        f.settings.review_days = None;
        assert_eq!(ret(&f, "2025-03-10").unwrap().due, d("2025-03-10"));
        assert!(ret(&f, "2025-03-11").unwrap().overdue);
        f.settings.return_days = None;
        assert!(ret(&f, "2025-03-11").is_none());
    }

    #[test]
    fn a_unit_submits_within_submit_days_of_the_opening_or_of_the_return() {
        let cal = WorkCalendar::official();
        let mut f = facts(open(vec![
            PartFacts {
                key: "u1".into(),
                unit_name: Some("Отдел".into()),
                ..part(PartStatus::Draft, None, None)
            },
            part(PartStatus::Draft, Some("2025-03-04"), Some("2025-03-05")),
        ]));
        assert!(!kinds(&compute(&f, &cal, d("2025-03-05"))).contains(&DeadlineKind::Submit));
        f.settings.submit_days = Some(1);
        let out = compute(&f, &cal, d("2025-03-05"));
        let submit = out.iter().find(|x| x.kind == DeadlineKind::Submit).unwrap();
        // opened Mon 3 Mar: due Tue 4 Mar, for the unit's submitter
        assert_eq!(submit.unit_id.as_deref(), Some("u1"));
        assert_eq!(submit.unit_name.as_deref(), Some("Отдел"));
        assert_eq!(submit.responsible_role, Role::Submitter);
        assert_eq!(
            (submit.since, submit.due),
            (Some(d("2025-03-03")), d("2025-03-04"))
        );
        assert!(submit.overdue);
        // the returned (then edited) part follows the fix period while there is one
        let agency: Vec<_> = out
            .iter()
            .filter(|x| x.unit_id.as_deref() == Some("agency"))
            .collect();
        assert_eq!(agency.len(), 1);
        assert_eq!(agency[0].kind, DeadlineKind::Fix);
        f.settings.fix_days = None;
        f.settings.resubmit_days = None;
        let out = compute(&f, &cal, d("2025-03-05"));
        let again = out
            .iter()
            .find(|x| x.kind == DeadlineKind::Submit && x.unit_id.as_deref() == Some("agency"))
            .unwrap();
        assert_eq!(
            (again.since, again.due),
            (Some(d("2025-03-05")), d("2025-03-06"))
        );
        assert!(!again.overdue);
    }

    #[test]
    fn reviews_without_changes_meet_the_quarter_and_the_year() {
        let cal = WorkCalendar::official();
        let mut f = facts(None);
        f.settings.quarterly_analysis = true;
        f.quarterly_analyses.push(d("2025-03-20"));
        let q = |f: &AgencyFacts| {
            compute(f, &cal, d("2025-05-15"))
                .into_iter()
                .find(|x| x.kind == DeadlineKind::QuarterlyAnalysis)
                .unwrap()
        };
        assert_eq!(q(&f).due, d("2025-06-30"));
        // this quarter's analysis done: the next quarter is what is due
        f.quarterly_analyses.push(d("2025-05-14"));
        assert_eq!(
            (q(&f).since, q(&f).due),
            (Some(d("2025-07-01")), d("2025-09-30"))
        );
        // the 31 Dec monitoring: a review without changes on 25 Dec 2024 covers it
        f.settings.yearly_month = Some(12);
        f.settings.yearly_day = Some(31);
        f.publications.clear();
        let y = |f: &AgencyFacts, on| {
            compute(f, &cal, d(on))
                .into_iter()
                .find(|x| x.kind == DeadlineKind::YearlyRevision)
                .unwrap()
        };
        assert!(y(&f, "2025-06-01").overdue);
        f.yearly_reviews.push(d("2024-12-25"));
        let year = y(&f, "2025-06-01");
        assert!(!year.overdue);
        assert_eq!(year.due, d("2025-12-31"));
        // and this year's, done early, moves the next one to the year after
        f.yearly_reviews.push(d("2025-11-20"));
        assert_eq!(y(&f, "2025-12-01").due, d("2026-12-31"));
    }

    #[test]
    fn an_obligation_is_met_by_a_publication_in_its_year_or_later() {
        let cal = WorkCalendar::official();
        let mut f = facts(None);
        f.publications.clear();
        f.obligations.push(Obligation {
            date: d("2024-04-01"),
            what: "Первый перечень".into(),
        });
        let ob = |f: &AgencyFacts, on| {
            compute(f, &cal, d(on))
                .into_iter()
                .find(|x| x.kind == DeadlineKind::Obligation)
        };
        let before = ob(&f, "2024-03-01").unwrap();
        assert!(!before.overdue);
        assert_eq!(before.what.as_deref(), Some("Первый перечень"));
        assert_eq!(before.responsible_role, Role::Approver);
        assert!(ob(&f, "2024-04-02").unwrap().overdue);
        // a publication two years earlier does not count; one in time or later does
        f.publications.push(d("2022-05-01"));
        assert!(ob(&f, "2024-04-02").unwrap().overdue);
        f.publications.push(d("2024-06-10"));
        assert!(ob(&f, "2024-07-01").is_none());
    }

    #[test]
    fn obligations_are_checked_deduplicated_and_sorted() {
        let o = |date: &str, what: &str| Obligation {
            date: d(date),
            what: what.into(),
        };
        let list = checked_obligations(vec![
            o("2025-01-01", "Б"),
            o("2024-04-01", " А "),
            o("2024-04-01", "А"),
        ])
        .unwrap();
        assert_eq!(list, vec![o("2024-04-01", "А"), o("2025-01-01", "Б")]);
        let e = checked_obligations(vec![o("1900-01-01", "x"), o("2024-01-01", "  ")]).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["items[0].date", "items[1].what"]);
    }
}
