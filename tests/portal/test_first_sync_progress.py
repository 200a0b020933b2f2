"""While a connection's first sync runs, its status page says how far it got (collections
done of all, items so far); afterwards the line is gone."""

from __future__ import annotations

import time

from bridge.model import CollectionKind
from tests.portal.conftest import Running, new_user, signed_in


def test_status_page_shows_first_sync_progress(running: Running) -> None:
    name = new_user(running)
    store = running.bridge.store
    user = store.user_by_name(name)
    assert user is not None
    conn = store.create_connection(user.id, "ews", f"{name}@contoso.example", "{}", None)
    colls = [
        store.upsert_collection(user.id, conn.id, kind, f"r{n}", f"Folder {n}", None, False, None)
        for n, kind in enumerate(
            (CollectionKind.CALENDAR, CollectionKind.CALENDAR, CollectionKind.ADDRESSBOOK)
        )
    ]
    store.mark_refreshed(colls[0].id, time.time())
    browser = signed_in(running, name)
    expected = "First sync running: 1 of 3 calendars and address books done, 0 items so far."
    assert expected in browser.get("/").text
    assert expected in browser.get(f"/connections/{conn.id}").text
    for coll in colls[1:]:
        store.mark_refreshed(coll.id, time.time())
    assert "First sync running" not in browser.get("/").text
