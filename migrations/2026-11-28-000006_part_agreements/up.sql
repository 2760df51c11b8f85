-- 000 §III.1: each unit's list is agreed «с курирующим заместителем Министра» before it goes
-- in. One agreement per part of a revision, by the official curating the part's unit; an edit
-- of the part's rows, a return or a refusal deletes it (the history keeps it).
CREATE TABLE part_agreements (
    revision_id    uuid NOT NULL,
    part_key       text NOT NULL,
    official_id    uuid NOT NULL REFERENCES officials (id) ON DELETE CASCADE,
    agreed_by      text NOT NULL,
    agreed_by_name text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (revision_id, part_key),
    FOREIGN KEY (revision_id, part_key) REFERENCES revision_parts (revision_id, part_key)
        ON DELETE CASCADE
);

-- `deadline.overdue` is announced once per (agency, deadline, due date): the sweep inserts
-- here and emits only when the row is new, in the same transaction, so restarts and several
-- instances never announce one twice.
CREATE TABLE overdue_announcements (
    agency_id    uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    -- kind, revision, part (or obligation's wording): what makes the deadline itself
    deadline_key text NOT NULL CHECK (length(deadline_key) <= 2000),
    due          date NOT NULL,
    kind         text NOT NULL,
    event_id     uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, deadline_key, due)
);
