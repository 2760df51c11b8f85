#!/usr/bin/env python3
"""Walk one register through the whole workflow with the GENERATED Python client only.

    TOUCHPOINTS_URL=http://127.0.0.1:PORT TOUCHPOINTS_BIN=target/debug/touchpoints \
    TOUCHPOINTS_JWT_SECRET=... PYTHONPATH=target/contract/python-client python3 scenario.py

The client package `touchpoints_client` is what openapi-python-client generated from
openapi/openapi.json (run.sh does that first). Tokens are minted with `touchpoints token`
(a CLI call, not HTTP). The only raw HTTP is the public register read, and only while the
generated client has no `get_public_register` (it is dropped when the spec cannot be parsed
for it); the request then still goes through the client's own httpx client.

Exit status 0 when every step held, 1 otherwise.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import uuid
from http import HTTPStatus

from touchpoints_client import AuthenticatedClient, Client
from touchpoints_client.api.agencies import create_agency
from touchpoints_client.api.catalogs import list_catalog_directions, list_channel_types, list_needs
from touchpoints_client.api.processes import create_process, get_process
from touchpoints_client.api.public import list_public_register_versions
from touchpoints_client.api.touchpoints import create_touchpoint, get_touchpoint, list_touchpoints
from touchpoints_client.api.units import create_unit
from touchpoints_client.api.workflow import (
    accept_part,
    approve_revision,
    get_revision,
    list_revisions,
    publish_revision,
    submit_part,
)
from touchpoints_client.models import (
    ApprovalActBody,
    AgencyKind,
    ChannelCode,
    ClientType,
    EmailContactInput,
    EmailContactInputKind,
    Mode,
    NeedCode,
    NewAgency,
    NewProcess,
    NewTouchpoint,
    NewUnit,
    PhoneContactInput,
    PhoneContactInputKind,
    ProcessKind,
)

try:  # absent while the spec's `format` parameter has a dangling $ref (see README)
    from touchpoints_client.api.public import get_public_register
except ImportError:
    get_public_register = None

BASE = os.environ["TOUCHPOINTS_URL"]
BIN = os.environ.get("TOUCHPOINTS_BIN", "target/debug/touchpoints")
TIMEOUT = 30.0


class StepFailed(Exception):
    pass


def token(sub: str, role: str, agency: str | None = None, unit: str | None = None) -> str:
    cmd = [BIN, "token", "--sub", sub, "--name", sub.capitalize(), "--role", role, "--hours", "2"]
    if agency:
        cmd += ["--agency", agency]
    if unit:
        cmd += ["--unit", unit]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def client_for(tok: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=BASE, token=tok, timeout=TIMEOUT, raise_on_unexpected_status=True)


def expect(resp, status: HTTPStatus, what: str):
    """The parsed body of a generated-client Response, or StepFailed with the server's answer."""
    if resp.status_code != status:
        raise StepFailed(f"{what}: expected {int(status)}, got {int(resp.status_code)}: {resp.content[:600]!r}")
    if resp.parsed is None:
        raise StepFailed(f"{what}: {int(status)} but the client parsed no body: {resp.content[:300]!r}")
    return resp.parsed


def check(cond: bool, msg: str):
    if not cond:
        raise StepFailed(msg)


