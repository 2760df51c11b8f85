//! The public read API for regional portals (no token): published registers only, cheap to
//! read (rendered versions are cached in memory; see `cache`), HTTP-cacheable, and in the
//! official form as JSON, CSV, XLSX or printable HTML.

pub mod api;
pub mod cache;
pub mod encoding;
pub mod geojson;
pub mod jsonld;
pub mod open_now;
pub mod pieces;
pub mod region;
pub mod render;
pub mod sections;
pub mod serve;
pub mod xlsx;
