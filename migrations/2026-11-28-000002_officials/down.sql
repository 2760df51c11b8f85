DROP INDEX revisions_one_active_idx;
DELETE FROM revisions WHERE status = 'cancelled';
CREATE UNIQUE INDEX revisions_one_active_idx ON revisions (agency_id) WHERE status <> 'published';
ALTER TABLE revisions DROP COLUMN cancelled_at;
ALTER TABLE revisions DROP CONSTRAINT revisions_status_check;
ALTER TABLE revisions ADD CONSTRAINT revisions_status_check
    CHECK (status IN ('open', 'approving', 'approved', 'published'));
ALTER TABLE revision_approvals DROP COLUMN official_id;
DELETE FROM revision_approvals a USING revision_approvals b
    WHERE a.revision_id = b.revision_id AND a.step = b.step AND a.approved_by > b.approved_by;
ALTER TABLE revision_approvals DROP CONSTRAINT revision_approvals_pkey;
ALTER TABLE revision_approvals ADD PRIMARY KEY (revision_id, step);
DROP TABLE direction_curators;
ALTER TABLE units DROP COLUMN head_official_id, DROP COLUMN curator_official_id;
DROP TABLE officials;
