"""Round-trip fidelity (issue 10 point 1): a client that GETs every event and contact of the demo
and PUTs it back unchanged — as raw bytes, after Radicale's vobject parse, or without any X-
property as SyncEvolution sends it — leaves every provider item field-for-field as it was
(ignoring etag / changeKey / modified-time bookkeeping), on Microsoft 365, Google and Exchange.
An edit of the title and time changes exactly those provider fields, nothing the bridge added."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import icalendar
import pytest

from tests.e2e import roundtrip as rt
from tests.e2e.conftest import GoogleAdmin, GraphAdmin, RunningDemo, demo_of_its_own


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """This module's own demo (conftest.demo_of_its_own): the seeded data only."""
    yield from demo_of_its_own(tmp_path_factory, "round-trip")


PROVIDERS = ("Microsoft 365", "Google", "Exchange")
ICS = "text/calendar; charset=utf-8"
VCF = "text/vcard; charset=utf-8"


def event_snapshot(demo: RunningDemo, label: str) -> Callable[[], dict[str, Any]]:
    if label == "Microsoft 365":
        graph = GraphAdmin(demo.info)
        return lambda: rt.graph_events(graph)
    if label == "Google":
        google = GoogleAdmin(demo.info)
        return lambda: rt.google_events(google)
    return lambda: rt.ews_items(demo.info)


def contact_snapshot(demo: RunningDemo, label: str) -> Callable[[], dict[str, Any]]:
    if label == "Microsoft 365":
        graph = GraphAdmin(demo.info)
        return lambda: rt.graph_contacts(graph)
    if label == "Google":
        return lambda: rt.google_people(demo.info)
    return lambda: rt.ews_contacts(demo.info)


def served(demo: RunningDemo, label: str, kind: str) -> dict[str, str]:
    home = "/" + demo.auth[0] + "/"
    texts: dict[str, str] = {}
    for path in rt.collections(demo, home, " — " + label, kind).values():
        texts.update(rt.resources(demo, path))
    return texts


def put_back_unchanged(
    demo: RunningDemo,
    texts: dict[str, str],
    snapshot: Callable[[], dict[str, Any]],
    ctype: str,
    writes: Callable[[], set[tuple[Any, ...]]] | None = None,
) -> None:
    """Every variant of every text PUT back leaves the provider's items as they were; with
    `writes` (the sandbox's log of write requests), not one write request reached it."""
    before = snapshot()
    assert before
    for name, variant in rt.VARIANTS.items():
        written = writes() if writes else set()
        statuses = rt.put_all(demo, [(href, variant(t)) for href, t in texts.items()], ctype)
        # every writable resource is accepted; read-only calendars refuse (403) and keep all
        assert set(statuses.values()) <= {204, 403}, (name, statuses)
        assert list(statuses.values()).count(204) >= len(statuses) * 0.8
        after = snapshot()
        assert rt.differences(before, after) == [], name
        if writes is not None:  # an organizer's copy (SCHEDULE-STATUS folded) was rewritten
            assert writes() - written == set(), name
        before = after


@pytest.mark.parametrize("label", PROVIDERS)
def test_every_event_put_back_unchanged_changes_nothing_at_the_provider(
    demo: RunningDemo, label: str
) -> None:
    """Every served event PUT back unchanged, as each client variant sends it, leaves every
    provider item as it was and sends the provider no write at all."""
    texts = served(demo, label, "calendar")
    # the demo's enrichment is there to be lost: filled URL+LOCATION (the reported bug), the
    # "Not a Zoom meeting" note, series with overrides
    assert sum("X-DAVBRIDGE-FILLED:URL,LOCATION" in t for t in texts.values()) >= 3
    assert sum("Not a Zoom meeting" in t for t in texts.values()) >= 10
    assert any("RECURRENCE-ID" in t for t in texts.values())
    writes = rt.provider_writes(demo.info, label)
    put_back_unchanged(demo, texts, event_snapshot(demo, label), ICS, writes)


@pytest.mark.parametrize("label", PROVIDERS)
def test_every_contact_put_back_unchanged_changes_nothing_at_the_provider(
    demo: RunningDemo, label: str
) -> None:
    texts = served(demo, label, "addressbook")
    assert len(texts) >= 10
    put_back_unchanged(demo, texts, contact_snapshot(demo, label), VCF)


#: The provider fields a title + time edit may change, as the first parts of their paths. A
#: write also refreshes the lossless overlay (C10: what the client sent that the provider has no
#: field for, kept in the provider's extension mechanism), so its storage may change too.
EDITABLE = {
    "Microsoft 365": (
        "subject",
        "start",
        "end",
        "originalStart",
        "singleValueExtendedProperties",
        "multiValueExtendedProperties",
    ),
    "Google": ("summary", "start", "end", "extendedProperties"),
    "Exchange": ("data.Subject", "data.Start", "data.End", "data.Extended"),
}
TITLE = {"Microsoft 365": "subject", "Google": "summary", "Exchange": "data.Subject"}


