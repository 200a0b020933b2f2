"""Paths, hrefs and request guards: UTF-8 percent-decoding, overlong forms, dot segments and
control characters refused, malformed credentials and XML turned into 4xx refusals."""

from __future__ import annotations

import base64
from xml.sax import saxutils

import pytest

from radicale_plugins import guards, hrefs, putcheck
from radicale_plugins.refusals import CALDAV, Refusal


@pytest.mark.parametrize(
    ("href", "path"),
    [
        ("/alex/cal/%C3%A4-x.ics", "/alex/cal/ä-x.ics"),
        ("/alex/cal/%D0%BA%D0%B0%D0%BB.ics", "/alex/cal/кал.ics"),
        ("http://dav.example/alex/cal/a%20b.ics", "/alex/cal/a b.ics"),
        ("/alex/cal/plain.ics", "/alex/cal/plain.ics"),
    ],
)
def test_hrefs_decode_as_utf8(href: str, path: str) -> None:
    assert hrefs.decode_href(href) == path


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("/alex/cal/%C0%AE%C0%AE/x.ics", "not UTF-8"),  # overlong "."
        ("/alex/cal/%ff%fe.ics", "not UTF-8"),
        ("/alex/cal/%2e%2e/other.ics", "dot segment"),
        ("/alex/cal/../other/x.ics", "dot segment"),
        ("/alex/./cal/x.ics", "dot segment"),
        ("/alex/cal/a%01b.ics", "control character"),
        ("/alex/cal/a%C2%85b.ics", "control character"),  # C1 NEL
        ("alex/cal/x.ics", "not an absolute path"),
    ],
)
def test_bad_hrefs_are_refused_with_the_reason(href: str, reason: str) -> None:
    with pytest.raises(hrefs.BadHref) as info:
        hrefs.decode_href(href)
    assert reason in str(info.value)


def test_path_info_from_a_pep3333_server_is_read_as_utf8() -> None:
    as_server_gives_it = "/alex/cal/ä-x.ics".encode().decode("latin-1")
    assert hrefs.path_info(as_server_gives_it) == "/alex/cal/ä-x.ics"
    with pytest.raises(hrefs.BadHref):
        hrefs.path_info(b"/alex/\xc0\xae\xc0\xae/x".decode("latin-1"))


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def test_basic_credentials_utf8_then_latin1() -> None:
    assert guards.basic_credentials(basic("ä:pässword".encode()), "r") == guards.Credentials(
        "ä", "pässword"
    )
    latin = guards.basic_credentials(basic("ä:pässword".encode("latin-1")), "r")
    assert latin == guards.Credentials("ä", "pässword")
    assert guards.basic_credentials("Bearer x", "r") is None
    assert guards.basic_credentials("", "r") is None


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (basic(b"alex"), "no ':'"),
        ("Basic ä", "not base64"),
        ("Basic ***", "not base64"),
        (basic(b":secret"), "empty user name"),
        (basic(b"al\x00ex:pw"), "control character"),
    ],
)
def test_malformed_basic_credentials_are_401(header: str, words: str) -> None:
    refusal = guards.basic_credentials(header, "realm")
    assert isinstance(refusal, Refusal) and refusal.status == 401
    assert words in refusal.message and "WWW-Authenticate" in refusal.headers


def test_unknown_charset_is_415() -> None:
    refusal = guards.charset_refusal("text/xml; charset=x-nope")
    assert refusal is not None and refusal.status == 415 and "x-nope" in refusal.message
    assert guards.charset_refusal('text/xml; charset="utf-8"') is None


def test_deep_xml_is_refused_while_parsing() -> None:
    body = b"<a>" * 10_000 + b"</a>" * 10_000
    refusal = guards.parse_xml(body, "PROPFIND")
    assert isinstance(refusal, Refusal) and refusal.status == 400
    assert str(guards.MAX_XML_DEPTH) in refusal.message


def test_root_elements_must_match_the_method() -> None:
    propfind = guards.parse_xml(b'<d:report xmlns:d="DAV:"/>', "PROPFIND")
    assert isinstance(propfind, Refusal) and propfind.status == 400
    assert "propfind" in propfind.message and "report" in propfind.message
    report = guards.parse_xml(b'<d:nonsense xmlns:d="DAV:"/>', "REPORT")
    assert isinstance(report, Refusal) and report.status == 403
    assert report.condition == ("DAV:", "supported-report")
    empty = guards.parse_xml(b'<d:propfind xmlns:d="DAV:"/>', "PROPFIND")
    assert isinstance(empty, Refusal) and empty.status == 400


def test_expand_outside_the_accepted_years_is_403_naming_them() -> None:
    body = (
        f'<C:calendar-query xmlns:C="{CALDAV}" xmlns:D="DAV:"><D:prop><C:calendar-data>'
        '<C:expand start="00010101T000000Z" end="99991231T000000Z"/></C:calendar-data>'
        "</D:prop></C:calendar-query>"
    ).encode()
    root = guards.parse_xml(body, "REPORT")
    assert not isinstance(root, Refusal) and root is not None
    refusal = guards.range_refusal(root)
    assert refusal is not None and refusal.status == 403
    assert "1601–2200" in refusal.message and refusal.condition == (CALDAV, "min-date-time")


