"""Graph contact <-> vCard 3.0 (K2, K3): the entry points of the contact mapping.

`graph_to_vcard` (contacts_mapping_read.py) renders a Graph contact as deterministic vCard 3.0
text; `vcard_to_graph` and `contact_patch` (contacts_mapping_write.py) read a client's vCard
(3.0 or 4.0) and compute the PATCH body of only the fields a vCard can express and that changed.
Shared vocabulary (escaping, folding, birthdays, the expressible field set) is in
contacts_mapping_common.py. This module must not do I/O.
"""

from __future__ import annotations

from bridge.providers.graph.contacts_mapping_common import VCARD_FIELDS, birthday_date
from bridge.providers.graph.contacts_mapping_read import graph_to_vcard
from bridge.providers.graph.contacts_mapping_write import (
    WantedContact,
    contact_patch,
    vcard_to_graph,
)

__all__ = [
    "VCARD_FIELDS",
    "WantedContact",
    "birthday_date",
    "contact_patch",
    "graph_to_vcard",
    "vcard_to_graph",
]
