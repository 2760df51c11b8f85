ALTER TABLE touchpoints
    DROP CONSTRAINT touchpoints_geo_pair,
    DROP COLUMN accessibility,
    DROP COLUMN lon,
    DROP COLUMN lat,
    DROP COLUMN address,
    DROP COLUMN hours;
ALTER TABLE agencies DROP COLUMN time_zone;
