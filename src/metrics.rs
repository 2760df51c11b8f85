//! Prometheus metrics at `GET /metrics`: requests and latency by route and status, the pool,
//! workflow transitions, webhook deliveries, and per region the dashboards' headline figures
//! (agencies with a published register, touchpoints, digital share, agencies overdue).

use actix_web::get;
use actix_web::http::StatusCode;
use std::sync::LazyLock;

use actix_web::{web, HttpResponse};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::Db;

pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

fn register<T: prometheus::core::Collector + Clone + 'static>(m: T) -> T {
    // a second registration (tests start several apps in one process) is harmless
    let _ = REGISTRY.register(Box::new(m.clone()));
    m
}

pub static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "touchpoints_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("metric"),
    )
});

pub static HTTP_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "touchpoints_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("metric"),
    )
});

pub static POOL: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new(
                "touchpoints_db_pool_connections",
                "Database pool connections by state",
            ),
            &["state"],
        )
        .expect("metric"),
    )
});

pub static TRANSITIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "touchpoints_workflow_transitions_total",
                "Workflow transitions by action",
            ),
            &["action"],
        )
        .expect("metric"),
    )
});

pub static WEBHOOKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "touchpoints_webhook_deliveries_total",
                "Webhook delivery attempts by outcome",
            ),
            &["outcome"],
        )
        .expect("metric"),
    )
});

fn region_gauge(name: &str, help: &str) -> GaugeVec {
    register(GaugeVec::new(Opts::new(name, help), &["region"]).expect("metric"))
}

/// Agencies of a region with a published register.
pub static REGION_PUBLISHED: LazyLock<GaugeVec> = LazyLock::new(|| {
    region_gauge(
        "touchpoints_region_agencies_published",
        "Agencies of the region with a published register",
    )
});

/// Touchpoints in a region's current published registers.
pub static REGION_TOUCHPOINTS: LazyLock<GaugeVec> = LazyLock::new(|| {
    region_gauge(
        "touchpoints_region_touchpoints",
        "Touchpoints in the region's current published registers",
    )
});

/// Share of digital touchpoints (effective mode) in a region's current published registers.
pub static REGION_DIGITAL_SHARE: LazyLock<GaugeVec> = LazyLock::new(|| {
    region_gauge(
        "touchpoints_region_digital_share",
        "Share of digital touchpoints (0-1) in the region's current published registers",
    )
});

/// Agencies of a region with at least one overdue deadline.
pub static REGION_OVERDUE: LazyLock<GaugeVec> = LazyLock::new(|| {
    region_gauge(
        "touchpoints_region_agencies_overdue",
        "Agencies of the region with at least one overdue deadline",
    )
});

/// Refreshes the per-region gauges (at most every 30 s); a failure leaves the last values.
async fn refresh_region_gauges(db: &Db) {
    if !crate::stats::gauges::due(db.pool() as *const _ as usize) {
        return;
    }
    match db.run(crate::stats::gauges::headlines).await {
        Ok(regions) => {
            for g in [
                &*REGION_PUBLISHED,
                &*REGION_TOUCHPOINTS,
                &*REGION_DIGITAL_SHARE,
                &*REGION_OVERDUE,
            ] {
                g.reset();
            }
            for (region, h) in regions {
                let r = [region.as_str()];
                REGION_PUBLISHED
                    .with_label_values(&r)
                    .set(h.published as f64);
                REGION_TOUCHPOINTS
                    .with_label_values(&r)
                    .set(h.touchpoints as f64);
                REGION_DIGITAL_SHARE
                    .with_label_values(&r)
                    .set(h.digital_share);
                REGION_OVERDUE.with_label_values(&r).set(h.overdue as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "region gauges not refreshed"),
    }
}

/// The database layer's own counter, registered here with the others.
pub static REPLICA_FALLBACKS: LazyLock<prometheus::IntCounter> =
    LazyLock::new(|| register(crate::db::REPLICA_FALLBACKS.clone()));

pub fn observe_request(method: &str, route: &str, status: StatusCode, seconds: f64) {
    HTTP_REQUESTS
        .with_label_values(&[method, route, status.as_str()])
        .inc();
    HTTP_LATENCY
        .with_label_values(&[method, route])
        .observe(seconds);
}

/// Prometheus metrics
///
/// Text exposition format. Unauthenticated: expose it only to the monitoring network.
#[utoipa::path(
    security(()),tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(db: web::Data<Db>) -> HttpResponse {
    let state = db.pool().state();
    POOL.with_label_values(&["idle"])
        .set(i64::from(state.idle_connections));
    POOL.with_label_values(&["in_use"])
        .set(i64::from(state.connections - state.idle_connections));
    POOL.with_label_values(&["max"])
        .set(i64::from(db.pool().max_size()));
    refresh_region_gauges(&db).await;
    // touch the lazies so every family is listed from the start
    let _ = (
        &*HTTP_REQUESTS,
        &*HTTP_LATENCY,
        &*TRANSITIONS,
        &*WEBHOOKS,
        &*REPLICA_FALLBACKS,
        &*REGION_PUBLISHED,
        &*REGION_TOUCHPOINTS,
        &*REGION_DIGITAL_SHARE,
        &*REGION_OVERDUE,
    );
    let mut buf = Vec::new();
    if TextEncoder::new()
        .encode(&REGISTRY.gather(), &mut buf)
        .is_err()
    {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf)
}
