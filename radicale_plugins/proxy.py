"""Calendar user proxies for Apple clients (SPEC C7, issue 15 point 4).

Implements CalendarServer's "Calendar User Proxy Functionality in CalDAV" (caldav-cu-proxy,
github.com/apple/ccs-calendarserver doc/Extensions/caldav-proxy.xml) over what davbridge knows:
bridge-level grants and calendars delegated at the provider whose owner is a user here
(bridge.api.Bridge.proxy_rights).

- Each principal /U/ has two child group principals, /U/calendar-proxy-read/ and
  /U/calendar-proxy-write/, with DAV:resourcetype DAV:principal + CS:calendar-proxy-read|write
  and DAV:group-member-set listing the principals who may read (read and write) U's calendars
  ("Proxy Principal Resource"). Only U reads them; changing DAV:group-member-set is refused
  with a reason (grants are given by an administrator in the portal or the CLI).
- On U's principal: DAV:group-membership (the proxy groups U is a member of, RFC 3744 §4.4),
  CS:calendar-proxy-read-for and CS:calendar-proxy-write-for ("New Principal Properties"),
  filled into Radicale's PROPFIND answer, which lists the two groups as children at Depth 1.
- DAV:expand-property REPORT (RFC 3253 §3.8) on U's principal for those properties, which
  Apple Calendar's Delegation pane sends (Radicale answers it empty).
- "calendar-proxy" in the DAV header of OPTIONS ("Feature Discovery").
Imports bridge.api, radicale's xmlutils and the standard library; never decides who is a proxy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parsed request trees come from the guards
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from radicale import pathutils, xmlutils

from bridge import api

DAV = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
GROUPS = {"calendar-proxy-read": "read", "calendar-proxy-write": "write"}
MEMBERSHIP = f"{DAV}group-membership"
MEMBER_SET = f"{DAV}group-member-set"
READ_FOR = f"{CS}calendar-proxy-read-for"
WRITE_FOR = f"{CS}calendar-proxy-write-for"
PRINCIPAL_PROPS = (MEMBERSHIP, READ_FOR, WRITE_FOR)
_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"
assert xmlutils.NAMESPACES  # importing xmlutils registers Radicale's prefixes with ET


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def base_of(environ: dict[str, Any]) -> str:
    """Radicale's base prefix (X-Script-Name or SCRIPT_NAME, no trailing slash)."""
    prefix = str(environ.get("HTTP_X_SCRIPT_NAME", environ.get("SCRIPT_NAME", "")))
    return prefix.rstrip("/")


def _href(base: str, *parts: str) -> str:
    return base + "/" + "".join(f"{p}/" for p in parts)


def _xml(root: ET.Element, status: int = 207) -> Answer:
    body = _DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Answer(status, {"Content-Type": "text/xml; charset=utf-8"}, body)


def _text(status: int, text: str) -> Answer:
    return Answer(status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())


def principal_values(user: str, base: str) -> dict[str, list[str]]:
    """Hrefs of U's group-membership, calendar-proxy-read-for and -write-for."""
    rights = api.current().proxy_rights(user)
    membership = [_href(base, o, "calendar-proxy-read") for o in rights.read_for]
    membership += [_href(base, o, "calendar-proxy-write") for o in rights.write_for]
    return {
        MEMBERSHIP: membership,
        READ_FOR: [_href(base, o) for o in rights.read_for],
        WRITE_FOR: [_href(base, o) for o in rights.write_for],
    }


def group_members(user: str, which: str, base: str) -> list[str]:
    rights = api.current().proxy_rights(user)
    names = rights.write if which == "write" else rights.read
    return [_href(base, n) for n in names]


def _split(path: str) -> list[str]:
    sane = pathutils.strip_path(pathutils.sanitize_path(path))
    return sane.split("/") if sane else []


def _hrefs(parent: ET.Element, hrefs: Iterable[str]) -> ET.Element:
    for h in hrefs:
        ET.SubElement(parent, f"{DAV}href").text = h
    return parent


