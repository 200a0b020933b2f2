"""The Google <-> iCalendar conversion the Google provider calls (C2): pure, no I/O.

What it does: re-exports `google_to_ical` (event + exceptions -> one deterministic VCALENDAR),
`ical_to_google` (client VCALENDAR -> `GoogleWrite`) and `google_body_diff` (the fields an
`events.patch` must send).
What it must not do: network or store access, reading the clock, join-link enrichment.
Implementation: mapping_read.py, mapping_conference.py, mapping_recurrence.py,
mapping_write.py, mapping_diff.py, mapping_common.py (one job each).
"""

from __future__ import annotations

from bridge.providers.common.zones import PRODID
from bridge.providers.google.mapping_diff import google_body_diff
from bridge.providers.google.mapping_read import google_to_ical
from bridge.providers.google.mapping_write import GoogleWrite, ical_to_google

__all__ = ["PRODID", "GoogleWrite", "google_body_diff", "google_to_ical", "ical_to_google"]
