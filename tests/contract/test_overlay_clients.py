# ruff: noqa: F811  (sandbox fixtures are imported so that the contract fixtures can request them)
"""Real client payloads round-trip through every provider (SPEC C10, issue 10 point 2):
events and vCards as Apple Calendar/Contacts, Thunderbird, Evolution and DAVx5 send them
(tests/fixtures/clients/README.md cites each source) come back from a *fresh* listing —
as a rebuilt mirror or a second install reads them — with every property and parameter the
client sent, except the normalisations of the README table (tests/overlay_check.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from tests.contract.contacts_harness import ContactsHarness, contacts_contract  # noqa: F401
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)
from tests.contract.harness import ProviderHarness, contract  # noqa: F401
from tests.contract.test_calendar_contract import calendar
from tests.contract.test_contacts_contract import default_book
from tests.contract.test_google_contacts import gc_fixture  # noqa: F401
from tests.contract.test_graph_contacts import contacts  # noqa: F401
from tests.overlay_check import client_text, day, lost

EVENTS = {
    "apple-ios-event.ics": {"20160203": day(6), "20170309T225959Z": day(90) + "T225959Z"},
    "thunderbird-event.ics": {
        "20151209": day(8),
        "20160226T190000Z": day(40) + "T190000Z",
        "20151225T190000Z": day(8) + "T080000Z",
    },
    "evolution-allday-event.ics": {"20151216": day(9), "20151217": day(10)},
}
CARDS = ("apple-ios-contact.vcf", "evolution-contact.vcf", "davx5-allfields.vcf")


def _start(text: str) -> dt.datetime | dt.date:
    event = next(iter(Calendar.from_ical(text).walk("VEVENT")))
    value = event.decoded("DTSTART")
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_client_events_come_back_whole(contract: ProviderHarness, name: str) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    sent = client_text(name, EVENTS[name])
    created = h.provider().create(cal, sent, f"key-{name}", h.window)
    fresh = h.provider().pull(cal, None, h.window)  # a second install lists everything
    again = next(i for i in fresh.items if i.remote_id == created.remote_id)
    assert again.ical == created.ical
    assert lost(sent, again.ical) == []
    assert _start(again.ical) == _start(sent)  # times: the same instant (README table)
    # the client saves what it got, unchanged: nothing is lost on the second round either
    updated = h.provider().update(cal, created.remote_id, created.version, again.ical, h.window)
    assert lost(sent, updated.ical) == []


@pytest.mark.parametrize("name", CARDS)
def test_client_vcards_come_back_whole(contacts_contract: ContactsHarness, name: str) -> None:
    h = contacts_contract
    book = default_book(h.provider())
    sent = client_text(name)
    created = h.provider().create_contact(book, sent, f"key-{name}")
    assert "davbridge.o" in str(h.record(created.remote_id))  # kept at the provider
    fresh = h.provider().pull_contacts(book, None)
    again = next(i for i in fresh.items if i.remote_id == created.remote_id)
    assert lost(sent, again.ical) == []
    updated = h.provider().update_contact(book, created.remote_id, created.version, again.ical)
    assert lost(sent, updated.ical) == []
