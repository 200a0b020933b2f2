"""DavMail 6 (Debian package `davmail`, EWS mode) agrees with the EWS sandbox.

DavMail runs headless as a CalDAV gateway in front of the sandbox; python talks CalDAV to DavMail
with the sandbox credentials and compares what comes back with the sandbox's own items. A DavMail
request the sandbox cannot answer shows up as a failed operation in the sandbox log and fails
the test. Needs `apt-get install -y davmail default-jre-headless`.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
import requests

from sandbox.ews.server import EwsSandbox

DAVMAIL_JAR = Path("/usr/share/davmail/davmail.jar")
PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:getetag/>'
    "<d:resourcetype/></d:prop></d:propfind>"
)
QUERY = (
    '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" '
    'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>'
    '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter>'
    "</c:filter></c:calendar-query>"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DavMail:
    def __init__(self, base: str, log: Path, sandbox: EwsSandbox) -> None:
        self.base, self.log, self.sandbox = base, log, sandbox
        self.auth = (sandbox.info.username, sandbox.info.password)

    def why(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        failed = [r for r in self.sandbox.service.log if r["status"] != 200]
        return f"sandbox failures: {failed[:10]}\n--- DavMail log (tail) ---\n{text[-6000:]}"

    def request(self, method: str, path: str, body: str = "", depth: str = "1") -> Any:
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        return requests.request(
            method,
            self.base + path,
            data=body.encode(),
            headers=headers,
            auth=self.auth,
            timeout=120,
        )


@pytest.fixture
def davmail(tmp_path: Path) -> Iterator[DavMail]:
    assert DAVMAIL_JAR.exists(), "install davmail: apt-get install -y davmail default-jre-headless"
    sb = EwsSandbox(None)
    info = sb.start()
    port = free_port()
    log = tmp_path / "davmail.log"
    props = tmp_path / "davmail.properties"
    props.write_text(
        "\n".join(
            [
                "davmail.mode=EWS",
                f"davmail.url={info.ews_url}",
                "davmail.server=true",
                "davmail.allowRemote=false",
                "davmail.bindAddress=127.0.0.1",
                f"davmail.caldavPort={port}",
                "davmail.imapPort=",
                "davmail.ldapPort=",
                "davmail.popPort=",
                "davmail.smtpPort=",
                "davmail.disableUpdateCheck=true",
                "davmail.enableKeepAlive=true",
                "davmail.enableKerberos=false",
                "davmail.caldavPastDelay=0",
                f"davmail.logFilePath={log}",
                "log4j.rootLogger=WARN",
                "log4j.logger.davmail=DEBUG",
                "log4j.logger.org.apache.http.wire=DEBUG",
                "log4j.logger.org.apache.http=WARN",
                "",
            ]
        )
    )
    out = (tmp_path / "davmail.out").open("w")
    proc = subprocess.Popen(
        ["java", "-Djava.awt.headless=true", "-jar", str(DAVMAIL_JAR), str(props)],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "davmail.out").read_text()
                assert time.monotonic() < deadline, "DavMail did not open its CalDAV port"
                time.sleep(0.2)
        yield DavMail(f"http://127.0.0.1:{port}", log, sb)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()
        sb.stop()


def _events(report: str) -> dict[str, icalendar.Calendar]:
    cals = {}
    for raw in re.findall(r"BEGIN:VCALENDAR.*?END:VCALENDAR", report, re.S):
        text = raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        cal = icalendar.Calendar.from_ical(text.replace("&amp;", "&"))
        master = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
        cals[str(master["UID"])] = cal
    return cals


def test_davmail_logs_in_lists_and_reads_the_calendar(davmail: DavMail) -> None:
    sb = davmail.sandbox
    home = f"/users/{sb.info.upn}/calendar/"
    listing = davmail.request("PROPFIND", home, PROPFIND)
    assert listing.status_code == 207, davmail.why()
    items = sorted(set(re.findall(r"<D:href>([^<]+\.EML)</D:href>", listing.text)))
    calendar_id = sb.service.store.distinguished("calendar").id  # type: ignore[union-attr]
    expected = {i.data["UID"]: i for i in sb.service.store.items_in(calendar_id)}
    assert len(items) == len(expected), davmail.why()
    assert "calendar/Projects/" in listing.text, davmail.why()

    report = davmail.request("REPORT", home, QUERY)
    assert report.status_code == 207, davmail.why()
    cals = _events(report.text)
    assert set(cals) == set(expected), davmail.why()
    for uid, item in expected.items():
        event = next(c for c in cals[uid].walk("VEVENT") if "RECURRENCE-ID" not in c)
        assert str(event["SUMMARY"]) == item.data["Subject"], davmail.why()
        start: Any = event.decoded("DTSTART")
        if item.data.get("IsAllDayEvent"):
            assert isinstance(start, dt.date) and not isinstance(start, dt.datetime)
        else:
            assert start.astimezone(dt.UTC) == item.data["Start"], (uid, davmail.why())
        if item.data.get("Recurrence"):
            assert "RRULE" in event, davmail.why()
            overrides = [c for c in cals[uid].walk("VEVENT") if "RECURRENCE-ID" in c]
            assert len(overrides) == len(item.exceptions), davmail.why()
    weekly = next(i for i in expected.values() if i.data["Subject"] == "Weekly sync")
    assert weekly.deleted_occurrences and weekly.exceptions
    assert "EXDATE" in next(iter(cals[weekly.data["UID"]].walk("VEVENT")))

    one = davmail.request("GET", items[0], depth="0")
    assert one.status_code == 200 and "BEGIN:VCALENDAR" in one.text, davmail.why()
    failed = [r for r in sb.service.log if r["status"] != 200]
    assert failed == [], davmail.why()
    assert sb.request_count("GetItem") >= len(expected)
