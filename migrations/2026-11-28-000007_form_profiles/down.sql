DROP TABLE revision_approval_acts;
DROP TABLE agency_form_profiles;
