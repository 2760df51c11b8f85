//! Views, which `diesel print-schema` does not print (src/schema.rs is generated; see
//! diesel.toml and scripts/check-schema.sh). Kept by hand in step with `migrations/`; the test
//! suite runs every query against the migrated database, so a drift fails there.

use crate::schema::*;

// A view (see the registers migration): a touchpoint with its process's and agency's facts.
diesel::table! {
    touchpoint_rows (id) {
        id -> Uuid,
        process_id -> Uuid,
        agency_id -> Uuid,
        direction_id -> Uuid,
        unit_id -> Nullable<Uuid>,
        client_type -> Text,
        channel_code -> Text,
        name -> Text,
        interaction -> Nullable<Text>,
        features -> Nullable<Text>,
        stated_mode -> Nullable<Text>,
        implied_mode -> Text,
        position -> Int4,
        process_position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        as_written -> Nullable<Text>,
    }
}

// A view (see the subordinates migration): the channel rule in force for an agency, its own
// or the nearest ancestor's.
diesel::table! {
    agency_channel_rules (agency_id, channel_code) {
        agency_id -> Uuid,
        channel_code -> Text,
        mode -> Text,
        source_agency_id -> Uuid,
    }
}

/// `allow_tables_to_appear_in_same_query!` for a view and each table, one pair at a time (the
/// macro given a longer list would also pair the tables among themselves, which
/// src/schema.rs already does).
macro_rules! view_appears_with {
    ($view:ident: $($table:ident),+ $(,)?) => {
        $(diesel::allow_tables_to_appear_in_same_query!($view, $table);)+
    };
}

view_appears_with!(touchpoint_rows:
    agencies,
    agency_channel_modes,
    agency_form_profiles,
    agency_workflow_settings,
    audit_log,
    calendar_days,
    channel_types,
    client_needs,
    directions,
    overdue_announcements,
    part_agreements,
    part_files,
    processes,
    register_version_pieces,
    register_versions,
    revision_approval_acts,
    revision_approvals,
    revision_parts,
    revision_remarks,
    revisions,
    touchpoint_contacts,
    touchpoint_needs,
    touchpoints,
    units,
    webhook_deliveries,
    webhooks,
);
