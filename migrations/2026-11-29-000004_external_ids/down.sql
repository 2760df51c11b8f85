DROP TABLE touchpoint_changes;
DROP INDEX touchpoints_external_id_idx;
DROP INDEX touchpoints_process_external_id_key;
ALTER TABLE touchpoints DROP COLUMN external_id;
ALTER TABLE processes DROP CONSTRAINT processes_agency_external_id_key;
ALTER TABLE processes DROP COLUMN external_id;
