-- Officials (должностные лица) each agency keeps, so an approval chain can name people
-- (003 §3.4: the unit's head, the curating deputy, the deputy for client-centricity), and
-- a revision can be cancelled without publishing.

CREATE TABLE officials (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id   uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    -- the `sub` of their tokens: an agreement is theirs when the caller's `sub` is this one
    sub         text NOT NULL CHECK (btrim(sub) <> '' AND length(sub) <= 300),
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 300),
    -- free text, as the agency titles it («Заместитель начальника отряда»)
    position    text NOT NULL CHECK (btrim(position) <> '' AND length(position) <= 300),
    email       text NOT NULL CHECK (length(email) <= 254),
    unit_id     uuid REFERENCES units (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT officials_agency_sub_key UNIQUE (agency_id, sub)
);
CREATE TRIGGER officials_updated_at BEFORE UPDATE ON officials
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

ALTER TABLE units
    ADD COLUMN head_official_id uuid REFERENCES officials (id) ON DELETE SET NULL,
    ADD COLUMN curator_official_id uuid REFERENCES officials (id) ON DELETE SET NULL;

-- The curator of a direction, per agency: works alike for the shared catalog's directions
-- (agency_id NULL in `directions`) and the agency's own.
CREATE TABLE direction_curators (
    agency_id    uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    direction_id uuid NOT NULL REFERENCES directions (id) ON DELETE CASCADE,
    official_id  uuid NOT NULL REFERENCES officials (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, direction_id)
);
CREATE TRIGGER direction_curators_updated_at BEFORE UPDATE ON direction_curators
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- A step naming several officials (the heads of several units) has one agreement each.
ALTER TABLE revision_approvals DROP CONSTRAINT revision_approvals_pkey;
ALTER TABLE revision_approvals ADD PRIMARY KEY (revision_id, step, approved_by);
ALTER TABLE revision_approvals ADD COLUMN official_id uuid;

-- A revision can end without publishing.
ALTER TABLE revisions DROP CONSTRAINT revisions_status_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_status_check
    CHECK (status IN ('open', 'approving', 'approved', 'published', 'cancelled'));
ALTER TABLE revisions ADD COLUMN cancelled_at timestamptz;
DROP INDEX revisions_one_active_idx;
CREATE UNIQUE INDEX revisions_one_active_idx ON revisions (agency_id)
    WHERE status NOT IN ('published', 'cancelled');
