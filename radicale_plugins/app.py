"""The DAV application: Radicale with davbridge's plugins, plus what Radicale lacks for a
write-through bridge — provider errors mapped to meaningful statuses with a readable body
(403 read-only, 412 changed meanwhile, 400 invalid, 503 + Retry-After when throttled),
no ETag on a PUT whose stored copy differs from what was sent (RFC 4791 §5.3.4), PUT bodies
checked before anything is written (putcheck), Radicale's own reasons written into its
generic refusals (reasons), and /health, /lookup and /phonebook beside DAV. What is checked
before Radicale sees a request (credentials, size, charset, paths, XML) is in front and guards.

How it attaches to Radicale (issue 12 point 7): through its plugin hooks — auth, rights and
storage (radicale_plugins.auth / rights / storage; web is off) — and the WSGI layer around
it (`make_wsgi`: guards, login, the streamed bulk answers of radicale_plugins.fastpath, and
Radicale's reasons added to its generic refusals). No private attribute or method of
Radicale is used. Radicale has no hook for the following, so these `do_*` methods of its
`Application` are overridden, each calling Radicale's own and keeping its answer:

- do_PUT: refuse writes to read-only calendars and bodies putcheck rejects before Radicale
  parses them; hand If-Match to the storage for the provider write (storage.write_request:
  the storage API receives no request); map the provider's BridgeError to its status (Radicale
  turns any exception into a 500); drop the ETag when the provider stored something else
  (RFC 4791 §5.3.4); replace Radicale's no-uid-conflict answer by one naming the resource that
  holds the UID (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1; Radicale leaves the href out).
- do_DELETE: read-only and principal refusals, If-Match to the provider, BridgeError mapped.
- do_MKCALENDAR / do_MKCOL: to-do and journal calendars refused with the CalDAV
  precondition; BridgeError from creating at the provider mapped.
- do_PROPPATCH: properties changed at the provider with per-property statuses (collections).
- do_GET: vCard 4.0 on `Accept: text/vcard; version=4.0` (Radicale 3.9 serves 4.0 only
  with vobject >= 1.0, which davbridge does not require).
- do_PROPFIND / do_REPORT (answers Radicale renders itself — the bulk shapes never reach it):
  vCard 4.0 advertised in supported-address-data and served in address-data, and 404s for
  multiget hrefs the guard took out, added on the element tree and written again with
  ElementTree (radicale_plugins.amend; never by editing bytes), tested against Radicale's
  own rendering.

Imports only radicale and bridge.api (plus radicale_plugins and the standard library).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from http import client
from typing import Any

from radicale import config, httputils, xmlutils
from radicale import item as radicale_item
from radicale import types as rtypes
from radicale.app import Application

from bridge import api
from bridge.api import BridgeError, Busy, LimitExceeded
from bridge.contacts.vcard4 import to_vcard4
from radicale_plugins import (
    amend,
    cardquery,
    collections,
    fastpath,
    front,
    guards,
    health,
    hrefs,
    lookup,
    multistatus,
    phonebooks,
    proxied,
    proxy,
    putcheck,
    putplace,
    queryrange,
    reasons,
    scheduling,
    storage,
)
from radicale_plugins.proxy import base_of as proxy_base
from radicale_plugins.refusals import CALDAV, CARDDAV, Refusal, limit_refusal

log = logging.getLogger("davbridge.dav")


def radicale_configuration(
    max_content_length: int,
    max_occurrences: int = guards.MAX_INSTANCES_PER_EXPANSION,
    max_resource_size: int | None = None,
) -> config.Configuration:
    configuration = config.load()
    resource = min(max_resource_size or max_content_length, max_content_length)
    configuration.update(
        {
            # davbridge's own front end refuses bodies over max_content_length with 413 before
            # Radicale runs. Radicale's max_resource_size is what it advertises as
            # CALDAV:max-resource-size (RFC 4791 §5.2.5); a larger PUT is refused with 403 and
            # that precondition (putcheck.size_refusal, also for Radicale's own 412). Radicale
            # caps it at 80% of its max_content_length (warning at every start otherwise), so
            # its body limit is set to 1.25x ours.
            "server": {
                "max_content_length": str(max_content_length * 5 // 4 + 4),
                "max_resource_size": str(resource),
                "delay_on_error": "0",
            },
            "auth": {
                "type": "radicale_plugins.auth",
                # no sleeping worker threads: wrong credentials never reach Radicale (front.login
                # answers them, paced by bridge.dav_logins), and Radicale would otherwise also
                # hold every authenticated 403 and anonymous 401 for ~1 s
                "delay": "0",
                "cache_logins": "False",
                "realm": front.REALM,
            },
            "rights": {"type": "radicale_plugins.rights"},
            "storage": {"type": "radicale_plugins.storage"},
            "web": {"type": "none"},
            "logging": {"level": "warning", "mask_passwords": "True"},
            # [limits] instances_per_expansion (issue 9)
            "reporting": {
                "max_expand_occurrence": str(max_occurrences),
                "max_freebusy_occurrence": str(max_occurrences),
            },
        },
        "davbridge",
        privileged=True,
    )
    return configuration


def _text_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> rtypes.WSGIResponse:
    return Refusal(status, message, headers=headers or {}).as_radicale()


def _refusal(exc: BridgeError) -> Refusal:
    if isinstance(exc, LimitExceeded):  # 403 with the precondition (refusals.py)
        return limit_refusal(exc.limit, exc.message)
    headers: dict[str, str] = {}
    if isinstance(exc, Busy):  # throttled provider, busy collection, write budget spent
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    return Refusal(exc.http_status, exc.message, headers=headers)


def _error_response(exc: BridgeError) -> rtypes.WSGIResponse:
    return _refusal(exc).as_radicale()


def _with_dropped(environ: rtypes.WSGIEnviron, response: Any) -> Any:
    """A multiget answer with a 404 for each href the guard took out (guards.multiget_hrefs)."""
    dropped = environ.get("davbridge.dropped_hrefs")
    status, headers, answer, xml = response
    if not dropped or status != 207 or not isinstance(answer, bytes):
        return response
    return status, headers, amend.amended(answer, amend.with_missing(tuple(dropped))), xml


def _collection_delete_refusal(path: str, user: str) -> rtypes.WSGIResponse | None:
    """DELETE of the principal (or above it) is refused with the reason. A calendar or address
    book is deleted at the provider (storage.MirrorCollection.delete, issue 11), which refuses
    the default calendar and the main contacts itself."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 2 or (parts and parts[0] != user):
        return None
    return _text_response(
        client.FORBIDDEN,
        "Deleting your principal over DAV is not supported; delete calendars and address "
        "books one by one.",
    )


