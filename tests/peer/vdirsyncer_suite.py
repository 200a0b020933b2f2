"""vdirsyncer's storage suite (`tests/storage/dav` of the pinned sdist) against a server
(issue 11, point 6).

The suite picks its server by `DAV_SERVER` and a server mixin under
`tests/storage/servers/<name>/`; that is its compatibility mechanism (the upstream iCloud mixin
skips task items the same way). Two are written here:
- `davbridge`: the bridge's demo, collections made (MKCOL/MKCALENDAR) at the organisation's
  default service (the caller picks it) and deleted afterwards. The task-item runs make their
  collection a task list: an extended MKCOL naming VTODO as its component set (RFC 5689,
  RFC 4791 §5.2.3), which is what a client making a task list sends — vdirsyncer's own MKCOL
  names none, and at every provider a calendar holds events or tasks, never both, so an
  unnamed set makes an event calendar (the bridge then answers a VTODO with 403
  CALDAV:supported-calendar-component, RFC 4791 §5.3.2.1).
- the baseline is the suite's own `radicale` mixin, unchanged; the one thing it needs that is
  not here — the project's Radicale Docker image on 127.0.0.1:8001 — is stood in for by stock
  Radicale (the pinned version, no authentication, like that image) started by a pytest plugin
  (`tests/peer/vdirsyncer_radicale_plugin.py`, copied beside the suite: both projects call
  their test package `tests`) in place of `docker run`.
"""

from __future__ import annotations

import base64
import contextlib
import urllib.error
import urllib.request
from pathlib import Path

from tests.peer.upstream import Tally, run_pytest, source

PARTS = ("caldav", "carddav")

DAVBRIDGE_MIXIN_TEMPLATE = '''"""The davbridge demo as a vdirsyncer test server (written by davbridge's
tests/peer/vdirsyncer_suite.py)."""
from __future__ import annotations

import os

import pytest
from vdirsyncer.storage.dav import CalDAVStorage, CalDiscover

_TASK_LIST_MKCOL = b"""<?xml version="1.0" encoding="utf-8" ?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
</D:prop></D:set></D:mkcol>"""


class _TaskListDiscover(CalDiscover):
    """Makes the collection a task list (extended MKCOL with a VTODO component set)."""

    async def _create_collection_impl(self, url):
        response = await self.session.request(
            "MKCOL", url, data=_TASK_LIST_MKCOL, headers=self.session.get_default_headers()
        )
        return str(response.url)


class _TaskListStorage(CalDAVStorage):
    discovery_class = _TaskListDiscover

#: tests that cannot apply to a server whose calendars live at Microsoft 365, Google or
#: Exchange, each with the reason (davbridge README, "Peer suites")
NOT_APPLICABLE = NOT_APPLICABLE_HERE


class ServerMixin:
    @pytest.fixture
    def get_storage_args(self, request, slow_create_collection, aio_connector):
        callspec = getattr(request.node, "callspec", None)
        tasks = callspec is not None and callspec.params.get("item_type") == "VTODO"
        made_as = _TaskListStorage if tasks else self.storage_class
        test = f"{type(self).__name__}::{request.node.originalname}"
        service = os.environ["DAVBRIDGE_PEER_SERVICE"]
        kind = f"[{callspec.params['item_type']}]" if callspec and "item_type" in callspec.params else ""
        reason = next(
            (NOT_APPLICABLE[k] for k in (test, test + kind, f"{service}:{test}") if k in NOT_APPLICABLE),
            None,
        )
        if reason:
            pytest.skip(reason)

        async def inner(collection="test"):
            args = {
                "url": os.environ["DAVBRIDGE_PEER_URL"],
                "username": os.environ["DAVBRIDGE_PEER_USERNAME"],
                "password": os.environ["DAVBRIDGE_PEER_PASSWORD"],
                "connector": aio_connector,
            }
            if collection is not None:
                args = await slow_create_collection(made_as, args, collection)
            return args

        return inner
'''


