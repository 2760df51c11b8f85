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
       t.updated_at
FROM touchpoints t
JOIN processes p ON p.id = t.process_id
JOIN channel_types c ON c.code = t.channel_code
LEFT JOIN agency_channel_modes m ON m.agency_id = p.agency_id AND m.channel_code = t.channel_code;
DROP VIEW agency_channel_rules;
ALTER TABLE agency_workflow_settings
    DROP COLUMN part_agreement,
    DROP COLUMN approves_subordinates;
