//! Configuration: documented defaults, overridden by environment variables.

use std::fmt;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/touchpoints";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Settings {
    /// `DATABASE_URL`; the database is created on start-up if it does not exist.
    pub database_url: DatabaseUrl,
    /// `TOUCHPOINTS_REPLICA_URL`: a read replica of that database (streaming replication);
    /// the public API (`/api/v1/public/...`) reads there. Unset: everything reads the primary.
    pub replica_url: Option<DatabaseUrl>,
    /// `TOUCHPOINTS_BIND`: address to listen on; port 0 picks a free port.
    pub bind: String,
    /// `TOUCHPOINTS_POOL_SIZE`: maximum database connections of this instance.
    pub pool_size: u32,
    /// `TOUCHPOINTS_POOL_TIMEOUT_MS`: how long a request waits for a free connection before
    /// it is answered 503 instead of queueing.
    pub pool_timeout_ms: u64,
    /// `TOUCHPOINTS_WORKERS`: actix worker threads (default: number of cores).
    pub workers: Option<usize>,
    /// `TOUCHPOINTS_MAX_BODY_BYTES`: largest accepted JSON body.
    pub max_body_bytes: usize,
    /// `TOUCHPOINTS_JWT_SECRET` / `TOUCHPOINTS_JWT_PUBLIC_KEY`, `TOUCHPOINTS_JWT_ISSUER`, `TOUCHPOINTS_JWT_AUDIENCE`.
    pub auth: crate::auth::AuthConfig,
    /// `TOUCHPOINTS_BENCH_ROUTES=1` adds `GET /bench/static/{bytes}`, the benchmark's ceiling
    /// (only in a build with `--features bench`).
    pub bench_routes: bool,
    /// `TOUCHPOINTS_WEBHOOK_BACKOFF_MS`: delay before the first webhook retry (doubling after).
    pub webhook_backoff_ms: u64,
    /// `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS`: comma-separated host names or CIDRs that webhooks may
    /// reach although the egress policy refuses them (loopback, private ranges…): intranet
    /// receivers, and tests.
    pub webhook_allow_hosts: Vec<String>,
    /// `TOUCHPOINTS_IMPORT_CONCURRENCY`: imports parsed at once; more answer 503 with `Retry-After`.
    pub import_concurrency: usize,
    /// `TOUCHPOINTS_UPLOAD_TIMEOUT_S`: how long a client has to send a whole upload body.
    pub upload_timeout_s: u64,
    /// `TOUCHPOINTS_FRAME_ANCESTORS`: the CSP `frame-ancestors` of the printable HTML register
    /// (the origins allowed to embed it).
    pub frame_ancestors: String,
    /// `TOUCHPOINTS_SMTP_URL`: the SMTP relay of e-mail notices — `smtp://127.0.0.1:2525` (plain,
    /// a local relay), `smtp://host?tls=required` (STARTTLS), `smtps://user:pass@host` (TLS).
    /// Unset: no mail is sent (the notices stay `pending` in the mail log).
    pub smtp_url: Option<DatabaseUrl>,
    /// `TOUCHPOINTS_MAIL_FROM`: the sender of e-mail notices (`Перечни <noreply@example.ru>`).
    pub mail_from: Option<String>,
    /// `TOUCHPOINTS_OVERDUE_SWEEP_S`: seconds between two sweeps of every agency's deadlines
    /// that announce the newly overdue ones (`deadline.overdue`, once per deadline and due
    /// date, whatever the number of instances); 0 turns the sweep off.
    pub overdue_sweep_s: u64,
    /// `TOUCHPOINTS_CACHE_BYTES`: the most the public API's cache of rendered versions holds
    /// (their JSON, CSV, HTML and compressed copies); least recently used versions are evicted
    /// beyond it and read again when asked for. Default: 256 MiB, or an eighth of the
    /// machine's memory when that is less.
    pub cache_bytes: usize,
}

/// Defaults of the settings that have one (README, "Settings").
pub const DEFAULT_IMPORT_CONCURRENCY: usize = 2;
pub const DEFAULT_UPLOAD_TIMEOUT_S: u64 = 30;
pub const DEFAULT_FRAME_ANCESTORS: &str = "'self'";
pub const DEFAULT_OVERDUE_SWEEP_S: u64 = 600;

