-- Webhook delivery log, coarse: what happened to the last attempt as one of a few words,
-- never the network stack's own message (which told any agency member what answered on an
-- internal port). Existing rows are classified as well as their old columns allow.
ALTER TABLE webhook_deliveries
    ADD COLUMN outcome text CHECK (outcome IN ('delivered', 'http_error', 'timeout', 'connect_error', 'blocked'));
UPDATE webhook_deliveries SET outcome = CASE
    WHEN status = 'delivered' THEN 'delivered'
    WHEN last_status IS NOT NULL THEN 'http_error'
    WHEN last_error ILIKE '%timeout%' OR last_error ILIKE '%timed out%' THEN 'timeout'
    WHEN last_error IS NOT NULL THEN 'connect_error'
END
WHERE attempts > 0;
ALTER TABLE webhook_deliveries DROP COLUMN last_error;
