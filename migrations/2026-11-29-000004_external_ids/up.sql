-- Sync that sees deletions (issue 15): an integrator's own ids on processes and touchpoints,
-- and a feed of touchpoints added, changed and removed by each publication.

-- An integrator's id (PTV's sourceId, an МФЦ system's key): unique within the agency.
ALTER TABLE processes ADD COLUMN external_id text
    CHECK (external_id ~ '^[A-Za-z0-9._:~-]{1,200}$');
ALTER TABLE processes ADD CONSTRAINT processes_agency_external_id_key UNIQUE (agency_id, external_id);

-- Touchpoints have no agency column: unique within the process here, within the agency
-- under the agency's lock in the transaction that sets it.
ALTER TABLE touchpoints ADD COLUMN external_id text
    CHECK (external_id ~ '^[A-Za-z0-9._:~-]{1,200}$');
CREATE UNIQUE INDEX touchpoints_process_external_id_key ON touchpoints (process_id, external_id);
CREATE INDEX touchpoints_external_id_idx ON touchpoints (external_id) WHERE external_id IS NOT NULL;

-- What each publication did to each touchpoint, compared with the agency's previous version:
-- `id` is the cursor of GET /public/changes/touchpoints. Rows are written inside the publishing
-- transaction, under the publication lock, so they commit in id order; append-only.
CREATE TABLE touchpoint_changes (
    id            bigserial PRIMARY KEY,
    touchpoint_id uuid NOT NULL,
    agency_id     uuid NOT NULL,
    version       integer NOT NULL,
    change        text NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT touchpoint_changes_version_fkey FOREIGN KEY (agency_id, version)
        REFERENCES register_versions (agency_id, number) ON DELETE RESTRICT,
    CONSTRAINT touchpoint_changes_once_key UNIQUE (agency_id, version, touchpoint_id)
);
-- the latest change of a touchpoint (GET /public/touchpoints?ids=)
CREATE INDEX touchpoint_changes_touchpoint_idx ON touchpoint_changes (touchpoint_id, id);
CREATE TRIGGER touchpoint_changes_immutable BEFORE UPDATE OR DELETE ON touchpoint_changes
    FOR EACH ROW EXECUTE FUNCTION touchpoints_refuse_change();

-- The versions already published, version by version in commit order: each compared with the
-- agency's version before it, rows by touchpoint id (the row's number `n` aside).
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT cur.agency_id, cur.number, cur.content, cur.created_at, prev.content AS prev_content
        FROM register_versions cur
        LEFT JOIN register_versions prev
               ON prev.agency_id = cur.agency_id AND prev.number = cur.number - 1
        ORDER BY cur.seq
    LOOP
        INSERT INTO touchpoint_changes (touchpoint_id, agency_id, version, change, created_at, updated_at)
        SELECT d.touchpoint_id, v.agency_id, v.number, d.change, v.created_at, v.created_at
        FROM (
            SELECT (r.row -> 'touchpoint' ->> 'id')::uuid AS touchpoint_id,
                   CASE WHEN o.row IS NULL THEN 'added' ELSE 'changed' END AS change,
                   0 AS part, r.ord
            FROM jsonb_array_elements(v.content -> 'rows') WITH ORDINALITY AS r(row, ord)
            LEFT JOIN jsonb_array_elements(COALESCE(v.prev_content -> 'rows', '[]')) AS o(row)
                   ON o.row -> 'touchpoint' ->> 'id' = r.row -> 'touchpoint' ->> 'id'
            WHERE jsonb_typeof(r.row -> 'touchpoint') = 'object'
              AND (o.row IS NULL OR (o.row - 'n') IS DISTINCT FROM (r.row - 'n'))
            UNION ALL
            SELECT (o.row -> 'touchpoint' ->> 'id')::uuid, 'removed', 1, o.ord
            FROM jsonb_array_elements(COALESCE(v.prev_content -> 'rows', '[]')) WITH ORDINALITY AS o(row, ord)
            WHERE jsonb_typeof(o.row -> 'touchpoint') = 'object'
              AND NOT EXISTS (
                  SELECT 1 FROM jsonb_array_elements(v.content -> 'rows') AS r(row)
                  WHERE r.row -> 'touchpoint' ->> 'id' = o.row -> 'touchpoint' ->> 'id')
        ) d
        ORDER BY d.part, d.ord;
    END LOOP;
END;
$$;
