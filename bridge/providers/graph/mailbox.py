"""What the Graph calendar and contacts providers share: one mailbox's paths and address.

What it does: `GraphMailbox` holds the mailbox's `GraphHttp`, the page-size preference sent
with listings (`Prefer: odata.maxpagesize`, delta-query-events.md / contact-delta.md), builds
request paths below the mailbox (/me or /users/{id}, each segment percent-encoded) and reads the
mailbox's address once (user resource: `mail`, else `userPrincipalName`).
What it must not do: map events or contacts, or touch the store.
"""

from __future__ import annotations

from urllib.parse import quote

from bridge.providers.common.retry import PULL_POLICY
from bridge.providers.graph.http import GraphHttp

PAGE_SIZE = 200  # `Prefer: odata.maxpagesize` (delta-query-events.md, optional request header)


class GraphMailbox:
    """One Graph mailbox; the calendar and contacts providers build on it."""

    def __init__(self, http: GraphHttp, page_size: int = PAGE_SIZE) -> None:
        self._http = http
        self._email: str | None = None
        self._prefer = {"Prefer": f"odata.maxpagesize={page_size}"}

    def _p(self, *segments: str) -> str:
        return self._http.prefix + "".join("/" + quote(s, safe="") for s in segments)

    @property
    def account_email(self) -> str:
        if self._email is None:
            me = self._http.get(self._http.prefix, policy=PULL_POLICY) or {}
            self._email = str(me.get("mail") or me.get("userPrincipalName") or "")
        return self._email
