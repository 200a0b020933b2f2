"""The WSGI layer in front of Radicale: what is checked before Radicale sees a request.

- `login`: Basic credentials parsed here (RFC 7617; malformed → 401 naming the problem) and
  checked through bridge.api (wrong → 401, too many failures → 429, see bridge.organisation.dav_logins);
  correct ones reach Radicale as an external login (radicale_plugins.auth).
- `body_refusal`: size (413), charset (415), XML depth/root/ranges/calendar-query filters/multiget hrefs
  (radicale_plugins.guards); the body is buffered so later steps can read it again.
- `without_body_for_head`: HEAD answers never carry a body, whoever produced them.

Imports bridge.api, radicale_plugins and the standard library.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from http import client
from typing import Any

from bridge import api
from radicale_plugins import filtercheck, guards
from radicale_plugins.refusals import Refusal, unauthorized

REALM = "davbridge - use your app password"
XML_METHODS = {"PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR", "MKCOL", "POST"}


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def plain(
    start_response: Callable[..., Any],
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> list[bytes]:
    start_response(
        f"{status} {client.responses.get(status, '')}",
        [*headers.items(), ("Content-Length", str(len(body)))],
    )
    return [body]


def login(environ: dict[str, Any]) -> Refusal | None:
    """Check Basic credentials before Radicale does (Radicale would answer malformed ones with
    a 500): refusals are 401 (wrong or malformed) or 429 (too many failures, wrong
    credential); a correct credential goes on to Radicale through the auth plugin's external
    login, so Radicale never decodes the header itself."""
    credentials = guards.basic_credentials(str(environ.get("HTTP_AUTHORIZATION", "")), REALM)
    if credentials is None:
        return None
    if isinstance(credentials, Refusal):
        return credentials
    addr = str(environ.get("REMOTE_ADDR", ""))
    outcome = api.current().check_login(credentials.user, credentials.password, addr)
    if outcome.retry_after:
        return Refusal(
            429,
            f"Too many failed logins; try again in {outcome.retry_after} seconds.",
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if not outcome.ok:
        return unauthorized("Wrong user name or app password.", REALM)
    environ["davbridge.login"] = (credentials.user, credentials.password)
    return None


def body_refusal(environ: dict[str, Any], method: str, max_content_length: int) -> Refusal | None:
    """Buffer and check the request body: size (413, normally already answered by the HTTP
    server before the body is read), charset (415), XML (400/403)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > max_content_length:
        return Refusal(
            413,
            f"The request body of {length} bytes exceeds the limit of "
            f"{max_content_length} bytes ([server] max_content_length).",
        )
    refusal = guards.charset_refusal(str(environ.get("CONTENT_TYPE", "")))
    if refusal is not None:
        return refusal
    # bounded above; buffered so it can be checked. A schedule-outbox POST carries iCalendar,
    # not XML (RFC 6638 §5; radicale_plugins/scheduling.py answers it)
    ical_post = method == "POST" and str(environ.get("CONTENT_TYPE", "")).startswith("text/cal")
    if (method == "PUT" or ical_post) and length:
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
    if method not in XML_METHODS or not length or ical_post:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    root = guards.parse_xml(body, method)
    if isinstance(root, Refusal):
        return root
    if root is None:
        return None
    if method == "REPORT":
        refusal = guards.range_refusal(
            root, api.current().accepted_years()
        ) or filtercheck.filter_refusal(root)
        if refusal is not None:
            return refusal
        trimmed = guards.multiget_hrefs(root, str(environ.get("HTTP_HOST", "")))
        if trimmed is not None:
            body = trimmed.body
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["davbridge.dropped_hrefs"] = trimmed.dropped
    environ["davbridge.xml"] = root
    return None


def without_body_for_head(app: WSGIApp) -> WSGIApp:
    """HEAD answers carry the headers GET would and never a body (RFC 9110 §9.3.2): a body
    after a HEAD answer would be read as the start of the next answer on a kept-alive
    connection."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = app(environ, start_response)
        if str(environ.get("REQUEST_METHOD", "")).upper() != "HEAD":
            return result
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return []

    return wrapped
