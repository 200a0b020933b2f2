"""The lossless overlay (C10, DESIGN "Lossless overlay"): what a client sent that the
provider could not hold, kept at the provider in its extension mechanism and merged back
when the item is rendered.

What it does, for iCalendar (VEVENT/VTODO units keyed by RECURRENCE-ID) and vCard alike:
- `compute(client, canonical)` compares the client's text with the provider's own rendering
  right after the write (the *raw* rendering, before any overlay) and records, per unit:
  extra lines (a property the provider has no field for: X- properties, SEQUENCE,
  RELATED-TO, …), parameter restores (same value, the client's parameters: `TYPE=WORK`,
  `PREF`), group replacements (the client's spelling of a property the provider re-wrote:
  DESCRIPTION, VALARM blocks, DURATION instead of DTEND, no DTEND at all), cancelled
  overrides the provider
  holds as an EXDATE, and the client's UID;
- `merge(rendered, overlay)` re-applies them. Every restore other than an extra line is
  *guarded* by a hash of what the provider rendered at write time, so a change made at the
  provider afterwards (web UI, phone) wins over the overlay; extra lines come back only while
  the provider still renders no property of that name;
- `precheck` (before a write) and `for_write` (after it) keep within the bound; `apply` is the
  read side. The stored form and the bound live in `overlay_wire.py` (re-exported here, so a
  provider needs this module only).

Never stored: what the provider owns (times, recurrence, DTSTAMP/CREATED/LAST-MODIFIED, REV),
what the bridge itself adds when enriching (X-DAVBRIDGE-*, X-ZOOM-*, CONFERENCE and the vendor
join-link properties: enrichment recomputes them from the provider), and inline media (PHOTO,
LOGO, SOUND). What it must not do: I/O, or parse values beyond date-times for keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.errors import OverlayTooLarge
from bridge.ical.contentlines import Block, Line, parse, reparse_block, serialize, split_line
from bridge.ical.overlay_wire import (
    CHUNK_CHARS,
    OVERLAY_MAX_BYTES,
    Overlay,
    UnitOverlay,
    chunks,
    decode,
    encode,
    from_keyed,
    join_chunks,
    keyed_chunks,
)
from bridge.ical.timezones import to_iana

__all__ = [
    "CHUNK_CHARS",
    "OVERLAY_MAX_BYTES",
    "Overlay",
    "UnitOverlay",
    "apply",
    "chunks",
    "compute",
    "decode",
    "encode",
    "for_write",
    "from_keyed",
    "join_chunks",
    "keyed_chunks",
    "merge",
    "precheck",
    "time_key",
]

_PROVIDER_OWNED = frozenset(
    {
        "UID",
        "DTSTAMP",
        "CREATED",
        "LAST-MODIFIED",
        "DTSTART",
        "DTEND",
        "DUE",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "VERSION",
        "PRODID",
        "REV",
        "PHOTO",
        "LOGO",
        "SOUND",
        # enrichment output (bridge.joinlinks): recomputed from the provider on every render
        "CONFERENCE",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        "X-GOOGLE-CONFERENCE",
    }
)
_BRIDGE_PREFIXES = ("X-DAVBRIDGE-", "X-ZOOM-")
_UNITS = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VCARD"})
_ADDRESS_VALUES = frozenset({"ATTENDEE", "ORGANIZER", "EMAIL"})


# --- keys ------------------------------------------------------------------------------------
def _stored(name: str) -> bool:
    return name not in _PROVIDER_OWNED and not name.startswith(_BRIDGE_PREFIXES)


def _group(name: str) -> str:
    """DTEND and DURATION are one choice (RFC 5545 §3.6.1): the client's DURATION replaces the
    provider's DTEND as a group."""
    return "DTEND" if name in ("DTEND", "DURATION") else name


