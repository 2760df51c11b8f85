// @generated automatically by Diesel CLI.

diesel::table! {
    agencies (id) {
        id -> Uuid,
        parent_id -> Nullable<Uuid>,
        name -> Text,
        short_name -> Nullable<Text>,
        region -> Text,
        kind -> Text,
        website -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        time_zone -> Text,
    }
}

diesel::table! {
    agency_channel_modes (agency_id, channel_code) {
        agency_id -> Uuid,
        channel_code -> Text,
        mode -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agency_form_profiles (agency_id) {
        agency_id -> Uuid,
        profile -> Jsonb,
        updated_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agency_obligations (agency_id, due, what) {
        agency_id -> Uuid,
        due -> Date,
        what -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    agency_open_data (agency_id) {
        agency_id -> Uuid,
        settings -> Jsonb,
        updated_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agency_workflow_settings (agency_id) {
        agency_id -> Uuid,
        review_days -> Nullable<Int4>,
        return_days -> Nullable<Int4>,
        fix_days -> Nullable<Int4>,
        resubmit_days -> Nullable<Int4>,
        consolidate_days -> Nullable<Int4>,
        publish_days -> Nullable<Int4>,
        yearly_month -> Nullable<Int4>,
        yearly_day -> Nullable<Int4>,
        quarterly_analysis -> Bool,
        approval_chain -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        submit_days -> Nullable<Int4>,
        approves_subordinates -> Bool,
        part_agreement -> Nullable<Text>,
        require_signed_file -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        agency_id -> Uuid,
        revision_id -> Nullable<Uuid>,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        actor -> Text,
        actor_name -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        working -> Bool,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    channel_types (code) {
        code -> Text,
        label -> Text,
        default_mode -> Text,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    client_needs (code) {
        code -> Text,
        label -> Text,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    direction_curators (agency_id, direction_id) {
        agency_id -> Uuid,
        direction_id -> Uuid,
        official_id -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    directions (id) {
        id -> Uuid,
        agency_id -> Nullable<Uuid>,
        code -> Nullable<Text>,
        name -> Text,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Uuid,
        agency_id -> Uuid,
        event_type -> Text,
        event_id -> Uuid,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        outcome -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    officials (id) {
        id -> Uuid,
        agency_id -> Uuid,
        sub -> Text,
        name -> Text,
        position -> Text,
        email -> Text,
        unit_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    overdue_announcements (agency_id, deadline_key, due) {
        agency_id -> Uuid,
        deadline_key -> Text,
        due -> Date,
        kind -> Text,
        event_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    part_agreements (revision_id, part_key) {
        revision_id -> Uuid,
        part_key -> Text,
        official_id -> Uuid,
        agreed_by -> Text,
        agreed_by_name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    part_files (id) {
        id -> Uuid,
        revision_id -> Uuid,
        part_key -> Text,
        agency_id -> Uuid,
        file_name -> Text,
        content_type -> Text,
        size -> Int8,
        sha256 -> Text,
        content -> Bytea,
        signature -> Nullable<Bytea>,
        signature_name -> Nullable<Text>,
        signature_size -> Nullable<Int8>,
        signature_sha256 -> Nullable<Text>,
        signature_info -> Nullable<Jsonb>,
        signature_digest_matches -> Nullable<Bool>,
        uploaded_by -> Text,
        uploaded_by_name -> Text,
        uploaded_at -> Timestamptz,
    }
}

diesel::table! {
    processes (id) {
        id -> Uuid,
        agency_id -> Uuid,
        direction_id -> Uuid,
        unit_id -> Nullable<Uuid>,
        name -> Text,
        direction_label -> Nullable<Text>,
        registry_code -> Nullable<Text>,
        kind -> Text,
        client_type -> Text,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    region_open_data (region) {
        region -> Text,
        settings -> Jsonb,
        updated_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    register_version_pieces (version_id, kind) {
        version_id -> Uuid,
        kind -> Text,
        deflate -> Bytea,
        crc32 -> Int8,
        plain_len -> Int8,
    }
}

diesel::table! {
    register_versions (id) {
        id -> Uuid,
        seq -> Int8,
        agency_id -> Uuid,
        number -> Int4,
        revision_id -> Uuid,
        content -> Jsonb,
        sha256 -> Text,
        approved_at -> Timestamptz,
        published_by -> Text,
        published_by_name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        agency_name -> Text,
        agency_short_name -> Nullable<Text>,
        agency_region -> Text,
        row_count -> Int4,
    }
}

diesel::table! {
    reviews (id) {
        id -> Uuid,
        agency_id -> Uuid,
        kind -> Text,
        outcome -> Text,
        comment -> Nullable<Text>,
        revision_id -> Nullable<Uuid>,
        reviewed_by -> Text,
        reviewed_by_name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    revision_approval_acts (revision_id) {
        revision_id -> Uuid,
        order_number -> Nullable<Text>,
        order_date -> Nullable<Date>,
        order_date_text -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    revision_approvals (revision_id, step, approved_by) {
        revision_id -> Uuid,
        step -> Int4,
        step_name -> Text,
        approved_by -> Text,
        approved_by_name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        official_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    revision_parts (revision_id, part_key) {
        revision_id -> Uuid,
        part_key -> Text,
        unit_id -> Nullable<Uuid>,
        status -> Text,
        submitted_at -> Nullable<Timestamptz>,
        returned_at -> Nullable<Timestamptz>,
        accepted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    revision_remarks (id) {
        id -> Uuid,
        revision_id -> Uuid,
        part_key -> Text,
        process_id -> Nullable<Uuid>,
        touchpoint_id -> Nullable<Uuid>,
        text -> Text,
        author -> Text,
        author_name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    revisions (id) {
        id -> Uuid,
        agency_id -> Uuid,
        number -> Int4,
        reason -> Text,
        comment -> Nullable<Text>,
        status -> Text,
        approval_chain -> Jsonb,
        opened_by -> Text,
        opened_by_name -> Text,
        all_accepted_at -> Nullable<Timestamptz>,
        approved_at -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        version_number -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    touchpoint_changes (id) {
        id -> Int8,
        touchpoint_id -> Uuid,
        agency_id -> Uuid,
        version -> Int4,
        change -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    touchpoint_contacts (id) {
        id -> Uuid,
        touchpoint_id -> Uuid,
        process_id -> Uuid,
        channel_code -> Text,
        kind -> Text,
        value -> Text,
        normalized -> Text,
        label -> Nullable<Text>,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        as_written -> Nullable<Text>,
    }
}

diesel::table! {
    touchpoint_needs (touchpoint_id, need_code) {
        touchpoint_id -> Uuid,
        need_code -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    touchpoints (id) {
        id -> Uuid,
        process_id -> Uuid,
        channel_code -> Text,
        name -> Text,
        interaction -> Nullable<Text>,
        features -> Nullable<Text>,
        stated_mode -> Nullable<Text>,
        contactless_key -> Nullable<Text>,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        as_written -> Nullable<Text>,
        hours -> Nullable<Jsonb>,
        address -> Nullable<Jsonb>,
        lat -> Nullable<Float8>,
        lon -> Nullable<Float8>,
        accessibility -> Nullable<Text>,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    units (id) {
        id -> Uuid,
        agency_id -> Uuid,
        name -> Text,
        responsible_persons -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        head_official_id -> Nullable<Uuid>,
        curator_official_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        webhook_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status -> Nullable<Int4>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        agency_id -> Uuid,
        url -> Text,
        description -> Nullable<Text>,
        secret -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        events -> Array<Nullable<Text>>,
    }
}

diesel::joinable!(agency_channel_modes -> agencies (agency_id));
diesel::joinable!(agency_channel_modes -> channel_types (channel_code));
diesel::joinable!(agency_form_profiles -> agencies (agency_id));
diesel::joinable!(agency_obligations -> agencies (agency_id));
diesel::joinable!(agency_open_data -> agencies (agency_id));
diesel::joinable!(agency_workflow_settings -> agencies (agency_id));
diesel::joinable!(direction_curators -> agencies (agency_id));
diesel::joinable!(direction_curators -> directions (direction_id));
diesel::joinable!(direction_curators -> officials (official_id));
diesel::joinable!(directions -> agencies (agency_id));
diesel::joinable!(mail_outbox -> agencies (agency_id));
diesel::joinable!(officials -> agencies (agency_id));
diesel::joinable!(overdue_announcements -> agencies (agency_id));
diesel::joinable!(part_agreements -> officials (official_id));
diesel::joinable!(part_files -> agencies (agency_id));
diesel::joinable!(processes -> agencies (agency_id));
diesel::joinable!(processes -> directions (direction_id));
diesel::joinable!(register_version_pieces -> register_versions (version_id));
diesel::joinable!(register_versions -> agencies (agency_id));
diesel::joinable!(register_versions -> revisions (revision_id));
diesel::joinable!(reviews -> agencies (agency_id));
diesel::joinable!(reviews -> revisions (revision_id));
diesel::joinable!(revision_approval_acts -> revisions (revision_id));
diesel::joinable!(revision_approvals -> revisions (revision_id));
diesel::joinable!(revision_parts -> revisions (revision_id));
diesel::joinable!(revisions -> agencies (agency_id));
diesel::joinable!(touchpoint_needs -> client_needs (need_code));
diesel::joinable!(touchpoint_needs -> touchpoints (touchpoint_id));
diesel::joinable!(touchpoints -> channel_types (channel_code));
diesel::joinable!(touchpoints -> processes (process_id));
diesel::joinable!(units -> agencies (agency_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhooks -> agencies (agency_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    agency_channel_modes,
    agency_form_profiles,
    agency_obligations,
    agency_open_data,
    agency_workflow_settings,
    audit_log,
    calendar_days,
    channel_types,
    client_needs,
    direction_curators,
    directions,
    mail_outbox,
    officials,
    overdue_announcements,
    part_agreements,
    part_files,
    processes,
    region_open_data,
    register_version_pieces,
    register_versions,
    reviews,
    revision_approval_acts,
    revision_approvals,
    revision_parts,
    revision_remarks,
    revisions,
    touchpoint_changes,
    touchpoint_contacts,
    touchpoint_needs,
    touchpoints,
    units,
    webhook_deliveries,
    webhooks,
);
