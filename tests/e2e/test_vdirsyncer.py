"""Real two-way sync with vdirsyncer (CalDAV ⇄ local vdir) through `davbridge demo`:
create, edit, time move and delete in both directions, provider changes arriving through
sync-collection."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import icalendar
import pytest

from tests.e2e.conftest import GraphAdmin, RunningDemo, wait_for


class Vdirsyncer:
    def __init__(self, root: Path, demo: RunningDemo) -> None:
        self.root = root
        self.local = root / "local"
        user, password = demo.auth
        self.config = root / "config"
        self.config.write_text(f"""
[general]
status_path = "{root}/status/"

[pair bridge]
a = "bridge_local"
b = "bridge_remote"
collections = ["from b"]
conflict_resolution = "b wins"
implicit = "create"

[storage bridge_local]
type = "filesystem"
path = "{self.local}/"
fileext = ".ics"

[storage bridge_remote]
type = "caldav"
url = "{demo.url}"
username = "{user}"
password = "{password}"
""")

    def run(self, *args: str) -> str:
        exe = shutil.which("vdirsyncer", path=str(Path(sys.executable).parent)) or "vdirsyncer"
        env = {**os.environ, "VDIRSYNCER_CONFIG": str(self.config)}
        proc = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    def sync(self) -> str:
        return self.run("sync")

    def files(self, collection: str) -> dict[str, str]:
        folder = self.local / collection
        return {p.name: p.read_text() for p in folder.glob("*.ics")}

    def find(self, collection: str, text: str) -> list[Path]:
        return [p for p in (self.local / collection).glob("*.ics") if text in p.read_text()]


@pytest.fixture(scope="module")
def vds(demo: RunningDemo, tmp_path_factory: pytest.TempPathFactory) -> Vdirsyncer:
    v = Vdirsyncer(tmp_path_factory.mktemp("vdirsyncer"), demo)
    v.run("discover")
    v.sync()
    return v


def local_event(uid: str, summary: str, start: dt.datetime) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(hours=1)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//vdir test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(fmt)}\r\n"
        f"DTEND:{end.strftime(fmt)}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_initial_sync_brings_every_calendar(vds: Vdirsyncer) -> None:
    folders = {p.name for p in vds.local.iterdir() if p.is_dir()}
    assert {"calendar-m365", "projects-m365"} <= folders
    assert len(vds.files("calendar-m365")) >= 50
    texts = "".join(vds.files("calendar-m365").values())
    assert "X-ZOOM-MEETING:TRUE" in texts and "X-ZOOM-MEETING:FALSE" in texts


def test_local_changes_reach_the_provider(vds: Vdirsyncer, graph: GraphAdmin) -> None:
    uid = f"vds-{uuid.uuid4()}"
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
        hour=13, minute=0, second=0, microsecond=0
    )
    path = vds.local / "projects-m365" / f"{uid}.ics"
    path.write_text(local_event(uid, "Vdir created", start))
    vds.sync()
    made = graph.events("Projects", "Vdir created")
    assert len(made) == 1
    gid = made[0]["id"]
    # The server's canonical copy differs from what was uploaded (join-link metadata), so the
    # PUT answered without an ETag and the next sync downloads the canonical copy.
    vds.sync()
    assert "X-ZOOM-MEETING:FALSE" in vds.find("projects-m365", uid)[0].read_text()

    # edit: time move and new title in the local file (whatever name the sync left it under)
    current = vds.find("projects-m365", uid)
    assert len(current) == 1
    cal = icalendar.Calendar.from_ical(current[0].read_text())
    ev = next(iter(cal.walk("VEVENT")))
    del ev["DTSTART"], ev["DTEND"], ev["SUMMARY"]
    ev.add("DTSTART", start + dt.timedelta(days=1))
    ev.add("DTEND", start + dt.timedelta(days=1, hours=1))
    ev.add("SUMMARY", "Vdir moved")
    current[0].write_bytes(cal.to_ical())
    vds.sync()
    moved = graph.events("Projects", "Vdir moved")
    assert [e["id"] for e in moved] == [gid]
    assert not graph.events("Projects", "Vdir created")

    vds.sync()  # a second sync is a no-op: nothing duplicated
    assert [e["id"] for e in graph.events("Projects", "Vdir moved")] == [gid]

    for p in vds.find("projects-m365", uid):
        p.unlink()
    vds.sync()
    assert graph.events("Projects", "Vdir moved") == []


def test_provider_changes_reach_the_local_copy(vds: Vdirsyncer, graph: GraphAdmin) -> None:
    cid = graph.calendar_id("Projects")
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=6)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    made = graph.json(
        "POST",
        f"/calendars/{cid}/events",
        json={
            "subject": "Outlook made this",
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {
                "dateTime": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        },
    )

    def arrived() -> list[Path]:
        vds.sync()
        return vds.find("projects-m365", "Outlook made this")

    assert len(wait_for(arrived, timeout=30, interval=1.5)) == 1

    graph.json("PATCH", f"/events/{made['id']}", json={"subject": "Outlook renamed this"})
    assert (
        len(
            wait_for(
                lambda: (vds.sync(), vds.find("projects-m365", "Outlook renamed this"))[1],
                timeout=30,
                interval=1.5,
            )
        )
        == 1
    )
    assert vds.find("projects-m365", "Outlook made this") == []

    graph.json("DELETE", f"/events/{made['id']}")
    wait_for(
        lambda: (vds.sync(), not vds.find("projects-m365", "Outlook renamed this"))[1],
        timeout=30,
        interval=1.5,
    )
