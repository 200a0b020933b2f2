"""Hypothesis generators of hostile DAV input: request paths, headers, iCalendar and vCard
bodies, and WebDAV/CalDAV/CardDAV XML (PROPFIND, REPORT, PROPPATCH).

Most of what they make is invalid on purpose (RFC 5545/6350 structure broken, dates out of range,
XML malformed or hostile), some of it is valid. Sizes stay small: the linear-time limits have their
own growth tests; here the point is breadth. Generators only, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import strategies as st

PROVIDERS = ("m365", "google", "exchange")
CALENDARS = tuple(f"/demo/projects-{p}/" for p in PROVIDERS)
ADDRESSBOOKS = ("/demo/contacts-m365/", "/demo/my-contacts-google/", "/demo/contacts-exchange/")
READ_ONLY = ("/demo/team-holidays-megan-bowen-m365/", "/demo/team-holidays-google/")

DAV, CALDAV, CARDDAV = "DAV:", "urn:ietf:params:xml:ns:caldav", "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"


@dataclass(frozen=True)
class Probe:
    """One HTTP request, exactly as sent (path is raw: already percent-encoded or not)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    authorization: str | None = None  # None: the demo user's Basic credentials

    def describe(self) -> str:
        who = "" if self.authorization is None else f" Authorization={self.authorization!r}"
        return (
            f"{self.method} {self.path} headers={dict(self.headers)!r}{who} "
            f"body={self.body[:400]!r}"
        )


# -- paths ------------------------------------------------------------------------------------

_TRICKY_SEGMENTS = (
    "demo",
    "projects-m365",
    "calendar-google",
    "contacts-exchange",
    "team-holidays-google",
    ".well-known",
    "caldav",
    "carddav",
    "health",
    "lookup",
    "..",
    ".",
    "%2e%2e",
    "%2E",
    "%2e",
    "%C0%AE%C0%AE",
    "%C0%AF",
    "%E0%80%AE",
    "%00",
    "%0a",
    "%0d%0a",
    "%ff",
    "%fe%ff",
    "%E2%82%AC",
    "a%2Fb",
    "a%5cb",
    "%",
    "%z",
    "%zz",
    "%2",
    ";",
    ";x=1",
    "x.ics",
    "x.vcf",
    "x.ics.ics",
    "~",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "CON",
    "nul",
    "a" * 300,
    "%25",
    "%252e%252e",
    "*",
    "@",
    "demo2",
)


def _segment() -> st.SearchStrategy[str]:
    free = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12
    ).map(lambda s: quote(s, safe=""))
    return st.one_of(st.sampled_from(_TRICKY_SEGMENTS), free)


def paths() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(("/", "/demo/", *CALENDARS, *ADDRESSBOOKS, *READ_ONLY, "//", ""))
    return st.builds(
        lambda pre, segs, slash: pre + "/".join(segs) + ("/" if slash else ""),
        prefix,
        st.lists(_segment(), max_size=4),
        st.booleans(),
    )


# -- headers ----------------------------------------------------------------------------------

_latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)

