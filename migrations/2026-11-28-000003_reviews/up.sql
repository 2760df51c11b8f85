-- Every deadline of the workflow settings may be null (none): 003 and 004 set no yearly date,
-- 004 no publication period. Stored values and the defaults stay.
ALTER TABLE agency_workflow_settings
    ALTER COLUMN review_days      DROP NOT NULL,
    ALTER COLUMN return_days      DROP NOT NULL,
    ALTER COLUMN fix_days         DROP NOT NULL,
    ALTER COLUMN resubmit_days    DROP NOT NULL,
    ALTER COLUMN consolidate_days DROP NOT NULL,
    ALTER COLUMN publish_days     DROP NOT NULL,
    ALTER COLUMN yearly_month     DROP NOT NULL,
    ALTER COLUMN yearly_day       DROP NOT NULL,
    -- a unit hands in its part within N working days of the revision's opening or of the
    -- part's return (004 §13: 1); none by default
    ADD COLUMN submit_days integer CHECK (submit_days BETWEEN 0 AND 60),
    ADD CONSTRAINT agency_workflow_settings_yearly_pair
        CHECK ((yearly_month IS NULL) = (yearly_day IS NULL));

-- Reviews of the register that may find nothing to change (000 §III.1 «при наличии изменений»,
-- 004 §20 quarterly analysis, 002 yearly monitoring by 31 Dec).
CREATE TABLE reviews (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id        uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('quarterly_analysis', 'yearly_monitoring')),
    outcome          text NOT NULL CHECK (outcome IN ('no_changes', 'changes_found')),
    comment          text CHECK (length(comment) <= 4000),
    -- the revision a `changes_found` review opened or joined
    revision_id      uuid REFERENCES revisions (id) ON DELETE SET NULL,
    reviewed_by      text NOT NULL,
    reviewed_by_name text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (outcome = 'changes_found' OR revision_id IS NULL)
);
CREATE INDEX reviews_agency_created ON reviews (agency_id, created_at DESC);

-- One-off dated obligations of an agency (000: the first register by 1 Apr 2024): met by a
-- publication within the year before the date or any later one.
CREATE TABLE agency_obligations (
    agency_id  uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    due        date NOT NULL,
    what       text NOT NULL CHECK (length(what) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, due, what)
);
