"""The benchmark's DAV client, run as its own process so that it never shares a GIL with a
server under test: reads a JSON job on stdin, prints JSON timings on stdout.

Per target (a calendar collection URL plus credentials) it first runs one untimed, checked
round — PROPFIND Depth 1 (lists the hrefs), sync-collection without a token (gets the
current token), calendar-multiget of every href, sync-collection with the token (must be
empty) — then times each operation `repeat` times, targets interleaved round by round, over
one keep-alive `requests.Session` per target. Request bodies follow RFC 4918 §9.1
(PROPFIND), RFC 4791 §7.9 (calendar-multiget) and RFC 6578 §3.2 (sync-collection).
Must not import the bridge or Radicale.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import requests

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"
OPERATIONS = ("propfind", "multiget", "sync")

PROPFIND_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/>'
    "</d:prop></d:propfind>"
)


def multiget_body(hrefs: list[str]) -> str:
    refs = "".join(f"<d:href>{escape(h)}</d:href>" for h in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{refs}</c:calendar-multiget>"
    )


def sync_body(token: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{escape(token)}</d:sync-token>'
        "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


@dataclass
class Target:
    name: str
    collection_url: str
    username: str
    password: str
    session: requests.Session = field(default_factory=requests.Session)
    hrefs: list[str] = field(default_factory=list)
    token: str = ""

    def __post_init__(self) -> None:
        self.session.auth = (self.username, self.password)

    def request(self, method: str, body: str, depth: str) -> requests.Response:
        response = self.session.request(
            method,
            self.collection_url,
            data=body.encode("utf-8"),
            timeout=3600,
            headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status_code != 207:
            raise RuntimeError(
                f"{self.name}: {method} answered HTTP {response.status_code}: {response.text[:500]}"
            )
        return response

    def body_for(self, operation: str) -> tuple[str, str, str]:
        if operation == "propfind":
            return "PROPFIND", PROPFIND_BODY, "1"
        if operation == "multiget":
            return "REPORT", multiget_body(self.hrefs), "1"
        return "REPORT", sync_body(self.token), "0"


@dataclass(frozen=True)
class Timing:
    seconds: list[float]
    response_bytes: int


@dataclass(frozen=True)
class Checked:
    """What the untimed round saw (the benchmark refuses to time a wrong answer)."""

    items: int
    multiget_items: int
    multiget_with_data: int
    sync_changes_initial: int
    sync_changes_no_change: int
    token: str


def _responses(content: bytes) -> list[ET.Element]:
    return ET.fromstring(content).findall(f"{DAV}response")


def warm_and_check(target: Target) -> Checked:
    collection_path = urllib.parse.urlsplit(target.collection_url).path
    listing = _responses(target.request("PROPFIND", PROPFIND_BODY, "1").content)
    hrefs = [urllib.parse.unquote(r.findtext(f"{DAV}href") or "") for r in listing]
    target.hrefs = [h for h in hrefs if h.rstrip("/") != collection_path.rstrip("/")]
    initial = ET.fromstring(target.request("REPORT", sync_body(""), "0").content)
    target.token = initial.findtext(f"{DAV}sync-token") or ""
    if not target.token:
        raise RuntimeError(f"{target.name}: sync-collection returned no sync-token")
    got = _responses(target.request("REPORT", multiget_body(target.hrefs), "1").content)
    with_data = sum(
        1 for r in got if (r.findtext(f".//{CAL}calendar-data") or "").startswith("BEGIN:VCALENDAR")
    )
    again = ET.fromstring(target.request("REPORT", sync_body(target.token), "0").content)
    return Checked(
        items=len(target.hrefs),
        multiget_items=len(got),
        multiget_with_data=with_data,
        sync_changes_initial=len(initial.findall(f"{DAV}response")),
        sync_changes_no_change=len(again.findall(f"{DAV}response")),
        token=target.token,
    )


def timed(target: Target, operation: str) -> tuple[float, int]:
    method, body, depth = target.body_for(operation)
    began = time.perf_counter()
    response = target.request(method, body, depth)
    size = len(response.content)  # the whole body has arrived
    return time.perf_counter() - began, size


def run(job: dict[str, Any]) -> dict[str, Any]:
    targets = [
        Target(t["name"], t["collection_url"], t["username"], t["password"]) for t in job["targets"]
    ]
    repeat = int(job.get("repeat", 5))
    warm_rounds = int(job.get("warm_rounds", 1))
    checked: dict[str, Checked] = {}
    warm_seconds: dict[str, float] = {}
    for target in targets:
        began = time.perf_counter()
        checked[target.name] = warm_and_check(target)
        for _ in range(warm_rounds - 1):
            for operation in OPERATIONS:
                timed(target, operation)
        warm_seconds[target.name] = time.perf_counter() - began
    timings: dict[str, dict[str, Timing]] = {t.name: {} for t in targets}
    for operation in OPERATIONS:
        samples: dict[str, list[float]] = {t.name: [] for t in targets}
        sizes: dict[str, int] = {}
        for _ in range(repeat):
            for target in targets:
                seconds, size = timed(target, operation)
                samples[target.name].append(seconds)
                sizes[target.name] = size
        for target in targets:
            timings[target.name][operation] = Timing(samples[target.name], sizes[target.name])
    return {
        "repeat": repeat,
        "checked": {name: asdict(c) for name, c in checked.items()},
        "warm_seconds": warm_seconds,
        "timings": {
            name: {op: asdict(t) for op, t in ops.items()} for name, ops in timings.items()
        },
    }


def capture(job: dict[str, Any]) -> dict[str, Any]:
    """Record the target's answers byte for byte as sent (still compressed) for the floor
    server (bench/floor_server.py): `<operation>.body` + `<operation>.json` in job["dir"]."""
    t = job["capture"]
    target = Target(t["name"], t["collection_url"], t["username"], t["password"])
    warm_and_check(target)
    folder = Path(job["dir"])
    folder.mkdir(parents=True, exist_ok=True)
    requests_ = {
        "propfind": ("PROPFIND", PROPFIND_BODY, "1"),
        "multiget": ("REPORT", multiget_body(target.hrefs), "1"),
        "sync-initial": ("REPORT", sync_body(""), "0"),
        "sync": ("REPORT", sync_body(target.token), "0"),
    }
    sizes = {}
    for name, (method, body, depth) in requests_.items():
        response = target.session.request(
            method,
            target.collection_url,
            data=body.encode("utf-8"),
            timeout=3600,
            stream=True,
            headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
        )
        raw = response.raw.read(decode_content=False)
        status = f"{response.status_code} {response.reason}"
        (folder / f"{name}.body").write_bytes(raw)
        (folder / f"{name}.json").write_text(
            json.dumps({"status": status, "headers": list(response.headers.items())})
        )
        sizes[name] = len(raw)
    return {"captured": sizes}


def main() -> int:
    job = json.load(sys.stdin)
    json.dump(capture(job) if "capture" in job else run(job), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
