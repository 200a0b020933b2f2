"""The Graph v1.0 HTTP client: bearer auth, retries, throttling and the error mapping.

Every Graph call of the provider goes through `GraphHttp`. It turns Graph's error envelope
(`{"error": {"code", "message"}}`, Graph docs "Microsoft Graph error responses and resource
types") into `bridge.errors`, obeys `Retry-After` on 429/503/504 within a `RetryPolicy`
(Graph docs "Microsoft Graph throttling guidance"; the loop is bridge.providers.common.retry), and keeps at most four requests in flight
per mailbox (Graph docs "throttling-limits": Outlook service limits, 4 concurrent requests).
This module must not know about events, calendars or iCalendar.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypedDict, Unpack
from urllib.parse import quote, urlsplit

import requests

from bridge.errors import (
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderError,
)
from bridge.plainwords import unreachable
from bridge.providers.common.http_errors import http_error
from bridge.providers.common.retry import (
    PULL_POLICY,
    WRITE_POLICY,
    RetryPolicy,
    TryAgain,
    backoff,
    parse_retry_after,
    run,
)
from bridge.providers.graph.auth import GraphAppConfig
from bridge.providers.graph.transport import make_session

PROVIDER = "graph"
MAX_CONCURRENT_PER_MAILBOX = 4  # throttling-limits.md, "Outlook service limits"
_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
_RETRYABLE = frozenset({429, 502, 503, 504})
_DEFAULT_BUSY_S = 5.0
_MAX_BACKOFF_S = 30.0
# Delta tokens that can no longer be used: 410 Gone, or these codes (delta-query-overview.md,
# "Synchronization reset"; event-delta.md). Compared case-insensitively.
_CURSOR_EXPIRED_CODES = frozenset(
    {
        "syncstatenotfound",
        "resyncrequired",
        "syncstateinvalid",
        "invalidsyncstate",
        "errorinvalidsyncstatedata",
    }
)


def _send_options() -> dict[str, Any]:
    """The timeouts (read when sending: tests shorten them) and no redirects: links are
    followed by the client itself (is_graph_url), a redirect off Graph must not carry the
    bearer token."""
    return {"timeout": _TIMEOUT, "allow_redirects": False}


class WriteOptions(TypedDict, total=False):
    """What a POST/PATCH/DELETE may add to the path: a JSON body, headers, a retry policy."""

    json: Any
    headers: Mapping[str, str] | None
    policy: RetryPolicy


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self) -> None: ...


_semaphores: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def _mailbox_semaphore(key: tuple[str, str]) -> threading.BoundedSemaphore:
    with _semaphores_lock:
        sem = _semaphores.get(key)
        if sem is None:
            sem = _semaphores[key] = threading.BoundedSemaphore(MAX_CONCURRENT_PER_MAILBOX)
        return sem


def _error_envelope(resp: requests.Response) -> tuple[str | None, str]:
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return None, text[:300] or (resp.reason or f"HTTP {resp.status_code}")
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        code = err.get("code")
        return (str(code) if code else None), str(err.get("message") or code or resp.reason)
    if isinstance(err, str):  # OAuth-style {"error": "...", "error_description": "..."}
        return err, str(body.get("error_description") or err)
    return None, resp.reason or f"HTTP {resp.status_code}"


def error_for(resp: requests.Response) -> ProviderError:
    """The bridge error for a non-retryable Graph error response."""
    status = resp.status_code
    code, message = _error_envelope(resp)
    if code and code.lower() in _CURSOR_EXPIRED_CODES:
        return CursorExpired(PROVIDER, message, code, status)
    if status == 409 and code == "ErrorIrresolvableConflict":
        # event-update.md: a stale If-Match answers 412 ErrorIrresolvableConflict.
        return PreconditionFailed(PROVIDER, message, code, status)
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    wait = _DEFAULT_BUSY_S if retry_after is None else retry_after
    return http_error(PROVIDER, status, message, code, wait)


class GraphHttp:
    """Graph v1.0 calls for one mailbox ("me", or a user id/UPN under /users/)."""

    def __init__(
        self,
        config: GraphAppConfig,
        auth: TokenSource,
        mailbox: str = "me",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.auth = auth
        self.mailbox = mailbox
        self._sleep = sleep
        self._session = make_session(config.ca_bundle)
        self._base = config.graph_base_url.rstrip("/")
        base = urlsplit(self._base)
        self._origin = (base.scheme, base.netloc)
        self._count_lock = threading.Lock()
        self.request_count = 0

    @property
    def prefix(self) -> str:
        """The path prefix of the mailbox: /me or /users/{id|upn}."""
        if self.mailbox == "me":
            return "/me"
        return "/users/" + quote(self.mailbox, safe="@.")

    def is_graph_url(self, url: str) -> bool:
        """Whether an absolute URL points at the configured Graph endpoint."""
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == self._origin

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            # nextLink/deltaLink are absolute; never send the bearer token elsewhere.
            if not self.is_graph_url(path_or_url):
                host = urlsplit(path_or_url).netloc
                raise ProviderError(PROVIDER, f"refusing a link off Graph: {host}")
            return path_or_url
        return self._base + (path_or_url if path_or_url.startswith("/") else "/" + path_or_url)

    def _semaphore_key(self) -> tuple[str, str]:
        mailbox = self.mailbox
        if mailbox == "me":
            mailbox = str(getattr(self.auth, "username", None) or f"me#{id(self.auth)}")
        return (self._base, mailbox.lower())

    def _count(self) -> None:
        with self._count_lock:
            self.request_count += 1

    def _send(
        self,
        method: str,
        url: str,
        json: Any,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        data: bytes | None = None,
    ) -> requests.Response:
        hdrs = {"Authorization": "Bearer " + self.auth.access_token(), "Accept": "application/json"}
        if headers:
            hdrs.update(headers)
        with _mailbox_semaphore(self._semaphore_key()):
            self._count()
            return self._session.request(
                method, url, params=params, json=json, data=data, headers=hdrs, **_send_options()
            )

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        policy: RetryPolicy = PULL_POLICY,
    ) -> dict[str, Any] | None:
        """One logical call: retried within `policy`; the JSON body (None when empty)."""
        resp = self._exchange(method, path_or_url, json, None, headers, params, policy)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            body = resp.json()
        except ValueError as exc:
            raise ProviderError(
                PROVIDER, f"{method} answered non-JSON", None, resp.status_code
            ) from exc
        return body if isinstance(body, dict) else {"value": body}

    def request_bytes(
        self,
        method: str,
        path_or_url: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy = PULL_POLICY,
    ) -> bytes:
        """A call whose body is not JSON (photos, profilephoto-get.md): same retries, error
        mapping, re-authorization and per-mailbox concurrency limit as `request`."""
        resp = self._exchange(
            method, path_or_url, None, data, {"Accept": "*/*", **(headers or {})}, None, policy
        )
        return resp.content

    def _exchange(
        self,
        method: str,
        path_or_url: str,
        json: Any,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        policy: RetryPolicy,
    ) -> requests.Response:
        """Send until a final answer: retried within `policy`, 401 re-authorized once, errors
        raised as bridge errors; returns the successful response."""
        url = self.url(path_or_url)
        reauthorized = False

        def attempt(number: int) -> requests.Response:
            nonlocal reauthorized
            try:
                resp = self._send(method, url, json, headers, params, data)
                if resp.status_code == 401 and not reauthorized:
                    # The access token was rejected (expired early or revoked): drop it,
                    # refresh with the refresh token and send once more within this attempt;
                    # a second 401 means re-consent.
                    reauthorized = True
                    self.auth.invalidate()
                    resp = self._send(method, url, json, headers, params, data)
            except requests.RequestException as exc:
                delay = backoff(number, _MAX_BACKOFF_S)
                raise TryAgain(ProviderBusy(PROVIDER, unreachable(url, exc), delay), delay) from exc
            status = resp.status_code
            if status in _RETRYABLE:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                delay = backoff(number, _MAX_BACKOFF_S) if retry_after is None else retry_after
                code, message = _error_envelope(resp)
                raise TryAgain(ProviderBusy(PROVIDER, message, delay, code, status), delay)
            if status >= 400:
                raise error_for(resp)
            return resp

        return run(attempt, policy, self._sleep)

    def get(
        self,
        path_or_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        policy: RetryPolicy = PULL_POLICY,
    ) -> dict[str, Any] | None:
        return self.request("GET", path_or_url, headers=headers, params=params, policy=policy)

    # Writes: the write policy unless told otherwise (a DAV client is waiting for the answer).
    def _write(self, method: str, path: str, options: WriteOptions) -> dict[str, Any] | None:
        policy = options.get("policy", WRITE_POLICY)
        json, headers = options.get("json"), options.get("headers")
        return self.request(method, path, json=json, headers=headers, policy=policy)

    def post(self, path_or_url: str, **options: Unpack[WriteOptions]) -> dict[str, Any] | None:
        return self._write("POST", path_or_url, options)

    def patch(self, path_or_url: str, **options: Unpack[WriteOptions]) -> dict[str, Any] | None:
        return self._write("PATCH", path_or_url, options)

    def delete(self, path_or_url: str, **options: Unpack[WriteOptions]) -> dict[str, Any] | None:
        return self._write("DELETE", path_or_url, options)

    def get_all(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy = PULL_POLICY,
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink (Graph docs "paging")."""
        items: list[dict[str, Any]] = []
        url: str | None = path_or_url
        page_params = params
        while url:
            body = self.get(url, params=page_params, headers=headers, policy=policy) or {}
            items.extend(v for v in body.get("value", []) if isinstance(v, dict))
            url = body.get("@odata.nextLink")
            page_params = None  # the next link carries the query
        return items
