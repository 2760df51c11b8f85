//! Published versions are immutable, so their rendered bodies are cached by (agency, number)
//! for as long as the process lives: any instance may cache them and never disagree with
//! another. The one mutable fact, which version is an agency's current one, is kept in step
//! across instances by PostgreSQL's LISTEN/NOTIFY (publication notifies at commit); while the
//! listener is disconnected, lookups fall back to the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::web::Bytes;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::register::RegisterContent;
use crate::error::ApiResult;
use crate::schema::register_versions;

pub const CHANNEL: &str = "touchpoints_versions";

/// A version ready to serve.
pub struct Rendered {
    pub agency_id: Uuid,
    pub number: i32,
    pub sha256: String,
    /// The JSON body of the version resource.
    pub json: Bytes,
    pub content: RegisterContent,
    pub approved_at: chrono::DateTime<chrono::Utc>,
    pub published_at: chrono::DateTime<chrono::Utc>,
    /// Each row as a row of the region view (JSON), serialised the first time a region view
    /// needs them: pages are then put together from these bytes.
    pub region_rows: std::sync::OnceLock<Vec<Bytes>>,
}

/// The current versions of one region's bodies, in name order.
pub type RegionIndex = Arc<Vec<Arc<Rendered>>>;

#[derive(Default)]
pub struct PublicCache {
    versions: RwLock<HashMap<(Uuid, i32), Arc<Rendered>>>,
    current: RwLock<HashMap<Uuid, i32>>,
    listening: AtomicBool,
    /// Bumped whenever a current pointer changes; region indexes built under an older one are stale.
    generation: AtomicU64,
    regions: RwLock<HashMap<String, (u64, RegionIndex)>>,
}

/// At most this many rendered versions are kept; beyond it the cache is cleared (all entries
/// are immutable, so a refill is only a cost, never a staleness).
const MAX_VERSIONS: usize = 4096;

impl PublicCache {
    pub fn new() -> Arc<Self> {
        Arc::new(PublicCache::default())
    }

    pub fn version(&self, agency_id: Uuid, number: i32) -> Option<Arc<Rendered>> {
        self.versions
            .read()
            .ok()?
            .get(&(agency_id, number))
            .cloned()
    }

    pub fn put(&self, r: Arc<Rendered>) {
        if let Ok(mut m) = self.versions.write() {
            if m.len() >= MAX_VERSIONS {
                m.clear();
            }
            m.insert((r.agency_id, r.number), r);
        }
    }

    /// The current version number, when the listener is keeping it fresh.
    pub fn current(&self, agency_id: Uuid) -> Option<Option<i32>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        Some(self.current.read().ok()?.get(&agency_id).copied())
    }

    /// Every agency with a published version, when the listener is keeping it fresh.
    pub fn current_all(&self) -> Option<HashMap<Uuid, i32>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        self.current.read().ok().map(|m| m.clone())
    }

    /// Records a version as current (from a notification, or right after this instance published it).
    pub fn note(&self, agency_id: Uuid, number: i32) {
        if let Ok(mut m) = self.current.write() {
            let e = m.entry(agency_id).or_insert(number);
            *e = (*e).max(number);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The region's index, when the listener is live and nothing was published since it was built.
    pub fn region(&self, region: &str) -> Option<(u64, Option<RegionIndex>)> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let generation = self.generation.load(Ordering::Acquire);
        let hit = self
            .regions
            .read()
            .ok()?
            .get(region)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| Arc::clone(v));
        Some((generation, hit))
    }

    pub fn put_region(&self, region: &str, generation: u64, index: RegionIndex) {
        if let Ok(mut m) = self.regions.write() {
            if m.len() >= 1024 {
                m.clear();
            }
            m.insert(region.to_owned(), (generation, index));
        }
    }

    fn reload(&self, conn: &mut PgConnection) -> ApiResult<()> {
        let rows: Vec<(Uuid, Option<i32>)> = register_versions::table
            .group_by(register_versions::agency_id)
            .select((
                register_versions::agency_id,
                diesel::dsl::max(register_versions::number),
            ))
            .load(conn)?;
        if let Ok(mut m) = self.current.write() {
            *m = rows
                .into_iter()
                .filter_map(|(a, n)| n.map(|n| (a, n)))
                .collect();
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Starts the listener thread. It LISTENs first and reloads second, so no publication
    /// between the two is missed.
    pub fn start_listener(
        self: &Arc<Self>,
        database_url: String,
        background: &crate::background::Background,
    ) {
        let cache = Arc::clone(self);
        background.spawn("version-listener", move |bg| {
            while !bg.stopping() {
                if let Err(e) = cache.listen(&database_url, &bg) {
                    tracing::warn!(error = %e, "version listener disconnected; serving current versions from the database meanwhile");
                }
                cache.listening.store(false, Ordering::Release);
                bg.sleep(Duration::from_secs(1));
            }
        });
    }

    fn listen(&self, database_url: &str, bg: &crate::background::Background) -> anyhow::Result<()> {
        use diesel::Connection;
        let mut conn = PgConnection::establish(database_url)?;
        diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
        self.reload(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.listening.store(true, Ordering::Release);
        let mut idle = 0u32;
        while !bg.stopping() {
            let mut got = false;
            for n in conn.notifications_iter() {
                let n = n?;
                got = true;
                if let Some((a, v)) = n.payload.split_once(':') {
                    if let (Ok(a), Ok(v)) = (a.parse(), v.parse()) {
                        self.note(a, v);
                    }
                }
            }
            if got {
                idle = 0;
            } else {
                idle += 1;
                // a cheap round trip now and then notices a dead connection
                if idle % 400 == 0 {
                    diesel::sql_query("SELECT 1").execute(&mut conn)?;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        Ok(())
    }
}

/// Called inside the publishing transaction: PostgreSQL delivers it at commit, to every instance.
pub fn notify(conn: &mut PgConnection, agency_id: Uuid, number: i32) -> ApiResult<()> {
    diesel::sql_query(format!(
        "SELECT pg_notify('{CHANNEL}', '{agency_id}:{number}')"
    ))
    .execute(conn)?;
    Ok(())
}