def main() -> int:
    steps: list[tuple[str, bool, str]] = []
    state: dict = {}
    tag = uuid.uuid4().hex[:8]

    admin = client_for(token("contract-admin", "admin"))
    anonymous = Client(base_url=BASE, timeout=TIMEOUT, raise_on_unexpected_status=True)

    def step(name):
        def wrap(fn):
            t0 = time.monotonic()
            try:
                note = fn() or ""
                steps.append((name, True, note))
                print(f"  ok   {name} ({time.monotonic() - t0:.2f}s) {note}", flush=True)
            except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
                steps.append((name, False, f"{type(exc).__name__}: {exc}"))
                print(f"  FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
                raise SystemExit(finish(steps, state))
            return fn

        return wrap

    @step("catalogs (no token): a direction, two channel types, a need")
    def _():
        dirs = expect(list_catalog_directions.sync_detailed(client=anonymous), HTTPStatus.OK, "directions")
        check(len(dirs.items) > 0, "the directions catalog is empty")
        state["direction"] = dirs.items[0]
        chans = expect(list_channel_types.sync_detailed(client=anonymous), HTTPStatus.OK, "channel types")
        codes = {c.code for c in chans.items}
        check({"email", "phone"} <= codes, f"channel types lack email/phone: {sorted(codes)}")
        needs = expect(list_needs.sync_detailed(client=anonymous), HTTPStatus.OK, "needs")
        need_codes = [n.code for n in needs.items]
        check("consultation" in need_codes, f"needs lack consultation: {need_codes}")
        return f"direction={state['direction'].code or state['direction'].name!r}"

    @step("admin: create an agency")
    def _():
        body = NewAgency(
            name=f"Министерство контрактных проверок Республики Дагестан ({tag})",
            short_name=f"Минконтракт {tag}",
            region="Республика Дагестан",
            kind=AgencyKind.MINISTRY,
            website="https://contract.example.ru",
        )
        agency = expect(create_agency.sync_detailed(client=admin, body=body), HTTPStatus.CREATED, "create agency")
        state["agency"] = agency
        return f"id={agency.id}"

    @step("admin: create a unit")
    def _():
        unit = expect(
            create_unit.sync_detailed(state["agency"].id, client=admin, body=NewUnit(name="Отдел по работе с обращениями граждан")),
            HTTPStatus.CREATED,
            "create unit",
        )
        check(unit.agency_id == state["agency"].id, "the unit belongs to another agency")
        state["unit"] = unit
        return f"id={unit.id}"

    agency_id = lambda: str(state["agency"].id)  # noqa: E731

    @step("submitter: create a process (catalog direction, the unit)")
    def _():
        state["submitter"] = client_for(token("ivanova", "submitter", agency_id(), str(state["unit"].id)))
        body = NewProcess(
            direction_id=state["direction"].id,
            unit_id=state["unit"].id,
            name="Прием и рассмотрение обращений граждан",
            kind=ProcessKind.FUNCTION,
            client_type=ClientType.EXTERNAL,
            registry_code=f"КП-{tag}",
        )
        proc = expect(create_process.sync_detailed(state["agency"].id, client=state["submitter"], body=body), HTTPStatus.CREATED, "create process")
        state["process"] = proc
        return f"id={proc.id}"

    @step("submitter: add two touchpoints")
    def _():
        bodies = [
            NewTouchpoint(
                channel=ChannelCode.EMAIL,
                name="Электронная почта",
                contacts=[EmailContactInput(kind=EmailContactInputKind.EMAIL, value="obr@contract.example.ru")],
                needs=[NeedCode.CONSULTATION, NeedCode.SUBMISSION],
                interaction="Подача обращения, получение консультации",
                features="Цифровая точка",
                stated_mode=Mode.DIGITAL,
            ),
            NewTouchpoint(
                channel=ChannelCode.PHONE,
                name="Телефон приёмной",
                contacts=[PhoneContactInput(kind=PhoneContactInputKind.PHONE, value="+7 (8722) 51-61-22", label="приёмная")],
                needs=[NeedCode.CONSULTATION],
                interaction="Получение консультации по телефону",
                features="Цифровая точка",
                stated_mode=Mode.DIGITAL,
            ),
        ]
        state["points"] = [
            expect(create_touchpoint.sync_detailed(state["process"].id, client=state["submitter"], body=b), HTTPStatus.CREATED, f"create touchpoint {b.channel}")
            for b in bodies
        ]
        return "ids=" + ",".join(str(p.id) for p in state["points"])

    @step("submitter: read the process and touchpoints back")
    def _():
        sub = state["submitter"]
        proc = expect(get_process.sync_detailed(state["process"].id, client=sub), HTTPStatus.OK, "get process")
        check(proc.name == state["process"].name and proc.unit_id == state["unit"].id, f"process read back differs: {proc}")
        listed = expect(list_touchpoints.sync_detailed(state["process"].id, client=sub), HTTPStatus.OK, "list touchpoints")
        check(listed.total == 2 and len(listed.items) == 2, f"expected 2 touchpoints, listed {listed.total}")
        for p in state["points"]:
            got = expect(get_touchpoint.sync_detailed(p.id, client=sub), HTTPStatus.OK, "get touchpoint")
            check((got.channel, got.name, sorted(got.needs)) == (p.channel, p.name, sorted(p.needs)), f"touchpoint {p.id} read back differs")
        return "process + 2 touchpoints match"

    @step("approver: the first edit opened a revision")
    def _():
        state["approver"] = client_for(token("petrov", "approver", agency_id()))
        revs = expect(list_revisions.sync_detailed(state["agency"].id, client=state["approver"]), HTTPStatus.OK, "list revisions")
        check(len(revs.items) == 1, f"expected 1 revision, got {len(revs.items)}")
        rev = revs.items[0]
        check(str(rev.status) in ("open", "RevisionStatus.OPEN") or getattr(rev.status, "value", None) == "open", f"revision status {rev.status}")
        check(len(rev.parts) >= 1, "the revision has no parts")
        state["revision"] = rev
        return f"revision #{rev.number} {rev.id}, parts={[p.unit_id for p in rev.parts]}"

    @step("submitter: submit every part (If-Match = the part's etag)")
    def _():
        rev = state["revision"]
        for part in rev.parts:
            rev = expect(
                submit_part.sync_detailed(rev.id, part.unit_id, client=state["submitter"], if_match=part.etag),
                HTTPStatus.OK,
                f"submit part {part.unit_id}",
            )
        check(all(p.status.value == "submitted" for p in rev.parts), f"parts: {[(p.unit_id, p.status.value) for p in rev.parts]}")
        state["revision"] = rev
        return f"{len(rev.parts)} submitted"

    @step("approver: accept every part, approve the revision")
    def _():
        ap = state["approver"]
        rev = state["revision"]
        for part in list(rev.parts):
            current = next(p for p in rev.parts if p.unit_id == part.unit_id)
            rev = expect(accept_part.sync_detailed(rev.id, part.unit_id, client=ap, if_match=current.etag), HTTPStatus.OK, f"accept part {part.unit_id}")
        check(all(p.status.value == "accepted" for p in rev.parts), "not every part is accepted")
        for _ in range(5):  # one call per agreement of the approval chain (none configured: one)
            rev = expect(approve_revision.sync_detailed(rev.id, client=ap, body=ApprovalActBody()), HTTPStatus.OK, "approve")
            if rev.status.value == "approved":
                break
        check(rev.status.value == "approved", f"revision status after approval: {rev.status.value}")
        state["revision"] = rev
        return f"approvals={len(rev.approvals)}"

    @step("publisher: publish")
    def _():
        pub_client = client_for(token("sidorova", "publisher", agency_id()))
        published = expect(publish_revision.sync_detailed(
            state["revision"].id,
            client=pub_client,
            # the act that approves the register (its number and date print on every format)
            body=ApprovalActBody(order_number="53", order_date=datetime.date(2024, 3, 28)),
        ), HTTPStatus.OK, "publish")
        check(published.version == 1, f"published version {published.version}, expected 1")
        rev = expect(get_revision.sync_detailed(state["revision"].id, client=state["approver"]), HTTPStatus.OK, "get revision")
        check(rev.status.value == "published", f"revision status after publishing: {rev.status.value}")
        state["published"] = published
        return f"version={published.version} sha256={published.sha256[:12]}…"

    def served_after() -> str:
        """Diagnostic only, after a failed read: how long until the register is served (raw GETs)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            if anonymous.get_httpx_client().get(f"/api/v1/public/agencies/{agency_id()}/register").status_code == 200:
                return f" [served {1000 * (time.monotonic() - t0):.0f} ms later]"
            time.sleep(0.005)
        return " [still not served 5 s later]"

    @step("public (no token): the register has version 1 and the two touchpoints")
    def _():
        versions = expect(list_public_register_versions.sync_detailed(state["agency"].id, client=anonymous), HTTPStatus.OK, "public versions")
        check([v.number for v in versions.items] == [1], f"public versions: {[v.number for v in versions.items]}")
        if get_public_register is not None:
            resp = get_public_register.sync_detailed(state["agency"].id, client=anonymous)
            if resp.status_code != HTTPStatus.OK:
                raise StepFailed(f"public register right after publishing: {int(resp.status_code)} {resp.content[:300]!r}{served_after()}")
            reg = resp.parsed
            version, sha, rows = reg.version, reg.sha256, reg.rows
            tp_ids = {str(r.touchpoint.id) for r in rows if r.touchpoint}
            how = "generated client"
        else:
            # RAW HTTP: the generated client has no get_public_register (see module docstring).
            r = anonymous.get_httpx_client().get(f"/api/v1/public/agencies/{agency_id()}/register")
            check(r.status_code == 200, f"public register right after publishing: {r.status_code} {r.text[:300]}{served_after()}")
            body = r.json()
            version, sha, rows = body["version"], body["sha256"], body["rows"]
            tp_ids = {row["touchpoint"]["id"] for row in rows if row.get("touchpoint")}
            how = "raw GET (client lacks get_public_register)"
        check(version == 1, f"public register version {version}")
        check(sha == state["published"].sha256, "public sha256 differs from the published one")
        check(tp_ids == {str(p.id) for p in state["points"]}, f"public register touchpoints {tp_ids}")
        return f"{len(rows)} rows via {how}"

    return finish(steps, state)


def finish(steps, state) -> int:
    ok = sum(1 for _, good, _ in steps if good)
    bad = len(steps) - ok
    print(f"scenario: {ok} steps ok, {bad} failed", end="")
    if "agency" in state:
        print(f"; agency {state['agency'].id}", end="")
    if "published" in state:
        print(f", published version {state['published'].version} with {len(state.get('points', []))} touchpoints", end="")
    print(flush=True)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
