"""SOAP 1.1 envelopes of the EWS sandbox: parse requests, build responses and faults.

Shapes follow the EWS reference (MicrosoftDocs/office-developer-exchange-docs,
web-service-reference): "ServerVersionInfo" in every response header, "ResponseMessages" with one
"<Op>ResponseMessage ResponseClass=… " per request item ("ResponseCode", "MessageText",
"MessageXml"), and SOAP faults whose `detail` carries `e:ResponseCode`, `e:Message` and
`t:MessageXml` ("ErrorServerBusy" puts `BackOffMilliseconds` there; page "EWS throttling in
Exchange"). Requests are parsed with defusedxml. This module must not know the mailbox model.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
for _prefix, _uri in (("s", S), ("m", M), ("t", T), ("e", E)):
    ET.register_namespace(_prefix, _uri)

Element = ET.Element


class EwsError(Exception):
    """An error answered in one response message (ResponseClass="Error")."""

    def __init__(self, code: str, text: str = "", back_off_ms: int | None = None) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text or code
        self.back_off_ms = back_off_ms


class EwsFault(Exception):
    """An error answered as a whole-request SOAP fault (HTTP 500)."""

    def __init__(self, code: str, text: str = "", back_off_ms: int | None = None) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text or code
        self.back_off_ms = back_off_ms


SUPPORTED_VERSIONS = frozenset(
    (
        "Exchange2007",
        "Exchange2007_SP1",
        "Exchange2010",
        "Exchange2010_SP1",
        "Exchange2010_SP2",
        "Exchange2013",
        "Exchange2013_SP1",
        "Exchange2016",
        "V2015_10_05",
        "V2016_01_06",
        "V2016_04_13",
        "V2016_07_13",
        "V2016_10_10",
        "V2017_01_07",
        "V2017_04_14",
        "V2017_07_11",
    )
)


@dataclass(frozen=True)
class Request:
    operation: str
    body: Element  # the <m:Operation> element
    requested_version: str
    timezone_id: str | None  # TimeZoneContext/TimeZoneDefinition/@Id, if any


@dataclass(frozen=True)
class ServerVersion:
    major: int = 15
    minor: int = 1
    build: int = 2507
    revision: int = 6
    version: str = (
        "V2017_07_11"  # what Exchange 2016 CU reports (exchangelib falls back to the request)
    )


def t(tag: str) -> str:
    return f"{{{T}}}{tag}"


def m(tag: str) -> str:
    return f"{{{M}}}{tag}"


def parse_request(data: bytes) -> Request:
    """Parse a SOAP request; raises EwsFault(ErrorInvalidRequest/ErrorSchemaValidation)."""
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several types
        raise EwsFault("ErrorSchemaValidation", f"The request is not valid XML: {exc}") from exc
    if root.tag != f"{{{S}}}Envelope":
        raise EwsFault("ErrorInvalidRequest", "The request is not a SOAP envelope.")
    body = root.find(f"{{{S}}}Body")
    if body is None or len(body) == 0:
        raise EwsFault("ErrorInvalidRequest", "The SOAP body is empty.")
    op = body[0]
    name = op.tag.split("}", 1)[-1]
    header = root.find(f"{{{S}}}Header")
    version = "Exchange2016"
    tz_id = None
    if header is not None:
        rsv = header.find(t("RequestServerVersion"))
        if rsv is not None:
            version = rsv.get("Version") or version
        tzd = header.find(f"{t('TimeZoneContext')}/{t('TimeZoneDefinition')}")
        if tzd is not None:
            tz_id = tzd.get("Id")
    if version not in SUPPORTED_VERSIONS:
        # page "RequestServerVersion": a version the server does not support is refused
        raise EwsFault(
            "ErrorInvalidServerVersion", f"The specified server version is invalid: {version}"
        )
    return Request(name, op, version, tz_id)


def sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    """Append a child; `tag` is 't:Name' or 'm:Name'."""
    prefix, local = tag.split(":", 1)
    ns = {"t": T, "m": M, "s": S}[prefix]
    child = ET.SubElement(parent, f"{{{ns}}}{local}", {k: v for k, v in attrs.items()})
    if text is not None:
        child.text = text
    return child


def _envelope(version: ServerVersion, requested: str) -> tuple[Element, Element]:
    env = ET.Element(f"{{{S}}}Envelope")
    header = ET.SubElement(env, f"{{{S}}}Header")
    ET.SubElement(
        header,
        t("ServerVersionInfo"),
        {
            "MajorVersion": str(version.major),
            "MinorVersion": str(version.minor),
            "MajorBuildNumber": str(version.build),
            "MinorBuildNumber": str(version.revision),
            "Version": version.version,
        },
    )
    body = ET.SubElement(env, f"{{{S}}}Body")
    return env, body


def serialize(env: Element) -> bytes:
    data: bytes = ET.tostring(env, encoding="utf-8", xml_declaration=True)  # bytes: not "unicode"
    return data


def response_envelope(op: str, version: ServerVersion, requested: str) -> tuple[Element, Element]:
    """(envelope, <m:ResponseMessages>) of `<m:{op}Response>`."""
    env, body = _envelope(version, requested)
    resp = ET.SubElement(body, m(f"{op}Response"))
    msgs = ET.SubElement(resp, m("ResponseMessages"))
    return env, msgs


def success(msgs: Element, op: str) -> Element:
    msg = sub(msgs, f"m:{op}ResponseMessage", ResponseClass="Success")
    sub(msg, "m:ResponseCode", "NoError")
    return msg


def error(msgs: Element, op: str, err: EwsError) -> Element:
    msg = sub(msgs, f"m:{op}ResponseMessage", ResponseClass="Error")
    sub(msg, "m:MessageText", err.text)
    sub(msg, "m:ResponseCode", err.code)
    sub(msg, "m:DescriptiveLinkKey", "0")
    if err.back_off_ms is not None:
        xml = sub(msg, "m:MessageXml")
        sub(xml, "t:Value", str(err.back_off_ms), Name="BackOffMilliseconds")
    return msg


def fault(err: EwsFault, version: ServerVersion | None) -> bytes:
    """A SOAP fault as Exchange sends it (header only when the version is known)."""
    env = ET.Element(f"{{{S}}}Envelope")
    if version is not None:
        env, body = _envelope(version, "")
    else:
        body = ET.SubElement(env, f"{{{S}}}Body")
    flt = ET.SubElement(body, f"{{{S}}}Fault")
    code = ET.SubElement(flt, "faultcode")
    code.text = f"a:{err.code}" if err.code.startswith("Error") else err.code
    if err.code.startswith("Error"):
        code.set("xmlns:a", T)
    ET.SubElement(flt, "faultstring", {"xml:lang": "en-US"}).text = err.text
    detail = ET.SubElement(flt, "detail")
    ET.SubElement(detail, f"{{{E}}}ResponseCode").text = err.code
    ET.SubElement(detail, f"{{{E}}}Message").text = err.text
    if err.back_off_ms is not None:
        xml = ET.SubElement(detail, t("MessageXml"))
        value = ET.SubElement(xml, t("Value"), {"Name": "BackOffMilliseconds"})
        value.text = str(err.back_off_ms)
    return serialize(env)


# ---- value parsing/formatting ------------------------------------------------------------------


def parse_bool(text: str | None, default: bool = False) -> bool:
    """xs:boolean: exchangelib sends 1/0, others true/false."""
    if text is None:
        return default
    return text.strip().lower() in ("1", "true")


def fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_datetime(text: str, default_tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """xs:dateTime; a value without offset is in `default_tz` (TimeZoneContext) or UTC."""
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    if "." in raw:
        head, _, rest = raw.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tail = rest[len(digits) :]
        raw = f"{head}.{digits[:6].ljust(6, '0')}{tail}"
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise EwsError("ErrorInvalidValueForProperty", f"Bad dateTime {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(dt.UTC)


def parse_date(text: str) -> dt.date:
    """xs:date, possibly with an offset or 'Z' (exchangelib sends e.g. 2024-01-01+01:00)."""
    return dt.date.fromisoformat(text.strip()[:10])


def fmt_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_of(elem: Element | None, tag: str, default: str | None = None) -> str | None:
    if elem is None:
        return default
    child = elem.find(t(tag))
    if child is None:
        child = elem.find(m(tag))
    return child.text or "" if child is not None else default


def local(elem: Element) -> str:
    return elem.tag.split("}", 1)[-1]
