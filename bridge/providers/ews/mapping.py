"""The EWS <-> iCalendar conversion the EWS provider calls (C2): pure, no I/O.

What it does: re-exports `ews_to_ical` (exchangelib CalendarItem + its exception items -> one
deterministic VCALENDAR), `ical_to_ews` (client VCALENDAR -> `EwsWrite`: master fields,
per-occurrence fields, cancelled occurrences) and `changed_fields` (what an UpdateItem sends).
What it must not do: network access, reading the clock, join-link enrichment.

Implementation lives in mapping_read.py, mapping_write.py and mapping_recurrence.py.
"""

from __future__ import annotations

from bridge.providers.common.zones import PRODID
from bridge.providers.ews.mapping_read import ews_to_ical
from bridge.providers.ews.mapping_write import EwsWrite, changed_fields, ical_to_ews

__all__ = ["PRODID", "EwsWrite", "changed_fields", "ews_to_ical", "ical_to_ews"]