def _asked(root: ET.Element) -> list[str] | None:
    """The property names a PROPFIND asks for; None for allprop / an empty body."""
    prop = root.find(f"{DAV}prop")
    return None if prop is None else [child.tag for child in prop]


def _propstats(response: ET.Element, found: dict[str, ET.Element], missing: list[str]) -> None:
    if found:
        ok = ET.SubElement(response, f"{DAV}propstat")
        prop = ET.SubElement(ok, f"{DAV}prop")
        for element in found.values():
            prop.append(element)
        ET.SubElement(ok, f"{DAV}status").text = "HTTP/1.1 200 OK"
    if missing:
        gone = ET.SubElement(response, f"{DAV}propstat")
        prop = ET.SubElement(gone, f"{DAV}prop")
        for tag in missing:
            ET.SubElement(prop, tag)
        ET.SubElement(gone, f"{DAV}status").text = "HTTP/1.1 404 Not Found"


def group_response(user: str, group: str, base: str, asked: list[str] | None) -> ET.Element:
    """One proxy group principal as a D:response with the properties asked for."""
    which = GROUPS[group]
    values: dict[str, ET.Element] = {}
    rtype = ET.Element(f"{DAV}resourcetype")
    ET.SubElement(rtype, f"{DAV}principal")
    ET.SubElement(rtype, f"{CS}{group}")
    values[rtype.tag] = rtype
    name = ET.Element(f"{DAV}displayname")
    name.text = f"{user}: calendar {'read-write' if which == 'write' else 'read-only'} proxies"
    values[name.tag] = name
    values[MEMBER_SET] = _hrefs(ET.Element(MEMBER_SET), group_members(user, which, base))
    values[MEMBERSHIP] = ET.Element(MEMBERSHIP)
    values[f"{DAV}principal-URL"] = _hrefs(
        ET.Element(f"{DAV}principal-URL"), [_href(base, user, group)]
    )
    response = ET.Element(f"{DAV}response")
    ET.SubElement(response, f"{DAV}href").text = _href(base, user, group)
    wanted = list(values) if asked is None else asked
    _propstats(
        response,
        {t: values[t] for t in wanted if t in values},
        [t for t in wanted if t not in values],
    )
    return response


def answer(environ: dict[str, Any], user: str, base: str) -> Answer | None:
    """What davbridge answers itself for proxy requests; None: Radicale answers."""
    method = str(environ.get("REQUEST_METHOD", "")).upper()
    parts = _split(str(environ.get("PATH_INFO", "")))
    if len(parts) == 2 and parts[1] in GROUPS:
        if parts[0] != user:
            return _text(403, "Only the owner of a principal sees who their proxies are.")
        if method == "PROPFIND":
            root = environ.get("davbridge.xml")
            asked = _asked(root) if isinstance(root, ET.Element) else None
            multistatus = ET.Element(f"{DAV}multistatus")
            multistatus.append(group_response(user, parts[1], base, asked))
            return _xml(multistatus)
        if method == "PROPPATCH":
            return _text(
                403,
                "Proxies are given by your administrator in the davbridge portal "
                "(Calendar access) or with `davbridge grant add`; see also your portal page "
                "'Who sees my calendars'.",
            )
        if method in ("GET", "HEAD", "OPTIONS"):
            return None
        return _text(405, f"{method} is not supported on a proxy group.")
    root = environ.get("davbridge.xml")
    if (
        method == "REPORT"
        and isinstance(root, ET.Element)
        and root.tag == f"{DAV}expand-property"
        and parts == [user]
    ):
        return _xml(expand(root, user, base))
    return None


