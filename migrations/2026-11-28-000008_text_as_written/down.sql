DROP VIEW touchpoint_rows;
CREATE VIEW touchpoint_rows AS
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
       t.updated_at
FROM touchpoints t
JOIN processes p ON p.id = t.process_id
JOIN channel_types c ON c.code = t.channel_code
LEFT JOIN agency_channel_rules m ON m.agency_id = p.agency_id AND m.channel_code = t.channel_code;

ALTER TABLE touchpoint_contacts DROP COLUMN as_written;
ALTER TABLE touchpoints DROP COLUMN as_written;
