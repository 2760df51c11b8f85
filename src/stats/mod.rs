//! Figures for dashboards: counts of a register computed once from its content (R4, R5, R6),
//! summed over a region, and the age of a version in working days (R11, R12). Plain values
//! and functions; `db` gathers the inputs, `api` serves them.

pub mod api;
pub mod db;
pub mod gauges;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::calendar::{local_date, WorkCalendar};
use crate::domain::Mode;
use crate::touchpoints::rules::mode_conflict;
use crate::workflow::snapshot::RegisterContent;

/// Touchpoints counted by digital/offline mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ModeCounts {
    pub digital: i64,
    pub offline: i64,
}

impl ModeCounts {
    fn add(&mut self, m: Mode) {
        match m {
            Mode::Digital => self.digital += 1,
            Mode::Offline => self.offline += 1,
        }
    }
}

/// Touchpoints counted by the mark written in column 6, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatedModeCounts {
    pub digital: i64,
    pub offline: i64,
    /// No digital/offline mark written (the agency's rule decides).
    pub unstated: i64,
}

/// The figures of one register (or of several, summed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Processes in the register (each counted once, with or without touchpoints).
    #[schema(example = 12)]
    pub processes: i64,
    /// Touchpoints (rows with columns 4–6 filled).
    #[schema(example = 40)]
    pub touchpoints: i64,
    /// Touchpoints by channel type code (`GET /api/v1/catalogs/channel-types`).
    #[schema(example = json!({"phone": 12, "website": 8}))]
    pub by_channel: BTreeMap<String, i64>,
    /// Touchpoints by effective mode: the mark written in column 6, else the one the agency's
    /// channel rule implies (R6). `digital + offline = touchpoints`.
    pub by_mode: ModeCounts,
    /// Touchpoints by the mark written in column 6 (`unstated` when none is written).
    pub by_stated_mode: StatedModeCounts,
    /// Touchpoints by the mode the agency's channel rule implies, whatever column 6 says
    /// (what the register's `mode` filter selects on).
    pub by_implied_mode: ModeCounts,
    /// Touchpoints by client need code; a touchpoint serving several needs counts under each.
    #[schema(example = json!({"consultation": 20, "information": 15}))]
    pub by_need: BTreeMap<String, i64>,
    /// Touchpoints by the client type of their process (`external`, `internal`, `both`).
    #[schema(example = json!({"external": 30, "internal": 10}))]
    pub by_client_type: BTreeMap<String, i64>,
    /// `by_mode.digital / touchpoints`, 0 to 1 rounded to 4 places; 0 without touchpoints.
    #[schema(example = 0.35, minimum = 0, maximum = 1)]
    pub digital_share: f64,
    /// Processes with no touchpoint (the rule checker's R4 `process_without_touchpoint`).
    pub processes_without_touchpoints: i64,
    /// Touchpoints that list no client need (R5 `touchpoint_without_needs`).
    pub touchpoints_without_needs: i64,
    /// Touchpoints whose written mark contradicts the agency's rule (R6 `mode_contradicts_rule`).
    pub mode_conflicts: i64,
}

fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

impl Figures {
    /// Counts a register's rows: a row with a touchpoint is one touchpoint; a row without one
    /// is a process without touchpoints.
    pub fn of(content: &RegisterContent) -> Figures {
        let mut f = Figures::default();
        let mut processes = HashSet::new();
        for r in &content.rows {
            processes.insert(r.process_id);
            let Some(t) = &r.touchpoint else {
                f.processes_without_touchpoints += 1;
                continue;
            };
            f.touchpoints += 1;
            *f.by_channel.entry(t.channel.clone()).or_default() += 1;
            *f.by_client_type
                .entry(r.client_type.as_str().to_owned())
                .or_default() += 1;
            f.by_mode.add(t.stated_mode.unwrap_or(t.implied_mode));
            f.by_implied_mode.add(t.implied_mode);
            match t.stated_mode {
                Some(Mode::Digital) => f.by_stated_mode.digital += 1,
                Some(Mode::Offline) => f.by_stated_mode.offline += 1,
                None => f.by_stated_mode.unstated += 1,
            }
            if t.needs.is_empty() {
                f.touchpoints_without_needs += 1;
            }
            // a need listed twice on one touchpoint counts once
            let needs: HashSet<&str> = t.needs.iter().map(|n| n.code.as_str()).collect();
            for n in needs {
                *f.by_need.entry(n.to_owned()).or_default() += 1;
            }
            if mode_conflict(t.stated_mode, t.implied_mode) {
                f.mode_conflicts += 1;
            }
        }
        f.processes = processes.len() as i64;
        f.digital_share = share(f.by_mode.digital, f.touchpoints);
        f
    }

