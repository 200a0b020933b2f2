"""The Calendar v3 client: googleapiclient requests, retries within a policy, error mapping.

What it does: builds the `calendar` v3 service from the bundled discovery document (no discovery
fetch; `api_endpoint` points it at the configured base), executes requests one at a time per
connection with an optional `If-Match`, retries rate limits and server errors with exponential
backoff (Google "Handle API errors": 403 rateLimitExceeded/userRateLimitExceeded, 429, 5xx ->
"exponential backoff") and turns Google's error envelope into bridge errors.
What it must not do: know about events or iCalendar, log tokens, or use batch requests (they
ignore `api_endpoint`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import exceptions as gexc
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bridge.errors import (
    ProviderBusy,
    ProviderError,
    RemoteNotFound,
)
from bridge.plainwords import unreachable
from bridge.providers.common.http_errors import http_error
from bridge.providers.common.retry import (
    RetryPolicy,
    TryAgain,
    backoff,
    parse_retry_after,
    run,
)
from bridge.providers.google.auth import GoogleAppConfig, GoogleAuth, make_http, refresh_error
from bridge.providers.google.resources import Memo

PROVIDER = "google"
# Google "Handle API errors": these are retried with exponential backoff.
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Sync tokens that cannot be used any more: 410 fullSyncRequired (guides/sync, "Full sync required").
_SYNC_GONE_REASONS = frozenset({"fullSyncRequired", "updatedMinTooLongAgo"})
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_BACKOFF_S = 32.0
_DEFAULT_REASONS = {412: "conditionNotMet"}


def _envelope(exc: HttpError) -> tuple[str | None, str]:
    """(first `reason`, message) of Google's `{"error": {"errors": [...], "message"}}`."""
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return None, str(getattr(exc, "reason", "") or f"HTTP {exc.resp.status}")
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        errors = err.get("errors") or []
        reason = errors[0].get("reason") if errors and isinstance(errors[0], dict) else None
        return (str(reason) if reason else err.get("status")), str(err.get("message") or reason)
    if isinstance(err, str):
        return err, str(body.get("error_description") or err)
    return None, f"HTTP {exc.resp.status}"


def _retry_after(exc: HttpError) -> float | None:
    return parse_retry_after(exc.resp.get("retry-after")) if exc.resp is not None else None


def is_retryable(status: int, reason: str | None) -> bool:
    return status in _RETRYABLE_STATUS or (status == 403 and reason in _RATE_REASONS)


def error_for(exc: HttpError, wait: float = 5.0) -> ProviderError:
    """The bridge error for a Google API error response."""
    status = int(exc.resp.status)
    reason, message = _envelope(exc)
    if is_retryable(status, reason):  # 403 rateLimitExceeded too
        return ProviderBusy(PROVIDER, message, wait, reason, status)
    if status == 410 and reason == "deleted":
        return RemoteNotFound(PROVIDER, message, reason, status)
    # 403 forbidden / insufficientPermissions / requiredAccessLevel: the calendar is not writable.
    return http_error(PROVIDER, status, message, reason or _DEFAULT_REASONS.get(status), wait)


class CalendarClient:
    """One connection's Calendar v3 service with retries and error mapping."""

    API = ("calendar", "v3")  # the discovery document (name, version) the service is built from

    def __init__(
        self,
        auth: GoogleAuth,
        config: GoogleAppConfig,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._auth = auth
        self._config = config
        self._sleep = sleep
        self._lock = threading.RLock()  # httplib2.Http is not thread-safe
        self._service: Any = None
        self.request_count = 0

    @property
    def service(self) -> Any:
        with self._lock:
            if self._service is None:
                http = google_auth_httplib2.AuthorizedHttp(
                    self._auth.credentials(), http=make_http(self._config)
                )
                self._service = Memo(  # collections built once (resources.py)
                    build(
                        *self.API,
                        static_discovery=True,
                        client_options={"api_endpoint": self.endpoint()},
                        http=http,
                        cache_discovery=False,
                    )
                )
            return self._service

    def endpoint(self) -> str:
        """The API root the service calls (and the one an unreachable error names)."""
        return self._config.calendar_api_base

    def execute(
        self,
        make: Callable[[Any], Any],
        policy: RetryPolicy,
        if_match: str | None = None,
    ) -> Any:
        """Build the request with `make(service)` and execute it (rebuilt on each attempt)."""

        def attempt(number: int) -> Any:
            with self._lock:
                request = make(self.service)
                if if_match:
                    # googleapiclient never sends If-Match itself (its HttpRequest sends only the headers given).
                    request.headers["If-Match"] = if_match
                self.request_count += 1
                try:
                    # The library's own retry stays off (num_retries=0): it ignores Retry-After
                    # and has no budget; bridge.providers.common.retry says more.
                    return request.execute(num_retries=0)
                except HttpError as exc:
                    status = int(exc.resp.status)
                    reason, _ = _envelope(exc)
                    if not is_retryable(status, reason):
                        raise error_for(exc) from exc
                    hinted = _retry_after(exc)
                    wait = hinted if hinted is not None else backoff(number, _MAX_BACKOFF_S)
                    raise TryAgain(error_for(exc, wait), wait) from exc
                except (gexc.RefreshError, gexc.TransportError) as exc:
                    raise refresh_error(exc) from exc
                except (OSError, httplib2.HttpLib2Error) as exc:
                    wait = backoff(number, _MAX_BACKOFF_S)
                    where = unreachable(self.endpoint(), exc)
                    raise TryAgain(ProviderBusy(PROVIDER, where, wait), wait) from exc

        return run(attempt, policy, self._sleep)

    def list_all(
        self, make: Callable[[Any, str | None], Any], policy: RetryPolicy
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """All pages of a list call (`make(service, page_token)`): (items, last page)."""
        items: list[dict[str, Any]] = []
        for page in self.pages(make, policy):
            items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
        return items, page

    def pages(
        self, make: Callable[[Any, str | None], Any], policy: RetryPolicy
    ) -> Iterator[dict[str, Any]]:
        """Each page of a list call as it arrives, following nextPageToken to the last."""
        token: str | None = None
        while True:
            page = self.execute(_bind(make, token), policy) or {}
            yield page
            token = page.get("nextPageToken")
            if not token:
                return


def _bind(make: Callable[[Any, str | None], Any], token: str | None) -> Callable[[Any], Any]:
    return lambda service: make(service, token)
