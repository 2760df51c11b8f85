//! The form an agency prints its register in (R13: the form profile, inherited from the
//! parent agency unless set) and the act that approves a revision (order number and date,
//! the approving official), frozen into each published version.

pub mod api;
pub mod db;