    /// Adds another register's figures (the share is recomputed from the sums).
    pub fn add(&mut self, o: &Figures) {
        fn merge(a: &mut BTreeMap<String, i64>, b: &BTreeMap<String, i64>) {
            for (k, v) in b {
                *a.entry(k.clone()).or_default() += v;
            }
        }
        self.processes += o.processes;
        self.touchpoints += o.touchpoints;
        merge(&mut self.by_channel, &o.by_channel);
        merge(&mut self.by_need, &o.by_need);
        merge(&mut self.by_client_type, &o.by_client_type);
        self.by_mode.digital += o.by_mode.digital;
        self.by_mode.offline += o.by_mode.offline;
        self.by_implied_mode.digital += o.by_implied_mode.digital;
        self.by_implied_mode.offline += o.by_implied_mode.offline;
        self.by_stated_mode.digital += o.by_stated_mode.digital;
        self.by_stated_mode.offline += o.by_stated_mode.offline;
        self.by_stated_mode.unstated += o.by_stated_mode.unstated;
        self.processes_without_touchpoints += o.processes_without_touchpoints;
        self.touchpoints_without_needs += o.touchpoints_without_needs;
        self.mode_conflicts += o.mode_conflicts;
        self.digital_share = share(self.by_mode.digital, self.touchpoints);
    }
}

/// Working days from the approval (a Moscow date) to `today`; 0 on the day itself.
pub fn age_working_days(cal: &WorkCalendar, approved_at: DateTime<Utc>, today: NaiveDate) -> i64 {
    cal.working_days_between(local_date(approved_at), today)
        .max(0)
}

/// What the figures were computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The current published version.
    Published,
    /// The working copy as it is now (not yet published).
    WorkingCopy,
}

/// The figures of one agency's register, with the version they describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgencyStats {
    pub agency_id: Uuid,
    /// The agency's name.
    pub agency: String,
    /// The ministry (or other body) a subordinate organization belongs to; null for a
    /// top-level body. A dashboard nests organizations under it.
    pub parent_id: Option<Uuid>,
    pub basis: Basis,
    /// The current published version's number; null when nothing is published (all figures
    /// of a published basis are then 0).
    #[schema(example = 3)]
    pub version: Option<i32>,
    /// When the current published version was approved; null when nothing is published.
    pub approved_at: Option<DateTime<Utc>>,
    /// When the current published version was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Working days (production calendar) from the approval day to `on`; null when nothing
    /// is published. R11/R12: a register is revised at least yearly.
    #[schema(example = 120)]
    pub age_working_days: Option<i64>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One agency of a region with its current version (or none), as `db` lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub agency_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub version_id: Option<Uuid>,
    pub number: Option<i32>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

impl AgencyStats {
    pub fn published(
        a: &Current,
        figures: Option<&Figures>,
        cal: &WorkCalendar,
        on: NaiveDate,
    ) -> AgencyStats {
        AgencyStats {
            agency_id: a.agency_id,
            agency: a.name.clone(),
            parent_id: a.parent_id,
            basis: Basis::Published,
            version: a.number,
            approved_at: a.approved_at,
            published_at: a.published_at,
            age_working_days: a.approved_at.map(|t| age_working_days(cal, t, on)),
            figures: figures.cloned().unwrap_or_default(),
        }
    }
}

