"""Radicale rights plugin: a user reaches only their own principal and collections.

Read-only provider calendars are granted "r" so clients see it in
current-user-privilege-set (write attempts still get a 403 with a reason from the app).
Imports only radicale and bridge.api.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from radicale import pathutils
from radicale.rights import BaseRights

from bridge import api
from radicale_plugins import proxied

# Radicale asks once per item of a listing; the answer per collection is cached briefly.
_cache: TTLCache[tuple[str, str], str] = TTLCache(maxsize=10_000, ttl=5)
_lock = threading.Lock()


def granted(user: str, path: str) -> str:
    """Radicale's rights letters for `user` on `path` (the rule of this plugin, also asked
    directly by the streamed bulk answers in radicale_plugins.fastpath)."""
    if not user:
        return ""
    sane = pathutils.strip_path(path)
    parts = sane.split("/") if sane else []
    if not parts:
        return "R"
    if parts[0] != user:
        # a calendar-proxy member in the owner's home (radicale_plugins.proxied): read once
        # per request, so a changed or revoked grant takes effect at once
        return proxied.rights(user, parts)
    if len(parts) == 1:
        return "R"
    key = (user, parts[1])
    with _lock:  # cachetools caches are not thread-safe; the server has several threads
        found = _cache.get(key)
    if found is None:
        coll = api.current().collection(user, parts[1])
        if coll is None:
            # a clean 404 for reads; "w" lets MKCALENDAR/MKCOL create it (issue 11)
            return "rw"
        found = "r" if coll.read_only else "rw"
        with _lock:
            _cache[key] = found
    return found


class Rights(BaseRights):
    def authorization(self, user: str, user_groups: set[str], path: str) -> str:
        return granted(user, path)
