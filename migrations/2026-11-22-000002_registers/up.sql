-- Agencies and their subordinate organizations (R1, R14): one table, a subordinate
-- organization is an agency with a parent. Each of them owns a register of its own.
CREATE TABLE agencies (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id  uuid REFERENCES agencies (id) ON DELETE RESTRICT,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 1000),
    short_name text CHECK (btrim(short_name) <> '' AND length(short_name) <= 300),
    region     text NOT NULL CHECK (btrim(region) <> '' AND length(region) <= 300),
    kind       text NOT NULL CHECK (kind IN ('ministry', 'agency', 'service', 'committee',
                                             'inspectorate', 'institution', 'enterprise', 'other')),
    website    text CHECK (website ~ '^https?://'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agencies_not_own_parent CHECK (parent_id IS DISTINCT FROM id),
    CONSTRAINT agencies_region_name_key UNIQUE (region, name)
);
CREATE INDEX agencies_parent_id_idx ON agencies (parent_id);
CREATE TRIGGER agencies_updated_at BEFORE UPDATE ON agencies
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Structural units whose responsible people fill in their part of the register (R16).
CREATE TABLE units (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id           uuid NOT NULL REFERENCES agencies (id) ON DELETE RESTRICT,
    name                text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 1000),
    responsible_persons jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(responsible_persons) = 'array'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT units_agency_name_key UNIQUE (agency_id, name),
    -- target of the composite foreign key that keeps a process's unit inside its agency
    CONSTRAINT units_id_agency_key UNIQUE (id, agency_id)
);
CREATE TRIGGER units_updated_at BEFORE UPDATE ON units
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Activity directions (R2): the shared catalog (agency_id NULL, with a code) plus each
-- agency's own directions (agency_id set, no code).
CREATE TABLE directions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id  uuid REFERENCES agencies (id) ON DELETE RESTRICT,
    code       text UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 1000),
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT directions_catalog_has_code CHECK ((agency_id IS NULL) = (code IS NOT NULL)),
    CONSTRAINT directions_agency_name_key UNIQUE NULLS NOT DISTINCT (agency_id, name)
);
CREATE TRIGGER directions_updated_at BEFORE UPDATE ON directions
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- 002 §3.4, 004 §7, 000 §II.2.
INSERT INTO directions (code, name, position) VALUES
    ('state_services',     'Предоставление государственных услуг',                        1),
    ('state_support',      'Предоставление мер государственной поддержки',                2),
    ('state_control',      'Государственный контроль (надзор)',                           3),
    ('appeals',            'Рассмотрение обращений и запросов',                           4),
    ('information_access', 'Обеспечение доступа к информации о деятельности',             5),
    ('internal_relations', 'Организация отношений с внутренним клиентом (кадровая работа)', 6),
    ('it_support',         'Информационно-техническое обеспечение',                       7),
    ('accounting',         'Бухгалтерский учёт',                                          8),
    ('procurement',        'Административно-хозяйственная деятельность (закупки)',        9),
    ('other',              'Иные функции (сервисы)',                                      10);

