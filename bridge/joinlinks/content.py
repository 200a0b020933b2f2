"""iCalendar content-line plumbing for join-link enrichment (RFC 5545 §3.1).

Unfolds text into logical lines, parses one line into name / parameters / raw value, escapes and
unescapes TEXT values, and folds lines back with CRLF. Lines that enrich()/strip() do not touch are
carried through as the exact unfolded text received, so only folding and line endings are
canonicalised.

This module must not interpret meaning (no detection, no Zoom knowledge) and must not do I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NEWLINES = re.compile(r"\r\n|\r|\n")
_NAME_END = re.compile("[;:]")
CACHED_CHARS = 2048  # longer lines and URLs are not kept in the per-item caches (memory bound)
# RFC 5545 §3.3.11: TEXT escapes are \\ \; \, \n \N
_UNESCAPE = re.compile(r"\\([\\;,nN])")
_PARAM_NEEDS_QUOTES = re.compile(r"[:;,]")
# Property values of these types are URIs (RFC 5545 §3.3.13, RFC 7986 §5.11): no TEXT escaping.
URI_PROPERTIES = frozenset({"URL", "CONFERENCE", "ATTACH", "TZURL", "IMAGE", "SOURCE"})


@dataclass(frozen=True)
class ContentLine:
    """One unfolded content line. `value` is the raw value as on the wire (still escaped)."""

    raw: str
    name: str
    params: tuple[tuple[str, tuple[str, ...]], ...]
    value: str

    def param(self, name: str) -> str | None:
        """The first value of parameter `name` (case-insensitive), unquoted; None when absent."""
        wanted = name.upper()
        for key, values in self.params:
            if key == wanted:
                return values[0] if values else ""
        return None

    @property
    def is_uri(self) -> bool:
        value_type = self.param("VALUE")
        if value_type is not None:
            return value_type.upper() == "URI"
        return self.name in URI_PROPERTIES

    @property
    def text(self) -> str:
        """The value as a user sees it: TEXT unescaped, URI values as they are."""
        return self.value if self.is_uri else unescape_text(self.value)


def unfold(text: str) -> list[str]:
    """Logical lines of `text`: continuation lines (leading space/tab) joined, blanks dropped.

    Pieces are collected and joined once per logical line: appending to a growing string
    would copy it for every continuation (quadratic for a folded megabyte DESCRIPTION).
    """
    lines: list[str] = []
    pieces: list[str] = []
    for physical in _NEWLINES.split(text):
        if physical[:1] in (" ", "\t") and pieces:
            pieces.append(physical[1:])
        elif physical.strip():
            if pieces:
                lines.append("".join(pieces))
            pieces = [physical]
    if pieces:
        lines.append("".join(pieces))
    return lines


def property_name(raw: str) -> str:
    """The name `parse_line(raw).name` gives, without parsing the rest of the line."""
    found = _NAME_END.search(raw)
    return (raw if found is None else raw[: found.start()]).strip().upper()


def parse_line(raw: str) -> ContentLine:
    """Parse a content line leniently: a line without ':' becomes a name with an empty value.
    Cached (lines up to CACHED_CHARS): enrich, strip and the record read the same lines of one
    item several times."""
    return _parse_cached(raw) if len(raw) <= CACHED_CHARS else _parse(raw)


@functools.lru_cache(maxsize=4096)
def _parse_cached(raw: str) -> ContentLine:
    return _parse(raw)


def _parse(raw: str) -> ContentLine:
    n = len(raw)
    found = _NAME_END.search(raw)
    i = found.start() if found is not None else n
    name = raw[:i].strip().upper()
    if i < n and raw[i] == ":":  # most lines: no parameters
        return ContentLine(raw=raw, name=name, params=(), value=raw[i + 1 :])
    params: list[tuple[str, tuple[str, ...]]] = []
    while i < n and raw[i] == ";":
        i += 1
        start = i
        while i < n and raw[i] not in "=;:":
            i += 1
        pname = raw[start:i].strip().upper()
        values: list[str] = []
        if i < n and raw[i] == "=":
            i += 1
            while True:
                if i < n and raw[i] == '"':
                    end = raw.find('"', i + 1)
                    if end < 0:
                        end = n
                    values.append(raw[i + 1 : end])
                    i = min(end + 1, n)
                else:
                    start = i
                    while i < n and raw[i] not in ",;:":
                        i += 1
                    values.append(raw[start:i])
                if i < n and raw[i] == ",":
                    i += 1
                    continue
                break
        params.append((pname, tuple(values)))
    value = raw[i + 1 :] if i < n and raw[i] == ":" else ""
    return ContentLine(raw=raw, name=name, params=tuple(params), value=value)


def unescape_text(value: str) -> str:
    if "\\" not in value:
        return value
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def escape_text(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def quote_param(value: str) -> str:
    """A parameter value as RFC 5545 §3.2 allows it: DQUOTE removed, quoted when it needs it."""
    value = value.replace('"', "'").replace("\r", " ").replace("\n", " ")
    return f'"{value}"' if _PARAM_NEEDS_QUOTES.search(value) else value


def build_line(name: str, params: Sequence[tuple[str, str]], value: str) -> str:
    """An unfolded content line; `value` must already be in wire form (escaped if TEXT)."""
    head = name + "".join(f";{key}={quote_param(val)}" for key, val in params)
    return f"{head}:{value}"


def with_value(line: ContentLine, value: str) -> str:
    """`line` with its raw value replaced, parameters kept byte-for-byte."""
    head = line.raw[: len(line.raw) - len(line.value)] if line.value else line.raw
    if not head.endswith(":"):
        head += ":"
    return head + value


def fold(line: str) -> str:
    """Fold one logical line (RFC 5545 §3.1) exactly as icalendar's to_ical() does.

    Same folding as the provider mappings (which serialise with icalendar) keeps untouched lines
    byte-identical: physical lines of at most 74 octets of content plus the leading space, no split
    inside a UTF-8 sequence, and no split right after a backslash escape. Works on the UTF-8
    bytes a physical line at a time (a per-character loop took seconds for a 10 MB value).
    """
    if len(line) < 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) < 75:
        return line
    parts: list[bytes] = []
    start = 0
    while len(data) - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # never split inside a UTF-8 sequence
            end -= 1
        # more than one character on the line and the last one is "\\" or "^": carry it over
        if data[end - 1] in b"\\^" and _characters(data, start, end) > 1:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def _characters(data: bytes, start: int, end: int) -> int:
    """How many characters (not continuation bytes) data[start:end] holds, counting to 2."""
    count = 0
    for byte in data[start:end]:
        if byte & 0xC0 != 0x80:
            count += 1
            if count > 1:
                return count
    return count


def serialize(lines: Iterable[str]) -> str:
    return "".join(fold(line) + "\r\n" for line in lines)


def _head(line: str, size: int) -> str:
    """The first characters of `line.upper()` that a BEGIN:/END: test reads: an ASCII head
    upper-cases alone (one character each); anything else the whole line, as before."""
    first = line[:1]
    if first.isascii() and first not in "BEbe":  # "" is in any string: an empty line goes on
        return ""  # upper-cased, it starts with neither B nor E
    head = line[:size]
    return head.upper() if head.isascii() else line.upper()


def split_vevents(lines: Sequence[str]) -> list[str | list[str]]:
    """Lines grouped: a VEVENT (BEGIN..END, nested components included) becomes one list."""
    out: list[str | list[str]] = []
    block: list[str] | None = None
    depth = 0
    for line in lines:
        upper = _head(line, 12)
        if block is None:
            if upper.startswith("BEGIN:VEVENT"):
                block = [line]
                depth = 1
            else:
                out.append(line)
            continue
        block.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
            if depth == 0:
                out.append(block)
                block = None
    if block is not None:  # unterminated VEVENT: keep it as it came
        out.extend(block)
    return out


def direct_properties(block: Sequence[str]) -> list[int]:
    """Indices of the VEVENT's own property lines (not BEGIN/END, not lines of nested VALARMs)."""
    return layout(block)[0]


def layout(block: Sequence[str]) -> tuple[list[int], int]:
    """(direct_properties(block), insertion_point(block)) in one pass over the lines."""
    found: list[int] = []
    depth = 0
    nested = 0  # the first nested component's BEGIN line (0: none yet)
    for index, line in enumerate(block):
        upper = _head(line, 6)
        if upper.startswith("BEGIN:"):
            depth += 1
            if index and not nested:
                nested = index
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 1:
            found.append(index)
    return found, nested or len(block) - 1


def recurrence_key(lines: Sequence[ContentLine]) -> str:
    """Which VEVENT of a series `lines` are: its RECURRENCE-ID value, upper-cased, without a
    trailing Z ("" for the master), so a client's and the provider's copies pair up."""
    return next(
        (ln.value.strip().upper().rstrip("Z") for ln in lines if ln.name == "RECURRENCE-ID"), ""
    )


def insertion_point(block: Sequence[str]) -> int:
    """Where new VEVENT properties go: before the first nested component, else before END."""
    for index, line in enumerate(block[1:], start=1):
        if _head(line, 6).startswith("BEGIN:"):
            return index
    return len(block) - 1
