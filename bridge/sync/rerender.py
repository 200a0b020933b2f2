"""Re-render a user's mirrored events after their enrichment choices changed (issue 10 point 6).

Enrichment happens once, when a provider item enters the mirror; a per-user choice (the "Not a
Zoom meeting" line) changes the served bytes, so changing it renders that user's events again
from the mirror — no provider item is fetched: the provider's text is the served text without what the
enrichment record says was added. ETags and sync tokens change for the items whose bytes change.
Items without a record (mirrored before records existed) are left for the next pull.
Must not import radicale or a concrete provider.
"""

from __future__ import annotations

import logging

from bridge.model import CollectionKind
from bridge.sync.engine import SyncEngine
from bridge.sync.items import rerendered

log = logging.getLogger("davbridge.sync")


def rerender_user(engine: SyncEngine, user_id: int) -> int:
    """Render every calendar item of `user_id` with the user's current choices; how many changed."""
    options = engine.enrich_options(user_id)
    changed = 0
    for coll in engine.store.collections(user_id=user_id):
        if coll.kind is not CollectionKind.CALENDAR:
            continue
        # the same addresses a pull uses (the provider caches them after its first call)
        emails = [engine.providers(coll.connection_id).account_email]
        redact = engine.store.redacts(coll.id)
        with engine.lock(coll.id):
            updates: list[tuple[str, str, str]] = []
            for href, text, record in engine.store.enriched_items(coll.id):
                fresh = rerendered(text, record, emails, options, redact)
                if fresh is not None and fresh[0] != text:
                    updates.append((href, fresh[0], fresh[1]))
            changed += engine.store.replace_rendering(coll.id, updates)
    log.info("re-rendered %d events of user %d", changed, user_id)
    return changed
