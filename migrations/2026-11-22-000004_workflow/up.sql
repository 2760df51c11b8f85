-- The revision workflow (R8–R12): revisions split into parts per unit, remarks, the approval
-- chain (R9), immutable published versions, and an append-only audit log.

-- Each agency's own rules; an agency without a row follows the defaults (004 §12–18, 002 §5.5).
CREATE TABLE agency_workflow_settings (
    agency_id        uuid PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    review_days      integer NOT NULL DEFAULT 5  CHECK (review_days BETWEEN 0 AND 60),
    return_days      integer NOT NULL DEFAULT 1  CHECK (return_days BETWEEN 0 AND 60),
    fix_days         integer NOT NULL DEFAULT 5  CHECK (fix_days BETWEEN 0 AND 60),
    resubmit_days    integer NOT NULL DEFAULT 1  CHECK (resubmit_days BETWEEN 0 AND 60),
    consolidate_days integer NOT NULL DEFAULT 2  CHECK (consolidate_days BETWEEN 0 AND 60),
    publish_days     integer NOT NULL DEFAULT 10 CHECK (publish_days BETWEEN 0 AND 60),
    -- the yearly revision is due by this day of the year (000: 1 Feb, 001: 1 Mar, 002: 31 Dec)
    yearly_month     integer NOT NULL DEFAULT 2  CHECK (yearly_month BETWEEN 1 AND 12),
    yearly_day       integer NOT NULL DEFAULT 1  CHECK (yearly_day BETWEEN 1 AND 31),
    quarterly_analysis boolean NOT NULL DEFAULT false,
    -- ordered names of the agreement steps (R9), e.g. ["Начальник отдела", "Заместитель министра", "Министр"]
    approval_chain   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approval_chain) = 'array'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER agency_workflow_settings_updated_at BEFORE UPDATE ON agency_workflow_settings
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

CREATE TABLE revisions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id      uuid NOT NULL REFERENCES agencies (id) ON DELETE RESTRICT,
    number         integer NOT NULL CHECK (number > 0),
    reason         text NOT NULL CHECK (reason IN ('yearly_revision', 'quarterly_analysis', 'regulation_change',
                                                   'process_added_removed', 'touchpoint_changed', 'needs_changed',
                                                   'channel_changed', 'other')),
    comment        text CHECK (length(comment) <= 4000),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approving', 'approved', 'published')),
    approval_chain jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(approval_chain) = 'array'),
    opened_by      text NOT NULL,
    opened_by_name text NOT NULL,
    all_accepted_at timestamptz,
    approved_at    timestamptz,
    published_at   timestamptz,
    version_number integer,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT revisions_agency_number_key UNIQUE (agency_id, number),
    CONSTRAINT revisions_published_has_version CHECK ((status = 'published') = (version_number IS NOT NULL)),
    CONSTRAINT revisions_other_needs_comment CHECK (reason <> 'other' OR comment IS NOT NULL)
);
-- one revision in progress per agency
CREATE UNIQUE INDEX revisions_one_active_idx ON revisions (agency_id) WHERE status <> 'published';
CREATE TRIGGER revisions_updated_at BEFORE UPDATE ON revisions
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- One part per unit that owns processes; `agency` is the part of processes with no unit.
CREATE TABLE revision_parts (
    revision_id  uuid NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    part_key     text NOT NULL CHECK (part_key = 'agency' OR part_key ~ '^[0-9a-f-]{36}$'),
    -- no foreign key: the history keeps naming a unit that was deleted later
    unit_id      uuid,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'returned', 'accepted')),
    submitted_at timestamptz,
    returned_at  timestamptz,
    accepted_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (revision_id, part_key),
    CONSTRAINT revision_parts_key_matches_unit CHECK ((part_key = 'agency') = (unit_id IS NULL)
                                                     AND (unit_id IS NULL OR part_key = unit_id::text))
);
CREATE TRIGGER revision_parts_updated_at BEFORE UPDATE ON revision_parts
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

CREATE TABLE revision_remarks (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    revision_id   uuid NOT NULL,
    part_key      text NOT NULL,
    process_id    uuid,
    touchpoint_id uuid,
    text          text NOT NULL CHECK (btrim(text) <> '' AND length(text) <= 4000),
    author        text NOT NULL,
    author_name   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (revision_id, part_key) REFERENCES revision_parts (revision_id, part_key) ON DELETE CASCADE
);
CREATE INDEX revision_remarks_revision_idx ON revision_remarks (revision_id, created_at);

CREATE TABLE revision_approvals (
    revision_id      uuid NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    step             integer NOT NULL CHECK (step >= 0),
    step_name        text NOT NULL,
    approved_by      text NOT NULL,
    approved_by_name text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (revision_id, step)
);

-- Published versions are immutable: the trigger below refuses any change.
CREATE TABLE register_versions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- the change feed's cursor; publications take a transaction-level advisory lock, so they
    -- commit in seq order and a poller never skips one
    seq           bigserial NOT NULL UNIQUE,
    agency_id     uuid NOT NULL REFERENCES agencies (id) ON DELETE RESTRICT,
    number        integer NOT NULL CHECK (number > 0),
    revision_id   uuid NOT NULL UNIQUE REFERENCES revisions (id) ON DELETE RESTRICT,
    content       jsonb NOT NULL,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    approved_at   timestamptz NOT NULL,
    published_by  text NOT NULL,
    published_by_name text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT register_versions_agency_number_key UNIQUE (agency_id, number)
);

CREATE OR REPLACE FUNCTION touchpoints_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER register_versions_immutable BEFORE UPDATE OR DELETE ON register_versions
    FOR EACH ROW EXECUTE FUNCTION touchpoints_refuse_change();

-- Every edit, transition and remark: who, when, what, before and after.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    agency_id   uuid NOT NULL,
    revision_id uuid,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    actor_name  text NOT NULL,
    before      jsonb,
    after       jsonb,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_revision_idx ON audit_log (revision_id, id);
CREATE INDEX audit_log_agency_idx ON audit_log (agency_id, id);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION touchpoints_refuse_change();
