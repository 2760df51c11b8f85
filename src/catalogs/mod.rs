//! Read-only reference catalogs: client needs and channel types (labels in Russian, as the
//! official form words them), and each agency's own digital/offline rule for channel types (R6).

pub mod api;
pub mod db;

pub use crate::domain::catalog::*;