_HEADER_VALUES: dict[str, st.SearchStrategy[str]] = {
    "Depth": st.sampled_from(("0", "1", "infinity", "2", "-1", "", "1 ", "one", "0,1")),
    "Content-Type": st.sampled_from(
        (
            "text/calendar",
            "text/calendar; charset=utf-8",
            "text/calendar; charset=x-unknown-charset",
            "text/calendar; charset=utf-16",
            "text/vcard",
            "text/vcard; charset=latin1",
            "application/xml",
            "text/xml; charset=nope",
            "application/json",
            "multipart/form-data; boundary=x",
            "",
            ";;;",
            "text/calendar; charset=",
            "text/calendar; component=vtodo",
        )
    ),
    "If-Match": st.one_of(st.sampled_from(('"x"', "*", 'W/"1"', '""', "garbage")), _latin1),
    "If-None-Match": st.one_of(st.sampled_from(("*", '"x"', "")), _latin1),
    "If": st.one_of(st.sampled_from(('(<urn:x> ["e"])', "(Not <DAV:no-lock>)", "(")), _latin1),
    "Destination": st.one_of(
        st.sampled_from(
            (
                "http://example.com/demo/projects-m365/x.ics",
                "/demo/projects-google/moved.ics",
                "http://127.0.0.1:1/x",
                "",
                "::::",
                "/demo/../../etc/passwd",
            )
        ),
        _latin1,
    ),
    "Overwrite": st.sampled_from(("T", "F", "x", "")),
    "Prefer": st.sampled_from(("return=minimal", "return=representation", "depth-noroot", "x")),
    "Brief": st.sampled_from(("t", "f", "x")),
    "Range": st.sampled_from(("bytes=0-10", "bytes=-1", "bytes=9999999-", "bytes=x")),
    "Accept": st.sampled_from(("text/calendar", "*/*", "application/calendar+json", "x/y;q=")),
    "Accept-Encoding": st.sampled_from(("gzip", "br", "identity;q=0", "x")),
    "X-HTTP-Method-Override": st.sampled_from(("DELETE", "PUT", "X")),
    "Timeout": st.sampled_from(("Second-1", "Infinite", "x")),
}


def headers() -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    keys = st.lists(st.sampled_from(sorted(_HEADER_VALUES)), unique=True, max_size=4)
    return keys.flatmap(
        lambda ks: st.tuples(*(st.tuples(st.just(k), _HEADER_VALUES[k]) for k in ks))
    )


def bad_credentials() -> st.SearchStrategy[str]:
    """Authorization header values that are not a valid Basic credential of any user."""
    import base64

    def basic(raw: bytes) -> str:
        return "Basic " + base64.b64encode(raw).decode()

    raw = st.one_of(
        st.sampled_from(
            (
                "démo:pässwörd".encode(),
                "démo:pässwörd".encode("latin-1"),
                b"nocolon",
                b":",
                b"demo:",
                b":pw",
                b"\xff\xfe:\x00",
                b"demo:wrong\x00",
            )
        ),
        st.binary(max_size=30),
    ).map(basic)
    return st.one_of(
        raw,
        st.sampled_from(
            (
                "Basic",
                "Basic ",
                "Basic !!!!",
                "Basic ====",
                "Bearer x",
                "Digest x",
                "",
                "basic Zm9v",
            )
        ),
    )


# -- iCalendar (RFC 5545) ---------------------------------------------------------------------

_DATES = (
    "20270101T090000Z",
    "20270101T100000Z",
    "20270101",
    "00010101T000000Z",
    "99991231T235959Z",
    "20261340T256161Z",
    "2027-01-01T09:00:00Z",
    "",
    "x",
    "20270101T090000",
    "19000101T000000Z",
    "20270229T090000Z",
    "20270101T090000ZZ",
    "-20270101T090000Z",
    "99999999T999999Z",
)
_PROPS = (
    "SUMMARY:{t}",
    "DESCRIPTION:{t}",
    "LOCATION:{t}",
    "DTSTART:{d}",
    "DTEND:{d}",
    "DUE:{d}",
    "DTSTART;VALUE=DATE:{d}",
    "DTSTART;TZID=Nowhere/Zone:{d}",
    "DTSTART;TZID=Europe/Berlin:{d}",
    "DURATION:P99999999W",
    "DURATION:PT1H",
    "DURATION:-PT1H",
    "DURATION:P",
    "DURATION:{t}",
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=DAILY;COUNT=100000",
    "RRULE:FREQ=WEEKLY;UNTIL={d}",
    "RRULE:FREQ=YEARLY;BYMONTH=13",
    "RRULE:FREQ=MONTHLY;BYDAY=9XX",
    "RRULE:{t}",
    "RRULE:",
    "RDATE:{d}",
    "EXDATE:{d}",
    "RECURRENCE-ID:{d}",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:{d}",
    "ATTENDEE;CN={t}:mailto:a@example.com",
    "ATTENDEE:{t}",
    "ORGANIZER:mailto:{t}",
    "ATTENDEE;PARTSTAT=X;RSVP=MAYBE:mailto:b@example.com",
    "STATUS:{t}",
    "CLASS:{t}",
    "SEQUENCE:{t}",
    "SEQUENCE:-1",
    "SEQUENCE:99999999999999999999",
    "PRIORITY:10",
    "TRANSP:{t}",
    "CATEGORIES:{t},{t}",
    "URL:{t}",
    "GEO:{t}",
    "GEO:91;181",
    'X-FOO;X="{t}":{t}',
    "ATTACH;ENCODING=BASE64;VALUE=BINARY:{t}",
    "UID:{t}",
    "UID:",
    "DTSTAMP:{d}",
    "CREATED:{d}",
    "BEGIN:VALARM",
    "END:VALARM",
    "TRIGGER:{t}",
    "ACTION:DISPLAY",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VTODO",
    "END:VTODO",
    "BEGIN:VTIMEZONE",
    "END:VTIMEZONE",
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "METHOD:REQUEST",
    "VERSION:1.0",
    "{t}",
    ":{t}",
    ";;;:",
    " continued {t}",
)