/// A connection string (of the database, or the SMTP relay) that never prints its password.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                write!(f, "{url}")
            }
            Err(_) => f.write_str("<unparsable database url>"),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.database_url)
            .field("bind", &self.bind)
            .field("replica_url", &self.replica_url)
            .field("pool_size", &self.pool_size)
            .field("pool_timeout_ms", &self.pool_timeout_ms)
            .field("workers", &self.workers)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("auth", &self.auth)
            .field("bench_routes", &self.bench_routes)
            .field("webhook_backoff_ms", &self.webhook_backoff_ms)
            .field("webhook_allow_hosts", &self.webhook_allow_hosts)
            .field("import_concurrency", &self.import_concurrency)
            .field("upload_timeout_s", &self.upload_timeout_s)
            .field("frame_ancestors", &self.frame_ancestors)
            .field("smtp_url", &self.smtp_url)
            .field("mail_from", &self.mail_from)
            .field("overdue_sweep_s", &self.overdue_sweep_s)
            .field("cache_bytes", &self.cache_bytes)
            .finish()
    }
}

impl Settings {
    /// Every setting at its default, for `database_url` (tests start from this).
    pub fn defaults(database_url: &str) -> Self {
        Settings {
            database_url: DatabaseUrl(database_url.to_owned()),
            replica_url: None,
            bind: DEFAULT_BIND.to_owned(),
            pool_size: 16,
            pool_timeout_ms: 2_000,
            workers: None,
            max_body_bytes: 256 * 1024,
            auth: crate::auth::AuthConfig::disabled(),
            bench_routes: false,
            webhook_backoff_ms: 2_000,
            webhook_allow_hosts: Vec::new(),
            import_concurrency: DEFAULT_IMPORT_CONCURRENCY,
            upload_timeout_s: DEFAULT_UPLOAD_TIMEOUT_S,
            frame_ancestors: DEFAULT_FRAME_ANCESTORS.to_owned(),
            smtp_url: None,
            mail_from: None,
            overdue_sweep_s: DEFAULT_OVERDUE_SWEEP_S,
            cache_bytes: crate::public::cache::default_capacity(),
        }
    }

    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Settings {
            database_url: DatabaseUrl(
                std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            ),
            replica_url: std::env::var("TOUCHPOINTS_REPLICA_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .map(DatabaseUrl),
            bind: std::env::var("TOUCHPOINTS_BIND").unwrap_or_else(|_| DEFAULT_BIND.to_owned()),
            pool_size: parse_env("TOUCHPOINTS_POOL_SIZE", 16)?,
            pool_timeout_ms: parse_env("TOUCHPOINTS_POOL_TIMEOUT_MS", 2_000)?,
            workers: std::env::var("TOUCHPOINTS_WORKERS")
                .ok()
                .map(|v| v.parse())
                .transpose()?,
            max_body_bytes: parse_env("TOUCHPOINTS_MAX_BODY_BYTES", 256 * 1024)?,
            auth: crate::auth::AuthConfig::from_env()?,
            bench_routes: std::env::var("TOUCHPOINTS_BENCH_ROUTES")
                .map(|v| v == "1")
                .unwrap_or(false),
            webhook_backoff_ms: parse_env("TOUCHPOINTS_WEBHOOK_BACKOFF_MS", 2_000)?,
            webhook_allow_hosts: std::env::var("TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect(),
            import_concurrency: parse_env(
                "TOUCHPOINTS_IMPORT_CONCURRENCY",
                DEFAULT_IMPORT_CONCURRENCY,
            )?
            .max(1),
            upload_timeout_s: parse_env("TOUCHPOINTS_UPLOAD_TIMEOUT_S", DEFAULT_UPLOAD_TIMEOUT_S)?
                .max(1),
            frame_ancestors: std::env::var("TOUCHPOINTS_FRAME_ANCESTORS")
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_FRAME_ANCESTORS.to_owned()),
            smtp_url: std::env::var("TOUCHPOINTS_SMTP_URL")
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(DatabaseUrl),
            mail_from: std::env::var("TOUCHPOINTS_MAIL_FROM")
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            overdue_sweep_s: parse_env("TOUCHPOINTS_OVERDUE_SWEEP_S", DEFAULT_OVERDUE_SWEEP_S)?,
            cache_bytes: parse_env(
                "TOUCHPOINTS_CACHE_BYTES",
                crate::public::cache::default_capacity(),
            )?,
        })
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")),
        Err(_) => Ok(default),
    }
}
