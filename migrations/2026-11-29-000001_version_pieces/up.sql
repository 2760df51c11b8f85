-- A region's consolidated CSV and HTML (issue 13) are read, not rendered: each published
-- version keeps the few facts the region index needs beside its content, and its own piece of
-- the region's CSV and HTML, rendered and gzip-compressed once when it is published.

-- The agency as the version states it and its row count, kept in step with `content` by a
-- trigger (whatever inserts a version: the publish path, a hand-written INSERT), so the region
-- index reads four short columns instead of taking every version's content apart.
ALTER TABLE register_versions
    ADD COLUMN agency_name text NOT NULL DEFAULT '',
    ADD COLUMN agency_short_name text,
    ADD COLUMN agency_region text NOT NULL DEFAULT '',
    ADD COLUMN row_count integer NOT NULL DEFAULT 0 CHECK (row_count >= 0);

CREATE FUNCTION register_versions_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.agency_name := COALESCE(NEW.content->'agency'->>'name', '');
    NEW.agency_short_name := NEW.content->'agency'->>'short_name';
    NEW.agency_region := COALESCE(NEW.content->'agency'->>'region', '');
    NEW.row_count := COALESCE(jsonb_array_length(NEW.content->'rows'), 0);
    RETURN NEW;
END
$$;

CREATE TRIGGER register_versions_derive
    BEFORE INSERT OR UPDATE OF content ON register_versions
    FOR EACH ROW EXECUTE FUNCTION register_versions_derive();

UPDATE register_versions SET content = content;

CREATE INDEX register_versions_region ON register_versions (agency_region, agency_id, number);

-- A version's piece of the region CSV (`region_csv`) or HTML (`region_html`): raw deflate
-- blocks ending in a full flush (so pieces concatenate into one gzip member), with the CRC-32
-- and length of the plain text they hold. Versions published before this table existed get
-- theirs from a background thread at start-up; until then the stream renders them.
CREATE TABLE register_version_pieces (
    version_id uuid NOT NULL REFERENCES register_versions (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('region_csv', 'region_html')),
    deflate bytea NOT NULL,
    crc32 bigint NOT NULL CHECK (crc32 BETWEEN 0 AND 4294967295),
    plain_len bigint NOT NULL CHECK (plain_len >= 0),
    PRIMARY KEY (version_id, kind)
);
