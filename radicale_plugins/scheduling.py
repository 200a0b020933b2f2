"""RFC 6638 (CalDAV scheduling) on the DAV side, for a bridge whose provider does the
scheduling (issue 16). Radicale has none of it, so this module answers what it needs:

- `advertised(start_response)`: `calendar-auto-schedule` added to every DAV header (RFC 6638
  §2: the server supports the scheduling extension).
- `principal_properties(root, ...)`: on the user's principal, CALDAV:schedule-inbox-URL,
  schedule-outbox-URL, schedule-default-calendar-URL, calendar-user-type (INDIVIDUAL) and a
  calendar-user-address-set holding mailto: of every connected account before the principal
  URL (RFC 6638 §2.2, §2.4.1, §9.2) — moved from Radicale's 404 propstat into its 200 one.
- `answer(...)`: the two scheduling collections below the principal: PROPFIND (resourcetype
  CALDAV:schedule-inbox / schedule-outbox, RFC 6638 §2.2.1, §2.1.1), the inbox's listing of
  the user's pending invitations (items of their calendars where their PARTSTAT is
  NEEDS-ACTION, served as METHOD:REQUEST) and the attendees' answers to their meetings
  (METHOD:REPLY), RFC 6638 §4.1; a DELETE takes a message out of the inbox (the event stays
  in the calendar as it is), and POST of a VFREEBUSY request to
  the outbox answered as CALDAV:schedule-response from the providers' availability APIs
  (RFC 6638 §5, §10.2). A POST of anything else is refused with 403: invitations go out
  through the provider when the event is PUT (SCHEDULE-AGENT=SERVER).
- `tag_of` / `tag_refusal`: the Schedule-Tag header on GET and PUT of scheduling objects and
  If-Schedule-Tag-Match on PUT/DELETE (RFC 6638 §3.2, §8.3).
Imports only radicale and bridge.api; keeps no state.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - only Radicale's own answers are parsed
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from radicale import xmlutils

from bridge import api
from radicale_plugins.refusals import CALDAV, Refusal

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"
INBOX, OUTBOX = "schedule-inbox", "schedule-outbox"
AUTO_SCHEDULE = "calendar-auto-schedule"
_PRINCIPAL_PROPS = (
    f"{CAL}schedule-inbox-URL",
    f"{CAL}schedule-outbox-URL",
    f"{CAL}schedule-default-calendar-URL",
    f"{CAL}calendar-user-address-set",
    f"{CAL}calendar-user-type",
)
_XML = "application/xml; charset=utf-8"


def advertised(start_response: Callable[..., Any]) -> Callable[..., Any]:
    def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
        headers = [
            (k, f"{v}, {AUTO_SCHEDULE}" if k.lower() == "dav" and AUTO_SCHEDULE not in v else v)
            for k, v in headers
        ]
        return start_response(status, headers, *rest)

    return start


def _href(base: str, *segments: str) -> str:
    return base + "/" + "".join(quote(s) + "/" for s in segments)


# -- the principal ---------------------------------------------------------------------------
def asked(answer: bytes) -> bool:
    """Whether Radicale's PROPFIND answer holds a scheduling property of a principal."""
    return b"calendar-user-" in answer or b"schedule-" in answer