def _text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            (
                "https://zoom.us/j/123456789?pwd=abc",
                "\\n\\,\\;",
                "\\",
                "a" * 2000,
                "<b>html</b>&amp;",
                "\u202e\u0000\ufeff",
                "\\N",
                "=?utf-8?q?x?=",
            )
        ),
    )


def _line() -> st.SearchStrategy[str]:
    return st.builds(
        lambda tpl, t, d: tpl.replace("{t}", t).replace("{d}", d),
        st.sampled_from(_PROPS),
        _text(),
        st.sampled_from(_DATES),
    )


def _mutate(lines: list[str], data: st.DataObject) -> list[str]:
    ops = data.draw(st.lists(st.integers(0, 5), max_size=4), label="mutations")
    for op in ops:
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1), label="at")
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, data.draw(_line(), label="insert"))
        elif op == 2:
            lines[i] = data.draw(_line(), label="replace")
        elif op == 3:
            lines.insert(i, lines[i])
        elif op == 4:
            j = data.draw(st.integers(0, len(lines) - 1), label="swap")
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])), label="cut")]
    return lines


def _encode(text: str, data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(("crlf", "crlf", "lf", "cr", "latin1", "utf16", "junk")))
    if how == "lf":
        return text.replace("\r\n", "\n").encode("utf-8", "surrogatepass")
    if how == "cr":
        return text.replace("\r\n", "\r").encode("utf-8", "surrogatepass")
    if how == "latin1":
        return text.encode("latin-1", "replace")
    if how == "utf16":
        return text.encode("utf-16")
    raw = text.encode("utf-8", "surrogatepass")
    if how == "junk":
        at = data.draw(st.integers(0, len(raw)))
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return raw


def icalendar(data: st.DataObject, uid: str) -> bytes:
    """A VCALENDAR with one VEVENT around `uid`, then 0–4 random mutations."""
    start = data.draw(st.sampled_from(_DATES[:3]), label="start")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davbridge fuzz//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start}",
        "DTEND:20270101T100000Z" if "T" in start else "DTEND;VALUE=DATE:20270102",
        f"SUMMARY:Fuzz {uid}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return _encode("\r\n".join(_mutate(lines, data)) + "\r\n", data)


