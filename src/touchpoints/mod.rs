//! Touchpoints of a process (columns 4–6 of the form): a channel with its contacts, the
//! client needs served there, and the digital/offline mark as the agency wrote it beside the
//! mark its own channel rule implies (R5, R6, R7). The API calls them "points".

pub mod api;
pub mod db;
pub mod model;
pub mod rules;
