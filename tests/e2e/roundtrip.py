"""Helpers for the round-trip fidelity tests (issue 10 point 1): provider-side snapshots taken
through each vendor's API or the sandbox control API, DAV reads and writes in batches, and the
client variants (raw bytes; Radicale's vobject parse; SyncEvolution's dropped X- properties)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.etree import ElementTree as ET

import requests
import vobject

from bridge.joinlinks.content import serialize, unfold
from tests.e2e.conftest import GoogleAdmin, GraphAdmin, RunningDemo

#: Bookkeeping every vendor changes on any write; never something a user edited.
VOLATILE = frozenset(
    {
        "@odata.etag",
        "changeKey",
        "lastModifiedDateTime",
        "etag",
        "updated",
        "sequence",
        "change_key",
        "LastModifiedTime",
        "ChangeKey",
        "DateTimeStamp",
        "AppointmentSequenceNumber",
    }
)


def radicale(text: str) -> str:
    """What Radicale 3.9 hands the storage plugin: vobject's parse and serialisation."""
    return str(vobject.readOne(text).serialize())


def syncevolution(text: str) -> str:
    """SyncEvolution drops every X- property (and their parameters with them)."""
    return serialize(line for line in unfold(text) if not line.upper().startswith("X-"))


VARIANTS: dict[str, Callable[[str], str]] = {
    "raw": lambda text: text,
    "radicale": radicale,
    "syncevolution": syncevolution,
}


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def graph_events(graph: GraphAdmin) -> dict[str, Any]:
    """Every Graph event (masters, singles) and instance (occurrences, exceptions) by id."""
    now = dt.datetime.now(dt.UTC)
    lo, hi = (now - dt.timedelta(days=200)).date(), (now + dt.timedelta(days=570)).date()
    found: dict[str, Any] = {}
    for cal in graph.json("GET", "/calendars")["value"]:
        base = f"{graph.base}/users/{graph.user}/calendars/{cal['id']}"
        for url in (
            f"{base}/events?$top=500",
            f"{base}/calendarView?startDateTime={lo}T00:00:00Z&endDateTime={hi}T00:00:00Z&$top=500",
        ):
            next_url: str | None = url
            while next_url:
                page = graph.json("GET", next_url)
                for event in page["value"]:
                    found[event["id"]] = clean(event)
                next_url = page.get("@odata.nextLink")
    return found


def google_events(google: GoogleAdmin) -> dict[str, Any]:
    """Every Google event of every calendar (masters, exceptions, cancelled) by id."""
    found: dict[str, Any] = {}
    for cal in google.api.calendarList().list().execute()["items"]:
        token = None
        while True:
            page = (
                google.api.events()
                .list(calendarId=cal["id"], pageToken=token, maxResults=2500, showDeleted=True)
                .execute()
            )
            for event in page.get("items", []):
                found[f"{cal['id']}/{event['id']}"] = clean(event)
            token = page.get("nextPageToken")
            if not token:
                break
    return found


def ews_items(info: dict[str, Any]) -> dict[str, Any]:
    """Every stored field of every EWS calendar item (sandbox control API) by id."""
    control = info["ews"]["control_url"]
    folders = requests.get(f"{control}/folders", timeout=30).json()
    found: dict[str, Any] = {}
    for folder in folders:
        if folder["folder_class"] != "IPF.Appointment":
            continue
        items = requests.get(
            f"{control}/items/full", params={"folder": folder["id"]}, timeout=60
        ).json()
        for item in items:
            found[item["id"]] = clean(item)
    return found


CALDAV_NS = {
    "d": "DAV:",
    "c": "urn:ietf:params:xml:ns:caldav",
    "cs": "http://calendarserver.org/ns/",
}


def collections(demo: RunningDemo, home: str, suffix: str, kind: str) -> dict[str, str]:
    """Display name -> path of the `kind` ("calendar" / "addressbook") collections under
    `home` whose name ends with `suffix`."""
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
        "<d:resourcetype/></d:prop></d:propfind>"
    )
    r = requests.request(
        "PROPFIND",
        demo.url.rstrip("/") + home,
        data=body,
        headers={"Depth": "1"},
        auth=demo.auth,
        timeout=60,
    )
    assert r.status_code == 207, r.text
    found: dict[str, str] = {}
    for resp in ET.fromstring(r.content).findall("d:response", CALDAV_NS):
        name = resp.findtext(".//d:displayname", default="", namespaces=CALDAV_NS)
        href = resp.findtext("d:href", default="", namespaces=CALDAV_NS)
        types = resp.find(".//d:resourcetype", CALDAV_NS)
        tags = {child.tag.rsplit("}", 1)[-1] for child in (types if types is not None else [])}
        if name.endswith(suffix) and kind in tags:
            found[name] = href
    return found