_VPROPS = (
    "FN:{t}",
    "N:{t};{t};;;",
    "N:{t}",
    "TEL:{t}",
    "TEL;TYPE=cell:+1 555 0100",
    "TEL;TYPE={t}:{t}",
    "EMAIL:{t}",
    "EMAIL;TYPE=work:a@example.com",
    "ADR:;;{t};{t};;;{t}",
    "ADR:{t}",
    "ORG:{t};{t}",
    "TITLE:{t}",
    "BDAY:{d}",
    "BDAY:--0229",
    "BDAY:00010101",
    "ANNIVERSARY:{t}",
    "NOTE:{t}",
    "PHOTO;ENCODING=b;TYPE=JPEG:{t}",
    "PHOTO:data:image/png;base64,{t}",
    "URL:{t}",
    "UID:{t}",
    "UID:",
    "VERSION:2.1",
    "VERSION:{t}",
    "CATEGORIES:{t}",
    "X-ABLabel:{t}",
    "item1.TEL:{t}",
    "KIND:group",
    "MEMBER:urn:uuid:{t}",
    "BEGIN:VCARD",
    "END:VCARD",
    "{t}",
    ":{t}",
    " {t}",
    "IMPP:{t}",
    "GEO:{t}",
    "TZ:{t}",
    "REV:{d}",
    "NICKNAME:{t},{t}",
    "RELATED:{t}",
)


def vcard(data: st.DataObject, uid: str) -> bytes:
    version = data.draw(st.sampled_from(("3.0", "4.0")), label="version")
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"UID:{uid}",
        f"FN:Fuzz {uid}",
        "N:Fuzz;Person;;;",
        "TEL;TYPE=cell:+1 555 0100",
        "EMAIL:fuzz@example.com",
        "END:VCARD",
    ]
    ops = data.draw(st.lists(st.integers(0, 4), max_size=4), label="mutations")
    for op in ops:
        i = data.draw(st.integers(0, len(lines) - 1), label="at")
        new = data.draw(
            st.builds(
                lambda tpl, t, d: tpl.replace("{t}", t).replace("{d}", d),
                st.sampled_from(_VPROPS),
                _text(),
                st.sampled_from(_DATES),
            ),
            label="line",
        )
        if op == 0 and len(lines) > 1:
            del lines[i]
        elif op == 1:
            lines.insert(i, new)
        elif op == 2:
            lines[i] = new
        elif op == 3:
            lines.extend(lines[1:-1] * 2)  # repeated properties
        else:
            lines.insert(i, lines[i])
    return _encode("\r\n".join(lines) + "\r\n", data)


# -- XML (RFC 4918, 4791, 6352, 6578) ---------------------------------------------------------

_NAMESPACES = (DAV, DAV, DAV, CALDAV, CALDAV, CARDDAV, CS, "urn:x-fuzz", "")
_NAMES = (
    "propfind",
    "prop",
    "allprop",
    "propname",
    "include",
    "getetag",
    "displayname",
    "resourcetype",
    "sync-token",
    "sync-level",
    "limit",
    "nresults",
    "href",
    "calendar-data",
    "address-data",
    "calendar-query",
    "calendar-multiget",
    "addressbook-query",
    "addressbook-multiget",
    "sync-collection",
    "filter",
    "comp-filter",
    "prop-filter",
    "param-filter",
    "text-match",
    "time-range",
    "is-not-defined",
    "expand",
    "limit-recurrence-set",
    "limit-freebusy-set",
    "free-busy-query",
    "comp",
    "propertyupdate",
    "set",
    "remove",
    "getctag",
    "current-user-principal",
    "calendar-home-set",
    "supported-report-set",
    "principal-property-search",
    "expand-property",
    "lockinfo",
    "calendar-color",
    "calendar-description",
    "getcontenttype",
    "owner",
    "acl",
)
_ATTRS = (
    ("name", st.sampled_from(("VCALENDAR", "VEVENT", "VTODO", "UID", "SUMMARY", "FN", "X", ""))),
    ("start", st.sampled_from(("00010101T000000Z", "20260101T000000Z", "x", "99991231T235959Z"))),
    ("end", st.sampled_from(("99991231T235959Z", "20270101T000000Z", "", "00010101T000000Z"))),
    ("collation", st.sampled_from(("i;ascii-casemap", "i;unicode-casemap", "i;octet", "x;y"))),
    ("match-type", st.sampled_from(("contains", "equals", "starts-with", "x"))),
    ("negate-condition", st.sampled_from(("yes", "no", "maybe"))),
    ("test", st.sampled_from(("anyof", "allof", "x"))),
    ("content-type", st.sampled_from(("text/calendar", "text/vcard", "application/json", "x"))),
    ("version", st.sampled_from(("2.0", "3.0", "4.0", "x"))),
)


