"""Give back the provider's X- properties to a client that drops every X- property.

Some clients keep no non-standard property at all (SyncEvolution drops every X- property; the
issue 10 reports it). The provider mappings carry provider state in X- properties
(X-MICROSOFT-CDO-BUSYSTATUS for free/busy "tentative"/"out of office", X-MICROSOFT-SENSITIVITY,
X-CONFERENCE-ID, …); without them a write would reset those fields at the provider although the
user changed nothing of the kind — no client UI lets a user delete an invisible property.

Rule, per VEVENT (matched by RECURRENCE-ID): when the client's VEVENT holds *none* of the X-
properties the provider's current text has for it, the client is one that drops them all, and
the provider's X- properties are put back. A client that kept some of them dropped the others on
purpose: nothing is added then.

`restore_truncated()` repairs what Radicale's vobject parse does to a value it does not know:
it reads it as a comma-separated list and keeps the first item (CONFERENCE:tel:+1646…,,855…#
arrives as tel:+1646…). A client value equal to the part before the first comma of the
provider's value of the same property (same VEVENT) is given the provider's whole value back.

This module must not do I/O.
"""

from __future__ import annotations

from bridge.joinlinks.content import (
    ContentLine,
    direct_properties,
    insertion_point,
    parse_line,
    recurrence_key,
    serialize,
    split_vevents,
    unfold,
    with_value,
)


def _x_lines(block: list[str]) -> tuple[str, list[str], set[str]]:
    lines = [parse_line(block[i]) for i in direct_properties(block)]
    xs = [ln for ln in lines if ln.name.startswith("X-")]
    return recurrence_key(lines), [ln.raw for ln in xs], {ln.name for ln in xs}


def restore_dropped_x(client_text: str, provider_text: str) -> str:
    """`client_text` with the provider's X- properties back in each VEVENT that has none."""
    provider: dict[str, tuple[list[str], set[str]]] = {}
    for segment in split_vevents(unfold(provider_text)):
        if isinstance(segment, list):
            rid, raws, names = _x_lines(segment)
            provider.setdefault(rid, (raws, names))
    out: list[str] = []
    for segment in split_vevents(unfold(client_text)):
        if not isinstance(segment, list):
            out.append(segment)
            continue
        rid, _raws, names = _x_lines(segment)
        theirs, their_names = provider.get(rid, ([], set()))
        if not theirs or names & their_names:
            out.extend(segment)
            continue
        at = insertion_point(segment)
        out.extend(segment[:at] + theirs + segment[at:])
    return serialize(out)


def restore_truncated(client_text: str, provider_text: str) -> str:
    """`client_text` with values cut at their first comma (vobject) given back whole."""
    provider: dict[str, list[ContentLine]] = {}
    for segment in split_vevents(unfold(provider_text)):
        if isinstance(segment, list):
            found = [parse_line(segment[i]) for i in direct_properties(segment)]
            provider.setdefault(recurrence_key(found), found)
    out: list[str] = []
    for segment in split_vevents(unfold(client_text)):
        if not isinstance(segment, list):
            out.append(segment)
            continue
        mine = {i: parse_line(segment[i]) for i in direct_properties(segment)}
        theirs = [
            ln for ln in provider.get(recurrence_key(list(mine.values())), []) if "," in ln.value
        ]
        for i, raw in enumerate(segment):
            line = mine.get(i)
            if line is None or "," in line.value or not theirs:
                out.append(raw)
                continue
            cut = line.value.strip()
            whole = next(
                (
                    p
                    for p in theirs
                    if p.name == line.name
                    and p.value.split(",", 1)[0].strip() == cut
                    and p.params == line.params
                ),
                None,
            )
            if whole is None:
                out.append(raw)
            else:
                theirs.remove(whole)
                out.append(with_value(line, whole.value))
    return serialize(out)
