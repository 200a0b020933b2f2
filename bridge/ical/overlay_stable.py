"""Keeping the lossless overlay stable across re-serialisations (C10, issue 10): an unchanged
item must produce the overlay already stored, so nothing is written to the provider's extension
field (no new changeKey/etag, no re-sync on the user's other devices).

What it does:
- `norm_line` / `norm_block`: one spelling for a content line however a library re-serialised
  it — vobject and icalendar change the case of names and parameter names, merge repeated
  `TYPE=` parameters into one comma list, add or drop parameter quotes, reorder parameters
  and a VALARM's lines, re-escape values (RFC 6350 §3.4: `\\:` is no escape, so vobject
  writes `\\\\:`), and re-fold (unfolded before we see it);
- `same_overlay`: two overlays equal under that spelling (and in any order);
- `carry_dropped_x`: the stored overlay's X- lines (and X- lines inside a stored VALARM) that
  the client did not send at all come back into the new overlay. Clients that drop every X-
  property (SyncEvolution) must not erase what other clients stored; a grouped vCard line
  (`item1.X-ABLabel`) is carried only while its group is still in the client's card.
What it must not do: I/O, or decide what the provider holds (overlay.compute does that).
"""

from __future__ import annotations

from bridge.ical.contentlines import parse, split_line
from bridge.ical.overlay_wire import Overlay, UnitOverlay

_Norm = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], str]


def _unquote_split(value: str) -> list[str]:
    """A parameter value's comma-separated values, quotes removed (RFC 5545 §3.2)."""
    out: list[str] = []
    quoted = False
    start = 0
    for index, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            out.append(value[start:index])
            start = index + 1
    out.append(value[start:])
    return [v.strip().strip('"').casefold() for v in out]


def _norm_value(value: str) -> str:
    """The value without escapes: `\\n`/`\\N` is a newline, any other backslash is dropped
    (so `\\:`, `\\\\:` and `:` compare equal — a spelling difference, not a new value), and
    without trailing `;` (vobject writes `ORG:Firma;` as `ORG:Firma`)."""
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            following = value[index + 1]
            out.append("\n" if following in "nN" else ("" if following == "\\" else following))
            index += 2
            continue
        if char != "\\":
            out.append(char)
        index += 1
    # trailing empty components of a structured value (`ORG:Firma;`) are no value either
    return "".join(out).replace("\\", "").rstrip(";")


def norm_line(text: str) -> _Norm:
    """One spelling of a content line: (group, NAME, sorted params with sorted values, value)."""
    group, name, params, value = split_line(text)
    merged: dict[str, set[str]] = {}
    for key, raw in params:
        merged.setdefault(key.upper(), set()).update(_unquote_split(raw))
    return (
        group.casefold(),
        name.upper(),
        tuple(sorted((k, tuple(sorted(v))) for k, v in merged.items())),
        _norm_value(value),
    )


def norm_block(text: str) -> tuple[str, tuple[_Norm, ...]]:
    """A sub-component (VALARM, from `Block.text()`) by the sorted spellings of its lines."""
    blocks = parse(text)
    if not blocks:
        return ("", ())
    block = blocks[0]
    return (block.name, tuple(sorted(norm_line(line.text) for line in block.lines())))


def norm_entry(name: str, text: str) -> object:
    return norm_block(text) if name.startswith("BEGIN:") else norm_line(text)


def _extra_name(text: str) -> str:
    return "BEGIN:" + text.split("\n", 1)[0][6:] if text.startswith("BEGIN:") else ""


def _norm_extra(text: str) -> object:
    kind = _extra_name(text)
    return norm_entry(kind, text) if kind else norm_line(text)


def _norm_unit(unit: UnitOverlay) -> tuple[object, ...]:
    return (
        sorted(map(repr, map(_norm_extra, unit.extra))),
        sorted(repr((n, g, norm_entry(n, t))) for n, g, t in unit.params),
        sorted(
            repr((n, g, sorted(repr(norm_entry(n, t)) for t in ts))) for n, g, ts in unit.groups
        ),
    )


def same_overlay(one: Overlay, other: Overlay) -> bool:
    """Equal under `norm_line` spellings, in any order."""
    if one.uid != other.uid or set(one.units) != set(other.units):
        return False
    if any(_norm_unit(one.units[k]) != _norm_unit(other.units[k]) for k in one.units):
        return False
    mine = sorted(repr((k, norm_block(t))) for k, t in one.cancelled)
    theirs = sorted(repr((k, norm_block(t))) for k, t in other.cancelled)
    return mine == theirs


# --- carrying what a lossy client dropped ----------------------------------------------------
def _is_x(text: str) -> bool:
    return split_line(text)[1].startswith("X-")


def _without_x(block_text: str) -> tuple[str, tuple[_Norm, ...]]:
    name, lines = norm_block(block_text)
    return name, tuple(line for line in lines if not line[1].startswith("X-"))


def carry_dropped_x(
    found: Overlay, stored: Overlay, sent: dict[str, set[tuple[str, str]]]
) -> Overlay:
    """`found` with the stored X- lines of a client that sent none of them back. `sent` holds,
    per unit key, the (case-folded group, upper-case name) of every line the client sent.

    Ungrouped X- lines are carried when the client sent none of their names (a client that
    sends some of them and not another has removed that one); a vCard group's X- lines
    (`item1.X-ABLabel`) when the group is still there and none of them was sent in it."""
    units = dict(found.units)
    for key, old in stored.units.items():
        if key not in sent:
            continue  # the client sent no such component: nothing to keep it in
        mine = sent[key]
        by_group: dict[str, list[str]] = {}
        for text in old.extra:
            if not text.startswith("BEGIN:") and _is_x(text):
                by_group.setdefault(split_line(text)[0].casefold(), []).append(text)
        present = {group for group, _ in mine}
        new = units.get(key, UnitOverlay())
        have = {repr(_norm_extra(t)) for t in new.extra}
        carried: list[str] = []
        for group, texts in by_group.items():
            if group and group not in present:
                continue  # the property this label belonged to is gone
            if any((group, split_line(t)[1]) in mine for t in texts):
                continue  # the client keeps X- properties: what it left out, it removed
            carried.extend(t for t in texts if repr(_norm_extra(t)) not in have)
        groups_out = tuple(_carry_group(entry, old.groups) for entry in new.groups)
        if carried or groups_out != new.groups:
            units[key] = UnitOverlay(new.extra + tuple(carried), new.params, groups_out)
    return Overlay(found.uid, units, found.cancelled)


def _carry_group(
    entry: tuple[str, str, tuple[str, ...]], stored: tuple[tuple[str, str, tuple[str, ...]], ...]
) -> tuple[str, str, tuple[str, ...]]:
    """A VALARM group sent without any X- line keeps the stored one when the two differ only
    in X- lines (SyncEvolution drops `X-WR-ALARMUID`)."""
    name, guard, texts = entry
    if not name.startswith("BEGIN:") or any(
        line[1].startswith("X-") for t in texts for line in norm_block(t)[1]
    ):
        return entry
    for old_name, old_guard, old_texts in stored:
        if (old_name, old_guard) != (name, guard) or len(old_texts) != len(texts):
            continue
        if sorted(map(repr, map(_without_x, old_texts))) == sorted(
            map(repr, map(_without_x, texts))
        ):
            return (old_name, old_guard, old_texts)
    return entry
