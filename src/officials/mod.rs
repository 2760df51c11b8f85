//! The officials (должностные лица) each agency keeps: the people an approval chain names —
//! unit heads, the deputies who curate units and directions, the deputy responsible for
//! client-centricity (003 §3.4). An official is recognised by the `sub` of their tokens.

pub mod api;
pub mod db;
pub mod model;
