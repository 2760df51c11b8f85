//! Structured logs with tracing: `RUST_LOG` filters (default `info`), `TOUCHPOINTS_LOG_FORMAT=json`
//! switches to one JSON object per line for log shippers.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("TOUCHPOINTS_LOG_FORMAT").map(|v| v == "json").unwrap_or(false);
    let builder = fmt().with_env_filter(filter).with_target(false);
    // try_init: tests may initialise more than once in one process
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.compact().try_init() };
}