def test_multiget_hrefs_that_name_nothing_here_are_answered_404() -> None:
    body = (
        f'<C:calendar-multiget xmlns:C="{CALDAV}" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>'
        "<D:href>/alex/cal/ok.ics</D:href><D:href></D:href>"
        "<D:href>http://elsewhere.example/alex/cal/a.ics</D:href>"
        "<D:href>/alex/cal/%C0%AE.ics</D:href></C:calendar-multiget>"
    ).encode()
    root = guards.parse_xml(body, "REPORT")
    assert not isinstance(root, Refusal) and root is not None
    trimmed = guards.multiget_hrefs(root, "dav.example:5232")
    assert trimmed is not None
    assert trimmed.dropped == (
        "",
        "http://elsewhere.example/alex/cal/a.ics",
        "/alex/cal/%C0%AE.ics",
    )
    assert b"ok.ics" in trimmed.body and b"elsewhere" not in trimmed.body
    answer = guards.with_missing(b'<multistatus xmlns="DAV:"></multistatus>', trimmed.dropped)
    assert answer.count(b"404 Not Found") == 3
    empty = guards.with_missing(b'<?xml version="1.0"?>\n<multistatus xmlns="DAV:" />', ("x",))
    assert empty.endswith(b"</multistatus>") and b"<href>x</href>" in empty


EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
    "DTSTAMP:20261201T000000Z\r\nDTSTART:20261210T100000Z\r\n{extra}\r\nSUMMARY:s\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "condition"),
    [
        (EVENT.format(extra="DURATION:PT1H"), "text/calendar", None, None),
        (EVENT.format(extra="DURATION:P99999999W"), "text/calendar", 400, "valid-calendar-data"),
        (EVENT.format(extra="DURATION:PT1H"), "application/octet-stream", 415, None),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n", "text/vcard", 415, None),
        ("hello", "text/calendar", 400, "valid-calendar-data"),
        (
            EVENT.format(extra="DURATION:PT1H").replace("VEVENT", "VTODO"),
            "text/calendar",
            403,
            "supported-calendar-component",
        ),
    ],
)
def test_put_bodies_are_checked_against_the_calendar(
    body: str, content_type: str, status: int | None, condition: str | None
) -> None:
    refusal = putcheck.put_refusal(body.encode(), content_type, calendar=True)
    if status is None:
        assert refusal is None
        return
    assert refusal is not None and refusal.status == status and refusal.message
    if condition:
        assert refusal.condition == (CALDAV, condition)
    kind, data = refusal.body()
    assert kind.count("charset") == 1
    if refusal.condition:
        assert kind.startswith("application/xml") and b"<D:error" in data


def test_free_busy_query_needs_a_time_range() -> None:
    body = f'<C:free-busy-query xmlns:C="{CALDAV}"></C:free-busy-query>'.encode()
    root = guards.parse_xml(body, "REPORT")
    assert not isinstance(root, Refusal) and root is not None
    refusal = guards.range_refusal(root)
    assert refusal is not None and refusal.status == 400 and "time-range" in refusal.message


def test_radicales_generic_refusals_get_its_logged_reason() -> None:
    import gzip
    import logging

    from radicale_plugins import reasons

    reasons.install()
    token = reasons.begin()
    logging.getLogger("radicale").warning("Bad REPORT request on %r: %s", "/a/b/", "limit hit")
    found = reasons.end(token)
    headers, body = reasons.explained(
        "400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")], [b"Bad Request"], found
    )
    assert body == [b"Bad Request: Bad REPORT request on '/a/b/': limit hit\n"]
    assert ("Content-Length", str(len(body[0]))) in headers
    zipped = [("Content-Encoding", "gzip")]
    _, body = reasons.explained(
        "409 Conflict", zipped, [gzip.compress(b"Conflict in the request.")], []
    )
    assert gzip.decompress(body[0]).startswith(b"Conflict in the request.: ")
    _, body = reasons.explained("207 Multi-Status", [], [b"Bad Request"], found)
    assert body == [b"Bad Request"]  # only refusals are rewritten


def test_an_unknown_encoding_in_the_xml_declaration_is_400() -> None:
    body = b'<?xml version="1.0" encoding="ebcdic-xx"?><propfind xmlns="DAV:"/>'
    refusal = guards.parse_xml(body, "PROPFIND")
    assert isinstance(refusal, Refusal) and refusal.status == 400 and "ebcdic-xx" in refusal.message


LAUGHS = (
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&b;</d:displayname></d:prop></d:propfind>'
)


