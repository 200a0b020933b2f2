"""How the DAV server says no: one `Refusal` type rendered either as plain text with a message
or, where WebDAV/CalDAV/CardDAV define a precondition, as an XML `DAV:error` body naming it
(RFC 4918 §16, RFC 4791 §1.3 and §5.3.2.1, RFC 6352 §6.3.2.1, RFC 3253 §3.6).

The XML body carries the precondition element and a `B:message` element (davbridge's
namespace) saying the same in words. A write past a `[limits]` option is refused with the
CalDAV precondition of that limit (CALDAV:max-attendees-per-instance, min-date-time,
max-date-time, max-instances) or, where no RFC defines one, an element named after the option
in davbridge's namespace (`B:description-chars`, `B:tels-per-contact`,
`B:components-per-resource`, `B:instances-per-expansion`). Plain-text bodies always carry exactly one charset
parameter. This module does not decide *when* to refuse; it only renders.
Imports only the standard library and radicale's types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http import client
from typing import Any
from xml.sax import saxutils

from radicale import types as rtypes

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
BRIDGE = "http://davbridge.org/ns/"
_PREFIX = {DAV: "D", CALDAV: "C", CARDDAV: "CR", BRIDGE: "B"}

#: `[limits]` options with a CalDAV precondition of their own (RFC 4791 §5.3.2.1, the
#: properties of §5.2.6–5.2.9); every other limit is named by an element in davbridge's
#: namespace, e.g. `B:tels-per-contact`.
_LIMIT_CONDITIONS = {
    "attendees_per_event": (CALDAV, "max-attendees-per-instance"),
    "min_year": (CALDAV, "min-date-time"),
    "max_year": (CALDAV, "max-date-time"),
}
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Refusal:
    """An answer to a request that davbridge will not carry out. `condition` is the
    precondition element as (namespace, local name), e.g. (CALDAV, "valid-calendar-data");
    `href` goes inside it where the RFC puts one (no-uid-conflict)."""

    status: int
    message: str
    condition: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    href: str | None = None

    def body(self) -> tuple[str, bytes]:
        """(Content-Type, body bytes)."""
        if self.condition is None:
            return TEXT, (self.message + "\n").encode("utf-8")
        namespace, name = self.condition
        prefix = _PREFIX[namespace]
        inner = f"<D:href>{saxutils.escape(self.href)}</D:href>" if self.href else ""
        xml = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<D:error xmlns:D="DAV:" xmlns:C="{CALDAV}" xmlns:CR="{CARDDAV}" xmlns:B="{BRIDGE}">'
            f"<{prefix}:{name}>{inner}</{prefix}:{name}>"
            f"<B:message>{saxutils.escape(self.message)}</B:message></D:error>\n"
        )
        return "application/xml; charset=utf-8", xml.encode("utf-8")

    def as_radicale(self) -> rtypes.WSGIResponse:
        """For a `do_*` method of Radicale's Application. The body is bytes so that Radicale
        adds no second charset parameter."""
        content_type, data = self.body()
        return self.status, {"Content-Type": content_type, **self.headers}, data, None

    def send(self, start_response: Callable[..., Any]) -> list[bytes]:
        """For the WSGI layer in front of Radicale."""
        content_type, data = self.body()
        start_response(
            f"{self.status} {client.responses.get(self.status, '')}",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(data))),
                *self.headers.items(),
            ],
        )
        return [data]


def limit_condition(limit: str) -> tuple[str, str]:
    """The precondition element for a `[limits]` option a write went past."""
    return _LIMIT_CONDITIONS.get(limit, (BRIDGE, limit.replace("_", "-")))


def limit_refusal(limit: str, message: str) -> Refusal:
    """403 with the precondition of `limit` and the message naming the option and value."""
    return Refusal(403, message, limit_condition(limit))


def unauthorized(message: str, realm: str) -> Refusal:
    return Refusal(
        401, message, headers={"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'}
    )
