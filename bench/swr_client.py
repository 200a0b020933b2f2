"""The stale-while-revalidate benchmark's DAV client, its own process (no GIL shared with the
bridge): reads a JSON job on stdin ({"targets": [{"url", "username", "password"}], "seconds"}),
takes each collection's current sync token (RFC 6578 §3.2, empty token), then sends
no-change sync-collection REPORTs round-robin over the collections for `seconds`, one
keep-alive session per collection, and prints JSON: every latency (seconds), the statuses
seen, and how many answers carried changes. With "control" (a URL) each request is followed
by the same request to that static server, timed apart: the machine's own latency floor.
Must not import the bridge.
"""

from __future__ import annotations

import json
import sys
import time
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

import requests

DAV = "{DAV:}"


def sync_body(token: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{escape(token)}</d:sync-token>'
        "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


def run(job: dict[str, Any]) -> dict[str, Any]:
    sessions = []
    for t in job["targets"]:
        s = requests.Session()
        s.trust_env = False
        s.auth = (t["username"], t["password"])
        sessions.append((t["url"], s))
    tokens = []
    for url, s in sessions:
        r = s.request("REPORT", url, data=sync_body(""), headers={"Depth": "0"}, timeout=120)
        tokens.append(ET.fromstring(r.content).findtext(f"{DAV}sync-token") or "")
    control = None  # the same request to a static server (bench/floor_server.py), alternating
    if job.get("control"):
        control = requests.Session()
        control.trust_env = False
    control_latencies: list[float] = []
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    changed = 0
    end = time.monotonic() + float(job["seconds"])
    i = 0
    while time.monotonic() < end:
        k = i % len(sessions)
        url, s = sessions[k]
        t0 = time.perf_counter()
        r = s.request("REPORT", url, data=sync_body(tokens[k]), headers={"Depth": "0"}, timeout=120)
        latencies.append(time.perf_counter() - t0)
        statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
        if r.status_code == 207:
            root = ET.fromstring(r.content)
            if root.findall(f"{DAV}response"):
                changed += 1
            tokens[k] = root.findtext(f"{DAV}sync-token") or tokens[k]
        if control is not None:
            t0 = time.perf_counter()
            c = control.request(
                "REPORT", job["control"], data=sync_body(tokens[k]), headers={"Depth": "0"}
            )
            ET.fromstring(c.content)
            control_latencies.append(time.perf_counter() - t0)
        i += 1
    return {
        "latencies": latencies,
        "control_latencies": control_latencies,
        "statuses": statuses,
        "answers_with_changes": changed,
    }


def main() -> int:
    json.dump(run(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
