//! Structured logs with tracing: `RUST_LOG` filters (default `info`), `TOUCHPOINTS_LOG_FORMAT=json`
//! switches to one JSON object per line for log shippers.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("TOUCHPOINTS_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    // colours only for a person at a terminal, never in a log file or a pipe
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    // try_init: tests may initialise more than once in one process
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing_actix_web::RequestId;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's root span as tracing-actix-web builds it, without its event for an error
/// response: that event dumps the error's Rust debug form at WARN for every 4xx. A client's
/// mistake is logged once, by [`access_log`], at INFO with its problem code; a server error
/// is logged at ERROR where it is turned into a problem ([`crate::error::ApiError`]).
pub struct QuietRootSpan;

impl tracing_actix_web::RootSpanBuilder for QuietRootSpan {
    /// The fields of tracing-actix-web's `root_span!`, made cheaper: the route is recorded by
    /// [`access_log`], which matches it once for its line and the metrics (the macro matched it
    /// again), and the connection's fields and the request id are formatted only when the span
    /// is enabled (the macro did so for every request, logged or not).
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        use tracing::field::Empty;
        let request_id = request.extensions().get::<RequestId>().copied();
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = Empty,
            http.flavor = ?request.version(),
            http.scheme = Empty,
            http.host = Empty,
            http.client_ip = Empty,
            http.user_agent = Empty,
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.status_code = Empty,
            otel.kind = "server",
            otel.status_code = Empty,
            request_id = Empty,
        );
        if !span.is_disabled() {
            if let Some(id) = request_id {
                span.record("request_id", tracing::field::display(id));
            }
            let info = request.connection_info();
            span.record("http.scheme", info.scheme());
            span.record("http.host", info.host());
            span.record("http.client_ip", info.realip_remote_addr().unwrap_or(""));
            let agent = request
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            span.record("http.user_agent", agent);
        }
        span
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.response().status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.status_code", status.as_u16());
        span.record(
            "otel.status_code",
            if status.is_server_error() {
                "ERROR"
            } else {
                "OK"
            },
        );
    }
}

/// One log line per request (method, route, status, latency) inside the request's span, and
/// the request id (the same one every log line of the request carries) on the response.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let request_id = req.extensions().get::<RequestId>().copied();
    // matched once, before the handler runs, so that its own log lines carry the route too
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    tracing::Span::current().record("http.route", route.as_str());
    let mut res = next.call(req).await?;
    let status_code = res.status();
    let status = status_code.as_u16();
    let path = res.request().path();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    crate::metrics::observe_request(method.as_str(), &route, status_code, latency_ms / 1000.0);
    // the problem code of an error response (set by `ApiError::error_response`)
    let problem = res
        .response()
        .extensions()
        .get::<crate::error::ErrorCode>()
        .map(|c| c.as_str());
    if status >= 500 {
        tracing::warn!(%method, %path, %route, status, problem, latency_ms, "request");
    } else {
        tracing::info!(%method, %path, %route, status, problem, latency_ms, "request");
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), id);
    }
    Ok(res)
}