_SERVER_ADDS = (
    "the item read back is not byte-equal to the one uploaded, by design: everything the client "
    "sent comes back (but for README's 'What a round trip normalises'; "
    "tests/e2e/test_overlay_roundtrip.py), plus what the provider stamps on "
    "every event (ORGANIZER = the account, TRANSP; Google STATUS; Microsoft 365 and Exchange "
    "CLASS, X-MICROSOFT-CDO-BUSYSTATUS; Microsoft 365 X-MICROSOFT-WEBLINK) and what SPEC C3 "
    "makes the bridge add to every event (X-ZOOM-MEETING:FALSE, X-DAVBRIDGE-VISIBLE and the "
    "'Not a Zoom meeting · Host: …' line in DESCRIPTION) — the suite's item equality ignores "
    "none of them (measured 2026-12-07 on all three providers)"
)
_TASK_ADDS = (
    "the to-do read back is not byte-equal to the one uploaded, by design: everything the client "
    "sent comes back, plus the provider's own fields — a task always has a status at Microsoft "
    "To Do (status), Google Tasks (status) and Exchange (Status), so STATUS:NEEDS-ACTION is "
    "served where the client sent none — which the suite's item equality does not ignore "
    "(measured 2026-12-07: these three fail on every provider when not skipped)"
)
_OLD_SERIES = (
    " Besides, the suite's series is from 2014: on Microsoft 365 and Google its override lies "
    "more than 3 years before the sync window and is not read back (README 'The sync window', "
    "providers/common/reach.py), and Microsoft 365 stores UNTIL as the end of that day with "
    "WKST (Outlook's recurrence pattern)"
)
#: per test (class::name, or service:class::name for one provider): why it cannot apply to a
#: provider-backed server
NOT_APPLICABLE: dict[str, str] = {
    "TestCalDAVStorage::test_upload[VEVENT]": _SERVER_ADDS,
    "TestCalDAVStorage::test_upload[VTODO]": _TASK_ADDS,
    "TestCalDAVStorage::test_update[VEVENT]": _SERVER_ADDS,
    "TestCalDAVStorage::test_update[VTODO]": _TASK_ADDS,
    "TestCalDAVStorage::test_recurring_events": _SERVER_ADDS + "." + _OLD_SERIES,
    "TestCalDAVStorage::test_create_collection[VTODO]": (
        "makes its collection with vdirsyncer's own MKCOL, which names no component set: at every "
        "provider a calendar holds events or tasks, never both, so that makes an event calendar "
        "and the to-do uploaded into it is refused with 403 CALDAV:supported-calendar-component "
        "(RFC 4791 §5.3.2.1); a task list is made with a VTODO component set (the other task "
        "tests' collections are)"
    ),
    "TestCalDAVStorage::test_dav_unicode_href[VEVENT]": _SERVER_ADDS,
    "TestCalDAVStorage::test_dav_unicode_href[VTODO]": _TASK_ADDS,
    "exchange:TestCalDAVStorage::test_metadata": (
        "Exchange calendars have no colour: the bridge answers the PROPPATCH of calendar-color "
        "with a 403 propstat, which vdirsyncer does not read (storage/dav.py set_meta: 'a "
        "multistatus with errorcodes inside is not parsed yet'), so it reads back no colour"
    ),
    "TestCalDAVStorage::test_item_types_general": (
        "uploads a VTODO and a VEVENT into one collection; at every provider a calendar holds "
        "events or tasks, never both (task lists are collections of their own), so the bridge "
        "answers the second kind with 403 CALDAV:supported-calendar-component (RFC 4791 "
        "§5.3.2.1)"
    ),
}
DAVBRIDGE_MIXIN = DAVBRIDGE_MIXIN_TEMPLATE.replace("NOT_APPLICABLE_HERE", repr(NOT_APPLICABLE))


def _install(src: Path) -> None:
    target = src / "tests" / "storage" / "servers" / "davbridge"
    target.mkdir(exist_ok=True)
    (target / "__init__.py").write_text(DAVBRIDGE_MIXIN)


def against_bridge(
    dav_url: str, username: str, password: str, service: str, reports: Path
) -> dict[str, Tally]:
    """CalDAV and CardDAV in two runs: calendars and address books share the user's one
    namespace here, and the suite's create-collection test leaves a collection named `test`
    behind (upstream skips it on servers where "manual cleanup would be necessary"); it is
    deleted after each run."""
    src = source("vdirsyncer")
    _install(src)
    env = {
        "DAV_SERVER": "davbridge",
        "DAVBRIDGE_PEER_URL": dav_url,
        "DAVBRIDGE_PEER_USERNAME": username,
        "DAVBRIDGE_PEER_PASSWORD": password,
        "DAVBRIDGE_PEER_SERVICE": service,
    }
    found = {}
    for part in PARTS:
        found[part] = run_pytest(
            src, [f"tests/storage/dav/test_{part}.py"], env, reports / f"vdirsyncer-{part}.xml"
        )
        _delete(f"{dav_url.rstrip('/')}/{username}/test/", username, password)
    return found


def _delete(url: str, username: str, password: str) -> None:
    request = urllib.request.Request(url, method="DELETE")
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=60).close()


def against_stock_radicale(reports: Path) -> dict[str, Tally]:
    src = source("vdirsyncer")
    plugin = Path(__file__).with_name("vdirsyncer_radicale_plugin.py")
    (src / "davbridge_radicale_plugin.py").write_text(plugin.read_text())
    env = {"DAV_SERVER": "radicale"}
    return {
        part: run_pytest(
            src,
            ["-p", "davbridge_radicale_plugin", f"tests/storage/dav/test_{part}.py"],
            env,
            reports / f"vdirsyncer-radicale-{part}.xml",
        )
        for part in PARTS
    }
