-- What the open-data passport (meta.csv) needs and the register does not know: the body's INN
-- and the set's code (the identifier «ИНН-код»), title/description overrides, keywords, update
-- periodicity, licence and the responsible official. Validated by the API (src/opendata/model.rs);
-- kept as one JSON object as the form profiles are.
CREATE TABLE agency_open_data (
    agency_id  uuid PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    settings   jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    updated_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER agency_open_data_updated_at BEFORE UPDATE ON agency_open_data
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- The same for a region's consolidated set, plus its creator (the regional body publishing it).
-- A region is the text agencies name it by (agencies.region).
CREATE TABLE region_open_data (
    region     text PRIMARY KEY CHECK (length(region) BETWEEN 1 AND 300),
    settings   jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    updated_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER region_open_data_updated_at BEFORE UPDATE ON region_open_data
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();