@pytest.mark.parametrize(
    "body",
    [
        ('<?xml version="1.0"?>' + LAUGHS).encode(),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>' + LAUGHS).encode("latin-1"),
        b"\xef\xbb\xbf" + LAUGHS.encode(),
        # no "<!DOCTYPE" bytes to find: UTF-16, with and without a byte order mark
        ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS).encode("utf-16"),
        ('<?xml version="1.0" encoding="UTF-16BE"?>' + LAUGHS).encode("utf-16-be"),
        ('<?xml version="1.0" encoding="UTF-32"?>' + LAUGHS).encode("utf-32"),
        ('<?xml version="1.0" encoding="cp500"?>' + LAUGHS).encode("cp500"),  # EBCDIC
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<d:propfind xmlns:d="DAV:"><d:prop><d:x>&x;</d:x></d:prop></d:propfind>'
        ),
    ],
)
def test_dtds_and_entities_are_refused_in_any_encoding(body: bytes) -> None:
    refusal = guards.parse_xml(body, "PROPFIND")
    assert isinstance(refusal, Refusal) and refusal.status == 400
    # refused, never expanded: expat reads neither UTF-32 nor EBCDIC, so those are malformed
    assert any(w in refusal.message for w in ("DTDs", "Malformed", "decoded"))
    assert "aaaa" not in refusal.message and "root:" not in refusal.message


MULTIGET = (
    '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
    "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
    "<d:href>/alex/cal/ä-x.ics</d:href><!-- a comment --><d:href>/alex/cal/b&amp;c.ics</d:href>"
    "<d:href><![CDATA[/alex/cal/<d>.ics]]></d:href></c:calendar-multiget>"
)


@pytest.mark.parametrize(
    "body",
    [
        MULTIGET.encode(),
        ('<?xml version="1.0" encoding="utf-8"?>' + MULTIGET).encode(),
        ("<?xml version='1.0' encoding='ISO-8859-1' ?>" + MULTIGET).encode("latin-1"),
        b"\xef\xbb\xbf" + ('<?xml version="1.0"?>' + MULTIGET).encode(),
        ('<?xml version="1.0" encoding="UTF-16"?>' + MULTIGET).encode("utf-16"),
    ],
)
def test_xml_bodies_parse_to_the_same_tree_whichever_parser_reads_them(body: bytes) -> None:
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as SafeET

    root = guards.parse_xml(body, "REPORT")
    assert not isinstance(root, Refusal) and root is not None
    assert ET.tostring(root) == ET.tostring(SafeET.fromstring(body))
    hrefs_ = [h.text for h in root.iter("{DAV:}href")]
    assert hrefs_ == ["/alex/cal/ä-x.ics", "/alex/cal/b&c.ics", "/alex/cal/<d>.ics"]


@pytest.mark.parametrize(
    "body",
    [b'<d:propfind xmlns:d="DAV:"><d:prop></d:propfind>', b"<a>&undefined;</a>", b"<a><b></a>"],
)
def test_malformed_xml_is_400_with_the_parsers_reason(body: bytes) -> None:
    refusal = guards.parse_xml(body, "PROPFIND")
    assert isinstance(refusal, Refusal) and refusal.status == 400
    assert refusal.message.startswith("Malformed XML request body: ")
    assert "line 1, column" in refusal.message


ODD_HREFS = [
    "",
    "   ",
    "relative/x.ics",
    "/alex/cal/../bob/x.ics",
    "/alex/cal/./x.ics",
    "/alex/cal/%2E%2E/x.ics",
    "/alex/cal/%C0%AE.ics",
    "/alex/cal/a\tb.ics",
    "/alex/cal/a\x7fb.ics",
    "/alex/cal/a\x85b.ics",
    "http://elsewhere.example/alex/cal/a.ics",
    "http://dav.example:5232/alex/cal/a.ics",
    "/alex/cal/%41.ics",
    "/alex/cal/ä.ics",
    "/alex/cal/.hidden.ics",
    "/alex/cal/a b:c.ics",
]


@pytest.mark.parametrize("odd", ODD_HREFS)
def test_one_odd_href_among_many_plain_ones_is_judged_alone(odd: str) -> None:
    """A multiget of plain paths is checked all at once; one href that is not plain makes
    every href be judged one by one, with the same verdicts as always."""
    plain = [f"/alex/cal/e{i}-A_b.c+d@x.ics" for i in range(300)]
    texts = [*plain[:150], odd, *plain[150:]]
    refs = "".join(f"<D:href>{saxutils.escape(t)}</D:href>" for t in texts)
    body = (
        f'<C:calendar-multiget xmlns:C="{CALDAV}" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>'
        f"{refs}</C:calendar-multiget>"
    ).encode()
    root = guards.parse_xml(body, "REPORT")
    assert not isinstance(root, Refusal) and root is not None
    trimmed = guards.multiget_hrefs(root, "dav.example:5232")
    try:
        bad = not odd.strip() or hrefs.foreign_host(odd.strip(), "dav.example:5232")
        hrefs.decode_href(odd.strip())
    except hrefs.BadHref:
        bad = True
    if bad:
        assert trimmed is not None and trimmed.dropped == (odd.strip(),)
        assert len(trimmed.root.findall("{DAV:}href")) == len(plain)
    else:
        assert trimmed is None
    assert hrefs.all_plain_paths(plain)
    assert not hrefs.all_plain_paths([odd.strip()]) or hrefs.decode_href(odd) == odd
