ALTER TABLE agency_workflow_settings DROP COLUMN require_signed_file;
DROP TABLE part_files;
