"""strip(): remove from client-submitted iCalendar everything enrich() added.

Applied before a client's PUT is written to the provider, so our additions never reach it. Works on
unfolded lines and parsed parameters, so clients that re-fold lines or drop unknown parameters are
handled. Per VEVENT it removes:

- every X-ZOOM-MEETING, X-ZOOM-JOIN-URL, X-ZOOM-MEETING-ID, X-ZOOM-PASSCODE, X-ZOOM-HOST,
  X-ZOOM-HOSTED-BY-ME, X-ZOOM-DIAL property and every X-DAVBRIDGE-* property;
- each CONFERENCE whose URI is listed in an X-DAVBRIDGE-ADDED-CONFERENCE property (the provider's
  own CONFERENCE lines are never listed: enrich() does not add one the provider already has);
- the Zoom block in DESCRIPTION (marker line to marker line plus the one blank line after it), and
  the DESCRIPTION property itself when enrich() created it;
- URL / LOCATION that enrich() filled (X-DAVBRIDGE-FILLED), but only while they still hold the join
  URL it put there; a user's later edit is kept. A placeholder LOCATION the join URL replaced
  (X-DAVBRIDGE-LOCATION) is restored the same way;
- what visible.py added, as listed in X-DAVBRIDGE-VISIBLE: the vendor properties
  (X-MICROSOFT-SKYPETEAMSMEETINGURL, X-GOOGLE-CONFERENCE), the Teams/Meet blocks at the end of
  DESCRIPTION and the "Not a Zoom meeting" note on top.

This marker-based removal needs the bookkeeping the bridge served; the write path applies the
mirror's enrichment record first (record.py), which does not.

When X-DAVBRIDGE-FILLED was lost but X-ZOOM-MEETING survived (a client dropped one property): a URL
equal to the join URL that the rest of the event still yields is removed, since no provider keeps a
join link in URL and enrich() restores it identically; LOCATION is then kept, because the Zoom
Outlook add-in itself writes the join link into LOCATION and removing it would clear what Outlook
users see. A start link redacted by enrich() cannot be restored.

This module must not add anything and must not do I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.joinlinks import props, visible
from bridge.joinlinks.content import (
    ContentLine,
    direct_properties,
    parse_line,
    serialize,
    split_vevents,
    unfold,
    with_value,
)
from bridge.joinlinks.detect import detect_sources, sources_from_lines


def strip(ical: str) -> str:
    """Client VCALENDAR text -> the same without enrich()'s additions (canonically folded, CRLF)."""
    return serialize(strip_lines(unfold(ical)))


def strip_lines(lines: Sequence[str]) -> list[str]:
    if not _may_hold_ours(lines):
        return list(lines)
    out: list[str] = []
    for segment in split_vevents(lines):
        if isinstance(segment, list):
            out.extend(strip_vevent(segment))
        else:
            out.append(segment)
    return out


def _may_hold_ours(lines: Sequence[str]) -> bool:
    """Whether strip can change anything: without one of our property names (every strip
    decision but the Zoom block needs one of them) and without the Zoom block's marker line
    (props.BEGIN_MARK: "… (added by davbridge) …", never escaped), it leaves every line as is.
    One pass over the text instead of parsing every line (a provider's text holds none)."""
    text = "\n".join(lines).lower()
    return "x-zoom-" in text or "x-davbridge-" in text or "(added by davbridge)" in text


def _is_ours(line: ContentLine) -> bool:
    return line.name in props.ZOOM_PROPERTIES or line.name.startswith(props.OUR_PREFIX)


def strip_vevent(block: Sequence[str]) -> list[str]:
    """One VEVENT (BEGIN..END lines, unfolded) without enrich()'s additions."""
    parsed = {i: parse_line(block[i]) for i in direct_properties(block)}
    filled: set[str] | None = None
    added: set[str] = set()
    recorded_join: str | None = None
    enriched = False
    shown: list[str] = []
    placeholder: str | None = None
    for line in parsed.values():
        if line.name == props.DAVBRIDGE_VISIBLE:
            shown += [t.strip().upper() for t in line.text.split(",")]
        elif line.name == props.DAVBRIDGE_LOCATION:
            placeholder = line.value
        elif line.name == props.DAVBRIDGE_FILLED:
            filled = (filled or set()) | {t.strip().upper() for t in line.text.split(",")}
        elif line.name == props.DAVBRIDGE_ADDED_CONFERENCE:
            added.add(line.text.strip())
        elif line.name in (props.DAVBRIDGE_JOIN_URL, props.ZOOM_JOIN_URL) and not recorded_join:
            recorded_join = line.text.strip()
        elif line.name == props.ZOOM_MEETING:
            enriched = True

    result: dict[int, str | None] = {}  # index -> replacement line, None = drop
    for i, line in parsed.items():
        if (
            _is_ours(line)
            or (line.name == "CONFERENCE" and line.value.strip() in added)
            or (line.name in visible.VENDOR_PROPERTIES and line.name in shown)
        ):
            result[i] = None
        elif line.name == "DESCRIPTION":
            result.update(_description(i, line, shown))

    def remaining(skip: int | None = None) -> list[ContentLine]:
        rest: list[ContentLine] = []
        for i, line in parsed.items():
            if i == skip:
                continue
            replacement = result.get(i, line.raw)
            if replacement is not None:
                rest.append(line if replacement == line.raw else parse_line(replacement))
        return rest

    for i, line in parsed.items():
        if line.name not in ("URL", "LOCATION") or i in result:
            continue
        value = line.text.strip()
        if placeholder is not None and line.name == "LOCATION":
            join = (
                recorded_join or detect_sources(sources_from_lines(remaining(i))).primary_join_url
            )
            if value == join:
                result[i] = with_value(line, placeholder)
                continue
        if filled is not None:
            join = (
                recorded_join or detect_sources(sources_from_lines(remaining(i))).primary_join_url
            )
            if value != join:
                continue
            if line.name in filled:
                result[i] = None
            elif f"{line.name}-EMPTY" in filled:
                result[i] = with_value(line, "")
        elif enriched and line.name == "URL":
            join = detect_sources(sources_from_lines(remaining(i))).primary_join_url
            if join is not None and value == join:
                result[i] = None

    out: list[str] = []
    for i, raw in enumerate(block):
        replacement = result.get(i, raw)
        if replacement is not None:
            out.append(replacement)
    return out


def _description(index: int, line: ContentLine, shown: list[str]) -> dict[int, str | None]:
    """DESCRIPTION without the Teams/Meet blocks, the Zoom block and the note we added."""
    raw, changed = line.value, False
    leads = [int(t[5:]) for t in shown if t.startswith("LEAD-") and t[5:].isdigit()]
    if leads:
        raw, found = visible.remove_blocks(raw, leads)
        changed |= found
    raw, found, only_ours = props.remove_block(raw)
    changed |= found
    if "NOTE" in shown:
        raw, found = visible.remove_note(raw)
        changed |= found
    if not changed:
        return {}
    if raw == "" and (only_ours or "DESCRIPTION" in shown):
        return {index: None}
    return {index: with_value(line, raw)}
