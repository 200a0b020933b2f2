# ruff: noqa: F811  (sandbox fixtures are imported so that the contract fixtures can request them)
"""An unchanged write of an item that carries a lossless overlay writes nothing to the
provider (issue 10: the overlay was rewritten — a new changeKey/etag, every other device
re-syncing — when a client re-serialised the item or dropped its X- properties).

For each provider, event and contact shapes that Apple, Thunderbird, Evolution and DAVx5 really
send (tests/fixtures/clients, cited there) are created, then the served copy is written back the
way real clients and Radicale hand it over: as it is; after vobject's parse and serialisation
(what Radicale 3.9 gives the storage plugin: other parameter case, merged TYPE lists, reordered
VALARM lines, other escapes); and without any X- property (SyncEvolution). The provider's write
log shows no write and its stored item, overlay field included, is unchanged; the client-only
properties stay served.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
from tests.contract.test_overlay_clients import CARDS, EVENTS
from tests.e2e.roundtrip import radicale, syncevolution
from tests.overlay_check import client_text, lost

#: What reaches the storage plugin: Radicale parses every PUT with vobject first; "bytes" is the
#: client's text as it is (a direct caller of the provider, and the case before the parse).
VARIANTS: dict[str, Callable[[str], str]] = {
    "bytes": lambda text: text,
    "raw PUT": radicale,
    "vobject twice": lambda text: radicale(radicale(text)),
    "SyncEvolution": lambda text: radicale(syncevolution(text)),
}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_unchanged_event_writes_nothing(contract: ProviderHarness, name: str) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    sent = radicale(client_text(name, EVENTS[name]))
    created = h.provider().create(cal, sent, f"key-stable-{name}", h.window)
    assert h.overlay_field in str(h.snapshot(cal))  # the item carries an overlay
    for variant, spell in VARIANTS.items():
        before = h.snapshot(cal)
        mark = h.write_mark()
        again = h.provider().update(
            cal, created.remote_id, created.version, spell(created.ical), h.window
        )
        assert h.writes_since(mark) == 0, variant
        assert h.snapshot(cal) == before, variant
        assert lost(sent, again.ical) == [], variant  # what only the overlay holds is served


@pytest.mark.parametrize("name", CARDS)
def test_unchanged_contact_writes_nothing(contacts_contract: ContactsHarness, name: str) -> None:
    h = contacts_contract
    book = default_book(h.provider())
    sent = radicale(client_text(name))
    created = h.provider().create_contact(book, sent, f"key-stable-{name}")
    assert "davbridge.o" in str(h.record(created.remote_id))
    for variant, spell in VARIANTS.items():
        before = h.record(created.remote_id)
        mark = h.write_mark()
        again = h.provider().update_contact(
            book, created.remote_id, created.version, spell(created.ical)
        )
        assert h.writes_since(mark) == 0, variant
        assert h.record(created.remote_id) == before, variant
        assert lost(sent, again.ical) == [], variant


def test_a_removed_x_property_among_others_is_removed(
    contacts_contract: ContactsHarness,
) -> None:
    """Carrying dropped X- lines is for clients that send none of that property: a client that
    sends the card with one X- property taken out (and others kept) removes it."""
    h = contacts_contract
    book = default_book(h.provider())
    sent = radicale(client_text("evolution-contact.vcf"))
    created = h.provider().create_contact(book, sent, "key-stable-removed")
    assert "X-EVOLUTION-MANAGER:manager" in created.ical
    edited = "".join(
        line
        for line in created.ical.splitlines(keepends=True)
        if not line.startswith("X-EVOLUTION-MANAGER")
    )
    again = h.provider().update_contact(book, created.remote_id, created.version, edited)
    assert "X-EVOLUTION-MANAGER" not in again.ical
    assert "X-EVOLUTION-ASSISTANT:assistant" in again.ical
