"""A user's Microsoft 365 connection served by an in-process fake provider, for the unit tests
that drive the bridge (writes, limits, locks, the DAV front) without a sandbox."""

from __future__ import annotations

import json
from typing import Any

from bridge.api import Bridge
from bridge.store.rows import UserRow


def connect_fake(
    bridge: Bridge, user: UserRow, fake: Any, account: str = "alex@contoso.example"
) -> int:
    """Give `user` a Graph connection whose calendars and contacts `fake` serves, synced once;
    returns its id."""
    secret = bridge.box.encrypt(json.dumps({"token": "t"}))
    conn = bridge.store.create_connection(user.id, "graph", account, "{}", secret)
    bridge.connections._providers[conn.id] = (fake, fake)
    bridge.sync_connection(conn.id)
    return conn.id