class BridgeApplication(Application):
    """Radicale's application with write-through error mapping."""

    def _read_only_refusal(self, path: str, user: str) -> rtypes.WSGIResponse | None:
        parts = path.strip("/").split("/")
        if len(parts) == 3:  # in the user's home, or a calendar granted in another's
            bridge = api.current()
            coll = proxied.collection_at(user, parts)
            if coll is not None and coll.read_only:
                return _text_response(client.FORBIDDEN, bridge.read_only_reason(coll, parts[2]))
        return None

    def do_PUT(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        refusal = self._read_only_refusal(path, user)
        if refusal is not None:
            return refusal
        problem = (
            putplace.put_place_refusal(
                path, user, lambda name: api.current().collection(user, name) is not None
            )
            or self._put_refusal(environ, path, user)
            or scheduling.tag_refusal(environ, scheduling.stored_text(user, path))
        )
        if problem is not None:
            return problem.as_radicale()
        conditions = storage.WriteConditions(environ.get("HTTP_IF_MATCH"))
        try:
            with storage.write_request(conditions) as outcome:
                status, headers, answer, xml = super().do_PUT(
                    environ, base_prefix, path, user, *args
                )
        except BridgeError as exc:
            return _error_response(exc)
        except OverflowError as exc:  # a date the provider mapping cannot represent
            return _text_response(client.BAD_REQUEST, f"A date is out of range: {exc}.")
        serialised = (
            putcheck.oversize(reasons.so_far()) if status == client.PRECONDITION_FAILED else None
        )
        if serialised is not None:
            # Radicale measures the item as it re-serialises it (folded, CRLF), which can be a
            # little longer than the body checked above: the same refusal, not a 412
            coll = proxied.collection_at(user, path.strip("/").split("/"))
            calendar = coll is None or coll.kind.value == "calendar"
            too_large = putcheck.size_refusal(serialised, self._max_resource_size, calendar)
            return too_large.as_radicale()
        if outcome.stored_differs and status in (client.CREATED, client.NO_CONTENT):
            headers = {k: v for k, v in dict(headers).items() if k.lower() != "etag"}
        if status in (client.CREATED, client.NO_CONTENT):  # RFC 6638 §3.2.10 Schedule-Tag
            headers = scheduling.with_tag(headers, scheduling.stored_text(user, path))
        raw = answer.encode() if isinstance(answer, str) else bytes(answer or b"")
        if status == client.CONFLICT and b"no-uid-conflict" in raw:
            conflict = self._uid_conflict(base_prefix, path, user, self._body(environ))
            return conflict or (status, headers, answer, xml)
        return status, headers, answer, xml

    @staticmethod
    def _uid_conflict(
        base_prefix: str, path: str, user: str, body: bytes
    ) -> rtypes.WSGIResponse | None:
        """RFC 4791 §5.3.2.1 / RFC 6352 §6.3.2.1: the precondition names, in a DAV:href, the
        resource that already holds the UID (Radicale's answer leaves it out)."""
        parts = path.strip("/").split("/")
        bridge = api.current()
        coll = bridge.collection(user, parts[1]) if len(parts) == 3 else None
        if coll is None:
            return None
        try:
            component = radicale_item.read_components(body.decode("utf-8"))[0]
            uid = radicale_item.get_uid_from_object(component)
        except Exception:  # vobject raises many kinds; the plain answer stays then
            return None
        href = bridge.href_of_uid(coll, uid)
        if href is None:
            return None
        card = coll.kind.value == "addressbook"
        return Refusal(
            client.CONFLICT,
            f"The UID {uid!r} is already used by another resource in this collection.",
            (CARDDAV if card else CALDAV, "no-uid-conflict"),
            href=xmlutils.make_href(base_prefix, f"/{parts[0]}/{parts[1]}/{href}"),
        ).as_radicale()

    def do_DELETE(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        refusal = self._read_only_refusal(path, user) or _collection_delete_refusal(path, user)
        if refusal is not None:
            return refusal
        problem = scheduling.tag_refusal(environ, scheduling.stored_text(user, path))
        if problem is not None:
            return problem.as_radicale()
        conditions = storage.WriteConditions(environ.get("HTTP_IF_MATCH"))
        try:
            with storage.write_request(conditions):
                return super().do_DELETE(environ, base_prefix, path, user, *args)
        except BridgeError as exc:
            return _error_response(exc)

    def _put_refusal(self, environ: rtypes.WSGIEnviron, path: str, user: str) -> Refusal | None:
        """What is wrong with a PUT into one of the user's collections (radicale_plugins.putcheck);
        None when it may go on (or Radicale will refuse it for another reason)."""
        parts = path.strip("/").split("/")
        if len(parts) != 3:
            return None
        coll = proxied.collection_at(user, parts)
        if coll is None:
            return None
        return putcheck.put_refusal(
            self._body(environ),
            str(environ.get("CONTENT_TYPE", "")),
            calendar=coll.kind.value == "calendar",
            years=api.current().accepted_years(),
            max_size=self._max_resource_size,  # what Radicale advertises as max-resource-size
            tasks=coll.holds_tasks,
        )

    @staticmethod
    def _body(environ: rtypes.WSGIEnviron) -> bytes:
        """The request body (already buffered by the guard in make_wsgi), left re-readable."""
        stream = environ.get("wsgi.input")
        if not isinstance(stream, io.BytesIO):
            return b""
        body = stream.getvalue()
        environ["wsgi.input"] = io.BytesIO(body)  # type: ignore[index]
        return body

    def do_PROPFIND(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        status, headers, answer, xml = super().do_PROPFIND(environ, base_prefix, path, user, *args)
        if status == 207 and isinstance(answer, bytes) and b"supported-address-data" in answer:
            # Radicale 3.9 advertises 4.0 only with vobject >= 1.0; davbridge converts itself
            answer = amend.amended(answer, amend.vcard4_advertised)
        if status == 207 and isinstance(answer, bytes) and user and scheduling.asked(answer):
            answer = amend.amended(  # RFC 6638 §2.2, §2.4.1, §9.2 (issue 16)
                answer, lambda root: scheduling.principal_properties(root, base_prefix, user)
            )
        if status == 207 and isinstance(answer, bytes) and user:  # calendar-proxy (issue 15)
            depth = str(environ.get("HTTP_DEPTH", "0"))
            answer = proxy.amend_principal(answer, user, path, base_prefix, depth)
        return status, headers, answer, xml

    def do_OPTIONS(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        status, headers, answer, xml = super().do_OPTIONS(environ, base_prefix, path, user, *args)
        headers = dict(headers)
        if "DAV" in headers:  # caldav-proxy "Feature Discovery"
            headers["DAV"] = f"{headers['DAV']}, calendar-proxy"
        return status, headers, answer, xml

    def do_REPORT(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        root = environ.get("davbridge.xml")
        with queryrange.asking(root):
            answer_of_radicale = super().do_REPORT(environ, base_prefix, path, user, *args)
        status, headers, answer, xml = _with_dropped(environ, answer_of_radicale)
        if status == 400 and any("occurrences limit of" in r for r in reasons.so_far()):
            return self._expansion_refusal()
        if status == 207 and isinstance(answer, bytes) and cardquery.wants_vcard4(root):
            # RFC 6352 §10.4 version="4.0"
            answer = amend.amended(answer, amend.vcard4_data(to_vcard4))
        return status, headers, answer, xml

    def _expansion_refusal(self) -> rtypes.WSGIResponse:
        """An expand or free-busy past `[limits] instances_per_expansion` (Radicale's
        max_expand_occurrence): 403 with davbridge's element for that limit."""
        limit = int(self.configuration.get("reporting", "max_expand_occurrence"))
        return limit_refusal(
            "instances_per_expansion",
            f"The time range expands to more than {limit} occurrences; ask for a shorter "
            f"range (limit: [limits] instances_per_expansion = {limit}).",
        ).as_radicale()

    def do_GET(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        """vCard 4.0 for `Accept: text/vcard; version=4.0` (RFC 6350 §10.1, RFC 6352 §6.3.2)."""
        status, headers, answer, xml = super().do_GET(environ, base_prefix, path, user, *args)
        accept = environ.get("HTTP_ACCEPT", "").replace(" ", "").lower()
        content_type = dict(headers).get("Content-Type", "")
        if status == 200 and "version=4.0" in accept and content_type.startswith("text/vcard"):
            text = answer.decode("utf-8") if isinstance(answer, bytes) else str(answer)
            answer = to_vcard4(text).encode("utf-8")
            headers = {**dict(headers), "Content-Length": str(len(answer))}
        if status == 200 and content_type.startswith("text/calendar"):
            text = answer.decode("utf-8") if isinstance(answer, bytes) else str(answer)
            headers = scheduling.with_tag(headers, text)  # RFC 6638 §3.2.10
        return status, headers, answer, xml

    def _creating(
        self,
        method: Callable[..., rtypes.WSGIResponse],
        environ: rtypes.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        *args: Any,
    ) -> rtypes.WSGIResponse:
        """MKCALENDAR / extended MKCOL: made at the provider by storage.create_collection;
        a to-do or journal calendar is refused first (403 supported-calendar-component)."""
        props = xmlutils.props_from_request(environ.get("davbridge.xml"))
        refusal = collections.component_refusal(props)
        if refusal is not None:
            condition = (CALDAV, "supported-calendar-component")
            return Refusal(client.FORBIDDEN, refusal, condition).as_radicale()
        try:
            return method(environ, base_prefix, path, user, *args)
        except BridgeError as exc:
            return _error_response(exc)

    def do_MKCALENDAR(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        parent = super().do_MKCALENDAR
        return self._creating(parent, environ, base_prefix, path, user, *args)

    def do_MKCOL(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        parent = super().do_MKCOL
        return self._creating(parent, environ, base_prefix, path, user, *args)

    def do_PROPPATCH(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        """RFC 4918 §9.2 on the user's principal and collections, mapped to the provider."""
        parts = path.strip("/").split("/")
        # a granted calendar in another user's home is answered like the user's own copy
        granted = len(parts) == 2 and proxied.collection_at(user, parts) is not None
        if not user or (parts[0] != user and not granted) or len(parts) > 2:
            return super().do_PROPPATCH(environ, base_prefix, path, user, *args)
        coll = proxied.collection_at(user, parts) if len(parts) == 2 else None
        if len(parts) == 2 and coll is None:
            return _text_response(client.NOT_FOUND, f"No collection {parts[1]!r}.")
        props = xmlutils.props_from_request(environ.get("davbridge.xml"))
        href = xmlutils.make_href(base_prefix, "/" + "/".join(parts) + "/")
        try:
            answer = collections.proppatch(href, coll, props)
        except BridgeError as exc:
            return _error_response(exc)
        body = ET.tostring(answer, encoding="utf-8", xml_declaration=True)
        headers = {"Content-Type": "application/xml; charset=utf-8", "DAV": httputils.DAV_HEADERS}
        return client.MULTI_STATUS, headers, body, None


def make_wsgi(
    max_content_length: int,
    max_occurrences: int = guards.MAX_INSTANCES_PER_EXPANSION,
    max_resource_size: int | None = None,
) -> front.WSGIApp:
    """The complete WSGI application: path and header guards, /health, caller lookup
    (/lookup, /phonebook/…), login, body guards, the streamed bulk answers (fastpath), then
    Radicale. `max_resource_size` (default and cap: `max_content_length`) is the largest
    resource a PUT may store."""
    dav = BridgeApplication(
        radicale_configuration(max_content_length, max_occurrences, max_resource_size)
    )
    reasons.install()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            path = hrefs.path_info(environ.get("PATH_INFO", ""))
        except hrefs.BadHref as exc:
            return Refusal(400, str(exc)).send(start_response)
        environ["PATH_INFO"] = path
        if (path == "/lookup" or phonebooks.is_phonebook_path(path)) and method in ("GET", "HEAD"):
            handler = lookup.lookup if path == "/lookup" else phonebooks.phonebook
            began = time.perf_counter()
            reply = handler(environ)
            # Server-Timing (W3C): how long the server spent, for PBX operators and benchmarks
            took = f"app;dur={(time.perf_counter() - began) * 1000:.3f}"
            reply = dataclasses.replace(reply, headers={**reply.headers, "Server-Timing": took})
            return lookup.send(start_response, reply, head=method == "HEAD")
        if path == "/health" and method in ("GET", "HEAD"):
            return front.plain(start_response, *health.answer(environ))
        refusal = front.login(environ) or front.body_refusal(environ, method, max_content_length)
        if refusal is None and method == "MOVE":
            refusal = guards.destination_refusal(environ, path)
        if refusal is not None:
            return refusal.send(start_response)
        login = environ.get("davbridge.login")
        own = proxy.answer(environ, str(login[0]), proxy_base(environ)) if login else None
        if own is not None:  # calendar-proxy groups and expand-property (issue 15)
            return front.plain(start_response, own.status, own.headers, own.body)
        if login and scheduling.is_mailbox_path(path):  # RFC 6638 inbox/outbox (issue 16)
            try:
                base = scheduling.base_prefix(environ)
                mailbox = scheduling.answer(environ, method, path, str(login[0]), base)
            except BridgeError as exc:
                return _refusal(exc).send(start_response)
            return front.plain(start_response, *mailbox)
        try:
            streamed = fastpath.answer(environ, str(login[0])) if login else None
        except BridgeError as exc:  # e.g. the collection's refresh is busy: 503 + Retry-After
            return _refusal(exc).send(start_response)
        if streamed is not None:
            return multistatus.send(streamed, environ, start_response)
        with proxied.as_viewer(str(login[0]) if login else ""):
            return explained(environ, start_response)

    def explained(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Radicale's answer, with its reason written into generic refusals (reasons.py)."""
        seen: list[tuple[str, list[tuple[str, str]]]] = []
        token = reasons.begin()
        try:
            answers = list(dav(environ, lambda status, headers, *_: seen.append((status, headers))))
        finally:
            found = reasons.end(token)
        status, headers = seen[0]
        headers, answers = reasons.explained(status, list(headers), answers, found)
        start_response(status, headers)
        return answers

    def advertised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return app(environ, scheduling.advertised(start_response))  # calendar-auto-schedule

    return front.without_body_for_head(advertised)
