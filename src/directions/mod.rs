//! Activity directions (R2): the shared catalog plus each agency's own.

pub mod api;
pub mod db;
pub mod model;
