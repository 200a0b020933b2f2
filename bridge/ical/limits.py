"""Bounded work per provider item (issue 9): an iCalendar text shortened to configured limits.

`limit_provider_text` keeps a provider's calendar object within `ItemLimits` so that nothing
downstream (enrichment, time ranges, serving) works on an unbounded item: DESCRIPTION and
X-ALT-DESC values are cut at `description_chars` characters (with a note saying so), ATTENDEE
properties past `attendees_per_event` in one component are dropped, components (VEVENT …, not
VTIMEZONE) past `components_per_resource` are dropped. The calendar then carries one
`X-DAVBRIDGE-LIMITED:<limit>=<value>` per limit applied, so the write path can refuse to write
a shortened copy back over the provider's whole one. Text within the limits is returned as
given, byte for byte.

It works on content lines (RFC 5545 §3.1) in one pass: linear in the input, never parses the
calendar. It must not do I/O and must not decide what a client may write (see the sync layer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

LIMITED_PROPERTY = "X-DAVBRIDGE-LIMITED"
_SHORTENED_NOTE = "\\n\\n[… shortened by davbridge: longer than {limit} characters]"
_LONG_TEXT = ("DESCRIPTION", "X-ALT-DESC")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_FOLD = re.compile(r"(?:\r\n|\r|\n)[ \t]")  # a line break and the fold's whitespace


@dataclass(frozen=True)
class ItemLimits:
    """The per-item bounds ([limits] in the configuration)."""

    description_chars: int = 1_000_000
    attendees_per_event: int = 2_000
    components_per_resource: int = 1_000


@dataclass(frozen=True)
class Exceeded:
    """One limit an item went past: `limit` is the option name, `found` what the item had."""

    limit: str
    value: int
    found: int

    def describe(self) -> str:
        return f"[limits] {self.limit} = {self.value} (the item has {self.found})"


def _logical_lines(text: str) -> Iterator[list[str]]:
    """Unfolded lines as lists of their physical pieces (joined only when needed)."""
    pieces: list[str] = []
    for physical in _NEWLINES.split(text):
        if physical[:1] in (" ", "\t") and pieces:
            pieces.append(physical[1:])
        elif physical.strip():
            if pieces:
                yield pieces
            pieces = [physical]
    if pieces:
        yield pieces


def _name(first_piece: str) -> str:
    end = len(first_piece)
    for sep in (";", ":"):
        at = first_piece.find(sep)
        if 0 <= at < end:
            end = at
    return first_piece[:end].strip().upper()


def _value_start(line: str) -> int:
    """Index just after the first ':' outside a quoted parameter value."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return index + 1
    return len(line)


def _shorten(line: str, limit: int) -> str | None:
    """The line with its TEXT value cut at `limit` characters, or None when it fits."""
    start = _value_start(line)
    if len(line) - start <= limit:
        return None
    value = line[start : start + limit]
    trailing = len(value) - len(value.rstrip("\\"))
    if trailing % 2:  # never leave half of a "\\n" escape
        value = value[:-1]
    return line[:start] + value + _SHORTENED_NOTE.format(limit=limit)


def _shortest_over(limits: ItemLimits) -> int:
    """The fewest ASCII characters holding more ATTENDEE or BEGIN: than the limits allow."""
    return min(
        (limits.attendees_per_event + 1) * len("ATTENDEE"),
        (limits.components_per_resource + 1) * len("BEGIN:"),
    )


def _surely_within(text: str, limits: ItemLimits) -> bool:
    """True when no limit can apply, by counts over the unfolded text (each an upper bound of
    what the line-by-line pass counts): no value longer than the text, no more ATTENDEE or
    BEGIN: than the limits. Most items end here, without the line-by-line pass."""
    if len(text) > limits.description_chars:
        return False
    # ASCII (upper() keeps its length): each name counted below takes that many characters
    # of its own (neither overlaps itself), so a shorter text cannot reach the limits
    if len(text) < _shortest_over(limits) and text.isascii():
        return True
    unfolded = _FOLD.sub("", text).upper()
    return (
        unfolded.count("ATTENDEE") <= limits.attendees_per_event
        and unfolded.count("BEGIN:") <= limits.components_per_resource
    )


def limit_provider_text(text: str, limits: ItemLimits) -> tuple[str, tuple[Exceeded, ...]]:
    """`text` within `limits` (unchanged when it already is) and the limits that applied."""
    if _surely_within(text, limits):
        return text, ()
    out: list[str] = []
    counts: dict[str, int] = {}
    components = 0
    depth = 0
    skip_depth = 0  # > 0 while inside a dropped component
    attendees = 0
    changed = False
    for pieces in _logical_lines(text):
        name = _name(pieces[0])
        if name in ("BEGIN", "END"):
            kind = pieces[0].partition(":")[2].strip().upper()
            if name == "BEGIN":
                depth += 1
                if depth == 2 and kind != "VTIMEZONE" and not skip_depth:
                    components += 1
                    attendees = 0
                    if components > limits.components_per_resource:
                        skip_depth = depth
                if skip_depth:
                    changed = True
                    continue
            else:
                depth -= 1
                if skip_depth:
                    if depth < skip_depth:
                        skip_depth = 0
                    changed = True
                    continue
        elif skip_depth:
            continue
        elif name == "ATTENDEE" and depth == 2:
            attendees += 1
            counts["attendees"] = max(counts.get("attendees", 0), attendees)
            if attendees > limits.attendees_per_event:
                changed = True
                continue
        elif name in _LONG_TEXT:
            line = "".join(pieces)
            shortened = _shorten(line, limits.description_chars)
            if shortened is not None:
                found = len(line) - _value_start(line)
                counts["description"] = max(counts.get("description", 0), found)
                out.append(shortened)
                changed = True
                continue
            out.append(line)
            continue
        out.append(pieces[0] if len(pieces) == 1 else "".join(pieces))
    if not changed:
        return text, ()
    exceeded: list[Exceeded] = []
    if components > limits.components_per_resource:
        exceeded.append(
            Exceeded("components_per_resource", limits.components_per_resource, components)
        )
    if counts.get("attendees", 0) > limits.attendees_per_event:
        exceeded.append(
            Exceeded("attendees_per_event", limits.attendees_per_event, counts["attendees"])
        )
    if counts.get("description", 0) > limits.description_chars:
        exceeded.append(
            Exceeded("description_chars", limits.description_chars, counts["description"])
        )
    marks = [f"{LIMITED_PROPERTY}:{e.limit}={e.value}" for e in exceeded]
    at = next((i + 1 for i, line in enumerate(out) if line.upper() == "BEGIN:VCALENDAR"), 0)
    out[at:at] = marks
    return "\r\n".join(out) + "\r\n", tuple(exceeded)


def limited_by(text: str) -> list[str]:
    """The limits a mirrored calendar text was shortened by ("attendees_per_event=2000" …)."""
    found: list[str] = []
    marker = LIMITED_PROPERTY + ":"
    for line in _NEWLINES.split(text):
        head = line[:64].upper()
        if head.startswith(marker):
            found.append(line[len(marker) :].strip())
        elif head.startswith("BEGIN:") and head != "BEGIN:VCALENDAR":
            break  # the marks sit before the first component
    return found
