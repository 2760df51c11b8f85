"""Writes the calendar_days migration from data/calendar/ru.json (the single source of truth)."""
import json
import sys

root = sys.argv[1]
doc = json.load(open(f"{root}/data/calendar/ru.json", encoding="utf-8"))
rows = [(r["date"], "false", r["name"]) for r in doc["non_working"]] + [(r["date"], "true", r["name"]) for r in doc["working"]]
rows.sort()


def lit(s):
    return "'" + s.replace("'", "''") + "'"


values = ",\n".join(f"    ('{d}', {w:<5}, {lit(n)})" for d, w, n in rows)
provisional = ", ".join(str(y) for y in doc["provisional"]) or "none"
up = f"""-- The Russian production calendar (производственный календарь) for working-day deadlines
-- ("в течение 5 рабочих дней"). Only exceptions to the Monday–Friday rule are stored:
-- working = false on a weekday (a public holiday of Art. 112 of the Labour Code or a day off
-- transferred by a government decree), working = true on a Saturday or Sunday made a working
-- day by a transfer. Ordinary weekends are not stored.
-- Rows are generated from data/calendar/ru.json (years {", ".join(str(y) for y in doc["years"])}); keep the two in step.
-- Provisional years: {provisional} (the transfer decree was not verified against its official text).
CREATE TABLE calendar_days (
    day        date PRIMARY KEY,
    working    boolean NOT NULL,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- a row that agrees with the weekend rule would be useless and would skew counts
    CONSTRAINT calendar_days_is_exception CHECK (
        (working AND extract(isodow FROM day) IN (6, 7))
        OR (NOT working AND extract(isodow FROM day) NOT IN (6, 7))
    )
);
CREATE TRIGGER calendar_days_updated_at BEFORE UPDATE ON calendar_days
    FOR EACH ROW EXECUTE FUNCTION touchpoints_set_updated_at();

INSERT INTO calendar_days (day, working, name) VALUES
{values};
"""
out = f"{root}/migrations/2026-11-22-000003_calendar"
open(f"{out}/up.sql", "w", encoding="utf-8").write(up)
open(f"{out}/down.sql", "w", encoding="utf-8").write("DROP TABLE calendar_days;\n")
print(len(rows), "rows")
