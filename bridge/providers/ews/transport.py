"""The HTTP adapter exchangelib's sessions are built from (BaseProtocol.HTTP_ADAPTER_CLS).

What it does: verifies TLS against one configured CA bundle (set per process), and hands
exchangelib a response body it has already read in whole as one chunk. exchangelib parses
every SOAP answer from `response.iter_content()` with no chunk size, which `requests` reads
as 1: a body already in memory was sliced into single bytes, each one a generator step and
a bytearray extend in exchangelib's `BytesGeneratorIO` — a sixth of the CPU of an EWS first
sync (issue 14). The bytes lxml parses are the same.
What it must not do: change what a streamed (`stream=True`) response yields — EWS streaming
notifications read documents as they arrive — or any byte of a body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests


class WholeBodyResponse(requests.Response):
    """A response whose body, once read in whole, iterates as one chunk."""

    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[Any]:
        body = self._content  # bytes once read (stream=False), False while unread
        if self._content_consumed and isinstance(body, bytes) and not decode_unicode:
            return iter((body,) if body else ())
        return super().iter_content(chunk_size, decode_unicode)  # type: ignore[call-overload,no-any-return]


class EwsAdapter(requests.adapters.HTTPAdapter):
    """See the module docstring. `ca_bundle`: the last configured bundle applies to every EWS
    connection of the process (exchangelib builds its sessions from one class-level adapter;
    public CAs keep working through the default bundle when it is None)."""

    ca_bundle: str | None = None

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.ca_bundle and request.url.lower().startswith("https://"):
            kwargs["verify"] = self.ca_bundle  # wins over REQUESTS_CA_BUNDLE (per-request value)
        return super().send(request, **kwargs)

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        response.__class__ = WholeBodyResponse
        return response