def resources(demo: RunningDemo, path: str) -> dict[str, str]:
    """href -> text of every resource of a collection (one REPORT / PROPFIND + GETs)."""
    body = (
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
    )
    r = requests.request(
        "PROPFIND",
        demo.url.rstrip("/") + path,
        data=body,
        headers={"Depth": "1"},
        auth=demo.auth,
        timeout=60,
    )
    assert r.status_code == 207, r.text
    hrefs = [
        h
        for h in (
            resp.findtext("d:href", default="", namespaces=CALDAV_NS)
            for resp in ET.fromstring(r.content).findall("d:response", CALDAV_NS)
        )
        if h.rstrip("/") != path.rstrip("/")
    ]

    def get(href: str) -> tuple[str, str]:
        got = _session(demo).get(demo.url.rstrip("/") + href, timeout=60)
        assert got.status_code == 200, (href, got.status_code)
        return href, got.text

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(get, hrefs))


_local = threading.local()


def _session(demo: RunningDemo) -> requests.Session:
    """One keep-alive session per worker thread."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.auth = demo.auth
        _local.session = session
    return session


def put_all(
    demo: RunningDemo, bodies: Iterable[tuple[str, str]], content_type: str
) -> dict[str, int]:
    """PUT each (href, text) unconditionally, four at a time; href -> status."""

    def put(item: tuple[str, str]) -> tuple[str, int]:
        href, text = item
        r = _session(demo).put(
            demo.url.rstrip("/") + href,
            data=text.encode("utf-8"),
            headers={"Content-Type": content_type},
            auth=demo.auth,
            timeout=60,
        )
        return href, r.status_code

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(put, list(bodies)))


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Readable field-level differences between two snapshots."""
    out: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            out.append(f"{key}: gone")
        elif key not in before:
            out.append(f"{key}: new")
        elif before[key] != after[key]:
            b, a = before[key], after[key]
            if isinstance(b, dict) and isinstance(a, dict):
                for field in sorted(set(b) | set(a)):
                    if b.get(field) != a.get(field):
                        out.append(f"{key}.{field}: {b.get(field)!r} -> {a.get(field)!r}")
            else:
                out.append(f"{key}: {b!r} -> {a!r}")
    return out


def graph_contacts(graph: GraphAdmin) -> dict[str, Any]:
    """Every Graph contact of every folder (sandbox control API: Graph JSON) by id."""
    found: dict[str, Any] = {}
    for folder in graph.ctl("GET", "/contacts/folders"):
        for contact in graph.ctl("GET", f"/contacts/folders/{folder['id']}/contacts"):
            found[contact["id"]] = clean(contact)
    return found


def google_people(info: dict[str, Any]) -> dict[str, Any]:
    """Every Google contact with all its fields (sandbox control API) by resource name."""
    g = info["google"]
    r = requests.get(f"{g['control_url']}/people", verify=g["ca_file"], timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    people = body if isinstance(body, list) else body.get("people", body.get("connections", []))
    return {p["resourceName"]: clean(p) for p in people}


def ews_contacts(info: dict[str, Any]) -> dict[str, Any]:
    """Every EWS contact with all its fields (sandbox control API) by id."""
    control = info["ews"]["control_url"]
    folders = requests.get(f"{control}/folders", timeout=30).json()
    found: dict[str, Any] = {}
    for folder in folders:
        if folder["folder_class"] != "IPF.Contact":
            continue
        contacts = requests.get(
            f"{control}/contacts", params={"folder": folder["id"]}, timeout=60
        ).json()
        for contact in contacts:
            found[contact["id"]] = clean(contact)
    return found


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, str]]:
    """(item key, dotted field path) of every leaf that differs, items added or removed
    as (key, "")."""
    found: set[tuple[str, str]] = set()

    def walk(key: str, path: str, b: Any, a: Any) -> None:
        if isinstance(b, dict) and isinstance(a, dict):
            for field in set(b) | set(a):
                walk(key, f"{path}.{field}" if path else field, b.get(field), a.get(field))
        elif b != a:
            found.add((key, path))

    for key in set(before) | set(after):
        if key not in before or key not in after:
            found.add((key, ""))
        else:
            walk(key, "", before[key], after[key])
    return found


def provider_writes(info: dict[str, Any], label: str) -> Callable[[], set[tuple[Any, ...]]]:
    """A function giving the successful writes the provider's sandbox has logged so far, each
    once (its request log: every method but GET/HEAD with a 2xx answer; EWS: the Create/Update/
    DeleteItem operations it counted) — what the contract tests' writes_since count. The writes
    between two calls are the difference of their sets."""
    if label == "Exchange":
        control = info["ews"]["control_url"]

        def ews() -> set[tuple[Any, ...]]:
            counts = requests.get(f"{control}/log", timeout=30).json()["counts"]
            ops = ("CreateItem", "UpdateItem", "DeleteItem")
            return {(op, n) for op in ops for n in range(int(counts.get(op, 0)))}

        return ews
    side = info["sandbox"] if label == "Microsoft 365" else info["google"]
    prefixes = ("/v1.0",) if label == "Microsoft 365" else ("/calendar/v3", "/v1/")

    def logged() -> set[tuple[Any, ...]]:
        found: set[tuple[Any, ...]] = set()
        for prefix in prefixes:
            r = requests.get(
                f"{side['control_url']}/requests",
                params={"prefix": prefix},
                verify=side["ca_file"],
                timeout=30,
            )
            assert r.status_code == 200, r.text
            found |= {
                (e["ts"], e["method"], e["path"])
                for e in r.json()
                if e["method"] not in ("GET", "HEAD") and int(e["status"]) < 300
            }
        return found

    return logged
