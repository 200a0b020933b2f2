"""What of a vCard a client can search by text (RFC 6352 §10.5 prop-filter + text-match):
FN, N, NICKNAME, ORG and EMAIL values, case-folded (i;unicode-casemap), for the mirror's name
index — the directory (K5) is searched by name and email from it instead of a scan.

Pure: no I/O. The TEL index is bridge.contacts.phones'.
"""

from __future__ import annotations

from bridge.contacts.lines import components, parse_lines, unescape

#: The properties the name index answers for.
SEARCHABLE = ("FN", "N", "NICKNAME", "ORG", "EMAIL")
MAX_VALUES = 64  # per card: a card with hundreds of addresses is indexed by its first ones


def search_texts(vcard_text: str) -> tuple[tuple[str, str], ...]:
    """(property, case-folded value) pairs, in card order, without duplicates."""
    out: dict[tuple[str, str], None] = {}
    for line in parse_lines(vcard_text):
        if line.name not in SEARCHABLE:
            continue
        if line.name in ("N", "ORG"):
            value = " ".join(p.strip() for p in components(line.value) if p.strip())
        else:
            value = unescape(line.value).strip()
        if value:
            out.setdefault((line.name, value.casefold()))
        if len(out) >= MAX_VALUES:
            break
    return tuple(out)
