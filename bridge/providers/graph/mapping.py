"""The Graph <-> iCalendar conversion the Graph provider calls (C2): pure, no I/O.

What it does: re-exports the three conversions and the write plan type:
`graph_to_ical` (Graph event JSON + listed instances -> one deterministic VCALENDAR),
`ical_to_graph` (client VCALENDAR -> `GraphWrite`: master body, per-occurrence bodies, cancelled
occurrences) and `graph_body_diff` (only the fields a PATCH must send).
What it must not do: network or store access, reading the clock, join-link enrichment.

Implementation lives in mapping_read.py, mapping_write.py, mapping_recurrence.py and
mapping_common.py (one job each); this module is the stable interface.
"""

from __future__ import annotations

from bridge.providers.common.outlook_write import GraphWrite, graph_body_diff, ical_to_graph
from bridge.providers.common.zones import PRODID
from bridge.providers.graph.mapping_read import graph_to_ical

__all__ = ["PRODID", "GraphWrite", "graph_body_diff", "graph_to_ical", "ical_to_graph"]