@dataclass(frozen=True)
class Node:
    ns: str
    name: str
    attrs: tuple[tuple[str, str], ...]
    text: str
    children: tuple[Node, ...]


def _xml_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(
            (
                "/demo/projects-m365/x.ics",
                "/demo/projects-google/",
                "http://davbridge.org/ns/sync/0-1",
                "http://davbridge.org/ns/sync/ffffffffffff-99999999999",
                "data:,x",
                "1",
                "-1",
                "99999999999",
                "/demo/projects-m365/%C0%AE%C0%AE/",
                "../../../etc/passwd",
            )
        ),
        st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20),
    )


def nodes() -> st.SearchStrategy[Node]:
    leaf = st.builds(
        Node,
        st.sampled_from(_NAMESPACES),
        st.sampled_from(_NAMES),
        st.lists(st.sampled_from(_ATTRS), max_size=2, unique_by=lambda a: a[0]).flatmap(
            lambda attrs: st.tuples(*(st.tuples(st.just(k), v) for k, v in attrs))
        ),
        _xml_text(),
        st.just(()),
    )
    return st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda n, ch: Node(n.ns, n.name, n.attrs, n.text, tuple(ch)),
            leaf,
            st.lists(kids, max_size=4),
        ),
        max_leaves=12,
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def render(node: Node, prefixes: dict[str, str]) -> str:
    prefix = prefixes.setdefault(node.ns, f"n{len(prefixes)}")
    tag = f"{prefix}:{node.name}" if node.ns else node.name
    attrs = "".join(f' {k}="{_escape(v)}"' for k, v in node.attrs)
    inner = _escape(node.text) + "".join(render(c, prefixes) for c in node.children)
    return f"<{tag}{attrs}>{inner}</{tag}>"


def document(root_ns: str, root_name: str, body: Node | None) -> bytes:
    prefixes: dict[str, str] = {}
    inner = render(body, prefixes) if body is not None else ""
    root_prefix = prefixes.setdefault(root_ns, f"n{len(prefixes)}")
    decls = "".join(f' xmlns:{p}="{ns}"' for ns, p in prefixes.items() if ns)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><{root_prefix}:{root_name}{decls}>{inner}'
        f"</{root_prefix}:{root_name}>"
    ).encode()


HOSTILE_XML = (
    b"",
    b"<",
    b"not xml at all",
    b'<?xml version="1.0" encoding="ebcdic-xx"?><propfind xmlns="DAV:"/>',
    b'<?xml version="1.0" encoding="utf-16"?><propfind xmlns="DAV:"/>',
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;'
    b'&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;'
    b'&c;&c;&c;&c;">]><propfind xmlns="DAV:"><prop><displayname>&e;</displayname></prop>'
    b"</propfind>",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<propfind xmlns="DAV:"><prop><displayname>&x;</displayname></prop></propfind>',
    b'<?xml version="1.0"?><propfind xmlns="DAV:">'
    + b"<prop>" * 10000
    + b"</prop>" * 10000
    + b"</propfind>",
    b'<?xml version="1.0"?><x:propfind xmlns:x="DAV:"><x:prop><y:z/></x:prop></x:propfind>',
    b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>trailing',
    b'<propfind xmlns="DAV:"><prop a="1" a="2"/></propfind>',
    b"\xff\xfe<\x00p\x00",
    b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag>\xff\xfe</getetag></prop>'
    b"</propfind>",
)
