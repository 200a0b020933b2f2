"""The portal's flows in flight and one-time notices kept through the bridge in the database
(issue 17, point 2) instead of this process's memory: with several bridge processes behind one
address, the browser's return from a provider's sign-in page, or its next page, may reach any
of them. Same interface and lifetimes as bridge.portal.memory; entries stay keyed by the
session's token hash, so one browser can never complete or see another's.

Must not log anything; the bridge encrypts what it keeps.
"""

from __future__ import annotations

from bridge.api import Bridge
from bridge.portal.memory import FLOW_TTL_S, NOTICE_TTL_S, Notices, PendingFlows


class SharedFlows(PendingFlows):
    def __init__(self, bridge: Bridge, ttl_s: float = FLOW_TTL_S) -> None:
        super().__init__(ttl_s)
        self.bridge = bridge

    def put(self, session_key: str, state: str, kind: str, value: object) -> None:
        self.bridge.stash(session_key, state, kind, value, self.ttl_s)

    def pop(self, session_key: str, state: str, kind: str) -> object | None:
        return self.bridge.unstash(session_key, state, kind)


class SharedNotices(Notices):
    def __init__(self, bridge: Bridge, ttl_s: float = NOTICE_TTL_S) -> None:
        super().__init__(ttl_s)
        self.bridge = bridge

    def add(self, session_key: str, text: str) -> None:
        self.bridge.add_notice(session_key, text, self.ttl_s)

    def take(self, session_key: str) -> list[str]:
        return self.bridge.take_notices(session_key)
