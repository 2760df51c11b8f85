"""Schemathesis hooks for run.sh (loaded through SCHEMATHESIS_HOOKS).

Known-good ids, and three false positives of Schemathesis itself (4.32.5), each handled as
narrowly as possible; the run's summary counts every failure the last hook drops ("dropped by
`filter_failure`"). Nothing here looks at what the server answered.

0. map_case + before_add_examples: a process must name an existing direction and a unit of
   its own agency; the spec's examples (8e1b2c3d-..., 5c3f7a10-...) and random UUIDs name
   nothing and get 422 `unknown_reference`, which no schema can rule out. In every phase
   (a `parameters` body override in schemathesis.toml reaches only the fuzzing phase), a
   UUID-shaped `direction_id` / `unit_id` in the body of POST /agencies/{id}/processes,
   PATCH /processes/{id} and PUT /agencies/{id}/processes/by-external-id/{external_id} is replaced by a known-good one (TP_CATALOG_DIRECTION_ID, TP_UNIT_ID
   from fixtures.py). Values of another shape (negative cases) are left alone.

1. filter_case: when a stateful link is inferred through a wildcard pointer (e.g. GET
   /deadlines -> `items/*/items/*/revision_id`) and some matched values are JSON null,
   Schemathesis picks a null and sends it as the path segment `None` (GET
   /api/v1/revisions/None -> 400, reported as ST202 "schema-valid request rejected"). A null
   path parameter is not a schema-valid request, so such cases are not generated.

2. filter_failure, two cases of the coverage phase misjudging its own "negative" cases; each
   ST201 ("schema-violating request accepted") is dropped only after re-checking the spec:
   a. a body labelled e.g. "Missing required property: region" for PATCH /agencies/{id}, whose
      AgencyPatch requires nothing: dropped when the body validates against the operation's
      request-body schema in the spec;
   b. "object with unexpected properties" in the query: Schemathesis itself exempts an unknown
      query parameter (servers ignore them, as this one does everywhere), but not when it has
      marked the path "negative", which it does whenever a path parameter comes from
      schemathesis.toml. Dropped when every path parameter validates against its schema.
   c. on the sync operations (the two PUT …/by-external-id/{external_id}, GET
      /public/changes/touchpoints, GET /public/touchpoints), a case labelled negative whose
      request, as sent, is valid: a path id "of an incorrect type" that schemathesis.toml
      replaced by a pinned, valid id (the PUT's If-Match then rightly answers 412), or a
      stateful case labelled "positive test case" itself. Dropped, in any phase, only when the
      path parameters, every query parameter (required ones present) and the JSON body all
      validate against the operation's schemas.

3. filter_failure, ST302 ("created resource not found") in the stateful phase: after a POST
   creates e.g. an agency, Schemathesis follows a link to DELETE /agencies/{id}, but
   schemathesis.toml pins that operation's path id to a spare row (TP_SPARE_*), which wins over
   the link's value; the spare was deleted long before, so the DELETE answers 404, and
   Schemathesis counts a config override as "every parameter came from the link". Dropped only
   when every path parameter of the case is one of the pinned TP_* ids, i.e. not the id the POST
   returned; a 404 for the created id itself is still a failure.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import uuid
from functools import lru_cache

import jsonschema_rs
import schemathesis

SPEC = os.environ.get(
    "CONTRACT_SPEC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "openapi", "openapi.json")
)


_PROCESS_BODIES = {
    ("POST", "/api/v1/agencies/{id}/processes"),
    ("PATCH", "/api/v1/processes/{id}"),
    ("PUT", "/api/v1/agencies/{id}/processes/by-external-id/{external_id}"),
}
_KNOWN = {"direction_id": "TP_CATALOG_DIRECTION_ID", "unit_id": "TP_UNIT_ID"}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
        return len(value) == 36
    except (TypeError, ValueError, AttributeError):
        return False


def _use_known_ids(case):
    if (case.method.upper(), case.path) in _PROCESS_BODIES and isinstance(case.body, dict):
        for field, env in _KNOWN.items():
            if _is_uuid(case.body.get(field)) and os.environ.get(env):
                case.body[field] = os.environ[env]
    return case


@schemathesis.hook
def map_case(context, case):
    return _use_known_ids(case)


@schemathesis.hook
def before_add_examples(context, examples):
    # The examples phase does not run map_case; its cases are adjusted here, in place.
    for case in examples:
        _use_known_ids(case)


@schemathesis.hook
def filter_case(context, case):
    return not any(value is None for value in (case.path_parameters or {}).values())


@lru_cache(maxsize=1)
def _spec() -> dict:
    with open(SPEC, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _body_validator(method: str, path: str, media_type: str):
    spec = _spec()
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get(media_type, {}).get("schema")
    if schema is None:
        return None
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "components": spec.get("components", {})}
    return jsonschema_rs.validator_for(root)


def _value(x) -> str:
    return str(getattr(x, "value", x))


def _operation(method: str, path: str) -> dict:
    return _spec().get("paths", {}).get(path, {}).get(method.lower(), {})


def _validator(schema: dict):
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "components": _spec().get("components", {})}
    return jsonschema_rs.validator_for(root)


def _path_parameters_valid(case) -> bool:
    declared = {p["name"]: p.get("schema", {}) for p in _operation(case.method, case.path).get("parameters", []) if p.get("in") == "path"}
    for name, value in (case.path_parameters or {}).items():
        schema = declared.get(name)
        if schema is None:
            return False
        if isinstance(value, str):
            # Schemathesis keeps a path parameter as it goes into the URL (`ptv%3A1001`)
            value = urllib.parse.unquote(value)
        if schema.get("type") == "integer" and isinstance(value, str) and value.isdigit():
            value = int(value)
        if not _validator(schema).is_valid(value):
            return False
    return True


def _dropped(case, why: str, code: str = "ST201") -> bool:
    """Record a dropped failure (run.sh prints the list) and drop it."""
    path = os.environ.get("CONTRACT_DROPPED_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            body = json.dumps(case.body, ensure_ascii=False) if isinstance(case.body, (dict, list)) else ""
            fh.write(f"{code} {case.method} {case.formatted_path} query={json.dumps(case.query, ensure_ascii=False)} {body[:300]} -- {why}\n")
    return False


def _pinned_ids() -> set[str]:
    """The known-good ids schemathesis.toml substitutes into paths (TP_* from fixtures.py)."""
    return {value for name, value in os.environ.items() if name.startswith("TP_") and _is_uuid(value)}


_SYNC_OPERATIONS = {
    ("PUT", "/api/v1/agencies/{id}/processes/by-external-id/{external_id}"),
    ("PUT", "/api/v1/processes/{id}/points/by-external-id/{external_id}"),
    ("GET", "/api/v1/public/changes/touchpoints"),
    ("GET", "/api/v1/public/touchpoints"),
}


def _query_valid(case) -> bool:
    declared = [p for p in _operation(case.method, case.path).get("parameters", []) if p.get("in") == "query"]
    query = case.query or {}
    for p in declared:
        name, schema = p["name"], p.get("schema", {})
        if name not in query:
            if p.get("required"):
                return False
            continue
        value = query[name]
        if schema.get("type") == "array":
            value = value if isinstance(value, list) else [value]
        elif schema.get("type") == "integer":
            try:
                value = int(value)
            except (TypeError, ValueError):
                return False
        if not _validator(schema).is_valid(value):
            return False
    return set(query) <= {p["name"] for p in declared}


def _request_valid(case) -> bool:
    if not (_path_parameters_valid(case) and _query_valid(case)):
        return False
    validator = _body_validator(case.method, case.path, case.media_type or "application/json")
    if validator is None:
        return case.body is None or not isinstance(case.body, (dict, list))
    return isinstance(case.body, (dict, list)) and validator.is_valid(case.body)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    code = getattr(failure, "code", None)
    if code == "ST302":
        params = case.path_parameters or {}
        if params and all(str(v) in _pinned_ids() for v in params.values()):
            return _dropped(case, "the path id is the one schemathesis.toml pins, not the id the POST created", code)
        return True
    if code != "ST201":
        return True
    if (case.method.upper(), case.path) in _SYNC_OPERATIONS and _request_valid(case):
        return _dropped(case, "the request as sent is valid against the spec")
    phase = getattr(getattr(case, "meta", None), "phase", None)
    data = getattr(phase, "data", None)
    # Coverage cases negate one component at a time, named by `parameter_location`.
    if _value(getattr(phase, "name", None)) != "coverage":
        return True
    location = _value(getattr(data, "parameter_location", None))
    description = getattr(data, "description", "")
    if location == "body" and isinstance(case.body, (dict, list)):
        validator = _body_validator(case.method, case.path, case.media_type or "application/json")
        if validator is not None and validator.is_valid(case.body):
            return _dropped(case, f"'{description}', but the body is valid against the spec")
        return True
    if location == "query" and _value(getattr(data, "scenario", None)) == "object_unexpected_properties":
        if _path_parameters_valid(case):
            return _dropped(case, "only an unknown query parameter; the path parameters are valid")
        return True
    return True
