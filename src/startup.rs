//! Building the application: the pool, migrations, routes and the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

use crate::config::Settings;
use crate::db::{self, Db, PgPool};
use crate::http::extract;
use crate::{public, routes, telemetry};

pub struct Application {
    port: u16,
    server: Server,
    background: crate::background::Background,
}

impl Application {
    /// Creates the database if needed, migrates it, binds the listener (port 0 picks one).
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let url = settings.database_url.expose();
        db::create_database_if_missing(url)?;
        let pool = db::build_pool(
            url,
            settings.pool_size,
            Duration::from_millis(settings.pool_timeout_ms),
        )?;
        {
            let mut conn = pool.get().context("cannot connect to the database")?;
            let applied = db::run_migrations(&mut conn)?;
            if applied > 0 {
                tracing::info!(applied, "applied migrations");
            }
        }
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        Self::with_pool(pool, listener, settings)
    }

    pub fn with_pool(
        pool: PgPool,
        listener: TcpListener,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let background = crate::background::Background::new();
        let egress = std::sync::Arc::new(
            crate::webhooks::egress::EgressPolicy::new(
                &settings.webhook_allow_hosts,
                &settings.bind,
            )
            .map_err(anyhow::Error::msg)?,
        );
        crate::webhooks::worker::start(
            pool.clone(),
            crate::webhooks::worker::WorkerConfig::new(settings.webhook_backoff_ms, egress.clone()),
            &background,
        );
        match (&settings.smtp_url, &settings.mail_from) {
            (Some(url), Some(from)) => crate::notices::mail::start(
                pool.clone(),
                crate::notices::mail::MailConfig {
                    smtp_url: url.expose().to_owned(),
                    from: from.clone(),
                    backoff_ms: settings.webhook_backoff_ms,
                    poll: Duration::from_millis(250),
                },
                &background,
            )?,
            _ => tracing::info!(
                "e-mail notices are off: TOUCHPOINTS_SMTP_URL and TOUCHPOINTS_MAIL_FROM are not both set"
            ),
        }
        crate::deadlines::overdue::start(
            pool.clone(),
            Duration::from_secs(settings.overdue_sweep_s),
            &background,
        );
        public::pieces::start_backfill(pool.clone(), &background);
        let egress = web::Data::from(egress);
        let db = Db::new(pool);
        let replica = match &settings.replica_url {
            Some(url) => Some(Db::new(db::build_pool(
                url.expose(),
                settings.pool_size,
                Duration::from_millis(settings.pool_timeout_ms),
            )?)),
            None => None,
        };
        let read_db = db::ReadDb::new(db.clone(), replica);
        let auth = web::Data::new(settings.auth.clone());
        // one cache for every worker: rendered versions are immutable, the current pointers
        // follow LISTEN/NOTIFY
        let cache = public::cache::PublicCache::with_capacity(settings.cache_bytes);
        cache.start_listener(settings.database_url.expose().to_owned(), &background);
        let cache = web::Data::new(cache);
        let security = web::Data::new(crate::http::security::SecurityHeaders::new(
            &settings.frame_ancestors,
            public::render::HTML_STYLE,
        )?);
        let max_body = settings.max_body_bytes;
        // one set of import slots for every worker
        let import_limits = web::Data::new(crate::import::api::ImportLimits::new(
            settings.import_concurrency,
            Duration::from_secs(settings.upload_timeout_s),
        ));
        #[cfg(feature = "bench")]
        let bench_routes = settings.bench_routes;
        // built once from the same registrations as the router (see `routes::api_v1`)
        let spec = crate::openapi::spec();
        let mut server = HttpServer::new(move || {
            App::new()
                // gzip/brotli for answers of 1 KiB or more that are not compressed already
                // (the public registers send bodies compressed once; see public::encoding)
                .wrap(middleware::from_fn(public::encoding::compress))
                .wrap(middleware::from_fn(extract::reject_nul))
                .wrap(middleware::from_fn(crate::http::security::security_headers))
                .wrap(middleware::from_fn(telemetry::access_log))
                .wrap(TracingLogger::<telemetry::QuietRootSpan>::new())
                .app_data(web::Data::new(db.clone()))
                .app_data(web::Data::new(read_db.clone()))
                .app_data(auth.clone())
                .app_data(cache.clone())
                .app_data(security.clone())
                .app_data(egress.clone())
                .app_data(import_limits.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .into_utoipa_app()
                .configure(routes::operations)
                .configure(routes::api_v1)
                .into_app()
                .configure(|cfg| {
                    #[cfg(feature = "bench")]
                    if bench_routes {
                        cfg.route(
                            "/bench/static/{bytes}",
                            web::get().to(crate::bench::static_body),
                        );
                    }
                    routes::undocumented(cfg, spec.clone())
                })
        })
        .listen(listener)?
        // a client has this long to send its request head; slow-loris connections are closed
        .client_request_timeout(std::time::Duration::from_secs(10))
        .shutdown_timeout(10);
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        // actix-web stops gracefully on SIGTERM and SIGINT: no new connections, in-flight
        // requests finish within the shutdown timeout.
        Ok(Application {
            port,
            server: server.run(),
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The background threads, to stop them when the server is gone (see `Background`).
    pub fn background(&self) -> crate::background::Background {
        self.background.clone()
    }

    /// Serves until SIGTERM/SIGINT, then stops the background threads.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let background = self.background.clone();
        let result = self.server.await;
        actix_web::rt::task::spawn_blocking(move || background.shutdown())
            .await
            .ok();
        result
    }
}
