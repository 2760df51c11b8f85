DROP TABLE mail_outbox;
ALTER TABLE webhooks DROP COLUMN events;
