"""One HTTP session factory shared by msal and the Graph client, with a fixed CA bundle.

requests lets `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE` in the environment override a session's
`verify` (it merges environment settings per request, see requests docs, Advanced Usage: SSL Cert Verification). When the bridge is
configured with a CA bundle (the sandbox's self-signed authority) that must win, so the session
returned here passes `verify=` explicitly on every request. This module must not know about
Graph or tokens.
"""

from __future__ import annotations

from typing import Any

import requests

USER_AGENT = "davbridge/0.1 (+graph)"


class PinnedVerifySession(requests.Session):
    """A requests.Session whose TLS verification setting cannot be overridden by the environment."""

    def __init__(self, ca_bundle: str | None) -> None:
        super().__init__()
        self._pinned_verify: str | bool = ca_bundle if ca_bundle else True
        self.verify = self._pinned_verify
        self.headers["User-Agent"] = USER_AGENT

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        if self._pinned_verify is not True:
            kwargs["verify"] = self._pinned_verify
        return super().request(method, url, *args, **kwargs)


def make_session(ca_bundle: str | None) -> requests.Session:
    return PinnedVerifySession(ca_bundle)
