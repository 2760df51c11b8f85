//! The database behind a small layer: the pool, migrations, creating the database, and
//! running diesel's blocking work off the actix worker threads.

use std::time::Duration;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{ApiError, ApiResult};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// Arbitrary but fixed: serialises migrations of several instances starting at once.
const MIGRATION_LOCK_KEY: i64 = 0x7470_6d69_6772; // "tpmigr"

#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    pub fn new(pool: PgPool) -> Self {
        Db { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on actix's blocking thread pool. A pool that cannot
    /// hand out a connection within its timeout answers 503 rather than queueing.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PgConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Like [`Db::run`], inside one transaction: everything or nothing is written.
    pub async fn transaction<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PgConnection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }
}

/// Public reads the replica could not answer (not there yet, or unreachable), answered by the
/// primary; `/metrics` exposes it as `touchpoints_replica_fallbacks_total`.
pub static REPLICA_FALLBACKS: std::sync::LazyLock<prometheus::IntCounter> =
    std::sync::LazyLock::new(|| {
        prometheus::IntCounter::new(
        "touchpoints_replica_fallbacks_total",
        "Public reads the read replica could not answer (not there yet, or unreachable), answered by the primary",
    )
    .expect("metric")
    });

/// Where the public API reads: a read replica when one is configured
/// (`TOUCHPOINTS_REPLICA_URL`), otherwise the primary.
///
/// A replica lags the primary a little. Everything the public API serves is either an
/// immutable version (the same on both once the replica has it) or a list that may be a
/// moment old, so the only thing lag can break is "this version does not exist (yet)": a
/// read the replica answers with 404 is asked again of the primary, as is one the replica
/// cannot serve at all (down, restarting). The current-version pointers come from the
/// primary's notifications, never from the replica.
///
/// A replica that cannot be reached costs a request the pool timeout once; for the next
/// [`REPLICA_PAUSE`] reads go straight to the primary, then the replica is tried again.
#[derive(Clone)]
pub struct ReadDb {
    primary: Db,
    replica: Option<Db>,
    /// Until when (milliseconds since `epoch`) the replica is skipped after it failed.
    skip_until_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    epoch: std::time::Instant,
}

/// How long reads skip a replica that could not be reached.
pub const REPLICA_PAUSE: Duration = Duration::from_secs(5);

impl ReadDb {
    pub fn new(primary: Db, replica: Option<Db>) -> Self {
        ReadDb {
            primary,
            replica,
            skip_until_ms: Default::default(),
            epoch: std::time::Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Runs the read-only `f` on the replica, or on the primary when the replica has no
    /// answer (404) or cannot be reached (503).
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: Fn(&mut PgConnection) -> ApiResult<T> + Send + Sync + 'static,
        T: Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let replica = match &self.replica {
            Some(r) if self.now_ms() >= self.skip_until_ms.load(Ordering::Relaxed) => r,
            Some(_) => {
                REPLICA_FALLBACKS.inc();
                return self.primary.run(f).await;
            }
            None => return self.primary.run(f).await,
        };
        let f = std::sync::Arc::new(f);
        let g = std::sync::Arc::clone(&f);
        match replica.run(move |c| g(c)).await {
            Err(e) if e.code() == crate::error::ErrorCode::NotFound => {
                REPLICA_FALLBACKS.inc();
                tracing::debug!(error = %e, "the replica has not got it (yet); reading the primary");
                self.primary.run(move |c| f(c)).await
            }
            // unreachable, or the connection was lost (also ServiceUnavailable, error.rs)
            Err(e) if e.code() == crate::error::ErrorCode::ServiceUnavailable => {
                REPLICA_FALLBACKS.inc();
                self.skip_until_ms.store(
                    self.now_ms() + REPLICA_PAUSE.as_millis() as u64,
                    Ordering::Relaxed,
                );
                tracing::warn!(error = %e, pause_s = REPLICA_PAUSE.as_secs(), "the replica cannot be reached; reading the primary");
                self.primary.run(move |c| f(c)).await
            }
            other => other,
        }
    }
}

/// Every pooled connection gets a statement timeout, so no request holds a connection (and a
/// worker) longer than that, whatever it asks.
#[derive(Debug)]
struct StatementTimeout(u64);

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for StatementTimeout {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::sql_query(format!("SET statement_timeout = {}", self.0))
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Milliseconds a single statement may run (`TOUCHPOINTS_STATEMENT_TIMEOUT_MS`, default 15 s).
fn statement_timeout_ms() -> u64 {
    std::env::var("TOUCHPOINTS_STATEMENT_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15_000)
}

pub fn build_pool(url: &str, max_size: u32, timeout: Duration) -> anyhow::Result<PgPool> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    // build_unchecked: the service starts (and answers /ready with 503) even while the
    // database is briefly away; connections are made on demand.
    Ok(Pool::builder()
        .max_size(max_size)
        // no eager connections: a pool thread opening one while the process exits would race libpq's teardown
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(false)
        .connection_customizer(Box::new(StatementTimeout(statement_timeout_ms())))
        .build_unchecked(manager))
}

/// Creates the database named in `url` when the server has none of that name.
pub fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    if PgConnection::establish(url).is_ok() {
        return Ok(());
    }
    let mut parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database");
    parsed.set_path("/postgres");
    let mut admin = PgConnection::establish(parsed.as_str())
        .with_context(|| format!("cannot reach the PostgreSQL server of {parsed:?}"))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(format!("CREATE DATABASE {quoted}")).execute(&mut admin) {
        Ok(_) => tracing::info!(database = %name, "created database"),
        // another instance may have created it in the meantime
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("already exists") => {}
        Err(e) => return Err(e).context("CREATE DATABASE failed"),
    }
    Ok(())
}

/// Applies pending migrations under an advisory lock, so replicas starting together never race.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<usize> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.len())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    result
}
