"""The facade's state shared by every bridge process (issue 17, point 2): the portal's OAuth
and OpenID flows in flight and its one-time notices live in the database, so a browser's next
request may reach any process (no sticky sessions); revoking an app password empties the login
cache of every process (a generation counter each process follows).

Flows hold secrets (PKCE verifiers, a new app password shown once): they are stored encrypted
and authenticated with the bridge's key (Fernet), so only a value this bridge stored is ever
unpickled. Must not log what it stores.
"""

from __future__ import annotations

import base64
import pickle
import time

from bridge.organisation.dav_logins import DavLogins
from bridge.secrets import SecretBox
from bridge.store import Store

_FLOW = "flow"
_NOTICE = "notice"
_LOGINS = "dav_logins"


class SharedFacade:
    store: Store
    box: SecretBox
    dav_logins: DavLogins
    _login_generation: int = 0

    # -- flows in flight ------------------------------------------------------------------
    def stash(self, session_key: str, state: str, kind: str, value: object, ttl_s: float) -> None:
        """Keep `value` for the browser session's next request (any process), `ttl_s` long."""
        packed = base64.b64encode(pickle.dumps((kind, value))).decode("ascii")
        sealed = base64.b64encode(self.box.encrypt(packed)).decode("ascii")
        self.store.put_shared(_FLOW, f"{session_key}\x1f{state}", sealed, ttl_s)

    def unstash(self, session_key: str, state: str, kind: str) -> object | None:
        """The value this session stashed under `state` and `kind`, once; else None."""
        sealed = self.store.pop_shared(_FLOW, f"{session_key}\x1f{state}")
        if sealed is None:
            return None
        packed = self.box.decrypt(base64.b64decode(sealed))
        # authenticated with the bridge's key above: only what stash() stored gets here
        stored_kind, value = pickle.loads(base64.b64decode(packed))  # noqa: S301
        return value if stored_kind == kind else None

    # -- one-time notices -----------------------------------------------------------------
    def add_notice(self, session_key: str, text: str, ttl_s: float) -> None:
        self.store.put_shared(_NOTICE, f"{session_key}\x1f{time.time_ns():020d}", text, ttl_s)

    def take_notices(self, session_key: str) -> list[str]:
        """The session's notices not yet shown (the last five), removed."""
        return self.store.pop_shared_prefix(_NOTICE, f"{session_key}\x1f")[-5:]

    # -- the login cache of every process -------------------------------------------------
    def forget_logins_everywhere(self) -> None:
        """After an app password is revoked: no process lets it pass from its cache."""
        self._login_generation = self.store.bump_generation(_LOGINS)
        self.dav_logins.forget_successes()

    def follow_logins(self) -> None:
        """Empty this process's login cache when another process asked all to."""
        if self.store.dialect != "postgres":
            return  # one process serves a SQLite store: its own cache is the only one
        current = self.store.generation(_LOGINS)
        if current != self._login_generation:
            self._login_generation = current
            self.dav_logins.forget_successes()
