#!/usr/bin/env python3
"""Known-good ids for Schemathesis, printed as TP_*=value lines (sourced by run.sh).

    python3 fixtures.py BASE_URL ADMIN_TOKEN

Reads the demo data of a fresh `serve --demo` and creates, as admin, what the demo lacks: an
agency-owned direction, an organization, and one spare of each deletable kind so that the
DELETE operations hit a real row once. Plain HTTP (stdlib) on purpose: this is test set-up,
not the client under test.
"""

from __future__ import annotations

import json
import sys
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]


def call(method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


agencies = call("GET", "/api/v1/agencies?limit=100")["items"]
# The demo agency with units (МЧС): most operations get interesting paths there.
agency = max(agencies, key=lambda a: call("GET", f"/api/v1/agencies/{a['id']}/units")["total"])
aid = agency["id"]
units = call("GET", f"/api/v1/agencies/{aid}/units")["items"]
processes = call("GET", f"/api/v1/agencies/{aid}/processes?limit=100")["items"]
process = next(p for p in processes if p["touchpoint_count"] > 0)
point = call("GET", f"/api/v1/processes/{process['id']}/points")["items"][0]
catalog_direction = call("GET", "/api/v1/catalogs/directions")["items"][0]

own_direction = call("POST", f"/api/v1/agencies/{aid}/directions", {"name": "Контрактные проверки: направление"})
org = call("POST", f"/api/v1/agencies/{aid}/organizations", {"name": "ГКУ РД «Контрактные проверки»"})

# Spares, each deleted by its DELETE operation.
spare_agency = call("POST", "/api/v1/agencies", {"name": "Удаляемое ведомство", "region": agency["region"], "kind": "agency"})
spare_unit = call("POST", f"/api/v1/agencies/{aid}/units", {"name": "Удаляемый отдел"})
spare_direction = call("POST", f"/api/v1/agencies/{aid}/directions", {"name": "Удаляемое направление"})
spare_org = call("POST", f"/api/v1/agencies/{aid}/organizations", {"name": "Удаляемая организация"})
spare_process = call(
    "POST",
    f"/api/v1/agencies/{aid}/processes",
    {"direction_id": catalog_direction["id"], "name": "Удаляемый процесс", "kind": "function", "client_type": "external"},
)
spare_point = call(
    "POST",
    f"/api/v1/processes/{process['id']}/points",
    {"channel": "website", "name": "Удаляемая точка", "needs": ["information"]},
)

# The first edit above opened a revision of the agency: transitions get real parts.
revision = call("GET", f"/api/v1/agencies/{aid}/revisions")["items"][0]
unit_part = next((p["unit_id"] for p in revision["parts"] if p["unit_id"] != "agency"), "agency")

values = {
    "TP_AGENCY_ID": aid,
    "TP_REGION": agency["region"],
    "TP_UNIT_ID": units[0]["id"],
    "TP_PROCESS_ID": process["id"],
    "TP_POINT_ID": point["id"],
    "TP_CATALOG_DIRECTION_ID": catalog_direction["id"],
    "TP_DIRECTION_ID": own_direction["id"],
    "TP_ORG_ID": org["id"],
    "TP_REVISION_ID": revision["id"],
    "TP_PART_UNIT_ID": unit_part,
    "TP_SPARE_AGENCY_ID": spare_agency["id"],
    "TP_SPARE_UNIT_ID": spare_unit["id"],
    "TP_SPARE_DIRECTION_ID": spare_direction["id"],
    "TP_SPARE_ORG_ID": spare_org["id"],
    "TP_SPARE_PROCESS_ID": spare_process["id"],
    "TP_SPARE_POINT_ID": spare_point["id"],
}
for key, value in values.items():
    print(f"{key}='{value}'")
