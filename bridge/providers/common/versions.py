"""A folded series: its parts as the provider holds them, and its version as one string.

What it does: a series the bridge serves as one resource (master + exceptions) is several
provider items, each with its own version (Graph changeKey, Google etag, EWS ChangeKey).
`encode_versions` writes {item id: version} as compact JSON with sorted keys (equal maps, equal
strings: the sync engine compares them to see a change); `decode_versions` reads it back, {}
for anything else (an older format, a single version), which makes the caller re-read.
`SeriesParts` is a JSON series as Graph and Google hand it over: the master (or the single
event) and its member items (Graph instances, Google exceptions).
What it must not do: compare versions or call a provider.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SeriesParts = tuple[dict[str, Any], list[dict[str, Any]]]  # (master or single event, members)


def encode_versions(versions: Mapping[str, str]) -> str:
    return json.dumps(dict(versions), sort_keys=True, separators=(",", ":"))


def decode_versions(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
