"""The DAV application: Radicale with davbridge's plugins, plus what Radicale lacks for a
write-through bridge — provider errors mapped to meaningful statuses with a readable body
(403 read-only, 412 changed meanwhile, 400 invalid, 503 + Retry-After when throttled),
no ETag on a PUT whose stored copy differs from what was sent (RFC 4791 §5.3.4), body size
limits (413) and XML bomb refusal before any parsing, and a /health endpoint.

Imports only radicale and bridge.api (plus the standard library and defusedxml).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable
from http import client
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from radicale import Application, config
from radicale import item as radicale_item
from radicale import types as rtypes

from bridge import api
from bridge.api import BridgeError, ProviderBusy
from radicale_plugins import cardquery, fastpath, lookup, phonebooks
from radicale_plugins.storage import request_state

log = logging.getLogger("davbridge.dav")

_XML_METHODS = {"PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR", "MKCOL", "POST"}
_VCARD3_ONLY = b'<CR:address-data-type content-type="text/vcard" version="3.0" />'
_VCARD4 = b'<CR:address-data-type content-type="text/vcard" version="4.0" />'


def radicale_configuration(max_content_length: int) -> config.Configuration:
    configuration = config.load()
    configuration.update(
        {
            # Radicale warns at every start unless a resource fits in 80% of a request body
            "server": {
                "max_content_length": str(max_content_length),
                "max_resource_size": str(int(max_content_length * 0.8)),
            },
            "auth": {
                "type": "radicale_plugins.auth",
                "delay": "1",
                "cache_logins": "False",
                "realm": "davbridge - use your app password",
            },
            "rights": {"type": "radicale_plugins.rights"},
            "storage": {"type": "radicale_plugins.storage"},
            "web": {"type": "none"},
            "logging": {"level": "warning", "mask_passwords": "True"},
        },
        "davbridge",
        privileged=True,
    )
    return configuration


def _text_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> rtypes.WSGIResponse:
    return (
        status,
        {"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
        message + "\n",
        None,
    )


def _error_response(exc: BridgeError) -> rtypes.WSGIResponse:
    headers: dict[str, str] = {}
    if isinstance(exc, ProviderBusy):
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    return _text_response(exc.http_status, exc.message, headers)


class BridgeApplication(Application):
    """Radicale's application with write-through error mapping."""

    def _read_only_refusal(self, path: str, user: str) -> rtypes.WSGIResponse | None:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == user:
            coll = api.current().collection(user, parts[1])
            if coll is not None and coll.read_only:
                return _text_response(
                    client.FORBIDDEN,
                    f"The calendar {coll.display_name!r} is read-only at the "
                    "provider; changes cannot be saved.",
                )
        return None

    def do_PUT(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        refusal = self._read_only_refusal(path, user)
        if refusal is not None:
            return refusal
        problem = self._malformed(self._body(environ))
        if problem is not None:
            return _text_response(client.BAD_REQUEST, problem)
        state: dict[str, Any] = {
            "if_match": bool(environ.get("HTTP_IF_MATCH")),
            "if_match_value": environ.get("HTTP_IF_MATCH"),
        }
        token = request_state.set(state)
        try:
            status, headers, answer, xml = super().do_PUT(environ, base_prefix, path, user, *args)
        except BridgeError as exc:
            return _error_response(exc)
        finally:
            request_state.reset(token)
        if state.get("stored_differs") and status in (client.CREATED, client.NO_CONTENT):
            headers = {k: v for k, v in dict(headers).items() if k.lower() != "etag"}
        return status, headers, answer, xml

    def do_DELETE(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        refusal = self._read_only_refusal(path, user)
        if refusal is not None:
            return refusal
        token = request_state.set(
            {
                "if_match": bool(environ.get("HTTP_IF_MATCH")),
                "if_match_value": environ.get("HTTP_IF_MATCH"),
            }
        )
        try:
            return super().do_DELETE(environ, base_prefix, path, user, *args)
        except BridgeError as exc:
            return _error_response(exc)
        finally:
            request_state.reset(token)

    @staticmethod
    def _malformed(body: bytes) -> str | None:
        """What is wrong with a PUT body Radicale's parser would refuse with a bare 400."""
        if not body:
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"The body is not UTF-8 text (byte {exc.start})."
        try:
            radicale_item.read_components(text)
        except Exception as exc:  # vobject raises many kinds; all mean "cannot parse"
            return f"Malformed iCalendar/vCard data: {exc}"
        return None

    @staticmethod
    def _body(environ: rtypes.WSGIEnviron) -> bytes:
        """The request body (already buffered by the guard in make_wsgi), left re-readable."""
        stream = environ.get("wsgi.input")
        if not isinstance(stream, io.BytesIO):
            return b""
        body = stream.getvalue()
        environ["wsgi.input"] = io.BytesIO(body)  # type: ignore[index]
        return body

    @staticmethod
    def _compressed(environ: rtypes.WSGIEnviron, response: Any) -> rtypes.WSGIResponse:
        """gzip a bulk answer at a fast level (Radicale would use zlib's default level 6,
        which costs more than rendering 10,000 items); the client's Accept-Encoding is then
        consumed so that Radicale's response step does not compress it a second time."""
        status, headers, answer, xml = response
        accepted = [e.strip() for e in environ.get("HTTP_ACCEPT_ENCODING", "").split(",")]
        if "gzip" in accepted:
            packer = zlib.compressobj(1, wbits=16 + zlib.MAX_WBITS)
            answer = packer.compress(answer) + packer.flush()
            headers = {**headers, "Content-Encoding": "gzip"}
            environ.pop("HTTP_ACCEPT_ENCODING", None)  # type: ignore[attr-defined]
        return status, headers, answer, xml

    def do_PROPFIND(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        body = self._body(environ)
        if environ.get("HTTP_DEPTH") == "1" and body:

            def collection_only() -> rtypes.WSGIResponse:
                env = {
                    **environ,
                    "HTTP_DEPTH": "0",
                    "wsgi.input": io.BytesIO(body),
                    "CONTENT_LENGTH": str(len(body)),
                }
                return Application.do_PROPFIND(self, env, base_prefix, path, user, *args)

            fast = fastpath.propfind_items(
                path, user, environ.get("davbridge.xml"), base_prefix, collection_only
            )
            if fast is not None:
                return self._compressed(environ, fast)
            environ["wsgi.input"] = io.BytesIO(body)  # type: ignore[index]
        status, headers, answer, xml = super().do_PROPFIND(environ, base_prefix, path, user, *args)
        if isinstance(answer, bytes) and _VCARD3_ONLY in answer and _VCARD4 not in answer:
            # Radicale 3.9 advertises 4.0 only with vobject >= 1.0; davbridge converts itself
            answer = answer.replace(_VCARD3_ONLY, _VCARD3_ONLY + _VCARD4)
        return status, headers, answer, xml

    def do_REPORT(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        body = self._body(environ)
        root = environ.get("davbridge.xml")
        if body:
            card = cardquery.addressbook_query(
                path,
                user,
                root,
                base_prefix,
                lambda: "r" in self._rights.authorization(user, set(), path),
            )
            if card is not None:
                return self._compressed(environ, card)
            fast = fastpath.multiget(
                path,
                user,
                environ.get("davbridge.xml"),
                base_prefix,
                lambda: "r" in self._rights.authorization(user, set(), path),
            )
            if fast is not None:
                return self._compressed(environ, fast)
        status, headers, answer, xml = super().do_REPORT(environ, base_prefix, path, user, *args)
        if status == 207 and isinstance(answer, bytes) and cardquery.wants_vcard4(root):
            answer = cardquery.vcard4_answer(answer)  # RFC 6352 §10.4 version="4.0"
        return status, headers, answer, xml

    def do_GET(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        """vCard 4.0 for `Accept: text/vcard; version=4.0` (RFC 6350 §10.1, RFC 6352 §6.3.2)."""
        status, headers, answer, xml = super().do_GET(environ, base_prefix, path, user, *args)
        accept = environ.get("HTTP_ACCEPT", "").replace(" ", "").lower()
        content_type = dict(headers).get("Content-Type", "")
        if status == 200 and "version=4.0" in accept and content_type.startswith("text/vcard"):
            text = answer.decode("utf-8") if isinstance(answer, bytes) else str(answer)
            answer = api.to_vcard4(text).encode("utf-8")
            headers = {**dict(headers), "Content-Length": str(len(answer))}
        return status, headers, answer, xml

    def do_MKCALENDAR(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        return _text_response(
            client.FORBIDDEN,
            "Calendars are created at the provider "
            "(Outlook, Google Calendar); they appear here automatically.",
        )

    def do_MKCOL(
        self, environ: rtypes.WSGIEnviron, base_prefix: str, path: str, user: str, *args: Any
    ) -> rtypes.WSGIResponse:
        return self.do_MKCALENDAR(environ, base_prefix, path, user, *args)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _plain(
    start_response: Callable[..., Any],
    status: int,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> list[bytes]:
    data = body.encode("utf-8")
    start_response(
        f"{status} {client.responses.get(status, '')}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            *(headers or {}).items(),
        ],
    )
    return [data]


def _login_wait(environ: dict[str, Any]) -> float:
    """Seconds a request with Basic credentials must wait because its client address failed
    too often (A6); 0 for requests without credentials, not locked, or logged in just now."""
    scheme, _, credentials = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() != "basic":
        return 0.0
    try:
        user, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, password = "", ""
    return api.current().login_wait(user, password, str(environ.get("REMOTE_ADDR", "")))


def make_wsgi(max_content_length: int) -> WSGIApp:
    """The complete WSGI application: guards, /health, caller lookup (/lookup, /phonebook/…),
    then Radicale."""
    dav = BridgeApplication(radicale_configuration(max_content_length))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        if (path == "/lookup" or phonebooks.is_phonebook_path(path)) and method in ("GET", "HEAD"):
            handler = lookup.lookup if path == "/lookup" else phonebooks.phonebook
            began = time.perf_counter()
            reply = handler(environ)
            # Server-Timing (W3C): how long the server spent, for PBX operators and benchmarks
            took = f"app;dur={(time.perf_counter() - began) * 1000:.3f}"
            reply = dataclasses.replace(reply, headers={**reply.headers, "Server-Timing": took})
            return lookup.send(start_response, reply, head=method == "HEAD")
        if path == "/health" and method in ("GET", "HEAD"):
            bridge = api.current()
            conns = bridge.store.connections()
            body = json.dumps(
                {
                    "status": "ok",
                    "time": time.time(),
                    "connections": [
                        {
                            "id": c.id,
                            "provider": c.provider,
                            "status": c.status,
                            "last_sync": c.last_sync,
                        }
                        for c in conns
                    ],
                }
            )
            return _plain(start_response, 200, body, "application/json")
        wait = _login_wait(environ)
        if wait:
            return _plain(
                start_response,
                429,
                "Too many failed logins; try again later.",
                headers={"Retry-After": str(int(wait + 0.999))},
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > max_content_length:
            return _plain(
                start_response,
                413,
                f"The request body of {length} bytes exceeds "
                f"the limit of {max_content_length} bytes.",
            )
        if method == "PUT" and length:  # bounded above; buffered so it can be checked
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
        if method in _XML_METHODS and length:
            body = environ["wsgi.input"].read(length)
            try:
                if body.strip():
                    environ["davbridge.xml"] = SafeET.fromstring(body)
            except DefusedXmlException:
                return _plain(
                    start_response, 400, "XML with DTDs or entity declarations is refused."
                )
            except SafeET.ParseError as exc:
                return _plain(start_response, 400, f"Malformed XML request body: {exc}")
            environ["wsgi.input"] = io.BytesIO(body)
        return dav(environ, start_response)

    return app