-- The agency's process registry (R3): services, functions and digital services.
CREATE TABLE processes (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id     uuid NOT NULL REFERENCES agencies (id) ON DELETE RESTRICT,
    direction_id  uuid NOT NULL REFERENCES directions (id) ON DELETE RESTRICT,
    unit_id       uuid,
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 2000),
    -- the direction's wording as the agency's own form has it, when it differs from the
    -- catalog label (e.g. «Взаимодействие с внутренним клиентом»)
    direction_label text CHECK (btrim(direction_label) <> '' AND length(direction_label) <= 1000),
    registry_code text CHECK (btrim(registry_code) <> '' AND length(registry_code) <= 100),
    kind          text NOT NULL CHECK (kind IN ('service', 'function', 'digital_service')),
    client_type   text NOT NULL CHECK (client_type IN ('external', 'internal', 'both')),
    position      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT processes_unit_same_agency FOREIGN KEY (unit_id, agency_id)
        REFERENCES units (id, agency_id) ON DELETE RESTRICT,
    CONSTRAINT processes_agency_registry_code_key UNIQUE (agency_id, registry_code),
    CONSTRAINT processes_agency_direction_name_key UNIQUE (agency_id, direction_id, client_type, name)
);
CREATE INDEX processes_agency_idx ON processes (agency_id, position);
CREATE INDEX processes_direction_idx ON processes (direction_id);
CREATE INDEX processes_unit_idx ON processes (unit_id);
CREATE TRIGGER processes_updated_at BEFORE UPDATE ON processes
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Per-agency digital/offline classification of channel types (R6); absent = catalog default.
CREATE TABLE agency_channel_modes (
    agency_id    uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    channel_code text NOT NULL REFERENCES channel_types (code) ON DELETE RESTRICT,
    mode         text NOT NULL CHECK (mode IN ('digital', 'offline')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, channel_code)
);
CREATE TRIGGER agency_channel_modes_updated_at BEFORE UPDATE ON agency_channel_modes
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Touchpoints of a process (columns 4-6 of the form).
CREATE TABLE touchpoints (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    process_id   uuid NOT NULL REFERENCES processes (id) ON DELETE RESTRICT,
    channel_code text NOT NULL REFERENCES channel_types (code) ON DELETE RESTRICT,
    name         text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 1000),
    -- column 5 as the agency worded it; the structured needs are in touchpoint_needs
    interaction  text CHECK (length(interaction) <= 4000),
    -- column 6 as the agency worded it, and the mark it states; kept even when it
    -- contradicts the agency's own classification (the rule checker reports that)
    features     text CHECK (length(features) <= 4000),
    stated_mode  text CHECK (stated_mode IN ('digital', 'offline')),
    -- R7 for touchpoints without contacts: the same channel and name twice in a process
    contactless_key text,
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT touchpoints_identity_key UNIQUE (id, process_id, channel_code),
    CONSTRAINT touchpoints_contactless_key UNIQUE (process_id, channel_code, contactless_key)
);
CREATE INDEX touchpoints_process_idx ON touchpoints (process_id, position);
CREATE INDEX touchpoints_channel_idx ON touchpoints (channel_code);
CREATE TRIGGER touchpoints_updated_at BEFORE UPDATE ON touchpoints
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Structured contacts. process_id and channel_code follow the touchpoint (ON UPDATE CASCADE)
-- so that the database itself enforces R7: one contact of one channel once per process.
CREATE TABLE touchpoint_contacts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    touchpoint_id uuid NOT NULL,
    process_id    uuid NOT NULL,
    channel_code  text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('url', 'email', 'phone', 'address', 'text')),
    value         text NOT NULL CHECK (btrim(value) <> '' AND length(value) <= 2000),
    normalized    text NOT NULL CHECK (normalized <> ''),
    label         text CHECK (btrim(label) <> '' AND length(label) <= 300),
    position      integer NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT touchpoint_contacts_touchpoint_fkey FOREIGN KEY (touchpoint_id, process_id, channel_code)
        REFERENCES touchpoints (id, process_id, channel_code) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT touchpoint_contacts_r7_key UNIQUE (process_id, channel_code, kind, normalized)
);
CREATE INDEX touchpoint_contacts_touchpoint_idx ON touchpoint_contacts (touchpoint_id, position);
CREATE TRIGGER touchpoint_contacts_updated_at BEFORE UPDATE ON touchpoint_contacts
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Client needs served at a touchpoint (R5).
CREATE TABLE touchpoint_needs (
    touchpoint_id uuid NOT NULL REFERENCES touchpoints (id) ON DELETE CASCADE,
    need_code     text NOT NULL REFERENCES client_needs (code) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (touchpoint_id, need_code)
);
CREATE INDEX touchpoint_needs_need_idx ON touchpoint_needs (need_code);

-- One row per touchpoint with what its process and agency say about it: the list endpoints
-- filter on it, and implied_mode applies the agency's own channel rule (R6).
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
LEFT JOIN agency_channel_modes m ON m.agency_id = p.agency_id AND m.channel_code = t.channel_code;
