"""Give back what enrich() redacted, when a client sends it back untouched (SPEC C3).

enrich() replaces host start links (zak) by "[Zoom host start link removed]" everywhere, so the
secret never reaches a client. A client that edits another field sends the redacted text back;
written as it is, it would replace the provider's own text. `restore_redacted()` compares each
property that holds the placeholder with the provider's *current* value of the same property in
the same VEVENT: when redacting the provider's value gives exactly what the client sent, the
provider's value is used. A property the user edited stays as edited (the link is then gone, as
the user saw it). The provider's text comes from a fetch at write time; nothing secret is stored.

This module must not do I/O.
"""

from __future__ import annotations

from bridge.joinlinks.content import (
    ContentLine,
    direct_properties,
    parse_line,
    recurrence_key,
    serialize,
    split_vevents,
    unescape_text,
    unfold,
    with_value,
)
from bridge.joinlinks.enrich import redact_line
from bridge.joinlinks.record import normalise
from bridge.joinlinks.zoom import START_LINK_PLACEHOLDER


def _vevents(text: str) -> dict[str, list[ContentLine]]:
    found: dict[str, list[ContentLine]] = {}
    for segment in split_vevents(unfold(text)):
        if isinstance(segment, list):
            lines = [parse_line(segment[i]) for i in direct_properties(segment)]
            found.setdefault(recurrence_key(lines), lines)
    return found


def has_redactions(text: str) -> bool:
    """Whether any (unfolded) line of `text` holds the start-link placeholder."""
    return any(START_LINK_PLACEHOLDER in line for line in unfold(text))


def restore_redacted(client_text: str, provider_text: str) -> str:
    """`client_text` with each untouched redacted value replaced by the provider's value."""
    provider = _vevents(provider_text)
    out: list[str] = []
    for segment in split_vevents(unfold(client_text)):
        if not isinstance(segment, list):
            out.append(segment)
            continue
        indices = direct_properties(segment)
        lines = {i: parse_line(segment[i]) for i in indices}
        theirs = provider.get(recurrence_key(list(lines.values())), [])
        for i, raw in enumerate(segment):
            line = lines.get(i)
            if line is None or START_LINK_PLACEHOLDER not in unescape_text(line.value):
                out.append(raw)
                continue
            seen = normalise(unescape_text(line.value))
            original = next(
                (
                    p
                    for p in theirs
                    if p.name == line.name
                    and normalise(unescape_text(parse_line(redact_line(p.raw)).value)) == seen
                ),
                None,
            )
            out.append(raw if original is None else with_value(line, original.value))
    return serialize(out)
