//! Files attached to a part of a revision: the unit's XLSX/CSV as sent, with an optional
//! detached CAdES signature (CMS SignedData) whose signer certificate and signed digest are
//! read — not verified — by [`signature`]. Stored in PostgreSQL; an agency's setting
//! `require_signed_file` makes a signed file a condition of submitting a part.

pub mod api;
pub mod db;
pub mod signature;

pub use db::require_signed_file;
