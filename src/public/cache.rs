//! Published versions are immutable, so their rendered bodies are cached by (agency, number):
//! any instance may cache them and never disagree with another. The cache is bounded by
//! bytes (`TOUCHPOINTS_CACHE_BYTES`) and evicts the least recently used versions, which are
//! loaded again when asked for; nothing else pins a version (a region's index keeps only
//! numbers and names). The one mutable fact, which version is an agency's current one, is
//! kept in step across instances by PostgreSQL's LISTEN/NOTIFY (publication notifies at
//! commit); while the listener is disconnected, lookups fall back to the database.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::encoding::{self, Coding};
use super::serve::Format;
use crate::domain::register::RegisterContent;
use crate::error::ApiResult;
use crate::schema::register_versions;

pub const CHANNEL: &str = "touchpoints_versions";

/// A version ready to serve. Its JSON is made when it is loaded; its CSV and HTML, and each
/// body's gzip and brotli copies, the first time one is asked for, then kept with it (and
/// counted in the cache's bytes): every representation is rendered and compressed once.
pub struct Rendered {
    pub agency_id: Uuid,
    pub number: i32,
    pub sha256: String,
    /// The JSON body of the version resource.
    pub json: Bytes,
    pub content: RegisterContent,
    pub approved_at: chrono::DateTime<chrono::Utc>,
    pub published_at: chrono::DateTime<chrono::Utc>,
    /// CSV and HTML, uncompressed.
    plain: [OnceLock<Bytes>; 2],
    /// JSON, CSV and HTML in gzip, then in brotli.
    encoded: [OnceLock<Bytes>; 6],
    /// Each row as a row of the region view (JSON), serialised the first time a region view
    /// needs them: pages are then put together from these bytes.
    pub region_rows: OnceLock<Vec<Bytes>>,
    /// The whole version's JSON: its strong ETag in each coding (identity, gzip, br) and its
    /// `X-Content-SHA256`, made once as header values (the most frequent answer then costs
    /// no formatting, parsing or copying of headers).
    json_etags: [HeaderValue; 3],
    pub sha256_header: HeaderValue,
}

impl Rendered {
    pub fn new(
        agency_id: Uuid,
        number: i32,
        sha256: String,
        json: Bytes,
        content: RegisterContent,
        approved_at: chrono::DateTime<chrono::Utc>,
        published_at: chrono::DateTime<chrono::Utc>,
    ) -> Rendered {
        Rendered {
            agency_id,
            number,
            json,
            content,
            approved_at,
            published_at,
            plain: Default::default(),
            encoded: Default::default(),
            region_rows: OnceLock::new(),
            json_etags: Coding::BY_INDEX
                .map(|c| header_value(format!("\"{sha256}{}\"", c.etag_suffix()))),
            sha256_header: header_value(sha256.clone()),
            sha256,
        }
    }

    /// The strong ETag of the whole version's JSON in `coding`.
    pub fn json_etag(&self, coding: Coding) -> &HeaderValue {
        &self.json_etags[coding.index()]
    }

    /// What the version holds when loaded: its JSON, and the parsed content, which takes
    /// about twice the JSON's size in memory (strings, vectors, their headers).
    pub fn base_bytes(&self) -> usize {
        self.json.len() * 3 + 1024
    }

    fn slot(&self, format: Format, coding: Coding) -> &OnceLock<Bytes> {
        let f = match format {
            Format::Csv => 1,
            Format::Html => 2,
            _ => 0,
        };
        match coding {
            Coding::Identity => &self.plain[f.max(1) - 1],
            Coding::Gzip => &self.encoded[f],
            Coding::Br => &self.encoded[3 + f],
        }
    }

    /// The body in `format` (JSON, CSV or HTML) and `coding`, when it is made already.
    pub fn body(&self, format: Format, coding: Coding) -> Option<Bytes> {
        if format == Format::Json && coding == Coding::Identity {
            return Some(self.json.clone());
        }
        self.slot(format, coding).get().cloned()
    }