def principal_properties(root: ET.Element, base: str, user: str) -> bool:
    """Fill the scheduling properties of `user`'s principal in Radicale's PROPFIND answer."""
    principal = _href(base, user)
    changed = False
    for response in root.findall(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        if unquote(href).rstrip("/") != unquote(principal).rstrip("/"):
            continue
        found = _found_prop(response)
        for propstat in response.findall(f"{DAV}propstat"):
            if "200" in (propstat.findtext(f"{DAV}status") or ""):
                continue
            prop = propstat.find(f"{DAV}prop")
            if prop is None:
                continue
            for element in list(prop):
                if element.tag in _PRINCIPAL_PROPS:
                    prop.remove(element)
                    found.append(_principal_value(element.tag, base, user))
                    changed = True
            if not list(prop):
                response.remove(propstat)
        for element in found.findall(f"{CAL}calendar-user-address-set"):
            _fill_addresses(element, user, principal)
            changed = True
    return changed


def _found_prop(response: ET.Element) -> ET.Element:
    for propstat in response.findall(f"{DAV}propstat"):
        if "200" in (propstat.findtext(f"{DAV}status") or ""):
            prop = propstat.find(f"{DAV}prop")
            if prop is not None:
                return prop
    propstat = ET.SubElement(response, f"{DAV}propstat")
    prop = ET.SubElement(propstat, f"{DAV}prop")
    ET.SubElement(propstat, f"{DAV}status").text = "HTTP/1.1 200 OK"
    return prop


def _principal_value(tag: str, base: str, user: str) -> ET.Element:
    element = ET.Element(tag)
    if tag == f"{CAL}schedule-inbox-URL":
        ET.SubElement(element, f"{DAV}href").text = _href(base, user, INBOX)
    elif tag == f"{CAL}schedule-outbox-URL":
        ET.SubElement(element, f"{DAV}href").text = _href(base, user, OUTBOX)
    elif tag == f"{CAL}schedule-default-calendar-URL":
        default = api.current().schedule_default_calendar(user)
        if default is not None:
            ET.SubElement(element, f"{DAV}href").text = _href(base, user, default.name)
    elif tag == f"{CAL}calendar-user-type":
        element.text = "INDIVIDUAL"
    return element


def _fill_addresses(element: ET.Element, user: str, principal: str) -> None:
    for child in list(element):
        element.remove(child)
    for address in api.current().scheduling_addresses(user):
        ET.SubElement(element, f"{DAV}href").text = address
    ET.SubElement(element, f"{DAV}href").text = principal


# -- the inbox and the outbox ------------------------------------------------------------------
def mailbox_of(path: str, user: str) -> tuple[str, str] | None:
    """(mailbox, item name or "") when `path` is one of `user`'s scheduling collections."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) < 2 or parts[1] not in (INBOX, OUTBOX) or len(parts) > 3:
        return None
    if parts[0] != user:
        return None
    return parts[1], parts[2] if len(parts) == 3 else ""


def is_mailbox_path(path: str) -> bool:
    parts = [p for p in path.strip("/").split("/") if p]
    return len(parts) in (2, 3) and parts[1] in (INBOX, OUTBOX)


Reply = tuple[int, dict[str, str], bytes]


def base_prefix(environ: dict[str, Any]) -> str:
    """Radicale's base prefix (X-Script-Name or SCRIPT_NAME, no trailing slash)."""
    return str(environ.get("HTTP_X_SCRIPT_NAME", environ.get("SCRIPT_NAME", ""))).rstrip("/")


def answer(environ: dict[str, Any], method: str, path: str, user: str, base: str) -> Reply:
    """The answer to `method` on a scheduling collection (or an inbox item) of `user`;
    BridgeError propagates (the DAV app maps it to its status)."""
    where = mailbox_of(path, user)
    if where is None:
        return _plain(403, "Only your own scheduling inbox and outbox can be used.")
    box, name = where
    if method == "OPTIONS":
        allow = "OPTIONS, PROPFIND, POST" if box == OUTBOX else "OPTIONS, PROPFIND, GET, DELETE"
        return 200, {"Allow": allow, "DAV": f"1, 2, 3, calendar-access, {AUTO_SCHEDULE}"}, b""
    if method == "PROPFIND":
        return _propfind(environ, box, name, user, base)
    if method == "POST" and box == OUTBOX and not name:
        return _post(environ, user)
    if method in ("GET", "HEAD") and box == INBOX and name:
        return _get(user, name)
    if method == "DELETE" and box == INBOX and name:
        if api.current().dismiss_inbox_message(user, name):  # RFC 6638 §4.1
            return 204, {}, b""
        return _plain(404, "No such message in the inbox.")
    if method == "REPORT":
        return _plain(403, "Scheduling collections are not searched; use PROPFIND.")
    return _plain(405, f"{method} is not supported on the scheduling {box}.")


def _plain(status: int, text: str) -> Reply:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


def _multistatus(responses: Iterable[ET.Element]) -> Reply:
    root = ET.Element(f"{DAV}multistatus")
    root.extend(responses)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return 207, {"Content-Type": _XML}, body


def _response(href: str, props: list[ET.Element]) -> ET.Element:
    response = ET.Element(f"{DAV}response")
    ET.SubElement(response, f"{DAV}href").text = href
    propstat = ET.SubElement(response, f"{DAV}propstat")
    prop = ET.SubElement(propstat, f"{DAV}prop")
    prop.extend(props)
    ET.SubElement(propstat, f"{DAV}status").text = "HTTP/1.1 200 OK"
    return response


def _el(tag: str, text: str | None = None, *children: ET.Element) -> ET.Element:
    element = ET.Element(tag)
    element.text = text
    element.extend(children)
    return element


def _collection_props(box: str, user: str, base: str) -> list[ET.Element]:
    kind = f"{CAL}schedule-inbox" if box == INBOX else f"{CAL}schedule-outbox"
    privilege = f"{CAL}schedule-deliver" if box == INBOX else f"{CAL}schedule-send"
    return [
        _el(f"{DAV}resourcetype", None, _el(f"{DAV}collection"), _el(kind)),
        _el(f"{DAV}displayname", "Scheduling inbox" if box == INBOX else "Scheduling outbox"),
        _el(
            f"{DAV}current-user-privilege-set",
            None,
            _el(f"{DAV}privilege", None, _el(f"{DAV}read")),
            _el(f"{DAV}privilege", None, _el(privilege)),
            # the inbox's messages may be deleted (RFC 6638 §4.1, RFC 3744 DAV:unbind)
            *([_el(f"{DAV}privilege", None, _el(f"{DAV}unbind"))] if box == INBOX else []),
        ),
        _el(f"{DAV}owner", None, _el(f"{DAV}href", _href(base, user))),
    ]


def _pending(user: str) -> list[tuple[str, str, str]]:
    """(inbox name, etag, iTIP text) of each message in `user`'s inbox."""
    return api.current().schedule_inbox(user)


def _propfind(environ: dict[str, Any], box: str, name: str, user: str, base: str) -> Reply:
    depth = str(environ.get("HTTP_DEPTH", "1"))
    if name:
        for item_name, etag, text in _pending(user):
            if item_name == name:
                return _multistatus(
                    [
                        _response(
                            _href(base, user, box)[:-1] + "/" + quote(name), _item_props(etag, text)
                        )
                    ]
                )
        return _plain(404, "No such message in the inbox.")
    responses = [_response(_href(base, user, box), _collection_props(box, user, base))]
    if depth != "0" and box == INBOX:
        for item_name, etag, text in _pending(user):
            href = _href(base, user, box) + quote(item_name)
            responses.append(_response(href, _item_props(etag, text)))
    return _multistatus(responses)


def _item_props(etag: str, text: str) -> list[ET.Element]:
    return [
        _el(f"{DAV}resourcetype"),
        _el(f"{DAV}getetag", etag),
        _el(f"{DAV}getcontenttype", "text/calendar; charset=utf-8; component=VEVENT"),
        _el(f"{DAV}getcontentlength", str(len(text.encode()))),
    ]


def _get(user: str, name: str) -> Reply:
    for item_name, etag, text in _pending(user):
        if item_name == name:
            headers = {"Content-Type": "text/calendar; charset=utf-8", "ETag": etag}
            return 200, headers, text.encode()
    return _plain(404, "No such message in the inbox.")


def _post(environ: dict[str, Any], user: str) -> Reply:
    body = _body(environ)
    if b"VFREEBUSY" not in body.upper():
        refusal = Refusal(
            403,
            "Only free/busy requests are POSTed here; invitations and replies are sent by your "
            "provider when you save the event (scheduling is done by the server).",
            (CALDAV, "valid-scheduling-message"),
        )
        content_type, data = refusal.body()
        return 403, {"Content-Type": content_type}, data
    try:
        answers = api.current().free_busy(user, body.decode("utf-8"))
    except UnicodeDecodeError:
        return _plain(400, "The free/busy request is not UTF-8.")
    root = ET.Element(f"{CAL}schedule-response")
    for one in answers:
        response = ET.SubElement(root, f"{CAL}response")
        recipient = ET.SubElement(response, f"{CAL}recipient")
        ET.SubElement(recipient, f"{DAV}href").text = one.recipient
        ET.SubElement(response, f"{CAL}request-status").text = one.status
        if one.calendar_data:
            ET.SubElement(response, f"{CAL}calendar-data").text = one.calendar_data
    text = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return 200, {"Content-Type": _XML}, text


def _body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return stream.read(length) if stream is not None and length > 0 else b""


# -- Schedule-Tag ------------------------------------------------------------------------------
def tag_of(text: str) -> str | None:
    return api.current().schedule_tag(text)


def stored_text(user: str, path: str) -> str | None:
    """The mirrored text of the calendar object at `path` of `user` (None: none there)."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if len(parts) != 3 or parts[0] != user:
        return None
    bridge = api.current()
    coll = bridge.collection(user, parts[1])
    if coll is None or coll.kind.value != "calendar":
        return None
    item = bridge.items_by_href(coll, [parts[2]]).get(parts[2])
    return item.text if item is not None else None


def with_tag(headers: Any, text: str | None) -> dict[str, str]:
    """`headers` with the Schedule-Tag of `text` when it is a scheduling object."""
    out = dict(headers)
    tag = tag_of(text) if text else None
    if tag is not None:
        out["Schedule-Tag"] = tag
    return out


def tag_refusal(environ: Mapping[str, Any], current_text: str | None) -> Refusal | None:
    """RFC 6638 §3.2.10 If-Schedule-Tag-Match: 412 when the stored object's tag differs."""
    wanted = environ.get("HTTP_IF_SCHEDULE_TAG_MATCH")
    if wanted is None:
        return None
    current = tag_of(current_text) if current_text else None
    if current is not None and current == wanted.strip():
        return None
    return Refusal(
        412,
        "The organizer changed this event since your copy (If-Schedule-Tag-Match); "
        "reload it and apply your change again.",
    )


assert xmlutils.NAMESPACES  # importing xmlutils registers Radicale's prefixes with ET
