"""End to end (python `caldav` and raw DAV requests) for delegation (issue 15): calendars
delegated at the provider appear labelled with their owner, writable as the role says, with a
delegate's writes landing in the owner's mailbox; private events of an owner who did not give
private access are busy blocks on every path (GET, multiget, calendar-query text search,
sync-collection, free/busy)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import caldav
import pytest
import requests

from tests.e2e.conftest import GraphAdmin, RunningDemo, wait_for

MEGAN = "Calendar (Megan Bowen) — Microsoft 365"
NESTOR = "Calendar (Nestor Wilke) — Microsoft 365"
ADELE = "Calendar (Adele Vance) — Microsoft 365"
SECRETS = ("doctor", "Harbor Clinic", "zoom.us", "dr.hart", "salary", "HR office", "424242")


def http(demo: RunningDemo, method: str, path: str, body: str = "", **headers: str) -> Any:
    return requests.request(
        method,
        demo.url.rstrip("/") + path,
        data=body.encode(),
        headers=headers,
        auth=demo.auth,
        timeout=60,
    )


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


@pytest.fixture(scope="module")
def cals(client: caldav.DAVClient) -> dict[str, caldav.Calendar]:
    def listed() -> dict[str, caldav.Calendar] | None:
        found = {str(c.get_display_name()): c for c in client.principal().calendars()}
        return found if NESTOR in found and MEGAN in found else None

    return dict(wait_for(listed, timeout=60))


def texts(cal: caldav.Calendar) -> list[str]:
    return [str(o.data) for o in cal.events()]


def assert_no_secret(text: str) -> None:
    low = text.lower()
    for secret in SECRETS:
        assert secret.lower() not in low, (secret, text)


def test_delegated_calendars_are_labelled_with_their_owner(
    cals: dict[str, caldav.Calendar],
) -> None:
    assert {MEGAN, NESTOR, ADELE} <= set(cals)


def test_private_access_shows_details(cals: dict[str, caldav.Calendar]) -> None:
    joined = "\n".join(texts(cals[MEGAN]))
    assert "Megan: doctor appointment" in joined and "Harbor Clinic" in joined


def test_no_private_access_gives_busy_blocks_on_get(cals: dict[str, caldav.Calendar]) -> None:
    found = texts(cals[NESTOR])
    assert any("Nestor: weekly planning" in t for t in found)  # not private: as it is
    private = [t for t in found if "CLASS:PRIVATE" in t or "CLASS:CONFIDENTIAL" in t]
    assert len(private) == 2
    for t in private:
        assert "SUMMARY:Private" in t
        for prop in (
            "DESCRIPTION",
            "LOCATION",
            "ATTENDEE",
            "URL",
            "CONFERENCE",
            "X-ZOOM",
            "VALARM",
        ):
            assert prop not in t, (prop, t)
        assert_no_secret(t)
    for t in texts(cals[ADELE]):  # a reader without private access: the same
        if "CLASS:PRIVATE" in t or "CLASS:CONFIDENTIAL" in t:
            assert_no_secret(t)


def test_no_private_detail_on_any_other_path(
    demo: RunningDemo, cals: dict[str, caldav.Calendar]
) -> None:
    path = str(cals[NESTOR].url.path)
    hrefs = [str(o.url.path) for o in cals[NESTOR].events()]
    multiget = (
        '<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
        "</D:prop>" + "".join(f"<D:href>{h}</D:href>" for h in hrefs) + "</C:calendar-multiget>"
    )
    got = http(demo, "REPORT", path, multiget, Depth="1", **{"Content-Type": "application/xml"})
    assert got.status_code == 207 and "CLASS:PRIVATE" in got.text
    assert_no_secret(got.text)
    search = (
        '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:prop-filter name="SUMMARY"><C:text-match>doctor</C:text-match></C:prop-filter>'
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
    got = http(demo, "REPORT", path, search, Depth="1", **{"Content-Type": "application/xml"})
    assert got.status_code == 207 and "<D:href>" not in got.text.replace("d:href", "D:href")
    assert_no_secret(got.text)
    sync = (
        '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"
    )
    got = http(demo, "REPORT", path, sync, **{"Content-Type": "application/xml"})
    assert got.status_code == 207 and "SUMMARY:Private" in got.text
    assert_no_secret(got.text)
    now = dt.datetime.now(dt.UTC)
    freebusy = (
        '<?xml version="1.0"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f'<C:time-range start="{now:%Y%m%dT000000Z}" '
        f'end="{now + dt.timedelta(days=6):%Y%m%dT000000Z}"/></C:free-busy-query>'
    )
    got = http(demo, "REPORT", path, freebusy, Depth="1", **{"Content-Type": "application/xml"})
    assert got.status_code == 200 and "FREEBUSY" in got.text  # the busy times stay
    assert_no_secret(got.text)


def test_delegate_writes_land_in_the_owners_calendar(
    graph: GraphAdmin, cals: dict[str, caldav.Calendar]
) -> None:
    uid = f"deleg-{uuid.uuid4()}"
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=4)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Booked by Alex for Nestor\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    cals[NESTOR].save_event(ics)
    rows = graph.json("GET", f"{graph.base}/users/nestor@contoso.example/calendar/events")["value"]
    assert any(r["subject"] == "Booked by Alex for Nestor" for r in rows)


def test_refusals(cals: dict[str, caldav.Calendar]) -> None:
    hidden = next(o for o in cals[NESTOR].events() if "CLASS:CONFIDENTIAL" in str(o.data))
    hidden.data = str(hidden.data).replace("SUMMARY:Private", "SUMMARY:Overwritten")
    with pytest.raises(caldav.lib.error.AuthorizationError, match="Forbidden"):
        hidden.save()
    with pytest.raises(caldav.lib.error.AuthorizationError, match="Forbidden"):
        hidden.delete()
    with pytest.raises(caldav.lib.error.DAVError):  # Adele gave read access only
        cals[ADELE].save_event(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            "UID:adele-ro\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
            "DTEND:20270101T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )


G_MEGAN = "Calendar (megan@contoso.example) — Google"
G_NESTOR = "Calendar (nestor@contoso.example) — Google"
G_ADELE = "Calendar (adele@contoso.example) — Google"


def test_google_roles(client: caldav.DAVClient) -> None:
    """calendarList entries owned by others: writer sees private details and may write, reader
    sees private events as busy blocks (even where the sandbox would answer more, the bridge
    redacts), freeBusyReader sees times only."""

    def listed() -> dict[str, caldav.Calendar] | None:
        found = {str(c.get_display_name()): c for c in client.principal().calendars()}
        return found if {G_MEGAN, G_NESTOR, G_ADELE} <= set(found) else None

    cals = wait_for(listed, timeout=60)
    megan = "\n".join(texts(cals[G_MEGAN]))
    assert "Megan: doctor appointment" in megan and "Harbor Clinic" in megan
    nestor = texts(cals[G_NESTOR])
    assert any("Nestor: weekly planning" in t for t in nestor)
    private = [t for t in nestor if "CLASS:PRIVATE" in t or "CLASS:CONFIDENTIAL" in t]
    assert len(private) == 2
    for t in private:
        assert "SUMMARY:Private" in t
        assert_no_secret(t)
    adele = texts(cals[G_ADELE])
    assert len(adele) == 3
    for t in adele:
        assert "Adele" not in t and "Room 4.12" not in t
        assert_no_secret(t)
    with pytest.raises(caldav.lib.error.DAVError):  # a reader cannot write
        cals[G_NESTOR].save_event(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            "UID:nestor-ro\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
            "DTEND:20270101T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )


E_MEGAN = "Calendar (megan@contoso.example) — Exchange"
E_NESTOR = "Calendar (nestor@contoso.example) — Exchange"
E_ADELE = "Calendar (adele@contoso.example) — Exchange"


def test_exchange_delegate_folders(client: caldav.DAVClient) -> None:
    """Other mailboxes' Calendar folders opened with DistinguishedFolderId + Mailbox: the
    delegate permission (Editor / Reviewer) decides writing, ViewPrivateItems private details;
    a delegate's event lands in the owner's folder."""

    def listed() -> dict[str, caldav.Calendar] | None:
        found = {str(c.get_display_name()): c for c in client.principal().calendars()}
        return found if {E_MEGAN, E_NESTOR, E_ADELE} <= set(found) else None

    cals = wait_for(listed, timeout=60)
    megan = "\n".join(texts(cals[E_MEGAN]))
    assert "Megan: doctor appointment" in megan and "Harbor Clinic" in megan
    for name in (E_NESTOR, E_ADELE):
        found = texts(cals[name])
        private = [t for t in found if "CLASS:PRIVATE" in t or "CLASS:CONFIDENTIAL" in t]
        assert len(private) == 2, name
        for t in private:
            assert "SUMMARY:Private" in t
            assert_no_secret(t)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=5)
    cals[E_NESTOR].save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:ews-deleg-{uuid.uuid4()}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}"
        "\r\nSUMMARY:Booked on Exchange for Nestor\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert any("Booked on Exchange for Nestor" in t for t in texts(cals[E_NESTOR]))
    with pytest.raises(caldav.lib.error.DAVError):  # Reviewer: read only
        cals[E_ADELE].save_event(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            "UID:adele-ews-ro\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
            "DTEND:20270101T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
