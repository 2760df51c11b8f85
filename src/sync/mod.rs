//! Sync for portals and the systems that feed the register (issue 15): every publication
//! records, touchpoint by touchpoint, what it added, changed and removed (`db::record`), and
//! the public API serves that as a feed in commit order with tombstones, plus the current
//! state of touchpoints fetched by id (`api`). The upsert by an integrator's own id lives with
//! the processes and touchpoints it writes (`PUT …/by-external-id/{external_id}`).

pub mod api;
pub mod db;
