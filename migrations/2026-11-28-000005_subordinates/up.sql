-- Subordinate organizations under their ministry (002 §1.1, §5.1) and part agreement by the
-- unit's curator (000 §III.1).
--
-- An organization without a settings row inherits its parent's (resolved in Rust, walking up
-- the tree); with the parent's approves_subordinates, the parent's approvers, officials and
-- publishers take the organization's revisions through review, agreement and publication.
ALTER TABLE agency_workflow_settings
    ADD COLUMN approves_subordinates boolean NOT NULL DEFAULT false,
    ADD COLUMN part_agreement text CHECK (part_agreement IN ('unit_curator'));

-- The channel rule in force for every agency and channel type that has one set on the agency
-- or an ancestor: the nearest one wins (a subordinate inherits its ministry's «телефон —
-- офлайн», 002 §4.1, unless it sets its own). Absent: the catalog default.
CREATE VIEW agency_channel_rules AS
WITH RECURSIVE up (agency_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM agencies
    UNION ALL
    SELECT up.agency_id, a.parent_id, up.depth + 1
    FROM up JOIN agencies a ON a.id = up.ancestor_id
    WHERE a.parent_id IS NOT NULL AND up.depth < 32
)
SELECT DISTINCT ON (up.agency_id, m.channel_code)
       up.agency_id,
       m.channel_code,
       m.mode,
       up.ancestor_id AS source_agency_id
FROM up
JOIN agency_channel_modes m ON m.agency_id = up.ancestor_id
ORDER BY up.agency_id, m.channel_code, up.depth;

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
LEFT JOIN agency_channel_rules m ON m.agency_id = p.agency_id AND m.channel_code = t.channel_code;
