"""The People API v1 client: googleapiclient service, retries, People error mapping, photo bytes.

What it does: reuses `CalendarClient`'s retry/backoff and error mapping with a `people` v1
service built from the bundled discovery document (`api_endpoint` = the bare People root; paths
start "v1/"), and refines the People API's 400 answers that mean something else:
FAILED_PRECONDITION with ErrorInfo reason EXPIRED_SYNC_TOKEN (people.connections.list: "Sync
token is expired") -> CursorExpired, and reason `failedPrecondition` on a write (updateContact:
"person.etag is different") -> PreconditionFailed. Downloads photo bytes from their URL.
What it must not do: know about vCards or address books, or log tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from bridge.errors import (
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderRefused,
    RemoteNotFound,
)
from bridge.plainwords import unreachable
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.google.auth import make_http
from bridge.providers.google.client import CalendarClient

PROVIDER = "google"
EXPIRED_SYNC_TOKEN = "EXPIRED_SYNC_TOKEN"  # noqa: S105 (an error reason)


def _details(exc: BaseException | None) -> tuple[set[str], str]:
    """(ErrorInfo reasons + legacy reasons, message) of the HttpError behind a bridge error."""
    if not isinstance(exc, HttpError):
        return set(), ""
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return set(), ""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return set(), ""
    reasons = {str(d.get("reason")) for d in err.get("details") or [] if isinstance(d, dict)}
    reasons |= {str(e.get("reason")) for e in err.get("errors") or [] if isinstance(e, dict)}
    if err.get("status"):
        reasons.add(str(err["status"]))
    return reasons, str(err.get("message") or "")


class PeopleClient(CalendarClient):
    """One connection's People v1 service with retries and error mapping."""

    API = ("people", "v1")

    def endpoint(self) -> str:
        return self._config.people_api_base

    def call(self, make: Callable[[Any], Any], policy: RetryPolicy) -> Any:
        """`execute` with the People API's 400 FAILED_PRECONDITION answers told apart."""
        try:
            return self.execute(make, policy)
        except ProviderRefused as exc:
            reasons, message = _details(exc.__cause__)
            if EXPIRED_SYNC_TOKEN in reasons or message.startswith("Sync token is expired"):
                raise CursorExpired(PROVIDER, message, EXPIRED_SYNC_TOKEN, 400) from exc
            if "failedPrecondition" in reasons or "FAILED_PRECONDITION" in reasons:
                raise PreconditionFailed(PROVIDER, message, "failedPrecondition", 400) from exc
            raise

    def download(self, url: str) -> bytes:
        """Photo bytes (photo URLs are public, as googleusercontent.com serves them)."""
        self.request_count += 1
        try:
            resp, content = make_http(self._config).request(url, "GET")
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise ProviderBusy(PROVIDER, unreachable(url, exc), 5.0) from exc
        if resp.status == 404:
            raise RemoteNotFound(PROVIDER, "photo not found", "notFound", 404)
        if resp.status >= 400:
            raise ProviderBusy(PROVIDER, f"photo download HTTP {resp.status}", 5.0)
        return bytes(content)
