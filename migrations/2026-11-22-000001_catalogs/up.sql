-- Reference catalogs shared by every agency. Labels are the seeds' own wording
-- (see ../shared/DOMAIN.md): they are printed in the official form, so they stay Russian.

-- Keeps updated_at honest without relying on every writer to remember it.
CREATE OR REPLACE FUNCTION touchpoints_set_updated_at() RETURNS trigger AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE channel_types (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
    label        text NOT NULL UNIQUE CHECK (btrim(label) <> ''),
    -- The default digital/offline classification; every agency may override it (R6).
    default_mode text NOT NULL CHECK (default_mode IN ('digital', 'offline')),
    position     integer NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER channel_types_updated_at BEFORE UPDATE ON channel_types
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

CREATE TABLE client_needs (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
    label      text NOT NULL UNIQUE CHECK (btrim(label) <> ''),
    position   integer NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER client_needs_updated_at BEFORE UPDATE ON client_needs
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

-- Channel types seen in the seeds. The defaults follow the federal standard's definitions
-- used by 000, 001 and 004 (telephone counts as digital/online); 002 classifies telephone as
-- offline, which that agency expresses through its own channel rules.
INSERT INTO channel_types (code, label, default_mode, position) VALUES
    ('website',            'Официальный сайт',                                   'digital', 1),
    ('epgu',               'ЕПГУ (Госуслуги)',                                   'digital', 2),
    ('pos',                'Платформа обратной связи (ПОС)',                     'digital', 3),
    ('social_network',     'Социальная сеть',                                    'digital', 4),
    ('messenger',          'Мессенджер',                                         'digital', 5),
    ('email',              'Электронная почта',                                  'digital', 6),
    ('edms',               'Система электронного документооборота (СЭД)',        'digital', 7),
    ('information_system', 'Информационная система',                             'digital', 8),
    ('internet_reception', 'Интернет-приёмная',                                  'digital', 9),
    ('service_desk',       'Service Desk',                                       'digital', 10),
    ('mobile_app',         'Мобильное приложение',                               'digital', 11),
    ('chat_bot',           'Чат-бот',                                            'digital', 12),
    ('voice_assistant',    'Голосовой помощник',                                 'digital', 13),
    ('call_center',        'Колл-центр',                                         'digital', 14),
    ('phone',              'Телефонная связь',                                   'digital', 15),
    ('reception',          'Место приёма клиентов (личный приём)',               'offline', 16),
    ('correspondence',     'Место принятия корреспонденции',                     'offline', 17),
    ('info_stand',         'Информационные стенды',                              'offline', 18),
    ('post',               'Почта России',                                       'offline', 19),
    ('onsite_inspection',  'Место осуществления деятельности контролируемого лица', 'offline', 20),
    ('mfc',                'МФЦ «Мои документы»',                                'offline', 21),
    ('workplace',          'Рабочее место клиента (кабинет)',                    'offline', 22),
    ('request_log',        'Журнал заявок',                                      'offline', 23),
    ('meeting',            'Рабочие встречи',                                    'offline', 24),
    ('other',              'Иная точка взаимодействия',                          'offline', 25);

-- 002 §3.6, the fullest list of client needs.
INSERT INTO client_needs (code, label, position) VALUES
    ('information',     'Получение информации',                                                       1),
    ('consultation',    'Получение консультации',                                                     2),
    ('document_forms',  'Получение форм документов',                                                  3),
    ('submission',      'Представление заявления, обращения, запроса, документов',                    4),
    ('progress',        'Получение информации о ходе рассмотрения заявления, обращения, запроса, документов', 5),
    ('result',          'Получение результата, ответа, разъяснения',                                  6),
    ('inspection',      'Предоставление объектов для осмотра (проверки)',                             7),
    ('feedback',        'Предоставление обратной связи',                                              8),
    ('feedback_result', 'Получение результата рассмотрения обратной связи',                           9),
    ('other',           'Другие удовлетворяемые потребности клиента',                                 10);
