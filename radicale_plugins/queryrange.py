"""The time range a calendar-query asked for, kept for the storage while Radicale answers it
(issue 11, point 3: time-range queries beyond the sync window).

Radicale answers a calendar-query with `expand` (RFC 4791 §9.6.5) by taking the time-range out
of the filter before it asks the storage for candidates (it expands first, then filters the
instances by the range), so the storage's `get_filtered` sees no range and could not know that
the query reaches beyond the sync window. `asking(root)` keeps the VEVENT time-range of the
request for the duration of the REPORT; `asked()` hands it to the storage.
Imports nothing of the bridge; changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator

CALDAV = "{urn:ietf:params:xml:ns:caldav}"

_asked: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "davbridge_query_range", default=None
)
_FAR_PAST, _FAR_FUTURE = -62135596800, 253402300800  # Radicale's TIMESTAMP_MIN / MAX


def _stamp(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    try:
        parsed = dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return int(parsed.timestamp())


def time_range(root: ET.Element | None) -> tuple[int, int] | None:
    """[start, end) in unix seconds of a calendar-query's VEVENT time-range, or None."""
    if root is None or root.tag != f"{CALDAV}calendar-query":
        return None
    for comp in root.iter(f"{CALDAV}comp-filter"):
        if comp.get("name", "").upper() != "VEVENT":
            continue
        span = comp.find(f"{CALDAV}time-range")
        if span is None:
            continue
        start = _stamp(span.get("start"), _FAR_PAST)
        end = _stamp(span.get("end"), _FAR_FUTURE)
        return None if start is None or end is None else (start, end)
    return None


@contextlib.contextmanager
def asking(root: ET.Element | None) -> Iterator[None]:
    """The scope of one REPORT: `asked()` gives its time range inside it."""
    token = _asked.set(time_range(root))
    try:
        yield
    finally:
        _asked.reset(token)


def asked() -> tuple[int, int] | None:
    return _asked.get()
