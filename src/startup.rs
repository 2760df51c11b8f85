//! Building the application: the pool, migrations, routes and the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::{self, Db, PgPool};
use crate::http::extract;
use crate::openapi::ApiDoc;
use crate::{
    agencies, calendar, catalogs, deadlines, directions, health, processes, public, telemetry,
    touchpoints, units, workflow,
};

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
        let cache = public::cache::PublicCache::new();
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
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(extract::reject_nul))
                .wrap(middleware::from_fn(crate::http::security::security_headers))
                .wrap(middleware::from_fn(telemetry::access_log))
                .wrap(TracingLogger::default())
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
                .configure(|cfg| {
                    #[cfg(feature = "bench")]
                    if bench_routes {
                        cfg.route(
                            "/bench/static/{bytes}",
                            web::get().to(crate::bench::static_body),
                        );
                    }
                    routes(cfg)
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

/// A resource whose other methods answer 405 with `Allow: <allow>`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(extract::method_not_allowed(allow)))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health", "GET").route(web::get().to(health::health)))
        .service(resource("/ready", "GET").route(web::get().to(health::ready)))
        .service(resource("/metrics", "GET").route(web::get().to(crate::metrics::metrics)))
        .service(
            SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", ApiDoc::openapi()),
        )
        .service(web::resource("/swagger-ui").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/swagger-ui/"))
                .finish()
        })))
        .service(
            web::scope("/api/v1")
                .service(
                    resource("/agencies", "GET, POST")
                        .route(web::get().to(agencies::api::list_agencies))
                        .route(web::post().to(agencies::api::create_agency)),
                )
                .service(
                    resource("/agencies/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(agencies::api::get_agency))
                        .route(web::patch().to(agencies::api::update_agency))
                        .route(web::delete().to(agencies::api::delete_agency)),
                )
                .service(
                    resource("/agencies/{id}/organizations", "GET, POST")
                        .route(web::get().to(agencies::api::list_organizations))
                        .route(web::post().to(agencies::api::create_organization)),
                )
                .service(
                    resource("/agencies/{id}/units", "GET, POST")
                        .route(web::get().to(units::api::list_units))
                        .route(web::post().to(units::api::create_unit)),
                )
                .service(
                    resource("/agencies/{id}/directions", "GET, POST")
                        .route(web::get().to(directions::api::list_directions))
                        .route(web::post().to(directions::api::create_direction)),
                )
                .service(
                    resource("/agencies/{id}/processes", "GET, POST")
                        .route(web::get().to(processes::api::list_processes))
                        .route(web::post().to(processes::api::create_process)),
                )
                .service(
                    resource("/agencies/{id}/channel-rules", "GET")
                        .route(web::get().to(catalogs::api::list_channel_rules)),
                )
                .service(
                    resource("/agencies/{id}/channel-rules/{channel}", "PUT, DELETE")
                        .route(web::put().to(catalogs::api::set_channel_rule))
                        .route(web::delete().to(catalogs::api::clear_channel_rule)),
                )
                .service(
                    resource("/organizations/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(agencies::api::get_organization))
                        .route(web::patch().to(agencies::api::update_organization))
                        .route(web::delete().to(agencies::api::delete_organization)),
                )
                .service(
                    resource("/units/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(units::api::get_unit))
                        .route(web::patch().to(units::api::update_unit))
                        .route(web::delete().to(units::api::delete_unit)),
                )
                .service(
                    resource("/directions/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(directions::api::get_direction))
                        .route(web::patch().to(directions::api::update_direction))
                        .route(web::delete().to(directions::api::delete_direction)),
                )
                .service(
                    resource("/processes/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(processes::api::get_process))
                        .route(web::patch().to(processes::api::update_process))
                        .route(web::delete().to(processes::api::delete_process)),
                )
                .service(
                    resource("/processes/{id}/points", "GET, POST")
                        .route(web::get().to(touchpoints::api::list_touchpoints))
                        .route(web::post().to(touchpoints::api::create_touchpoint)),
                )
                .service(
                    resource("/points", "GET")
                        .route(web::get().to(touchpoints::api::search_touchpoints)),
                )
                .service(
                    resource("/points/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(touchpoints::api::get_touchpoint))
                        .route(web::patch().to(touchpoints::api::update_touchpoint))
                        .route(web::delete().to(touchpoints::api::delete_touchpoint)),
                )
                .service(
                    resource("/agencies/{id}/revisions", "GET, POST")
                        .route(web::get().to(workflow::api::list_revisions))
                        .route(web::post().to(workflow::api::open_revision)),
                )
                .service(
                    resource("/revisions/{id}", "GET")
                        .route(web::get().to(workflow::api::get_revision)),
                )
                .service(
                    resource("/revisions/{id}/parts/{unit_id}/submit", "POST")
                        .route(web::post().to(workflow::api::submit_part)),
                )
                .service(
                    resource("/revisions/{id}/parts/{unit_id}/return", "POST")
                        .route(web::post().to(workflow::api::return_part)),
                )
                .service(
                    resource("/revisions/{id}/parts/{unit_id}/accept", "POST")
                        .route(web::post().to(workflow::api::accept_part)),
                )
                .service(
                    resource("/revisions/{id}/approve", "POST")
                        .route(web::post().to(workflow::api::approve_revision)),
                )
                .service(
                    resource("/revisions/{id}/publish", "POST")
                        .route(web::post().to(workflow::api::publish_revision)),
                )
                .service(
                    resource("/revisions/{id}/history", "GET")
                        .route(web::get().to(workflow::api::revision_history)),
                )
                .service(
                    resource("/agencies/{id}/register", "GET")
                        .route(web::get().to(public::api::working_copy)),
                )
                .service(
                    resource("/agencies/{id}/versions", "GET")
                        .route(web::get().to(workflow::api::list_versions)),
                )
                .service(
                    resource("/agencies/{id}/versions/diff", "GET")
                        .route(web::get().to(workflow::api::diff_versions)),
                )
                .service(
                    resource("/agencies/{id}/versions/{number}", "GET")
                        .route(web::get().to(workflow::api::get_version)),
                )
                .service(
                    resource("/agencies/{id}/workflow-settings", "GET, PUT")
                        .route(web::get().to(workflow::api::get_settings))
                        .route(web::put().to(workflow::api::put_settings)),
                )
                .service(
                    resource("/agencies/{id}/deadlines", "GET")
                        .route(web::get().to(deadlines::api::agency_deadlines)),
                )
                .service(
                    resource("/deadlines", "GET").route(web::get().to(deadlines::api::overview)),
                )
                .service(resource("/calendar", "GET").route(web::get().to(calendar::api::get_year)))
                .service(
                    resource("/calendar/{date}", "PUT, DELETE")
                        .route(web::put().to(calendar::api::put_day))
                        .route(web::delete().to(calendar::api::delete_day)),
                )
                .service(
                    resource("/public/agencies", "GET")
                        .route(web::get().to(public::api::list_agencies)),
                )
                .service(
                    resource("/public/agencies/{id}/register", "GET")
                        .route(web::get().to(public::api::current_register)),
                )
                .service(
                    resource("/public/agencies/{id}/register/versions", "GET")
                        .route(web::get().to(public::api::list_versions)),
                )
                .service(
                    resource("/public/agencies/{id}/register/versions/{n}", "GET")
                        .route(web::get().to(public::api::version_register)),
                )
                .service(
                    resource("/public/agencies/{id}/register/findings", "GET")
                        .route(web::get().to(crate::rules::api::public_findings)),
                )
                .service(
                    resource("/revisions/{id}/import", "POST")
                        .route(web::post().to(crate::import::api::import)),
                )
                .service(
                    resource("/revisions/{id}/findings", "GET")
                        .route(web::get().to(crate::rules::api::revision_findings)),
                )
                .service(
                    resource("/public/agencies/{id}/register/diff", "GET")
                        .route(web::get().to(public::api::diff)),
                )
                .service(
                    resource("/public/regions/{region}/register", "GET")
                        .route(web::get().to(public::api::region_register)),
                )
                .service(
                    resource("/public/changes", "GET").route(web::get().to(public::api::changes)),
                )
                .service(
                    resource("/agencies/{id}/webhooks", "GET, POST")
                        .route(web::get().to(crate::webhooks::api::list))
                        .route(web::post().to(crate::webhooks::api::create)),
                )
                .service(
                    resource("/webhooks/{id}", "DELETE")
                        .route(web::delete().to(crate::webhooks::api::delete)),
                )
                .service(
                    resource("/webhooks/{id}/deliveries", "GET")
                        .route(web::get().to(crate::webhooks::api::deliveries)),
                )
                .service(
                    resource("/catalogs/needs", "GET")
                        .route(web::get().to(catalogs::api::list_needs)),
                )
                .service(
                    resource("/catalogs/channel-types", "GET")
                        .route(web::get().to(catalogs::api::list_channel_types)),
                )
                .service(
                    resource("/catalogs/directions", "GET")
                        .route(web::get().to(directions::api::list_catalog_directions)),
                ),
        )
        .default_service(web::to(extract::not_found));
}
