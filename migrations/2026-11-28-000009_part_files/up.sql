-- Files attached to a part of a revision: the part's XLSX/CSV as the unit sent it, with an
-- optional detached CAdES signature (CMS SignedData) and what was read from it (the signer's
-- certificate, the signing time, whether the signed digest matches the file). The signature
-- value is parsed, not verified. Stored in the database: at most 10 MB a file, 1 MB a signature.
CREATE TABLE part_files (
    id                       uuid PRIMARY KEY,
    revision_id              uuid NOT NULL,
    part_key                 text NOT NULL,
    agency_id                uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    file_name                text NOT NULL,
    content_type             text NOT NULL,
    size                     bigint NOT NULL CHECK (size >= 0),
    sha256                   text NOT NULL,
    content                  bytea NOT NULL,
    signature                bytea,
    signature_name           text,
    signature_size           bigint,
    signature_sha256         text,
    signature_info           jsonb,
    signature_digest_matches boolean,
    uploaded_by              text NOT NULL,
    uploaded_by_name         text NOT NULL,
    uploaded_at              timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (revision_id, part_key) REFERENCES revision_parts (revision_id, part_key) ON DELETE CASCADE,
    CHECK ((signature IS NULL) = (signature_info IS NULL))
);
CREATE INDEX part_files_part_idx ON part_files (revision_id, part_key, uploaded_at);

-- Submitting a part needs a signed file uploaded since the part was opened or last returned.
ALTER TABLE agency_workflow_settings
    ADD COLUMN require_signed_file boolean NOT NULL DEFAULT false;
