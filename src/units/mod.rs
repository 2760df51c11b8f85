//! Structural units of an agency and the people responsible for their part of the register (R16).

pub mod api;
pub mod db;
pub mod model;
