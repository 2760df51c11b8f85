-- What portals and maps need of a touchpoint beyond the six columns (opening hours, where an
-- office is), and the time zone its hours are read in.

-- IANA name of the agency's time zone; the hours of its touchpoints are local times there.
ALTER TABLE agencies
    ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Moscow'
        CHECK (time_zone ~ '^(Europe|Asia)/[A-Za-z_-]{3,30}$');

-- hours: {"weekly": [...], "exceptions": [...], "valid_from", "valid_to"} as the API takes it
-- (validated by the service, src/domain/hours.rs); address: the structured Russian address
-- (region, city, street, house, office, fias_id); lat/lon: WGS 84.
ALTER TABLE touchpoints
    ADD COLUMN hours jsonb CHECK (jsonb_typeof(hours) = 'object'),
    ADD COLUMN address jsonb CHECK (jsonb_typeof(address) = 'object'),
    ADD COLUMN lat double precision CHECK (lat BETWEEN -90 AND 90),
    ADD COLUMN lon double precision CHECK (lon BETWEEN -180 AND 180),
    ADD COLUMN accessibility text CHECK (btrim(accessibility) <> '' AND length(accessibility) <= 4000),
    ADD CONSTRAINT touchpoints_geo_pair CHECK ((lat IS NULL) = (lon IS NULL));