    /// The body in `format` and `coding`, made now if it is not yet (and, when it is a
    /// compressed one, its other coding too: both are made once, together); with the bytes
    /// this call added to the version.
    pub fn make_body(&self, format: Format, coding: Coding) -> (Bytes, usize) {
        let mut added = 0;
        let plain = match format {
            Format::Json => self.json.clone(),
            _ => self
                .slot(format, Coding::Identity)
                .get_or_init(|| {
                    let meta = super::render::Meta {
                        version: Some((self.number, self.approved_at, &self.sha256)),
                    };
                    let b = Bytes::from(match format {
                        Format::Csv => super::render::csv(&self.content),
                        _ => super::render::html(&self.content, &meta),
                    });
                    added += b.len();
                    b
                })
                .clone(),
        };
        if coding == Coding::Identity {
            return (plain, added);
        }
        for c in [Coding::Gzip, Coding::Br] {
            self.slot(format, c).get_or_init(|| {
                let b = encoding::encode(c, &plain);
                added += b.len();
                b
            });
        }
        let body = self
            .slot(format, coding)
            .get()
            .cloned()
            .expect("made just above");
        (body, added)
    }
}

/// A header value from text the service made itself (hex digests, quoted tags); anything that
/// could not be one (it never happens for those) becomes an empty value rather than a panic.
pub(crate) fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// One agency of a region's consolidated register: what the index keeps instead of the
/// version itself (which the version cache may have evicted and reloads on demand).
#[derive(Debug, Clone)]
pub struct RegionEntry {
    pub agency_id: Uuid,
    pub number: i32,
    pub name: String,
    pub short_name: Option<String>,
    pub rows: usize,
}

/// The current versions of one region's bodies, in name order (then id).
pub type RegionIndex = Arc<Vec<RegionEntry>>;

/// Bytes of region view pages kept at most (plain, with room for their compressed copies).
pub const PAGE_BYTES: usize = 32 * 1024 * 1024;

/// A region view page: region, limit, offset.
pub type RegionPageKey = (String, usize, usize);

#[derive(Default)]
struct RegionPages {
    generation: u64,
    bytes: usize,
    map: HashMap<RegionPageKey, Arc<RegionPage>>,
}

/// A region view page (JSON) and its gzip and brotli copies, each made the first time asked for.
pub struct RegionPage {
    pub plain: Bytes,
    encoded: [OnceLock<Bytes>; 2],
}

impl RegionPage {
    /// A page whose compressed copies are made the first time each is asked for.
    pub fn new(plain: Bytes) -> RegionPage {
        RegionPage {
            plain,
            encoded: Default::default(),
        }
    }

    /// The page in `coding` if it is at hand (plain, or compressed earlier).
    pub fn ready(&self, coding: Coding) -> Option<Bytes> {
        match coding {
            Coding::Identity => Some(self.plain.clone()),
            Coding::Gzip => self.encoded[0].get().cloned(),
            Coding::Br => self.encoded[1].get().cloned(),
        }
    }

    /// The page in `coding`, compressed now if no one asked for it before.
    pub fn body(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.plain.clone(),
            Coding::Gzip => self.encoded[0]
                .get_or_init(|| encoding::encode(coding, &self.plain))
                .clone(),
            Coding::Br => self.encoded[1]
                .get_or_init(|| encoding::encode(coding, &self.plain))
                .clone(),
        }
    }
}

struct Entry {
    r: Arc<Rendered>,
    bytes: AtomicUsize,
    used: AtomicU64,
}

/// Rendered versions, least recently used evicted first once their bytes pass the capacity
/// (`TOUCHPOINTS_CACHE_BYTES`); an evicted version is loaded again when asked for. The one
/// mutable fact, which version is current, is kept apart (`current`).
pub struct PublicCache {
    versions: RwLock<HashMap<(Uuid, i32), Arc<Entry>>>,
    capacity: usize,
    total: AtomicUsize,
    clock: AtomicU64,
    evicted: AtomicU64,
    current: RwLock<HashMap<Uuid, i32>>,
    listening: AtomicBool,
    /// Bumped whenever a current pointer changes; region indexes built under an older one are stale.
    generation: AtomicU64,
    regions: RwLock<HashMap<String, (u64, RegionIndex)>>,
    /// Region view pages (JSON) of the current generation, each with its compressed copies
    /// made once; see [`PublicCache::region_page`].
    pages: std::sync::Mutex<RegionPages>,
}

/// The cache's size when `TOUCHPOINTS_CACHE_BYTES` is not set: 256 MiB, or an eighth of the
/// machine's memory when that is less.
pub fn default_capacity() -> usize {
    const CAP: usize = 256 << 20;
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map_or(CAP, |kib| {
            CAP.min(kib.saturating_mul(1024) / 8).max(16 << 20)
        })
}