/// The agencies in tree order: top-level bodies by name, each followed by its subordinate
/// organizations (by name, depth first). An organization whose parent is not in the list is
/// placed as a top-level one.
pub fn tree_order(mut list: Vec<AgencyStats>) -> Vec<AgencyStats> {
    list.sort_by(|a, b| a.agency.cmp(&b.agency).then(a.agency_id.cmp(&b.agency_id)));
    let ids: HashSet<Uuid> = list.iter().map(|a| a.agency_id).collect();
    let mut children: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, a) in list.iter().enumerate() {
        match a.parent_id.filter(|p| ids.contains(p) && *p != a.agency_id) {
            Some(p) => children.entry(p).or_default().push(i),
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(list.len());
    let mut seen = vec![false; list.len()];
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push(i);
        if let Some(kids) = children.get(&list[i].agency_id) {
            stack.extend(kids.iter().rev());
        }
    }
    // a cycle of parents (not expected) leaves nodes unreached: keep them, at the end
    order.extend((0..list.len()).filter(|i| !seen[*i]));
    let mut slots: Vec<Option<AgencyStats>> = list.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Sums the agencies' figures.
pub fn total<'a>(items: impl IntoIterator<Item = &'a AgencyStats>) -> Figures {
    let mut f = Figures::default();
    for a in items {
        f.add(&a.figures);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientType, ProcessKind};
    use crate::workflow::snapshot::{AgencyInfo, NeedRef, RegisterRow, RowTouchpoint};

    fn row(process: Uuid, tp: Option<(&str, &[&str], Option<Mode>, Mode)>) -> RegisterRow {
        RegisterRow {
            n: 1,
            direction_id: Uuid::nil(),
            direction_code: None,
            direction: "d".into(),
            process_id: process,
            process: "p".into(),
            registry_code: None,
            process_kind: ProcessKind::Function,
            client_type: ClientType::External,
            unit_id: None,
            unit: None,
            touchpoint: tp.map(|(channel, needs, stated, implied)| RowTouchpoint {
                id: Uuid::new_v4(),
                channel: channel.into(),
                channel_label: String::new(),
                name: "t".into(),
                as_written: None,
                contacts: vec![],
                needs: needs
                    .iter()
                    .map(|n| NeedRef {
                        code: (*n).into(),
                        label: String::new(),
                    })
                    .collect(),
                interaction: None,
                features: None,
                stated_mode: stated,
                implied_mode: implied,
                external_id: None,
                hours: None,
                address: None,
                geo: None,
                accessibility: None,
            }),
            process_external_id: None,
        }
    }

    fn content(rows: Vec<RegisterRow>) -> RegisterContent {
        RegisterContent {
            agency: AgencyInfo {
                id: Uuid::nil(),
                parent_id: None,
                name: "x".into(),
                short_name: None,
                region: "r".into(),
                website: None,
            },
            columns: vec![],
            rows,
            profile: None,
            approval: None,
        }
    }

    #[test]
    fn figures_count_rows_by_channel_mode_need_and_findings() {
        let (p1, p2, p3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut internal = row(
            p2,
            Some((
                "website",
                &["information", "information"],
                None,
                Mode::Digital,
            )),
        );
        internal.client_type = ClientType::Internal;
        let c = content(vec![
            row(p1, Some(("phone", &["consultation"], None, Mode::Offline))),
            // written digital, the rule says offline: a conflict, effective digital
            row(
                p1,
                Some((
                    "phone",
                    &["consultation", "result"],
                    Some(Mode::Digital),
                    Mode::Offline,
                )),
            ),
            internal,
            row(
                p2,
                Some(("website", &[], Some(Mode::Digital), Mode::Digital)),
            ),
            row(p3, None),
        ]);
        let f = Figures::of(&c);
        assert_eq!(f.processes, 3);
        assert_eq!(f.touchpoints, 4);
        assert_eq!(f.by_channel["phone"], 2);
        assert_eq!(f.by_channel["website"], 2);
        assert_eq!(
            f.by_mode,
            ModeCounts {
                digital: 3,
                offline: 1
            }
        );
        assert_eq!(
            f.by_implied_mode,
            ModeCounts {
                digital: 2,
                offline: 2
            }
        );
        assert_eq!(
            f.by_stated_mode,
            StatedModeCounts {
                digital: 2,
                offline: 0,
                unstated: 2
            }
        );
        assert_eq!(f.by_need["consultation"], 2);
        assert_eq!(
            f.by_need["information"], 1,
            "a need listed twice counts once"
        );
        assert_eq!(f.by_need["result"], 1);
        assert_eq!(f.by_client_type["external"], 3);
        assert_eq!(f.by_client_type["internal"], 1);
        assert_eq!(f.digital_share, 0.75);
        assert_eq!(f.processes_without_touchpoints, 1);
        assert_eq!(f.touchpoints_without_needs, 1);
        assert_eq!(f.mode_conflicts, 1);
        // the same things the rule checker reports
        let findings = crate::rules::check(&c);
        let n = |code: &str| findings.iter().filter(|x| x.code == code).count() as i64;
        assert_eq!(
            n("process_without_touchpoint"),
            f.processes_without_touchpoints
        );
        assert_eq!(n("touchpoint_without_needs"), f.touchpoints_without_needs);
        assert_eq!(n("mode_contradicts_rule"), f.mode_conflicts);
    }

    #[test]
    fn sums_add_up_and_the_share_is_recomputed() {
        let a = Figures::of(&content(vec![row(
            Uuid::new_v4(),
            Some(("phone", &["consultation"], None, Mode::Offline)),
        )]));
        let b = Figures::of(&content(vec![
            row(
                Uuid::new_v4(),
                Some(("website", &["information"], None, Mode::Digital)),
            ),
            row(
                Uuid::new_v4(),
                Some(("website", &["information"], None, Mode::Digital)),
            ),
        ]));
        let mut s = Figures::default();
        s.add(&a);
        s.add(&b);
        assert_eq!(s.touchpoints, 3);
        assert_eq!(s.processes, 3);
        assert_eq!(s.by_channel["website"], 2);
        assert_eq!(s.digital_share, 0.6667);
        assert_eq!(Figures::of(&content(vec![])).digital_share, 0.0);
    }

    #[test]
    fn age_counts_working_days_since_the_moscow_approval_day() {
        let cal = WorkCalendar::official();
        // approved Friday 2026-11-20 23:00 Moscow (20:00 UTC)
        let at = "2026-11-20T20:00:00Z".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(age_working_days(&cal, at, monday), 1);
        assert_eq!(
            age_working_days(&cal, at, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            0
        );
        // 21:30 UTC is already Saturday in Moscow
        let late = "2026-11-20T21:30:00Z".parse().unwrap();
        assert_eq!(age_working_days(&cal, late, monday), 1);
    }

    fn stats(id: Uuid, name: &str, parent: Option<Uuid>) -> AgencyStats {
        AgencyStats {
            agency_id: id,
            agency: name.into(),
            parent_id: parent,
            basis: Basis::Published,
            version: None,
            approved_at: None,
            published_at: None,
            age_working_days: None,
            figures: Figures::default(),
        }
    }

    #[test]
    fn organizations_follow_their_ministry() {
        let (m1, m2, o1, o2, oo, orphan) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let list = vec![
            stats(o1, "Б учреждение", Some(m2)),
            stats(m1, "Министерство А", None),
            stats(oo, "В под-учреждение", Some(o2)),
            stats(m2, "Министерство Б", None),
            stats(o2, "А учреждение", Some(m2)),
            stats(orphan, "Г учреждение", Some(Uuid::new_v4())),
        ];
        let names: Vec<String> = tree_order(list).into_iter().map(|a| a.agency).collect();
        assert_eq!(
            names,
            [
                "Г учреждение",
                "Министерство А",
                "Министерство Б",
                "А учреждение",
                "В под-учреждение",
                "Б учреждение"
            ]
        );
    }
}