def _shifted(text: str, title: str) -> str:
    """The event with a new SUMMARY and DTSTART/DTEND an hour later (a client's edit)."""
    cal = icalendar.Calendar.from_ical(text)
    event = cal.walk("VEVENT")[0]
    event["SUMMARY"] = icalendar.vText(title)
    for name in ("DTSTART", "DTEND"):
        prop = event[name]
        moved = icalendar.vDDDTypes(prop.dt + dt.timedelta(hours=1))
        moved.params.update(prop.params)
        event[name] = moved
    return str(cal.to_ical().decode("utf-8"))


@pytest.mark.parametrize("label", PROVIDERS)
def test_editing_title_and_time_changes_exactly_those_fields(demo: RunningDemo, label: str) -> None:
    texts = served(demo, label, "calendar")
    # single Zoom meetings whose URL and LOCATION the bridge filled: the case that leaked
    chosen = sorted(
        (href, text)
        for href, text in texts.items()
        if "X-DAVBRIDGE-FILLED:URL,LOCATION" in text
        and "RRULE" not in text
        and "RECURRENCE-ID" not in text
    )
    assert chosen
    snapshot = event_snapshot(demo, label)
    before = snapshot()
    bodies = []
    for n, (href, text) in enumerate(chosen):
        variant = rt.radicale if n % 2 else rt.syncevolution  # the two lossiest clients
        bodies.append((href, variant(_shifted(text, f"Edited in a client {n}"))))
    statuses = rt.put_all(demo, bodies, ICS)
    assert set(statuses.values()) <= {201, 204}, statuses
    after = snapshot()
    changed = rt.changed_fields(before, after)
    unexpected = sorted(
        (key, path) for key, path in changed if not path.startswith(EDITABLE[label])
    )
    assert unexpected == [], [
        rt.differences({k: before.get(k)}, {k: after.get(k)}) for k, _ in unexpected[:3]
    ]
    retitled = {key for key, path in changed if path == TITLE[label]}
    assert len(retitled) >= len(chosen)


def _put_new(demo: RunningDemo, href: str, text: str, ctype: str) -> None:
    r = rt.put_all(demo, [(href, text)], ctype)
    assert r[href] == 201, (href, r)


@pytest.mark.parametrize("label", PROVIDERS)
def test_items_carrying_an_overlay_put_back_unchanged_write_nothing(
    demo: RunningDemo, label: str
) -> None:
    """Items a client created with properties the provider has no field for (the lossless
    overlay, kept in the provider's extension field) are written nowhere when a client saves
    them unchanged — raw, re-serialised by vobject, or without their X- properties (issue 10:
    the extension field was rewritten, a new changeKey/etag for every other device). Checked
    on the sandboxes' request logs: a snapshot of the items does not show Graph's extended
    properties, which a plain listing does not expand."""
    import uuid

    from tests.contract.test_overlay_clients import CARDS, EVENTS
    from tests.overlay_check import client_text

    home = "/" + demo.auth[0] + "/"
    cal = rt.collections(demo, home, f"Projects — {label}", "calendar")[f"Projects — {label}"]
    book_name = ("My Contacts" if label == "Google" else "Contacts") + f" — {label}"
    book = rt.collections(demo, home, book_name, "addressbook")[book_name]
    events: dict[str, str] = {}
    for name, shifts in sorted(EVENTS.items()):
        text = client_text(name, shifts)
        uid = next(x for x in text.split("\r\n") if x.startswith("UID:"))
        href = f"{cal}overlay-{uuid.uuid4().hex[:8]}.ics"
        _put_new(demo, href, text.replace(uid, f"{uid}-{uuid.uuid4().hex[:6]}"), ICS)
        events[href] = ""
    cards: dict[str, str] = {}
    for name in CARDS:
        text = client_text(name)
        uid = next(x for x in text.split("\r\n") if x.startswith("UID:"))
        href = f"{book}overlay-{uuid.uuid4().hex[:8]}.vcf"
        _put_new(demo, href, text.replace(uid, f"{uid}-{uuid.uuid4().hex[:6]}"), VCF)
        cards[href] = ""
    served_events = {h: t for h, t in rt.resources(demo, cal).items() if h in events}
    served_cards = {h: t for h, t in rt.resources(demo, book).items() if h in cards}
    assert len(served_events) == len(events) and len(served_cards) == len(cards)
    writes = rt.provider_writes(demo.info, label)
    for texts, ctype in ((served_events, ICS), (served_cards, VCF)):
        for name, variant in rt.VARIANTS.items():
            before = writes()
            statuses = rt.put_all(demo, [(h, variant(t)) for h, t in texts.items()], ctype)
            assert set(statuses.values()) == {204}, (name, statuses)
            assert writes() - before == set(), (label, ctype, name)  # the sandbox's log
        # the log does see a real edit (the check above can fail)
        href, text = sorted(texts.items())[0]
        before = writes()
        # FN may carry parameters (DAVx5's FN;CHARSET=UTF-8, kept by the overlay)
        edited = re.sub(r"(?m)^(FN|SUMMARY)((?:;[^:\r\n]*)?):", r"\1\2:Edited ", text)
        assert edited != text
        assert rt.put_all(demo, [(href, edited)], ctype)[href] == 204
        assert writes() - before, (label, ctype)
