//! The headline figures per region as Prometheus gauges, refreshed on a scrape at most every
//! 30 seconds: agencies with a published register, touchpoints, digital share, agencies with
//! something overdue.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::PgConnection;

use super::{db, Figures};
use crate::error::ApiResult;

/// One region's headline figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headline {
    pub agencies: i64,
    pub published: i64,
    pub touchpoints: i64,
    pub digital_share: f64,
    pub overdue: i64,
}

/// Every region's headline figures: the current versions' figures (kept per version) and the
/// deadlines of every agency, computed as `/deadlines` computes them.
pub fn headlines(c: &mut PgConnection) -> ApiResult<BTreeMap<String, Headline>> {
    let currents = db::all_currents(c)?;
    let ids: Vec<uuid::Uuid> = currents.iter().filter_map(|(_, a)| a.version_id).collect();
    let figures = db::figures(c, &ids)?;
    let mut sums: BTreeMap<String, (Headline, Figures)> = BTreeMap::new();
    for (region, a) in &currents {
        let (h, f) = sums.entry(region.clone()).or_default();
        h.agencies += 1;
        if let Some(v) = a.version_id.and_then(|v| figures.get(&v)) {
            h.published += 1;
            f.add(v);
        }
    }
    use crate::schema::agencies;
    use diesel::prelude::*;
    let list = agencies::table
        .select((
            agencies::id,
            agencies::name,
            agencies::parent_id,
            agencies::region,
            agencies::created_at,
        ))
        .load(c)?;
    let on = crate::calendar::local_date(chrono::Utc::now());
    for r in super::api::deadline_rows(c, list, on)? {
        if r.overdue > 0 {
            if let Some((h, _)) = sums.get_mut(&r.region) {
                h.overdue += 1;
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|(region, (mut h, f))| {
            h.touchpoints = f.touchpoints;
            h.digital_share = f.digital_share;
            (region, h)
        })
        .collect())
}

static LAST: Mutex<Option<HashMap<usize, Instant>>> = Mutex::new(None);

/// Whether the gauges are due for a refresh from the database `key` names (the pool's
/// address: tests run several apps in one process), and if so marks them refreshed now.
pub fn due(key: usize) -> bool {
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let last = last.get_or_insert_with(HashMap::new);
    match last.get(&key) {
        Some(t) if t.elapsed() < Duration::from_secs(30) => false,
        _ => {
            last.insert(key, Instant::now());
            true
        }
    }
}
