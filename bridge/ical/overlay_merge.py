"""Re-applying a stored lossless overlay to the provider's rendering (C10, bridge.ical.overlay):
extra lines, guarded parameter and group restores, the client's UID, and cancelled overrides the
provider keeps as EXDATEs.

What it must not do: I/O, or decide what to store (overlay.compute does that).
"""

from __future__ import annotations

from bridge.ical.contentlines import Block, Line, reparse_block, serialize, split_line
from bridge.ical.overlay_keys import UNITS, digest, group_of, instant, units_of
from bridge.ical.overlay_wire import Overlay, UnitOverlay


# --- merge -----------------------------------------------------------------------------------
def merge(rendered: str, overlay: Overlay | None) -> str:
    """`rendered` (the provider's raw rendering) with the overlay re-applied."""
    if overlay is None or overlay.empty():
        return rendered
    tops, units = units_of(rendered)
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
        if digest(_text_of(children[i]) for i in current) != guard:
            # changed at the provider since: the provider wins, except for the organizer's
            # own ATTENDEE line, which a provider without one could not have changed
            children = _keep_organizer_attendee(children, name, texts)
            continue
        at = current[0] if current else len(children)
        new_children = [c for n in texts if (c := _as_child(name, n)) is not None]
        children = children[:at] + new_children + [c for c in children[at:] if _key_of(c) != name]
    for name, guard, text in found.params:
        for index, child in enumerate(children):
            if _key_of(child) == name and digest([_text_of(child)]) == guard:
                children[index] = Line(split_line(text)[1], text)
                break
    for text in found.extra:
        line_name = split_line(text)[1]
        kind = "BEGIN:" + text.split("\n", 1)[0][6:] if text.startswith("BEGIN:") else None
        key = kind or group_of(line_name)
        if key in names_before:
            continue  # the provider renders this property now: its value wins
        extra = _as_child(kind, text) if kind else Line(line_name, text)
        if extra is not None:
            children.append(extra)
    return Block(unit.name, tuple(children))


def _address(text: str) -> str:
    return split_line(text)[3].strip().lower()


def _keep_organizer_attendee(
    children: list[Line | Block], name: str, texts: tuple[str, ...]
) -> list[Line | Block]:
    """RFC 6638 §3.2: a client may list the ORGANIZER among the ATTENDEEs; Microsoft 365 and
    Exchange hold no attendee entry for the organizer, so an attendee's reply (which changes
    the provider's ATTENDEE lines and so fails the group's guard) must not drop it. Added back
    only while the provider renders no ATTENDEE of that address."""
    if name != "ATTENDEE":
        return children
    organizer = next(
        (_address(c.text) for c in children if isinstance(c, Line) and c.name == "ORGANIZER"), ""
    )
    held = {_address(c.text) for c in children if isinstance(c, Line) and c.name == "ATTENDEE"}
    if not organizer or organizer in held:
        return children
    own = [Line("ATTENDEE", t) for t in texts if _address(t) == organizer]
    if not own:
        return children
    at = next(
        (i for i, c in enumerate(children) if _key_of(c) == "ATTENDEE"),
        len(children),
    )
    return children[:at] + list(own[:1]) + children[at:]


def _key_of(child: Line | Block) -> str:
    return group_of(child.name) if isinstance(child, Line) else "BEGIN:" + child.name


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
                if isinstance(c, Block) and c.name in UNITS and c.first("RECURRENCE-ID") is None
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
        kept = [v for v in values if instant(v, tzid) != key]
        if len(kept) == len(values):
            children.append(child)
            continue
        found = True
        if kept:
            head = child.text[: len(child.text) - len(value)]
            children.append(Line("EXDATE", head + ",".join(kept)))
    return Block(master.name, tuple(children)) if found else None
