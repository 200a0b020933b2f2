"""The lossless overlay's data and its stored form (C10; bridge.ical.overlay computes and
merges it).

What it does: the frozen `Overlay` / `UnitOverlay` values; `encode` (compact JSON, zlib,
URL-safe base64; past `OVERLAY_MAX_BYTES` an `OverlayTooLarge`, a 400 naming the bound) and
`decode` (never an error: unreadable text is no overlay); `chunks` / `keyed_chunks` /
`from_keyed` for stores with a per-value limit (Google extendedProperties and People
clientData: 1,000-character pieces under keys `<prefix>0`, `<prefix>1`, …).
What it must not do: I/O, or look inside iCalendar/vCard text.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import OverlayTooLarge

# The bound on what one item keeps at the provider: the encoded (compressed) overlay. Chosen
# to stay well inside Google's 32 kB per event for all extended properties ("Extended
# properties" guide, limits) and small next to Graph/EWS item sizes. Documented in README.
OVERLAY_MAX_BYTES = 16 * 1024
CHUNK_CHARS = 1000  # Google: a value holds at most 1024 characters (extended-properties guide)
FORMAT_VERSION = 1


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
