//! The revision workflow (R8–R12): a revision of an agency's register is split into parts per
//! unit, submitted, checked, returned with remarks or accepted, approved through the agency's
//! chain of agreements and published as an immutable, numbered version with its history.

pub mod api;
pub mod audit;
pub mod db;
pub mod edit;
pub mod governance;
pub mod model;
pub mod settings;
pub mod snapshot;
pub mod usecases;
/// The state machine is a domain rule (R8–R10), kept with the other plain rules.
pub use crate::domain::state;
