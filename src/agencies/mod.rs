//! Agencies and their subordinate organizations (R1, R14). A subordinate organization is an
//! agency with a `parent_id`; each owns a register of its own.

pub mod api;
pub mod db;
pub mod model;

pub use model::{Agency, AgencyPatch, NewAgency};
