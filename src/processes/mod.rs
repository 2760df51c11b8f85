//! The agency's process registry (R3): services, functions and digital services, each under
//! an activity direction and optionally owned by a unit.

pub mod api;
pub mod db;
pub mod model;
