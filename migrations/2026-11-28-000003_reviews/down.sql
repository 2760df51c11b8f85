DROP TABLE agency_obligations;
DROP TABLE reviews;
ALTER TABLE agency_workflow_settings DROP CONSTRAINT agency_workflow_settings_yearly_pair;
ALTER TABLE agency_workflow_settings DROP COLUMN submit_days;
UPDATE agency_workflow_settings SET
    review_days = coalesce(review_days, 5), return_days = coalesce(return_days, 1),
    fix_days = coalesce(fix_days, 5), resubmit_days = coalesce(resubmit_days, 1),
    consolidate_days = coalesce(consolidate_days, 2), publish_days = coalesce(publish_days, 10),
    yearly_month = coalesce(yearly_month, 2), yearly_day = coalesce(yearly_day, 1);
ALTER TABLE agency_workflow_settings
    ALTER COLUMN review_days      SET NOT NULL,
    ALTER COLUMN return_days      SET NOT NULL,
    ALTER COLUMN fix_days         SET NOT NULL,
    ALTER COLUMN resubmit_days    SET NOT NULL,
    ALTER COLUMN consolidate_days SET NOT NULL,
    ALTER COLUMN publish_days     SET NOT NULL,
    ALTER COLUMN yearly_month     SET NOT NULL,
    ALTER COLUMN yearly_day       SET NOT NULL;
