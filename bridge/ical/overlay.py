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
- `merge(rendered, overlay)` (overlay_merge.py; keys and guards in overlay_keys.py) re-applies
  them. Every restore other than an extra line is
  *guarded* by a hash of what the provider rendered at write time, so a change made at the
  provider afterwards (web UI, phone) wins over the overlay; extra lines come back only while
  the provider still renders no property of that name;
- `precheck` (before a write) and `for_write` (after it) keep within the bound; `for_write`
  hands back the stored overlay itself when the new one differs only in spelling, and keeps the
  stored X- lines of a client that sent none of them (overlay_stable.py), so an unchanged save
  writes nothing to the provider; `apply` is the read side. The stored form and the bound live in `overlay_wire.py` (re-exported here, so a
  provider needs this module only).

Never stored: what the provider owns (times, recurrence, DTSTAMP/CREATED/LAST-MODIFIED, REV),
what the bridge itself adds when enriching (X-DAVBRIDGE-*, X-ZOOM-*, CONFERENCE and the vendor
join-link properties: enrichment recomputes them from the provider), and inline media (PHOTO,
LOGO, SOUND). What it must not do: I/O, or parse values beyond date-times for keys.
"""

from __future__ import annotations

from bridge.errors import OverlayTooLarge
from bridge.ical.contentlines import Block, Line, split_line
from bridge.ical.overlay_keys import (
    digest,
    entries,
    group_of,
    is_stored,
    time_key,
    uid_of,
    units_of,
    value_key,
)
from bridge.ical.overlay_merge import merge
from bridge.ical.overlay_stable import carry_dropped_x, norm_entry, same_overlay
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


# --- compute ---------------------------------------------------------------------------------
def compute(client: str, canonical: str, loose: bool = False) -> Overlay:
    """What `canonical` (the provider's raw rendering after the write) lost of `client`; with
    `loose`, a line the provider holds in another spelling counts as held."""
    _, mine = units_of(client)
    _, theirs = units_of(canonical)
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
        found = _unit_overlay(unit, theirs_unit, same_form, loose)
        if not found.empty():
            units[key] = found
    client_uid, provider_uid = uid_of(mine), uid_of(theirs)
    uid = client_uid if client_uid and client_uid != provider_uid else None
    return Overlay(uid, units, tuple(cancelled))


def _version(units: dict[str, Block]) -> str:
    line = next(iter(units.values())).first("VERSION") if units else None
    return line.value.strip() if line is not None else ""


def _spelling(name: str, text: str, loose: bool) -> object:
    """The exact text, or with `loose` one spelling of it (overlay_stable.norm_entry)."""
    return norm_entry(name, text) if loose else text


def _unit_overlay(mine: Block, theirs: Block, same_form: bool, loose: bool) -> UnitOverlay:
    have: dict[str, list[str]] = {}
    for name, text in entries(theirs):
        have.setdefault(name, []).append(text)
    sent: dict[str, list[str]] = {}
    for name, text in entries(mine):
        real = name[6:] if name.startswith("BEGIN:") else split_line(text)[1]
        if name.startswith("BEGIN:") or is_stored(real) or real == "DURATION":
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
        spelled: dict[object, list[str]] = {}
        for p in provider:
            spelled.setdefault(_spelling(name, p, loose), []).append(p)
        unmatched: list[str] = []
        for text in texts:
            twins = spelled.get(_spelling(name, text, loose))
            if twins:
                missing.remove(twins.pop())
            else:
                unmatched.append(text)
        if not unmatched:
            continue
        restores: list[tuple[str, str, str]] = []
        for text in unmatched:
            value = value_key(name, text)
            twin = next((p for p in missing if value_key(name, p) == value), None)
            if twin is None or name.startswith("BEGIN:"):
                restores = []
                break
            missing.remove(twin)
            restores.append((name, digest([twin]), text))
        if restores and len(restores) == len(unmatched):
            params.extend(restores)
        else:
            groups.append((name, digest(provider), tuple(texts)))
    ends = any(isinstance(c, Line) and group_of(c.name) == "DTEND" for c in mine.children)
    if mine.name == "VEVENT" and not ends and have.get("DTEND"):
        # no DTEND and no DURATION: the event ends as RFC 5545 §3.6.1 implies (a day for a
        # DATE start, at its start otherwise); the provider's explicit end is dropped again
        # while it is the one it stored for that
        groups.append(("DTEND", digest(have["DTEND"]), ()))
    return UnitOverlay(tuple(extra), tuple(params), tuple(groups))


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
    _, mine = units_of(client)
    units = {
        key: UnitOverlay(
            tuple(
                line.text
                for line in unit.lines()
                if line.name.startswith("X-") and is_stored(line.name)
            )
        )
        for key, unit in mine.items()
    }
    encode(Overlay(None, {k: u for k, u in units.items() if not u.empty()}), limit)


def for_write(
    client: str, raw: str, limit: int = OVERLAY_MAX_BYTES, stored: str | None = None
) -> str:
    """The encoded overlay to store after a write: `client` against the provider's raw
    rendering `raw`. With the overlay `stored` before the write: X- lines the client did not
    send at all are kept (overlay_stable.carry_dropped_x), and an overlay equal to the stored
    one in another spelling returns `stored` itself, so the caller writes nothing. Past the
    bound, the client's re-spellings (groups, then parameters) are given up first — extra
    properties were checked by `precheck` before the write."""
    plain = compute(client, raw)
    old = decode(stored)
    if old is None:
        return _bounded(plain, limit)
    sent = _sent(client)
    loose = carry_dropped_x(compute(client, raw, loose=True), old, sent)
    if same_overlay(loose, _loosened(old, raw)):
        return stored or ""
    found = carry_dropped_x(plain, old, sent)
    try:
        return _bounded(found, limit)
    except OverlayTooLarge:
        return _bounded(plain, limit)  # what was carried does not fit: the client's own only


def _loosened(stored: Overlay, raw: str) -> Overlay:
    """`stored` without the restores that only re-spell what `raw` (the provider's rendering)
    holds: what `compute(…, loose=True)` leaves out too."""
    _, theirs = units_of(raw)
    units: dict[str, UnitOverlay] = {}
    for key, unit in stored.units.items():
        provider = theirs.get(key)
        if provider is None:
            units[key] = unit
            continue
        have: dict[str, list[str]] = {}
        for name, text in entries(provider):
            have.setdefault(name, []).append(text)
        params = tuple(
            (name, guard, text)
            for name, guard, text in unit.params
            if not any(
                digest([p]) == guard and norm_entry(name, p) == norm_entry(name, text)
                for p in have.get(name, [])
            )
        )
        groups = tuple(
            (name, guard, texts)
            for name, guard, texts in unit.groups
            if not (
                digest(have.get(name, [])) == guard
                and sorted(repr(norm_entry(name, t)) for t in texts)
                == sorted(repr(norm_entry(name, p)) for p in have.get(name, []))
            )
        )
        units[key] = UnitOverlay(unit.extra, params, groups)
    return Overlay(stored.uid, {k: u for k, u in units.items() if not u.empty()}, stored.cancelled)


def _sent(client: str) -> dict[str, set[tuple[str, str]]]:
    """Per unit key: (case-folded group, NAME) of every line the client sent."""
    _, mine = units_of(client)
    out: dict[str, set[tuple[str, str]]] = {}
    for key, unit in mine.items():
        out[key] = {
            (group.casefold(), name)
            for group, name, _, _ in (split_line(line.text) for line in unit.lines())
        }
    return out


def _bounded(found: Overlay, limit: int) -> str:
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
