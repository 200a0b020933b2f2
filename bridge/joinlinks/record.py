"""The enrichment record: exactly what enrich() added to each VEVENT, and its removal on write.

enrich() returns, next to the served text, an `Enrichment`: per VEVENT (keyed by its
RECURRENCE-ID value, "" for the master) the properties it added and the values it changed, with
the provider's original value. The mirror stores it next to the item (bridge/store), and the write
path calls `remove_enrichment(client_text, record)` before anything goes to the provider, so what
the bridge added never reaches the provider — whatever the client kept, re-serialised or dropped:

- Radicale parses every PUT with vobject before the storage plugin sees it (values re-escaped,
  lines re-folded, parameters re-quoted, a comma-separated X- property shortened to its first
  value); SyncEvolution drops every X- property; Thunderbird keeps only the last of repeated
  non-standard properties. None of that matters here: values are compared as the user sees them
  (TEXT unescaped, newlines normalised), never by the client echoing the bridge's bookkeeping.

Per client VEVENT and per direct property:
- an `added` property is dropped while its value is still the one enrich() added;
- a `replaced` property (LOCATION that held a placeholder, an empty URL) gets the provider's
  original value back while it still holds the value enrich() put there;
- a `prefixed` / `suffixed` TEXT property (DESCRIPTION with a join block or the "Not a Zoom
  meeting" line) loses exactly that prefix/suffix while the client kept it; the rest — possibly
  edited by the user — is kept. A property that was only ours and is left empty is dropped.
A user's edit of one of these values makes it the user's: it is kept as edited.

This module must not detect anything and must not do I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bridge.joinlinks.content import (
    ContentLine,
    direct_properties,
    escape_text,
    parse_line,
    serialize,
    split_vevents,
    unescape_text,
    unfold,
    with_value,
)

ADDED = "added"  # the property did not exist; `value` is what enrich() wrote (wire form)
REPLACED = "replaced"  # `original` (wire form) was replaced by `value`
PREFIXED = "prefixed"  # `value` (user-visible text) was put in front of the provider's text
SUFFIXED = "suffixed"  # `value` (user-visible text) was appended to the provider's text
_KINDS = (ADDED, REPLACED, PREFIXED, SUFFIXED)


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    value: str
    original: str = ""


@dataclass(frozen=True)
class VeventChanges:
    key: str  # "UID|RECURRENCE-ID" (normalised), "UID|" for the master / a single event
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Enrichment:
    vevents: tuple[VeventChanges, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            [
                [v.key, [[c.kind, c.name, c.value, c.original] for c in v.changes]]
                for v in self.vevents
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @staticmethod
    def from_json(text: str) -> Enrichment:
        data = json.loads(text)
        vevents: list[VeventChanges] = []
        for key, changes in data:
            parsed = tuple(Change(str(k), str(n), str(v), str(o)) for k, n, v, o in changes)
            if any(c.kind not in _KINDS for c in parsed):
                raise ValueError("unknown change kind in enrichment record")
            vevents.append(VeventChanges(str(key), parsed))
        return Enrichment(tuple(vevents))

    def for_key(self, key: str) -> tuple[Change, ...]:
        """The changes of the VEVENT `key`; all changes when a client renamed the instance
        (e.g. RECURRENCE-ID re-expressed in UTC), so nothing of ours can slip through."""
        for v in self.vevents:
            if v.key == key:
                return v.changes
        seen: dict[Change, None] = {}
        for v in self.vevents:
            seen.update(dict.fromkeys(v.changes))
        return tuple(seen)


#: the properties vevent_key reads
KEY_PROPERTIES = frozenset({"UID", "RECURRENCE-ID"})


def vevent_key(lines: Iterable[ContentLine]) -> str:
    """UID and RECURRENCE-ID value of a VEVENT, as a key ("uid|" for a master)."""
    uid = rid = ""
    for line in lines:
        if line.name == "RECURRENCE-ID" and not rid:
            rid = line.value.strip().upper().rstrip("Z")
        elif line.name == "UID" and not uid:
            uid = line.value.strip()
    return f"{uid}|{rid}"


def normalise(text: str) -> str:
    """A value as the user sees it, for comparison across client re-serialisations."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _seen(line: ContentLine) -> str:
    # vobject escapes commas even in URI values it does not know; unescape everything.
    return normalise(unescape_text(line.value))


