-- Notices: every workflow transition is an event. Webhooks subscribe to a list of event types
-- (existing ones keep what they had: publications), and e-mails to the people concerned go
-- through a transactional outbox of their own, written in the transition's transaction.
ALTER TABLE webhooks ADD COLUMN events text[] NOT NULL DEFAULT ARRAY['register.published']::text[];

CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id       uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    event_type      text NOT NULL,
    event_id        uuid NOT NULL,
    recipient       text NOT NULL CHECK (length(recipient) <= 300),
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- coarse, like the webhook log: sent, rejected (the relay refused), smtp_error, connect_error
    outcome         text CHECK (outcome IN ('sent', 'rejected', 'smtp_error', 'connect_error')),
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_agency_idx ON mail_outbox (agency_id, created_at);
CREATE TRIGGER mail_outbox_updated_at BEFORE UPDATE ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();