def _entries(block: Block) -> list[tuple[str, str]]:
    """(group name, exact text) of every line and sub-component (VALARM as one entry)."""
    out: list[tuple[str, str]] = []
    for child in block.children:
        if isinstance(child, Line):
            out.append((_group(child.name), child.text))
        else:
            out.append(("BEGIN:" + child.name, child.text()))
    return out


def _digest(texts: Iterable[str]) -> str:
    joined = "\n\x00".join(sorted(texts))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


def _value_key(name: str, text: str) -> str:
    value = split_line(text)[3]
    return value.casefold() if name in _ADDRESS_VALUES else value


def time_key(line: Line | None) -> str:
    """A RECURRENCE-ID/EXDATE value as a zone-free key: YYYYMMDD for dates, UTC otherwise.
    Unknown zones keep the wall time (stable for the same sender)."""
    if line is None:
        return ""
    params = dict(line.params)
    return _instant(line.value.split(",")[0].strip(), params.get("TZID", ""))


def _instant(value: str, tzid: str) -> str:
    raw = value.strip().upper()
    if len(raw) == 8 and raw.isdigit():
        return raw
    try:
        wall = dt.datetime.strptime(raw.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        return raw
    if raw.endswith("Z"):
        return wall.strftime("%Y%m%dT%H%M%SZ")
    zone_name = to_iana(tzid.strip('"')) if tzid else None
    if not zone_name:
        return raw
    try:
        aware = wall.replace(tzinfo=ZoneInfo(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        return raw
    return aware.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _units(text: str) -> tuple[list[Block], dict[str, Block]]:
    tops = parse(text)
    units: dict[str, Block] = {}
    for top in tops:
        inner = [top] if top.name in _UNITS else [b for b in top.blocks() if b.name in _UNITS]
        for unit in inner:
            units.setdefault(time_key(unit.first("RECURRENCE-ID")), unit)
    return tops, units


def _uid(units: dict[str, Block]) -> str | None:
    for unit in units.values():
        line = unit.first("UID")
        if line is not None:
            return line.value.strip()
    return None


# --- compute ---------------------------------------------------------------------------------
def compute(client: str, canonical: str) -> Overlay:
    """What `canonical` (the provider's raw rendering after the write) lost of `client`."""
    _, mine = _units(client)
    _, theirs = _units(canonical)
    # a vCard 4.0 PUT served as 3.0: only whole extra lines are kept, no 4.0 spellings
    same_form = _version(mine) == _version(theirs)
    units: dict[str, UnitOverlay] = {}
    cancelled: list[tuple[str, str]] = []
    for key, unit in mine.items():
        theirs_unit = theirs.get(key)
        if theirs_unit is None:
            status = unit.first("STATUS")
            if key and status is not None and status.value.strip().upper() == "CANCELLED":
                cancelled.append((key, unit.text()))
            continue
        found = _unit_overlay(unit, theirs_unit, same_form)
        if not found.empty():
            units[key] = found
    client_uid, provider_uid = _uid(mine), _uid(theirs)
    uid = client_uid if client_uid and client_uid != provider_uid else None
    return Overlay(uid, units, tuple(cancelled))


def _version(units: dict[str, Block]) -> str:
    line = next(iter(units.values())).first("VERSION") if units else None
    return line.value.strip() if line is not None else ""


def _unit_overlay(mine: Block, theirs: Block, same_form: bool) -> UnitOverlay:
    have: dict[str, list[str]] = {}
    for name, text in _entries(theirs):
        have.setdefault(name, []).append(text)
    sent: dict[str, list[str]] = {}
    for name, text in _entries(mine):
        real = name[6:] if name.startswith("BEGIN:") else split_line(text)[1]
        if name.startswith("BEGIN:") or _stored(real) or real == "DURATION":
            sent.setdefault(name, []).append(text)
    extra: list[str] = []
    params: list[tuple[str, str, str]] = []
    groups: list[tuple[str, str, tuple[str, ...]]] = []
    for name, texts in sent.items():
        provider = have.get(name, [])
        if name == "DTEND" and not any(split_line(t)[1] == "DURATION" for t in texts):
            continue  # the client's own DTEND: the provider owns times
        if not provider:
            extra.extend(texts)
            continue
        if not same_form:
            continue
        missing = list(provider)
        unmatched: list[str] = []
        for text in texts:
            if text in missing:
                missing.remove(text)
            else:
                unmatched.append(text)
        if not unmatched:
            continue
        restores: list[tuple[str, str, str]] = []
        for text in unmatched:
            value = _value_key(name, text)
            twin = next((p for p in missing if _value_key(name, p) == value), None)
            if twin is None or name.startswith("BEGIN:"):
                restores = []
                break
            missing.remove(twin)
            restores.append((name, _digest([twin]), text))
        if restores and len(restores) == len(unmatched):
            params.extend(restores)
        else:
            groups.append((name, _digest(provider), tuple(texts)))
    ends = any(isinstance(c, Line) and _group(c.name) == "DTEND" for c in mine.children)
    if mine.name == "VEVENT" and not ends and have.get("DTEND"):
        # no DTEND and no DURATION: the event ends as RFC 5545 §3.6.1 implies (a day for a
        # DATE start, at its start otherwise); the provider's explicit end is dropped again
        # while it is the one it stored for that
        groups.append(("DTEND", _digest(have["DTEND"]), ()))
    return UnitOverlay(tuple(extra), tuple(params), tuple(groups))


# --- merge -----------------------------------------------------------------------------------
def merge(rendered: str, overlay: Overlay | None) -> str:
    """`rendered` (the provider's raw rendering) with the overlay re-applied."""
    if overlay is None or overlay.empty():
        return rendered
    tops, units = _units(rendered)
    if not units:
        return rendered
    replaced: dict[int, Block] = {}
    for key, unit in units.items():
        new = _merge_unit(unit, overlay.units.get(key), overlay.uid)
        if new is not unit:
            replaced[id(unit)] = new
    tops = [_replace(top, replaced) for top in tops]
    tops = _restore_cancelled(tops, set(units), overlay)
    return serialize(tops)


def _replace(block: Block, replaced: dict[int, Block]) -> Block:
    if id(block) in replaced:
        return replaced[id(block)]
    children = tuple(replaced.get(id(c), c) if isinstance(c, Block) else c for c in block.children)
    return Block(block.name, children)


def _as_child(name: str, text: str) -> Line | Block | None:
    if name.startswith("BEGIN:"):
        return reparse_block(text)
    return Line(split_line(text)[1], text)


def _merge_unit(unit: Block, found: UnitOverlay | None, uid: str | None) -> Block:
    if found is None and uid is None:
        return unit
    children: list[Line | Block] = list(unit.children)
    if uid is not None:
        children = [
            Line("UID", f"UID:{uid}") if isinstance(c, Line) and c.name == "UID" else c
            for c in children
        ]
    if found is None:
        return Block(unit.name, tuple(children))
    names_before = {_key_of(c) for c in children}
    for name, guard, texts in found.groups:
        current = [i for i, c in enumerate(children) if _key_of(c) == name]
        if _digest(_text_of(children[i]) for i in current) != guard:
            continue  # changed at the provider since: the provider wins
        at = current[0] if current else len(children)
        new_children = [c for n in texts if (c := _as_child(name, n)) is not None]
        children = children[:at] + new_children + [c for c in children[at:] if _key_of(c) != name]
    for name, guard, text in found.params:
        for index, child in enumerate(children):
            if _key_of(child) == name and _digest([_text_of(child)]) == guard:
                children[index] = Line(split_line(text)[1], text)
                break
    for text in found.extra:
        line_name = split_line(text)[1]
        kind = "BEGIN:" + text.split("\n", 1)[0][6:] if text.startswith("BEGIN:") else None
        key = kind or _group(line_name)
        if key in names_before:
            continue  # the provider renders this property now: its value wins
        extra = _as_child(kind, text) if kind else Line(line_name, text)
        if extra is not None:
            children.append(extra)
    return Block(unit.name, tuple(children))


def _key_of(child: Line | Block) -> str:
    return _group(child.name) if isinstance(child, Line) else "BEGIN:" + child.name


def _text_of(child: Line | Block) -> str:
    return child.text if isinstance(child, Line) else child.text()


def _restore_cancelled(tops: list[Block], present: set[str], overlay: Overlay) -> list[Block]:
    """A cancelled override the provider keeps as an EXDATE comes back as the client's
    STATUS:CANCELLED VEVENT, with that date taken out of the EXDATE (one form, not both)."""
    if not overlay.cancelled:
        return tops
    out: list[Block] = []
    for top in tops:
        if top.name != "VCALENDAR":
            out.append(top)
            continue
        children = list(top.children)
        master_at = next(
            (
                i
                for i, c in enumerate(children)
                if isinstance(c, Block) and c.name in _UNITS and c.first("RECURRENCE-ID") is None
            ),
            None,
        )
        if master_at is None:
            out.append(top)
            continue
        for key, text in overlay.cancelled:
            master = children[master_at]
            assert isinstance(master, Block)
            if key in present:
                continue
            trimmed = _drop_exdate(master, key)
            block = reparse_block(text)
            if trimmed is None or block is None:
                continue  # the provider no longer cancels this occurrence
            children[master_at] = trimmed
            children.append(block)
        out.append(Block(top.name, tuple(children)))
    return out


def _drop_exdate(master: Block, key: str) -> Block | None:
    """`master` without `key` among its EXDATE values; None when no EXDATE names it."""
    found = False
    children: list[Line | Block] = []
    for child in master.children:
        if not (isinstance(child, Line) and child.name == "EXDATE"):
            children.append(child)
            continue
        _, _, params, value = split_line(child.text)
        tzid = dict(params).get("TZID", "")
        values = [v for v in value.split(",") if v.strip()]
        kept = [v for v in values if _instant(v, tzid) != key]
        if len(kept) == len(values):
            children.append(child)
            continue
        found = True
        if kept:
            head = child.text[: len(child.text) - len(value)]
            children.append(Line("EXDATE", head + ",".join(kept)))
    return Block(master.name, tuple(children)) if found else None


# --- encoding --------------------------------------------------------------------------------
def apply(rendered: str, stored: str | None) -> tuple[str, str | None]:
    """(merged text, client UID or None) for a provider rendering and its stored overlay."""
    overlay = decode(stored)
    if overlay is None:
        return rendered, None
    return merge(rendered, overlay), overlay.uid


def precheck(client: str, limit: int = OVERLAY_MAX_BYTES) -> None:
    """Refuse before anything is written when the client's X- properties alone (which no
    provider has fields for) exceed the bound."""
    _, mine = _units(client)
    units = {
        key: UnitOverlay(
            tuple(
                line.text
                for line in unit.lines()
                if line.name.startswith("X-") and _stored(line.name)
            )
        )
        for key, unit in mine.items()
    }
    encode(Overlay(None, {k: u for k, u in units.items() if not u.empty()}), limit)


def for_write(client: str, raw: str, limit: int = OVERLAY_MAX_BYTES) -> str:
    """The encoded overlay to store after a write: `client` against the provider's raw
    rendering `raw`. Past the bound, the client's re-spellings (groups, then parameters) are
    given up first — extra properties were checked by `precheck` before the write."""
    found = compute(client, raw)
    try:
        return encode(found, limit)
    except OverlayTooLarge:
        pass
    lean = {k: UnitOverlay(u.extra, u.params, ()) for k, u in found.units.items()}
    try:
        return encode(Overlay(found.uid, lean, found.cancelled), limit)
    except OverlayTooLarge:
        bare = {k: UnitOverlay(u.extra) for k, u in found.units.items()}
        return encode(Overlay(found.uid, bare, found.cancelled), limit)
