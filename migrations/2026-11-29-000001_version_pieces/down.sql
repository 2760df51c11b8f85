DROP TABLE register_version_pieces;
DROP INDEX register_versions_region;
DROP TRIGGER register_versions_derive ON register_versions;
DROP FUNCTION register_versions_derive();
ALTER TABLE register_versions
    DROP COLUMN agency_name,
    DROP COLUMN agency_short_name,
    DROP COLUMN agency_region,
    DROP COLUMN row_count;
