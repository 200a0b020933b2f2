"""Scheduling through the provider (RFC 6638, issue 16) with two bridge users whose Microsoft
365 accounts are mailboxes of one sandbox tenant: A is the demo user, B is added by the
operator and connects a new mailbox. Everything is done over DAV as a client does it; the
provider side is checked through the sandbox's message log (what Graph would send).

- discovery: `calendar-auto-schedule` in DAV, the principal's inbox/outbox URLs, its
  calendar-user addresses (the connected accounts) and default calendar;
- A PUTs an event inviting B: Graph sends the invitation, B's calendar shows it with
  PARTSTAT=NEEDS-ACTION and B's inbox lists it as METHOD:REQUEST;
- B accepts by changing their PARTSTAT: Graph sends the reply, A sees ACCEPTED, the
  Schedule-Tag of A's copy stays the same (only a PARTSTAT changed) and B's inbox empties;
- free/busy for B POSTed to A's outbox is answered from getSchedule, an unknown address
  with 3.7; If-Schedule-Tag-Match with a stale tag is 412;
- A removes B: Graph sends the cancellation, B's copy is STATUS:CANCELLED;
- B deleting an invitation declines it.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest
import requests

from tests.e2e.conftest import RunningDemo, wait_for
from tests.e2e.portal_client import (
    add_bridge_user,
    add_provider_account,
    collections,
    connect_oauth,
    ctl,
    dav,
    new_app_password,
    sign_in,
)

A = "demo"
CAL = "{urn:ietf:params:xml:ns:caldav}"
D = "{DAV:}"
PRINCIPAL_PROPS = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
    "<d:prop><c:schedule-inbox-URL/><c:schedule-outbox-URL/><c:calendar-user-address-set/>"
    "<c:schedule-default-calendar-URL/><c:calendar-user-type/></d:prop></d:propfind>"
)


@dataclass
class Two:
    demo: RunningDemo
    a_auth: tuple[str, str]
    b: str
    b_auth: tuple[str, str]
    a_address: str
    b_address: str
    a_calendar: str  # path of A's Microsoft 365 calendar
    b_calendar: str

    def messages(self, **query: str) -> list[dict[str, Any]]:
        s = self.demo.info["sandbox"]
        path = "/messages?" + urllib.parse.urlencode(query)
        return list(ctl(s["control_url"], s["ca_file"], "GET", path))


def _m365(colls: list[Any]) -> str:
    found = [c for c in colls if c.kind == "calendar" and c.writable]
    found = [c for c in found if c.display_name.endswith("Microsoft 365")] or found
    return str(found[0].path)


@pytest.fixture(scope="module")
def two(demo: RunningDemo) -> Two:
    """B added to the shared demo (its own bridge user and Microsoft 365 mailbox)."""
    b = f"sched{uuid.uuid4().hex[:6]}"
    portal_password = f"portal-{uuid.uuid4().hex}"
    add_bridge_user(demo, b, f"{b}@contoso.example", portal_password)
    b_portal = sign_in(demo, b, portal_password)
    b_auth = (b, new_app_password(b_portal, "Phone"))
    account, password = f"{b}@contoso.example", f"Pw-{uuid.uuid4().hex}"
    add_provider_account(demo, "microsoft365", account, password)
    connect_oauth(b_portal, demo, "microsoft365", account, password)
    b_colls = wait_for(lambda: collections(demo, b, b_auth))
    return Two(
        demo,
        demo.auth,
        b,
        b_auth,
        f"mailto:{demo.info['sandbox']['user'].lower()}",
        f"mailto:{account}",
        _m365(collections(demo, A, demo.auth)),
        _m365(b_colls),
    )


DAY = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y%m%d")


def _event(
    uid: str, organizer: str, attendees: list[str], start: str = f"{DAY}T100000Z", agent: str = ""
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davbridge tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start}",
        "DURATION:PT1H",
        f"SUMMARY:Planning {uid}",
        f"ORGANIZER:{organizer}",
        *(f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE{agent}:{a}" for a in attendees),
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines)


def _put(
    two: Two, auth: tuple[str, str], path: str, text: str, **headers: str
) -> requests.Response:
    return dav(
        two.demo, "PUT", path, auth, text.encode(), {"Content-Type": "text/calendar", **headers}
    )


def _find(two: Two, auth: tuple[str, str], calendar: str, uid: str) -> tuple[str, str] | None:
    """(path, text) of the event made with `uid` in `calendar`, as the user's client sees it
    (by its SUMMARY: an attendee's copy at Microsoft 365 has Exchange's own UID)."""
    query = (
        '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop>'
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:prop-filter name="SUMMARY"><c:text-match>Planning {uid}</c:text-match>'
        "</c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
    r = dav(two.demo, "REPORT", calendar, auth, query, {"Depth": "1"})
    assert r.status_code == 207, r.text[:1000]
    for response in ElementTree.fromstring(r.content).iter(f"{D}response"):
        data = response.findtext(f".//{CAL}calendar-data")
        if data:
            return urllib.parse.unquote(response.findtext(f"{D}href") or ""), data
    return None


def _partstat(text: str, address: str) -> str | None:
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    for line in unfolded.splitlines():
        if line.upper().startswith("ATTENDEE") and line.lower().endswith(address.lower()):
            found = re.search(r"PARTSTAT=([A-Z-]+)", line)
            return found.group(1) if found else "NEEDS-ACTION"
    return None


def test_scheduling_is_advertised_and_discoverable(two: Two) -> None:
    r = dav(two.demo, "OPTIONS", f"/{A}/", two.a_auth)
    assert "calendar-auto-schedule" in r.headers["DAV"]
    r = dav(two.demo, "PROPFIND", f"/{A}/", two.a_auth, PRINCIPAL_PROPS, {"Depth": "0"})
    assert r.status_code == 207, r.text
    root = ElementTree.fromstring(r.content)
    inbox = root.findtext(f".//{CAL}schedule-inbox-URL/{D}href")
    outbox = root.findtext(f".//{CAL}schedule-outbox-URL/{D}href")
    assert inbox == f"/{A}/schedule-inbox/" and outbox == f"/{A}/schedule-outbox/"
    addresses = [e.text for e in root.iterfind(f".//{CAL}calendar-user-address-set/{D}href")]
    assert addresses[0] == two.a_address and addresses[-1] == f"/{A}/"
    assert root.findtext(f".//{CAL}calendar-user-type") == "INDIVIDUAL"
    default = root.findtext(f".//{CAL}schedule-default-calendar-URL/{D}href") or ""
    assert default.startswith(f"/{A}/")
    for box, kind in ((inbox, "schedule-inbox"), (outbox, "schedule-outbox")):
        r = dav(two.demo, "PROPFIND", box, two.a_auth, None, {"Depth": "0"})
        assert r.status_code == 207 and f"{kind}" in r.text, r.text
    # nobody else's mailbox
    r = dav(two.demo, "PROPFIND", f"/{A}/schedule-inbox/", two.b_auth, None, {"Depth": "0"})
    assert r.status_code in (403, 404)


def test_invitation_reply_free_busy_and_cancellation(two: Two) -> None:
    uid = f"sched-{uuid.uuid4().hex}"
    path = f"{two.a_calendar}{uid}.ics"
    r = _put(two, two.a_auth, path, _event(uid, two.a_address, [two.a_address, two.b_address]))
    assert r.status_code == 201, r.text
    sent = two.messages(to=two.b_address.removeprefix("mailto:"), method="REQUEST")
    assert any(m["from"] == two.a_address.removeprefix("mailto:") for m in sent), sent

    # B's calendar and inbox show the invitation
    found = wait_for(lambda: _find(two, two.b_auth, two.b_calendar, uid), timeout=30)
    b_path, b_text = found
    assert _partstat(b_text, two.b_address) == "NEEDS-ACTION"
    # B's copy (Exchange's iCalUId at Graph) is served under the UID A's client chose
    assert f"UID:{uid}" in re.sub(r"\r?\n[ \t]", "", b_text), b_text
    inbox = dav(two.demo, "PROPFIND", f"/{two.b}/schedule-inbox/", two.b_auth, None, {"Depth": "1"})
    hrefs = [h for h in re.findall(r"<[^>]*href>([^<]+)<", inbox.text) if h.endswith(".ics")]
    bodies = [dav(two.demo, "GET", h, two.b_auth).text for h in hrefs]
    assert any(uid in b and "METHOD:REQUEST" in b for b in bodies), bodies

    # the Schedule-Tag of A's copy, before B answers; SCHEDULE-STATUS says Graph sent it
    got = dav(two.demo, "GET", path, two.a_auth)
    tag = got.headers.get("Schedule-Tag")
    assert tag, got.headers
    served = re.sub(r"\r?\n[ \t]", "", got.text)
    assert re.search(rf"ATTENDEE;[^\n]*SCHEDULE-STATUS=1\.1[^\n]*:{two.b_address}", served), served
    assert not re.search(rf"ATTENDEE;[^\n]*SCHEDULE-STATUS[^\n]*:{two.a_address}", served)

    # A's client lists its inbox (as clients poll it): nothing about this meeting yet
    assert not [b for b in _inbox(two, A, two.a_auth, "reply-").values() if f"Planning {uid}" in b]

    # B accepts: Graph's reply goes out, A sees ACCEPTED, the tag holds, B's inbox empties
    unfolded = re.sub(r"\r?\n[ \t]", "", b_text)
    mine = _line(unfolded, two.b_address)
    accepted = unfolded.replace(mine, mine.replace("NEEDS-ACTION", "ACCEPTED"))
    r = _put(two, two.b_auth, b_path, accepted)
    assert r.status_code in (201, 204), r.text
    replies = two.messages(method="REPLY", to=two.a_address.removeprefix("mailto:"))
    assert [m["partstat"] for m in replies] == ["accepted"], replies

    def organizer_sees_accepted() -> bool:
        hit = _find(two, two.a_auth, two.a_calendar, uid)
        return hit is not None and _partstat(hit[1], two.b_address) == "ACCEPTED"

    wait_for(organizer_sees_accepted, timeout=30)
    after = dav(two.demo, "GET", path, two.a_auth)
    assert after.headers.get("Schedule-Tag") == tag
    # the organizer's own ATTENDEE line (which Graph holds no entry for) survives the reply
    assert _partstat(after.text, two.a_address) == "NEEDS-ACTION", after.text

    # A's inbox holds B's answer as a REPLY (RFC 6638 §4.1); deleting it leaves the event
    def replies_in_a_inbox() -> dict[str, str]:
        return {
            h: body
            for h, body in _inbox(two, A, two.a_auth, "reply-").items()
            if "METHOD:REPLY" in body and f"Planning {uid}" in body
        }

    replies_seen = replies_in_a_inbox()
    assert len(replies_seen) == 1, replies_seen
    [(reply_href, reply)] = replies_seen.items()
    assert _partstat(reply, two.b_address) == "ACCEPTED"
    assert _partstat(reply, two.a_address) is None  # only the replying attendee
    assert dav(two.demo, "DELETE", reply_href, two.a_auth).status_code == 204
    assert replies_in_a_inbox() == {}
    assert _partstat(dav(two.demo, "GET", path, two.a_auth).text, two.b_address) == "ACCEPTED"
    inbox = dav(two.demo, "PROPFIND", f"/{two.b}/schedule-inbox/", two.b_auth, None, {"Depth": "1"})
    assert uid not in "".join(
        dav(two.demo, "GET", h, two.b_auth).text
        for h in re.findall(r"<[^>]*href>([^<]+\.ics)<", inbox.text)
    )

    # free/busy of B from A's outbox: the meeting is busy time; an unknown address is 3.7
    request = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//davbridge tests//EN",
            "METHOD:REQUEST",
            "BEGIN:VFREEBUSY",
            f"UID:fb-{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{DAY}T080000Z",
            f"DTEND:{DAY}T180000Z",
            f"ORGANIZER:{two.a_address}",
            f"ATTENDEE:{two.b_address}",
            "ATTENDEE:mailto:nobody@contoso.example",
            "END:VFREEBUSY",
            "END:VCALENDAR",
            "",
        ]
    )
    r = dav(
        two.demo,
        "POST",
        f"/{A}/schedule-outbox/",
        two.a_auth,
        request.encode(),
        {"Content-Type": "text/calendar"},
    )
    assert r.status_code == 200, r.text
    answers = {
        resp.findtext(f"{CAL}recipient/{D}href"): resp
        for resp in ElementTree.fromstring(r.content).iter(f"{CAL}response")
    }
    b_answer = answers[two.b_address]
    assert (b_answer.findtext(f"{CAL}request-status") or "").startswith("2.0")
    busy = rf"FREEBUSY;FBTYPE=BUSY[^:\n]*:{DAY}T100000Z/{DAY}T110000Z"
    assert re.search(busy, b_answer.findtext(f"{CAL}calendar-data") or ""), b_answer

    assert (
        answers["mailto:nobody@contoso.example"].findtext(f"{CAL}request-status") or ""
    ).startswith("3.7")

    # If-Schedule-Tag-Match with a tag that is not the current one: 412, nothing changed
    moved = _event(uid, two.a_address, [two.a_address, two.b_address], f"{DAY}T140000Z")
    r = _put(two, two.a_auth, path, moved, **{"If-Schedule-Tag-Match": '"stale"'})
    assert r.status_code == 412

    # A removes B: Graph's cancellation goes out, B's copy is cancelled
    r = _put(two, two.a_auth, path, _event(uid, two.a_address, [two.a_address]))
    assert r.status_code in (201, 204), r.text
    cancels = two.messages(method="CANCEL", to=two.b_address.removeprefix("mailto:"))
    assert len(cancels) == 1, cancels

    def cancelled() -> bool:
        hit = _find(two, two.b_auth, two.b_calendar, uid)
        return hit is not None and "STATUS:CANCELLED" in hit[1]

    wait_for(cancelled, timeout=30)


def test_deleting_an_invitation_declines_it(two: Two) -> None:
    uid = f"sched-{uuid.uuid4().hex}"
    path = f"{two.a_calendar}{uid}.ics"
    r = _put(
        two,
        two.a_auth,
        path,
        _event(uid, two.a_address, [two.a_address, two.b_address], f"{DAY}T160000Z"),
    )
    assert r.status_code == 201, r.text
    b_path, _ = wait_for(lambda: _find(two, two.b_auth, two.b_calendar, uid), timeout=30)
    r = dav(two.demo, "DELETE", b_path, two.b_auth)
    assert r.status_code in (200, 204), r.text
    declined = [m for m in two.messages(method="REPLY") if m["partstat"] == "declined"]
    assert len(declined) == 1 and declined[0]["from"] == two.b_address.removeprefix("mailto:")

    def organizer_sees_declined() -> bool:
        hit = _find(two, two.a_auth, two.a_calendar, uid)
        return hit is not None and _partstat(hit[1], two.b_address) == "DECLINED"

    wait_for(organizer_sees_declined, timeout=30)
    assert _find(two, two.b_auth, two.b_calendar, uid) is None


def _inbox(two: Two, user: str, auth: tuple[str, str], prefix: str = "") -> dict[str, str]:
    """href -> text of each message in `user`'s schedule inbox (named `prefix`…: the bridge
    names REPLY messages reply-…, which spares the test a GET of every pending invitation of
    the demo user)."""
    inbox = dav(two.demo, "PROPFIND", f"/{user}/schedule-inbox/", auth, None, {"Depth": "1"})
    hrefs = re.findall(rf"<[^>]*href>([^<]+/{prefix}[^<]*\.ics)<", inbox.text)
    return {h: dav(two.demo, "GET", h, auth).text for h in hrefs}


def _line(text: str, address: str) -> str:
    for line in text.splitlines():
        if line.upper().startswith("ATTENDEE") and line.lower().endswith(address.lower()):
            return line
    raise AssertionError(f"no ATTENDEE {address} in {text}")


def test_schedule_agent_client_sends_nothing(two: Two) -> None:
    """RFC 6638 §7.1: SCHEDULE-AGENT=CLIENT attendees are the client's to invite: the provider
    is not given them (it would send an invitation) and the event still lists them."""
    uid = f"sched-{uuid.uuid4().hex}"
    path = f"{two.a_calendar}{uid}.ics"
    text = _event(uid, two.a_address, [two.b_address], f"{DAY}T070000Z", ";SCHEDULE-AGENT=CLIENT")
    r = _put(two, two.a_auth, path, text)
    assert r.status_code == 201, r.text
    assert not [
        m for m in two.messages(to=two.b_address.removeprefix("mailto:")) if uid in m["subject"]
    ]
    served = re.sub(r"\r?\n[ \t]", "", dav(two.demo, "GET", path, two.a_auth).text)
    assert re.search(rf"ATTENDEE;[^\n]*SCHEDULE-AGENT=CLIENT[^\n]*:{two.b_address}", served), served
    assert "SCHEDULE-STATUS" not in served


def test_deleting_an_inbox_message_leaves_the_event_unanswered(two: Two) -> None:
    """RFC 6638 §4.1: a message deleted from the inbox leaves the inbox only; the invitation
    stays in the calendar with NEEDS-ACTION and no reply goes to the organizer."""
    uid = f"sched-{uuid.uuid4().hex}"
    path = f"{two.a_calendar}{uid}.ics"
    event = _event(uid, two.a_address, [two.a_address, two.b_address], f"{DAY}T180000Z")
    assert _put(two, two.a_auth, path, event).status_code == 201
    wait_for(lambda: _find(two, two.b_auth, two.b_calendar, uid), timeout=30)

    def inbox_hrefs() -> dict[str, str]:
        inbox = dav(
            two.demo, "PROPFIND", f"/{two.b}/schedule-inbox/", two.b_auth, None, {"Depth": "1"}
        )
        hrefs = re.findall(r"<[^>]*href>([^<]+\.ics)<", inbox.text)
        return {h: dav(two.demo, "GET", h, two.b_auth).text for h in hrefs}

    message = next(h for h, body in inbox_hrefs().items() if uid in body)
    assert dav(two.demo, "DELETE", message, two.b_auth).status_code == 204
    assert not any(uid in body for body in inbox_hrefs().values())
    assert dav(two.demo, "DELETE", message, two.b_auth).status_code == 404
    found = _find(two, two.b_auth, two.b_calendar, uid)
    assert found is not None and _partstat(found[1], two.b_address) == "NEEDS-ACTION"
    replies = two.messages(method="REPLY", to=two.a_address.removeprefix("mailto:"))
    assert not any(m.get("uid") == uid for m in replies), replies


def test_an_invitation_beyond_the_sync_window_reaches_the_attendee(two: Two) -> None:
    """python-caldav's testInviteAndRespond dates its meeting in 2032, past the sync window
    (18 months): Graph delivers B's copy all the same; B's inbox lists it and B's calendar
    holds it, under A's UID, and B's answer reaches A."""
    uid = f"sched-far-{uuid.uuid4().hex}"
    path = f"{two.a_calendar}{uid}.ics"
    event = _event(uid, two.a_address, [two.a_address, two.b_address], "20320614T120000Z")
    assert _put(two, two.a_auth, path, event).status_code == 201

    def in_b_inbox() -> str | None:
        found = [b for b in _inbox(two, two.b, two.b_auth).values() if f"UID:{uid}" in b]
        return found[0] if found else None

    request = wait_for(in_b_inbox, timeout=30)
    assert "METHOD:REQUEST" in request
    found = _find(two, two.b_auth, two.b_calendar, uid)
    assert found is not None, "the invitation is not in B's calendar"
    b_path, b_text = found
    assert f"UID:{uid}" in re.sub(r"\r?\n[ \t]", "", b_text)
    unfolded = re.sub(r"\r?\n[ \t]", "", b_text)
    mine = _line(unfolded, two.b_address)
    accepted = unfolded.replace(mine, mine.replace("NEEDS-ACTION", "ACCEPTED"))
    assert _put(two, two.b_auth, b_path, accepted).status_code in (201, 204)
    replies = two.messages(method="REPLY", to=two.a_address.removeprefix("mailto:"))
    assert any(m["partstat"] == "accepted" and "sched-far" in m["subject"] for m in replies)

    def organizer_sees_accepted() -> bool:
        text = dav(two.demo, "GET", path, two.a_auth).text
        return _partstat(text, two.b_address) == "ACCEPTED"

    wait_for(organizer_sees_accepted, timeout=30)

    # A renames the meeting: B's copy (beyond the window, so no pull lists it) follows
    renamed = event.replace(f"SUMMARY:Planning {uid}", f"SUMMARY:Renamed {uid}")
    assert _put(two, two.a_auth, path, renamed).status_code in (201, 204)

    def b_sees_renamed() -> bool:
        # B's client polls the calendar (its ctag), then reads the event
        dav(two.demo, "PROPFIND", two.b_calendar, two.b_auth, None, {"Depth": "0"})
        text = re.sub(r"\r?\n[ \t]", "", dav(two.demo, "GET", b_path, two.b_auth).text)
        return f"SUMMARY:Renamed {uid}" in text

    wait_for(b_sees_renamed, timeout=30)
