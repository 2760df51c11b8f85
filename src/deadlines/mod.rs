//! Deadlines in working days (R10–R12): what is due and what is overdue, per agency and per
//! unit. [`compute`] is a plain function of the facts and the calendar; `api` gathers them.

pub mod api;

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
    /// The authorised unit checks a submitted part (004 §14).
    Review,
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
    pub submitted: Option<NaiveDate>,
    pub returned: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct RevisionFacts {
    pub id: Uuid,
    pub status: RevisionStatus,
    pub all_accepted: Option<NaiveDate>,
    pub approved: Option<NaiveDate>,
    pub parts: Vec<PartFacts>,
}

#[derive(Debug, Clone)]
pub struct AgencyFacts {
    pub created: NaiveDate,
    pub settings: WorkflowSettings,
    pub active: Option<RevisionFacts>,
    /// Days on which versions were published.
    pub publications: Vec<NaiveDate>,
    /// Days on which revisions for the quarterly analysis were opened.
    pub quarterly_analyses: Vec<NaiveDate>,
}

fn days(n: i32) -> u32 {
    n.max(0) as u32
}

/// The yearly due date in `year` (31 Feb and the like fall back to the month's last day).
fn yearly_due(s: &WorkflowSettings, year: i32) -> NaiveDate {
    let month = s.yearly_month.clamp(1, 12) as u32;
    let day = s.yearly_day.clamp(1, 31) as u32;
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

/// Everything due for one agency on `today`.
pub fn compute(f: &AgencyFacts, cal: &WorkCalendar, today: NaiveDate) -> Vec<Deadline> {
    let s = &f.settings;
    let mut out = Vec::new();
    let mut push = |kind,
                    unit_id: Option<String>,
                    unit_name: Option<String>,
                    role,
                    revision_id,
                    since: Option<NaiveDate>,
                    due: NaiveDate| {
        out.push(Deadline {
            kind,
            unit_id,
            unit_name,
            responsible_role: role,
            revision_id,
            since,
            due,
            overdue: today > due,
            working_days_left: cal.working_days_between(today, due),
        });
    };
    if let Some(r) = &f.active {
        for p in &r.parts {
            match (p.status, p.submitted, p.returned) {
                (PartStatus::Submitted, Some(sub), _) => push(
                    DeadlineKind::Review,
                    Some(p.key.clone()),
                    p.unit_name.clone(),
                    Role::Approver,
                    Some(r.id),
                    Some(sub),
                    cal.add_working_days(sub, days(s.review_days)),
                ),
                (PartStatus::Returned, _, Some(ret)) => push(
                    DeadlineKind::Fix,
                    Some(p.key.clone()),
                    p.unit_name.clone(),
                    Role::Submitter,
                    Some(r.id),
                    Some(ret),
                    cal.add_working_days(ret, days(s.fix_days + s.resubmit_days)),
                ),
                _ => {}
            }
        }
        match (r.status, r.all_accepted, r.approved) {
            (RevisionStatus::Open | RevisionStatus::Approving, Some(all), _) => push(
                DeadlineKind::Consolidate,
                None,
                None,
                Role::Approver,
                Some(r.id),
                Some(all),
                cal.add_working_days(all, days(s.consolidate_days)),
            ),
            (RevisionStatus::Approved, _, Some(approved)) => push(
                DeadlineKind::Publish,
                None,
                None,
                Role::Publisher,
                Some(r.id),
                Some(approved),
                cal.add_working_days(approved, days(s.publish_days)),
            ),
            _ => {}
        }
    }
    // Yearly revision: the latest due date on or before today must be covered by a publication
    // in the year before it; otherwise it is overdue. Else the next due date is reported.
    let this_year = yearly_due(s, today.year());
    let last_due = if this_year <= today {
        this_year
    } else {
        yearly_due(s, today.year() - 1)
    };
    let window_start = yearly_due(s, last_due.year() - 1);
    let covered = f
        .publications
        .iter()
        .any(|d| *d > window_start && *d <= last_due);
    if !covered && f.created < last_due {
        push(
            DeadlineKind::YearlyRevision,
            None,
            None,
            Role::Approver,
            None,
            Some(window_start),
            last_due,
        );
    } else {
        let next = if this_year > today {
            this_year
        } else {
            yearly_due(s, today.year() + 1)
        };
        push(
            DeadlineKind::YearlyRevision,
            None,
            None,
            Role::Approver,
            None,
            Some(last_due),
            next,
        );
    }
    if s.quarterly_analysis {
        // the previous quarter must have had its analysis; else report the current one
        let prev_end = quarter_start(today).pred_opt().expect("valid date");
        let prev_start = quarter_start(prev_end);
        let done_prev = f
            .quarterly_analyses
            .iter()
            .any(|d| *d >= prev_start && *d <= prev_end);
        if !done_prev && f.created < prev_start {
            push(
                DeadlineKind::QuarterlyAnalysis,
                None,
                None,
                Role::Submitter,
                None,
                Some(prev_start),
                prev_end,
            );
        } else {
            push(
                DeadlineKind::QuarterlyAnalysis,
                None,
                None,
                Role::Submitter,
                None,
                Some(quarter_start(today)),
                quarter_end(today),
            );
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
        }
    }

    fn part(status: PartStatus, submitted: Option<&str>, returned: Option<&str>) -> PartFacts {
        PartFacts {
            key: "agency".into(),
            unit_name: None,
            status,
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
            all_accepted: Some(d("2025-03-03")),
            approved: Some(d("2025-03-05")),
            parts: vec![],
        }));
        f.settings.publish_days = 5;
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
        f.settings.yearly_month = 12;
        f.settings.yearly_day = 31;
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
}