/// Hands memory freed by an eviction back to the system: glibc keeps it in the arena of the
/// thread that allocated it (a blocking thread that rendered a version), so without this the
/// process would keep its high-water mark although the cache stays within its bytes. Runs
/// once per eviction batch (an eighth of the cache), not per request.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl PublicCache {
    pub fn new() -> Arc<Self> {
        Self::with_capacity(default_capacity())
    }

    pub fn with_capacity(capacity: usize) -> Arc<Self> {
        Arc::new(PublicCache {
            versions: RwLock::default(),
            capacity,
            total: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            current: RwLock::default(),
            listening: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            regions: RwLock::default(),
            pages: Default::default(),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes the cached versions hold now.
    pub fn bytes(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Versions cached now.
    pub fn len(&self) -> usize {
        self.versions.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Versions evicted since start.
    pub fn evictions(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    pub fn version(&self, agency_id: Uuid, number: i32) -> Option<Arc<Rendered>> {
        let m = self.versions.read().ok()?;
        let e = m.get(&(agency_id, number))?;
        // recency at the grain of insertions: a read stamps the clock's value, which only a
        // `put` advances, and writes the entry only when that changes it, so the hot path
        // stays free of writes to memory the workers share (reads of the same version by
        // every worker would otherwise contend on the clock and the entry's stamp)
        let now = self.clock.load(Ordering::Relaxed);
        if e.used.load(Ordering::Relaxed) != now {
            e.used.store(now, Ordering::Relaxed);
        }
        Some(Arc::clone(&e.r))
    }

    /// Keeps a version (one larger than the whole cache is served but not kept).
    pub fn put(&self, r: Arc<Rendered>) {
        let bytes = r.base_bytes();
        if bytes > self.capacity {
            return;
        }
        let key = (r.agency_id, r.number);
        let Ok(mut m) = self.versions.write() else {
            return;
        };
        if m.contains_key(&key) {
            return;
        }
        m.insert(
            key,
            Arc::new(Entry {
                r,
                bytes: AtomicUsize::new(bytes),
                // between the stamps of reads before and after it (the clock moves by two)
                used: AtomicU64::new(self.clock.fetch_add(2, Ordering::Relaxed) + 1),
            }),
        );
        let total = self.total.fetch_add(bytes, Ordering::AcqRel) + bytes;
        if total > self.capacity && self.evict(&mut m, Some(key)) {
            drop(m);
            release_freed_memory();
        }
    }

    /// Counts `added` more bytes (a body made later) against the version, if it is cached.
    pub fn charge(&self, r: &Rendered, added: usize) {
        if added == 0 {
            return;
        }
        let key = (r.agency_id, r.number);
        {
            let Ok(m) = self.versions.read() else { return };
            match m.get(&key) {
                Some(e) if std::ptr::eq(Arc::as_ptr(&e.r), r) => {
                    e.bytes.fetch_add(added, Ordering::AcqRel);
                }
                _ => return,
            }
        }
        let total = self.total.fetch_add(added, Ordering::AcqRel) + added;
        if total > self.capacity {
            let evicted = match self.versions.write() {
                Ok(mut m) => self.evict(&mut m, Some(key)),
                Err(_) => false,
            };
            if evicted {
                release_freed_memory();
            }
        }
    }

    /// Drops the least recently used versions until the cache is an eighth below capacity
    /// (so that eviction runs now and then, not on every insert); `keep` goes last. Whether
    /// anything was evicted.
    fn evict(&self, m: &mut HashMap<(Uuid, i32), Arc<Entry>>, keep: Option<(Uuid, i32)>) -> bool {
        let target = self.capacity - self.capacity / 8;
        if self.total.load(Ordering::Acquire) <= target {
            return false;
        }
        let mut evicted = false;
        let mut order: Vec<(u64, (Uuid, i32))> = m
            .iter()
            .map(|(k, e)| {
                (
                    if Some(*k) == keep {
                        u64::MAX
                    } else {
                        e.used.load(Ordering::Relaxed)
                    },
                    *k,
                )
            })
            .collect();
        order.sort_unstable();
        for (_, k) in order {
            if self.total.load(Ordering::Acquire) <= target {
                break;
            }
            if let Some(e) = m.remove(&k) {
                self.total
                    .fetch_sub(e.bytes.load(Ordering::Acquire), Ordering::AcqRel);
                self.evicted.fetch_add(1, Ordering::Relaxed);
                evicted = true;
            }
        }
        evicted
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

    /// The publication generation, while the listener is live (every publication it hears of
    /// moves it on); `None` when it is not, and nothing can be inferred from it.
    pub fn generation(&self) -> Option<u64> {
        self.listening
            .load(Ordering::Acquire)
            .then(|| self.generation.load(Ordering::Acquire))
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

    /// The region view page (region, limit, offset) made for this generation, if kept. Pages
    /// are served as bytes, compressed once per coding, never per request.
    pub fn region_page(&self, generation: u64, key: &RegionPageKey) -> Option<Arc<RegionPage>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        (pages.generation == generation)
            .then(|| pages.map.get(key).map(Arc::clone))
            .flatten()
    }

    /// Keeps a page made for this generation. At most [`PAGE_BYTES`] of pages are kept (all
    /// dropped when full, and when a publication has moved the generation on).
    pub fn put_region_page(
        &self,
        generation: u64,
        key: RegionPageKey,
        plain: Bytes,
    ) -> Arc<RegionPage> {
        let page = Arc::new(RegionPage {
            plain,
            encoded: Default::default(),
        });
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.generation != generation || pages.bytes + page.plain.len() > PAGE_BYTES {
            *pages = RegionPages {
                generation,
                ..Default::default()
            };
        }
        pages.bytes += page.plain.len() * 5 / 4; // the plain page and room for its copies
        pages.map.insert(key, Arc::clone(&page));
        page
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::register::AgencyInfo;

    fn version(n: i32, json_bytes: usize) -> Arc<Rendered> {
        let agency = Uuid::from_u128(7);
        Arc::new(Rendered::new(
            agency,
            n,
            format!("{n:064}"),
            Bytes::from(vec![b' '; json_bytes]),
            RegisterContent {
                agency: AgencyInfo {
                    id: agency,
                    parent_id: None,
                    name: "Орган".into(),
                    short_name: None,
                    region: "Регион".into(),
                    website: None,
                },
                columns: vec![],
                rows: vec![],
                profile: None,
                approval: None,
            },
            chrono::Utc::now(),
            chrono::Utc::now(),
        ))
    }

    #[test]
    fn evicts_the_least_recently_used_by_bytes() {
        let one = version(1, 10_000).base_bytes();
        // room for four versions
        let cache = PublicCache::with_capacity(one * 4 + one / 2);
        let agency = Uuid::from_u128(7);
        for n in 1..=4 {
            cache.put(version(n, 10_000));
        }
        assert_eq!(cache.len(), 4);
        assert_eq!(cache.bytes(), one * 4);
        // 1 is read, so 2 is now the least recently used
        assert!(cache.version(agency, 1).is_some());
        cache.put(version(5, 10_000));
        assert!(cache.bytes() <= cache.capacity());
        assert!(
            cache.version(agency, 2).is_none(),
            "the least recently used goes"
        );
        assert!(
            cache.version(agency, 1).is_some(),
            "a version just read stays"
        );
        assert!(cache.version(agency, 5).is_some(), "the new one stays");
        assert!(cache.evictions() >= 1);
        // what is counted is what is held
        let held: usize = (1..=5)
            .filter_map(|n| cache.version(agency, n))
            .map(|r| r.base_bytes())
            .sum();
        assert_eq!(cache.bytes(), held);
    }

    #[test]
    fn bodies_made_later_count_and_can_evict() {
        let one = version(1, 10_000).base_bytes();
        let cache = PublicCache::with_capacity(one * 2 + 100);
        let agency = Uuid::from_u128(7);
        let a = version(1, 10_000);
        cache.put(Arc::clone(&a));
        cache.put(version(2, 10_000));
        let before = cache.bytes();
        let (gz, added) = a.make_body(Format::Json, Coding::Gzip);
        assert!(added > 0 && !gz.is_empty());
        // a second call makes nothing
        assert_eq!(a.make_body(Format::Json, Coding::Br).1, 0);
        // a version not (or no longer) cached is not counted
        cache.charge(&version(1, 10_000), 999_999);
        assert_eq!(cache.bytes(), before);
        cache.charge(&a, one);
        assert!(cache.bytes() <= cache.capacity());
        assert!(cache.version(agency, 2).is_none() || cache.version(agency, 1).is_none());
    }

    #[test]
    fn a_version_larger_than_the_cache_is_not_kept() {
        let cache = PublicCache::with_capacity(1000);
        cache.put(version(1, 10_000));
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
    }
}
