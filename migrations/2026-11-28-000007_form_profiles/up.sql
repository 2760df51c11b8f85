-- The form an agency prints its register in (R13): titles, the six mandatory headers in its
-- own wording, footnotes, the words of the digital/offline mark, the «1 2 3 4 5 6» row, extra
-- columns, one table or one per client type, and how the approval is printed. A subordinate
-- organization without a profile of its own prints in its nearest ancestor's.
CREATE TABLE agency_form_profiles (
    agency_id  uuid PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    profile    jsonb NOT NULL CHECK (jsonb_typeof(profile) = 'object'),
    updated_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER agency_form_profiles_updated_at BEFORE UPDATE ON agency_form_profiles
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- The act that approves a revision: the order's number and date (given with the last
-- agreement or with the publication), frozen into the published version's content.
CREATE TABLE revision_approval_acts (
    revision_id     uuid PRIMARY KEY REFERENCES revisions (id) ON DELETE CASCADE,
    order_number    text CHECK (length(order_number) <= 100),
    order_date      date,
    order_date_text text CHECK (length(order_date_text) <= 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER revision_approval_acts_updated_at BEFORE UPDATE ON revision_approval_acts
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();
