"""Radicale rights plugin: a user reaches only their own principal and collections.

Read-only provider calendars are granted "r" so clients see it in
current-user-privilege-set (write attempts still get a 403 with a reason from the app).
Imports only radicale and bridge.api.
"""

from __future__ import annotations

from radicale import pathutils
from radicale.rights import BaseRights

from bridge import api


class Rights(BaseRights):
    def authorization(self, user: str, user_groups: set[str], path: str) -> str:
        if not user:
            return ""
        sane = pathutils.strip_path(path)
        parts = sane.split("/") if sane else []
        if not parts:
            return "R"
        if parts[0] != user:
            return ""
        if len(parts) == 1:
            return "R"
        coll = api.current().collection(user, parts[1])
        if coll is None:
            return "r"  # lets the request reach a clean 404
        return "r" if coll.read_only else "rw"
