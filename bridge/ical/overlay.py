"""The lossless overlay (SPEC C10, DESIGN "Lossless overlay"): what a client sent that the
provider could not hold, kept at the provider in its extension mechanism and merged back
when the item is rendered.

What it does, for iCalendar (VEVENT/VTODO units keyed by RECURRENCE-ID) and vCard alike:
- `compute(client, canonical)` compares the client's text with the provider's own rendering
  right after the write (the *raw* rendering, before any overlay) and records, per unit:
  extra lines (a property the provider has no field for: X- properties, SEQUENCE,
  RELATED-TO, …), parameter restores (same value, the client's parameters: `TYPE=WORK`,
  `PREF`), group replacements (the client's spelling of a property the provider re-wrote:
  DESCRIPTION, VALARM blocks, DURATION instead of DTEND), cancelled overrides the provider
  holds as an EXDATE, and the client's UID;
- `merge(rendered, overlay)` re-applies them. Every restore other than an extra line is
  *guarded* by a hash of what the provider rendered at write time, so a change made at the
  provider afterwards (web UI, phone) wins over the overlay; extra lines come back only while
  the provider still renders no property of that name;
- `encode`/`decode`: compact JSON, zlib, URL-safe base64, bounded by `OVERLAY_MAX_BYTES`
  (past it: `OverlayTooLarge`, a 400 that names the bound); `chunks`/`join_chunks` split the
  encoded text for stores with a per-value limit (Google extendedProperties: 1024 characters).

Never stored: what the provider owns (times, recurrence, DTSTAMP/CREATED/LAST-MODIFIED, REV),
what the bridge itself adds when enriching (X-DAVBRIDGE-*, X-ZOOM-*, CONFERENCE and the vendor
join-link properties: enrichment recomputes them from the provider), and inline media (PHOTO,
LOGO, SOUND). What it must not do: I/O, or parse values beyond date-times for keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.errors import OverlayTooLarge
from bridge.ical.contentlines import Block, Line, parse, reparse_block, serialize, split_line
from bridge.ical.timezones import to_iana

# The bound on what one item keeps at the provider: the encoded (compressed) overlay. Chosen
# to stay well inside Google's 32 kB per event for all extended properties ("Extended
# properties" guide, limits) and small next to Graph/EWS item sizes. Documented in README.
OVERLAY_MAX_BYTES = 16 * 1024
CHUNK_CHARS = 1000  # Google: a value holds at most 1024 characters (extended-properties guide)
FORMAT_VERSION = 1

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


@dataclass(frozen=True)
class UnitOverlay:
    """What to restore in one component (VEVENT by RECURRENCE-ID, or the VCARD)."""

    extra: tuple[str, ...] = ()  # lines whose name the provider renders not at all
    params: tuple[tuple[str, str, str], ...] = ()  # (NAME, guard of provider line, client line)
    groups: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (group, guard, client lines)

    def empty(self) -> bool:
        return not (self.extra or self.params or self.groups)


@dataclass(frozen=True)
class Overlay:
    uid: str | None = None
    units: dict[str, UnitOverlay] = field(default_factory=dict)
    cancelled: tuple[tuple[str, str], ...] = ()  # (recurrence key, client's VEVENT block)

    def empty(self) -> bool:
        return self.uid is None and not self.units and not self.cancelled


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
def encode(overlay: Overlay, limit: int = OVERLAY_MAX_BYTES) -> str:
    """Compact text for the provider's extension field ("" for an empty overlay)."""
    if overlay.empty():
        return ""
    raw: dict[str, Any] = {"v": FORMAT_VERSION}
    if overlay.uid is not None:
        raw["u"] = overlay.uid
    if overlay.units:
        raw["c"] = {
            key: {
                k: v
                for k, v in (
                    ("x", list(u.extra)),
                    ("p", [list(p) for p in u.params]),
                    ("g", [[n, g, list(t)] for n, g, t in u.groups]),
                )
                if v
            }
            for key, u in sorted(overlay.units.items())
        }
    if overlay.cancelled:
        raw["k"] = [list(c) for c in overlay.cancelled]
    data = json.dumps(raw, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    text = base64.urlsafe_b64encode(zlib.compress(data.encode("utf-8"), 9)).decode("ascii")
    if len(text) > limit:
        raise OverlayTooLarge(len(text), limit)
    return text


def decode(text: str | None) -> Overlay | None:
    """The overlay from its stored text; None for nothing stored or text this version of
    davbridge cannot read (never an error: the provider's data is served as it is)."""
    if not text:
        return None
    try:
        data = zlib.decompressobj().decompress(
            base64.urlsafe_b64decode(text.encode("ascii")), 4 * OVERLAY_MAX_BYTES * 64
        )
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("v") != FORMAT_VERSION:
            return None
        units = {
            str(key): UnitOverlay(
                tuple(str(x) for x in u.get("x", [])),
                tuple((str(n), str(g), str(t)) for n, g, t in u.get("p", [])),
                tuple((str(n), str(g), tuple(str(x) for x in t)) for n, g, t in u.get("g", [])),
            )
            for key, u in dict(raw.get("c", {})).items()
        }
        cancelled = tuple((str(k), str(t)) for k, t in raw.get("k", []))
        uid = raw.get("u")
        return Overlay(str(uid) if uid is not None else None, units, cancelled)
    except (ValueError, TypeError, KeyError, zlib.error, UnicodeError, AttributeError):
        return None


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """`text` cut into pieces of at most `size` characters (Google's per-value limit)."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def join_chunks(values: Sequence[str | None]) -> str:
    return "".join(v for v in values if v)


def keyed_chunks(text: str, prefix: str, old_count: int = 0) -> dict[str, str | None]:
    """Chunks as `{prefix0: …, prefix1: …}`; keys of a longer old overlay map to None (a PATCH
    with null removes them, per the extended-properties guide)."""
    pieces = chunks(text)
    out: dict[str, str | None] = {f"{prefix}{i}": p for i, p in enumerate(pieces)}
    for i in range(len(pieces), old_count):
        out[f"{prefix}{i}"] = None
    return out


def from_keyed(values: dict[str, Any] | None, prefix: str) -> str:
    """The encoded overlay back from `{prefix0: …, prefix1: …}` (other keys ignored)."""
    if not values:
        return ""
    pieces: list[str] = []
    index = 0
    while f"{prefix}{index}" in values and values[f"{prefix}{index}"]:
        pieces.append(str(values[f"{prefix}{index}"]))
        index += 1
    return "".join(pieces)


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
