"""How far a series is read around the sync window (issue 11, point 3; python-caldav
`testIssue397`).

What it does: a recurring series that began before the sync window is read with its instances,
exceptions and cancelled occurrences from its first occurrence on, not from the window's start,
so an exception a client wrote in an older part of the series is served back with it.
`series_reach` widens the window back to the series' start, at most `SERIES_REACH` (about three
years, as far as a time-range query reaches beyond the window) before the window's start; the
end stays the window's end. Graph lists a series' instances over this range
(event-list-instances.md: startDateTime/endDateTime), Google keeps the exceptions whose original
or actual start lies in it; Exchange hands every modified and deleted occurrence with the master
(CalendarItem ModifiedOccurrences/DeletedOccurrences) and needs no range.
What it must not do: I/O, or read the clock (the result depends on the window and the start).
"""

from __future__ import annotations

import datetime as dt

from bridge.model import SyncWindow

SERIES_REACH = dt.timedelta(days=3 * 366)
_SLACK = dt.timedelta(days=2)  # a start read without its zone, an all-day date: never short


def series_reach(window: SyncWindow, first: dt.date | None) -> SyncWindow:
    """The range a series whose first occurrence starts at `first` is read over."""
    if first is None:
        return window
    if not isinstance(first, dt.datetime):
        first = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    elif first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    since = max(first - _SLACK, window.start - SERIES_REACH)
    if since >= window.start:
        return window
    return SyncWindow(since, window.end)
