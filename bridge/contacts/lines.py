"""vCard content lines (RFC 6350 §3.3, RFC 2426 §4): unfold, split into group, name,
parameters and value, and write them back folded at 75 octets (bridge.ical.contentlines.fold,
the one fold the iCalendar and vCard writers share).

A tolerant reader for cards the mirror already holds (3.0 from the providers, 4.0 or 2.1 from
clients): it never raises on odd lines, it skips them. It must not interpret property values
beyond the text escapes; callers decide what a property means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.ical.contentlines import fold

_UNFOLD = re.compile(r"\r?\n[ \t]")


@dataclass(frozen=True)
class ContentLine:
    group: str  # "item1" for "item1.TEL", else ""
    name: str  # upper case
    params: tuple[tuple[str, str | None], ...]  # (NAME upper, raw value or None for "CELL")
    value: str  # raw (escaped) value

    def param_values(self, name: str) -> list[str]:
        """Every comma-separated value of the parameter `name` (quotes removed)."""
        found: list[str] = []
        for key, raw in self.params:
            if key == name and raw is not None:
                found += [v.strip() for v in raw.replace('"', "").split(",") if v.strip()]
        return found

    def types(self) -> set[str]:
        """TYPE values, lower case; vCard 2.1 bare parameters ("TEL;CELL:") count as types."""
        found = {v.lower() for v in self.param_values("TYPE")}
        found |= {key.lower() for key, raw in self.params if raw is None}
        return found


def _split_quoted(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_line(line: str) -> ContentLine | None:
    """One unfolded line, or None when it is not a content line."""
    quoted = False
    colon = -1
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            colon = i
            break
    if colon <= 0:
        return None
    head, value = line[:colon], line[colon + 1 :]
    pieces = _split_quoted(head, ";")
    group, _, name = pieces[0].rpartition(".")
    if not name.strip():
        return None
    params: list[tuple[str, str | None]] = []
    for piece in pieces[1:]:
        if not piece:
            continue
        key, eq, raw = piece.partition("=")
        params.append((key.strip().upper(), raw if eq else None))
    return ContentLine(group, name.strip().upper(), tuple(params), value)


def parse_lines(text: str) -> list[ContentLine]:
    """Every content line of `text` (one card or several), unfolded."""
    unfolded = _UNFOLD.sub("", text)
    found = []
    for line in unfolded.splitlines():
        if line.strip():
            parsed = parse_line(line)
            if parsed is not None:
                found.append(parsed)
    return found


def unescape(value: str) -> str:
    """TEXT value escapes: \\n, \\, \\; and \\\\ (RFC 6350 §3.4)."""
    if "\\" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def components(value: str) -> list[str]:
    """A structured value (N, ORG, ADR) split at unescaped semicolons, unescaped."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if ch == ";":
            parts.append(unescape("".join(current)))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append(unescape("".join(current)))
    return parts


def first_text(lines: list[ContentLine], name: str) -> str:
    for line in lines:
        if line.name == name:
            return unescape(line.value).strip()
    return ""


def render(line: ContentLine) -> str:
    head = f"{line.group}.{line.name}" if line.group else line.name
    for key, raw in line.params:
        head += f";{key}" if raw is None else f";{key}={raw}"
    return fold(f"{head}:{line.value}")
