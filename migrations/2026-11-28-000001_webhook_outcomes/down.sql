ALTER TABLE webhook_deliveries ADD COLUMN last_error text;
UPDATE webhook_deliveries SET last_error = outcome WHERE outcome IS NOT NULL AND outcome <> 'delivered';
ALTER TABLE webhook_deliveries DROP COLUMN outcome;
