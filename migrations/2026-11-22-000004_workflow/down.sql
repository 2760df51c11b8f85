DROP TABLE audit_log;
DROP TABLE register_versions;
DROP FUNCTION touchpoints_refuse_change();
DROP TABLE revision_approvals;
DROP TABLE revision_remarks;
DROP TABLE revision_parts;
DROP TABLE revisions;
DROP TABLE agency_workflow_settings;
