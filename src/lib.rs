//! touchpoints: registers of client touchpoints (перечни точек взаимодействия с клиентом)
//! for Russian regional government bodies.

pub mod agencies;
pub mod auth;
pub mod background;
/// The benchmark's data generator and static ceiling route: `--features bench` (scripts/bench.sh).
#[cfg(feature = "bench")]
pub mod bench;
pub mod calendar;
pub mod catalogs;
pub mod config;
pub mod db;
pub mod deadlines;
pub mod demo;
pub mod directions;
pub mod domain;
pub mod error;
pub mod files;
pub mod forms;
pub mod health;
pub mod http;
pub mod import;
pub mod landing;
pub mod metrics;
pub mod notices;
pub mod officials;
pub mod openapi;
pub mod opendata;
pub mod processes;
pub mod public;
pub mod reviews;
pub mod routes;
pub mod rules;
pub mod schema;
pub mod schema_views;
pub mod startup;
pub mod stats;
pub mod sync;
pub mod telemetry;
pub mod touchpoints;
pub mod units;
pub mod webhooks;
pub mod workflow;
