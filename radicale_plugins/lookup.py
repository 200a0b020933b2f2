"""Caller lookup for PBXs and softphones (K4): `GET /lookup?number=…`, plus the
credential check shared with the XML phonebooks.

Credentials: HTTP Basic with the bridge user name and an app password (as DAV clients), or
the organisation's `[contacts] lookup_token` as `Authorization: Bearer <token>` or `?token=`,
which must name the user whose contacts are searched with `&user=` (the token never widens
what one user can see). Failed attempts count towards the bridge's login throttle (per user
name and per client address, shared with DAV logins, see bridge.organisation.dav_logins); while locked, wrong
credentials get 429 with Retry-After and correct ones still pass. Malformed Basic credentials
(not base64, no colon) are a 401 naming the problem. Answers: JSON by default, the
first matching name as plain text with `Accept: text/plain` or `?format=text` (PBX caller-ID,
e.g. Asterisk CURL()); 404 when nothing matches ("unknown" as text); 400 for a number that is
not one. Numbers are compared in E.164 form in the user's default region.

Imports only bridge.api, the pure helpers of bridge.contacts and the stdlib; it keeps no state.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http import client
from typing import Any

from bridge import api
from bridge.contacts.phones import e164_of
from radicale_plugins.guards import basic_credentials
from radicale_plugins.refusals import Refusal

REALM = "davbridge caller lookup"
_MAX_DIGITS = 17


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def text_reply(status: int, text: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}, text.encode()
    )


def json_reply(status: int, data: Any) -> Reply:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Reply(status, {"Content-Type": "application/json; charset=utf-8"}, body)


def send(start_response: Callable[..., Any], reply: Reply, head: bool = False) -> list[bytes]:
    headers = {**reply.headers, "Content-Length": str(len(reply.body))}
    start_response(
        f"{reply.status} {client.responses.get(reply.status, '')}", list(headers.items())
    )
    return [] if head else [reply.body]


def query_of(environ: dict[str, Any]) -> dict[str, str]:
    return {
        k: v[-1]
        for k, v in urllib.parse.parse_qs(
            environ.get("QUERY_STRING", ""), keep_blank_values=True
        ).items()
    }


def _unauthorized(message: str) -> Reply:
    challenge = f'Basic realm="{REALM}", charset="UTF-8"'
    return text_reply(401, message, {"WWW-Authenticate": challenge})


def _from_refusal(refusal: Refusal) -> Reply:
    content_type, body = refusal.body()
    return Reply(refusal.status, {"Content-Type": content_type, **refusal.headers}, body)


def _too_many(retry_after: int) -> Reply:
    return text_reply(
        429,
        f"Too many failed logins; try again in {retry_after} seconds.",
        {"Retry-After": str(retry_after)},
    )


def authenticate(environ: dict[str, Any], query: dict[str, str]) -> str | Reply:
    """The user whose contacts the request may read, or the refusal to send."""
    ip = str(environ.get("REMOTE_ADDR", ""))
    bridge = api.current()
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, credentials = header.partition(" ")
    named = query.get("user", "")
    basic = basic_credentials(header, REALM)
    if isinstance(basic, Refusal):
        return _from_refusal(basic)
    if basic is not None:
        outcome = bridge.check_login(basic.user, basic.password, ip)
        if not outcome.ok:
            if outcome.retry_after:
                return _too_many(outcome.retry_after)
            return _unauthorized("Wrong user name or app password.")
        if named and named != basic.user:
            return text_reply(403, "An app password gives access to its own user's contacts only.")
        return basic.user
    token = credentials.strip() if scheme.lower() == "bearer" else query.get("token", "")
    if token:
        expected = bridge.config().contacts.lookup_token
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            bridge.lookup_token_failed(ip, token)
            wait = math.ceil(bridge.login_retry_after("", ip))
            return _too_many(wait) if wait > 0 else _unauthorized("Wrong lookup token.")
        if not named:
            return text_reply(400, "The lookup token needs the user to search: add &user=<name>.")
        if bridge.user_by_name(named) is None:
            return text_reply(404, f"No user {named!r}.")
        return named
    return _unauthorized("Log in with your user name and app password, or a lookup token.")


def _number_text(raw: str) -> str:
    """A caller number as PBXs pass it: plain, or as a tel:/sip: URI."""
    text = raw.strip()
    if re.match(r"(?i)^(tel|sips?):", text):
        text = text.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    return text


def _wants_text(environ: dict[str, Any], query: dict[str, str]) -> bool:
    if query.get("format"):
        return query["format"].lower() in ("text", "txt", "plain")
    accept = str(environ.get("HTTP_ACCEPT", "")).lower()
    return "text/plain" in accept and "json" not in accept


def lookup(environ: dict[str, Any]) -> Reply:
    """`GET /lookup?number=…`: who is calling."""
    query = query_of(environ)
    user = authenticate(environ, query)
    if isinstance(user, Reply):
        return user
    as_text = _wants_text(environ, query)
    number = _number_text(query.get("number", ""))
    digits = re.sub(r"\D", "", number)
    if not digits or len(digits) > _MAX_DIGITS or re.search(r"[A-Za-z]", number):
        return text_reply(400, f"Not a phone number: {number!r} (use ?number=+4930123456).")
    bridge = api.current()
    found = bridge.find_by_phone(user, number, "equals", limit=50)
    books = {c.id: c for c in bridge.collections_for(user)}
    matches: list[dict[str, str]] = []
    seen: set[tuple[int, str]] = set()
    uids: dict[int, dict[str, Any]] = {}
    for m in found:
        key = (m.collection_id, m.href)
        coll = books.get(m.collection_id)
        if key in seen or coll is None:
            continue
        seen.add(key)
        if m.collection_id not in uids:
            hrefs = [x.href for x in found if x.collection_id == m.collection_id]
            uids[m.collection_id] = bridge.items_by_href(coll, hrefs)
        item = uids[m.collection_id].get(m.href)
        matches.append(
            {
                "name": m.entry.name,
                "organization": m.entry.org,
                "type": m.entry.kind,
                "number": m.entry.raw,
                "address_book": coll.display_name,
                "uid": item.uid if item is not None else "",
            }
        )
    if as_text:
        return text_reply(200, matches[0]["name"]) if matches else text_reply(404, "unknown")
    data = {
        "number": number,
        "e164": e164_of(number, bridge.region_of(user)),
        "matches": matches,
    }
    return json_reply(200 if matches else 404, data)
