"""Which mirrored collections are the bridge's own views rather than a provider's (C4): the
sync engine never pulls them from a provider nor drops them when a provider's listing lacks
them. Pure; bridge/sync/views.py builds them."""

from __future__ import annotations

from bridge.model import CollectionRecord

VIEW_PREFIX = "@view:"


def is_view(coll: CollectionRecord) -> bool:
    return coll.remote_id.startswith(VIEW_PREFIX)