def _principal_props(name: str, base: str, asked: list[ET.Element]) -> ET.Element:
    """A principal's D:response for an expand-property level: display name, addresses."""
    user = api.current().user_by_name(name)
    email = user.email if user is not None else None
    values: dict[str, ET.Element] = {}
    display = ET.Element(f"{DAV}displayname")
    display.text = name
    values[display.tag] = display
    values[f"{DAV}principal-URL"] = _hrefs(ET.Element(f"{DAV}principal-URL"), [_href(base, name)])
    cuas = ET.Element(f"{CALDAV}calendar-user-address-set")
    if email:
        _hrefs(cuas, [f"mailto:{email}"])
    _hrefs(cuas, [_href(base, name)])
    values[cuas.tag] = cuas
    emails = ET.Element(f"{CS}email-address-set")
    if email:
        ET.SubElement(emails, f"{CS}email-address").text = email
    values[emails.tag] = emails
    values[f"{CALDAV}calendar-home-set"] = _hrefs(
        ET.Element(f"{CALDAV}calendar-home-set"), [_href(base, name)]
    )
    response = ET.Element(f"{DAV}response")
    ET.SubElement(response, f"{DAV}href").text = _href(base, name)
    tags = [_tag(p) for p in asked]
    _propstats(
        response, {t: values[t] for t in tags if t in values}, [t for t in tags if t not in values]
    )
    return response


def _tag(prop: ET.Element) -> str:
    namespace, name = prop.get("namespace", "DAV:"), prop.get("name", "")
    return "{" + namespace + "}" + name


def expand(root: ET.Element, user: str, base: str) -> ET.Element:
    """RFC 3253 §3.8 for the proxy properties of U's principal: each href replaced by the
    D:response of that principal with the nested properties asked for."""
    values = principal_values(user, base)
    multistatus = ET.Element(f"{DAV}multistatus")
    response = ET.SubElement(multistatus, f"{DAV}response")
    ET.SubElement(response, f"{DAV}href").text = _href(base, user)
    found: dict[str, ET.Element] = {}
    missing: list[str] = []
    for prop in root.findall(f"{DAV}property"):
        tag = _tag(prop)
        if tag not in values:
            missing.append(tag)
            continue
        element = ET.Element(tag)
        nested = prop.findall(f"{DAV}property")
        for href in values[tag]:
            name = _split(href[len(base) :])[0]
            if nested and tag != MEMBERSHIP:
                element.append(_principal_props(name, base, nested))
            else:
                ET.SubElement(element, f"{DAV}href").text = href
        found[tag] = element
    _propstats(response, found, missing)
    return multistatus


def amend_principal(answer_xml: bytes, user: str, path: str, base: str, depth: str) -> bytes:
    """Radicale's PROPFIND answer on U's principal with the proxy properties filled in (they
    are 404 there) and, at Depth 1, the two proxy groups as children."""
    parts = _split(path)
    if parts != [user]:
        return answer_xml
    root = ET.fromstring(answer_xml)  # noqa: S314 - Radicale's own serialised answer
    own = _href(base, user)
    values: dict[str, list[str]] | None = None
    asked: list[str] = []
    changed = False
    for response in root.findall(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        if href.rstrip("/") != own.rstrip("/"):
            continue
        for propstat in response.findall(f"{DAV}propstat"):
            status = propstat.findtext(f"{DAV}status") or ""
            prop = propstat.find(f"{DAV}prop")
            if prop is None:
                continue
            asked += [c.tag for c in prop]
            if " 404 " not in status:
                continue
            ours = [c for c in prop if c.tag in PRINCIPAL_PROPS]
            if not ours:
                continue
            if values is None:
                values = principal_values(user, base)
            for child in ours:
                prop.remove(child)
            if not len(prop):
                response.remove(propstat)
            ok = ET.SubElement(response, f"{DAV}propstat")
            okprop = ET.SubElement(ok, f"{DAV}prop")
            for child in ours:
                _hrefs(ET.SubElement(okprop, child.tag), values[child.tag])
            ET.SubElement(ok, f"{DAV}status").text = "HTTP/1.1 200 OK"
            changed = True
    if depth == "1" and asked:
        for group in GROUPS:
            root.append(group_response(user, group, base, list(dict.fromkeys(asked))))
        changed = True
    if not changed:
        return answer_xml
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return _DECLARATION + written
