#!/usr/bin/env python3
"""A portal keeps in step with two publications incrementally, with the GENERATED client only.

    TOUCHPOINTS_URL=http://127.0.0.1:PORT TOUCHPOINTS_BIN=target/debug/touchpoints \
    TOUCHPOINTS_JWT_SECRET=... PYTHONPATH=target/contract/python-client python3 sync_scenario.py

A system that feeds the register (an МФЦ's, say) files a process and three touchpoints by its
own ids (`PUT …/by-external-id/{external_id}`, a repeated PUT changing nothing) and the register
is published (version 1). A portal reads the touchpoint change feed from cursor 0 to its end
and keeps `next`. The feeding system then changes one touchpoint and deletes another, and
version 2 is published. From the kept cursor the portal sees exactly one `changed` and one
`removed` of that agency, without re-reading any register, and fetches the changed one by id.

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
from touchpoints_client.api.catalogs import list_catalog_directions
from touchpoints_client.api.processes import put_process_by_external_id
from touchpoints_client.api.public import get_public_touchpoints, list_public_touchpoint_changes
from touchpoints_client.api.touchpoints import delete_touchpoint, put_touchpoint_by_external_id
from touchpoints_client.api.workflow import (
    accept_part,
    approve_revision,
    list_revisions,
    publish_revision,
    submit_part,
)
from touchpoints_client.models import (
    AgencyKind,
    ApprovalActBody,
    ChannelCode,
    ClientType,
    EmailContactInput,
    EmailContactInputKind,
    NeedCode,
    NewAgency,
    PhoneContactInput,
    PhoneContactInputKind,
    ProcessKind,
    ProcessReplacement,
    TouchpointReplacement,
)

BASE = os.environ["TOUCHPOINTS_URL"]
BIN = os.environ.get("TOUCHPOINTS_BIN", "target/debug/touchpoints")
TIMEOUT = 30.0


class StepFailed(Exception):
    pass


def token(sub: str, role: str) -> str:
    cmd = [BIN, "token", "--sub", sub, "--name", sub.capitalize(), "--role", role, "--hours", "2"]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def expect(resp, status: HTTPStatus, what: str):
    if resp.status_code != status:
        raise StepFailed(f"{what}: expected {int(status)}, got {int(resp.status_code)}: {resp.content[:600]!r}")
    return resp.parsed


def check(cond: bool, msg: str):
    if not cond:
        raise StepFailed(msg)


def next_of(feed) -> int:
    # the generator may rename a field that shadows a Python builtin
    return feed.next_ if hasattr(feed, "next_") else feed.next


def main() -> int:
    tag = uuid.uuid4().hex[:8]
    admin = AuthenticatedClient(base_url=BASE, token=token("sync-admin", "admin"), timeout=TIMEOUT)
    portal = Client(base_url=BASE, timeout=TIMEOUT)
    state: dict = {}
    results: list[tuple[str, bool]] = []

    def step(name):
        def wrap(fn):
            t0 = time.monotonic()
            try:
                note = fn() or ""
                results.append((name, True))
                print(f"  ok   {name} ({time.monotonic() - t0:.2f}s) {note}", flush=True)
            except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
                results.append((name, False))
                print(f"  FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
                raise SystemExit(finish(results))
            return fn

        return wrap

    def publish(expected: int):
        revs = expect(list_revisions.sync_detailed(state["agency"].id, client=admin), HTTPStatus.OK, "list revisions")
        rev = revs.items[0]
        for part in rev.parts:
            rev = expect(submit_part.sync_detailed(rev.id, part.unit_id, client=admin), HTTPStatus.OK, "submit")
            rev = expect(accept_part.sync_detailed(rev.id, part.unit_id, client=admin), HTTPStatus.OK, "accept")
        for _ in range(5):
            rev = expect(approve_revision.sync_detailed(rev.id, client=admin, body=ApprovalActBody()), HTTPStatus.OK, "approve")
            if rev.status.value == "approved":
                break
        act = ApprovalActBody(order_number=f"{expected}-{tag}", order_date=datetime.date(2026, 11, 29))
        published = expect(publish_revision.sync_detailed(rev.id, client=admin, body=act), HTTPStatus.OK, "publish")
        check(published.version == expected, f"published version {published.version}, expected {expected}")

    def read_feed(since: int) -> tuple[list, int]:
        """Every change after `since`, page by page, and the cursor to keep."""
        items, cursor = [], since
        while True:
            page = expect(
                list_public_touchpoint_changes.sync_detailed(client=portal, since=cursor, limit=1000),
                HTTPStatus.OK,
                "touchpoint changes",
            )
            if not page.items:
                return items, next_of(page)
            items += page.items
            cursor = next_of(page)

    def point(name: str, phone: str, needs) -> TouchpointReplacement:
        return TouchpointReplacement(
            channel=ChannelCode.PHONE,
            name=name,
            contacts=[PhoneContactInput(kind=PhoneContactInputKind.PHONE, value=phone)],
            needs=needs,
        )

    @step("feeding system: an agency, a process and three touchpoints by its own ids")
    def _():
        agency = expect(create_agency.sync_detailed(client=admin, body=NewAgency(
            name=f"Многофункциональный центр синхронизации ({tag})",
            region="Республика Дагестан",
            kind=AgencyKind.INSTITUTION,
        )), HTTPStatus.CREATED, "create agency")
        state["agency"] = agency
        direction = expect(list_catalog_directions.sync_detailed(client=portal), HTTPStatus.OK, "directions").items[0]
        proc = expect(put_process_by_external_id.sync_detailed(agency.id, "mfc:proc-1", client=admin, body=ProcessReplacement(
            direction_id=direction.id,
            name="Прием заявлений на предоставление услуг",
            kind=ProcessKind.SERVICE,
            client_type=ClientType.EXTERNAL,
        )), HTTPStatus.CREATED, "PUT process")
        check(proc.external_id == "mfc:proc-1", f"process external_id {proc.external_id!r}")
        state["process"] = proc
        bodies = {
            "mfc:tel-1": point("Телефон центра", "+7 (8722) 55-00-01", [NeedCode.CONSULTATION]),
            "mfc:tel-2": point("Телефон горячей линии", "+7 (8722) 55-00-02", [NeedCode.CONSULTATION]),
            "mfc:mail-1": TouchpointReplacement(
                channel=ChannelCode.EMAIL,
                name="Электронная почта",
                contacts=[EmailContactInput(kind=EmailContactInputKind.EMAIL, value=f"mfc-{tag}@example.ru")],
                needs=[NeedCode.SUBMISSION],
            ),
        }
        state["bodies"] = bodies
        state["points"] = {}
        for ext, body in bodies.items():
            resp = put_touchpoint_by_external_id.sync_detailed(proc.id, ext, client=admin, body=body)
            t = expect(resp, HTTPStatus.CREATED, f"PUT touchpoint {ext}")
            check(t.external_id == ext, f"touchpoint external_id {t.external_id!r}")
            state["points"][ext] = (t, resp.headers.get("etag"))
        # a repeated PUT changes nothing: 200 and the same ETag
        t, etag = state["points"]["mfc:tel-1"]
        again = put_touchpoint_by_external_id.sync_detailed(proc.id, "mfc:tel-1", client=admin, body=bodies["mfc:tel-1"])
        same = expect(again, HTTPStatus.OK, "repeated PUT")
        check(same.id == t.id and again.headers.get("etag") == etag, f"repeated PUT: {same.id} {again.headers.get('etag')} vs {etag}")
        return f"agency={agency.id}"

    @step("publish version 1")
    def _():
        publish(1)

    @step("portal: the feed from cursor 0 to its end lists the three as added; keep `next`")
    def _():
        items, cursor = read_feed(0)
        ours = [(str(i.touchpoint_id), i.version, i.change.value) for i in items if i.agency_id == state["agency"].id]
        want = sorted((str(t.id), 1, "added") for t, _ in state["points"].values())
        check(sorted(ours) == want, f"feed for the agency: {ours}")
        check([i.cursor for i in items] == sorted(i.cursor for i in items), "the feed is not in cursor order")
        state["cursor"] = cursor
        return f"{len(items)} changes in all, next={cursor}"

    @step("feeding system: one touchpoint changed (PUT), one deleted; publish version 2")
    def _():
        proc = state["process"]
        changed = point("Телефон центра", "+7 (8722) 55-00-01", [NeedCode.CONSULTATION, NeedCode.PROGRESS])
        t, etag = state["points"]["mfc:tel-1"]
        resp = put_touchpoint_by_external_id.sync_detailed(proc.id, "mfc:tel-1", client=admin, body=changed, if_match=etag)
        after = expect(resp, HTTPStatus.OK, "PUT changed touchpoint")
        check(after.id == t.id and resp.headers.get("etag") != etag, "the replacement kept no id or moved no ETag")
        gone, _ = state["points"]["mfc:tel-2"]
        resp = delete_touchpoint.sync_detailed(gone.id, client=admin)
        check(resp.status_code == HTTPStatus.NO_CONTENT, f"delete: {int(resp.status_code)} {resp.content[:300]!r}")
        publish(2)

    @step("portal: from the kept cursor, exactly one changed and one removed")
    def _():
        items, cursor = read_feed(state["cursor"])
        ours = sorted((str(i.touchpoint_id), i.version, i.change.value) for i in items if i.agency_id == state["agency"].id)
        changed = str(state["points"]["mfc:tel-1"][0].id)
        removed = str(state["points"]["mfc:tel-2"][0].id)
        want = sorted([(changed, 2, "changed"), (removed, 2, "removed")])
        check(ours == want, f"changes since the cursor: {ours}, expected {want}")
        check(cursor > state["cursor"], "next did not move")
        state["cursor"] = cursor
        return f"next={cursor}"

    @step("portal: the changed one fetched by id; the removed one is missing")
    def _():
        changed = state["points"]["mfc:tel-1"][0].id
        removed = state["points"]["mfc:tel-2"][0].id
        got = expect(get_public_touchpoints.sync_detailed(client=portal, ids=[changed, removed]), HTTPStatus.OK, "touchpoints by id")
        check([t.id for t in got.items] == [changed], f"items: {[t.id for t in got.items]}")
        check(list(got.missing) == [removed], f"missing: {got.missing}")
        t = got.items[0]
        check(t.version == 2 and t.agency_id == state["agency"].id, f"version {t.version}, agency {t.agency_id}")
        needs = sorted(n.code for n in t.row.touchpoint.needs)
        check(needs == ["consultation", "progress"], f"needs {needs}")
        check(t.row.touchpoint.external_id == "mfc:tel-1", f"external_id {t.row.touchpoint.external_id!r}")
        check(t.row.process == state["process"].name, f"process {t.row.process!r}")
        return f"needs={needs}"

    return finish(results)


def finish(results) -> int:
    ok = sum(1 for _, good in results if good)
    bad = len(results) - ok
    print(f"sync scenario: {ok} steps ok, {bad} failed", flush=True)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
