-- Column 4 as the agency wrote it («Телефон: +7(8722) 55-05-28, 51-61-24»), beside the
-- structured, normalised contacts; and each contact's own spelling when it differs from its
-- normalised value. Null: composed from the name and contacts (touchpoints made through the API).
ALTER TABLE touchpoints ADD COLUMN as_written text;
ALTER TABLE touchpoint_contacts ADD COLUMN as_written text;

CREATE OR REPLACE VIEW touchpoint_rows AS
SELECT t.id,
       t.process_id,
       p.agency_id,
       p.direction_id,
       p.unit_id,
       p.client_type,
       t.channel_code,
       t.name,
       t.interaction,
       t.features,
       t.stated_mode,
       COALESCE(m.mode, c.default_mode) AS implied_mode,
       t.position,
       p.position AS process_position,
       t.created_at,
       t.updated_at,
       t.as_written
FROM touchpoints t
JOIN processes p ON p.id = t.process_id
JOIN channel_types c ON c.code = t.channel_code
LEFT JOIN agency_channel_rules m ON m.agency_id = p.agency_id AND m.channel_code = t.channel_code;