def changes_of(
    block: Sequence[str],
    new: Sequence[str],
    replaced: dict[int, str],
    affixed: dict[int, tuple[str, str]],
    direct: Sequence[int] | None = None,
    parsed: Sequence[ContentLine] | None = None,
) -> VeventChanges:
    """The record of one VEVENT: `new` lines added, `replaced` (index -> new line) changed,
    `affixed` (index -> (prefix, suffix), user-visible text) for TEXT values extended.
    `direct`: the block's direct_properties when the caller has them; `parsed`: those lines
    parsed, when it has them too."""
    if parsed is None:
        indices = direct_properties(block) if direct is None else direct
        parsed = [parse_line(block[i]) for i in indices]
    changes: list[Change] = []
    for raw in new:
        line = parse_line(raw)
        changes.append(Change(ADDED, line.name, line.value, param_key(line)))
    for index, raw in sorted(replaced.items()):
        before, after = parse_line(block[index]), parse_line(raw)
        if index in affixed:
            prefix, suffix = affixed[index]
            if prefix:
                changes.append(Change(PREFIXED, after.name, prefix))
            if suffix:
                changes.append(Change(SUFFIXED, after.name, suffix))
        else:
            changes.append(Change(REPLACED, after.name, after.value, before.value))
    return VeventChanges(vevent_key(parsed), tuple(changes))


def _without_affixes(text: str, affixes: Sequence[Change]) -> tuple[str, bool]:
    """`text` (user-visible, newlines normalised) without the recorded prefix/suffix."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    touched = False
    for change in affixes:
        affix = change.value.replace("\r\n", "\n")
        if change.kind == PREFIXED:
            if body.startswith(affix):
                body, touched = body[len(affix) :], True
            elif body.lstrip().startswith(affix.strip()) and affix.strip():
                body, touched = body.lstrip()[len(affix.strip()) :].lstrip("\n"), True
        elif change.kind == SUFFIXED:
            if body.endswith(affix):
                body, touched = body[: len(body) - len(affix)], True
            elif body.rstrip().endswith(affix.strip()) and affix.strip():
                body, touched = body.rstrip()[: len(body.rstrip()) - len(affix.strip())], True
    return body, touched


def param_key(line: ContentLine) -> str:
    """The parameters of a line, canonically (for telling apart lines with equal values)."""
    return ";".join(sorted(f"{k}={','.join(v)}" for k, v in line.params))


def _match(seen: str, params: str, pool: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """The recorded (value, parameters) the client's line stands for: the same value, or the
    value cut at its first comma with the same parameters (vobject reads an unknown
    property's value as a comma-separated list and keeps the first item, e.g.
    CONFERENCE:tel:+1646…,,855…# comes back as tel:+1646…)."""
    exact = next((entry for entry in pool if entry[0] == seen), None)
    if exact is not None:
        return exact
    if seen and "," not in seen:
        return next(
            (
                entry
                for entry in pool
                if "," in entry[0]
                and entry[0].split(",", 1)[0].strip() == seen
                and entry[1] == params
            ),
            None,
        )
    return None


def remove_from_vevent(block: Sequence[str], record: Enrichment) -> list[str]:
    """One client VEVENT (unfolded lines) without what `record` says enrich() added."""
    indices = direct_properties(block)
    parsed = {i: parse_line(block[i]) for i in indices}
    changes = record.for_key(vevent_key(parsed.values()))
    added: dict[str, list[tuple[str, str]]] = {}
    replaced: dict[str, list[Change]] = {}
    affixes: dict[str, list[Change]] = {}
    for c in changes:
        if c.kind == ADDED:
            added.setdefault(c.name, []).append((normalise(unescape_text(c.value)), c.original))
        elif c.kind == REPLACED:
            replaced.setdefault(c.name, []).append(c)
        else:
            affixes.setdefault(c.name, []).append(c)

    out: list[str] = []
    for i, raw in enumerate(block):
        line = parsed.get(i)
        if line is None:
            out.append(raw)
            continue
        seen = _seen(line)
        pool = added.get(line.name)
        match = _match(seen, param_key(line), pool or [])
        if match is not None and pool is not None:
            pool.remove(match)
            continue
        hit = next(
            (c for c in replaced.get(line.name, ()) if normalise(unescape_text(c.value)) == seen),
            None,
        )
        if hit is not None:
            out.append(with_value(line, hit.original))
            continue
        if line.name in affixes or line.name in added:
            text, touched = _without_affixes(unescape_text(line.value), affixes.get(line.name, []))
            if not touched and line.name in added:
                # an ADDED TEXT property the user extended: drop our part at its start
                base = [a for a, _ in added[line.name] if a and text.lstrip().startswith(a)]
                if base:
                    text, touched = text.lstrip()[len(base[0]) :].lstrip("\n"), True
                    if not text.strip():
                        continue
            if touched:
                if not text.strip() and line.name not in affixes:
                    continue
                out.append(with_value(line, escape_text(text)))
                continue
        out.append(raw)
    return out


def remove_enrichment(ical: str, record: Enrichment) -> str:
    """Client VCALENDAR text -> the same without what `record` says enrich() added."""
    out: list[str] = []
    for segment in split_vevents(unfold(ical)):
        if isinstance(segment, list):
            out.extend(remove_from_vevent(segment, record))
        else:
            out.append(segment)
    return serialize(out)
