//! HTTP-level tests against the real application and a real PostgreSQL (one database per test).

mod client;
mod helpers;
mod import;
mod smtp;

mod agencies;
mod authz;
mod catalogs;
mod compression;
mod demo;
mod directions;
mod files;
mod first_hour;
mod form_profiles;
mod notices;
mod officials;
mod openapi;
mod opendata;
mod portals;
mod problem_snapshots;
mod problems;
mod procedures;
mod processes;
mod public;
mod reviews;
mod security;
mod side_doors;
mod stats;
mod subordinates;
mod subordinates_public;
mod sync;
mod touchpoints;
mod units;
mod webhooks;
mod workflow;
