"""What a GET after PUT must give back (SPEC C10, README "What a round trip normalises"):
every content line and parameter the client sent, except the normalisations listed there.
Shared by the provider-level contract tests and the end-to-end tests; also moves the dates
of captured client payloads into the sync window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bridge.ical.contentlines import Block, parse

CLIENTS = Path(__file__).parent / "fixtures" / "clients"

# README "What a round trip normalises": the provider owns these (times are compared as
# instants by the tests that need it; PHOTO is the provider's copy).
NORMALISED = frozenset(
    {
        "PRODID",
        "VERSION",
        "CALSCALE",
        "DTSTAMP",
        "CREATED",
        "LAST-MODIFIED",
        "REV",
        "DTSTART",
        "DTEND",
        "RRULE",
        "PHOTO",
    }
)


# Served with the bridge's enrichment around the client's own text (README "Join-link
# metadata": the join block, "Not a Zoom meeting · Host: …"); removed again on write.
ENRICHED = frozenset({"DESCRIPTION"})


def client_text(name: str, shifts: dict[str, str] | None = None) -> str:
    """A captured payload (CRLF), with the date strings in `shifts` replaced."""
    text = (CLIENTS / name).read_text(encoding="utf-8").replace("\r\n", "\n")
    for old, new in (shifts or {}).items():
        text = text.replace(old, new)
    return text.replace("\n", "\r\n")


def day(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).strftime("%Y%m%d")


def _units(text: str) -> dict[str, Block]:
    out: dict[str, Block] = {}
    for top in parse(text):
        for unit in [top] if top.name == "VCARD" else top.blocks():
            if unit.name in ("VEVENT", "VCARD"):
                rid = unit.first("RECURRENCE-ID")
                out[rid.value if rid else ""] = unit
    return out


def lost(sent: str, got: str, also: frozenset[str] = frozenset()) -> list[str]:
    """Lines (and VALARM blocks) of `sent` that `got` does not hold exactly."""
    mine, theirs = _units(sent), _units(got)
    missing: list[str] = []
    for key, unit in mine.items():
        other = theirs.get(key)
        if other is None:
            missing.append(f"component {unit.name} {key!r}")
            continue

        have = {line.text for line in other.lines()} | {_key(b) for b in other.blocks()}
        enriched = [x for x in other.lines() if x.name in ENRICHED]
        for line in unit.lines():
            if line.name in NORMALISED or line.name in also:
                continue
            if line.text in have:
                continue
            if line.name in ENRICHED and any(
                x.name == line.name and line.value in x.value for x in enriched
            ):
                continue  # the client's text, with the bridge's lines around it
            missing.append(line.text)
        for block in unit.blocks():
            if _key(block) not in have:
                missing.append(block.text())
    return missing


def _key(block: Block) -> str:
    """A VALARM compared by its lines, in any order."""
    return "\n".join(sorted(line.text for line in block.lines()))
